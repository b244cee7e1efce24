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
