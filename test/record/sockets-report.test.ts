/**
 * The sockets report (the guide's checks) and its text rendering, on the recorded ss fixture
 * (test/fixtures-ss/connected.txt) and on small hand-made snapshots.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';
import { parseSs, type SocketEntry, type SocketSnapshot } from '../../src/record/ss.js';
import { buildSocketsReport, stateMark } from '../../src/record/sockets-report.js';
import { renderSocketsText, shortDuration, shortTimer } from '../../src/render/sockets-text.js';

const recorded: SocketSnapshot = { at: 1700000000.5, sockets: parseSs(readFileSync(join(ROOT, 'test', 'fixtures-ss', 'connected.txt'), 'utf8')) };
const MAIN = 33999;
const AGENT = 17533;

function socket(state: string, localPort: number, peer = '13.112.1.2', extra: Partial<SocketEntry> = {}): SocketEntry {
  return {
    state,
    recvQ: 0,
    sendQ: 0,
    local: { ip: '10.0.0.2', port: localPort },
    peer: { ip: peer, port: 443 },
    processes: [{ command: 'python', pid: 4242, fd: localPort % 100 }],
    timer: null,
    info: { rttMs: 1.5, bytesSent: 100, bytesReceived: 123456, lastRcvMs: 250, lastSndMs: 1000 },
    ...extra,
  };
}

function snapshot(sockets: SocketEntry[]): SocketSnapshot {
  return { at: 1700000000, sockets };
}

const binance = { host: 'fstream.binance.com', addresses: ['13.112.1.2', '13.112.1.3'], port: 443, perSymbol: 7 };

describe('buildSocketsReport on the recorded fixture', () => {
  const report = buildSocketsReport(recorded, { host: 'fstream.binance.com', addresses: ['127.0.0.3'], port: MAIN, perSymbol: 7 });

  it('counts the sockets to the address and port by state, in the fixed order', () => {
    expect(report.at).toBe(1700000000.5);
    expect(report.host).toEqual(['fstream.binance.com']);
    expect(report.addresses).toEqual(['127.0.0.3']);
    expect(report.port).toBe(MAIN);
    expect(report.pid).toBeNull();
    expect(report.total).toBe(10);
    expect(report.byState).toEqual({ ESTAB: 7, 'FIN-WAIT-2': 1, 'TIME-WAIT': 1, 'CLOSE-WAIT': 1 });
    expect(Object.keys(report.byState)).toEqual(['ESTAB', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSE-WAIT']);
  });

  it('health: CLOSE-WAIT fails, FIN-WAIT-2 warns, TIME-WAIT is normal', () => {
    expect(report.health).toBe('fail');
    expect(report.healthReasons.map((r) => [r.level, r.state, r.count])).toEqual([
      ['fail', 'CLOSE-WAIT', 1],
      ['warn', 'FIN-WAIT-2', 1],
    ]);
    expect(report.sockets.map((s) => `${s.state}:${s.mark}`)).toEqual([
      ...Array(7).fill('ESTAB:ok'),
      'FIN-WAIT-2:warn',
      'TIME-WAIT:ok',
      'CLOSE-WAIT:fail',
    ]);
  });

  it('symbols = floor(ESTAB / 7) with the remainder', () => {
    expect(report.perSymbol).toBe(7);
    expect(report.estimatedSymbols).toBe(1);
    expect(report.estimatedSymbolsRemainder).toBe(0);
  });

  it('per process: the agent first, then one each (the shared socket counts for both holders)', () => {
    expect(report.processes).toEqual([
      { pid: AGENT, command: 'data_agent', connections: 6, byState: { ESTAB: 4, 'FIN-WAIT-2': 1, 'CLOSE-WAIT': 1 } },
      { pid: 17534, command: 'a"b', connections: 1, byState: { ESTAB: 1 } },
      { pid: 17535, command: 'x\u001b[31my\tz\nw', connections: 1, byState: { ESTAB: 1 } },
      { pid: 17536, command: 'e\n\tf', connections: 1, byState: { ESTAB: 1 } },
      { pid: 17560, command: 'sleep', connections: 1, byState: { ESTAB: 1 } },
    ]);
    expect(report.unattributed).toBe(1);
    expect(report.otherAddresses).toEqual({ sockets: 0, addresses: [] });
  });

  it('sockets ordered by state, then peer, then local address', () => {
    expect(report.sockets.filter((s) => s.state === 'ESTAB').map((s) => s.local.port)).toEqual([47284, 47288, 47304, 47320, 47372, 47384, 47388]);
  });

  it('--pid: only that process', () => {
    const r = buildSocketsReport(recorded, { host: 'x', addresses: ['127.0.0.3'], port: MAIN, perSymbol: 7, pid: AGENT });
    expect(r.pid).toBe(AGENT);
    expect(r.total).toBe(6);
    expect(r.byState).toEqual({ ESTAB: 4, 'FIN-WAIT-2': 1, 'CLOSE-WAIT': 1 });
    expect(r.unattributed).toBe(0);
  });

  it('addresses are normalised: the mapped connection counts under its IPv4 form', () => {
    const r = buildSocketsReport(recorded, { host: 'x', addresses: ['::ffff:127.0.0.3', '127.0.0.3'], port: 36677, perSymbol: 7 });
    expect(r.addresses).toEqual(['127.0.0.3']);
    expect(r.byState).toEqual({ ESTAB: 1 });
  });

  it('connections on the port at other addresses are pointed out', () => {
    const r = buildSocketsReport(recorded, { host: 'x', addresses: ['127.0.0.9'], port: MAIN, perSymbol: 7 });
    expect(r.total).toBe(0);
    expect(r.byState).toEqual({ ESTAB: 0 });
    expect(r.health).toBe('fail');
    expect(r.healthReasons).toEqual([{ level: 'fail', state: null, count: 0, message: 'no connection at all: is the agent running?' }]);
    expect(r.otherAddresses).toEqual({ sockets: 10, addresses: ['127.0.0.3'] });
  });
});

describe('buildSocketsReport: health and symbols', () => {
  it('ESTAB and TIME-WAIT only: ok', () => {
    const sockets = [...Array.from({ length: 14 }, (_, i) => socket('ESTAB', 40000 + i)), socket('TIME-WAIT', 41000, '13.112.1.3', { processes: [] })];
    const r = buildSocketsReport(snapshot(sockets), binance);
    expect(r.health).toBe('ok');
    expect(r.healthReasons).toEqual([]);
    expect(r.estimatedSymbols).toBe(2);
    expect(r.estimatedSymbolsRemainder).toBe(0);
  });

  it('15 ESTAB → 2 symbols and 1 over; a SYN-SENT warns', () => {
    const sockets = [...Array.from({ length: 15 }, (_, i) => socket('ESTAB', 40000 + i)), socket('SYN-SENT', 41000)];
    const r = buildSocketsReport(snapshot(sockets), binance);
    expect(r.estimatedSymbols).toBe(2);
    expect(r.estimatedSymbolsRemainder).toBe(1);
    expect(r.health).toBe('warn');
    expect(r.healthReasons.map((x) => x.state)).toEqual(['SYN-SENT']);
  });

  it('only SYN-SENT: no ESTAB fails, the SYN-SENT still listed', () => {
    const r = buildSocketsReport(snapshot([socket('SYN-SENT', 40000), socket('SYN-SENT', 40001)]), binance);
    expect(r.health).toBe('fail');
    expect(r.healthReasons.map((x) => [x.level, x.state, x.count])).toEqual([
      ['fail', null, 0],
      ['warn', 'SYN-SENT', 2],
    ]);
    expect(r.healthReasons[0].message).toBe('no ESTAB connection: is the agent connected?');
  });

  it('the guide\'s marks per state', () => {
    expect(['ESTAB', 'TIME-WAIT', 'CLOSE-WAIT', 'SYN-SENT', 'SYN-RECV', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSING', 'LAST-ACK', 'UNKNOWN'].map(stateMark)).toEqual([
      'ok',
      'ok',
      'fail',
      'warn',
      'warn',
      'warn',
      'warn',
      'warn',
      'warn',
      'warn',
    ]);
  });

  it('perSymbol must be a positive integer', () => {
    expect(() => buildSocketsReport(snapshot([]), { ...binance, perSymbol: 0 })).toThrow(RangeError);
  });

  it('the report is plain data: JSON round-trips it', () => {
    const r = buildSocketsReport(recorded, { host: ['a.example', 'b.example'], addresses: ['127.0.0.3'], port: MAIN, perSymbol: 7 });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    expect(r.host).toEqual(['a.example', 'b.example']);
  });
});

describe('renderSocketsText', () => {
  const report = buildSocketsReport(recorded, { host: 'fstream.binance.com', addresses: ['127.0.0.3'], port: MAIN, perSymbol: 7 });
  const maxWidth = (text: string): number => Math.max(...text.split('\n').map((l) => l.length));

  it('fits 100 columns, no escape byte without colour, even with hostile names', () => {
    const text = renderSocketsText(report, { color: false });
    expect(maxWidth(text)).toBeLessThanOrEqual(100);
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain('x\\x1b[31my\\x09z\\x0aw');
    expect(text).toContain('e\\x0a\\x09f');
    expect(text).toContain('a"b');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('says what the guide asks: health, states, symbols, processes, one row per socket', () => {
    const lines = renderSocketsText(report, { color: false }).split('\n');
    expect(lines[0]).toBe('wscap sockets  2023-11-14 22:13:20 UTC');
    expect(lines).toContain('Health    FAIL  1 CLOSE-WAIT: the server closed, the agent did not: it is not closing sockets');
    expect(lines).toContain('          WARN  1 FIN-WAIT-2: closing: waiting for the server to close its side');
    expect(lines).toContain('States    ESTAB 7  FIN-WAIT-2 1  TIME-WAIT 1  CLOSE-WAIT 1  (10 connections)');
    expect(lines).toContain('Symbols   1 (7 ESTAB / 7 per symbol)');
    expect(lines).toContain('   17533      6  ESTAB 4, FIN-WAIT-2 1, CLOSE-WAIT 1  data_agent');
    expect(lines).toContain('       -      1  TIME-WAIT 1                          (no process: TIME-WAIT, or not visible)');
    const rows = lines.filter((l) => /^(ESTAB|FIN-WAIT-2|TIME-WAIT|CLOSE-WAIT) /.test(l));
    expect(rows).toHaveLength(10);
    expect(rows.find((l) => l.includes(':47288 '))).toMatch(/^ESTAB\s+127\.0\.0\.1:47288\s+127\.0\.0\.3\s+17533\s+0\.03\s+5\s+100\s+724ms\s+keep 59s$/);
    expect(lines).toContain('STATE       LOCAL            PEER           PID  RTT ms  SENT  RECV  LAST RCV  TIMER');
    expect(rows.find((l) => l.startsWith('TIME-WAIT'))).toBe('TIME-WAIT   127.0.0.1:47360  127.0.0.3        -       -     -     -         -  tw 59s');
    expect(rows.find((l) => l.includes(':47372 '))).toContain(' 17560+1 ');
  });

  it('a queue column only when some queue is not empty', () => {
    const r = buildSocketsReport(snapshot([socket('ESTAB', 40000, '13.112.1.2', { recvQ: 12, sendQ: 34567 }), socket('ESTAB', 40001)]), binance);
    const lines = renderSocketsText(r, { color: false }).split('\n');
    expect(lines).toContain('STATE  LOCAL           PEER         PID  RTT ms  SENT    RECV  LAST RCV  RECV-Q/SEND-Q');
    expect(lines).toContain('ESTAB  10.0.0.2:40000  13.112.1.2  4242    1.50   100  123.5k     250ms       12/34.6k');
  });

  it('colour when asked: ANSI codes around the verdict and states', () => {
    const text = renderSocketsText(report, { color: true });
    expect(text).toContain('\u001b[31mFAIL\u001b[0m');
    expect(text).toContain('\u001b[32mESTAB');
  });

  it('long IPv6 addresses move to a line of their own and still fit', () => {
    const v6 = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe';
    const sockets = [
      socket('ESTAB', 40000, v6, { local: { ip: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff1', port: 65535 }, timer: 'keepalive,1min50sec,0' }),
    ];
    const r = buildSocketsReport(snapshot(sockets), { ...binance, addresses: [v6] });
    const text = renderSocketsText(r, { color: false });
    expect(maxWidth(text)).toBeLessThanOrEqual(100);
    expect(text).toContain(`[ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff1]:65535 -> [${v6}]:443`);
    expect(text).toContain('keep 1m50s');
  });

  it('many addresses and a long host wrap within 100 columns', () => {
    const addresses = Array.from({ length: 40 }, (_, i) => `2406:da14:${(i + 1).toString(16)}::${(i + 1).toString(16)}`);
    const r = buildSocketsReport(snapshot([]), { host: [`${'a'.repeat(63)}.${'b'.repeat(63)}.example`, 'fstream.binance.com'], addresses, port: 443, perSymbol: 7 });
    const text = renderSocketsText(r, { color: false });
    expect(maxWidth(text)).toBeLessThanOrEqual(100);
    for (const a of addresses) expect(text).toContain(a);
  });

  it('small formatters', () => {
    expect([null, 5, 999, 1000, 12300, 725000, 11520000].map(shortDuration)).toEqual(['-', '5ms', '999ms', '1.0s', '12.3s', '12m05s', '3h12m']);
    expect([null, 'keepalive,1min50sec,0', 'on,292ms,2', 'timewait,45sec,0', 'persist,1.2sec,0'].map(shortTimer)).toEqual([
      '',
      'keep 1m50s',
      'retx 292ms #2',
      'tw 45s',
      'probe 1.2s',
    ]);
  });
});

