/**
 * firstRetransmissionAt / firstZeroWindowAt (the HTML timeline's marks) against tshark: the time
 * of the first frame each side sent with tcp.analysis.retransmission (or fast_retransmission) /
 * tcp.analysis.zero_window set.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { analyzeCaptures } from '../../src/analyze/analyze-captures.js';
import { FIXTURES } from '../helpers.js';

/** "ip:port>ip:port" → first time of each flag, from tshark (stream order of sides as sent). */
function tsharkFirsts(path: string): Map<string, { retransmission: number | null; zeroWindow: number | null }> {
  const out = execFileSync(
    'tshark',
    ['-r', path, '-Y', 'tcp.analysis.retransmission || tcp.analysis.fast_retransmission || tcp.analysis.zero_window', '-T', 'fields', '-E', 'separator=,',
      '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'tcp.srcport', '-e', 'ip.dst', '-e', 'tcp.dstport',
      '-e', 'tcp.analysis.retransmission', '-e', 'tcp.analysis.fast_retransmission', '-e', 'tcp.analysis.zero_window'],
    { encoding: 'utf8', timeout: 30_000 },
  );
  const firsts = new Map<string, { retransmission: number | null; zeroWindow: number | null }>();
  for (const line of out.trim().split('\n').filter((l) => l !== '')) {
    const [time, src, sport, dst, dport, rtx, fast, zw] = line.split(',');
    const key = `${src}:${sport}>${dst}:${dport}`;
    const f = firsts.get(key) ?? { retransmission: null, zeroWindow: null };
    const t = Math.round(Number(time) * 1e6) / 1e6;
    if ((rtx !== '' || fast !== '') && f.retransmission === null) f.retransmission = t;
    if (zw !== '' && f.zeroWindow === null) f.zeroWindow = t;
    firsts.set(key, f);
  }
  return firsts;
}

describe('first retransmission and zero-window times equal tshark’s', () => {
  for (const name of ['lossy.pcap', 'zero-window.pcap', 'close-wait.pcap']) {
    it(name, async () => {
      const path = join(FIXTURES, name);
      const report = await analyzeCaptures([path], { serverPort: 443, generator: 't' });
      const want = tsharkFirsts(path);
      let marks = 0;
      for (const c of report.connections) {
        const sides = [
          [`${c.client.ip}:${c.client.port}>${c.server.ip}:${c.server.port}`, c.client2server],
          [`${c.server.ip}:${c.server.port}>${c.client.ip}:${c.client.port}`, c.server2client],
        ] as const;
        for (const [key, d] of sides) {
          const w = want.get(key) ?? { retransmission: null, zeroWindow: null };
          expect([d.firstRetransmissionAt, d.firstZeroWindowAt], `${c.id} ${key}`).toEqual([w.retransmission, w.zeroWindow]);
          if (d.firstRetransmissionAt !== null) marks++;
          if (d.firstZeroWindowAt !== null) marks++;
        }
      }
      expect(marks).toBeGreaterThan(0);
    });
  }
});
