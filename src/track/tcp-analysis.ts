/**
 * \summary: per-direction TCP health, after Wireshark's tcp.analysis.* definitions (STUB: contract only).
 *
 * One call per packet, after the state machine. Counts retransmissions, out-of-order segments,
 * lost segments, duplicate ACKs, zero windows, zero-window probes and keep-alives for the
 * direction the packet travels, and takes RTT samples (data → ACK, Karn's rule) for the
 * direction whose data the packet acknowledges.
 */
import type { DecodedPacket } from '../decode/decoded-packet.js';
import type { Connection } from './connection.js';

/** Health counters and analysis marks of one direction (the data one endpoint sends). */
export interface TcpFlowAnalysis {
  /** tcp.analysis.retransmission + fast_retransmission (spurious ones included, as tshark counts them). */
  retransmissions: number;
  /** Of those, tcp.analysis.fast_retransmission. */
  fastRetransmissions: number;
  outOfOrder: number;
  lostSegments: number;
  dupAcks: number;
  zeroWindows: number;
  zeroWindowProbes: number;
  keepAlives: number;
}

/** RTT of one direction's data (data sent → its ACK), milliseconds; nulls when no sample. */
export interface RttSummary {
  min: number | null;
  median: number | null;
  max: number | null;
  samples: number;
}

export function newTcpFlowAnalysis(): TcpFlowAnalysis {
  return {
    retransmissions: 0,
    fastRetransmissions: 0,
    outOfOrder: 0,
    lostSegments: 0,
    dupAcks: 0,
    zeroWindows: 0,
    zeroWindowProbes: 0,
    keepAlives: 0,
  };
}

/** Applies one packet (sent by the client when isClient) to both directions' analysis. */
export function analyzeSegment(_conn: Connection, _isClient: boolean, _p: DecodedPacket, _t: number): void {}

export function rttSummary(_flow: TcpFlowAnalysis): RttSummary {
  return { min: null, median: null, max: null, samples: 0 };
}
