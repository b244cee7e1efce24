/**
 * \summary: one connection row as JSON bytes, written straight into a buffer.
 *
 * `JSON.stringify` walks each of a row's ~80 keys generically and builds a string that then has to
 * be encoded again to be written: about 13 µs per row, the largest single cost of a big report.
 * This writer knows the row's shape (report/model.ts) and writes the same bytes directly: keys are
 * pre-encoded, integers and microsecond-rounded times are formatted with integer arithmetic,
 * plain ASCII strings are copied. Anything else (a string that needs escaping or is not ASCII, a
 * number that is not a whole number of microseconds) goes through `JSON.stringify` for that value,
 * so the text is always exactly what `jsonSafe(JSON.stringify(row))` gives (a test holds it to that).
 */
import type {
  ConnectionReport,
  DirectionReport,
  RecordCounts,
  RttReport,
  TlsAlertReport,
  TlsReport,
} from '../report/model.js';
import { jsonSafe } from './escape.js';

/** Where the writer is: the target buffer, the next byte, the limit, and whether it ran out. */
export interface RowWriter {
  buf: Buffer;
  /** The same bytes, for writing keys four at a time. */
  view: DataView;
  at: number;
  end: number;
  isFull: boolean;
  /** The TLS object (without alerts) and the row end last written: connections of one agent repeat them. */
  tls: RepeatedBlock<TlsReport>;
  tail: RepeatedBlock<ConnectionReport>;
}

/** A part of a row whose text often repeats the previous row's: what it was written from, and the bytes. */
interface RepeatedBlock<T> {
  source: T | null;
  bytes: Buffer;
}

export function newRowWriter(buf: Buffer, at: number, end: number): RowWriter {
  return { buf, view: new DataView(buf.buffer, buf.byteOffset, buf.length), at, end, isFull: false, tls: { source: null, bytes: Buffer.alloc(0) }, tail: { source: null, bytes: Buffer.alloc(0) } };
}

/** Constant text (keys and punctuation) as little-endian 32-bit words: one store per four bytes. */
interface Ascii {
  words: Uint32Array;
  length: number;
}

function ascii(text: string): Ascii {
  const words = new Uint32Array(Math.ceil(text.length / 4));
  const bytes = new Uint8Array(words.buffer);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  // The words are read back as little-endian: on a big-endian host, swap them once here.
  if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
    const view = new DataView(words.buffer);
    for (let i = 0; i < words.length; i++) words[i] = view.getUint32(i * 4, true);
  }
  return { words, length: text.length };
}

const NULL = ascii('null');
const TRUE = ascii('true');
const FALSE = ascii('false');

/** Copies constant text. Up to three bytes past it are scratch, overwritten by what follows. */
function raw(w: RowWriter, text: Ascii): void {
  const words = text.words;
  const n = words.length;
  if (w.at + n * 4 > w.end) {
    w.isFull = true;
    return;
  }
  const view = w.view;
  const at = w.at;
  for (let i = 0; i < n; i++) view.setUint32(at + i * 4, words[i], true);
  w.at = at + text.length;
}

/** Digits of a whole number 0 ≤ n < 2^53 (small integers with integer arithmetic). */
function digits(w: RowWriter, n: number): void {
  if (w.at + 16 > w.end) {
    w.isFull = true;
    return;
  }
  const buf = w.buf;
  if (n < 10) {
    buf[w.at++] = 48 + n;
    return;
  }
  let len = 1;
  if (n >= 1e9) {
    len = 10;
    for (let p = 1e10; p <= n; p *= 10) len++;
  } else len = n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1e6 ? 6 : n < 1e7 ? 7 : n < 1e8 ? 8 : 9;
  let at = w.at + len;
  w.at = at;
  while (n > 0x7fffffff) {
    const q = Math.floor(n / 10);
    buf[--at] = 48 + (n - q * 10);
    n = q;
  }
  let m = n | 0;
  while (m >= 10) {
    const q = (m / 10) | 0;
    buf[--at] = 48 + (m - q * 10);
    m = q;
  }
  buf[--at] = 48 + m;
}

/** 2^33: below it, half a unit in the last place is less than 1e-6 (see writeNumber). */
const MICRO_EXACT_LIMIT = 8_589_934_592;

/**
 * A number exactly as JSON.stringify writes it. A whole number of microseconds below 2^33 has
 * exactly one shortest round-trip decimal, the one with at most six decimals: any other decimal of
 * as few digits is at least 1e-6 away, more than half a unit in the last place.
 */
function writeNumber(w: RowWriter, x: number): void {
  if ((x | 0) === x && x >= 0) {
    // Counts, ports, sizes: a non-negative int32.
    if (x < 10 && w.at < w.end) w.buf[w.at++] = 48 + x;
    else digits(w, x);
    return;
  }
  if (Number.isInteger(x) && Math.abs(x) < Number.MAX_SAFE_INTEGER && Math.abs(x) < 1e21) {
    if (x < 0) writeByte(w, 45);
    digits(w, Math.abs(x)); // -0 is written "0", as JSON.stringify does
    return;
  }
  if (Number.isFinite(x) && Math.abs(x) < MICRO_EXACT_LIMIT) {
    const micros = Math.round(x * 1e6);
    if (micros / 1e6 === x) {
      if (x < 0) writeByte(w, 45);
      const m = Math.abs(micros);
      const whole = Math.floor(m / 1e6);
      // Below 1e6: an int32, so the digit loops below use integer division, not fmod on doubles.
      let frac = (m - whole * 1e6) | 0;
      digits(w, whole);
      if (frac !== 0 && w.at + 8 <= w.end) {
        let places = 6;
        let q = (frac / 10) | 0;
        while (frac === q * 10) {
          frac = q;
          q = (frac / 10) | 0;
          places--;
        }
        const buf = w.buf;
        buf[w.at] = 46; // '.'
        let at = w.at + places;
        w.at = at + 1;
        for (let i = 0; i < places; i++) {
          q = (frac / 10) | 0;
          buf[at--] = 48 + (frac - q * 10);
          frac = q;
        }
      } else if (frac !== 0) {
        w.isFull = true;
      }
      return;
    }
  }
  writeText(w, JSON.stringify(x));
}

function writeByte(w: RowWriter, byte: number): void {
  if (w.at >= w.end) w.isFull = true;
  else w.buf[w.at++] = byte;
}

/** Text that is already JSON (from JSON.stringify), any characters. */
function writeText(w: RowWriter, json: string): void {
  const n = Buffer.byteLength(json);
  if (w.at + n > w.end) {
    w.isFull = true;
    return;
  }
  w.at += w.buf.write(json, w.at);
}

/** A JSON string: printable ASCII without quote or backslash is copied; anything else is escaped by JSON.stringify. */
function writeString(w: RowWriter, s: string): void {
  const n = s.length;
  if (w.at + n + 2 > w.end) {
    w.isFull = true;
    return;
  }
  const buf = w.buf;
  const start = w.at;
  let at = start;
  buf[at++] = 34;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 34 || c === 92) {
      w.at = start;
      writeText(w, jsonSafe(JSON.stringify(s)));
      return;
    }
    buf[at++] = c;
  }
  buf[at++] = 34;
  w.at = at;
}

function writeStringOrNull(w: RowWriter, s: string | null): void {
  if (s === null) raw(w, NULL);
  else writeString(w, s);
}

function writeNumberOrNull(w: RowWriter, x: number | null): void {
  if (x === null) raw(w, NULL);
  else writeNumber(w, x);
}

function writeStrings(w: RowWriter, list: string[] | null): void {
  if (list === null) {
    raw(w, NULL);
    return;
  }
  writeByte(w, 91);
  for (let i = 0; i < list.length; i++) {
    if (i > 0) writeByte(w, 44);
    writeString(w, list[i]);
  }
  writeByte(w, 93);
}

const K = {
  id: ascii('{"id":'),
  clientIp: ascii(',"client":{"ip":'),
  port: ascii(',"port":'),
  serverIp: ascii('},"server":{"ip":'),
  start: ascii('},"start":'),
  end: ascii(',"end":'),
  durationS: ascii(',"durationS":'),
  sni: ascii(',"sni":'),
  alpn: ascii(',"alpn":'),
  tlsVersion: ascii(',"tlsVersion":'),
  handshakeSeen: ascii(',"handshake":{"seen":'),
  synToSynAckMs: ascii(',"synToSynAckMs":'),
  synAckToAckMs: ascii(',"synAckToAckMs":'),
  tlsMs: ascii(',"tlsMs":'),
  firstServerDataMs: ascii(',"firstServerDataMs":'),
  client2server: ascii('},"client2server":'),
  server2client: ascii(',"server2client":'),
  packets: ascii('{"packets":'),
  bytes: ascii(',"bytes":'),
  records: ascii(',"records":'),
  control: ascii('{"control":'),
  data: ascii(',"data":'),
  retransmissions: ascii(',"retransmissions":'),
  outOfOrder: ascii(',"outOfOrder":'),
  lostSegments: ascii(',"lostSegments":'),
  dupAcks: ascii(',"dupAcks":'),
  zeroWindows: ascii(',"zeroWindows":'),
  zeroWindowProbes: ascii(',"zeroWindowProbes":'),
  keepAlives: ascii(',"keepAlives":'),
  rttMin: ascii(',"rttMs":{"min":'),
  median: ascii(',"median":'),
  max: ascii(',"max":'),
  samples: ascii(',"samples":'),
  firstRetransmissionAt: ascii(',"firstRetransmissionAt":'),
  firstZeroWindowAt: ascii(',"firstZeroWindowAt":'),
  maxDataSilenceS: ascii(',"maxDataSilenceS":'),
  maxDataSilenceAt: ascii(',"maxDataSilenceAt":'),
  sniStatus: ascii(',"tls":{"sniStatus":'),
  snaplen: ascii(',"snaplen":'),
  alpnOffered: ascii(',"alpnOffered":'),
  versionsOffered: ascii(',"versionsOffered":'),
  alerts: ascii(',"alerts":['),
  alertFrom: ascii('{"from":'),
  level: ascii(',"level":'),
  description: ascii(',"description":'),
  name: ascii(',"name":'),
  at: ascii(',"at":'),
  recordTracking: ascii('],"recordTracking":{"client2server":'),
  trackingServer: ascii(',"server2client":'),
  closeKind: ascii('}},"close":{"kind":'),
  initiator: ascii(',"initiator":'),
  wsInitiator: ascii(',"wsInitiator":'),
  wsCloseFrame: ascii(',"wsCloseFrame":'),
  clientState: ascii('},"clientState":'),
  zeek: ascii(',"zeek":{"connState":'),
  history: ascii(',"history":'),
  process: ascii('},"process":'),
  pid: ascii('{"pid":'),
  command: ascii(',"command":'),
};

function writeRecords(w: RowWriter, r: RecordCounts | null): void {
  if (r === null) {
    raw(w, NULL);
    return;
  }
  raw(w, K.control);
  writeNumber(w, r.control);
  raw(w, K.data);
  writeNumber(w, r.data);
  writeByte(w, 125);
}

function writeRtt(w: RowWriter, r: RttReport): void {
  raw(w, K.rttMin);
  writeNumberOrNull(w, r.min);
  raw(w, K.median);
  writeNumberOrNull(w, r.median);
  raw(w, K.max);
  writeNumberOrNull(w, r.max);
  raw(w, K.samples);
  writeNumber(w, r.samples);
  writeByte(w, 125);
}

/** A direction's fields, without the closing brace (the server's direction adds its silence). */
function writeDirectionFields(w: RowWriter, d: DirectionReport): void {
  raw(w, K.packets);
  writeNumber(w, d.packets);
  raw(w, K.bytes);
  writeNumber(w, d.bytes);
  raw(w, K.records);
  writeRecords(w, d.records);
  if (
    d.retransmissions === 0 &&
    d.outOfOrder === 0 &&
    d.lostSegments === 0 &&
    d.dupAcks === 0 &&
    d.zeroWindows === 0 &&
    d.zeroWindowProbes === 0 &&
    d.keepAlives === 0
  ) {
    raw(w, HEALTHY); // the usual direction: one copy instead of seven keys and values
  } else {
    raw(w, K.retransmissions);
    writeNumber(w, d.retransmissions);
    raw(w, K.outOfOrder);
    writeNumber(w, d.outOfOrder);
    raw(w, K.lostSegments);
    writeNumber(w, d.lostSegments);
    raw(w, K.dupAcks);
    writeNumber(w, d.dupAcks);
    raw(w, K.zeroWindows);
    writeNumber(w, d.zeroWindows);
    raw(w, K.zeroWindowProbes);
    writeNumber(w, d.zeroWindowProbes);
    raw(w, K.keepAlives);
    writeNumber(w, d.keepAlives);
  }
  writeRtt(w, d.rttMs);
  if (d.firstRetransmissionAt === null && d.firstZeroWindowAt === null) {
    raw(w, NO_FIRSTS);
  } else {
    raw(w, K.firstRetransmissionAt);
    writeNumberOrNull(w, d.firstRetransmissionAt);
    raw(w, K.firstZeroWindowAt);
    writeNumberOrNull(w, d.firstZeroWindowAt);
  }
}

/** A direction with every health counter 0, and with neither first time: the same text each time. */
const HEALTHY = ascii(',"retransmissions":0,"outOfOrder":0,"lostSegments":0,"dupAcks":0,"zeroWindows":0,"zeroWindowProbes":0,"keepAlives":0');
const NO_FIRSTS = ascii(',"firstRetransmissionAt":null,"firstZeroWindowAt":null');

function writeAlerts(w: RowWriter, alerts: TlsAlertReport[]): void {
  raw(w, K.alerts);
  for (let i = 0; i < alerts.length; i++) {
    const a = alerts[i];
    if (i > 0) writeByte(w, 44);
    raw(w, K.alertFrom);
    writeString(w, a.from);
    raw(w, K.level);
    writeNumber(w, a.level);
    raw(w, K.description);
    writeNumber(w, a.description);
    raw(w, K.name);
    writeStringOrNull(w, a.name);
    raw(w, K.at);
    writeNumber(w, a.at);
    writeByte(w, 125);
  }
}

/** Whether two TLS objects without alerts write the same text. */
function isSameTls(a: TlsReport, b: TlsReport): boolean {
  return (
    a.sniStatus === b.sniStatus &&
    a.snaplen === b.snaplen &&
    isSameStrings(a.alpnOffered, b.alpnOffered) &&
    isSameStrings(a.versionsOffered, b.versionsOffered) &&
    a.recordTracking.client2server === b.recordTracking.client2server &&
    a.recordTracking.server2client === b.recordTracking.server2client
  );
}

function isSameStrings(a: string[] | null, b: string[] | null): boolean {
  if (a === b) return true;
  if (a === null || b === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Writes a block with `write`, or, when it can repeat (`canRepeat`) and is the same as the one
 * written last (`isSame`), copies that one's bytes: one copy instead of a dozen writes.
 */
function writeRepeatable<T>(
  w: RowWriter,
  block: RepeatedBlock<T>,
  value: T,
  canRepeat: boolean,
  isSame: (a: T, b: T) => boolean,
  write: (w: RowWriter, value: T) => void,
): void {
  if (canRepeat && block.source !== null && isSame(value, block.source)) {
    copyBytes(w, block.bytes);
    return;
  }
  const start = w.at;
  write(w, value);
  if (canRepeat && !w.isFull) {
    block.source = value;
    block.bytes = Buffer.from(w.buf.subarray(start, w.at));
  }
}

function writeTlsFields(w: RowWriter, t: TlsReport): void {
  raw(w, K.sniStatus);
  writeString(w, t.sniStatus);
  raw(w, K.snaplen);
  writeNumberOrNull(w, t.snaplen);
  raw(w, K.alpnOffered);
  writeStrings(w, t.alpnOffered);
  raw(w, K.versionsOffered);
  writeStrings(w, t.versionsOffered);
  writeAlerts(w, t.alerts);
  raw(w, K.recordTracking);
  writeString(w, t.recordTracking.client2server);
  raw(w, K.trackingServer);
  writeString(w, t.recordTracking.server2client);
}

/**
 * Writes `JSON.stringify(row)`'s bytes at w.at. On return, w.isFull says the buffer's room ran
 * out (nothing usable was written; write the row another way).
 */
export function writeRowJson(w: RowWriter, row: ConnectionReport): void {
  raw(w, K.id);
  writeString(w, row.id);
  raw(w, K.clientIp);
  writeString(w, row.client.ip);
  raw(w, K.port);
  writeNumber(w, row.client.port);
  raw(w, K.serverIp);
  writeString(w, row.server.ip);
  raw(w, K.port);
  writeNumber(w, row.server.port);
  raw(w, K.start);
  writeNumber(w, row.start);
  raw(w, K.end);
  writeNumber(w, row.end);
  raw(w, K.durationS);
  writeNumber(w, row.durationS);
  raw(w, K.sni);
  writeStringOrNull(w, row.sni);
  raw(w, K.alpn);
  writeStringOrNull(w, row.alpn);
  raw(w, K.tlsVersion);
  writeStringOrNull(w, row.tlsVersion);
  const h = row.handshake;
  raw(w, K.handshakeSeen);
  raw(w, h.seen ? TRUE : FALSE);
  raw(w, K.synToSynAckMs);
  writeNumberOrNull(w, h.synToSynAckMs);
  raw(w, K.synAckToAckMs);
  writeNumberOrNull(w, h.synAckToAckMs);
  raw(w, K.tlsMs);
  writeNumberOrNull(w, h.tlsMs);
  raw(w, K.firstServerDataMs);
  writeNumberOrNull(w, h.firstServerDataMs);
  raw(w, K.client2server);
  writeDirectionFields(w, row.client2server);
  writeByte(w, 125);
  raw(w, K.server2client);
  const s = row.server2client;
  writeDirectionFields(w, s);
  raw(w, K.maxDataSilenceS);
  writeNumberOrNull(w, s.maxDataSilenceS);
  raw(w, K.maxDataSilenceAt);
  writeNumberOrNull(w, s.maxDataSilenceAt);
  writeByte(w, 125);
  writeRepeatable(w, w.tls, row.tls, row.tls.alerts.length === 0, isSameTls, writeTlsFields);
  const c = row.close;
  raw(w, K.closeKind);
  writeString(w, c.kind);
  raw(w, K.initiator);
  writeStringOrNull(w, c.initiator);
  raw(w, K.at);
  writeNumberOrNull(w, c.at);
  writeRepeatable(w, w.tail, row, row.process === null, isSameTail, writeTail);
}

/** Whether two rows without a process end with the same text (from the WebSocket closer on). */
function isSameTail(a: ConnectionReport, b: ConnectionReport): boolean {
  return (
    a.close.wsInitiator === b.close.wsInitiator &&
    a.close.wsCloseFrame === b.close.wsCloseFrame &&
    a.clientState === b.clientState &&
    a.zeek.connState === b.zeek.connState &&
    a.zeek.history === b.zeek.history
  );
}

/** The row's end, from the WebSocket closer on. */
function writeTail(w: RowWriter, row: ConnectionReport): void {
  const c = row.close;
  raw(w, K.wsInitiator);
  writeStringOrNull(w, c.wsInitiator);
  raw(w, K.wsCloseFrame);
  raw(w, c.wsCloseFrame === null ? NULL : c.wsCloseFrame ? TRUE : FALSE);
  raw(w, K.clientState);
  writeString(w, row.clientState);
  raw(w, K.zeek);
  writeString(w, row.zeek.connState);
  raw(w, K.history);
  writeString(w, row.zeek.history);
  raw(w, K.process);
  if (row.process === null) raw(w, NULL);
  else {
    raw(w, K.pid);
    writeNumber(w, row.process.pid);
    raw(w, K.command);
    writeString(w, row.process.command);
    writeByte(w, 125);
  }
  writeByte(w, 125);
}

/** Bytes copied as they are (a block written before). */
function copyBytes(w: RowWriter, bytes: Buffer): void {
  if (w.at + bytes.length > w.end) w.isFull = true;
  else w.at += bytes.copy(w.buf, w.at);
}
