/**
 * \summary: finds each packet's connection (creating it on first sight) and steps its state.
 *
 * Connections live in a hash table keyed by a direction-independent hash of the 4-tuple; a
 * lookup compares the packet's endpoints with each candidate's in place, so the per-packet path
 * allocates nothing. A new SYN on a tuple whose connection has other
 * sequence numbers starts a new connection (a 4-tuple lifetime, RFC 9293 3.3.2); the old one is
 * handed to `onDone` then, and every remaining one when the capture ends.
 */
import { ACK, SYN, type DecodedPacket } from '../decode/decoded-packet.js';
import { formatAddress } from './address.js';
import { newEndpoint, newOddities, resetEndpoint, type Connection, type Oddities } from './connection.js';
import { stepConnection } from './tcp-state.js';
import { analyzeSegment, newTcpFlowAnalysis, resetTcpFlowAnalysis } from './tcp-analysis.js';
import { followTls, newTlsFacts, newTlsStream, resetTlsFacts, resetTlsStream } from './tls-stream.js';
import { DEFAULT_RECORD_OPTIONS, newRecordActivity, resetRecordActivity, type RecordOptions } from './record-activity.js';

export interface TrackerOptions {
  /** Without a SYN, the side on this port is the server (default 443). */
  serverPort: number;
  /**
   * A closed connection (both FINs, or a RST) idle this long leaves the table (its report row is
   * made then and its tracking state released). Zeek's tcp_close_delay: long enough for the final
   * ACK and a retransmitted FIN or two, short enough that the table holds open connections only.
   */
  closedLingerS?: number;
  /**
   * Reuse a finished connection's tracking state for a new one (default true). onDone must not
   * keep the Connection it is given: only what it copied out of it.
   */
  reuseState?: boolean;
  /** Record size classes, setup window and closing-pattern gap (record-activity.ts). */
  records?: RecordOptions;
}

const DEFAULT_CLOSED_LINGER_S = 5;
/** How often (in capture seconds) the table is swept for closed connections. */
const SWEEP_INTERVAL_S = 1;

export interface Tracker {
  options: TrackerOptions;
  /**
   * Buckets: the connections whose hash ends in the bucket's number (`hash & mask`), chained
   * through `nextInBucket`. An array of a power-of-two size that doubles as connections come (at
   * most one connection per bucket on average), rather than a Map: a lookup is one array load.
   */
  table: Array<TrackedConnection | null>;
  mask: number;
  open: number;
  created: number;
  onDone: (conn: Connection) => void;
  closedLingerS: number;
  nextSweep: number;
  recordOptions: RecordOptions;
  /** Connections that have closed, oldest first: the sweep looks at these only. */
  closed: TrackedConnection[];
  /**
   * Finished connections whose objects and tracking state (endpoints, flows, TLS, records) the
   * next new connections reuse: they stay in the old generation instead of being allocated per
   * connection and copied by every young-generation GC while they live (~2.6 KB per connection).
   */
  spare: TrackedConnection[];
  reuseState: boolean;
  /** Protocol oddities over the whole capture (warnings). */
  oddities: Oddities;
}

const INITIAL_BUCKETS = 1024;

/** Spare connection states kept at most (a burst of closes beyond this is left to the GC). */
const MAX_SPARE = 1024;

interface TrackedConnection extends Connection {
  nextInBucket: TrackedConnection | null;
  /** Queued in `closed` (once), and whether it has been handed to onDone. */
  isQueuedClosed: boolean;
  isFinished: boolean;
}

export function newTracker(options: TrackerOptions, onDone: (conn: Connection) => void): Tracker {
  const tr: Tracker = {
    options,
    table: new Array<TrackedConnection | null>(INITIAL_BUCKETS).fill(null),
    mask: INITIAL_BUCKETS - 1,
    open: 0,
    created: 0,
    onDone,
    closedLingerS: options.closedLingerS ?? DEFAULT_CLOSED_LINGER_S,
    nextSweep: 0,
    recordOptions: options.records ?? DEFAULT_RECORD_OPTIONS,
    closed: [],
    spare: [],
    reuseState: options.reuseState ?? true,
    oddities: newOddities(),
  };
  if (tr.reuseState) {
    // One state reset before any packet, then used by the first connection. V8 marks a field
    // constant until it is first written again; the first reuse would otherwise make those
    // fields mutable mid-capture and throw away the packet loop's optimised code (trackPacket,
    // followTls, onTlsRecord...), which then runs unoptimised until it is compiled again.
    const first = newTrackedConnection(tr);
    resetTrackingState(tr, first);
    tr.spare.push(first);
  }
  return tr;
}

/**
 * A direction-independent hash of the 4-tuple: each source word is XORed with its destination
 * word, so both directions hash alike without ordering the endpoints first.
 */
function tupleHash(p: DecodedPacket): number {
  const a = p.addresses;
  let h = Math.imul(0x811c9dc5 ^ (a[3] ^ a[7]), 0x01000193);
  h = Math.imul(h ^ (p.srcPort ^ p.dstPort), 0x01000193);
  h = Math.imul(h ^ ((p.srcPort + p.dstPort) << 16), 0x01000193);
  if (p.ipVersion === 6) {
    h = Math.imul(h ^ (a[0] ^ a[4]), 0x01000193);
    h = Math.imul(h ^ (a[1] ^ a[5]), 0x01000193);
    h = Math.imul(h ^ (a[2] ^ a[6]), 0x01000193);
  }
  // The multiplications carry low bits upward only: mix the high bits back down (MurmurHash3's
  // finaliser), since the bucket is the hash's low bits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  // 30 bits: a small integer (Smi) in V8, kept on the connection without boxing.
  return h & 0x3fffffff;
}

const NO_MATCH = 0;
const FROM_CLIENT = 1;
const FROM_SERVER = 2;

/** Whether the packet belongs to `conn`, and in which direction. Word 3 first: it differs most. */
function matchDirection(conn: Connection, p: DecodedPacket): number {
  const a = p.addresses;
  if (p.srcPort === conn.clientPort && p.dstPort === conn.serverPort && a[3] === conn.c3 && a[7] === conn.s3) {
    if (p.ipVersion === conn.ipVersion && a[2] === conn.c2 && a[6] === conn.s2 && a[1] === conn.c1 && a[5] === conn.s1 && a[0] === conn.c0 && a[4] === conn.s0) {
      return FROM_CLIENT;
    }
  } else if (p.srcPort === conn.serverPort && p.dstPort === conn.clientPort && a[3] === conn.s3 && a[7] === conn.c3) {
    if (p.ipVersion === conn.ipVersion && a[2] === conn.s2 && a[6] === conn.c2 && a[1] === conn.s1 && a[5] === conn.c1 && a[0] === conn.s0 && a[4] === conn.c0) {
      return FROM_SERVER;
    }
  }
  return NO_MATCH;
}

/** Which endpoint of a packet is the server, when no SYN tells: the server port, else the lower well-known port. */
function isDestinationServer(p: DecodedPacket, serverPort: number): boolean {
  if ((p.flags & (SYN | ACK)) === SYN) return true;
  if ((p.flags & (SYN | ACK)) === (SYN | ACK)) return false;
  if (p.dstPort === serverPort && p.srcPort !== serverPort) return true;
  if (p.srcPort === serverPort && p.dstPort !== serverPort) return false;
  if (p.dstPort < 1024 && p.srcPort >= 1024) return true;
  if (p.srcPort < 1024 && p.dstPort >= 1024) return false;
  return true;
}

/**
 * A connection object with fresh tracking state; createConnection() gives it its identity. Times
 * start as -0 (equal to 0, but a double: see newEndpoint).
 */
function newTrackedConnection(tr: Tracker): TrackedConnection {
  return {
    index: 0,
    hash: 0,
    oddities: tr.oddities,
    ipVersion: 4,
    clientIp: '',
    clientPort: 0,
    serverIp: '',
    serverPort: 0,
    c0: 0,
    c1: 0,
    c2: 0,
    c3: 0,
    s0: 0,
    s1: 0,
    s2: 0,
    s3: 0,
    client: newEndpoint(),
    server: newEndpoint(),
    firstTime: -0,
    lastTime: -0,
    synTime: -0,
    synAckTime: -0,
    handshakeAckTime: -0,
    firstCloser: 0,
    firstCloseTime: -0,
    firstFinSide: 0,
    isFinExchangeBeforeRst: false,
    history: '',
    clientFlow: newTcpFlowAnalysis(),
    serverFlow: newTcpFlowAnalysis(),
    clientTls: newTlsStream(),
    serverTls: newTlsStream(),
    tls: newTlsFacts(),
    records: newRecordActivity(tr.recordOptions),
    nextInBucket: null,
    isQueuedClosed: false,
    isFinished: false,
  };
}

/**
 * A connection for the packet's 4-tuple: a finished one's object and tracking state made as good
 * as new (it stays in the old generation instead of being allocated per connection and copied
 * by every young-generation GC while it lives), or a new one.
 */
function createConnection(tr: Tracker, p: DecodedPacket, hash: number): TrackedConnection {
  const spare = tr.spare.pop();
  const conn = spare ?? newTrackedConnection(tr);
  if (spare !== undefined) resetTrackingState(tr, conn);
  const t = p.time;
  const a = p.addresses;
  const serverIsDst = isDestinationServer(p, tr.options.serverPort);
  const clientFirst = serverIsDst ? 0 : 4;
  const serverFirst = serverIsDst ? 4 : 0;
  conn.index = ++tr.created;
  conn.hash = hash;
  conn.ipVersion = p.ipVersion;
  conn.clientIp = formatAddress(a, clientFirst, p.ipVersion);
  conn.clientPort = serverIsDst ? p.srcPort : p.dstPort;
  conn.serverIp = formatAddress(a, serverFirst, p.ipVersion);
  conn.serverPort = serverIsDst ? p.dstPort : p.srcPort;
  conn.c0 = a[clientFirst];
  conn.c1 = a[clientFirst + 1];
  conn.c2 = a[clientFirst + 2];
  conn.c3 = a[clientFirst + 3];
  conn.s0 = a[serverFirst];
  conn.s1 = a[serverFirst + 1];
  conn.s2 = a[serverFirst + 2];
  conn.s3 = a[serverFirst + 3];
  conn.firstTime = t;
  conn.lastTime = t;
  conn.synTime = -0;
  conn.synAckTime = -0;
  conn.handshakeAckTime = -0;
  conn.firstCloser = 0;
  conn.firstCloseTime = -0;
  conn.firstFinSide = 0;
  conn.isFinExchangeBeforeRst = false;
  // Zeek marks a connection whose first packet came from the responder with '^' (roles flipped).
  conn.history = serverIsDst ? '' : '^';
  conn.nextInBucket = null;
  conn.isQueuedClosed = false;
  conn.isFinished = false;
  tr.open++;
  return conn;
}

/** Finds (or creates) the packet's connection and applies the packet to it. */
export function trackPacket(tr: Tracker, p: DecodedPacket): void {
  const hash = tupleHash(p);
  let prev: TrackedConnection | null = null;
  let conn = tr.table[hash & tr.mask];
  let direction = NO_MATCH;
  while (conn !== null && (direction = matchDirection(conn, p)) === NO_MATCH) {
    prev = conn;
    conn = conn.nextInBucket;
  }
  if (conn !== null && (p.flags & (SYN | ACK)) === SYN && !isSynRetransmission(conn, p, direction)) {
    // A fresh SYN on a known tuple: the old lifetime is over; replace it in its bucket.
    const fresh = createConnection(tr, p, hash);
    fresh.nextInBucket = conn.nextInBucket;
    if (prev === null) tr.table[hash & tr.mask] = fresh;
    else prev.nextInBucket = fresh;
    finish(tr, conn, conn.isQueuedClosed);
    conn = fresh;
    direction = matchDirection(conn, p);
  } else if (conn === null) {
    conn = createConnection(tr, p, hash);
    const bucket = hash & tr.mask;
    conn.nextInBucket = tr.table[bucket];
    tr.table[bucket] = conn;
    if (tr.open > tr.table.length) growTable(tr);
    direction = matchDirection(conn, p);
  }
  const isClient = direction === FROM_CLIENT;
  stepConnection(conn, isClient, p);
  analyzeSegment(conn, isClient, p);
  if (p.payloadLength > 0) followTls(conn, isClient, p);
  if (!conn.isQueuedClosed && isClosed(conn)) {
    conn.isQueuedClosed = true;
    tr.closed.push(conn);
  }
  // The time is read here, not held across the calls above: a number live across calls V8 does
  // not inline was boxed, a heap number of garbage per packet.
  if (p.time >= tr.nextSweep) sweepIfDue(tr, p.time);
}

function sweepIfDue(tr: Tracker, t: number): void {
  if (tr.nextSweep !== 0) sweepClosed(tr, t);
  tr.nextSweep = t + SWEEP_INTERVAL_S;
}

function isClosed(conn: Connection): boolean {
  return (conn.client.hasFin && conn.server.hasFin) || conn.client.hasRst || conn.server.hasRst;
}

/**
 * Finishes closed connections idle for closedLingerS: tracking state follows open connections
 * only. Walks the queue of closed connections, not the table.
 */
function sweepClosed(tr: Tracker, now: number): void {
  const done: TrackedConnection[] = [];
  let kept = 0;
  for (const c of tr.closed) {
    if (c.isFinished) continue;
    if (now - c.lastTime > tr.closedLingerS) done.push(c);
    else tr.closed[kept++] = c;
  }
  tr.closed.length = kept;
  done.sort((a, b) => a.index - b.index);
  for (const conn of done) {
    unlink(tr, conn);
    finish(tr, conn);
  }
}

/** Twice the buckets: each chain splits in two by the next bit of the hash. */
function growTable(tr: Tracker): void {
  const old = tr.table;
  const table = new Array<TrackedConnection | null>(old.length * 2).fill(null);
  const mask = table.length - 1;
  for (let head of old) {
    while (head !== null) {
      const next: TrackedConnection | null = head.nextInBucket;
      const bucket = head.hash & mask;
      head.nextInBucket = table[bucket];
      table[bucket] = head;
      head = next;
    }
  }
  tr.table = table;
  tr.mask = mask;
}

/** Takes a connection out of its hash bucket. */
function unlink(tr: Tracker, conn: TrackedConnection): void {
  const bucket = conn.hash & tr.mask;
  const head = tr.table[bucket];
  if (head === conn) {
    tr.table[bucket] = conn.nextInBucket;
  } else {
    for (let c = head; c !== null; c = c.nextInBucket) {
      if (c.nextInBucket === conn) {
        c.nextInBucket = conn.nextInBucket;
        break;
      }
    }
  }
  conn.nextInBucket = null;
}

/** A finished connection's endpoints, flows, TLS and record state, as good as new. */
function resetTrackingState(tr: Tracker, conn: TrackedConnection): void {
  resetEndpoint(conn.client);
  resetEndpoint(conn.server);
  resetTcpFlowAnalysis(conn.clientFlow);
  resetTcpFlowAnalysis(conn.serverFlow);
  resetTlsStream(conn.clientTls);
  resetTlsStream(conn.serverTls);
  resetTlsFacts(conn.tls);
  resetRecordActivity(conn.records, tr.recordOptions);
}

/** The same SYN again (same sender, same initial sequence number) belongs to the same connection. */
function isSynRetransmission(conn: Connection, p: DecodedPacket, direction: number): boolean {
  return conn.synTime !== 0 && direction === FROM_CLIENT && p.seq === conn.client.startSeq;
}

/**
 * Hands the connection to onDone. `isStillQueued`: it stays in the queue of closed connections
 * (marked finished, for the sweep to drop), so its object must not be reused yet.
 */
function finish(tr: Tracker, conn: TrackedConnection, isStillQueued = false): void {
  conn.isFinished = true;
  tr.open--;
  tr.onDone(conn);
  // onDone has made the report row: the object and its tracking state are free for the next connection.
  if (tr.reuseState && !isStillQueued && tr.spare.length < MAX_SPARE) tr.spare.push(conn);
}

/** Calls fn for every connection in the table (open, or closed and lingering). */
export function forEachConnection(tr: Tracker, fn: (conn: Connection) => void): void {
  forEachTracked(tr, fn);
}

function forEachTracked(tr: Tracker, fn: (conn: TrackedConnection) => void): void {
  for (const head of tr.table) {
    for (let c: TrackedConnection | null = head; c !== null; c = c.nextInBucket) fn(c);
  }
}

/** Hands every connection still in the table to onDone (end of capture), in creation order. */
export function finishTracker(tr: Tracker): void {
  const left: TrackedConnection[] = [];
  forEachTracked(tr, (c) => left.push(c));
  left.sort((a, b) => a.index - b.index);
  tr.table.fill(null);
  tr.closed.length = 0;
  for (const conn of left) finish(tr, conn);
}
