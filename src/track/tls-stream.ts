/**
 * \summary: follows TLS record boundaries through each direction's TCP byte stream, in sequence
 * order, and reads the cleartext ClientHello / ServerHello and alerts on the way.
 *
 * For every record header it calls onTlsRecord (record-activity.ts) with the time of the segment
 * that carried the header's first byte. The hellos are parsed into conn.tls in place, or, when
 * split across segments or records, from a bounded copy kept only until they are whole. Segments
 * ahead of a gap wait in a small per-direction store until the gap is filled. The common case (a segment in order, whole records or a long record's
 * body) reads a few bytes straight from the packet buffer and allocates nothing.
 */
import { RST, SYN, type DecodedPacket } from '../decode/decoded-packet.js';
import { HELLO_OK, parseClientHello, parseServerHello } from '../decode/tls.js';
import type { Connection } from './connection.js';
import { TLS_1_3, TLS_ALERT, TLS_APPLICATION_DATA, TLS_CHANGE_CIPHER_SPEC, TLS_HANDSHAKE, onTlsRecord } from './record-activity.js';

/**
 * Why a direction's record tracking is not (or no longer) following the stream:
 * following: records are being found (or will be: no payload yet);
 * not-tls: the direction's first bytes, or a later record header, are not a TLS record header;
 * gap: sequence space is missing: segments ahead of it are waiting (tracking resumes if it is
 *   filled), or the store for them overflowed (tracking stopped);
 * truncated: the snap length cut a record header or the hello message: stopped;
 * midstream: the capture began inside the stream and no record boundary was found yet.
 */
export type TlsStreamStatus = 'following' | 'not-tls' | 'gap' | 'truncated' | 'midstream';

/** Internal modes (ints for the per-packet path; `status` is their readable mirror). */
const M_NEW = 0;
const M_FOLLOWING = 1;
const M_MIDSTREAM = 2;
const M_STOPPED = 3;

/** What the current record's body is read for. */
const KEEP_NONE = 0;
const KEEP_HELLO = 1;
const KEEP_ALERT = 2;

/** TLSCiphertext length limit of RFC 5246 6.2.3 (2^14 + 2048); TLS 1.3 allows less. */
const MAX_RECORD_LENGTH = 16384 + 2048;
/** Stricter limit for resynchronising (RFC 8446 5.2: 2^14 + 256). */
const RESYNC_MAX_LENGTH = 16384 + 256;
/** Largest ClientHello / ServerHello copied for parsing (a post-quantum ClientHello is ~2 KB). */
const MAX_HELLO_BYTES = 20 * 1024;
const MAX_ALERTS = 8;
/** Out-of-order store bounds per direction: captured bytes and segments waiting for a gap. */
export const OOO_MAX_BYTES = 64 * 1024;
export const OOO_MAX_SEGMENTS = 16;
const OOO_INITIAL_BYTES = 16 * 1024;
/** Per stored segment in OutOfOrderStore.meta: seq, offset in data, captured length, wire length, time. */
const META = 5;

const HS_CLIENT_HELLO = 1;
const HS_SERVER_HELLO = 2;

/** The hello message being reassembled (allocated on the first handshake byte, dropped when done). */
interface HelloAssembly {
  /** Bytes of the 4-byte handshake header read, and the body length it gives. */
  headerGot: number;
  length: number;
  /** Header + body, allocated once the length is known. */
  bytes: Buffer | null;
  got: number;
}

/** Segments that arrived ahead of the next expected sequence number (allocated only then). */
interface OutOfOrderStore {
  data: Buffer;
  used: number;
  count: number;
  meta: Float64Array;
}

/** Record-tracking state of one direction. */
export interface TlsStream {
  status: TlsStreamStatus;
  /** M_* above. */
  mode: number;
  /** Sequence number (uint32) of the next stream byte expected. */
  nextSeq: number;
  /** Record headers found so far. */
  records: number;
  /** Bytes of the current 5-byte record header gathered (a header split across segments). */
  headerGot: number;
  headerType: number;
  headerLength: number;
  /** Time of the segment with the current record header's first byte. */
  recordTime: number;
  /** Body bytes of the current record still to come. */
  bodyLeft: number;
  /** KEEP_*: whether the current record's body is read (hello, alert) or skipped. */
  keep: number;
  alertLevel: number;
  /** This direction sent ChangeCipherSpec: its later TLS 1.2 records are encrypted. */
  isCcsSeen: boolean;
  /** The hello was parsed, or will not be found (no more handshake bytes are copied). */
  isHelloDone: boolean;
  hello: HelloAssembly | null;
  ooo: OutOfOrderStore | null;
}

export interface TlsAlert {
  from: 'client' | 'server';
  /** 1 warning, 2 fatal. */
  level: number;
  /** RFC 8446 6 AlertDescription number. */
  description: number;
  time: number;
}

/** What the cleartext handshake said, per connection. */
export interface TlsFacts {
  /**
   * Time of the segment with the first byte of the record that carried the ClientHello's /
   * ServerHello's first byte (its handshake type), 0 when that byte was not seen. Set even when
   * the snap length cuts the rest of the hello; after a HelloRetryRequest, the real ServerHello's.
   */
  clientHelloTime: number;
  serverHelloTime: number;
  /** server_name (host_name) from the ClientHello; null when absent or not seen. */
  sni: string | null;
  /**
   * The snap length cut the client's ClientHello (or, from a stream whose start is known, the
   * client's first record header, where the ClientHello must be) before it ended: SNI unknown.
   */
  isClientHelloCut: boolean;
  /** ALPN protocols the client offered (null: no ALPN extension or no ClientHello). */
  alpnOffered: string[] | null;
  /** TLS versions the client offered (supported_versions, else legacy_version), e.g. 0x0304. */
  versionsOffered: number[] | null;
  /** Negotiated version from the ServerHello (supported_versions for TLS 1.3), or null. */
  version: number | null;
  /** ALPN protocol the server selected, or null. */
  alpn: string | null;
  /** The server answered the first ClientHello with a HelloRetryRequest (RFC 8446 4.1.4). */
  isHelloRetryRequest: boolean;
  /** Cleartext alert records (in TLS 1.3 only those before encryption starts). */
  alerts: TlsAlert[];
}

/** Double-valued fields (times, 32-bit sequence numbers) start as -0: see newRecordActivity. */
export function newTlsStream(): TlsStream {
  return {
    status: 'following',
    mode: M_NEW,
    nextSeq: -0,
    records: 0,
    headerGot: 0,
    headerType: 0,
    headerLength: 0,
    recordTime: -0,
    bodyLeft: 0,
    keep: KEEP_NONE,
    alertLevel: 0,
    isCcsSeen: false,
    isHelloDone: false,
    hello: null,
    ooo: null,
  };
}

export function newTlsFacts(): TlsFacts {
  return {
    clientHelloTime: -0,
    serverHelloTime: -0,
    sni: null,
    isClientHelloCut: false,
    alpnOffered: null,
    versionsOffered: null,
    version: null,
    alpn: null,
    isHelloRetryRequest: false,
    alerts: [],
  };
}

/** Makes a finished connection's record follower as good as new (the tracker reuses it). */
export function resetTlsStream(s: TlsStream): TlsStream {
  s.status = 'following';
  s.mode = M_NEW;
  s.nextSeq = -0;
  s.records = 0;
  s.headerGot = 0;
  s.headerType = 0;
  s.headerLength = 0;
  s.recordTime = -0;
  s.bodyLeft = 0;
  s.keep = KEEP_NONE;
  s.alertLevel = 0;
  s.isCcsSeen = false;
  s.isHelloDone = false;
  s.hello = null;
  s.ooo = null;
  return s;
}

/**
 * Makes a finished connection's TLS facts as good as new (the tracker reuses them). Lists are
 * replaced, not emptied: a report row may still hold them.
 */
export function resetTlsFacts(f: TlsFacts): TlsFacts {
  f.clientHelloTime = -0;
  f.serverHelloTime = -0;
  f.sni = null;
  f.isClientHelloCut = false;
  f.alpnOffered = null;
  f.versionsOffered = null;
  f.version = null;
  f.alpn = null;
  f.isHelloRetryRequest = false;
  if (f.alerts.length > 0) f.alerts = [];
  return f;
}

/** Follows one TCP segment with payload (p.payloadLength > 0) of the given direction. */
export function followTls(conn: Connection, isClient: boolean, p: DecodedPacket): void {
  const t = p.time;
  const s = isClient ? conn.clientTls : conn.serverTls;
  // RFC 9293 3.5.3 lets a RST carry diagnostic text: it is not stream data.
  if ((p.flags & RST) !== 0) return;
  if (s.mode !== M_FOLLOWING && (s.mode === M_STOPPED || !startFollowing(conn, isClient, s, p))) return;
  // A SYN's own sequence number comes before its data (TCP Fast Open).
  const seq = (p.flags & SYN) !== 0 ? (p.seq + 1) >>> 0 : p.seq;
  if (seq === s.nextSeq && s.ooo === null) {
    const wire = p.payloadLength;
    const buf = p.buffer;
    const at = p.payloadOffset;
    if (s.bodyLeft === 0 && s.headerGot === 0 && s.isHelloDone && p.capturedPayloadLength >= 5 && buf[at] === TLS_APPLICATION_DATA && buf[at + 1] === 3) {
      // The usual segment once the handshake is over: one whole application-data record (what
      // consume() and onHeader() would do for it, without their loop and checks).
      const length = (buf[at + 3] << 8) | buf[at + 4];
      if (5 + length === wire && length > 0 && length <= MAX_RECORD_LENGTH) {
        s.records++;
        s.recordTime = t;
        onTlsRecord(conn, isClient, TLS_APPLICATION_DATA, wire, t);
        s.nextSeq = (seq + wire) >>> 0;
        return;
      }
    }
    consume(conn, isClient, s, buf, at, p.capturedPayloadLength, wire, 0, t);
    s.nextSeq = (seq + wire) >>> 0;
    return;
  }
  followSegment(conn, isClient, s, p.buffer, p.payloadOffset, p.capturedPayloadLength, p.payloadLength, seq, t);
}

/**
 * Decides where a direction's records start, on its first payload (and, midstream, on each
 * payload until a boundary is found). Returns whether this segment is to be followed now.
 */
function startFollowing(conn: Connection, isClient: boolean, s: TlsStream, p: DecodedPacket): boolean {
  if (s.mode === M_NEW) {
    // The endpoint's SYN / SYN-ACK was seen: its stream starts right after its initial sequence number.
    if (isClient ? conn.synTime !== 0 : conn.synAckTime !== 0) {
      s.mode = M_FOLLOWING;
      s.nextSeq = ((isClient ? conn.client : conn.server).startSeq + 1) >>> 0;
      return true;
    }
    s.mode = M_MIDSTREAM;
    s.status = 'midstream';
  }
  if (!isRecordBoundary(p.buffer, p.payloadOffset, p.capturedPayloadLength, p.payloadLength)) return false;
  s.mode = M_FOLLOWING;
  s.status = 'following';
  s.nextSeq = (p.flags & SYN) !== 0 ? (p.seq + 1) >>> 0 : p.seq;
  return true;
}

/**
 * Resynchronisation heuristic for a stream whose start was not captured: a segment is taken to
 * begin at a record boundary when its captured bytes hold a chain of plausible record headers
 * (type 20..23, version 0x0301..0x0304, length <= 2^14 + 256), each following the previous
 * record's end, the last one ending exactly at the segment end or running past it. A chain whose
 * next header would start in bytes the snap length cut is not accepted (it cannot be checked).
 * A chance match in encrypted bytes needs ~5 specific byte values at once (about 1 in 4 million
 * per segment for a one-record chain) and most segments start at a record boundary anyway.
 */
export function isRecordBoundary(buf: Uint8Array, off: number, cap: number, wire: number): boolean {
  for (let i = 0; ; ) {
    if (i + 5 > cap) return false;
    const at = off + i;
    const type = buf[at];
    const minor = buf[at + 2];
    if (type < 20 || type > 23 || buf[at + 1] !== 3 || minor < 1 || minor > 4) return false;
    const length = (buf[at + 3] << 8) | buf[at + 4];
    if (length > RESYNC_MAX_LENGTH) return false;
    i += 5 + length;
    if (i >= wire) return true;
  }
}

/** A segment not exactly at the next expected sequence number, or with segments waiting. */
function followSegment(
  conn: Connection,
  isClient: boolean,
  s: TlsStream,
  buf: Buffer,
  off: number,
  cap: number,
  wire: number,
  seq: number,
  t: number,
): void {
  const delta = (seq - s.nextSeq) | 0;
  if (delta > 0) {
    keepAhead(s, buf, off, cap, wire, seq, t);
    return;
  }
  // Retransmitted bytes were followed already: only a new tail is used.
  if (-delta < wire) {
    consume(conn, isClient, s, buf, off, cap, wire, -delta, t);
    if (s.mode !== M_FOLLOWING) return;
    s.nextSeq = (seq + wire) >>> 0;
  }
  if (s.ooo !== null) drain(conn, isClient, s, s.ooo);
}

/** Copies a segment that is ahead of a gap into the store; overflowing it ends tracking ('gap'). */
function keepAhead(s: TlsStream, buf: Buffer, off: number, cap: number, wire: number, seq: number, t: number): void {
  let st = s.ooo;
  if (st === null) {
    st = { data: Buffer.allocUnsafe(Math.min(OOO_MAX_BYTES, Math.max(OOO_INITIAL_BYTES, cap))), used: 0, count: 0, meta: new Float64Array(OOO_MAX_SEGMENTS * META) };
    s.ooo = st;
  }
  const m = st.meta;
  for (let k = 0; k < st.count; k++) {
    if (m[k * META] === seq && m[k * META + 3] >= wire) return; // the same segment again
  }
  if (st.count === OOO_MAX_SEGMENTS || st.used + cap > OOO_MAX_BYTES) {
    stop(s, 'gap');
    return;
  }
  if (st.used + cap > st.data.length) {
    const grown = Buffer.allocUnsafe(Math.min(OOO_MAX_BYTES, Math.max(st.data.length * 2, st.used + cap)));
    st.data.copy(grown, 0, 0, st.used);
    st.data = grown;
  }
  if (cap > 0) buf.copy(st.data, st.used, off, off + cap);
  const base = st.count * META;
  m[base] = seq;
  m[base + 1] = st.used;
  m[base + 2] = cap;
  m[base + 3] = wire;
  m[base + 4] = t;
  st.used += cap;
  st.count++;
  s.status = 'gap';
}

/** Follows the stored segments that the next expected sequence number has reached, in order. */
function drain(conn: Connection, isClient: boolean, s: TlsStream, st: OutOfOrderStore): void {
  const m = st.meta;
  for (let k = 0; k < st.count; ) {
    const base = k * META;
    const seq = m[base];
    const delta = (seq - s.nextSeq) | 0;
    if (delta > 0) {
      k++;
      continue;
    }
    const off = m[base + 1];
    const cap = m[base + 2];
    const wire = m[base + 3];
    const t = m[base + 4];
    // Remove entry k (the last one takes its place); its bytes stay in `data` until the store empties.
    st.count--;
    const last = st.count * META;
    for (let j = 0; j < META; j++) m[base + j] = m[last + j];
    if (-delta < wire) {
      consume(conn, isClient, s, st.data, off, cap, wire, -delta, t);
      if (s.mode !== M_FOLLOWING) return;
      s.nextSeq = (seq + wire) >>> 0;
    }
    k = 0; // the next expected number moved: look again from the start
  }
  if (st.count === 0) {
    s.ooo = null;
    s.status = 'following';
  }
}

function stop(s: TlsStream, status: TlsStreamStatus): void {
  s.mode = M_STOPPED;
  s.status = status;
  s.ooo = null;
  s.hello = null;
}

/**
 * Walks the segment's bytes [i, wire) (captured up to `cap`, at buf[off..]): record headers are
 * read, bodies skipped unless the hello or an alert is in them.
 */
function consume(
  conn: Connection,
  isClient: boolean,
  s: TlsStream,
  buf: Buffer,
  off: number,
  cap: number,
  wire: number,
  i: number,
  t: number,
): void {
  while (i < wire) {
    if (s.bodyLeft > 0) {
      const n = s.bodyLeft < wire - i ? s.bodyLeft : wire - i;
      if (s.keep !== KEEP_NONE && !keepBody(conn, isClient, s, buf, off, cap, i, n)) return;
      s.bodyLeft -= n;
      i += n;
      continue;
    }
    if (s.headerGot === 0 && i + 5 <= cap) {
      // The whole header is in this segment's captured bytes: the common case.
      const at = off + i;
      s.recordTime = t;
      if (buf[at + 1] !== 3 || !onHeader(conn, isClient, s, buf[at], (buf[at + 3] << 8) | buf[at + 4])) {
        if (s.mode !== M_STOPPED) stop(s, 'not-tls');
        return;
      }
      i += 5;
      continue;
    }
    if (i >= cap) {
      cutHeader(conn, isClient, s);
      return;
    }
    // A header split across segments: one byte at a time.
    const b = buf[off + i];
    i++;
    switch (s.headerGot++) {
      case 0:
        s.headerType = b;
        s.recordTime = t;
        break;
      case 1:
        if (b !== 3) {
          stop(s, 'not-tls');
          return;
        }
        break;
      case 2:
        break;
      case 3:
        s.headerLength = b << 8;
        break;
      default:
        s.headerGot = 0;
        if (!onHeader(conn, isClient, s, s.headerType, s.headerLength | b)) return;
    }
  }
}

/** A complete record header (major version 3 already checked). False when tracking stopped. */
function onHeader(conn: Connection, isClient: boolean, s: TlsStream, type: number, length: number): boolean {
  // 24 (heartbeat) may follow, but a stream must start with one of 20..23.
  if (type < 20 || type > (s.records === 0 ? 23 : 24) || length > MAX_RECORD_LENGTH) {
    // A record type is a TLS record too long to be one; a stream that is not TLS at all is not odd.
    if (type >= 20 && type <= 24 && length > MAX_RECORD_LENGTH) conn.oddities.tlsTooLong++;
    stop(s, 'not-tls');
    return false;
  }
  if (length === 0) conn.oddities.tlsZeroLength++;
  s.records++;
  s.bodyLeft = length;
  s.keep = KEEP_NONE;
  if (type === TLS_HANDSHAKE) {
    if (!s.isHelloDone) s.keep = KEEP_HELLO;
  } else if (type === TLS_ALERT) {
    // A 2-byte alert is cleartext: TLS 1.2 encrypts alerts after ChangeCipherSpec (longer, with a
    // MAC/tag), TLS 1.3 sends encrypted alerts as type 23.
    if (length === 2 && (!s.isCcsSeen || conn.tls.version === TLS_1_3)) s.keep = KEEP_ALERT;
  } else if (type === TLS_CHANGE_CIPHER_SPEC) {
    s.isCcsSeen = true;
    // A client's CCS follows its ClientHello; a server's may sit between a HelloRetryRequest and its ServerHello.
    if (!s.isHelloDone && (isClient || !conn.tls.isHelloRetryRequest)) endHello(s);
  } else if (!s.isHelloDone) {
    endHello(s); // encrypted data: no hello in the clear after it
  }
  onTlsRecord(conn, isClient, type, 5 + length, s.recordTime);
  return true;
}

/** A record header lies in bytes the snap length cut. */
function cutHeader(conn: Connection, isClient: boolean, s: TlsStream): void {
  // The client's first record, or the next record of a ClientHello spanning records: the ClientHello is cut.
  if (isClient && !s.isHelloDone && (s.hello !== null || s.records === 0)) conn.tls.isClientHelloCut = true;
  stop(s, 'truncated');
}

/** Reads n body bytes at segment offset i (captured up to cap) for the hello or an alert. */
function keepBody(conn: Connection, isClient: boolean, s: TlsStream, buf: Buffer, off: number, cap: number, i: number, n: number): boolean {
  let avail = cap - i;
  if (avail > n) avail = n;
  if (avail < 0) avail = 0;
  if (s.keep === KEEP_ALERT) {
    for (let k = 0; k < avail; k++) {
      const b = buf[off + i + k];
      if (s.bodyLeft - k === 2) s.alertLevel = b;
      else if (conn.tls.alerts.length < MAX_ALERTS) {
        conn.tls.alerts.push({ from: isClient ? 'client' : 'server', level: s.alertLevel, description: b, time: s.recordTime });
      }
    }
    if (avail < n) s.keep = KEEP_NONE; // an alert cut by the snap length is left out
    return true;
  }
  if (avail > 0) addHelloBytes(conn, isClient, s, buf, off + i, avail);
  if (s.isHelloDone) {
    s.keep = KEEP_NONE;
    return true;
  }
  if (avail < n) {
    if (isClient) conn.tls.isClientHelloCut = true;
    stop(s, 'truncated');
    return false;
  }
  return true;
}

function endHello(s: TlsStream): void {
  s.isHelloDone = true;
  s.hello = null;
  s.keep = KEEP_NONE;
}

/**
 * Takes handshake bytes for the hello: a message wholly inside them is parsed in place (the usual
 * case: no copy); a message split across segments or records is copied until whole.
 */
function addHelloBytes(conn: Connection, isClient: boolean, s: TlsStream, buf: Buffer, at: number, count: number): void {
  const end = at + count;
  const type = isClient ? HS_CLIENT_HELLO : HS_SERVER_HELLO;
  while (at < end) {
    let h = s.hello;
    if (h === null) {
      // The first handshake message of a direction must be its hello.
      if (buf[at] !== type) {
        endHello(s);
        return;
      }
      // Its time is known from its first byte, even if the snap length cuts the rest.
      if (isClient) conn.tls.clientHelloTime = s.recordTime;
      else conn.tls.serverHelloTime = s.recordTime;
      if (end - at >= 4) {
        const total = 4 + ((buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]);
        if (total <= end - at) {
          helloComplete(conn, isClient, s, buf, at, total);
          if (s.isHelloDone) return;
          at += total; // a HelloRetryRequest: the next message is the real ServerHello
          continue;
        }
      }
      h = { headerGot: 0, length: 0, bytes: null, got: 0 };
      s.hello = h;
    }
    let bytes = h.bytes;
    if (bytes === null) {
      const b = buf[at++];
      if (h.headerGot > 0) h.length = (h.length << 8) | b;
      if (++h.headerGot < 4) continue;
      if (4 + h.length > MAX_HELLO_BYTES) {
        endHello(s);
        return;
      }
      bytes = Buffer.allocUnsafe(4 + h.length);
      bytes[0] = type;
      bytes[1] = h.length >> 16;
      bytes[2] = (h.length >> 8) & 0xff;
      bytes[3] = h.length & 0xff;
      h.bytes = bytes;
      h.got = 4;
    } else {
      const n = Math.min(bytes.length - h.got, end - at);
      buf.copy(bytes, h.got, at, at + n);
      h.got += n;
      at += n;
    }
    if (h.got === bytes.length) {
      s.hello = null;
      helloComplete(conn, isClient, s, bytes, 0, bytes.length);
      if (s.isHelloDone) return;
    }
  }
}

/** Parses the whole hello message at buf[start, start + length) into conn.tls. */
function helloComplete(conn: Connection, isClient: boolean, s: TlsStream, buf: Buffer, start: number, length: number): void {
  const tls = conn.tls;
  if (isClient) {
    const r = parseClientHello(buf, start, start + length);
    if (r.status === HELLO_OK) {
      tls.sni = r.sni;
      tls.alpnOffered = r.alpn;
      tls.versionsOffered = r.versions;
    }
  } else {
    const r = parseServerHello(buf, start, start + length);
    if (r.status === HELLO_OK && r.isHelloRetryRequest && !tls.isHelloRetryRequest) {
      tls.isHelloRetryRequest = true;
      return;
    }
    if (r.status === HELLO_OK && !r.isHelloRetryRequest) {
      tls.version = r.version;
      tls.alpn = r.alpn;
    }
  }
  endHello(s);
}
