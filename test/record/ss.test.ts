/**
 * The ss parser on real `ss` output recorded on loopback (test/fixtures-ss/, made by its record.mjs:
 * see the README there), on hand-written edge cases, and running the installed ss.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';
import { SsError, filterSockets, normalizeIp, parseSocketAddress, parseSs, snapshotSockets, type SocketEntry } from '../../src/record/ss.js';

const DIR = join(ROOT, 'test', 'fixtures-ss');
const fixture = (name: string): string => readFileSync(join(DIR, name), 'utf8');

// From test/fixtures-ss/meta.json.
const MAIN = 33999;
const IPV6 = 45981;
const MAPPED = 36677;
const SYN = 37587;
const AGENT = 17533;
const SERVER = 17481;
const SLEEP = 17560;

const tuple = (e: SocketEntry): string => `${e.state} ${e.local.ip}:${e.local.port} ${e.peer.ip}:${e.peer.port}`;
const stateCounts = (entries: SocketEntry[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const e of entries) out[e.state] = (out[e.state] ?? 0) + 1;
  return out;
};

describe('parseSs on recorded ss -tnpioH state connected', () => {
  const entries = parseSs(fixture('connected.txt'));
  const find = (localPort: number, peerPort: number): SocketEntry => {
    const e = entries.find((x) => x.local.port === localPort && x.peer.port === peerPort);
    if (!e) throw new Error(`no socket ${localPort} -> ${peerPort}`);
    return e;
  };

  it('finds every socket, with the states ss printed', () => {
    expect(entries).toHaveLength(27);
    expect(stateCounts(entries)).toEqual({ ESTAB: 20, 'SYN-SENT': 2, 'CLOSE-WAIT': 2, 'FIN-WAIT-2': 2, 'TIME-WAIT': 1 });
    // Every socket line of the file became one entry (info lines are not entries).
    const socketLines = fixture('connected.txt').split('\n').filter((l) => /^[A-Z]/.test(l));
    expect(socketLines).toHaveLength(27);
  });

  it('an agent connection: addresses, process, keepalive timer, -i counters', () => {
    expect(find(47288, MAIN)).toEqual({
      state: 'ESTAB',
      recvQ: 0,
      sendQ: 0,
      local: { ip: '127.0.0.1', port: 47288 },
      peer: { ip: '127.0.0.3', port: MAIN },
      processes: [{ command: 'data_agent', pid: AGENT, fd: 18 }],
      timer: 'keepalive,59sec,0',
      info: { rttMs: 0.027, bytesSent: 5, bytesReceived: 100, lastRcvMs: 724, lastSndMs: 704 },
    });
  });

  it('the server side of a connection, no timer', () => {
    expect(find(MAIN, 47284)).toEqual({
      state: 'ESTAB',
      recvQ: 0,
      sendQ: 0,
      local: { ip: '127.0.0.3', port: MAIN },
      peer: { ip: '127.0.0.1', port: 47284 },
      processes: [{ command: 'node', pid: SERVER, fd: 26 }],
      timer: null,
      info: { rttMs: 0.021, bytesSent: 100, bytesReceived: 5, lastRcvMs: 740, lastSndMs: 740 },
    });
  });

  it('CLOSE-WAIT and FIN-WAIT-2 on the agent side', () => {
    expect(find(47336, MAIN)).toMatchObject({ state: 'CLOSE-WAIT', processes: [{ command: 'data_agent', pid: AGENT, fd: 21 }], timer: null });
    expect(find(47336, MAIN).info).toEqual({ rttMs: 0.01, bytesSent: 6, bytesReceived: 101, lastRcvMs: 720, lastSndMs: 704 });
    expect(find(47348, MAIN)).toMatchObject({ state: 'FIN-WAIT-2', processes: [{ command: 'data_agent', pid: AGENT, fd: 22 }] });
    expect(find(47348, MAIN).info.rttMs).toBe(5.413);
  });

  it('TIME-WAIT: no process, a timewait timer, a blank info line → every info field null', () => {
    expect(find(47360, MAIN)).toEqual({
      state: 'TIME-WAIT',
      recvQ: 0,
      sendQ: 0,
      local: { ip: '127.0.0.1', port: 47360 },
      peer: { ip: '127.0.0.3', port: MAIN },
      processes: [],
      timer: 'timewait,59sec,0',
      info: { rttMs: null, bytesSent: null, bytesReceived: null, lastRcvMs: null, lastSndMs: null },
    });
  });

  it('SYN-SENT: send queue 1, retransmit timer, no rtt sample; ss omits zero counters → 0', () => {
    expect(find(40670, SYN)).toEqual({
      state: 'SYN-SENT',
      recvQ: 0,
      sendQ: 1,
      local: { ip: '127.0.0.1', port: 40670 },
      peer: { ip: '127.0.0.4', port: SYN },
      processes: [{ command: 'data_agent', pid: AGENT, fd: 28 }],
      timer: 'on,292ms,0',
      info: { rttMs: null, bytesSent: 0, bytesReceived: 0, lastRcvMs: 1561780, lastSndMs: 1561780 },
    });
    // Accepted into the listen queue, never accept()ed: ESTAB with no process on the server side.
    expect(find(SYN, 40656)).toMatchObject({ state: 'ESTAB', processes: [] });
  });

  it('a socket shared by two processes lists both, in ss order', () => {
    expect(find(47372, MAIN).processes).toEqual([
      { command: 'sleep', pid: SLEEP, fd: 3 },
      { command: 'data_agent', pid: AGENT, fd: 24 },
    ]);
  });

  it('IPv6 in brackets, and IPv4-mapped IPv6 given in IPv4 form', () => {
    expect(find(35460, IPV6)).toMatchObject({
      local: { ip: '::1', port: 35460 },
      peer: { ip: '::1', port: IPV6 },
      processes: [{ command: 'data_agent', pid: AGENT, fd: 25 }],
      timer: 'keepalive,59sec,0',
    });
    // ss printed [::ffff:127.0.0.1]:52336 [::ffff:127.0.0.3]:36677.
    expect(find(52336, MAPPED)).toMatchObject({
      local: { ip: '127.0.0.1', port: 52336 },
      peer: { ip: '127.0.0.3', port: MAPPED },
      processes: [{ command: 'data_agent', pid: AGENT, fd: 26 }],
    });
    expect(fixture('connected.txt')).toContain('[::ffff:127.0.0.1]:52336 [::ffff:127.0.0.3]:36677');
  });

  it('hostile process names: kept raw, even a newline that splits the line', () => {
    // ss cut the name a"b)c(d at its first ')'.
    expect(find(47284, MAIN).processes).toEqual([{ command: 'a"b', pid: 17534, fd: 18 }]);
    expect(find(47384, MAIN).processes).toEqual([{ command: 'x\u001b[31my\tz\nw', pid: 17535, fd: 18 }]);
    expect(find(47388, MAIN).processes).toEqual([{ command: 'e\n\tf', pid: 17536, fd: 18 }]);
    // The lines after a split name are still read: its info line and the next socket.
    expect(find(47388, MAIN).info).toEqual({ rttMs: 0.028, bytesSent: 5, bytesReceived: 100, lastRcvMs: 624, lastSndMs: 624 });
  });
});

describe('parseSs on the other recorded forms', () => {
  const connected = parseSs(fixture('connected.txt'));

  it('with the header line: the same sockets', () => {
    const withHeader = parseSs(fixture('connected-header.txt'));
    expect(fixture('connected-header.txt').startsWith('State')).toBe(true);
    expect(withHeader.map(tuple).sort()).toEqual(connected.map(tuple).sort());
    expect(withHeader.map((e) => e.processes)).toEqual(connected.map((e) => e.processes));
  });

  it('state established drops the State column: the state comes from the option', () => {
    const estab = parseSs(fixture('established.txt'), { state: 'established' });
    expect(estab).toHaveLength(20);
    expect(new Set(estab.map((e) => e.state))).toEqual(new Set(['ESTAB']));
    expect(estab.map(tuple).sort()).toEqual(connected.filter((e) => e.state === 'ESTAB').map(tuple).sort());
    // The split hostile name whose second line starts with a tab (like an info line) is still joined.
    expect(estab.find((e) => e.local.port === 47388)?.processes).toEqual([{ command: 'e\n\tf', pid: 17536, fd: 18 }]);
    expect(parseSs(fixture('established.txt'))[0].state).toBe('UNKNOWN');
    expect(parseSs(fixture('established.txt'), { state: 'ESTAB' })[0].state).toBe('ESTAB');
  });

  it('plain ss -tnpioH (default states) leaves out TIME-WAIT', () => {
    const plain = parseSs(fixture('default-states.txt'));
    expect(plain).toHaveLength(26);
    expect(plain.map(tuple).sort()).toEqual(connected.filter((e) => e.state !== 'TIME-WAIT').map(tuple).sort());
  });

  it('ss -tnH: no processes, timers or info', () => {
    const bare = parseSs(fixture('plain-tn.txt'));
    expect(bare.map(tuple).sort()).toEqual(connected.map(tuple).sort());
    for (const e of bare) {
      expect(e.processes).toEqual([]);
      expect(e.timer).toBeNull();
      expect(e.info).toEqual({ rttMs: null, bytesSent: null, bytesReceived: null, lastRcvMs: null, lastSndMs: null });
    }
  });
});

describe('parseSs edge cases (hand-written lines in ss format)', () => {
  const info = '\t cubic wscale:7,7 rto:204 rtt:0.05/0.025 ato:40 bytes_sent:759 bytes_acked:760 bytes_received:5092 lastsnd:10 lastrcv:20 lastack:20';

  it('the example from the brief', () => {
    const [e] = parseSs(`ESTAB 0 0 127.0.0.1:53534 127.0.0.2:443 users:(("node",pid=1234,fd=21)) timer:(keepalive,1min50sec,0)\n${info}\n`);
    expect(e).toEqual({
      state: 'ESTAB',
      recvQ: 0,
      sendQ: 0,
      local: { ip: '127.0.0.1', port: 53534 },
      peer: { ip: '127.0.0.2', port: 443 },
      processes: [{ command: 'node', pid: 1234, fd: 21 }],
      timer: 'keepalive,1min50sec,0',
      info: { rttMs: 0.05, bytesSent: 759, bytesReceived: 5092, lastRcvMs: 20, lastSndMs: 10 },
    });
  });

  it('IPv6 forms: full, scope after the bracket, scope inside, mapped, old unbracketed', () => {
    const out = parseSs(
      [
        'ESTAB 0 0 [2001:db8::10]:40000 [2001:0DB8:0:0:0:0:0:1]:443',
        'ESTAB 0 0 [fe80::1]%eth0:22 [fe80::2]%eth0:50000',
        'ESTAB 0 0 [fe80::1%eth0]:22 [fe80::3%eth0]:50001',
        'ESTAB 5 7 [::ffff:10.0.0.2]:40001 [::ffff:13.112.1.2]:443',
        'ESTAB 0 0 ::ffff:10.0.0.2:40002 ::ffff:13.112.1.3:443',
        'ESTAB 0 0 10.0.0.2%eth0:40003 13.112.1.4:443',
      ].join('\n'),
    );
    expect(out.map((e) => [e.local, e.peer])).toEqual([
      [{ ip: '2001:db8::10', port: 40000 }, { ip: '2001:db8::1', port: 443 }],
      [{ ip: 'fe80::1', port: 22 }, { ip: 'fe80::2', port: 50000 }],
      [{ ip: 'fe80::1', port: 22 }, { ip: 'fe80::3', port: 50001 }],
      [{ ip: '10.0.0.2', port: 40001 }, { ip: '13.112.1.2', port: 443 }],
      [{ ip: '10.0.0.2', port: 40002 }, { ip: '13.112.1.3', port: 443 }],
      [{ ip: '10.0.0.2', port: 40003 }, { ip: '13.112.1.4', port: 443 }],
    ]);
    expect(out[3]).toMatchObject({ recvQ: 5, sendQ: 7 });
  });

  it('several users, no users', () => {
    const out = parseSs(
      'ESTAB 0 0 10.0.0.2:1 13.112.1.2:443 users:(("a",pid=1,fd=3),("b",pid=2,fd=4),("c c",pid=3,fd=5))\n' +
        'LAST-ACK 0 1 10.0.0.2:2 13.112.1.2:443\n',
    );
    expect(out[0].processes).toEqual([
      { command: 'a', pid: 1, fd: 3 },
      { command: 'b', pid: 2, fd: 4 },
      { command: 'c c', pid: 3, fd: 5 },
    ]);
    expect(out[1]).toMatchObject({ state: 'LAST-ACK', processes: [], timer: null });
  });

  it('hostile names (hand-written: current ss cuts names at the first ")"; others may not)', () => {
    const out = parseSs(
      [
        // Quotes, a parenthesis, an escape sequence and DEL in one name.
        'ESTAB 0 0 10.0.0.2:1 13.112.1.2:443 users:(("x")(\u001b[2J\u007f",pid=11,fd=3)) timer:(keepalive,9sec,0)',
        // A name that looks like the end of the users field and the start of a timer.
        'ESTAB 0 0 10.0.0.2:2 13.112.1.2:443 users:(("a)) timer:(x",pid=12,fd=4))',
        // A name with a newline followed by something that looks like a socket line's start.
        'ESTAB 0 0 10.0.0.2:3 13.112.1.2:443 users:(("a',
        'ESTAB 0 0",pid=13,fd=5)) timer:(on,200ms,1)',
        info,
        // A users field that never ends: no process, and the next lines are still read.
        'ESTAB 0 0 10.0.0.2:4 13.112.1.2:443 users:(("broken',
        info,
        'CLOSE-WAIT 1 0 10.0.0.2:5 13.112.1.2:443 users:(("ok",pid=14,fd=6))',
      ].join('\n'),
    );
    expect(out.map((e) => e.processes)).toEqual([
      [{ command: 'x")(\u001b[2J\u007f', pid: 11, fd: 3 }],
      [{ command: 'a)) timer:(x', pid: 12, fd: 4 }],
      [{ command: 'a\nESTAB 0 0', pid: 13, fd: 5 }],
      [],
      [{ command: 'ok', pid: 14, fd: 6 }],
    ]);
    expect(out.map((e) => e.timer)).toEqual(['keepalive,9sec,0', null, 'on,200ms,1', null, null]);
    expect(out[2].info.bytesSent).toBe(759);
    expect(out[3].info.bytesReceived).toBe(5092);
    expect(out[4]).toMatchObject({ state: 'CLOSE-WAIT', recvQ: 1, local: { ip: '10.0.0.2', port: 5 } });
  });

  it('skips headers, blank and foreign lines; an info line without a socket line', () => {
    const out = parseSs(
      [
        'State Recv-Q Send-Q Local Address:Port Peer Address:Port Process',
        '',
        info,
        'Netid State whatever',
        'ESTAB 0 0 not-an-address 13.112.1.2:443',
        'ESTAB 0 0 10.0.0.2:1 13.112.1.2:443',
      ].join('\n'),
    );
    expect(out.map(tuple)).toEqual(['ESTAB 10.0.0.2:1 13.112.1.2:443']);
    expect(parseSs('')).toEqual([]);
  });

  it('addresses: *:* and normalisation', () => {
    expect(parseSocketAddress('*:*')).toEqual({ ip: '*', port: 0 });
    expect(parseSocketAddress('0.0.0.0:99999')).toBeNull();
    expect(parseSocketAddress('nonsense')).toBeNull();
    expect(normalizeIp('0:0:0:0:0:ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(normalizeIp('::FFFF:0102:0304')).toBe('1.2.3.4');
    expect(normalizeIp('[::ffff:1.2.3.4]')).toBe('1.2.3.4');
    expect(normalizeIp('FE80:0:0:0:0:0:0:1')).toBe('fe80::1');
    expect(normalizeIp('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(normalizeIp('2001:db8::1%eth0')).toBe('2001:db8::1');
    expect(normalizeIp('13.112.1.2')).toBe('13.112.1.2');
  });
});

describe('filterSockets', () => {
  const entries = parseSs(fixture('connected.txt'));

  it('by peer address and port', () => {
    const main = filterSockets(entries, { addresses: new Set(['127.0.0.3']), port: MAIN });
    expect(main).toHaveLength(10);
    expect(main.every((e) => e.peer.ip === '127.0.0.3' && e.peer.port === MAIN)).toBe(true);
    // The mapped connection matches its IPv4 form, whichever way the address is written.
    expect(filterSockets(entries, { addresses: new Set(['::ffff:127.0.0.3']), port: MAPPED })).toHaveLength(1);
    expect(filterSockets(entries, { addresses: new Set(['0:0:0:0:0:0:0:1']), port: IPV6 })).toHaveLength(1);
  });

  it('any address, any port, by pid', () => {
    expect(filterSockets(entries, { addresses: null, port: null })).toHaveLength(27);
    expect(filterSockets(entries, { addresses: null, port: SYN })).toHaveLength(3);
    const agent = filterSockets(entries, { addresses: null, port: null, pid: AGENT });
    expect(agent).toHaveLength(11);
    expect(filterSockets(entries, { addresses: new Set(['127.0.0.3']), port: MAIN, pid: SLEEP }).map((e) => e.local.port)).toEqual([47372]);
  });
});

describe('snapshotSockets (the installed ss)', () => {
  it('runs ss and parses its output', async () => {
    const before = Date.now() / 1000;
    const snap = await snapshotSockets();
    expect(snap.at).toBeGreaterThanOrEqual(Math.floor(before * 1000) / 1000);
    expect(snap.at).toBeLessThanOrEqual(Date.now() / 1000);
    expect(Array.isArray(snap.sockets)).toBe(true);
  });

  it('a missing ss: an error that says to install iproute2', async () => {
    const err = await snapshotSockets({ ssPath: '/nonexistent/ss' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SsError);
    expect((err as SsError).missing).toBe(true);
    expect((err as SsError).message).toContain('install iproute2');
  });

  it('an ss that fails: an error that is not "missing"', async () => {
    const err = await snapshotSockets({ ssPath: 'false' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SsError);
    expect((err as SsError).missing).toBe(false);
  });
});
