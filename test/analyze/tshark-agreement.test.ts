/**
 * Per-connection counts agree with tshark run now on the same file:
 *  - frames per tcp.stream and the sum of tcp.len per direction (the acceptance check, live);
 *  - TCP health per connection and direction: every tcp.analysis flag wscap counts
 *    (src/track/tcp-analysis.ts), on every fixture file, on mutations of real fixtures that have
 *    what the fixtures lack (loss, reordering, duplicate ACKs, fast retransmissions, zero windows,
 *    probes, keep-alives), and the two known differences (docs/TCP-HEALTH.md) asserted exactly.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeCaptures } from '../../src/analyze/analyze-captures.js';
import { decodeCaptures } from '../../src/analyze/decode-captures.js';
import { finishTracker, newTracker, trackPacket } from '../../src/track/tracker.js';
import type { Connection } from '../../src/track/connection.js';
import { HEALTH_COUNTERS, type TcpFlowAnalysis } from '../../src/track/tcp-analysis.js';
import { endpoint, FIXTURES, loadExpectations, tempDir } from '../helpers.js';

/** wscap's health counters (TSHARK_FLAGS maps each to tshark's field). */
const HEALTH_KEYS = HEALTH_COUNTERS;
type HealthKey = (typeof HEALTH_KEYS)[number];
type Health = Record<HealthKey, number>;

/**
 * The tshark fields behind each counter. tshark puts tcp.analysis.retransmission on fast and
 * spurious retransmissions too, so `retransmissions` counts each retransmitted frame once.
 */
const TSHARK_FLAGS: Record<HealthKey, string> = {
  retransmissions: 'tcp.analysis.retransmission',
  fastRetransmissions: 'tcp.analysis.fast_retransmission',
  spuriousRetransmissions: 'tcp.analysis.spurious_retransmission',
  outOfOrder: 'tcp.analysis.out_of_order',
  lostSegments: 'tcp.analysis.lost_segment',
  dupAcks: 'tcp.analysis.duplicate_ack',
  zeroWindows: 'tcp.analysis.zero_window',
  zeroWindowProbes: 'tcp.analysis.zero_window_probe',
  keepAlives: 'tcp.analysis.keep_alive',
};

function noHealth(): Health {
  return {
    retransmissions: 0,
    fastRetransmissions: 0,
    spuriousRetransmissions: 0,
    outOfOrder: 0,
    lostSegments: 0,
    dupAcks: 0,
    zeroWindows: 0,
    zeroWindowProbes: 0,
    keepAlives: 0,
  };
}

interface StreamCounts {
  client: string;
  c2sPackets: number;
  c2sBytes: number;
  s2cPackets: number;
  s2cBytes: number;
  c2s: Health;
  s2c: Health;
}

interface TsharkPacket {
  src: string;
  srcPort: number;
  dstPort: number;
  len: number;
  isPureSyn: boolean;
  isSynAck: boolean;
  /** Which TSHARK_FLAGS the frame carries, as HEALTH_KEYS indexes. */
  flags: number[];
}

/** Per tcp.stream counts, in order of each stream's first frame. */
function tsharkStreams(path: string): StreamCounts[] {
  const fields = ['tcp.stream', 'ip.src', 'ipv6.src', 'tcp.srcport', 'tcp.dstport', 'tcp.len', 'tcp.flags.syn', 'tcp.flags.ack'];
  fields.push(...HEALTH_KEYS.map((k) => TSHARK_FLAGS[k]));
  const out = execFileSync('tshark', ['-n', '-r', path, '-Y', 'tcp', '-T', 'fields', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    timeout: 20_000,
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const streams = new Map<string, TsharkPacket[]>();
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const [stream, ip4, ip6, sport, dport, len, syn, ack, ...marks] = line.split('\t');
    // No stream: tshark could not read the TCP header either ("Packet size limited during capture").
    if (stream === '') continue;
    const isSyn = syn === '1' || syn === 'True';
    const isAck = ack === '1' || ack === 'True';
    const packet: TsharkPacket = {
      src: ip6 ? `[${ip6}]:${sport}` : `${ip4}:${sport}`,
      srcPort: Number(sport),
      dstPort: Number(dport),
      len: Number(len),
      isPureSyn: isSyn && !isAck,
      isSynAck: isSyn && isAck,
      flags: marks.flatMap((m, i) => (m !== '' && m !== undefined ? [i] : [])),
    };
    const list = streams.get(stream);
    if (list) list.push(packet);
    else streams.set(stream, [packet]);
  }
  return [...streams.values()].map((packets) => {
    // Client: the SYN sender; else the receiver of a SYN-ACK; else the side not on port 443.
    const syn = packets.find((p) => p.isPureSyn);
    const synAck = packets.find((p) => p.isSynAck);
    const first = packets[0];
    let client: string;
    if (syn) client = syn.src;
    else if (synAck) client = packets.find((p) => p.src !== synAck.src)?.src ?? '';
    else if (first.srcPort === 443 && first.dstPort !== 443) client = packets.find((p) => p.src !== first.src)?.src ?? '';
    else client = first.src;
    const counts: StreamCounts = { client, c2sPackets: 0, c2sBytes: 0, s2cPackets: 0, s2cBytes: 0, c2s: noHealth(), s2c: noHealth() };
    for (const p of packets) {
      const health = p.src === client ? counts.c2s : counts.s2c;
      if (p.src === client) {
        counts.c2sPackets++;
        counts.c2sBytes += p.len;
      } else {
        counts.s2cPackets++;
        counts.s2cBytes += p.len;
      }
      for (const i of p.flags) health[HEALTH_KEYS[i]]++;
    }
    return counts;
  });
}

function health(flow: TcpFlowAnalysis): Health {
  const h = noHealth();
  for (const k of HEALTH_KEYS) h[k] = flow[k];
  return h;
}

/** wscap's connections (creation order) with the client's endpoint and both directions' health. */
async function wscapHealth(path: string): Promise<{ client: string; c2s: Health; s2c: Health }[]> {
  const conns: Connection[] = [];
  const tracker = newTracker({ serverPort: 443, reuseState: false }, (c) => conns.push(c));
  await decodeCaptures([path], (p) => trackPacket(tracker, p));
  finishTracker(tracker);
  conns.sort((a, b) => a.index - b.index);
  return conns.map((c) => ({
    client: endpoint({ ip: c.clientIp, port: c.clientPort }),
    c2s: health(c.clientFlow),
    s2c: health(c.serverFlow),
  }));
}

function tsharkHealth(path: string): { client: string; c2s: Health; s2c: Health }[] {
  return tsharkStreams(path).map((s) => ({ client: s.client, c2s: s.c2s, s2c: s.s2c }));
}

function total(rows: { c2s: Health; s2c: Health }[], key: HealthKey): number {
  return rows.reduce((sum, r) => sum + r.c2s[key] + r.s2c[key], 0);
}

const singleFile = loadExpectations().filter((e) => e.files.length === 1);

describe('agreement with tshark on every single-file fixture', () => {
  for (const exp of singleFile) {
    it(exp.name, async () => {
      const path = join(exp.dir, exp.files[0]);
      const report = await analyzeCaptures([path], { serverPort: 443, generator: 'wscap test' });
      const ours = report.connections.map((c) => ({
        client: endpoint(c.client),
        c2sPackets: c.client2server.packets,
        c2sBytes: c.client2server.bytes,
        s2cPackets: c.server2client.packets,
        s2cBytes: c.server2client.bytes,
      }));
      expect(ours).toEqual(tsharkStreams(path).map(({ c2s: _c, s2c: _s, ...counts }) => counts));
    });
  }
});

/** Every capture file under fixtures/ and fixtures/formats/ (rotated pieces one by one). */
function captureFiles(): string[] {
  const out: string[] = [];
  for (const dir of [FIXTURES, join(FIXTURES, 'formats')]) {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isFile() && /\.(pcap|pcapng)(\.gz)?$/.test(name)) out.push(path);
    }
  }
  return out;
}

describe('TCP health per connection and direction agrees with tshark on every fixture file', () => {
  for (const path of captureFiles()) {
    it(path.slice(FIXTURES.length + 1), async () => {
      expect(await wscapHealth(path)).toEqual(tsharkHealth(path));
    });
  }

  it('the fixtures exercise retransmissions (SYN, FIN, data), loss, duplicate ACKs, zero windows and keep-alives', async () => {
    const rows = (await Promise.all(captureFiles().map((p) => wscapHealth(p)))).flat();
    for (const key of ['retransmissions', 'lostSegments', 'dupAcks', 'zeroWindows', 'keepAlives'] as const) {
      expect(total(rows, key), key).toBeGreaterThan(0);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Real captures, edited: classic pcap, Ethernet, little-endian (clean-shutdown.pcap, ipv6-clean.pcap).

interface PcapFile {
  header: Buffer;
  /** Fraction units per second: 1e6 (µs) or 1e9 (ns). */
  units: number;
  records: Rec[];
}

interface Rec {
  sec: number;
  frac: number;
  /** The frame (Ethernet onwards). */
  data: Buffer;
}

function readPcap(path: string): PcapFile {
  const buf = readFileSync(path);
  const magic = buf.readUInt32LE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error(`${path}: not a little-endian classic pcap`);
  if (buf.readUInt32LE(20) !== 1) throw new Error(`${path}: not Ethernet`);
  const records: Rec[] = [];
  for (let at = 24; at + 16 <= buf.length; ) {
    const incl = buf.readUInt32LE(at + 8);
    records.push({ sec: buf.readUInt32LE(at), frac: buf.readUInt32LE(at + 4), data: Buffer.from(buf.subarray(at + 16, at + 16 + incl)) });
    at += 16 + incl;
  }
  return { header: Buffer.from(buf.subarray(0, 24)), units: magic === 0xa1b2c3d4 ? 1e6 : 1e9, records };
}

function writePcap(path: string, file: PcapFile): void {
  const parts: Buffer[] = [file.header];
  for (const r of file.records) {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(r.sec, 0);
    h.writeUInt32LE(r.frac, 4);
    h.writeUInt32LE(r.data.length, 8);
    h.writeUInt32LE(r.data.length, 12);
    parts.push(h, r.data);
  }
  writeFileSync(path, Buffer.concat(parts));
}

/** The same capture with nanosecond timestamps (magic a1b23c4d). */
function toNanoseconds(file: PcapFile): PcapFile {
  const header = Buffer.from(file.header);
  header.writeUInt32LE(0xa1b23c4d, 0);
  return { header, units: 1e9, records: file.records.map((r) => ({ ...r, frac: r.frac * 1000 })) };
}

/** Offset of the TCP header in a frame (Ethernet + IPv4 or IPv6 without extension headers). */
function tcpAt(r: Rec): number {
  return (r.data[14] >> 4) === 4 ? 14 + (r.data[14] & 15) * 4 : 14 + 40;
}
function payloadLength(r: Rec): number {
  const t = tcpAt(r);
  const ipPayload = (r.data[14] >> 4) === 4 ? r.data.readUInt16BE(16) - (r.data[14] & 15) * 4 : r.data.readUInt16BE(18);
  return ipPayload - (r.data[t + 12] >> 4) * 4;
}
const srcPort = (r: Rec): number => r.data.readUInt16BE(tcpAt(r));
const tcpFlags = (r: Rec): number => r.data[tcpAt(r) + 13];
const seqOf = (r: Rec): number => r.data.readUInt32BE(tcpAt(r) + 4);
function setSeq(r: Rec, seq: number): void {
  r.data.writeUInt32BE(seq >>> 0, tcpAt(r) + 4);
}
function setWindow(r: Rec, w: number): void {
  r.data.writeUInt16BE(w, tcpAt(r) + 14);
}
const connKey = (r: Rec): string => {
  const t = tcpAt(r);
  return [r.data.readUInt16BE(t), r.data.readUInt16BE(t + 2)].sort().join('-');
};
const isPureAck = (r: Rec): boolean => payloadLength(r) === 0 && (tcpFlags(r) & 0x07) === 0;

function copy(r: Rec): Rec {
  return { sec: r.sec, frac: r.frac, data: Buffer.from(r.data) };
}
/** r moved by `d` fraction units (µs or ns, as the file). */
function shifted(file: PcapFile, r: Rec, d: number): Rec {
  let frac = r.frac + d;
  let sec = r.sec;
  while (frac >= file.units) {
    frac -= file.units;
    sec++;
  }
  while (frac < 0) {
    frac += file.units;
    sec--;
  }
  return { sec, frac, data: Buffer.from(r.data) };
}
/** A copy of r keeping `keep` payload bytes (IP length and capture length follow). */
function shrunk(r: Rec, keep: number): Rec {
  const cut = payloadLength(r) - keep;
  const c = copy(r);
  c.data = c.data.subarray(0, c.data.length - cut);
  if ((c.data[14] >> 4) === 4) c.data.writeUInt16BE(c.data.readUInt16BE(16) - cut, 16);
  else c.data.writeUInt16BE(c.data.readUInt16BE(18) - cut, 18);
  return c;
}
const before = (file: PcapFile, a: Rec, b: Rec): boolean => a.sec < b.sec || (a.sec === b.sec && a.frac <= b.frac);
/** Inserts r at its place in time order at or after index `from`. */
function insertInOrder(file: PcapFile, r: Rec, from: number): void {
  let j = from;
  while (j < file.records.length && before(file, file.records[j], r)) j++;
  file.records.splice(j, 0, r);
}

/** xorshift32: the same mutations on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/**
 * `n` random edits of a real capture, none on a SYN (so connections split as before): drop a
 * packet (loss), send one again 0.5 ms–300 ms later (retransmission, spurious once acknowledged),
 * swap neighbours (reordering), window 0 on one packet or a run (zero window), a pure ACK one
 * sequence number back (keep-alive) and the peer's last ACK after it (keep-alive ACK), three
 * duplicate ACKs then the data again 1–50 ms later (fast retransmission, or not: the 20 ms
 * limit), 1 byte at the next sequence number after the peer's window 0 (zero-window probe), a
 * 1-byte keep-alive, more than one byte from nextseq − 1, timestamps jittered (time going back).
 */
function mutate(file: PcapFile, seed: number, n: number): PcapFile {
  const rnd = prng(seed);
  const out: PcapFile = { header: file.header, units: file.units, records: file.records.map(copy) };
  const recs = out.records;
  const u = out.units / 1e6; // fraction units per µs
  const isSyn = (r: Rec): boolean => (tcpFlags(r) & 0x02) !== 0;
  for (let k = 0; k < n; k++) {
    const i = Math.floor(rnd() * recs.length);
    const op = Math.floor(rnd() * 14);
    if (isSyn(recs[i]) || (i + 1 < recs.length && isSyn(recs[i + 1]))) continue;
    const r = recs[i];
    // The next data packet at or after i, and the last packet the other side sent before it.
    let d = i;
    while (d < recs.length && (payloadLength(recs[d]) < 2 || isSyn(recs[d]))) d++;
    const data = d < recs.length ? recs[d] : null;
    let y = d - 1;
    while (data !== null && y >= 0 && (connKey(recs[y]) !== connKey(data) || srcPort(recs[y]) === srcPort(data))) y--;
    const peer = data !== null && y >= 0 && !isSyn(recs[y]) ? recs[y] : null;
    switch (op) {
      case 0:
        recs.splice(i, 1);
        break;
      case 1:
        insertInOrder(out, shifted(out, r, [500, 2000, 10_000, 50_000, 300_000][Math.floor(rnd() * 5)] * u), i + 1);
        break;
      case 2:
        if (i + 1 < recs.length) [recs[i], recs[i + 1]] = [recs[i + 1], recs[i]];
        break;
      case 3:
        setWindow(r, 0);
        break;
      case 4:
        for (let j = i; j < Math.min(recs.length, i + 6); j++) if (srcPort(recs[j]) === srcPort(r)) setWindow(recs[j], 0);
        break;
      case 5:
        if (isPureAck(r)) setSeq(r, seqOf(r) - 1);
        break;
      case 6: {
        if (data === null || peer === null || !isPureAck(peer)) break;
        const dups = [1, 2, 3].map((m) => shifted(out, peer, m * 100 * u));
        const again = shifted(out, data, [1000, 15_000, 19_000, 20_500, 50_000][Math.floor(rnd() * 5)] * u);
        recs.splice(d + 1, 0, ...dups);
        insertInOrder(out, again, d + 4);
        break;
      }
      case 7:
        if (data === null || peer === null) break;
        setWindow(peer, 0);
        recs.splice(d, 0, shrunk(data, 1));
        break;
      case 8: {
        if (data === null) break;
        const ka = shrunk(data, 1);
        setSeq(ka, seqOf(data) + payloadLength(data) - 1);
        insertInOrder(out, shifted(out, ka, 200 * u), d + 1);
        break;
      }
      case 9: {
        if (data === null) break;
        const more = shrunk(data, 2 + Math.floor(rnd() * (payloadLength(data) - 2)));
        setSeq(more, seqOf(data) + payloadLength(data) - 1);
        insertInOrder(out, shifted(out, more, 100 * u), d + 1);
        break;
      }
      case 10: {
        if (data === null || peer === null || !isPureAck(peer)) break;
        let x = d - 1;
        while (x >= 0 && !(srcPort(recs[x]) === srcPort(data) && connKey(recs[x]) === connKey(data) && isPureAck(recs[x]))) x--;
        if (x < 0) break;
        const ka = copy(recs[x]);
        setSeq(ka, seqOf(ka) - 1);
        const ack = copy(peer);
        ka.sec = ack.sec = recs[d - 1].sec;
        ka.frac = ack.frac = recs[d - 1].frac;
        recs.splice(d, 0, ka, ack);
        break;
      }
      case 11:
        recs[i] = shifted(out, r, Math.round((rnd() - 0.5) * 10_000) * u);
        break;
      case 12:
        if (data !== null) insertInOrder(out, shifted(out, data, (1000 + rnd() * 30_000) * u), d + 1);
        break;
      default:
        break;
    }
  }
  return out;
}

const scratch = tempDir();
afterAll(() => scratch.cleanup());

describe('TCP health agrees with tshark on edited real captures', () => {
  const cases: { name: string; source: string; seed: number; edits: number }[] = [];
  for (const source of ['clean-shutdown.pcap', 'ipv6-clean.pcap', 'close-wait.pcap', 'server-close-reconnect.pcap']) {
    for (let seed = 1; seed <= 4; seed++) cases.push({ name: `${source} edit ${seed}`, source, seed: seed * 7919, edits: 80 });
  }
  const all: { c2s: Health; s2c: Health }[] = [];
  for (const c of cases) {
    it(c.name, async () => {
      const path = join(scratch.dir, `${c.source}-${c.seed}.pcap`);
      writePcap(path, mutate(readPcap(join(FIXTURES, c.source)), c.seed, c.edits));
      const theirs = tsharkHealth(path);
      expect(await wscapHealth(path)).toEqual(theirs);
      all.push(...theirs);
    });
  }
  it('the edits exercise every counter', () => {
    expect(all.length).toBeGreaterThan(0);
    for (const key of HEALTH_KEYS) expect(total(all, key), key).toBeGreaterThan(0);
  });
});

describe('known differences from tshark (docs/TCP-HEALTH.md), asserted exactly', () => {
  it('a FIN sent again after 10000 unacknowledged segments: a retransmission for wscap, not for tshark', async () => {
    // tshark stops recording segments (TCP_MAX_UNACKED_SEGMENTS = 10000) when that many are
    // unacknowledged in one direction, and then does not count a FIN's sequence number in its
    // next expected one: the repeated FIN does not look retransmitted to it.
    const src = readPcap(join(FIXTURES, 'clean-shutdown.pcap'));
    const first = src.records[0];
    const clientPort = srcPort(first);
    const template = src.records.find((r) => srcPort(r) === clientPort && payloadLength(r) > 0 && connKey(r) === connKey(first));
    const fin = src.records.find((r) => srcPort(r) === clientPort && (tcpFlags(r) & 0x01) !== 0 && connKey(r) === connKey(first));
    if (template === undefined || fin === undefined) throw new Error('fixture changed');
    // The client's first connection, its opening up to the first data segment, then 10005
    // 1-byte segments that the server never acknowledges, then the FIN twice (200 ms apart).
    const opening = src.records.slice(0, src.records.indexOf(template)).filter((r) => connKey(r) === connKey(first));
    const records: Rec[] = [...opening.map(copy)];
    let seq = seqOf(template);
    let at = template;
    for (let i = 0; i < 10_005; i++) {
      const one = shifted(src, shrunk(template, 1), i * 10);
      setSeq(one, seq);
      seq++;
      records.push(one);
      at = one;
    }
    const finRec = shrunk(fin, 0);
    finRec.sec = at.sec;
    finRec.frac = at.frac;
    const fin1 = shifted(src, finRec, 1000);
    setSeq(fin1, seq);
    const fin2 = shifted(src, fin1, 200_000);
    records.push(fin1, fin2);
    const path = join(scratch.dir, 'unacked-10001.pcap');
    writePcap(path, { header: src.header, units: src.units, records });
    const theirs = tsharkHealth(path);
    const ours = await wscapHealth(path);
    expect(theirs.length).toBe(1);
    expect(theirs[0].c2s.retransmissions).toBe(0);
    expect(ours).toEqual([{ ...theirs[0], c2s: { ...theirs[0].c2s, retransmissions: 1 } }]);
  });

  it('nanosecond capture: a segment 0.2 µs inside the out-of-order window is out of order for tshark, a retransmission for wscap (µs times)', async () => {
    // The same capture with nanosecond timestamps. A server data segment (which advances the
    // server's next sequence number) is moved 900 ns later, and right after it comes its first
    // byte again, iRTT − 200 ns after it, before the client acknowledged it. tshark compares
    // nanoseconds: inside the out-of-order window (the initial RTT). wscap reads times to the
    // microsecond (truncated): the gap becomes the iRTT itself, not inside: a retransmission.
    const src = toNanoseconds(readPcap(join(FIXTURES, 'clean-shutdown.pcap')));
    const recs = src.records;
    const key = connKey(recs[0]);
    const conn = recs.filter((r) => connKey(r) === key);
    const syn = conn[0];
    const ack = conn.find((r) => (tcpFlags(r) & 0x12) === 0x10);
    const data = conn.filter((r) => srcPort(r) === 443 && payloadLength(r) > 0);
    if (ack === undefined || data.length < 3) throw new Error('fixture changed');
    const ns = (r: Rec): number => (r.sec - syn.sec) * 1e9 + r.frac - syn.frac;
    const irtt = ns(ack) - ns(syn);
    const at = recs.indexOf(data[1]);
    recs[at] = shifted(src, data[1], 900);
    recs.splice(at + 1, 0, shifted(src, shrunk(recs[at], 1), irtt - 200));
    const path = join(scratch.dir, 'nano-ooo.pcap');
    writePcap(path, src);
    const theirs = tsharkHealth(path);
    const ours = await wscapHealth(path);
    expect(theirs[0].s2c.outOfOrder).toBe(1);
    expect(theirs[0].s2c.retransmissions).toBe(0);
    const expected = theirs.map((row, i) =>
      i === 0 ? { ...row, s2c: { ...row.s2c, outOfOrder: 0, retransmissions: 1 } } : row,
    );
    expect(ours).toEqual(expected);
  });
});
