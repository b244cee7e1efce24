#!/usr/bin/env node
// Builds a large classic pcap from a small real one, for benchmarking wscap's reader and analyser.
//
//   node bench/make-large-capture.mjs SOURCE OUTPUT [PACKETS] [--copies N] [--step-us U] [--info FILE]
//
//   SOURCE     a classic pcap (µs or ns, either byte order). Link types: 1 Ethernet (VLAN tags
//              skipped), 113 Linux SLL, 276 Linux SLL2, 0/108 BSD loopback, 101/12/14 raw IP,
//              228 IPv4, 229 IPv6. pcapng is not read: convert it first (editcap -F pcap).
//   OUTPUT     classic pcap, microsecond, little-endian, same link type and snaplen as SOURCE.
//   PACKETS    target packet count, default 1000000. Rounded UP to whole copies, so every copied
//              connection is complete; --copies N asks for N copies instead.
//   --step-us  copy k is shifted k × U microseconds later (default 1000), so the copies overlap
//              and their packets interleave.
//   --info     also write what was built as JSON to FILE: copies, packets, bytes, connections,
//              capture span, the source connections' lifetimes and the concurrency below.
//
// Concurrency: a connection is open from its first to its last packet in SOURCE (per 4-tuple),
// and copy k's connection i from first_i + k×U to last_i + k×U. The output's concurrency (how
// many connections are open at one moment; peak, and the time-weighted mean over the capture)
// is computed exactly from those intervals and printed. With U shorter than the source's
// connection lifetimes L it reaches about (sum of L) / U once the first copy's connections are
// open, and stays there until the last copy starts: the same peak for 1,000 or 2,000 copies,
// which then span twice the time. This is the *wire* view; an analyser may hold a closed
// connection a while longer (wscap: 120 s of capture time), so what it holds also depends on U.
//
// What a copy is: every TCP packet of SOURCE (IPv4, or IPv6 with or without hop-by-hop, routing,
// destination-options or AH headers; anything else, and IP fragments other than an IPv4 first
// fragment, is dropped and counted), with each connection's client address replaced by an
// address of its own for that copy: IPv4 clients get 10.x.y.z (10.0.0.1 upwards, skipping any
// address SOURCE already uses), IPv6 clients get fd00:7773:6361:7000::x. Ports, sequence numbers,
// payloads are untouched. The client of a connection is the sender of its SYN (or the receiver of
// its SYN-ACK); with neither in SOURCE, the endpoint with the higher port.
//
// Checksums: the IPv4 header checksum is recomputed. The TCP checksum (which covers the
// addresses through the pseudo-header) is adjusted incrementally (RFC 1624) for the address
// change: a checksum that was right in SOURCE stays right, one that was wrong in SOURCE (e.g.
// loopback or checksum offload captures) stays wrong by the same amount. Nothing else is changed.
//
// SOURCE is read into memory (it is meant to be small); OUTPUT is written as it is produced
// (a 4 MiB buffer), merging the copies in timestamp order with a heap. SOURCE packets are first
// stably sorted by timestamp, so OUTPUT is in non-decreasing timestamp order.
// Plain Node (>= 20), no dependencies.
import fs from 'node:fs';

const USAGE = 'usage: node bench/make-large-capture.mjs SOURCE OUTPUT [PACKETS=1000000] [--copies N] [--step-us U] [--info FILE]';

function die(msg) {
  process.stderr.write(`make-large-capture: ${msg}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const pos = [];
  const o = { copies: 0, stepUs: 1000, info: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    } else if (a === '--copies') o.copies = Number(argv[++i]);
    else if (a === '--step-us') o.stepUs = Number(argv[++i]);
    else if (a === '--info') o.info = argv[++i];
    else if (a.startsWith('--')) die(`unknown option ${a}\n${USAGE}`);
    else pos.push(a);
  }
  if (pos.length < 2 || pos.length > 3) die(USAGE);
  o.source = pos[0];
  o.output = pos[1];
  o.packets = pos.length === 3 ? Number(pos[2]) : 1_000_000;
  if (!Number.isInteger(o.packets) || o.packets < 1) die(`bad packet count ${pos[2]}`);
  if (!Number.isInteger(o.copies) || o.copies < 0) die('bad --copies');
  if (!Number.isFinite(o.stepUs) || o.stepUs < 0) die('bad --step-us');
  o.stepUs = Math.round(o.stepUs);
  return o;
}

// ---------------------------------------------------------------- source reading

/** Reads a classic pcap into {linkType, snaplen, packets: [{t (µs), data (Buffer)}]}. */
function readSource(path) {
  let file;
  try {
    file = fs.readFileSync(path);
  } catch (err) {
    die(`cannot read ${path}: ${err.code ?? err.message}`);
  }
  if (file.length < 24) die(`${path}: too short for a pcap header`);
  const magics = { a1b2c3d4: [false, false], d4c3b2a1: [true, false], a1b23c4d: [false, true], '4d3cb2a1': [true, true] };
  const m = file.subarray(0, 4).toString('hex');
  if (m === '0a0d0d0a') die(`${path}: pcapng is not supported here; convert it: editcap -F pcap IN OUT`);
  if (!(m in magics)) die(`${path}: not a classic pcap (magic ${m})`);
  const [le, nano] = magics[m];
  const u32 = (o) => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));
  const snaplen = u32(16);
  const linkType = u32(20) & 0x0fffffff;
  const packets = [];
  let pos = 24;
  while (pos + 16 <= file.length) {
    const sec = u32(pos);
    const frac = u32(pos + 4);
    const caplen = u32(pos + 8);
    const origlen = u32(pos + 12);
    if (pos + 16 + caplen > file.length) {
      process.stderr.write(`make-large-capture: ${path}: last record cut short at offset ${pos}; ignored\n`);
      break;
    }
    const t = sec * 1e6 + (nano ? Math.floor(frac / 1000) : frac);
    packets.push({ t, origlen, data: file.subarray(pos + 16, pos + 16 + caplen) });
    pos += 16 + caplen;
  }
  return { linkType, snaplen, packets };
}

/** Offset of the IP header in a frame of this link type, or -1 when the frame carries no IP. */
function ipOffset(linkType, d) {
  const ipAt = (off, ethertype) => (ethertype === 0x0800 || ethertype === 0x86dd ? off : -1);
  switch (linkType) {
    case 1: {
      // Ethernet, possibly with 802.1Q / 802.1ad tags.
      if (d.length < 14) return -1;
      let off = 12;
      let et = d.readUInt16BE(off);
      while ((et === 0x8100 || et === 0x88a8) && d.length >= off + 6) {
        off += 4;
        et = d.readUInt16BE(off);
      }
      return ipAt(off + 2, et);
    }
    case 113: // Linux SLL: protocol at 14, header 16
      return d.length < 16 ? -1 : ipAt(16, d.readUInt16BE(14));
    case 276: // Linux SLL2: protocol at 0, header 20
      return d.length < 20 ? -1 : ipAt(20, d.readUInt16BE(0));
    case 0: // BSD loopback: AF in host byte order
    case 108: {
      // OpenBSD loopback: AF in network byte order
      if (d.length < 4) return -1;
      const af = linkType === 108 ? d.readUInt32BE(0) : Math.min(d.readUInt32LE(0), d.readUInt32BE(0));
      return af === 2 || af === 24 || af === 28 || af === 30 ? 4 : -1;
    }
    case 101:
    case 12:
    case 14:
    case 228:
    case 229:
      return 0;
    default:
      die(`link type ${linkType} is not supported (supported: 0 1 12 14 101 108 113 228 229 276)`);
  }
  return -1;
}

/**
 * Decodes the IP/TCP part of one source packet. Returns null for what is not copied, otherwise
 * {ip, v, srcAt, dstAt, alen, tcp, cksumAt (or -1), src, dst, sport, dport, flags}.
 */
function decode(linkType, d) {
  const ip = ipOffset(linkType, d);
  if (ip < 0 || d.length < ip + 1) return null;
  const v = d[ip] >> 4;
  let tcp;
  let srcAt;
  let alen;
  if (v === 4) {
    if (d.length < ip + 20) return null;
    const ihl = (d[ip] & 0x0f) * 4;
    if (ihl < 20 || d.length < ip + ihl) return null;
    if (d[ip + 9] !== 6) return null;
    if ((d.readUInt16BE(ip + 6) & 0x1fff) !== 0) return null; // non-first fragment: no TCP header
    tcp = ip + ihl;
    srcAt = ip + 12;
    alen = 4;
  } else if (v === 6) {
    if (d.length < ip + 40) return null;
    // Walk extension headers (hop-by-hop, routing, destination options, AH) to TCP; fragments are dropped.
    let next = d[ip + 6];
    tcp = ip + 40;
    while (next !== 6) {
      if (d.length < tcp + 8) return null;
      if (next === 0 || next === 43 || next === 60) {
        next = d[tcp];
        tcp += (d[tcp + 1] + 1) * 8;
      } else if (next === 51) {
        next = d[tcp];
        tcp += (d[tcp + 1] + 2) * 4;
      } else return null;
    }
    srcAt = ip + 8;
    alen = 16;
  } else return null;
  if (d.length < tcp + 14) return null; // need ports and flags
  const dstAt = srcAt + alen;
  return {
    ip,
    v,
    srcAt,
    dstAt,
    alen,
    tcp,
    cksumAt: d.length >= tcp + 18 ? tcp + 16 : -1,
    src: d.subarray(srcAt, srcAt + alen).toString('hex'),
    dst: d.subarray(dstAt, dstAt + alen).toString('hex'),
    sport: d.readUInt16BE(tcp),
    dport: d.readUInt16BE(tcp + 2),
    flags: d[tcp + 13],
  };
}

// ---------------------------------------------------------------- checksums

/** Ones'-complement sum of 16-bit big-endian words in buf[from, to) (to - from even). */
function sum16(buf, from, to, acc = 0) {
  for (let i = from; i < to; i += 2) acc += (buf[i] << 8) | buf[i + 1];
  return acc;
}
function fold(x) {
  while (x > 0xffff) x = (x & 0xffff) + Math.floor(x / 0x10000);
  return x;
}

// ---------------------------------------------------------------- main

const opt = parseArgs(process.argv.slice(2));
const started = Date.now();
const src = readSource(opt.source);
const { linkType } = src;
const snaplen = src.snaplen || 262144;

// Pass 1: decode, find each connection's client.
const SYN = 0x02;
const ACK = 0x10;
const conns = new Map(); // key -> {client: 'addr|port' or null, a, b}
const used = [];
let dropped = 0;
for (const p of src.packets) {
  const h = decode(linkType, p.data);
  if (h === null) {
    dropped++;
    continue;
  }
  const a = `${h.src}|${h.sport}`;
  const b = `${h.dst}|${h.dport}`;
  const key = a < b ? `${a}-${b}` : `${b}-${a}`;
  let c = conns.get(key);
  if (!c) {
    c = { client: null, a: [h.src, h.sport], b: [h.dst, h.dport], first: p.t, last: p.t };
    conns.set(key, c);
  }
  if (p.t < c.first) c.first = p.t;
  if (p.t > c.last) c.last = p.t;
  if (c.client === null && h.flags & SYN) c.client = h.flags & ACK ? b : a;
  p.h = h;
  p.conn = c;
  used.push(p);
}
if (used.length === 0) die(`${opt.source}: no IPv4/IPv6 TCP packets to copy`);

// Client addresses, numbered per IP version; every other address is kept as is.
const allAddrs = new Set();
for (const p of used) {
  allAddrs.add(p.h.src);
  allAddrs.add(p.h.dst);
}
const clientIndex = { 4: new Map(), 6: new Map() };
for (const c of conns.values()) {
  if (c.client === null) c.client = c.a[1] >= c.b[1] ? `${c.a[0]}|${c.a[1]}` : `${c.b[0]}|${c.b[1]}`;
  c.clientAddr = c.client.split('|')[0];
}
for (const p of used) {
  const m = clientIndex[p.h.v];
  if (!m.has(p.conn.clientAddr)) m.set(p.conn.clientAddr, m.size);
  // By address AND port: on loopback both ends have the same address.
  p.clientIsSrc = `${p.h.src}|${p.h.sport}` === p.conn.client;
  p.clientIdx = m.get(p.conn.clientAddr);
  p.oldAddr = p.data.subarray(p.clientIsSrc ? p.h.srcAt : p.h.dstAt, (p.clientIsSrc ? p.h.srcAt : p.h.dstAt) + p.h.alen);
}

// Stable sort by time: each copy is then in order, and so is the merge of the copies.
used.sort((x, y) => x.t - y.t);

const perCopy = used.length;
const copies = opt.copies > 0 ? opt.copies : Math.ceil(opt.packets / perCopy);
const n4 = clientIndex[4].size;
const n6 = clientIndex[6].size;

/** Copy k's address for IPv4 client i: 10.0.0.1 upwards, skipping addresses SOURCE uses. */
const v4Table = new Uint32Array(copies * n4);
{
  let next = 0x0a000001;
  for (let i = 0; i < v4Table.length; i++) {
    while (allAddrs.has(next.toString(16).padStart(8, '0')) || (next & 0xff) === 0 || (next & 0xff) === 0xff) next++;
    if (next > 0x0afffffe) die(`too many client addresses (${v4Table.length}) for 10.0.0.0/8`);
    v4Table[i] = next++;
  }
}
const V6_PREFIX = Buffer.from('fd0077736361700000000000', 'hex'); // fd00:7773:6361:7000::/64 ("wscap")

const t0 = used[0].t;
const tEnd = used[used.length - 1].t;

// Output.
const BUF_SIZE = 4 << 20;
let out;
try {
  out = fs.openSync(opt.output, 'w');
} catch (err) {
  die(`cannot write ${opt.output}: ${err.code ?? err.message}`);
}
const buf = Buffer.allocUnsafe(BUF_SIZE);
let fill = 0;
let written = 0;
let bytes = 0;
function flush() {
  let off = 0;
  while (off < fill) off += fs.writeSync(out, buf, off, fill - off);
  fill = 0;
}
buf.writeUInt32LE(0xa1b2c3d4, 0);
buf.writeUInt16LE(2, 4);
buf.writeUInt16LE(4, 6);
buf.writeInt32LE(0, 8);
buf.writeUInt32LE(0, 12);
buf.writeUInt32LE(snaplen, 16);
buf.writeUInt32LE(linkType, 20);
fill = 24;

const addr = Buffer.alloc(16);
function writePacket(p, k) {
  const caplen = p.data.length;
  if (fill + 16 + caplen > BUF_SIZE) flush();
  const t = p.t + k * opt.stepUs;
  const sec = Math.floor(t / 1e6);
  buf.writeUInt32LE(sec, fill);
  buf.writeUInt32LE(t - sec * 1e6, fill + 4);
  buf.writeUInt32LE(caplen, fill + 8);
  buf.writeUInt32LE(p.origlen, fill + 12);
  const d = fill + 16;
  p.data.copy(buf, d);
  const h = p.h;
  // New client address for copy k.
  if (h.v === 4) {
    addr.writeUInt32BE(v4Table[k * n4 + p.clientIdx], 0);
  } else {
    V6_PREFIX.copy(addr, 0);
    addr.writeUInt32BE(k * n6 + p.clientIdx + 1, 12);
  }
  const at = d + (p.clientIsSrc ? h.srcAt : h.dstAt);
  addr.copy(buf, at, 0, h.alen);
  if (h.v === 4) {
    const ihl = (p.data[h.ip] & 0x0f) * 4;
    const ip = d + h.ip;
    buf[ip + 10] = 0;
    buf[ip + 11] = 0;
    buf.writeUInt16BE(~fold(sum16(buf, ip, ip + ihl)) & 0xffff, ip + 10);
  }
  if (h.cksumAt >= 0) {
    // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), over the 16-bit words of the changed address.
    const c = d + h.cksumAt;
    let s = ~buf.readUInt16BE(c) & 0xffff;
    for (let i = 0; i < h.alen; i += 2) {
      s += ~((p.oldAddr[i] << 8) | p.oldAddr[i + 1]) & 0xffff;
      s += (addr[i] << 8) | addr[i + 1];
    }
    buf.writeUInt16BE(~fold(s) & 0xffff, c);
  }
  fill += 16 + caplen;
  written++;
  bytes += caplen;
}

// k-way merge of the copies by (time, copy): a binary heap of copy indices.
const idx = new Int32Array(copies); // next source packet of each copy
const heap = new Int32Array(copies);
let size = 0;
const keyOf = (k) => used[idx[k]].t + k * opt.stepUs;
const less = (a, b) => {
  const ka = keyOf(a);
  const kb = keyOf(b);
  return ka < kb || (ka === kb && a < b);
};
function siftUp(i) {
  const x = heap[i];
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!less(x, heap[parent])) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = x;
}
function siftDown(i) {
  const x = heap[i];
  for (;;) {
    let c = 2 * i + 1;
    if (c >= size) break;
    if (c + 1 < size && less(heap[c + 1], heap[c])) c++;
    if (!less(heap[c], x)) break;
    heap[i] = heap[c];
    i = c;
  }
  heap[i] = x;
}
for (let k = 0; k < copies; k++) {
  heap[size] = k;
  siftUp(size++);
}
while (size > 0) {
  const k = heap[0];
  writePacket(used[idx[k]], k);
  if (++idx[k] === perCopy) {
    heap[0] = heap[--size];
    if (size > 0) siftDown(0);
  } else siftDown(0);
}
flush();
fs.closeSync(out);

const fileBytes = fs.statSync(opt.output).size;
const spanS = (tEnd - t0 + (copies - 1) * opt.stepUs) / 1e6;

/**
 * Connections open at once in OUTPUT: sweep over the copies' [first, last] intervals (a start
 * at the same instant as an end counts both as open). Returns {peak, meanOverSpan, peakFirstS,
 * peakLastS} with the times in seconds from the first packet.
 */
function concurrency() {
  const list = [...conns.values()];
  const n = copies * list.length;
  const starts = new Float64Array(n);
  const ends = new Float64Array(n);
  let i = 0;
  for (let k = 0; k < copies; k++) {
    for (const c of list) {
      starts[i] = c.first - t0 + k * opt.stepUs;
      ends[i++] = c.last - t0 + k * opt.stepUs;
    }
  }
  starts.sort();
  ends.sort();
  let open = 0;
  let peak = 0;
  let peakFirst = 0;
  let peakLast = 0;
  let area = 0; // connection-µs
  let prev = 0;
  let s = 0;
  let e = 0;
  while (s < n || e < n) {
    const isStart = s < n && starts[s] <= ends[e];
    const t = isStart ? starts[s] : ends[e];
    area += open * (t - prev);
    prev = t;
    if (isStart) {
      open++;
      s++;
      if (open > peak) {
        peak = open;
        peakFirst = t;
      }
      if (open === peak) peakLast = t;
    } else {
      if (open === peak) peakLast = t;
      open--;
      e++;
    }
  }
  const span = tEnd - t0 + (copies - 1) * opt.stepUs;
  return { peak, meanOverSpan: span > 0 ? area / span : 0, peakFirstS: peakFirst / 1e6, peakLastS: peakLast / 1e6 };
}
const lifetimesS = [...conns.values()].map((c) => (c.last - c.first) / 1e6);
const conc = concurrency();
if (opt.info) {
  const info = {
    source: opt.source,
    sourcePackets: src.packets.length,
    output: opt.output,
    linkType,
    copies,
    stepUs: opt.stepUs,
    packets: written,
    capturedBytes: bytes,
    fileBytes,
    connectionsPerCopy: conns.size,
    connections: copies * conns.size,
    droppedPerCopy: dropped,
    spanS,
    sourceLifetimesS: { min: Math.min(...lifetimesS), max: Math.max(...lifetimesS), sum: lifetimesS.reduce((x, y) => x + y, 0) },
    concurrency: conc,
  };
  fs.writeFileSync(opt.info, JSON.stringify(info, null, 2) + '\n');
}
process.stderr.write(
  [
    `make-large-capture: ${opt.source}: link type ${linkType}, ${src.packets.length} packets, ` +
      `${perCopy} TCP packets in ${conns.size} connections (${n4} IPv4 + ${n6} IPv6 client addresses)` +
      (dropped ? `, ${dropped} other packets dropped` : ''),
    `make-large-capture: ${opt.output}: ${copies} copies, ${written} packets, ${bytes} captured bytes, ` +
      `${fileBytes} bytes on disk, ${spanS.toFixed(3)} s of capture, written in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    `make-large-capture: ${copies * conns.size} connections, each open ${Math.min(...lifetimesS).toFixed(3)}-${Math.max(...lifetimesS).toFixed(3)} s; ` +
      `open at once: peak ${conc.peak} (first at ${conc.peakFirstS.toFixed(3)} s, last at ${conc.peakLastS.toFixed(3)} s), mean ${conc.meanOverSpan.toFixed(0)} over the capture`,
  ].join('\n') + '\n',
);
