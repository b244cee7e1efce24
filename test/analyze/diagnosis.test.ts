/**
 * The diagnosis on every real fixture: each yields exactly the anomalies it was built to show
 * (codes and connections), the capture-wide view, and the verdict.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { analyzeCaptures } from '../../src/analyze/analyze-captures.js';
import type { DiagnosisOptions } from '../../src/analyze/diagnosis/diagnose.js';
import type { Report } from '../../src/report/model.js';
import { FIXTURES, loadExpectations } from '../helpers.js';

const C1_7 = ['C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'C7'];

/**
 * What each fixture was built to show, as [code, connections] (default thresholds). A new fixture
 * must be added here. Why the less obvious ones:
 * - close-wait: the server ended all 7 with close_notify and FIN at once (`--action end`), so it is
 *   also a mass disconnect, and 6 of them an abnormal close; on C1 the agent sent a 28-byte record
 *   (an empty masked frame) right after the server's close_notify, which reads as a close frame.
 * - server-close-reconnect: the server's close frames on C1–C7 within 3 ms (its reconnects are in
 *   the summary, not an anomaly).
 * - snaplen-40: 40 bytes cut every TCP header, so no connection is analysed (snaplen without ids).
 * - hostile-sni: 12 ClientHellos with hostile names, each closed by the server without a byte
 *   (its SNI check), C1 (openssl) then reset by the server's kernel; C13 is ordinary.
 * - dns-names: C1 is the connection without SNI. Node's server completes the TLS handshake without
 *   SNI (its SNI check runs only when a name is sent), refuses the upgrade with HTTP 400 and closes
 *   (close_notify, FIN) with no WebSocket close frame: abnormal-close; the agent then resets.
 */
const BUILT_TO_SHOW: Record<string, Array<[string, string[]]>> = {
  'agent-reset.expected.json': [['reset', C1_7]],
  'close-wait.expected.json': [['close-wait', C1_7], ['abnormal-close', C1_7.slice(1)], ['mass-disconnect', C1_7]],
  'dns-names.expected.json': [['sni', ['C1']], ['abnormal-close', ['C1']], ['reset', ['C1']]],
  'formats/simple-packets.expected.json': [['midstream', ['C1', 'C2', 'C3']]],
  'hostile-sni.expected.json': [['sni', ['C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'C7', 'C8', 'C9', 'C10', 'C11', 'C12']], ['reset', ['C1']]],
  'lossy.expected.json': [['retransmissions', C1_7.slice(0, 6)]],
  'midstream.expected.json': [['midstream', C1_7]],
  'refused-unanswered.expected.json': [['refused', ['C1', 'C2', 'C3']], ['unanswered', ['C4', 'C5', 'C6']]],
  'server-close-reconnect.expected.json': [['mass-disconnect', C1_7]],
  'snaplen-128.expected.json': [['snaplen', C1_7]],
  'snaplen-40.expected.json': [['snaplen', []]],
  'snaplen-64.expected.json': [['snaplen', C1_7]],
  'zero-window.expected.json': [['zero-window', ['C1', 'C2']]],
};

/** Fixtures of clean, healthy traffic: no anomaly at all. */
const HEALTHY = [
  'any-nano.expected.json',
  'clean-shutdown.expected.json',
  'clean-shutdown.pcap.gz.expected.json',
  'clean-shutdown.pcapng.expected.json',
  'ipv6-clean.expected.json',
  'large-clienthello.expected.json',
  'pings-only.expected.json', // 5 s: shorter than --silent-after's 60 s (see below)
  'quiet-streams.expected.json', // 5 s silences: under --stall's 10 s (see below)
  'rotated.expected.json',
];

async function analyze(name: string, diagnosis: Partial<DiagnosisOptions> = {}): Promise<Report> {
  const exp = loadExpectations().find((e) => e.name === name);
  if (exp === undefined) throw new Error(`no fixture ${name}`);
  return analyzeCaptures(exp.files.map((f) => join(exp.dir, f)), { serverPort: 443, generator: 'wscap test', diagnosis });
}

const found = (r: Report): Array<[string, string[]]> => r.anomalies.map((a) => [a.code, a.connections]);

describe('each fixture yields the anomalies it was built to show', () => {
  for (const exp of loadExpectations()) {
    it(exp.name, async () => {
      const isFormat = exp.name.startsWith('formats/');
      const built = BUILT_TO_SHOW[exp.name];
      if (built === undefined && !HEALTHY.includes(exp.name) && !isFormat) throw new Error(`say what ${exp.name} was built to show`);
      const report = await analyze(exp.name);
      const want = built ?? [];
      expect(new Set(found(report).map(([code, ids]) => `${code} ${ids.join(',')}`))).toEqual(new Set(want.map(([code, ids]) => `${code} ${ids.join(',')}`)));
      // No fail it was not built to show.
      const fails = report.anomalies.filter((a) => a.severity === 'fail').map((a) => a.code);
      expect(fails.every((code) => want.some(([c]) => c === code))).toBe(true);
    });
  }
});

describe('verdicts and severities', () => {
  it('clean-shutdown is ok; close-wait fails on close-wait alone; the others warn', async () => {
    expect((await analyze('clean-shutdown.expected.json')).summary.verdict).toBe('ok');
    const cw = await analyze('close-wait.expected.json');
    expect(cw.summary.verdict).toBe('fail');
    expect(cw.anomalies.map((a) => [a.code, a.severity])).toEqual([
      ['close-wait', 'fail'],
      ['abnormal-close', 'warn'],
      ['mass-disconnect', 'warn'],
    ]);
    expect(cw.anomalies[0].count).toBe(7);
    expect(cw.anomalies[0].at).toBe(Math.min(...cw.connections.map((c) => c.close.at as number)));
    expect((await analyze('midstream.expected.json')).summary.verdict).toBe('ok'); // info only
    expect((await analyze('zero-window.expected.json')).summary.verdict).toBe('warn');
  });

  it('quiet-streams with --stall below its built 5 s silence: stall on exactly the 2 quiet streams', async () => {
    const r = await analyze('quiet-streams.expected.json', { stallS: 3 });
    expect(found(r)).toEqual([['stall', ['C6', 'C7']]]);
    expect(r.anomalies[0].severity).toBe('warn');
    expect(r.anomalies[0].message).toBe('2 streams had no data from the server for more than 3 s while TCP stayed up (longest 5 s).');
    expect((await analyze('quiet-streams.expected.json', { stallS: 5.5 })).anomalies).toEqual([]);
  });

  it('pings-only with --silent-after below its ~4.9 s life: silent (fail) on all 7, not stall', async () => {
    const r = await analyze('pings-only.expected.json', { silentAfterS: 3, stallS: 3 });
    expect(found(r)).toEqual([['silent', C1_7]]);
    expect(r.summary.verdict).toBe('fail');
  });

  it('--symbols with the wrong number: connection-count (fewer: fail, more: warn); the right one: nothing', async () => {
    const fewer = await analyze('clean-shutdown.expected.json', { symbols: 2 });
    expect(fewer.anomalies.map((a) => [a.code, a.severity, a.message])).toEqual([
      ['connection-count', 'fail', 'At most 7 connections were open at once (0 at the end), 14 expected (2 symbols × 7).'],
    ]);
    expect(fewer.summary.expected).toEqual({ connections: 14, symbols: 2, perSymbol: 7 });
    const more = await analyze('clean-shutdown.expected.json', { expect: 5 });
    expect(more.anomalies.map((a) => [a.code, a.severity])).toEqual([['connection-count', 'warn']]);
    expect((await analyze('clean-shutdown.expected.json', { symbols: 1 })).anomalies).toEqual([]);
  });
});

describe('the capture-wide view', () => {
  it('server-close-reconnect: 7 reconnects, close → new SYN about the 300 ms the agent waits', async () => {
    const r = await analyze('server-close-reconnect.expected.json');
    expect(r.summary.reconnects.count).toBe(7);
    const d = r.summary.reconnects.delayS;
    // Built with --reconnect-delay-ms 300 after the agent saw the close; the TCP close comes first.
    expect(d.min).toBeGreaterThanOrEqual(0.3);
    expect(d.max).toBeLessThan(0.33);
    expect(d.min).toBeLessThanOrEqual(d.median as number);
    expect(r.summary.concurrency.max).toBe(7);
    expect(r.summary.attempts).toEqual({ max: 14, at: r.connections[0].start, windowS: 300, budget: 300 });
    expect(r.summary.hosts).toEqual([{ name: 'fstream.binance.com', source: 'sni', addresses: ['127.0.0.2'], connections: 14 }]);
  });

  it('concurrency: every change, 0 → 7 → 0, the maximum when first reached', async () => {
    const r = await analyze('clean-shutdown.expected.json');
    const c = r.summary.concurrency;
    expect(c.series.map(([, n]) => n)).toEqual([1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(c.series[0][0]).toBe(r.connections[0].start);
    expect(c.max).toBe(7);
    expect(c.maxAt).toBe(r.connections[6].start);
    expect(c.atEnd).toBe(0);
    expect(c.stepS).toBeNull();
    expect(r.summary.symbolsEstimate).toEqual({ established: 0, perSymbol: 7, symbols: 0 });
  });

  it('hosts: the refused and unanswered ports apart from the named server', async () => {
    const r = await analyze('refused-unanswered.expected.json');
    expect(r.summary.hosts).toEqual([
      { name: 'fstream.binance.com', source: 'sni', addresses: ['127.0.0.2'], connections: 7 },
      { name: '127.0.0.2:4443', source: 'address', addresses: ['127.0.0.2:4443'], connections: 3 },
      { name: '127.0.0.2:8443', source: 'address', addresses: ['127.0.0.2:8443'], connections: 3 },
    ]);
  });

  it('streamed rows give the same diagnosis as kept rows', async () => {
    const paths = [join(FIXTURES, 'close-wait.pcap')];
    const kept = await analyzeCaptures(paths, { serverPort: 443, generator: 't' });
    const streamed = await analyzeCaptures(paths, { serverPort: 443, generator: 't', onRow: () => {} });
    expect(streamed.summary).toEqual(kept.summary);
    expect(streamed.anomalies).toEqual(kept.anomalies);
  });
});

describe('names from DNS and the sides of a reset', () => {
  it('dns-names: the host named by the SNI and by the DNS answers; the RST counted on the agent that sent it', async () => {
    const r = await analyze('dns-names.expected.json');
    expect(r.summary.hosts).toEqual([{ name: 'fstream.binance.com', source: 'sni', addresses: ['127.0.0.2'], connections: 8 }]);
    const reset = r.anomalies.find((a) => a.code === 'reset');
    expect(reset?.message).toBe('1 connection ended with a RST (1 from the agent, 0 from the server side).');
    // The agent-reset fixture: all 7 from the agent.
    const agent = await analyze('agent-reset.expected.json');
    expect(agent.anomalies[0].message).toBe('7 connections ended with a RST (7 from the agent, 0 from the server side).');
  });
});

describe('host names without SNI', () => {
  it('a connection without SNI is named by the capture’s DNS answers for its address', async () => {
    const r = await analyze('dns-names.expected.json');
    const facts = r.connections.filter((c) => c.sni === null).map((c) => c.id);
    expect(facts).toEqual(['C1']);
    // All 8 under one host: C1 by DNS (127.0.0.2 ← fstream.binance.com), the rest by SNI.
    expect(r.summary.hosts.map((h) => [h.name, h.connections])).toEqual([['fstream.binance.com', 8]]);
  });
});
