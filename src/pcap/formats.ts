/**
 * \summary: record parsers for classic pcap (pcap-savefile(5)) and pcapng (draft-ietf-opsawg-pcapng).
 *
 * Each parser reads one record at `pos` in place and returns its length (> 0), 0 when the record
 * is not all in the buffer yet (`needed` says how many bytes it wants), or -1 when the record
 * cannot be valid (`damage` says why). No read trusts a length field before checking it.
 */
import { newPacketRecord, type PacketRecord } from './packet-record.js';
import { u16be, u16le, u32be, u32le } from './bytes.js';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const PCAPNG_IDB = 1;
const PCAPNG_OPB = 2; // obsolete Packet Block
const PCAPNG_SPB = 3;
const PCAPNG_EPB = 6;

/**
 * libpcap's MAXIMUM_SNAPLEN: a record claiming more is corrupt, whatever the file header's snaplen
 * says (that comes from the same untrusted file: 0x7fffffff there must not buy a 2 GiB buffer).
 */
const MAX_RECORD_CAPLEN = 262144;
/** Largest pcapng block accepted; a length beyond it is taken as corruption, not allocated. */
const MAX_BLOCK_LENGTH = 16 * 1024 * 1024;

export interface PcapngInterface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second (if_tsresol), 1e6 by default. */
  unitsPerSecond: number;
  /** if_tsoffset: seconds added to every timestamp. */
  offsetSeconds: number;
}

/** Per-file parsing state, shared by both formats. */
export interface CaptureState {
  format: 'pcap' | 'pcapng';
  precision: 'us' | 'ns';
  linkTypes: number[];
  packets: number;
  isLittleEndian: boolean;
  /** classic pcap: nanosecond magic */
  isNano: boolean;
  snaplen: number;
  linkType: number;
  interfaces: PcapngInterface[];
  /** Timestamp of the last packet, for simple packet blocks (which carry none). */
  lastTsSec: number;
  lastTsNsec: number;
  record: PacketRecord;
  /** Set by each read: the record consumed was a packet. */
  hasPacket: boolean;
  /** Bytes the record wants when the buffer holds less (0 until then). */
  needed: number;
  /** What was wrong, when a read returns -1. */
  damage: string | null;
}

/** Fresh parsing state for one file (what the header and blocks will fill in). */
export function newCaptureState(fileIndex: number): CaptureState {
  return {
    format: 'pcap',
    precision: 'us',
    linkTypes: [],
    packets: 0,
    isLittleEndian: true,
    isNano: false,
    snaplen: 0,
    linkType: 0,
    interfaces: [],
    lastTsSec: 0,
    lastTsNsec: 0,
    record: newPacketRecord(fileIndex),
    hasPacket: false,
    needed: 0,
    damage: null,
  };
}

function noteLinkType(s: CaptureState, linkType: number): void {
  if (!s.linkTypes.includes(linkType)) s.linkTypes.push(linkType);
}

export function readPcapHeader(s: CaptureState, buf: Buffer): void {
  const magicLE = buf.readUInt32LE(0);
  s.isLittleEndian = magicLE === PCAP_MAGIC_US || magicLE === PCAP_MAGIC_NS;
  s.isNano = (s.isLittleEndian ? magicLE : buf.readUInt32BE(0)) === PCAP_MAGIC_NS;
  s.precision = s.isNano ? 'ns' : 'us';
  s.snaplen = s.isLittleEndian ? buf.readUInt32LE(16) : buf.readUInt32BE(16);
  // The upper 4 bits of the link type word hold FCS information (pcap-savefile(5)); the type is the low 28.
  const linkWord = s.isLittleEndian ? buf.readUInt32LE(20) : buf.readUInt32BE(20);
  s.linkType = linkWord & 0x0fffffff;
  noteLinkType(s, s.linkType);
}

export function readPcapRecord(s: CaptureState, buf: Buffer, pos: number): number {
  s.hasPacket = false;
  if (buf.length - pos < 16) {
    s.needed = 16;
    return 0;
  }
  const le = s.isLittleEndian;
  const tsSec = le ? u32le(buf, pos) : u32be(buf, pos);
  const tsFrac = le ? u32le(buf, pos + 4) : u32be(buf, pos + 4);
  const capLen = le ? u32le(buf, pos + 8) : u32be(buf, pos + 8);
  const origLen = le ? u32le(buf, pos + 12) : u32be(buf, pos + 12);
  if (capLen > MAX_RECORD_CAPLEN) {
    s.damage = `bad packet record: captured length ${capLen} exceeds the maximum of ${MAX_RECORD_CAPLEN}`;
    return -1;
  }
  if (buf.length - pos < 16 + capLen) {
    s.needed = 16 + capLen;
    return 0;
  }
  const r = s.record;
  r.linkType = s.linkType;
  r.tsSec = tsSec;
  r.tsNsec = s.isNano ? tsFrac : tsFrac * 1000;
  r.time = s.isNano ? tsSec + Math.floor(tsFrac / 1000) / 1e6 : tsSec + tsFrac / 1e6;
  r.hasTimestamp = true;
  r.capturedLength = capLen;
  r.originalLength = origLen;
  r.offset = pos + 16;
  s.hasPacket = true;
  return 16 + capLen;
}

function u32(s: CaptureState, buf: Buffer, at: number): number {
  return s.isLittleEndian ? u32le(buf, at) : u32be(buf, at);
}
function u16(s: CaptureState, buf: Buffer, at: number): number {
  return s.isLittleEndian ? u16le(buf, at) : u16be(buf, at);
}

export function readPcapngBlock(s: CaptureState, buf: Buffer, pos: number): number {
  s.hasPacket = false;
  if (buf.length - pos < 12) {
    s.needed = 12;
    return 0;
  }
  const typeBE = buf.readUInt32BE(pos);
  if (typeBE === PCAPNG_SHB) {
    // A new section may switch byte order: read it from the byte-order magic before the length.
    const bomLE = buf.readUInt32LE(pos + 8);
    if (bomLE === PCAPNG_BYTE_ORDER_MAGIC) s.isLittleEndian = true;
    else if (buf.readUInt32BE(pos + 8) === PCAPNG_BYTE_ORDER_MAGIC) s.isLittleEndian = false;
    else {
      s.damage = 'pcapng section header block with a bad byte-order magic';
      return -1;
    }
  }
  const type = u32(s, buf, pos);
  const length = u32(s, buf, pos + 4);
  if (length < 12 || length % 4 !== 0 || length > MAX_BLOCK_LENGTH) {
    s.damage = `bad pcapng block length ${length} (block type 0x${type.toString(16)})`;
    return -1;
  }
  if (buf.length - pos < length) {
    s.needed = length;
    return 0;
  }
  if (u32(s, buf, pos + length - 4) !== length) {
    s.damage = `pcapng block (type 0x${type.toString(16)}) trailing length does not match its leading length ${length}`;
    return -1;
  }
  switch (type) {
    case PCAPNG_SHB:
      if (length < 28) return badBlock(s, 'section header', length, 28);
      // Interface ids are numbered afresh in every section.
      s.interfaces = [];
      return length;
    case PCAPNG_IDB:
      if (length < 20) return badBlock(s, 'interface description', length, 20);
      return readInterface(s, buf, pos, length);
    case PCAPNG_EPB:
      if (length < 32) return badBlock(s, 'enhanced packet', length, 32);
      return readPacketBlock(s, buf, pos, length, u32(s, buf, pos + 8), 'enhanced packet');
    case PCAPNG_SPB:
      if (length < 16) return badBlock(s, 'simple packet', length, 16);
      return readSimplePacket(s, buf, pos, length);
    case PCAPNG_OPB:
      if (length < 32) return badBlock(s, 'packet', length, 32);
      // The obsolete block's interface id is 16 bits, followed by a 16-bit drop count.
      return readPacketBlock(s, buf, pos, length, u16(s, buf, pos + 8), 'packet');
    default:
      // Name resolution, statistics, decryption secrets, custom blocks: not needed here.
      return length;
  }
}

function badBlock(s: CaptureState, what: string, length: number, minimum: number): number {
  s.damage = `pcapng ${what} block too short (length ${length} < ${minimum})`;
  return -1;
}

function readInterface(s: CaptureState, buf: Buffer, pos: number, length: number): number {
  const iface: PcapngInterface = {
    linkType: u16(s, buf, pos + 8),
    snaplen: u32(s, buf, pos + 12),
    unitsPerSecond: 1e6,
    offsetSeconds: 0,
  };
  // Options: code(2) length(2) value padded to 4 (pcapng 3.5).
  let at = pos + 16;
  const end = pos + length - 4;
  while (at + 4 <= end) {
    const code = u16(s, buf, at);
    const optLen = u16(s, buf, at + 2);
    if (code === 0) break; // opt_endofopt
    if (at + 4 + optLen > end) {
      s.damage = `pcapng interface option ${code} overruns its block (length ${optLen})`;
      return -1;
    }
    if (code === 9 && optLen >= 1) {
      const v = buf[at + 4];
      // if_tsresol: MSB clear = negative power of 10, set = negative power of 2.
      const exp = v & 0x7f;
      iface.unitsPerSecond = v & 0x80 ? 2 ** exp : 10 ** exp;
    } else if (code === 14 && optLen >= 8) {
      iface.offsetSeconds = Number(s.isLittleEndian ? buf.readBigInt64LE(at + 4) : buf.readBigInt64BE(at + 4));
    }
    at += 4 + ((optLen + 3) & ~3);
  }
  if (iface.unitsPerSecond > 1e6) s.precision = 'ns';
  // The file's snap length is its smallest interface limit (0 in pcapng means none).
  if (iface.snaplen > 0 && (s.snaplen === 0 || iface.snaplen < s.snaplen)) s.snaplen = iface.snaplen;
  s.interfaces.push(iface);
  noteLinkType(s, iface.linkType);
  return length;
}

function setTimestamp(s: CaptureState, iface: PcapngInterface, high: number, low: number): void {
  const r = s.record;
  const units = iface.unitsPerSecond;
  const ticks = high * 4294967296 + low;
  let sec: number;
  let nsec: number;
  if (ticks <= Number.MAX_SAFE_INTEGER) {
    sec = Math.floor(ticks / units);
    nsec = Math.floor(((ticks - sec * units) * 1e9) / units);
  } else {
    // Nanosecond (or finer) timestamps pass 2^53: split exactly with BigInt (rare formats only).
    const big = (BigInt(high) << 32n) | BigInt(low);
    const bigUnits = BigInt(units);
    sec = Number(big / bigUnits);
    nsec = Number(((big % bigUnits) * 1000000000n) / bigUnits);
  }
  sec += iface.offsetSeconds;
  r.tsSec = sec;
  r.tsNsec = nsec;
  r.time = sec + Math.floor(nsec / 1000) / 1e6;
  r.hasTimestamp = true;
  s.lastTsSec = sec;
  s.lastTsNsec = nsec;
}

function interfaceFor(s: CaptureState, id: number): PcapngInterface | null {
  const iface = s.interfaces[id];
  if (iface === undefined) {
    s.damage = `pcapng packet names interface ${id}, but the section describes ${s.interfaces.length}`;
    return null;
  }
  return iface;
}

/**
 * Enhanced (type 6) and obsolete (type 2) packet blocks share their layout after the interface
 * id: timestamp high/low, captured length, original length, data (pcapng 4.3, appendix A).
 */
function readPacketBlock(s: CaptureState, buf: Buffer, pos: number, length: number, interfaceId: number, what: string): number {
  const iface = interfaceFor(s, interfaceId);
  if (iface === null) return -1;
  const capLen = u32(s, buf, pos + 20);
  if (capLen > length - 32) {
    s.damage = `pcapng ${what} block captured length ${capLen} exceeds its block (length ${length})`;
    return -1;
  }
  setTimestamp(s, iface, u32(s, buf, pos + 12), u32(s, buf, pos + 16));
  fillPacket(s, iface, pos + 28, capLen, u32(s, buf, pos + 24));
  return length;
}

function readSimplePacket(s: CaptureState, buf: Buffer, pos: number, length: number): number {
  const iface = interfaceFor(s, 0);
  if (iface === null) return -1;
  const origLen = u32(s, buf, pos + 8);
  // A simple packet block has no captured length: it is the smaller of the wire length, the
  // interface's snaplen and the room in the block (pcapng 4.4).
  let capLen = Math.min(origLen, length - 16);
  if (iface.snaplen > 0) capLen = Math.min(capLen, iface.snaplen);
  const r = s.record;
  r.tsSec = s.lastTsSec;
  r.tsNsec = s.lastTsNsec;
  r.time = s.lastTsSec + Math.floor(s.lastTsNsec / 1000) / 1e6;
  r.hasTimestamp = false;
  fillPacket(s, iface, pos + 12, capLen, origLen);
  return length;
}

function fillPacket(s: CaptureState, iface: PcapngInterface, at: number, capLen: number, origLen: number): void {
  const r = s.record;
  r.linkType = iface.linkType;
  r.capturedLength = capLen;
  r.originalLength = origLen;
  r.offset = at;
  s.hasPacket = true;
}
