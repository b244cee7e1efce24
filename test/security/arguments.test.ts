/**
 * What reaches tcpdump's argv from the command line, and what reaches the terminal from errors:
 * every value is validated or placed where it cannot be read as an option, and every string in an
 * error line is escaped. (The end-to-end refusal of injected hosts and filters, as root with real
 * tcpdump, is in test/record/record-e2e.test.ts.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describeRecordOptions, toRecordOptions, type RecordCommandOptions } from '../../src/cli/record-command.js';
import { preflight } from '../../src/record/recorder.js';
import { classifyFailure, tcpdumpArgs, type TcpdumpOptions } from '../../src/record/tcpdump.js';
import { segmentPattern } from '../../src/record/capture-files.js';
import { buildFilter } from '../../src/record/filter.js';
import { validateHost, parseResolve } from '../../src/record/hosts.js';
import { UsageError } from '../../src/errors/usage-error.js';
import { runCli, tempDir } from '../helpers.js';
import { TCPDUMP_OPTIONS } from '../record/tcpdump-options.js';

function parse(args: string[]): RecordCommandOptions {
  const cmd = describeRecordOptions(new Command('record')).exitOverride();
  cmd.parse(args, { from: 'user' });
  return cmd.opts<RecordCommandOptions>();
}

const tcpdumpOptions: TcpdumpOptions = { ...TCPDUMP_OPTIONS, interface: 'lo', filter: 'tcp' };

describe('what reaches tcpdump', () => {
  it('a file name that looks like an option reaches tcpdump as an absolute path after -w; the filter comes last, after --', () => {
    const o = toRecordOptions(parse(['-w', '-r.pcap', '--filter', '-V /etc/shadow']), [], new Date());
    const file = segmentPattern(o.outDir, o.stem, 1, false);
    expect(file).toBe(join(process.cwd(), '-r.pcap'));
    const args = tcpdumpArgs({ ...tcpdumpOptions, file, filter: o.filter as string });
    expect(args.slice(-4)).toEqual(['-w', file, '--', '-V /etc/shadow']);
    // …and that filter is refused anyway before tcpdump runs.
    expect(() => preflight(o)).toThrow(new UsageError('--filter must be a BPF expression, not an option'));
  });

  it('host names: only RFC 1123 names and IP literals, so nothing a filter or a shell could read otherwise', () => {
    for (const good of ['fstream.binance.com', 'fstream.binance.com.', '13.112.1.2', '2406:da14::1', 'a-b.example']) expect(validateHost(good)).toBe(good);
    for (const bad of ['-w', '-w /etc/x', 'a or port 22', 'a;rm -rf /', '$(id)', '`id`', 'a b', 'x\n', 'host\u001b[2J', '1.2.3', '', 'a..b', '-a.example', 'a'.repeat(64) + '.example']) {
      expect(() => validateHost(bad), JSON.stringify(bad)).toThrow(UsageError);
    }
    expect(() => parseResolve('a.test:1.2.3.4 or port 22')).toThrow(UsageError);
  });

  it('the built filter holds only addresses (what getaddrinfo or --resolve gave, each checked as an IP) and numbers', () => {
    expect(buildFilter({ addresses: ['13.112.1.2', '2406:da14::1'], port: 443, withDns: true })).toBe(
      '(tcp port 443 and (host 13.112.1.2 or host 2406:da14::1)) or (udp src port 53)',
    );
    expect(() => buildFilter({ addresses: ['1.2.3.4 or port 22'], port: 443, withDns: false })).toThrow('not an IP address');
    expect(parseResolve('a.test:[::1]')).toEqual({ host: 'a.test', address: '::1' });
  });

  it('interface names: letters, digits and _ . : @ - only, at most 15 characters (IFNAMSIZ)', () => {
    const base = toRecordOptions(parse([]), [], new Date());
    for (const bad of ['lo;id', 'lo eth0', '$(id)', 'eth0\n', 'a'.repeat(16), '']) {
      expect(() => preflight({ ...base, interface: bad }), JSON.stringify(bad)).toThrow(UsageError);
    }
  });
});

describe('error lines escape what they quote', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);

  it('what tcpdump said, and the file it names, are escaped in the error', () => {
    const e = classifyFailure('tcpdump: /x/\u001b]0;t\u0007.pcap: Permission denied\n', { ...tcpdumpOptions, file: '/x/\u001b]0;t\u0007.pcap' });
    expect(e.message).toBe('cannot write /x/\\x1b]0;t\\x07.pcap (tcpdump: /x/\\x1b]0;t\\x07.pcap: Permission denied)');
    expect(classifyFailure('tcpdump: syntax error near \u009b2J\n', tcpdumpOptions).message).toBe('invalid capture filter (tcpdump: syntax error near \\x9b2J)');
  });

  it('wscap record with a hostile --out-dir: one escaped line, exit 3, before tcpdump starts', async () => {
    const evil = join(tmp.dir, 'no\u001b[31mdir');
    const r = await runCli(['record', '--no-live', '--host', 's.test', '--resolve', 's.test:127.0.0.1', '-i', 'lo', '--out-dir', evil]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`wscap: error: output directory ${join(tmp.dir, 'no\\x1b[31mdir')} does not exist; create it, or choose another with --out-dir\n`);
    expect(existsSync(evil)).toBe(false);
  });

  it('a hostile --host or -w is quoted escaped in the usage error, exit 2', async () => {
    const host = await runCli(['record', '--no-live', '--host', 'a\u001b[2Jb']);
    expect(host).toMatchObject({ code: 2, stderr: "wscap: error: --host 'a\\x1b[2Jb' is not a host name or IP address\n" });
    const write = await runCli(['record', '--no-live', '-w', 'x\u0007.txt']);
    expect(write).toMatchObject({ code: 2, stderr: "wscap: error: -w 'x\\x07.txt' must name a .pcap file\n" });
  });
});
