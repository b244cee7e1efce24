/**
 * \summary: finds each packet's connection (creating it on first sight) and steps its state.
 *
 * Connections live in a hash table keyed by the canonical 4-tuple; a lookup reuses one scratch
 * key, so the per-packet path allocates nothing. A new SYN on a tuple whose connection has other
 * sequence numbers starts a new connection (a 4-tuple lifetime, RFC 9293 3.3.2); the old one is
 * handed to `onDone` then, and every remaining one when the capture ends.
 */
import { ACK, SYN, type DecodedPacket } from '../decode/decoded-packet.js';
import { formatAddress } from './address.js';
import { newEndpoint, type Connection } from './connection.js';
import { stepConnection } from './tcp-state.js';

export interface TrackerOptions {
  /** Without a SYN, the side on this port is the server (default 443). */
  serverPort: number;
  /**
   * A closed connection (both FINs, or a RST) idle this long leaves the table (its report row is
   * made then). Longer than Linux's 60 s TIME-WAIT, so late retransmissions still find it.
   */
  closedLingerS?: number;
}

const DEFAULT_CLOSED_LINGER_S = 120;
/** How often (in capture seconds) the table is swept for closed connections. */
const SWEEP_INTERVAL_S = 10;

export interface Tracker {
  options: TrackerOptions;
  /** hash → connection; colliding connections chain through `nextInBucket`. */
  table: Map<number, TrackedConnection>;
  open: number;
  created: number;
  onDone: (conn: Connection) => void;
  scratch: Uint32Array;
  closedLingerS: number;
  nextSweep: number;
}

interface TrackedConnection extends Connection {
  nextInBucket: TrackedConnection | null;
}

const KEY_WORDS = 10;

export function newTracker(options: TrackerOptions, onDone: (conn: Connection) => void): Tracker {
  return {
    options,
    table: new Map(),
    open: 0,
    created: 0,
    onDone,
    scratch: new Uint32Array(KEY_WORDS),
    closedLingerS: options.closedLingerS ?? DEFAULT_CLOSED_LINGER_S,
    nextSweep: 0,
  };
}

/** Writes the direction-independent key (lower endpoint first) into `key`; returns its hash. */
function canonicalKey(p: DecodedPacket, key: Uint32Array): number {
  const a = p.addresses;
  // Compare (src address, port) with (dst address, port) to put the lower endpoint first.
  let order = 0;
  for (let i = 0; i < 4 && order === 0; i++) order = a[i] === a[i + 4] ? 0 : a[i] < a[i + 4] ? -1 : 1;
  if (order === 0) order = p.srcPort <= p.dstPort ? -1 : 1;
  const lo = order < 0 ? 0 : 4;
  const hi = order < 0 ? 4 : 0;
  key[0] = p.ipVersion;
  for (let i = 0; i < 4; i++) {
    key[1 + i] = a[lo + i];
    key[5 + i] = a[hi + i];
  }
  key[9] = order < 0 ? ((p.srcPort << 16) | p.dstPort) >>> 0 : ((p.dstPort << 16) | p.srcPort) >>> 0;
  // FNV-1a over the words, 32-bit.
  let h = 0x811c9dc5;
  for (let i = 0; i < KEY_WORDS; i++) h = Math.imul(h ^ key[i], 0x01000193);
  return h >>> 0;
}

function sameKey(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < KEY_WORDS; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isFromClient(conn: Connection, p: DecodedPacket): boolean {
  if (p.srcPort !== conn.clientPort) return false;
  const w = conn.clientWords;
  const a = p.addresses;
  return a[0] === w[0] && a[1] === w[1] && a[2] === w[2] && a[3] === w[3];
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

function createConnection(tr: Tracker, p: DecodedPacket, hash: number, t: number): TrackedConnection {
  const serverIsDst = isDestinationServer(p, tr.options.serverPort);
  const clientFirst = serverIsDst ? 0 : 4;
  const serverFirst = serverIsDst ? 4 : 0;
  const conn: TrackedConnection = {
    index: ++tr.created,
    key: tr.scratch.slice(),
    hash,
    ipVersion: p.ipVersion,
    clientIp: formatAddress(p.addresses, clientFirst, p.ipVersion),
    clientPort: serverIsDst ? p.srcPort : p.dstPort,
    serverIp: formatAddress(p.addresses, serverFirst, p.ipVersion),
    serverPort: serverIsDst ? p.dstPort : p.srcPort,
    clientWords: p.addresses.slice(clientFirst, clientFirst + 4),
    client: newEndpoint(),
    server: newEndpoint(),
    firstTime: t,
    lastTime: t,
    synTime: 0,
    synAckTime: 0,
    handshakeAckTime: 0,
    firstCloser: 0,
    firstCloseTime: 0,
    firstFinSide: 0,
    isFinExchangeBeforeRst: false,
    // Zeek marks a connection whose first packet came from the responder with '^' (roles flipped).
    history: serverIsDst ? '' : '^',
    nextInBucket: null,
  };
  tr.open++;
  return conn;
}

/** Finds (or creates) the packet's connection and applies the packet to it. */
export function trackPacket(tr: Tracker, p: DecodedPacket, t: number): void {
  const hash = canonicalKey(p, tr.scratch);
  let prev: TrackedConnection | null = null;
  let conn = tr.table.get(hash) ?? null;
  while (conn !== null && !sameKey(conn.key, tr.scratch)) {
    prev = conn;
    conn = conn.nextInBucket;
  }
  if (conn !== null && (p.flags & (SYN | ACK)) === SYN && !isSynRetransmission(conn, p)) {
    // A fresh SYN on a known tuple: the old lifetime is over; replace it in its bucket.
    const fresh = createConnection(tr, p, hash, t);
    fresh.nextInBucket = conn.nextInBucket;
    if (prev === null) tr.table.set(hash, fresh);
    else prev.nextInBucket = fresh;
    finish(tr, conn);
    conn = fresh;
  } else if (conn === null) {
    conn = createConnection(tr, p, hash, t);
    conn.nextInBucket = tr.table.get(hash) ?? null;
    tr.table.set(hash, conn);
  }
  stepConnection(conn, isFromClient(conn, p), p, t);
  if (t >= tr.nextSweep) {
    if (tr.nextSweep !== 0) sweepClosed(tr, t);
    tr.nextSweep = t + SWEEP_INTERVAL_S;
  }
}

function isClosed(conn: Connection): boolean {
  return (conn.client.hasFin && conn.server.hasFin) || conn.client.hasRst || conn.server.hasRst;
}

/** Finishes closed connections idle for closedLingerS: tracking state follows open connections only. */
function sweepClosed(tr: Tracker, now: number): void {
  const done: TrackedConnection[] = [];
  for (const [hash, head] of tr.table) {
    let kept: TrackedConnection | null = null;
    let last: TrackedConnection | null = null;
    for (let c: TrackedConnection | null = head; c !== null; ) {
      const next: TrackedConnection | null = c.nextInBucket;
      if (isClosed(c) && now - c.lastTime > tr.closedLingerS) done.push(c);
      else {
        c.nextInBucket = null;
        if (last === null) kept = c;
        else last.nextInBucket = c;
        last = c;
      }
      c = next;
    }
    if (kept === null) tr.table.delete(hash);
    else if (kept !== head) tr.table.set(hash, kept);
  }
  done.sort((a, b) => a.index - b.index);
  for (const conn of done) finish(tr, conn);
}

/** The same SYN again (same sender, same initial sequence number) belongs to the same connection. */
function isSynRetransmission(conn: Connection, p: DecodedPacket): boolean {
  return conn.synTime !== 0 && isFromClient(conn, p) && p.seq === conn.client.startSeq;
}

function finish(tr: Tracker, conn: Connection): void {
  tr.open--;
  tr.onDone(conn);
}

/** Calls fn for every connection in the table (open, or closed and lingering). */
export function forEachConnection(tr: Tracker, fn: (conn: Connection) => void): void {
  for (const head of tr.table.values()) {
    for (let c: TrackedConnection | null = head; c !== null; c = c.nextInBucket) fn(c);
  }
}

/** Hands every connection still in the table to onDone (end of capture), in creation order. */
export function finishTracker(tr: Tracker): void {
  const left: TrackedConnection[] = [];
  for (let conn of tr.table.values()) {
    for (let c: TrackedConnection | null = conn; c !== null; c = c.nextInBucket) left.push(c);
  }
  left.sort((a, b) => a.index - b.index);
  tr.table.clear();
  for (const conn of left) finish(tr, conn);
}
