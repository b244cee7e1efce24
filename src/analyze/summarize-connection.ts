/**
 * \summary: pure functions from a tracked connection to its report row (close, ss state, Zeek state).
 */
import {
  EP_CLOSED,
  EP_ESTABLISHED,
  EP_INACTIVE,
  EP_PARTIAL,
  EP_RESET,
  EP_SYN_ACK_SENT,
  EP_SYN_SENT,
  type Connection,
} from '../track/connection.js';
import type { ClientState, CloseKind, CloseReport, ConnectionReport, ZeekConnState } from '../report/model.js';

/** Milliseconds between two capture times, rounded to the microsecond; null if either is missing. */
function intervalMs(from: number, to: number): number | null {
  if (from === 0 || to === 0) return null;
  return Math.round((to - from) * 1e6) / 1e3;
}

function roundMicros(t: number): number {
  return Math.round(t * 1e6) / 1e6;
}

/** How the connection ended (see CloseKind in report/model.ts). */
export function closeKind(conn: Connection): CloseKind {
  const { client, server } = conn;
  const isAnswered = conn.synAckTime !== 0 || server.packets > 0 && !server.hasRst;
  if (client.hasRst || server.hasRst) {
    if (conn.synTime !== 0 && conn.synAckTime === 0) {
      // Before any SYN-ACK: a RST from the server refuses the SYN; one from the client abandons it.
      return server.hasRst ? 'refused' : 'unanswered';
    }
    if (!conn.isFinExchangeBeforeRst) return 'rst';
  }
  if (client.hasFin || server.hasFin) return 'fin';
  if (conn.synTime !== 0 && !isAnswered) return 'unanswered';
  return 'open';
}

/**
 * The client's TCP state in `ss` vocabulary when the capture ended, from the packets it sent and
 * received (RFC 9293 3.3.2 state diagram, client side).
 */
export function clientState(conn: Connection): ClientState {
  const { client, server } = conn;
  if (client.hasRst || server.hasRst) return 'CLOSED';
  if (conn.synTime !== 0 && conn.synAckTime === 0 && server.packets === 0) return 'SYN-SENT';
  if (conn.firstFinSide === 0) return 'ESTAB';
  if (conn.firstFinSide === 1) {
    // Active close: FIN-WAIT-1 → (ACK) FIN-WAIT-2 → (FIN) TIME-WAIT, or FIN before ACK → CLOSING.
    if (server.hasFin) return client.isFinAcked ? 'TIME-WAIT' : 'CLOSING';
    return client.isFinAcked ? 'FIN-WAIT-2' : 'FIN-WAIT-1';
  }
  // Passive close: the server's FIN puts the client in CLOSE-WAIT until it sends its own FIN.
  if (!client.hasFin) return 'CLOSE-WAIT';
  return client.isFinAcked ? 'CLOSED' : 'LAST-ACK';
}

/** Zeek's conn_state, from both endpoint states (scripts/base/protocols/conn/main.zeek). */
export function zeekConnState(conn: Connection): ZeekConnState {
  const os = conn.client.state;
  const rs = conn.server.state;
  const isOrigInactive = os === EP_INACTIVE || os === EP_PARTIAL;
  const isRespInactive = rs === EP_INACTIVE || rs === EP_PARTIAL;
  if (rs === EP_RESET) {
    if (os === EP_SYN_SENT || os === EP_SYN_ACK_SENT || (os === EP_RESET && conn.client.bytes === 0 && conn.server.bytes === 0)) {
      return 'REJ';
    }
    return isOrigInactive ? 'RSTRH' : 'RSTR';
  }
  if (os === EP_RESET) {
    if (isRespInactive) return /^\^?S[^HAFGIQ]*R/.test(conn.history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (rs === EP_CLOSED && os === EP_CLOSED) return 'SF';
  if (os === EP_CLOSED) return isRespInactive ? 'SH' : 'S2';
  if (rs === EP_CLOSED) return isOrigInactive ? 'SHR' : 'S3';
  if (os === EP_SYN_SENT && rs === EP_INACTIVE) return 'S0';
  if (os === EP_ESTABLISHED && rs === EP_ESTABLISHED) return 'S1';
  return 'OTH';
}

function closeReport(conn: Connection, kind: CloseKind): CloseReport {
  if (conn.firstCloser === 0) return { kind, initiator: null, at: null };
  return { kind, initiator: conn.firstCloser === 1 ? 'client' : 'server', at: roundMicros(conn.firstCloseTime) };
}

export function summarizeConnection(conn: Connection): ConnectionReport {
  const kind = closeKind(conn);
  return {
    id: `C${conn.index}`,
    client: { ip: conn.clientIp, port: conn.clientPort },
    server: { ip: conn.serverIp, port: conn.serverPort },
    start: roundMicros(conn.firstTime),
    end: roundMicros(conn.lastTime),
    durationS: Math.round((conn.lastTime - conn.firstTime) * 1e6) / 1e6,
    handshake: {
      seen: conn.synTime !== 0,
      synToSynAckMs: intervalMs(conn.synTime, conn.synAckTime),
      synAckToAckMs: intervalMs(conn.synAckTime, conn.handshakeAckTime),
    },
    client2server: { packets: conn.client.packets, bytes: conn.client.bytes },
    server2client: { packets: conn.server.packets, bytes: conn.server.bytes },
    close: closeReport(conn, kind),
    clientState: clientState(conn),
    zeek: { connState: zeekConnState(conn), history: conn.history },
    process: null,
  };
}
