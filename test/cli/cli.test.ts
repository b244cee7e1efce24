/** The command line as a user runs it: help, version, usage errors, output choices. */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ROOT, runCli, tempDir } from '../helpers.js';

const FIXTURE = join(FIXTURES, 'clean-shutdown.pcap');
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('wscap command line', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);

  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('analyze --help lists the options, exit 0', async () => {
    const r = await runCli(['analyze', '--help']);
    expect(r.code).toBe(0);
    for (const option of ['--format', '--out', '--server-port', '--no-color']) expect(r.stdout).toContain(option);
  });

  it('an unknown option is a usage error: exit 2', async () => {
    const r = await runCli(['analyze', '--bogus', FIXTURE]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
  });

  it('no file is a usage error: exit 2', async () => {
    const r = await runCli(['analyze']);
    expect(r.code).toBe(2);
  });

  it('a bad --format value is a usage error: exit 2', async () => {
    const r = await runCli(['analyze', '--format', 'xml', FIXTURE]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'xml' is invalid");
  });

  it('a bad --server-port is a usage error: exit 2', async () => {
    const r = await runCli(['analyze', '--server-port', '99999', FIXTURE]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: "wscap: error: --server-port must be 1-65535, got '99999'\n" });
  });

  it('a bad --control-size is a usage error: exit 2', async () => {
    const r = await runCli(['analyze', '--control-size', '5', FIXTURE]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: "wscap: error: --control-size must be a number of bytes from 6 to 16645, got '5'\n" });
  });

  it('--control-size moves records between the classes; --details shows them', async () => {
    const pings = join(FIXTURES, 'pings-only.pcap');
    const json = async (args: string[]): Promise<number[]> =>
      JSON.parse((await runCli(['analyze', '--format', 'json', ...args, pings])).stdout).connections.map(
        (c: { server2client: { records: { control: number } } }) => c.server2client.records.control,
      );
    const standard = await json([]);
    // Pings are 24 bytes on the wire: with a 20-byte limit they count as data.
    const small = await json(['--control-size', '20']);
    expect(standard.every((n) => n > 0)).toBe(true);
    expect(small).toEqual(standard.map(() => 0));
    const text = await runCli(['analyze', '--details', pings]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('sni fstream.binance.com, TLS 1.3, alpn -;');
    expect(text.stdout).toMatch(/< \d+ pkts \d+ B, records \d+ control, 0 data \(following\)/);
  });

  it('the text report fits 100 columns and has no colour when NO_COLOR is set', async () => {
    const r = await runCli(['analyze', FIXTURE]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
    expect(r.stdout).not.toContain('\u001b[');
    expect(r.stdout).toContain('Connections: 7');
    expect(lines.filter((l) => /^C\d+ /.test(l))).toHaveLength(7);
  });

  it('--verbose writes pino JSON log lines on stderr; without it stderr stays empty', async () => {
    const r = await runCli(['--verbose', 'analyze', FIXTURE, '--format', 'json']);
    expect(r.code).toBe(0);
    const line = JSON.parse(r.stderr.trim().split('\n')[0]);
    expect(line).toMatchObject({ level: 20, name: 'wscap', msg: 'analysed', packets: JSON.parse(r.stdout).capture.packets });
    expect((await runCli(['analyze', FIXTURE, '--format', 'json'])).stderr).toBe('');
  });

  it('--color forces ANSI colour', async () => {
    const r = await runCli(['analyze', '--color', FIXTURE]);
    expect(r.stdout).toContain('\u001b[1m');
  });

  it('--out FILE.json writes JSON (format from the extension) and nothing on stdout', async () => {
    const out = join(tmp.dir, 'report.json');
    const r = await runCli(['analyze', FIXTURE, '--out', out]);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.schemaVersion).toBe(1);
    expect(report.generator).toBe(`wscap ${version}`);
    expect(report.summary.connections).toBe(7);
  });

  it('an unwritable --out is a one-line error, exit 2', async () => {
    const out = join(tmp.dir, 'no-such-dir', 'r.json');
    const r = await runCli(['analyze', FIXTURE, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`wscap: error: open ${out}: ENOENT\n`);
  });
});
