/** `wscap record` option parsing: the defaults an on-call engineer gets with no options. */
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { describeRecordOptions, parseDuration, toRecordOptions, type RecordCommandOptions } from '../../src/cli/record-command.js';

function parse(args: string[]): RecordCommandOptions {
  const cmd = describeRecordOptions(new Command('record')).exitOverride();
  cmd.parse(args, { from: 'user' });
  return cmd.opts<RecordCommandOptions>();
}

describe('wscap record options', () => {
  it('no options: fstream.binance.com:443 on any, a timestamped file in the current directory', () => {
    const o = toRecordOptions(parse([]), ['node', 'wscap', 'record'], new Date('2026-11-27T01:30:05.123Z'));
    expect(o).toMatchObject({
      hosts: ['fstream.binance.com'],
      port: 443,
      interface: 'any',
      outDir: process.cwd(),
      stem: 'wscap-20261127-013005',
      durationS: null,
      packets: null,
      snaplen: 0,
      bufferKiB: 65536,
      filter: null,
      reresolveS: 60,
      socketsEveryS: 2,
      force: false,
      keep: null,
      commandLine: ['record'],
    });
  });

  it('-w names the directory and stem; repeatable --host and --resolve', () => {
    const o = toRecordOptions(
      parse(['-w', '/tmp/x/incident.pcap', '--host', 'a.test', '--host', '10.0.0.1', '--resolve', 'a.test:127.0.0.5', '--resolve', 'a.test:[::1]']),
      ['node', 'wscap'],
      new Date(),
    );
    expect([o.outDir, o.stem, o.hosts, [...o.overrides]]).toEqual(['/tmp/x', 'incident', ['a.test', '10.0.0.1'], [['a.test', ['127.0.0.5', '::1']]]]);
  });

  it('durations take s, ms, m and h', () => {
    expect([parseDuration('90', 'x'), parseDuration('90s', 'x'), parseDuration('500ms', 'x'), parseDuration('10m', 'x'), parseDuration('2h', 'x')]).toEqual([90, 90, 0.5, 600, 7200]);
    expect(() => parseDuration('ten minutes', '--duration')).toThrow("--duration 'ten minutes' is not a duration (e.g. 90s, 10m, 2h)");
  });

  it('rejects what tcpdump could misread, before anything runs', () => {
    expect(() => toRecordOptions(parse(['--host', 'a;rm -rf /']), [], new Date())).toThrow("--host 'a;rm -rf /' is not a host name or IP address");
    expect(() => toRecordOptions(parse(['-w', 'capture.txt']), [], new Date())).toThrow("-w 'capture.txt' must name a .pcap file");
    expect(() => toRecordOptions(parse(['--port', '0']), [], new Date())).toThrow("--port must be a whole number from 1 to 65535, got '0'");
    expect(() => toRecordOptions(parse(['--resolve', 'a.test:not-an-ip']), [], new Date())).toThrow("--resolve 'a.test:not-an-ip': 'not-an-ip' is not an IP address");
  });
});
