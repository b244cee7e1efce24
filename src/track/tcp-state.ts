/**
 * \summary: the TCP state machine of one connection, per endpoint, after Zeek's TCPSessionAdapter.
 *
 * One packet, one call to stepConnection(). Endpoint states follow Zeek (so conn_state and
 * history compare with Zeek's), and the same pass records what the report needs beyond Zeek:
 * handshake times, which FIN/RST came first, and whether each FIN was acknowledged (RFC 9293 3.6).
 */
import { ACK, FIN, RST, SYN, type DecodedPacket } from '../decode/decoded-packet.js';
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
  type EndpointState,
} from './connection.js';

/** Zeek ignores SYN/RST sequence numbers that jump further than this (TOO_LARGE_SEQ_DELTA). */
const TOO_LARGE_SEQ_DELTA = 1048576;

/** Signed distance a − b in 32-bit sequence space (RFC 9293 3.4: comparisons are modulo 2^32). */
export function seqDelta(a: number, b: number): number {
  return (a - b) | 0;
}

/** Sequence space a segment occupies: SYN and FIN take one number each; a RST's data does not count. */
export function segmentLength(payloadLength: number, flags: number): number {
  let length = payloadLength;
  if (flags & SYN) length++;
  if (flags & FIN) length++;
  if (flags & RST) length -= payloadLength;
  return length;
}

/**
 * One past the segment's last sequence number (uint32). The helpers below take the packet and
 * work this out themselves: a uint32 above 2^31 or a time passed to a call V8 does not inline is
 * boxed, and that was two or three heap numbers of garbage per packet.
 */
function segmentEnd(p: DecodedPacket): number {
  return (p.seq + segmentLength(p.payloadLength, p.flags)) >>> 0;
}

/** The only writer of endpoint state (Zeek TCP_Endpoint::SetState). */
export function setState(endpoint: Endpoint, state: EndpointState): void {
  endpoint.prevState = endpoint.state;
  endpoint.state = state;
}

// History bits: letters that Zeek logs once per direction, or whose repeats depend on sequence marks.
const H_SYN = 1;
const H_FIN = 2;
const H_RST = 4;
const H_DATA = 8;
const H_ACK = 16;
const H_FIN_RST = 32;
const H_MULTI = 64;

function addHistory(conn: Connection, isClient: boolean, letter: string): void {
  conn.history += isClient ? letter : letter.toLowerCase();
}

/** Logs `letter` the first time only; returns true when it had been logged before (Zeek CheckHistory). */
function checkHistory(conn: Connection, ep: Endpoint, isClient: boolean, bit: number, letter: string): boolean {
  if ((ep.historySeen & bit) === 0) {
    ep.historySeen |= bit;
    addHistory(conn, isClient, letter);
    return false;
  }
  return true;
}

/** Zeek update_history: one letter (at most) per packet, chosen by its control flags. */
function updateHistory(conn: Connection, ep: Endpoint, isClient: boolean, p: DecodedPacket): void {
  const flags = p.flags;
  const seq = p.seq;
  const len = p.payloadLength;
  const syn = (flags & SYN) !== 0;
  const fin = (flags & FIN) !== 0;
  const rst = (flags & RST) !== 0;
  const bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
  if (bits > 1) {
    if (fin && rst) checkHistory(conn, ep, isClient, H_FIN_RST, 'I');
    else checkHistory(conn, ep, isClient, H_MULTI, 'Q');
  } else if (bits === 1) {
    if (syn) {
      const letter = flags & ACK ? 'H' : 'S';
      if (checkHistory(conn, ep, isClient, H_SYN, letter) && seq !== ep.lastSynSeq) addHistory(conn, isClient, letter);
      ep.lastSynSeq = seq;
    } else if (fin) {
      // A FIN's sequence mark is after its data (Zeek: rel_seq + len).
      const mark = (seq + len) >>> 0;
      if (checkHistory(conn, ep, isClient, H_FIN, 'F') && mark !== ep.lastFinSeq) addHistory(conn, isClient, 'F');
      ep.lastFinSeq = mark;
    } else {
      if (checkHistory(conn, ep, isClient, H_RST, 'R') && seq !== ep.lastRstSeq) addHistory(conn, isClient, 'R');
      ep.lastRstSeq = seq;
    }
  } else if (len > 0) {
    checkHistory(conn, ep, isClient, H_DATA, 'D');
  } else if (flags & ACK) {
    checkHistory(conn, ep, isClient, H_ACK, 'A');
  }
}

/** Letters for repeated events are logged at the 1st, 10th, 100th... occurrence (Zeek ScaledHistoryEntry). */
function scaledHistory(conn: Connection, isClient: boolean, letter: string, count: number, threshold: number): number {
  if (count === threshold) {
    addHistory(conn, isClient, letter);
    return threshold * 10;
  }
  return threshold;
}

/** Zeek init_endpoint: set sequence marks from the first packet of an endpoint. */
function initEndpoint(ep: Endpoint, p: DecodedPacket): void {
  const flags = p.flags;
  const seq = p.seq;
  if (ep.state === EP_INACTIVE) {
    if (flags & SYN) {
      ep.startSeq = seq;
      ep.lastSeq = segmentEnd(p);
    } else {
      // Partial connection: number as though a SYN was seen, and don't count the first packet as a repeat.
      ep.startSeq = (seq - 1) >>> 0;
      ep.lastSeq = seq;
    }
  } else if ((flags & SYN) !== 0 && (ep.state === EP_SYN_SENT || ep.state === EP_SYN_ACK_SENT) && seq !== ep.startSeq) {
    ep.startSeq = seq;
    ep.lastSeq = segmentEnd(p);
  }
}

/** Zeek update_last_seq: advance the highest sequence sent; a data segment at or below it is a retransmission. */
function updateLastSeq(conn: Connection, ep: Endpoint, isClient: boolean, p: DecodedPacket): void {
  const flags = p.flags;
  const len = p.payloadLength;
  const last = segmentEnd(p);
  const delta = seqDelta(last, ep.lastSeq);
  if ((flags & (SYN | RST)) !== 0 && (delta > TOO_LARGE_SEQ_DELTA || delta < -TOO_LARGE_SEQ_DELTA)) return;
  if ((flags & FIN) !== 0 && ep.lastSeq === ((ep.startSeq + 1) >>> 0)) ep.lastSeq = last;
  else if (ep.state === EP_RESET) return;
  else if (delta > 0) ep.lastSeq = last;
  else if (len > 0) {
    ep.retransmissions++;
    ep.retransmissionThreshold = scaledHistory(conn, isClient, 'T', ep.retransmissions, ep.retransmissionThreshold);
  }
}

/** Zeek UpdateInactiveState: the first packet from an endpoint decides its state. */
function stepInactive(ep: Endpoint, peer: Endpoint, isClient: boolean, flags: number, len: number, client: Endpoint): void {
  if (flags & SYN) {
    if (isClient) setState(ep, flags & ACK ? EP_SYN_ACK_SENT : EP_SYN_SENT);
    else {
      if (peer.state === EP_SYN_SENT) setState(peer, EP_ESTABLISHED);
      setState(ep, EP_ESTABLISHED);
    }
  }
  if (flags & FIN) setState(ep, EP_CLOSED);
  if (flags & RST) setState(ep, EP_RESET);
  if (ep.state === EP_INACTIVE) {
    // An ACK from the responder before its SYN-ACK (some stacks do this) does not make a partial connection.
    if (!isClient && len === 0 && client.state === EP_SYN_SENT) return;
    // SYN-ACK seen but the SYN missed, and now a pure ACK: established, not partial.
    if ((flags & ACK) !== 0 && peer.state === EP_ESTABLISHED) setState(ep, EP_ESTABLISHED);
    else setState(ep, EP_PARTIAL);
  }
}

/** Zeek UpdateStateMachine: one handler per endpoint state. */
function stepState(ep: Endpoint, peer: Endpoint, isClient: boolean, flags: number, len: number, client: Endpoint): void {
  switch (ep.state) {
    case EP_INACTIVE:
      stepInactive(ep, peer, isClient, flags, len, client);
      break;
    case EP_SYN_SENT:
    case EP_SYN_ACK_SENT:
      if (flags & FIN) setState(ep, EP_CLOSED);
      if (flags & RST) setState(ep, EP_RESET);
      break;
    case EP_ESTABLISHED:
    case EP_PARTIAL:
      if ((flags & SYN) !== 0 && ep.state === EP_PARTIAL && peer.state === EP_INACTIVE && (flags & ACK) === 0) {
        setState(ep, EP_SYN_SENT);
      }
      if ((flags & FIN) !== 0 && (flags & RST) === 0) {
        setState(ep, EP_CLOSED);
        // FIN after the peer's FIN+RST: the peer's close was a normal termination after all.
        if (peer.state === EP_RESET && peer.prevState === EP_CLOSED) setState(peer, EP_CLOSED);
      }
      if (flags & RST) setState(ep, EP_RESET);
      break;
    case EP_CLOSED:
      // A RST after our FIN resets us, unless both sides already closed (Zeek UpdateClosedState).
      if ((flags & RST) !== 0 && peer.state !== EP_CLOSED) setState(ep, EP_RESET);
      break;
    case EP_RESET:
      break;
  }
}

/**
 * Applies one packet to the connection. `isClient` says which endpoint sent it; `p.time` is its time.
 * Order follows Zeek's Process(): history, window, sequence marks, then the state machine.
 */
export function stepConnection(conn: Connection, isClient: boolean, p: DecodedPacket): void {
  const t = p.time;
  const ep = isClient ? conn.client : conn.server;
  const peer = isClient ? conn.server : conn.client;
  const flags = p.flags;
  const len = p.payloadLength;

  ep.packets++;
  ep.bytes += len;
  if (len > 0) ep.lastDataTime = t;
  // Latest time seen, not last: a reordered file must not make a duration negative.
  if (t > conn.lastTime) conn.lastTime = t;

  if ((flags & (SYN | FIN | RST)) === 0 && ep.state === EP_ESTABLISHED && peer.state === EP_ESTABLISHED && p.window !== 0) {
    // Most packets: data or an ACK between two established endpoints. The steps below that such a
    // packet cannot change (initial marks, zero window, peer numbering, close, state) are skipped.
    updateHistory(conn, ep, isClient, p);
    if ((flags & ACK) !== 0 && peer.hasFin && !peer.isFinAcked && seqDelta(p.ack, peer.finAckSeq) >= 0) peer.isFinAcked = true;
    updateLastSeq(conn, ep, isClient, p);
    recordHandshake(conn, isClient, p);
    return;
  }

  initEndpoint(ep, p);
  updateHistory(conn, ep, isClient, p);

  // Zero windows are noise on or after a RST, or once the peer has closed (Zeek update_window).
  if (p.window === 0 && (flags & RST) === 0 && peer.state !== EP_CLOSED && ep.state !== EP_RESET) {
    ep.zeroWindows++;
    ep.zeroWindowThreshold = scaledHistory(conn, isClient, 'W', ep.zeroWindows, ep.zeroWindowThreshold);
  }

  if (flags & ACK) {
    if (peer.state === EP_INACTIVE && (flags & (SYN | FIN | RST)) === 0) {
      // The peer's numbering starts just before what this ACK acknowledges (Zeek init_peer).
      peer.startSeq = (p.ack - 1) >>> 0;
      peer.lastSeq = peer.startSeq;
    }
    if (peer.hasFin && !peer.isFinAcked && (flags & RST) === 0 && seqDelta(p.ack, peer.finAckSeq) >= 0) peer.isFinAcked = true;
  }

  updateLastSeq(conn, ep, isClient, p);
  recordHandshake(conn, isClient, p);
  recordClose(conn, ep, isClient, p);
  stepState(ep, peer, isClient, flags, len, conn.client);
}

/** SYN, SYN-ACK and the client's first ACK after it: the three-way handshake times (RFC 9293 3.5). */
function recordHandshake(conn: Connection, isClient: boolean, p: DecodedPacket): void {
  const flags = p.flags;
  const t = p.time;
  if (flags & SYN) {
    if (isClient && (flags & ACK) === 0 && conn.synTime === 0) conn.synTime = t;
    else if (!isClient && (flags & ACK) !== 0 && conn.synAckTime === 0) conn.synAckTime = t;
  } else if (isClient && (flags & ACK) !== 0 && conn.synAckTime !== 0 && conn.handshakeAckTime === 0) {
    conn.handshakeAckTime = t;
  }
}

/** First FIN and first RST of each side, which came first, and the FIN's acknowledgement mark. */
function recordClose(conn: Connection, ep: Endpoint, isClient: boolean, p: DecodedPacket): void {
  const flags = p.flags;
  const t = p.time;
  const side: 1 | 2 = isClient ? 1 : 2;
  if ((flags & RST) !== 0 && !ep.hasRst) {
    // The connection's first RST: did an orderly close (both FINs) come before it?
    if (!conn.client.hasRst && !conn.server.hasRst) conn.isFinExchangeBeforeRst = conn.client.hasFin && conn.server.hasFin;
    ep.hasRst = true;
    ep.rstTime = t;
  }
  if ((flags & FIN) !== 0 && !ep.hasFin) {
    ep.hasFin = true;
    ep.finTime = t;
    // The FIN occupies the last sequence number of the segment; the peer acks one past it.
    ep.finAckSeq = segmentEnd(p);
    if (conn.firstFinSide === 0) conn.firstFinSide = side;
  }
  if ((flags & (FIN | RST)) !== 0 && conn.firstCloser === 0) {
    conn.firstCloser = side;
    conn.firstCloseTime = t;
  }
}
