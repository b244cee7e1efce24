/**
 * \summary: the tracking state of one TCP connection (one 4-tuple lifetime) and its two endpoints.
 *
 * Everything here is per connection, never per packet: counters, a few timestamps and the
 * sequence-number marks the state machine needs. The analyser turns it into a report row when the
 * connection leaves the table.
 */
import type { RecordActivity } from './record-activity.js';
import type { TcpFlowAnalysis } from './tcp-analysis.js';
import type { TlsFacts, TlsStream } from './tls-stream.js';

/** Zeek's endpoint states (analyzer/protocol/tcp/TCP_Endpoint.h), as seen by a passive observer. */
export const EP_INACTIVE = 0; // nothing seen from this endpoint yet
export const EP_SYN_SENT = 1; // SYN seen, not yet acked
export const EP_SYN_ACK_SENT = 2; // SYN-ACK seen from an originator (odd, but Zeek tracks it)
export const EP_PARTIAL = 3; // data seen without a SYN: connection started before the capture
export const EP_ESTABLISHED = 4; // handshake done (or ACK after a SYN-ACK)
export const EP_CLOSED = 5; // this endpoint sent a FIN
export const EP_RESET = 6; // this endpoint sent a RST
export type EndpointState = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export interface Endpoint {
  /** Written only by setState() in tcp-state.ts. */
  state: EndpointState;
  prevState: EndpointState;
  packets: number;
  /** TCP payload bytes, retransmissions included. */
  bytes: number;
  /** Sequence marks (uint32): first sequence number and one past the highest sent. */
  startSeq: number;
  lastSeq: number;
  /** Sequence number the peer must acknowledge to acknowledge our FIN (FIN seq + 1). */
  finAckSeq: number;
  hasFin: boolean;
  /** The peer acknowledged our FIN. */
  isFinAcked: boolean;
  hasRst: boolean;
  /** Time of the last segment carrying payload from this endpoint, or 0 (live view: server silence). */
  lastDataTime: number;
  /** Time of this endpoint's first FIN / first RST, or 0. */
  finTime: number;
  rstTime: number;
  /** History letters already logged once (bit per letter), and the marks for S/F/R repeats. */
  historySeen: number;
  lastSynSeq: number;
  lastFinSeq: number;
  lastRstSeq: number;
  retransmissions: number;
  retransmissionThreshold: number;
  zeroWindows: number;
  zeroWindowThreshold: number;
}

/**
 * Protocol oddities, counted over the whole capture (the tracker owns one; every connection
 * points at it): reported as warnings, never fatal.
 */
export interface Oddities {
  /** TLS record headers with length 0, and longer than TLS allows (2^14 + 2048): tracking stops there. */
  tlsZeroLength: number;
  tlsTooLong: number;
  /** Segments whose sequence number is more than 1 GiB from the next one expected. */
  seqJumps: number;
}

export function newOddities(): Oddities {
  return { tlsZeroLength: 0, tlsTooLong: 0, seqJumps: 0 };
}

export interface Connection {
  /** Sequence number of creation: C1, C2... in order of first packet. */
  index: number;
  /** Hash of the 4-tuple (tracker.ts): the table bucket this connection lives in. */
  hash: number;
  /** The capture-wide oddity counters (shared). */
  oddities: Oddities;
  ipVersion: 4 | 6;
  clientIp: string;
  clientPort: number;
  serverIp: string;
  serverPort: number;
  /**
   * Address words of the client (c0..c3) and the server (s0..s3), IPv4 in word 3, as plain fields
   * so matching a packet touches only this object (no typed array per connection to chase).
   */
  c0: number;
  c1: number;
  c2: number;
  c3: number;
  s0: number;
  s1: number;
  s2: number;
  s3: number;
  /** Zeek's "originator" is the client; the responder is the server. */
  client: Endpoint;
  server: Endpoint;
  firstTime: number;
  lastTime: number;
  /** Handshake marks, 0 when not seen. */
  synTime: number;
  synAckTime: number;
  handshakeAckTime: number;
  /** Which side's FIN or RST came first: 0 none, 1 client, 2 server; and when. */
  firstCloser: 0 | 1 | 2;
  firstCloseTime: number;
  /** Which side's FIN came first (0 none): decides FIN-WAIT vs CLOSE-WAIT on the client. */
  firstFinSide: 0 | 1 | 2;
  /** Both FINs were seen before any RST. */
  isFinExchangeBeforeRst: boolean;
  /** Zeek conn.log history, built as packets arrive. */
  history: string;
  /** TCP health of the data each side sends (tcp-analysis.ts). */
  clientFlow: TcpFlowAnalysis;
  serverFlow: TcpFlowAnalysis;
  /** TLS record tracking per direction (tls-stream.ts) and what the cleartext handshake said. */
  clientTls: TlsStream;
  serverTls: TlsStream;
  tls: TlsFacts;
  /** Record classes, data silence and the closing pattern (record-activity.ts). */
  records: RecordActivity;
}

/**
 * Fields that will hold doubles (times; sequence numbers, which pass 2^31) start as -0 (equal to 0)
 * or a negative non-integer, so V8 lays them out as doubles from the start instead of migrating
 * each object when the first such value is stored.
 */
export function newEndpoint(): Endpoint {
  return {
    state: 0,
    prevState: 0,
    packets: 0,
    bytes: 0,
    startSeq: -0,
    lastSeq: -0,
    finAckSeq: -0,
    hasFin: false,
    isFinAcked: false,
    hasRst: false,
    lastDataTime: -0,
    finTime: -0,
    rstTime: -0,
    historySeen: 0,
    lastSynSeq: -0.5, // no sequence number (any non-integer)
    lastFinSeq: -0.5,
    lastRstSeq: -0.5,
    retransmissions: 0,
    retransmissionThreshold: 1,
    zeroWindows: 0,
    zeroWindowThreshold: 1,
  };
}

/** Makes a finished connection's endpoint as good as new (the tracker reuses it: see tracker.ts). */
export function resetEndpoint(ep: Endpoint): Endpoint {
  ep.state = 0;
  ep.prevState = 0;
  ep.packets = 0;
  ep.bytes = 0;
  ep.startSeq = -0;
  ep.lastSeq = -0;
  ep.finAckSeq = -0;
  ep.hasFin = false;
  ep.isFinAcked = false;
  ep.hasRst = false;
  ep.lastDataTime = -0;
  ep.finTime = -0;
  ep.rstTime = -0;
  ep.historySeen = 0;
  ep.lastSynSeq = -0.5;
  ep.lastFinSeq = -0.5;
  ep.lastRstSeq = -0.5;
  ep.retransmissions = 0;
  ep.retransmissionThreshold = 1;
  ep.zeroWindows = 0;
  ep.zeroWindowThreshold = 1;
  return ep;
}
