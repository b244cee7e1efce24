/**
 * \summary: what a connection's TLS records say about its WebSocket: record size classes, the
 * server's longest data silence, and which side started the closing exchange.
 *
 * tls-stream.ts calls onTlsRecord once per record header, in stream order per direction. Records
 * of the TLS handshake and of the WebSocket upgrade are set apart ("setup") so that a stream which
 * only ever carries pings shows no data-size record at all. State is per connection: counters, a
 * few times and a small window of recent data-record times, never per record.
 */
import type { Connection } from './connection.js';

/** TLS ContentType (RFC 8446 5.1). */
export const TLS_CHANGE_CIPHER_SPEC = 20;
export const TLS_ALERT = 21;
export const TLS_HANDSHAKE = 22;
export const TLS_APPLICATION_DATA = 23;
export const TLS_1_3 = 0x0304;

/** Options that shape record classes; defaults in DEFAULT_RECORD_OPTIONS. */
export interface RecordOptions {
  /** A record smaller than this on the wire (5-byte header included) is control-size: ping, pong, close. */
  controlMaxBytes: number;
  /** Server records starting within this long after its first answer to the upgrade request are setup. */
  setupWindowS: number;
  /**
   * The closing exchange: control-size records each at most this far apart (or twice the handshake
   * round trip, if longer: an answer to a close frame takes a round trip wherever the capture was
   * taken), the last one this close to the first FIN/RST.
   */
  closeGapS: number;
}

export const DEFAULT_RECORD_OPTIONS: RecordOptions = { controlMaxBytes: 100, setupWindowS: 0.05, closeGapS: 0.2 };

/**
 * Server data-record times are kept this many deep, sorted, before their gaps are measured: records
 * released after a retransmission fills a hole arrive later than records captured after them.
 */
const PENDING = 16; // a power of two (indexes wrap with & PENDING_MASK); the literal array in addDataTime has this length
const PENDING_MASK = PENDING - 1;

export interface RecordActivity {
  options: RecordOptions;
  /** Application-data records each side sent so far (all phases): finds the Finished and the request. */
  clientAppRecords: number;
  serverAppRecords: number;
  /** Time of the client's upgrade request record (0: not yet), and the end of the server's setup burst. */
  requestTime: number;
  firstServerAnswerTime: number;
  setupEnd: number;
  /** Application-data records after setup, by size class, per direction. */
  clientControl: number;
  clientData: number;
  serverControl: number;
  serverData: number;
  /** Server data silence: start of the current one, and the longest so far (start, length). */
  silenceFrom: number;
  maxSilenceS: number;
  maxSilenceAt: number;
  /** The latest server data-record times not yet measured, sorted: a ring of PENDING (allocated on first use). */
  pending: number[] | null;
  pendingHead: number;
  pendingCount: number;
  /**
   * The run of control-size records that ends the record stream so far (before the first FIN/RST):
   * when it began (0: the last record was data-size, or none yet), who sent its first record, and
   * the time of the latest record of either class.
   */
  closingRunFrom: number;
  isClosingRunFromClient: boolean;
  /** The largest record of that run (wire size): a TLS 1.3 close_notify alone is 24 bytes, a close frame more. */
  closingRunLargest: number;
  lastRecordTime: number;
  /** The closing gap for this connection (closeGap()), worked out at its first classified record. */
  closeGapS: number;
}

/**
 * Fields that will hold non-integer numbers (times, seconds) start as -0, not 0: -0 equals 0 but is
 * already a double, so V8 gives the field a double layout from the start instead of migrating
 * every object the first time a time is stored (measured: maxDataSilence 5x faster).
 */
export function newRecordActivity(options: RecordOptions): RecordActivity {
  return {
    options,
    clientAppRecords: 0,
    serverAppRecords: 0,
    requestTime: -0,
    firstServerAnswerTime: -0,
    setupEnd: -0,
    clientControl: 0,
    clientData: 0,
    serverControl: 0,
    serverData: 0,
    silenceFrom: -0,
    maxSilenceS: -0,
    maxSilenceAt: -0,
    pending: null,
    pendingHead: 0,
    pendingCount: 0,
    closingRunFrom: -0,
    isClosingRunFromClient: false,
    closingRunLargest: 0,
    lastRecordTime: -0,
    closeGapS: -0.5, // not worked out yet (any negative; a double, as above)
  };
}

/** Makes a finished connection's record activity as good as new (the tracker reuses it); the ring keeps its storage. */
export function resetRecordActivity(a: RecordActivity, options: RecordOptions): RecordActivity {
  a.options = options;
  a.clientAppRecords = 0;
  a.serverAppRecords = 0;
  a.requestTime = -0;
  a.firstServerAnswerTime = -0;
  a.setupEnd = -0;
  a.clientControl = 0;
  a.clientData = 0;
  a.serverControl = 0;
  a.serverData = 0;
  a.silenceFrom = -0;
  a.maxSilenceS = -0;
  a.maxSilenceAt = -0;
  a.pendingHead = 0;
  a.pendingCount = 0;
  a.closingRunFrom = -0;
  a.isClosingRunFromClient = false;
  a.closingRunLargest = 0;
  a.lastRecordTime = -0;
  a.closeGapS = -0.5;
  return a;
}

/** One TLS record header seen at time t; `size` is its length on the wire, header included. */
export function onTlsRecord(conn: Connection, isClient: boolean, contentType: number, size: number, t: number): void {
  if (contentType !== TLS_APPLICATION_DATA) return;
  const a = conn.records;
  // Until the request is found (the TLS facts are read only then: one object less per record).
  if (isClient) {
    a.clientAppRecords++;
    if (a.requestTime === 0) {
      const version = conn.tls.version;
      // TLS 1.3: the client's first application-data record is its encrypted Finished; the next
      // one (the first in TLS 1.2) is the HTTP Upgrade request.
      if (a.clientAppRecords === (version === TLS_1_3 ? 1 : 0)) return;
      if (version !== null) {
        a.requestTime = t;
        return;
      }
    }
  } else {
    a.serverAppRecords++;
    if (a.requestTime === 0 && conn.tls.version !== null) return; // encrypted handshake (1.3) before the request
    if (a.firstServerAnswerTime === 0 && a.requestTime !== 0) {
      // The upgrade answer: session tickets and the 101 come in one burst.
      a.firstServerAnswerTime = t;
      a.setupEnd = t + a.options.setupWindowS;
      a.silenceFrom = t;
      return;
    }
    if (t <= a.setupEnd) {
      a.silenceFrom = t;
      return;
    }
  }
  const isData = size >= a.options.controlMaxBytes;
  // The handshake is over by the first classified record: its round trip is known.
  if (a.closeGapS < 0) a.closeGapS = closeGap(conn);
  // Without the upgrade in the capture (midstream), silence counts from the first packet.
  if (!isClient && a.silenceFrom === 0) a.silenceFrom = conn.firstTime;
  if (isClient) {
    if (isData) a.clientData++;
    else a.clientControl++;
  } else if (isData) {
    a.serverData++;
    addDataTime(a, t);
  } else {
    a.serverControl++;
  }
  if (conn.firstCloser === 0 || t < conn.firstCloseTime) {
    if (isData) a.closingRunFrom = 0;
    else if (a.closingRunFrom === 0 || t - a.lastRecordTime > a.closeGapS) {
      a.closingRunFrom = t;
      a.isClosingRunFromClient = isClient;
      a.closingRunLargest = size;
    } else if (size > a.closingRunLargest) {
      a.closingRunLargest = size;
    }
    a.lastRecordTime = t;
  }
}

/** How far apart the records of a closing exchange may be (RecordOptions.closeGapS). */
function closeGap(conn: Connection): number {
  const handshakeRtt = conn.synTime !== 0 && conn.handshakeAckTime !== 0 ? conn.handshakeAckTime - conn.synTime : 0;
  return Math.max(conn.records.options.closeGapS, 2 * handshakeRtt);
}

/** Inserts a data-record time into the sorted pending ring; the oldest leaves it measured. */
function addDataTime(a: RecordActivity, t: number): void {
  const ring = (a.pending ??= [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  if (a.pendingCount === PENDING) {
    const oldest = ring[a.pendingHead];
    if (t <= oldest) return; // older than the whole window: it would split a measured gap (not kept)
    measureSilence(a, oldest);
    a.pendingHead = (a.pendingHead + 1) & PENDING_MASK;
    a.pendingCount--;
  }
  // Insertion sort from the newest end: in order (the usual case) it stops at once.
  let i = a.pendingCount;
  while (i > 0) {
    const prev = ring[(a.pendingHead + i - 1) & PENDING_MASK];
    if (prev <= t) break;
    ring[(a.pendingHead + i) & PENDING_MASK] = prev;
    i--;
  }
  ring[(a.pendingHead + i) & PENDING_MASK] = t;
  a.pendingCount++;
}

/** Ends the current silence at t (the next data record) and keeps it when it is the longest. */
function measureSilence(a: RecordActivity, t: number): void {
  const length = t - a.silenceFrom;
  if (length > a.maxSilenceS) {
    a.maxSilenceS = length;
    a.maxSilenceAt = a.silenceFrom;
  }
  a.silenceFrom = t;
}

/**
 * The longest time the server sent no data-size record while the connection was open, up to
 * `end` (its first FIN/RST, or the end of the capture); the earliest of equally long ones. Null
 * when the stream was never followed to the end of the upgrade. Measures the pending times: call
 * it once, when the connection is finished.
 */
export function maxDataSilence(conn: Connection, end: number): { seconds: number; at: number } | null {
  const a = conn.records;
  if (a.silenceFrom === 0) return null;
  const ring = a.pending;
  if (ring !== null) {
    for (let i = 0; i < a.pendingCount; i++) {
      const t = ring[(a.pendingHead + i) & PENDING_MASK];
      if (t > end) break; // sorted: the rest came after the close too
      measureSilence(a, t);
    }
    a.pendingCount = 0;
  }
  measureSilence(a, Math.max(end, a.silenceFrom));
  return { seconds: a.maxSilenceS, at: a.maxSilenceAt };
}

/**
 * The side that started the WebSocket closing exchange: the sender of the first of the
 * control-size records that end the record stream just before the first FIN/RST, each within
 * closeGapS of the next (and the last within closeGapS of the FIN/RST). Null without that pattern.
 */
export function wsCloseInitiator(conn: Connection): 'client' | 'server' | null {
  const a = conn.records;
  if (conn.firstCloser === 0 || a.closingRunFrom === 0) return null;
  if (conn.firstCloseTime - a.lastRecordTime > a.closeGapS) return null;
  return a.isClosingRunFromClient ? 'client' : 'server';
}

/**
 * TLS 1.3 close_notify on the wire: 5-byte header, 2-byte alert, 1-byte inner type, 16-byte AEAD
 * tag (AES-GCM, ChaCha20-Poly1305). A WebSocket close frame with a status code is at least 26.
 */
const CLOSE_NOTIFY_TLS13_BYTES = 24;

/**
 * Whether the closing run held a WebSocket close frame, not only TLS close_notify records: null
 * when there is no closing run (wsCloseInitiator is null). In TLS 1.3 close_notify is an
 * application-data record like any other, told apart by its size; in TLS 1.2 it is an alert
 * record and never in the run. The DOMAIN signal of an abnormal close (1006) is a server close
 * with this false or null.
 */
export function wsCloseFrameSeen(conn: Connection): boolean | null {
  if (wsCloseInitiator(conn) === null) return null;
  return conn.tls.version !== TLS_1_3 || conn.records.closingRunLargest > CLOSE_NOTIFY_TLS13_BYTES;
}

