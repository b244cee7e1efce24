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
  type Endpoint,
} from '../track/connection.js';
import { rttSummary, type TcpFlowAnalysis } from '../track/tcp-analysis.js';
import type { TlsStream } from '../track/tls-stream.js';
import { maxDataSilence, wsCloseFrameSeen, wsCloseInitiator } from '../track/record-activity.js';
import type {
  ClientState,
  CloseKind,
  CloseReport,
  ConnectionReport,
  DirectionReport,
  RecordCounts,
  ServerDirectionReport,
  RecordTracking,
  TlsReport,
  ZeekConnState,
} from '../report/model.js';
import { tlsAlertName, tlsVersionName } from './tls-names.js';

/** What the summary needs to know about the capture as a whole. */
export interface SummaryContext {
  /** Time of the capture's last packet: the end of a connection still open then. */
  captureEnd: number;
  /** The capture's snap length, named when it cut a ClientHello (null: not known). */
  snaplen: number | null;
}

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
  if (conn.firstCloser === 0) return { kind, initiator: null, at: null, wsInitiator: null, wsCloseFrame: null };
  return {
    kind,
    initiator: conn.firstCloser === 1 ? 'client' : 'server',
    at: roundMicros(conn.firstCloseTime),
    wsInitiator: wsCloseInitiator(conn),
    wsCloseFrame: wsCloseFrameSeen(conn),
  };
}

function recordTracking(ep: Endpoint, stream: TlsStream): RecordTracking {
  return ep.bytes === 0 ? 'no-data' : stream.status;
}

/** Record counts are given only for a direction followed to its end (partial counts would mislead). */
function recordCounts(tracking: RecordTracking, control: number, data: number): RecordCounts | null {
  return tracking === 'following' ? { control, data } : null;
}

/** A flow's µs offset (negative: none) as epoch seconds. */
function atOffset(conn: Connection, us: number): number | null {
  return us < 0 ? null : roundMicros(conn.firstTime + us / 1e6);
}

function direction(conn: Connection, ep: Endpoint, flow: TcpFlowAnalysis, records: RecordCounts | null): DirectionReport {
  return {
    packets: ep.packets,
    bytes: ep.bytes,
    records,
    retransmissions: flow.retransmissions,
    outOfOrder: flow.outOfOrder,
    lostSegments: flow.lostSegments,
    dupAcks: flow.dupAcks,
    zeroWindows: flow.zeroWindows,
    zeroWindowProbes: flow.zeroWindowProbes,
    keepAlives: flow.keepAlives,
    rttMs: rttSummary(flow),
    firstRetransmissionAt: atOffset(conn, flow.firstRetransmissionUs),
    firstZeroWindowAt: atOffset(conn, flow.firstZeroWindowUs),
  };
}

/** The server's direction: the same fields, then its data silence. */
function serverDirection(
  conn: Connection,
  ep: Endpoint,
  flow: TcpFlowAnalysis,
  records: RecordCounts | null,
  silence: { seconds: number; at: number } | null,
): ServerDirectionReport {
  // Two keys added in place (the same two, in the same order, on every row: one shape).
  const d = direction(conn, ep, flow, records) as ServerDirectionReport;
  d.maxDataSilenceS = silence === null ? null : roundMicros(silence.seconds);
  d.maxDataSilenceAt = silence === null ? null : roundMicros(silence.at);
  return d;
}

/** Offered-version lists repeat (every connection of one client offers the same): one array per list. */
const versionLists = new Map<string, string[]>();

let lastVersions: number[] = [];
let lastNames: string[] = [];

function versionNames(versions: number[]): string[] {
  // The usual case: the same list as the connection before (no key string to build).
  if (isSameList(versions, lastVersions)) return lastNames;
  lastVersions = versions;
  lastNames = versionNamesOf(versions);
  return lastNames;
}

function isSameList(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function versionNamesOf(versions: number[]): string[] {
  const key = versions.join(',');
  let names = versionLists.get(key);
  if (names === undefined) {
    names = versions.filter((v) => !isGrease(v)).map(tlsVersionName);
    if (versionLists.size < 1000) versionLists.set(key, names);
  }
  return names;
}

function tlsReport(conn: Connection, c2s: RecordTracking, s2c: RecordTracking, snaplen: number | null): TlsReport {
  const tls = conn.tls;
  let sniStatus: TlsReport['sniStatus'] = 'not-seen';
  if (tls.sni !== null) sniStatus = 'present';
  else if (tls.isClientHelloCut) sniStatus = 'cut';
  else if (tls.clientHelloTime !== 0) sniStatus = 'absent';
  return {
    sniStatus,
    snaplen: sniStatus === 'cut' ? snaplen : null,
    alpnOffered: tls.alpnOffered,
    versionsOffered: tls.versionsOffered === null ? null : versionNames(tls.versionsOffered),
    alerts: tls.alerts.length === 0 ? [] : tls.alerts.map((a) => ({
      from: a.from,
      level: a.level,
      description: a.description,
      name: tlsAlertName(a.description),
      at: roundMicros(a.time),
    })),
    recordTracking: { client2server: c2s, server2client: s2c },
  };
}

/** GREASE values (RFC 8701) are offered only to keep servers tolerant: not versions. */
function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);
}

export function summarizeConnection(conn: Connection, context: SummaryContext): ConnectionReport {
  const kind = closeKind(conn);
  const c2sTracking = recordTracking(conn.client, conn.clientTls);
  const s2cTracking = recordTracking(conn.server, conn.serverTls);
  const a = conn.records;
  const silenceEnd = conn.firstCloser !== 0 ? conn.firstCloseTime : Math.max(context.captureEnd, conn.lastTime);
  const silence = s2cTracking === 'following' ? maxDataSilence(conn, silenceEnd) : null;
  return {
    id: `C${conn.index}`,
    client: { ip: conn.clientIp, port: conn.clientPort },
    server: { ip: conn.serverIp, port: conn.serverPort },
    start: roundMicros(conn.firstTime),
    end: roundMicros(conn.lastTime),
    durationS: Math.round((conn.lastTime - conn.firstTime) * 1e6) / 1e6,
    sni: conn.tls.sni,
    alpn: conn.tls.alpn,
    tlsVersion: conn.tls.version === null ? null : tlsVersionName(conn.tls.version),
    handshake: {
      seen: conn.synTime !== 0,
      synToSynAckMs: intervalMs(conn.synTime, conn.synAckTime),
      synAckToAckMs: intervalMs(conn.synAckTime, conn.handshakeAckTime),
      tlsMs: intervalMs(conn.tls.clientHelloTime, conn.tls.serverHelloTime),
      firstServerDataMs: intervalMs(conn.synTime, a.firstServerAnswerTime),
    },
    client2server: direction(conn, conn.client, conn.clientFlow, recordCounts(c2sTracking, a.clientControl, a.clientData)),
    server2client: serverDirection(conn, conn.server, conn.serverFlow, recordCounts(s2cTracking, a.serverControl, a.serverData), silence),
    tls: tlsReport(conn, c2sTracking, s2cTracking, context.snaplen),
    close: closeReport(conn, kind),
    clientState: clientState(conn),
    zeek: { connState: zeekConnState(conn), history: conn.history },
    process: null,
  };
}
