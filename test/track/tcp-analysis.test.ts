/**
 * TCP health per direction (src/track/tcp-analysis.ts): Wireshark's tcp.analysis flags counted
 * per connection and direction, and RTT samples (data → ACK, Karn's rule).
 *
 * Real packets: the fixtures, whose expected files carry tshark's counts, and one connection's
 * RTTs against tshark's tcp.analysis.ack_rtt. Edited real packets: one connection of
 * clean-shutdown.pcap with one thing changed at a time (a segment dropped, sent again, split,
 * a window closed...), each with its exact counts (tshark 4.0.17 gives the same on these edits;
 * test/analyze/tshark-agreement.test.ts compares many more edits with tshark live). Written-out
 * flows: the RTT method's rules, with exact values.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACK, DECODED_TCP, FIN, PSH, SYN, newDecodedPacket } from '../../src/decode/decoded-packet.js';
import { decodeCaptures } from '../../src/analyze/decode-captures.js';
import { finishTracker, forEachConnection, newTracker, trackPacket, type Tracker } from '../../src/track/tracker.js';
import type { Connection } from '../../src/track/connection.js';
import { HEALTH_COUNTERS, newTcpFlowAnalysis, RTT_EXACT_CAP, rttSummary, type TcpFlowAnalysis } from '../../src/track/tcp-analysis.js';
import { FIXTURES, loadExpectations, tempDir } from '../helpers.js';

const COUNTERS = HEALTH_COUNTERS;
type Counts = Partial<Record<(typeof COUNTERS)[number], number>>;

/** The non-zero counters of a flow. */
function counts(flow: TcpFlowAnalysis): Counts {
  const out: Counts = {};
  for (const k of COUNTERS) if (flow[k] !== 0) out[k] = flow[k];
  return out;
}

async function connectionsOf(path: string): Promise<Connection[]> {
  const conns: Connection[] = [];
  const tracker = newTracker({ serverPort: 443, reuseState: false }, (c) => conns.push(c));
  await decodeCaptures([path], (p) => trackPacket(tracker, p));
  finishTracker(tracker);
  return conns.sort((a, b) => a.index - b.index);
}

const scratch = tempDir();
afterAll(() => scratch.cleanup());

// ---------------------------------------------------------------------------------------------
// Real packets

describe('real captures: the counts tshark wrote into the expected files', () => {
  const withHealth = loadExpectations().filter((e) => e.files.length === 1 && 'c2sRetransmissions' in (e.connections[0] ?? {}));
  it('several fixtures carry tshark health counts', () => {
    expect(withHealth.map((e) => e.name)).toEqual(expect.arrayContaining(['close-wait.expected.json', 'lossy.expected.json', 'zero-window.expected.json']));
  });
  for (const exp of withHealth) {
    it(exp.name, async () => {
      const conns = await connectionsOf(join(exp.dir, exp.files[0]));
      const pick = (c: Connection) => ({
        c2sRetransmissions: c.clientFlow.retransmissions,
        s2cRetransmissions: c.serverFlow.retransmissions,
        c2sDupAcks: c.clientFlow.dupAcks,
        s2cDupAcks: c.serverFlow.dupAcks,
        c2sZeroWindows: c.clientFlow.zeroWindows,
        s2cZeroWindows: c.serverFlow.zeroWindows,
        c2sOutOfOrder: c.clientFlow.outOfOrder,
        s2cOutOfOrder: c.serverFlow.outOfOrder,
        c2sLostSegments: c.clientFlow.lostSegments,
        s2cLostSegments: c.serverFlow.lostSegments,
        c2sZeroWindowProbes: c.clientFlow.zeroWindowProbes,
        s2cZeroWindowProbes: c.serverFlow.zeroWindowProbes,
        c2sKeepAlives: c.clientFlow.keepAlives,
        s2cKeepAlives: c.serverFlow.keepAlives,
      });
      const expected = exp.connections.map((c) => {
        const e = c as unknown as Record<string, number>;
        return Object.fromEntries(Object.keys(pick(conns[0])).map((k) => [k, e[k]]));
      });
      expect(conns.map(pick)).toEqual(expected);
    });
  }

  it("close-wait: the server's FIN sent again is a retransmission (tshark's reading: a FIN takes a sequence number)", async () => {
    const conns = await connectionsOf(join(FIXTURES, 'close-wait.pcap'));
    const finRetransmitted = conns.filter((c) => c.serverFlow.retransmissions > 0);
    expect(finRetransmitted.map((c) => counts(c.serverFlow))).toEqual([{ retransmissions: 1 }]);
    expect(conns.every((c) => Object.keys(counts(c.clientFlow)).length === 0)).toBe(true);
  });

  it('refused-unanswered: each SYN sent again is a retransmission of the client', async () => {
    const conns = await connectionsOf(join(FIXTURES, 'refused-unanswered.pcap'));
    const unanswered = conns.filter((c) => c.synAckTime === 0 && !c.server.hasRst);
    expect(unanswered.length).toBeGreaterThan(0);
    for (const c of unanswered) {
      expect(counts(c.clientFlow)).toEqual({ retransmissions: c.client.packets - 1 });
      expect(counts(c.serverFlow)).toEqual({});
    }
  });

  it("clean-shutdown C1: RTT of each direction's data, as tshark's ack_rtt of the ACKs of data segments", async () => {
    // The client's close_notify is acknowledged together with its FIN, by an ACK the FIN
    // triggered: no sample (tshark gives that ACK's RTT to the FIN, whose sample is not data's).
    const [c1] = await connectionsOf(join(FIXTURES, 'clean-shutdown.pcap'));
    expect(rttSummary(c1.clientFlow)).toEqual({ min: 0.013, median: 2.022, max: 8.939, samples: 4 });
    expect(rttSummary(c1.serverFlow)).toEqual({ min: 0.008, median: 0.021, max: 45.475, samples: 16 });
    expect(counts(c1.clientFlow)).toEqual({});
    expect(counts(c1.serverFlow)).toEqual({});
  });
});

// ---------------------------------------------------------------------------------------------
// Edited real packets: classic pcap, Ethernet, IPv4, little-endian, microseconds.

interface Rec {
  sec: number;
  usec: number;
  data: Buffer;
}

const source = readFileSync(join(FIXTURES, 'clean-shutdown.pcap'));
const header = source.subarray(0, 24);
function records(): Rec[] {
  const out: Rec[] = [];
  for (let at = 24; at + 16 <= source.length; ) {
    const incl = source.readUInt32LE(at + 8);
    out.push({ sec: source.readUInt32LE(at), usec: source.readUInt32LE(at + 4), data: Buffer.from(source.subarray(at + 16, at + 16 + incl)) });
    at += 16 + incl;
  }
  return out;
}
function write(name: string, recs: Rec[]): string {
  const parts: Buffer[] = [header];
  for (const r of recs) {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(r.sec, 0);
    h.writeUInt32LE(r.usec, 4);
    h.writeUInt32LE(r.data.length, 8);
    h.writeUInt32LE(r.data.length, 12);
    parts.push(h, r.data);
  }
  const path = join(scratch.dir, name);
  writeFileSync(path, Buffer.concat(parts));
  return path;
}
const TCP = 34; // Ethernet 14 + IPv4 20 (loopback captures carry no IP options)
const sport = (r: Rec): number => r.data.readUInt16BE(TCP);
const dport = (r: Rec): number => r.data.readUInt16BE(TCP + 2);
const seqOf = (r: Rec): number => r.data.readUInt32BE(TCP + 4);
const ackOf = (r: Rec): number => r.data.readUInt32BE(TCP + 8);
const flagsOf = (r: Rec): number => r.data[TCP + 13];
const len = (r: Rec): number => r.data.readUInt16BE(16) - 20 - (r.data[TCP + 12] >> 4) * 4;
const isPureAck = (r: Rec): boolean => len(r) === 0 && (flagsOf(r) & (SYN | FIN | 0x04)) === 0;
/**
 * A copy of r: `dt` µs later than r (or than `after`), with another sequence number or window,
 * or only payload bytes [skip, skip + keep) (the IP length and the sequence number follow).
 */
function edited(r: Rec, edit: { dt?: number; after?: Rec; seq?: number; window?: number; keep?: number; skip?: number }): Rec {
  const base = edit.after ?? r;
  const us = base.usec + (edit.dt ?? 0);
  const c: Rec = { sec: base.sec + Math.floor(us / 1e6), usec: ((us % 1e6) + 1e6) % 1e6, data: Buffer.from(r.data) };
  if (edit.skip !== undefined || edit.keep !== undefined) {
    const skip = edit.skip ?? 0;
    const keep = edit.keep ?? len(r) - skip;
    const head = TCP + (r.data[TCP + 12] >> 4) * 4;
    c.data = Buffer.concat([r.data.subarray(0, head), r.data.subarray(head + skip, head + skip + keep)]);
    c.data.writeUInt16BE(r.data.readUInt16BE(16) - (len(r) - keep), 16);
    c.data.writeUInt32BE((seqOf(r) + skip) >>> 0, TCP + 4);
  }
  if (edit.seq !== undefined) c.data.writeUInt32BE(edit.seq >>> 0, TCP + 4);
  if (edit.window !== undefined) c.data.writeUInt16BE(edit.window, TCP + 14);
  return c;
}

/**
 * clean-shutdown's first connection alone: the packets, the server's data segments during the
 * kline phase that follow a client ACK acknowledging exactly up to them (the client idle), and
 * helpers to find a segment's neighbours.
 */
function c1() {
  const all = records();
  const client = sport(all[0]);
  const recs = all.filter((r) => sport(r) === client || dport(r) === client);
  const fromServer = (r: Rec): boolean => sport(r) === 443;
  const lastClientBefore = (i: number): number => {
    let j = i - 1;
    while (j >= 0 && fromServer(recs[j])) j--;
    return j;
  };
  // Server data segments right after the client's pure ACK of everything before them.
  const klines = recs.flatMap((r, i) => {
    if (!fromServer(r) || len(r) < 100 || (flagsOf(r) & FIN) !== 0) return [];
    const j = lastClientBefore(i);
    return j === i - 1 && isPureAck(recs[j]) && ackOf(recs[j]) === seqOf(r) ? [i] : [];
  });
  return { recs, klines, lastClientBefore };
}

async function analyzeEdit(name: string, recs: Rec[]): Promise<{ client: Counts; server: Counts; conn: Connection }> {
  const conns = await connectionsOf(write(name, recs));
  expect(conns).toHaveLength(1);
  return { client: counts(conns[0].clientFlow), server: counts(conns[0].serverFlow), conn: conns[0] };
}

describe('edited real packets: one change at a time, exact counts', () => {
  it('unchanged: nothing to count', async () => {
    const { recs } = c1();
    expect(await analyzeEdit('c1.pcap', recs)).toMatchObject({ client: {}, server: {} });
  });

  it('a server segment lost before the capture point: the next one is a lost segment (previous segment not captured)', async () => {
    const { recs, klines } = c1();
    recs.splice(klines[2], 1);
    expect(await analyzeEdit('lost.pcap', recs)).toMatchObject({ client: {}, server: { lostSegments: 1 } });
  });

  it('a server segment sent again 5 ms later, before its ACK: a retransmission (not out of order: 5 ms is past the initial RTT)', async () => {
    const { recs, klines } = c1();
    const i = klines[2];
    recs.splice(i + 1, 0, edited(recs[i], { dt: 5000 }));
    expect(await analyzeEdit('retransmission.pcap', recs)).toMatchObject({ client: {}, server: { retransmissions: 1 } });
  });

  it('a server segment sent again 300 ms later, after its ACK: a spurious retransmission (counted in retransmissions too)', async () => {
    const { recs, klines } = c1();
    const i = klines[2];
    const again = edited(recs[i], { dt: 300_000 });
    let j = i + 1;
    while (j < recs.length && recs[j].sec * 1e6 + recs[j].usec < again.sec * 1e6 + again.usec) j++;
    recs.splice(j, 0, again);
    expect(await analyzeEdit('spurious.pcap', recs)).toMatchObject({ client: {}, server: { retransmissions: 1, spuriousRetransmissions: 1 } });
  });

  it('a server segment arriving in two halves, second half first (1 µs apart): lost segment, then out of order', async () => {
    const { recs, klines } = c1();
    const i = klines[2];
    const half = Math.floor(len(recs[i]) / 2);
    const second = edited(recs[i], { skip: half });
    const first = edited(recs[i], { keep: half, dt: 1 });
    recs.splice(i, 1, second, first);
    expect(await analyzeEdit('reordered.pcap', recs)).toMatchObject({ client: {}, server: { lostSegments: 1, outOfOrder: 1 } });
  });

  it("three duplicate ACKs, then the segment again 1 ms later: 3 duplicate ACKs and a fast retransmission", async () => {
    const { recs, klines } = c1();
    const i = klines[2];
    const ack = recs[i - 1];
    const seg = recs[i];
    recs.splice(i + 1, 0, ...[100, 200, 300].map((dt) => edited(ack, { after: seg, dt })), edited(seg, { dt: 1000 }));
    expect(await analyzeEdit('fast.pcap', recs)).toMatchObject({
      client: { dupAcks: 3 },
      server: { retransmissions: 1, fastRetransmissions: 1 },
    });
  });

  it('the same, the segment again 25 ms after the last duplicate ACK: past the 20 ms of a fast retransmission, a plain one', async () => {
    const { recs, klines } = c1();
    const i = klines[2];
    const ack = recs[i - 1];
    const seg = recs[i];
    recs.splice(i + 1, 0, ...[100, 200, 300].map((dt) => edited(ack, { after: seg, dt })), edited(seg, { dt: 25_300 }));
    expect(await analyzeEdit('slow.pcap', recs)).toMatchObject({ client: { dupAcks: 3 }, server: { retransmissions: 1 } });
  });

  it('three client ACKs advertising window 0: three zero windows, and no duplicate ACK (a zero window never is one)', async () => {
    const { recs, klines } = c1();
    for (const i of klines.slice(2, 5)) recs[i - 1] = edited(recs[i - 1], { window: 0 });
    expect(await analyzeEdit('zero.pcap', recs)).toMatchObject({ client: { zeroWindows: 3 }, server: {} });
  });

  it('1 byte at the next sequence number while the client advertises window 0: a zero-window probe', async () => {
    const { recs, klines } = c1();
    const i = klines[2];
    recs[i - 1] = edited(recs[i - 1], { window: 0 });
    recs.splice(i, 0, edited(recs[i], { keep: 1, dt: -10 }));
    expect(await analyzeEdit('probe.pcap', recs)).toMatchObject({ client: { zeroWindows: 1 }, server: { zeroWindowProbes: 1 } });
  });

  it('a client ACK one sequence number back (no data, and 1 byte): keep-alives, not retransmissions', async () => {
    const { recs, klines } = c1();
    const i = klines[3];
    const ack = recs[i - 1];
    const j = klines[2];
    // Linux's keep-alive (and zero-window probe): no data at snd_una − 1; another with 1 byte.
    recs.splice(i, 0, edited(ack, { seq: seqOf(ack) - 1, dt: 100 }));
    const withByte = edited(recs[j], { keep: 1, seq: seqOf(recs[j]) + len(recs[j]) - 1, dt: 50 });
    recs.splice(j + 1, 0, withByte);
    expect(await analyzeEdit('keepalive.pcap', recs)).toMatchObject({ client: { keepAlives: 1 }, server: { keepAlives: 1 } });
  });

  it('RTT: a segment sent again gives no sample (Karn), the other segments still do', async () => {
    const { recs, klines } = c1();
    const plain = (await analyzeEdit('karn-before.pcap', recs)).conn.serverFlow.rttCount;
    const i = klines[2];
    recs.splice(i + 1, 0, edited(recs[i], { dt: 5 }));
    const after = (await analyzeEdit('karn.pcap', recs)).conn.serverFlow;
    expect(after.rttCount).toBe(plain - 1);
  });
});

// ---------------------------------------------------------------------------------------------
// Written-out flows (client 10.0.0.1:40000, server 10.0.0.2:443), for the RTT method's rules.

interface Step {
  from: 'c' | 's';
  flags?: number;
  seq: number;
  ack?: number;
  len?: number;
  window?: number;
  /** Seconds. */
  t: number;
}

function feed(tracker: Tracker, steps: Step[]): void {
  const p = newDecodedPacket();
  for (const s of steps) {
    const fromClient = s.from === 'c';
    p.status = DECODED_TCP;
    p.ipVersion = 4;
    p.addresses.fill(0);
    p.addresses[3] = fromClient ? 0x0a000001 : 0x0a000002;
    p.addresses[7] = fromClient ? 0x0a000002 : 0x0a000001;
    p.srcPort = fromClient ? 40000 : 443;
    p.dstPort = fromClient ? 443 : 40000;
    p.flags = s.flags ?? ACK;
    p.seq = s.seq >>> 0;
    p.ack = (s.ack ?? 0) >>> 0;
    p.window = s.window ?? 1000;
    p.payloadLength = s.len ?? 0;
    p.time = s.t;
    trackPacket(tracker, p);
  }
}

/** Handshake at t0 (client ISN 100, server ISN 5000), then `steps`; the connection's flows. */
function flow(steps: Step[], t0 = 1_700_000_000): Connection {
  const tracker = newTracker({ serverPort: 443 }, () => {});
  feed(tracker, [
    { from: 'c', flags: SYN, seq: 100, t: t0 },
    { from: 's', flags: SYN | ACK, seq: 5000, ack: 101, t: t0 + 0.000_010 },
    { from: 'c', seq: 101, ack: 5001, t: t0 + 0.000_020 },
    ...steps,
  ]);
  let conn: Connection | null = null;
  forEachConnection(tracker, (c) => (conn = c));
  if (conn === null) throw new Error('no connection');
  return conn;
}

const T = 1_700_000_000;

describe('RTT: data → the ACK that covers it, per direction', () => {
  it('no data, no sample: nulls', () => {
    const c = flow([]);
    expect(rttSummary(c.clientFlow)).toEqual({ min: null, median: null, max: null, samples: 0 });
    expect(rttSummary(newTcpFlowAnalysis())).toEqual({ min: null, median: null, max: null, samples: 0 });
  });

  it('one segment, one ACK: one sample, in ms rounded to the µs', () => {
    const c = flow([
      { from: 's', flags: PSH | ACK, seq: 5001, ack: 101, len: 300, t: T + 1 },
      { from: 'c', seq: 101, ack: 5301, t: T + 1.012_345_4 },
    ]);
    expect(rttSummary(c.serverFlow)).toEqual({ min: 12.345, median: 12.345, max: 12.345, samples: 1 });
    expect(rttSummary(c.clientFlow).samples).toBe(0);
  });

  it("an ACK short of the segment's end gives no sample; the one that covers it does", () => {
    const c = flow([
      { from: 's', flags: PSH | ACK, seq: 5001, ack: 101, len: 300, t: T + 1 },
      { from: 'c', seq: 101, ack: 5101, t: T + 1.001 },
      { from: 'c', seq: 101, ack: 5301, t: T + 1.004 },
    ]);
    expect(rttSummary(c.serverFlow)).toEqual({ min: 4, median: 4, max: 4, samples: 1 });
  });

  it('Karn: a segment sent again gives no sample, the next new one does', () => {
    const c = flow([
      { from: 's', flags: PSH | ACK, seq: 5001, ack: 101, len: 300, t: T + 1 },
      { from: 's', flags: PSH | ACK, seq: 5001, ack: 101, len: 300, t: T + 1.2 },
      { from: 'c', seq: 101, ack: 5301, t: T + 1.201 },
      { from: 's', flags: PSH | ACK, seq: 5301, ack: 101, len: 100, t: T + 2 },
      { from: 'c', seq: 101, ack: 5401, t: T + 2.003 },
    ]);
    expect(c.serverFlow.retransmissions).toBe(1);
    expect(rttSummary(c.serverFlow)).toEqual({ min: 3, median: 3, max: 3, samples: 1 });
  });

  it('SYN and FIN give no sample, nor does data acknowledged only together with a later FIN', () => {
    const c = flow([
      { from: 's', flags: PSH | ACK, seq: 5001, ack: 101, len: 100, t: T + 1 },
      { from: 'c', seq: 101, ack: 5101, t: T + 1.001 },
      { from: 's', flags: PSH | ACK, seq: 5101, ack: 101, len: 24, t: T + 2 },
      { from: 's', flags: FIN | ACK, seq: 5125, ack: 101, t: T + 2.005 },
      { from: 'c', seq: 101, ack: 5126, t: T + 2.006 },
    ]);
    // The handshake's SYN and SYN-ACK took no sample either: only the first segment's 1 ms.
    expect(rttSummary(c.serverFlow)).toEqual({ min: 1, median: 1, max: 1, samples: 1 });
    expect(rttSummary(c.clientFlow).samples).toBe(0);
  });

  it('a cumulative ACK of two segments: one sample, from the later one', () => {
    const c = flow([
      { from: 's', flags: PSH | ACK, seq: 5001, ack: 101, len: 100, t: T + 1 },
      { from: 's', flags: PSH | ACK, seq: 5101, ack: 101, len: 100, t: T + 1.002 },
      { from: 'c', seq: 101, ack: 5201, t: T + 1.005 },
    ]);
    expect(rttSummary(c.serverFlow)).toEqual({ min: 3, median: 3, max: 3, samples: 1 });
  });

  it('three segments in flight: the first is timed, the newest takes the second slot; each ACK samples what it covers', () => {
    const c = flow([
      { from: 's', flags: PSH | ACK, seq: 5001, ack: 101, len: 100, t: T + 1 },
      { from: 's', flags: PSH | ACK, seq: 5101, ack: 101, len: 100, t: T + 1.001 },
      { from: 's', flags: PSH | ACK, seq: 5201, ack: 101, len: 100, t: T + 1.002 },
      { from: 'c', seq: 101, ack: 5101, t: T + 1.010 }, // covers the first: 10 ms
      { from: 'c', seq: 101, ack: 5201, t: T + 1.011 }, // the second was not kept: nothing
      { from: 'c', seq: 101, ack: 5301, t: T + 1.012 }, // covers the third: 10 ms
    ]);
    expect(rttSummary(c.serverFlow)).toEqual({ min: 10, median: 10, max: 10, samples: 2 });
  });

  it('median of an even number of samples: the mean of the middle two; a capture going back in time gives none', () => {
    const rtts = [0.004, 0.001, 0.002, 0.010];
    const steps: Step[] = [];
    let seq = 101;
    rtts.forEach((rtt, k) => {
      steps.push({ from: 'c', flags: PSH | ACK, seq, ack: 5001, len: 10, t: T + 1 + k });
      seq += 10;
      steps.push({ from: 's', seq: 5001, ack: seq, t: T + 1 + k + rtt });
    });
    steps.push({ from: 'c', flags: PSH | ACK, seq, ack: 5001, len: 10, t: T + 10 });
    steps.push({ from: 's', seq: 5001, ack: seq + 10, t: T + 9 });
    const c = flow(steps);
    expect(rttSummary(c.clientFlow)).toEqual({ min: 1, median: 3, max: 10, samples: 4 });
  });

  it(`beyond ${RTT_EXACT_CAP} samples the median comes from 1/32-octave buckets (within 1.1 %); min and max stay exact`, () => {
    const steps: Step[] = [];
    let seq = 101;
    // 1001 samples: 1 µs, 2 µs, ... 1001 µs, in a shuffled order; the exact median is 501 µs.
    const order = Array.from({ length: 1001 }, (_, k) => ((k * 389) % 1001) + 1);
    order.forEach((us, k) => {
      steps.push({ from: 'c', flags: PSH | ACK, seq, ack: 5001, len: 10, t: T + 1 + k * 0.01 });
      seq += 10;
      steps.push({ from: 's', seq: 5001, ack: seq, t: T + 1 + k * 0.01 + us / 1e6 });
    });
    const summary = rttSummary(flow(steps).clientFlow);
    expect(summary.samples).toBe(1001);
    expect(summary.min).toBe(0.001);
    expect(summary.max).toBe(1.001);
    expect(Math.abs((summary.median as number) - 0.501) / 0.501).toBeLessThan(0.011);
    // Exactly: the geometric middle of the bucket holding 501 µs, rounded to the µs.
    expect(summary.median).toBe(Math.round(Math.pow(2, (Math.floor(Math.log2(501) * 32) + 0.5) / 32)) / 1e3);
  });
});

describe('flags and rules beyond the fixtures', () => {
  it('an ACK of data never seen, then data sent again at the ACK the peer repeats: fast (the peer\'s duplicate-ACK count is 2^32 − 1 in tshark)', () => {
    const c = flow([
      { from: 'c', flags: PSH | ACK, seq: 101, ack: 5001, len: 100, t: T + 1 },
      { from: 's', flags: PSH | ACK, seq: 5001, ack: 101, len: 100, t: T + 1.01 },
      // The client acknowledges 200 server bytes, 100 of which were never seen.
      { from: 'c', seq: 201, ack: 5201, t: T + 1.011 },
      { from: 'c', flags: PSH | ACK, seq: 101, ack: 5201, len: 100, t: T + 1.015 },
    ]);
    expect(counts(c.clientFlow)).toEqual({ retransmissions: 1, fastRetransmissions: 1 });
  });

  it('a SYN sent again with the first ISN moves nextseq back to the last seen without a hole: later data is a lost segment', () => {
    const c = flow([
      { from: 'c', flags: PSH | ACK, seq: 101, ack: 5001, len: 100, t: T + 1 },
      { from: 'c', flags: PSH | ACK, seq: 301, ack: 5001, len: 100, t: T + 1.1 },
      { from: 'c', flags: SYN, seq: 100, t: T + 2 },
      { from: 'c', flags: PSH | ACK, seq: 401, ack: 5001, len: 100, t: T + 3 },
    ]);
    expect(counts(c.clientFlow)).toEqual({ lostSegments: 2, retransmissions: 1 });
  });

  it('the window of a SYN-less zero is counted; SYN, FIN and RST never are zero windows', () => {
    const c = flow([
      { from: 's', seq: 5001, ack: 101, window: 0, t: T + 1 },
      { from: 's', flags: FIN | ACK, seq: 5001, ack: 101, window: 0, t: T + 2 },
    ]);
    expect(counts(c.serverFlow)).toEqual({ zeroWindows: 1 });
  });

  it("a keep-alive's ACK is not a duplicate ACK; after the client's next ACK (itself a duplicate), the same ACK is", () => {
    const c = flow([
      { from: 'c', seq: 100, ack: 5001, t: T + 10 }, // keep-alive: nextseq − 1
      { from: 's', seq: 5001, ack: 101, t: T + 10.001 }, // its ACK: repeats the server's last
      { from: 's', seq: 5001, ack: 101, t: T + 10.002 }, // the client's last is still the keep-alive
      { from: 'c', seq: 101, ack: 5001, t: T + 10.003 }, // same ACK and window as the keep-alive
      { from: 's', seq: 5001, ack: 101, t: T + 10.004 }, // now a duplicate ACK
    ]);
    expect(counts(c.clientFlow)).toEqual({ keepAlives: 1, dupAcks: 1 });
    expect(counts(c.serverFlow)).toEqual({ dupAcks: 1 });
  });
});
