// Mutations of real captures for the fuzzing harness (scripts/fuzz/run.mjs, test/fuzz/fuzz.test.ts).
// Structure-aware where it pays: classic pcap records and pcapng blocks are walked so cuts and
// corrupt length fields land on the boundaries a reader trusts. Deterministic: every mutation
// takes a seeded PRNG, so an input is named by (fixture, mutator, seed) and can be made again.

/** mulberry32: small, fast, good enough to pick offsets. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (rand, n) => Math.floor(rand() * n);
const pick = (rand, list) => list[int(rand, list.length)];

/** 'pcap' | 'pcapng' | null, and the byte order of a classic pcap. */
function kind(buf) {
  if (buf.length < 4) return { format: null, le: true };
  const magic = buf.readUInt32LE(0);
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) return { format: 'pcap', le: true };
  if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) return { format: 'pcap', le: false };
  if (magic === 0x0a0d0d0a) return { format: 'pcapng', le: buf.length >= 12 ? buf.readUInt32LE(8) === 0x1a2b3c4d : true };
  return { format: null, le: true };
}

/** Offsets where a structure starts (and its length field sits): the file header, each record or block. */
export function boundaries(buf) {
  const { format, le } = kind(buf);
  const out = [];
  if (format === 'pcap') {
    out.push({ at: 0, lengthAt: null, kind: 'header' });
    for (let at = 24; at + 16 <= buf.length; ) {
      const caplen = le ? buf.readUInt32LE(at + 8) : buf.readUInt32BE(at + 8);
      out.push({ at, lengthAt: at + 8, kind: 'record', le });
      at += 16 + caplen;
    }
  } else if (format === 'pcapng') {
    let le2 = le;
    for (let at = 0; at + 12 <= buf.length; ) {
      const type = buf.readUInt32LE(at);
      if (type === 0x0a0d0d0a) le2 = buf.readUInt32LE(at + 8) === 0x1a2b3c4d;
      const len = le2 ? buf.readUInt32LE(at + 4) : buf.readUInt32BE(at + 4);
      out.push({ at, lengthAt: at + 4, kind: 'block', le: le2 });
      if (len < 12) break;
      at += len;
    }
  }
  return out;
}

function writeU32(buf, at, value, le) {
  if (at + 4 > buf.length) return;
  if (le) buf.writeUInt32LE(value >>> 0, at);
  else buf.writeUInt32BE(value >>> 0, at);
}

const ABSURD_LENGTHS = [0, 1, 3, 4, 11, 12, 15, 16, 17, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff, 65535, 65536, 262144, 262145, 1 << 26];
const BLOCK_TYPES = [0, 1, 2, 3, 4, 5, 6, 7, 0xbad, 0x0a0d0d0a, 0x80000001, 0xffffffff];

export const MUTATORS = {
  /** 1–8 random bit flips anywhere. */
  bitflip(buf, rand) {
    const out = Buffer.from(buf);
    const n = 1 + int(rand, 8);
    for (let i = 0; i < n && out.length > 0; i++) out[int(rand, out.length)] ^= 1 << int(rand, 8);
    return out;
  },
  /** Random bytes written over a packet's headers (link, IP, TCP, TLS: the first ~120 bytes of a record). */
  headerbytes(buf, rand) {
    const out = Buffer.from(buf);
    const records = boundaries(out).filter((b) => b.kind !== 'header');
    if (records.length === 0) return out;
    const r = pick(rand, records);
    const start = r.at + (r.kind === 'record' ? 16 : 28);
    const n = 1 + int(rand, 4);
    for (let i = 0; i < n; i++) {
      const at = start + int(rand, 120);
      if (at < out.length) out[at] = int(rand, 256);
    }
    return out;
  },
  /** Cut at a structure boundary, or 1–3 bytes either side of one. */
  truncate(buf, rand) {
    const b = boundaries(buf);
    const base = b.length > 0 ? pick(rand, b).at : int(rand, buf.length);
    const at = Math.max(0, Math.min(buf.length, base + pick(rand, [0, 0, 1, 2, 3, -1, -2, 4, 8, 16, 24])));
    return Buffer.from(buf.subarray(0, at));
  },
  /** A record's or block's length field set to an absurd value. */
  lengthfield(buf, rand) {
    const out = Buffer.from(buf);
    const b = boundaries(out).filter((x) => x.lengthAt !== null);
    if (b.length === 0) return out;
    const x = pick(rand, b);
    const value = rand() < 0.7 ? pick(rand, ABSURD_LENGTHS) : int(rand, 0x100000000);
    writeU32(out, x.lengthAt, value, x.le);
    // pcap: sometimes the original length instead of the captured one.
    if (x.kind === 'record' && rand() < 0.3) writeU32(out, x.lengthAt + 4, pick(rand, ABSURD_LENGTHS), x.le);
    return out;
  },
  /** A wrong magic number, or a pcapng block of another (or unknown) type. */
  magic(buf, rand) {
    const out = Buffer.from(buf);
    const b = boundaries(out);
    if (rand() < 0.4 || b.length === 0) {
      writeU32(out, 0, pick(rand, [0, 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x0a0d0d0a, 0x1f8b0800, int(rand, 0x100000000)]), true);
    } else {
      const x = pick(rand, b);
      if (x.kind === 'block') writeU32(out, x.at, pick(rand, BLOCK_TYPES), x.le);
      else if (x.kind === 'record') writeU32(out, x.at, pick(rand, [0, 0xffffffff, 1, int(rand, 0x100000000)]), x.le);
    }
    return out;
  },
  /** The start of one capture and the rest of another (or of itself), at boundaries or anywhere. */
  splice(buf, rand, other) {
    const a = boundaries(buf);
    const b = boundaries(other);
    const cutA = a.length > 0 && rand() < 0.7 ? pick(rand, a).at : int(rand, buf.length + 1);
    const cutB = b.length > 0 && rand() < 0.7 ? pick(rand, b).at : int(rand, other.length + 1);
    return Buffer.concat([buf.subarray(0, cutA), other.subarray(cutB)]);
  },
  /** Timestamps at 0, far future, backwards, or a fraction past a second. */
  timestamps(buf, rand) {
    const out = Buffer.from(buf);
    const records = boundaries(out).filter((x) => x.kind === 'record');
    const blocks = boundaries(out).filter((x) => x.kind === 'block');
    const n = 1 + int(rand, 5);
    for (let i = 0; i < n; i++) {
      if (records.length > 0) {
        const r = pick(rand, records);
        writeU32(out, r.at, pick(rand, [0, 1, 0x7fffffff, 0xffffffff, int(rand, 0x100000000)]), r.le);
        if (rand() < 0.5) writeU32(out, r.at + 4, pick(rand, [999_999, 1_000_000, 999_999_999, 1_000_000_000, 0xffffffff]), r.le);
      } else if (blocks.length > 0) {
        const x = pick(rand, blocks);
        if (out.length >= x.at + 20 && out.readUInt32LE(x.at) === 6) {
          writeU32(out, x.at + 12, int(rand, 0x100000000), x.le);
          writeU32(out, x.at + 16, int(rand, 0x100000000), x.le);
        }
      }
    }
    return out;
  },
  /** A pcapng option of any code and length inserted into a block (its length fixed up, or not). */
  option(buf, rand) {
    const blocks = boundaries(buf).filter((x) => x.kind === 'block');
    if (blocks.length === 0) return MUTATORS.bitflip(buf, rand);
    const x = pick(rand, blocks);
    const len = x.le ? buf.readUInt32LE(x.at + 4) : buf.readUInt32BE(x.at + 4);
    if (len < 12 || x.at + len > buf.length) return MUTATORS.bitflip(buf, rand);
    const valueLen = pick(rand, [0, 1, 2, 3, 4, 7, 8, 9, 255, 256, 1024, 65535, int(rand, 70000)]);
    const declared = rand() < 0.8 ? valueLen : int(rand, 0x10000);
    const padded = (valueLen + 3) & ~3;
    const opt = Buffer.alloc(4 + Math.min(padded, 70_004));
    const code = pick(rand, [0, 1, 2, 3, 4, 9, 11, 12, 14, 0x8000, int(rand, 0x10000)]);
    if (x.le) {
      opt.writeUInt16LE(code, 0);
      opt.writeUInt16LE(declared & 0xffff, 2);
    } else {
      opt.writeUInt16BE(code, 0);
      opt.writeUInt16BE(declared & 0xffff, 2);
    }
    for (let i = 4; i < opt.length; i++) opt[i] = int(rand, 256);
    const insertAt = x.at + len - 4; // before the trailing length
    const out = Buffer.concat([buf.subarray(0, insertAt), opt, buf.subarray(insertAt)]);
    if (rand() < 0.8) {
      writeU32(out, x.at + 4, len + opt.length, x.le);
      writeU32(out, x.at + len + opt.length - 4, len + opt.length, x.le);
    }
    return out;
  },
};

export const MUTATOR_NAMES = Object.keys(MUTATORS);

/** The input for (fixture, mutator, seed): deterministic. */
export function mutate(inputs, fixtureIndex, mutatorName, seed) {
  const rand = prng(seed);
  const buf = inputs[fixtureIndex].bytes;
  const other = inputs[int(rand, inputs.length)].bytes;
  let out = MUTATORS[mutatorName](buf, rand, other);
  // Now and then a second mutation on top.
  if (rand() < 0.25) out = MUTATORS[pick(rand, MUTATOR_NAMES.filter((n) => n !== 'splice'))](out, rand, other);
  return out;
}
