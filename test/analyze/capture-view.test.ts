/**
 * The capture-wide rules on made-up connection facts, for what no fixture can hold: a 24-hour
 * life, hundreds of attempts, thousands of changes in the series. (Facts, not packet bytes: the
 * per-connection values they stand for are tested on real captures elsewhere.)
 */
import { describe, expect, it } from 'vitest';
import { columnsOf, type ConnectionFacts } from '../../src/analyze/diagnosis/facts.js';
import { busiestWindow, concurrency, findReconnects, nameHosts, reconnectReport } from '../../src/analyze/diagnosis/capture-view.js';
import { finishDiagnosis, newDiagnosis, observeFacts, type DiagnosisOptions } from '../../src/analyze/diagnosis/diagnose.js';
import { idRanges } from '../../src/render/text-diagnosis.js';

let next = 1;
function conn(start: number, life: number | null, extra: Partial<ConnectionFacts> = {}): ConnectionFacts {
  const closeAt = life === null ? null : start + life;
  return {
    index: next++,
    start,
    end: closeAt ?? start + 1,
    serverIp: '192.0.2.10',
    serverPort: 443,
    sni: 'fstream.binance.com',
    sniStatus: 'present',
    isAttempt: true,
    isEstablished: true,
    closeKind: life === null ? 'open' : 'fin',
    closeAt,
    closeInitiator: life === null ? null : 'server',
    wsInitiator: life === null ? null : 'server',
    wsCloseFrame: life === null ? null : true,
    isRecordsFollowed: true,
    isUpgraded: true,
    clientState: life === null ? 'ESTAB' : 'TIME-WAIT',
    rstBy: null,
    serverDataRecords: 100,
    maxDataSilenceS: 0.3,
    maxDataSilenceAt: start,
    retransmissions: 0,
    packets: 100,
    clientZeroWindows: 0,
    ...extra,
  };
}

function diagnose(facts: ConnectionFacts[], end: number, options: Partial<DiagnosisOptions> = {}) {
  const d = newDiagnosis(options);
  for (const f of facts) observeFacts(d, f);
  return finishDiagnosis(d, { end, truncatedPackets: 0, snaplen: null, dnsNames: new Map() });
}

describe('24-hour cuts and mass disconnects', () => {
  it('7 connections closed by the server 86,400 s after they opened: a daily mass disconnect, and 24h-cut (info)', () => {
    next = 1;
    const facts = Array.from({ length: 7 }, (_, i) => conn(1000 + i * 0.01, 86_400));
    const { anomalies, summary } = diagnose(facts, 1000 + 86_401);
    expect(anomalies.map((a) => [a.code, a.severity, a.count])).toEqual([
      ['mass-disconnect', 'warn', 7],
      ['24h-cut', 'info', 7],
    ]);
    expect(anomalies[0].message).toBe('7 connections were closed by the server within 60 ms, at about 24 h of age (the daily disconnect).');
    expect(summary.verdict).toBe('warn');
  });

  it('4 server closes in 2 s are not a mass disconnect (default 5); 5 in 2.1 s neither; 5 in 2 s are', () => {
    next = 1;
    const four = [0, 0.5, 1, 1.5].map((t) => conn(t, 100));
    expect(diagnose(four, 200).anomalies).toEqual([]);
    next = 1;
    const spread = [0, 0.5, 1, 1.5, 2.1].map((t) => conn(t, 100));
    expect(diagnose(spread, 200).anomalies).toEqual([]);
    next = 1;
    const five = [0, 0.5, 1, 1.5, 2].map((t) => conn(t, 100));
    expect(diagnose(five, 200).anomalies.map((a) => [a.code, a.connections])).toEqual([['mass-disconnect', ['C1', 'C2', 'C3', 'C4', 'C5']]]);
  });
});

describe('attempts and storms', () => {
  it('301 attempts within 5 minutes: attempt-budget fail; 240: warn; 239: nothing', () => {
    for (const [n, want] of [[301, 'fail'], [240, 'warn'], [239, null]] as const) {
      next = 1;
      // Long-lived connections, opened 0.5 s apart: no storm, no mass disconnect.
      const facts = Array.from({ length: n }, (_, i) => conn(i * 0.5, null));
      const { anomalies, summary } = diagnose(facts, n * 0.5 + 1);
      expect(summary.attempts.max).toBe(n);
      expect(anomalies.map((a) => [a.code, a.severity]), String(n)).toEqual(want === null ? [] : [['attempt-budget', want]]);
    }
  });

  it('20 attempts within a minute that die within 10 s: reconnect-storm (fail); 19: nothing', () => {
    next = 1;
    // Client-side closes (no mass disconnect), each living 3 s.
    const facts = Array.from({ length: 20 }, (_, i) => conn(i * 2, 3, { closeInitiator: 'client', wsInitiator: 'client' }));
    const { anomalies } = diagnose(facts, 100);
    expect(anomalies.map((a) => [a.code, a.severity, a.count])).toEqual([['reconnect-storm', 'fail', 20]]);
    expect(diagnose(facts.slice(0, 19), 100).anomalies).toEqual([]);
  });

  it('reconnects pair each attempt with the earliest unpaired close before it, per host', () => {
    next = 1;
    // Given in an order that is neither creation nor time order: each host's times are sorted.
    const a = conn(0, 10, { closeInitiator: 'client', wsInitiator: 'client' });
    const b = conn(0.1, 10.2, { closeInitiator: 'client', wsInitiator: 'client' });
    const other = conn(1, 9, { sni: 'other.example', closeInitiator: 'client', wsInitiator: 'client' }); // closes at 10
    const a2 = conn(10.5, null);
    const b2 = conn(10.6, null);
    const c = conn(20, null); // nothing left to replace: a new connection
    const other2 = conn(12, null, { sni: 'other.example' }); // replaces other (closed at 10)
    const facts = [b, a, other, b2, c, other2, a2];
    const columns = columnsOf(facts);
    const { hostOf, hosts } = nameHosts(columns, new Map());
    const pairs = findReconnects(columns, hostOf, hosts.length);
    // fstream.binance.com (host 0): a2 replaces a (closed at 10), b2 replaces b (10.3), c nothing;
    // other.example: other2 replaces other, and no fstream attempt takes other's close.
    expect([...pairs.delayS.subarray(0, pairs.count)]).toEqual([0.5, 0.3, 2]);
    expect(reconnectReport(pairs)).toEqual({ count: 3, delayS: { min: 0.3, median: 0.5, max: 2 } });
  });

  it('busiestWindow counts starts within [from, from + window)', () => {
    expect(busiestWindow([0, 1, 2, 300, 300.5], 300)).toEqual({ count: 4, from: 1, firstIndex: 1 });
    expect(busiestWindow([0, 1, 2, 301, 302], 300)).toEqual({ count: 3, from: 0, firstIndex: 0 });
    expect(busiestWindow([], 300)).toEqual({ count: 0, from: 0, firstIndex: 0 });
  });
});

describe('host names', () => {
  it('a connection number that never finished leaves no empty connection behind', () => {
    next = 1;
    const a = conn(0, 10, { closeInitiator: 'client', wsInitiator: 'client' });
    next++; // C2 never finishes
    const b = conn(10.5, null);
    const { summary } = diagnose([b, a], 20);
    expect(summary.hosts).toEqual([{ name: 'fstream.binance.com', source: 'sni', addresses: ['192.0.2.10'], connections: 2 }]);
    expect(summary.reconnects).toEqual({ count: 1, delayS: { min: 0.5, median: 0.5, max: 0.5 } });
  });

  it('SNI first; without one the DNS answers for the address; else the SNI seen at the same address and port; else the address', () => {
    next = 1;
    const facts = [
      conn(0, null, { sni: null, sniStatus: 'absent', serverIp: '192.0.2.10' }), // named by DNS
      conn(1, null, { sni: null, sniStatus: 'cut', serverIp: '192.0.2.20' }), // named by C3's SNI
      conn(2, null, { sni: 'fstream.binance.com', serverIp: '192.0.2.20' }),
      conn(3, null, { sni: null, sniStatus: 'not-seen', serverIp: '192.0.2.30', serverPort: 8443 }), // its address
    ];
    const { names, hostOf, hosts } = nameHosts(columnsOf(facts), new Map([['192.0.2.10', ['fstream.binance.com', 'edge.example']]]));
    expect([...hostOf]).toEqual([0, 0, 0, 1]);
    expect(names).toEqual(['fstream.binance.com', 'fstream.binance.com', 'fstream.binance.com', '192.0.2.30:8443']);
    expect(hosts).toEqual([
      { name: 'fstream.binance.com', source: 'sni', addresses: ['192.0.2.10', '192.0.2.20'], connections: 3 },
      { name: '192.0.2.30:8443', source: 'address', addresses: ['192.0.2.30:8443'], connections: 1 },
    ]);
    const dnsOnly = nameHosts(columnsOf(facts.slice(0, 1)), new Map([['192.0.2.10', ['fstream.binance.com']]]));
    expect(dnsOnly.hosts[0].source).toBe('dns');
  });

  it('hosts with as many connections are in code-unit order, whatever the locale (uppercase before lowercase)', () => {
    next = 1;
    const facts = [
      conn(0, null, { sni: 'alpha.example', serverIp: '192.0.2.1' }),
      conn(1, null, { sni: 'Zeta.example', serverIp: '192.0.2.2' }),
      conn(2, null, { sni: 'beta.example', serverIp: '192.0.2.3' }),
      conn(3, null, { sni: 'beta.example', serverIp: '192.0.2.3' }),
    ];
    // localeCompare would put alpha before Zeta.
    expect(nameHosts(columnsOf(facts), new Map()).hosts.map((h) => h.name)).toEqual(['beta.example', 'Zeta.example', 'alpha.example']);
  });
});

describe('concurrency', () => {
  it('a long capture is bucketed to at most 1,000 points, each the most open in its bucket', () => {
    next = 1;
    // 3,000 short connections one after the other (at most 1 open), plus one that stays open.
    const facts = [conn(0, null), ...Array.from({ length: 3000 }, (_, i) => conn(1 + i, 0.5, { closeInitiator: 'client', wsInitiator: 'client' }))];
    const c = concurrency(facts);
    expect(c.series.length).toBeLessThanOrEqual(1000);
    expect(c.stepS).toBe(3.0005); // the changes span 0 to 3000.5 s
    expect(c.max).toBe(2);
    expect(c.atEnd).toBe(1);
    // Every 3 s bucket holds a moment with 2 open: the bucket's most, not its last value (1).
    expect(new Set(c.series.map(([, n]) => n))).toEqual(new Set([2]));
    expect(c.series[0]).toEqual([0, 2]);
  });

  it('the guide estimate: ESTAB at the end ÷ 7', () => {
    next = 1;
    const facts = Array.from({ length: 10 }, (_, i) => conn(i, null));
    expect(diagnose(facts, 20).summary.symbolsEstimate).toEqual({ established: 10, perSymbol: 7, symbols: 1.43 });
  });
});

describe('idRanges', () => {
  it('writes consecutive ids as ranges and says how many more there are', () => {
    expect(idRanges(['C3', 'C1', 'C2', 'C5', 'C7', 'C8'])).toBe('C1–C3, C5, C7–C8');
    expect(idRanges(['C1', 'C2'], 1200)).toBe('C1–C2 (+1198 more)');
    expect(idRanges(['C1', 'C3', 'C5', 'C7', 'C9', 'C11', 'C13', 'C15'])).toBe('C1, C3, C5, C7, C9, C11, …');
  });
});
