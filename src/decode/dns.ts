/**
 * \summary: DNS response parser (RFC 1035 4.1; AAAA RFC 3596): the header, the first question's
 * name, and the answer section's A, AAAA and CNAME records, names decompressed (RFC 1035 4.1.4).
 *
 * Every read is checked against the range first; the parser never throws and reads nothing outside
 * [start, end). A malformed or cut message gives what was read before the fault (`complete` false).
 * It allocates its result only: names are at most 255 bytes (checked before a string is made),
 * at most MAX_ANSWERS records are kept, and a compression pointer must point backwards, into the
 * message after the header, at most MAX_POINTERS times per name, so no input loops.
 */
import { u16be, u32be } from '../pcap/bytes.js';

export const TYPE_A = 1;
export const TYPE_CNAME = 5;
export const TYPE_AAAA = 28;
const CLASS_IN = 1;
/** QR bit of the header's flags: the message is a response. */
const FLAG_QR = 0x8000;

/** Answer records (A, AAAA, CNAME) kept at most; the rest of the section is not read. */
export const MAX_ANSWERS = 64;
/** Compression pointers followed per name at most (real names need one or two). */
export const MAX_POINTERS = 16;
/** A name's length on the wire, length octets included (RFC 1035 2.3.4). */
const MAX_NAME_WIRE = 255;

export interface DnsAnswer {
  /** TYPE_A, TYPE_AAAA or TYPE_CNAME (class IN); other records are skipped. */
  type: number;
  /** Owner name: latin1, ASCII letters lowercased, no trailing dot ("" is the root). */
  name: string;
  /** A / AAAA: the address as four 32-bit words, IPv4 in word 3 (as DecodedPacket.addresses); CNAME: null. */
  address: Uint32Array | null;
  /** CNAME: the canonical name (same form as `name`); A / AAAA: null. */
  target: string | null;
}

export interface DnsResponse {
  id: number;
  /** QR bit: a response, not a query. */
  isResponse: boolean;
  opcode: number;
  /** RCODE (4 bits): 0 no error, 3 NXDOMAIN, ... */
  rcode: number;
  /** TC bit: the server truncated the message. */
  truncatedFlag: boolean;
  /** QDCOUNT and ANCOUNT as the header says (not what was read). */
  questionCount: number;
  answerCount: number;
  /** The first question's name, or null when there is none or it could not be read. */
  question: string | null;
  /** The A, AAAA and CNAME records of the answer section that were read, in order. */
  answers: DnsAnswer[];
  /** Every question and answer record was read (false: cut, malformed, or more than MAX_ANSWERS). */
  complete: boolean;
}

/** Where the last name read ended in place (after its zero octet or its first pointer). */
let nameEnd = 0;
/** The last name's bytes, lowercased, dots between labels (at most 254 bytes). */
const scratch = Buffer.alloc(MAX_NAME_WIRE);

/**
 * Reads the (possibly compressed) name at `at` of the message [msgStart, end): the name, with
 * `nameEnd` set, or null when it is cut, too long, uses a reserved label type or a bad pointer.
 */
function readName(buf: Uint8Array, at: number, msgStart: number, end: number): string | null {
  let p = at;
  let out = 0;
  let wire = 1; // the root's zero octet
  let pointers = 0;
  let after = -1;
  for (;;) {
    if (p >= end) return null;
    const length = buf[p];
    if (length === 0) break;
    const kind = length & 0xc0;
    if (kind === 0xc0) {
      if (p + 2 > end) return null;
      const target = msgStart + (((length & 0x3f) << 8) | buf[p + 1]);
      // Backwards only (a pointer to itself or forward could loop), and not into the header.
      if (target >= p || target < msgStart + 12 || ++pointers > MAX_POINTERS) return null;
      if (after < 0) after = p + 2;
      p = target;
      continue;
    }
    if (kind !== 0) return null; // 0x40 / 0x80: extended label types (RFC 6891 5), not in names here
    wire += 1 + length;
    if (wire > MAX_NAME_WIRE || p + 1 + length > end) return null;
    if (out > 0) scratch[out++] = 0x2e;
    for (let i = p + 1; i <= p + length; i++) {
      const b = buf[i];
      scratch[out++] = b >= 0x41 && b <= 0x5a ? b | 0x20 : b; // DNS compares ASCII case-insensitively (RFC 4343)
    }
    p += 1 + length;
  }
  nameEnd = after < 0 ? p + 1 : after;
  return scratch.toString('latin1', 0, out);
}

/** Where the name at `at` ends in place without following pointers, or -1 when it does not fit. */
function skipName(buf: Uint8Array, at: number, end: number): number {
  let p = at;
  for (;;) {
    if (p >= end) return -1;
    const length = buf[p];
    if (length === 0) return p + 1;
    if ((length & 0xc0) === 0xc0) return p + 2 > end ? -1 : p + 2;
    if ((length & 0xc0) !== 0) return -1;
    p += 1 + length;
  }
}

/**
 * Parses the DNS message in [start, end) (a UDP payload, perhaps cut by the snap length). Null when
 * its 12-byte header is not whole; otherwise what could be read.
 */
export function parseDnsResponse(buf: Buffer, start: number, end: number): DnsResponse | null {
  if (end > buf.length) end = buf.length;
  if (start < 0 || start + 12 > end) return null;
  const flags = u16be(buf, start + 2);
  const res: DnsResponse = {
    id: u16be(buf, start),
    isResponse: (flags & FLAG_QR) !== 0,
    opcode: (flags >> 11) & 0x0f,
    rcode: flags & 0x0f,
    truncatedFlag: (flags & 0x0200) !== 0,
    questionCount: u16be(buf, start + 4),
    answerCount: u16be(buf, start + 6),
    question: null,
    answers: [],
    complete: false,
  };
  let p = start + 12;
  // Questions: QNAME QTYPE(2) QCLASS(2). Each takes at least 5 bytes, so the loop ends with the data.
  for (let q = 0; q < res.questionCount; q++) {
    let next: number;
    if (q === 0) {
      res.question = readName(buf, p, start, end);
      next = res.question === null ? -1 : nameEnd;
    } else next = skipName(buf, p, end);
    if (next < 0 || next + 4 > end) return res;
    p = next + 4;
  }
  // Answers: NAME TYPE(2) CLASS(2) TTL(4) RDLENGTH(2) RDATA.
  for (let a = 0; a < res.answerCount; a++) {
    const nameAt = p;
    const next = skipName(buf, p, end);
    if (next < 0 || next + 10 > end) return res;
    const type = u16be(buf, next);
    const rrClass = u16be(buf, next + 2);
    const dataAt = next + 10;
    const dataEnd = dataAt + u16be(buf, next + 8);
    if (dataEnd > end) return res;
    p = dataEnd;
    if (rrClass !== CLASS_IN || (type !== TYPE_A && type !== TYPE_AAAA && type !== TYPE_CNAME)) continue;
    if (res.answers.length >= MAX_ANSWERS) return res;
    const name = readName(buf, nameAt, start, end);
    if (name === null) return res;
    if (type === TYPE_CNAME) {
      const target = readName(buf, dataAt, start, end);
      if (target === null || nameEnd !== dataEnd) return res;
      res.answers.push({ type, name, address: null, target });
      continue;
    }
    const address = new Uint32Array(4);
    if (type === TYPE_A) {
      if (dataEnd - dataAt !== 4) return res;
      address[3] = u32be(buf, dataAt);
    } else {
      if (dataEnd - dataAt !== 16) return res;
      for (let i = 0; i < 4; i++) address[i] = u32be(buf, dataAt + 4 * i);
    }
    res.answers.push({ type, name, address, target: null });
  }
  res.complete = true;
  return res;
}

/**
 * The names of an address record (`answer`, A or AAAA) of `res`: the CNAME chain that leads to it,
 * from its start (normally the question's name) through each canonical name to the record's own
 * name, e.g. ["fstream.binance.com", "x.example"] for `fstream.binance.com CNAME x.example` +
 * `x.example A ...`. A loop or a fork in the chain ends the walk (each name once).
 */
export function addressNames(res: DnsResponse, answer: DnsAnswer): string[] {
  const chain = [answer.name];
  let current = answer.name;
  for (let step = 0; step < res.answers.length; step++) {
    let from: string | null = null;
    for (const a of res.answers) {
      if (a.type === TYPE_CNAME && a.target === current && !chain.includes(a.name)) {
        from = a.name;
        break;
      }
    }
    if (from === null) break;
    chain.unshift(from);
    current = from;
  }
  return chain;
}
