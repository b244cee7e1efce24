/**
 * \summary: what the diagnosis keeps of each connection once its row has gone on.
 *
 * Rows may be streamed out as connections finish (render/json-rows.ts), so the capture-wide view
 * cannot look back at them: each row leaves these few facts (~200 bytes) behind. "Their summary
 * is kept, their tracking state is not."
 */
import type { ClientState, CloseKind, ConnectionReport, Side, TlsReport } from '../../report/model.js';

export interface ConnectionFacts {
  /** The number in the id ("C12" → 12): creation order. */
  index: number;
  start: number;
  end: number;
  serverIp: string;
  serverPort: number;
  sni: string | null;
  sniStatus: TlsReport['sniStatus'];
  /** The client's SYN is in the capture (a new connection attempt). */
  isAttempt: boolean;
  /** Handshake answered (SYN-ACK seen), or a midstream connection with traffic both ways. */
  isEstablished: boolean;
  closeKind: CloseKind;
  closeAt: number | null;
  closeInitiator: Side | null;
  wsInitiator: Side | null;
  wsCloseFrame: boolean | null;
  /** Both directions' TLS records were followed to the end (the closing pattern can be judged). */
  isRecordsFollowed: boolean;
  /** The server answered the WebSocket upgrade (its first record after the request is in the capture). */
  isUpgraded: boolean;
  clientState: ClientState;
  /** The side whose RST came first (Zeek history R / r), null without one. */
  rstBy: Side | null;
  /** Data-size records from the server, null when its records were not followed. */
  serverDataRecords: number | null;
  maxDataSilenceS: number | null;
  maxDataSilenceAt: number | null;
  retransmissions: number;
  packets: number;
  clientZeroWindows: number;
}

/**
 * What the capture-wide view needs of every connection (host names, reconnects), as columns: slot
 * i is connection number i + 1, so the slots are in creation order whatever order rows finish in.
 * Not one fact object per connection kept to the end: on the bench's 22,582 connections those
 * cost ~50 ms, copied by every young-generation GC until they reached the old one. The facts of
 * a row are dropped once filed here and under the anomaly rules (anomalies.ts), which keep the
 * few connections they may report.
 */
export interface ConnectionColumns {
  /** Slots in use (0..length); a connection still open has an empty slot until it finishes. */
  length: number;
  /** Slots filled. */
  count: number;
  /** FILLED, ATTEMPT (isAttempt), ESTABLISHED (isEstablished). */
  flags: Uint8Array;
  start: Float64Array;
  /** closeAt, NaN when null. */
  closeAt: Float64Array;
  serverPort: Int32Array;
  serverIp: string[];
  sni: Array<string | null>;
}

export const FILLED = 1;
export const ATTEMPT = 2;
export const ESTABLISHED = 4;

export function newConnectionColumns(): ConnectionColumns {
  const c: ConnectionColumns = {
    length: 0,
    count: 0,
    flags: new Uint8Array(0),
    start: new Float64Array(0),
    closeAt: new Float64Array(0),
    serverPort: new Int32Array(0),
    serverIp: [],
    sni: [],
  };
  // Grown once now: a column's second write, mid-capture, would change its field from constant
  // to mutable in V8's eyes and throw away the optimised row path that fills it.
  growColumns(c, 1024);
  return c;
}

function growColumns(c: ConnectionColumns, capacity: number): void {
  const flags = new Uint8Array(capacity);
  flags.set(c.flags);
  const start = new Float64Array(capacity);
  start.set(c.start);
  const closeAt = new Float64Array(capacity);
  closeAt.set(c.closeAt);
  const serverPort = new Int32Array(capacity);
  serverPort.set(c.serverPort);
  c.flags = flags;
  c.start = start;
  c.closeAt = closeAt;
  c.serverPort = serverPort;
}

/** Files a connection's facts in its slot. */
export function addToColumns(c: ConnectionColumns, f: ConnectionFacts): void {
  const flags = (f.isAttempt ? ATTEMPT : 0) | (f.isEstablished ? ESTABLISHED : 0);
  fillSlot(c, f.index - 1, flags, f.start, f.closeAt ?? NaN, f.serverPort, f.serverIp, f.sni);
}

/** Writes slot `at` (growing the columns to hold it); `flags` without FILLED. */
function fillSlot(c: ConnectionColumns, at: number, flags: number, start: number, closeAt: number, serverPort: number, serverIp: string, sni: string | null): void {
  if (at >= c.flags.length) growColumns(c, Math.max(c.flags.length * 2, at + 1));
  // The string columns stay packed arrays: empty slots before this one hold placeholders.
  while (c.serverIp.length <= at) {
    c.serverIp.push('');
    c.sni.push(null);
  }
  if ((c.flags[at] & FILLED) === 0) c.count++;
  c.flags[at] = FILLED | flags;
  c.start[at] = start;
  c.closeAt[at] = closeAt;
  c.serverPort[at] = serverPort;
  c.serverIp[at] = serverIp;
  c.sni[at] = sni;
  if (at >= c.length) c.length = at + 1;
}

/** The filled slots only, in order (the same columns when every slot is filled). */
export function filledColumns(c: ConnectionColumns): ConnectionColumns {
  if (c.count === c.length) return c;
  const out = newConnectionColumns();
  for (let i = 0; i < c.length; i++) {
    if ((c.flags[i] & FILLED) !== 0) fillSlot(out, out.length, c.flags[i], c.start[i], c.closeAt[i], c.serverPort[i], c.serverIp[i], c.sni[i]);
  }
  return out;
}

/** Columns holding the given facts in the given order (slot i: facts[i]). */
export function columnsOf(facts: readonly ConnectionFacts[]): ConnectionColumns {
  const c = newConnectionColumns();
  facts.forEach((f, i) => addToColumns(c, { ...f, index: i + 1 }));
  return c;
}

/**
 * One string per distinct value: every row carries its own copy of the server address and SNI,
 * and an agent talks to few servers.
 */
const interned = new Map<string, string>();

/** An interning function that first compares with its own last string: rows come in runs to the same server. */
function interner(): (s: string) => string {
  let last = '';
  return (s) => {
    if (s === last) return last;
    let known = interned.get(s);
    if (known === undefined) {
      known = s;
      if (interned.size < 10_000) interned.set(s, s);
    }
    last = known;
    return known;
  };
}

const internServerIp = interner();
const internSni = interner();

export function factsOf(row: ConnectionReport): ConnectionFacts {
  const s2c = row.server2client;
  const c2s = row.client2server;
  return {
    index: Number(row.id.slice(1)),
    start: row.start,
    end: row.end,
    serverIp: internServerIp(row.server.ip),
    serverPort: row.server.port,
    sni: row.sni === null ? null : internSni(row.sni),
    sniStatus: row.tls.sniStatus,
    isAttempt: row.handshake.seen,
    isEstablished: row.handshake.synToSynAckMs !== null || (!row.handshake.seen && c2s.packets > 0 && s2c.packets > 0),
    closeKind: row.close.kind,
    closeAt: row.close.at,
    closeInitiator: row.close.initiator,
    wsInitiator: row.close.wsInitiator,
    wsCloseFrame: row.close.wsCloseFrame,
    isRecordsFollowed: s2c.records !== null && c2s.records !== null,
    isUpgraded: row.handshake.firstServerDataMs !== null,
    clientState: row.clientState,
    rstBy: firstRst(row.zeek.history),
    serverDataRecords: s2c.records === null ? null : s2c.records.data,
    maxDataSilenceS: s2c.maxDataSilenceS,
    maxDataSilenceAt: s2c.maxDataSilenceAt,
    retransmissions: c2s.retransmissions + s2c.retransmissions,
    packets: c2s.packets + s2c.packets,
    clientZeroWindows: c2s.zeroWindows,
  };
}

/** Zeek history: R is a RST from the originator (the client), r one from the responder. */
function firstRst(history: string): Side | null {
  const client = history.indexOf('R');
  const server = history.indexOf('r');
  if (client === -1) return server === -1 ? null : 'server';
  return server === -1 || client < server ? 'client' : 'server';
}

/**
 * Whether the server side ended the connection: it sent the first WebSocket closing record, or,
 * with no closing records seen, the first FIN or RST.
 */
export function isServerClosed(f: ConnectionFacts): boolean {
  if (f.closeKind !== 'fin' && f.closeKind !== 'rst') return false;
  // A stream that was up: the upgrade answered (or already running when the capture began), not
  // a handshake the server refused.
  if (!f.isEstablished || (f.isAttempt && !f.isUpgraded)) return false;
  return f.wsInitiator === 'server' || (f.wsInitiator === null && f.closeInitiator === 'server');
}
