/**
 * \summary: per-direction TCP health, after Wireshark's tcp.analysis.* definitions, and RTT samples.
 *
 * One call per packet, after the state machine. The health marks follow Wireshark's
 * `tcp_analyze_sequence_number()` (epan/dissectors/packet-tcp.c) check for check and in its order,
 * on the same per-direction state (next expected sequence number, last ACK and window,
 * duplicate-ACK count, ...), so each packet gets the marks tshark 4.0 gives it: retransmission
 * (plain, fast, spurious), out-of-order, lost segment, duplicate ACK, zero window, zero-window
 * probe, keep-alive. They are counted on the flow of the packet's sender. Where tshark 4.0.17
 * behaves otherwise than the source read, tshark wins (checked on crafted captures); the
 * definitions, the RTT method and every known difference are in docs/TCP-HEALTH.md.
 *
 * The packet also times new data of its sender and closes RTT samples (data → ACK, Karn's rule)
 * for the other side's data.
 *
 * Per packet: plain number fields, no allocation, O(1). Every number field holds a small
 * integer, so V8 keeps none in a heap number: sequence numbers as int32 (`| 0`), times as integer
 * microseconds since the connection's first packet (exact for microsecond captures, see `now`).
 */
import type { DecodedPacket } from '../decode/decoded-packet.js';
import type { Connection } from './connection.js';

/** Health counters and analysis state of one direction (the data one endpoint sends). */
/** The health counters of a flow, in one place for whoever lists them all. */
export const HEALTH_COUNTERS = [
  'retransmissions',
  'fastRetransmissions',
  'spuriousRetransmissions',
  'outOfOrder',
  'lostSegments',
  'dupAcks',
  'zeroWindows',
  'zeroWindowProbes',
  'keepAlives',
] as const;

export interface TcpFlowAnalysis {
  /** Frames with tcp.analysis.retransmission: plain, fast and spurious retransmissions, each once. */
  retransmissions: number;
  /** Of those, tcp.analysis.fast_retransmission. */
  fastRetransmissions: number;
  outOfOrder: number;
  lostSegments: number;
  dupAcks: number;
  zeroWindows: number;
  zeroWindowProbes: number;
  keepAlives: number;
  /** Of `retransmissions`, tcp.analysis.spurious_retransmission (data the peer had acknowledged). */
  spuriousRetransmissions: number;

  // Wireshark's per-flow analysis state (tcp_flow_t, tcp_analyze_seq_flow_info_t) of this sender.
  // Sequence numbers are int32 (the uint32 value `| 0`).
  /** base_seq (and TCP_S_BASE_SEQ_SET): only used to recognise a repeated SYN. */
  baseSeq: number;
  hasBaseSeq: boolean;
  /** nextseq: one past the highest sequence number sent; 0 means none yet, as in Wireshark. */
  nextSeq: number;
  /** Time nextSeq last advanced (µs since the connection's first packet, as every time here). */
  nextSeqTime: number;
  /** maxseqtobeacked: the end of the data seen without a hole (for "ACKed unseen segment"). */
  maxSeqToBeAcked: number;
  /** ACK number and raw window of this sender's last packet, and its time (NO_TIME: none yet). */
  lastAck: number;
  lastAckTime: number;
  /** −1 until the first packet (Wireshark starts at G_MAXUINT32, which no 16-bit window equals). */
  window: number;
  /**
   * Duplicate ACKs in a row from this sender; −1 after the peer acknowledged data never seen
   * (a guint32 in Wireshark, so −1 is 2^32 − 1: at least 2 for the fast-retransmission test).
   */
  dupAckNum: number;
  /** Marks of this sender's last packet (its keep-alive bit is read). */
  lastMarks: number;

  // Connection-wide, kept on the client's flow only (the server's are unused).
  /** ts_mru_syn: time of the latest SYN without ACK, NO_TIME = none. */
  mruSynTime: number;
  /** ts_first_rtt: the SYN → first ACK-without-SYN time (integer µs), 0 = none; the out-of-order window. */
  firstRtt: number;

  // RTT of this sender's data: at most two timed segments (end sequence number, time; NO_TIME for
  // a SYN or FIN without data), oldest first.
  timedCount: number;
  timedEnd0: number;
  timedAt0: number;
  timedEnd1: number;
  timedAt1: number;
  rttCount: number;
  /** Integer microseconds, as the samples. */
  rttMin: number;
  rttMax: number;
  /**
   * Every sample (µs) while there are at most RTT_EXACT_CAP (the first rttCount entries), then
   * null. A typed array grown by doubling: a plain array emptied for reuse gives its storage
   * back, and pushing into it again reallocated on every connection.
   */
  rttSamples: Float64Array | null;
  /** After that, every sample in log buckets (RTT_BUCKETS_PER_OCTAVE per octave from 1 µs). */
  rttHistogram: Uint32Array | null;
  /**
   * When this sender's first retransmission and first zero-window advert came: µs after the
   * connection's first packet, -0.5 for none (a double from the start, like the times elsewhere).
   */
  firstRetransmissionUs: number;
  firstZeroWindowUs: number;
}

/** RTT of one direction's data (data sent → its ACK), milliseconds; nulls when no sample. */
export interface RttSummary {
  min: number | null;
  median: number | null;
  max: number | null;
  samples: number;
}

/** "No time": the smallest small integer, so `now − NO_TIME` is huge, as in Wireshark (whose unset time is 0). */
const NO_TIME = -0x80000000;

/**
 * A class rather than an object literal: `new` allocates in place, where a literal this size is
 * copied from its boilerplate by the runtime (one connection opens per few dozen packets).
 */
class FlowAnalysis implements TcpFlowAnalysis {
  // What every packet reads or writes first (V8 lays the fields out in this order: they share
  // the object's first cache lines), then what data and ACKs use, then the counters.
  nextSeq = 0;
  lastAck = 0;
  window = -1;
  lastAckTime = NO_TIME;
  lastMarks = 0;
  dupAckNum = 0;
  hasBaseSeq = false;
  maxSeqToBeAcked = 0;
  timedCount = 0;
  firstRtt = 0;
  mruSynTime = NO_TIME;
  nextSeqTime = 0;
  timedEnd0 = 0;
  timedAt0 = 0;
  timedEnd1 = 0;
  timedAt1 = 0;
  baseSeq = 0;
  rttCount = 0;
  rttMin = 0;
  rttMax = 0;
  rttSamples: Float64Array | null = null;
  rttHistogram: Uint32Array | null = null;
  firstRetransmissionUs = -0.5;
  firstZeroWindowUs = -0.5;
  retransmissions = 0;
  fastRetransmissions = 0;
  spuriousRetransmissions = 0;
  outOfOrder = 0;
  lostSegments = 0;
  dupAcks = 0;
  zeroWindows = 0;
  zeroWindowProbes = 0;
  keepAlives = 0;
}

export function newTcpFlowAnalysis(): TcpFlowAnalysis {
  return new FlowAnalysis();
}

/**
 * Makes a finished connection's flow analysis as good as new (the tracker reuses it); a small RTT
 * sample store keeps its storage.
 */
export function resetTcpFlowAnalysis(f: TcpFlowAnalysis): TcpFlowAnalysis {
  f.nextSeq = 0;
  f.lastAck = 0;
  f.window = -1;
  f.lastAckTime = NO_TIME;
  f.lastMarks = 0;
  f.dupAckNum = 0;
  f.hasBaseSeq = false;
  f.maxSeqToBeAcked = 0;
  f.timedCount = 0;
  f.firstRtt = 0;
  f.mruSynTime = NO_TIME;
  f.nextSeqTime = 0;
  f.timedEnd0 = 0;
  f.timedAt0 = 0;
  f.timedEnd1 = 0;
  f.timedAt1 = 0;
  f.baseSeq = 0;
  f.rttCount = 0;
  f.rttMin = 0;
  f.rttMax = 0;
  // A large sample store is not kept for the next connection: spare states stay small.
  if (f.rttSamples !== null && f.rttSamples.length > RTT_KEPT_ON_REUSE) f.rttSamples = null;
  f.rttHistogram = null;
  f.firstRetransmissionUs = -0.5;
  f.firstZeroWindowUs = -0.5;
  f.retransmissions = 0;
  f.fastRetransmissions = 0;
  f.spuriousRetransmissions = 0;
  f.outOfOrder = 0;
  f.lostSegments = 0;
  f.dupAcks = 0;
  f.zeroWindows = 0;
  f.zeroWindowProbes = 0;
  f.keepAlives = 0;
  return f;
}

// TCP flags (decoded-packet.ts's values) and the marks of one packet (Wireshark's TCP_A_* flags
// that decide a counter or a later check), as const enums: tsc writes the numbers in place, where
// imported or module-level constants are loaded and checked on every packet.
const enum Flag {
  FIN = 0x01,
  SYN = 0x02,
  RST = 0x04,
  ACK = 0x10,
}

const enum Mark {
  RETRANSMISSION = 0x1,
  FAST_RETRANSMISSION = 0x2,
  SPURIOUS = 0x4,
  OUT_OF_ORDER = 0x8,
  LOST = 0x10,
  ZERO_WINDOW = 0x20,
  ZERO_WINDOW_PROBE = 0x40,
  KEEP_ALIVE = 0x80,
  DUP_ACK = 0x100,
  ANY_RETRANSMISSION = 0x7,
}

/** Wireshark: a fast retransmission comes less than 20 ms after the peer's last packet. */
const FAST_RETRANSMISSION_WINDOW_US = 20_000;
/** Wireshark: without an initial RTT, a segment within 3 ms of the highest one is out of order. */
const OUT_OF_ORDER_DEFAULT_US = 3_000;
/** RTT samples kept exactly (per direction); beyond, the median is approximate. */
export const RTT_EXACT_CAP = 512;
/** Sample stores up to this size stay with a reused flow (and are the first size allocated). */
const RTT_KEPT_ON_REUSE = 32;
/** Log buckets: bucket 0 holds samples below 1 µs, bucket i ≥ 1 [2^((i−1)/32), 2^(i/32)) µs, the last one the rest. */
const RTT_BUCKETS_PER_OCTAVE = 32;
const RTT_BUCKETS = 1024;

/** Sequence distance beyond any TCP window (scaled windows reach 1 GiB): a jump. */
const SEQ_JUMP = 0x40000000;

/** Signed distance a − b in 32-bit sequence space (Wireshark's GT_SEQ/LT_SEQ are its sign). */
function seqDelta(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * `elapsed < limit` as Wireshark computes it: both are guint64 nanoseconds there, so a negative
 * value (time going backwards, or an initial RTT measured backwards) wraps to a huge one.
 */
function isBelowUnsigned(elapsed: number, limit: number): boolean {
  if (elapsed >= 0) return limit < 0 || elapsed < limit;
  return limit < 0 && elapsed < limit;
}

/**
 * Applies one packet (sent by the client when isClient) to both directions' analysis: the health
 * marks of the sender's flow (Wireshark's tcp_analyze_sequence_number(), its checks in its order),
 * the initial RTT, and RTT samples. One function on purpose: the common path calls nothing
 * (rare cases do), so V8 compiles it as one piece and boxes no argument on every packet.
 */
export function analyzeSegment(conn: Connection, isClient: boolean, p: DecodedPacket): void {
  const t = p.time;
  const shared = conn.clientFlow;
  let fwd = shared;
  let rev = conn.serverFlow;
  if (!isClient) {
    fwd = rev;
    rev = shared;
  }
  const flags = p.flags;
  const seq = p.seq | 0;
  const ack = p.ack | 0;
  const seglen = p.payloadLength;
  const window = p.window;
  // Integer µs since the connection's first packet. Each float of epoch seconds is within
  // 0.12 µs of the true time, so the difference rounds to the exact µs of a microsecond capture.
  // A small integer for 35 minutes; after that V8 keeps these fields as doubles (still exact).
  const now = Math.round((t - conn.firstTime) * 1e6);

  // dissect_tcp, before the analysis: a SYN (without ACK) that repeats the flow's first sequence
  // number sets nextseq back to maxseqtobeacked (Wireshark issue 17616). A SYN with another ISN
  // starts a new connection (the tracker made one).
  if ((flags & (Flag.SYN | Flag.ACK)) === Flag.SYN && fwd.hasBaseSeq === true && seq === fwd.baseSeq) fwd.nextSeq = fwd.maxSeqToBeAcked;

  if (fwd.hasBaseSeq === false) {
    fwd.baseSeq = flags & Flag.SYN ? seq : (seq - 1) | 0;
    fwd.hasBaseSeq = true;
  }
  if (rev.hasBaseSeq === false && (flags & Flag.ACK) !== 0) {
    rev.baseSeq = (ack - 1) | 0;
    rev.hasBaseSeq = true;
  }
  const nextSeq = fwd.nextSeq;
  const isPlain = (flags & (Flag.SYN | Flag.FIN | Flag.RST)) === 0;
  let marks = 0;
  // A jump forward of more than 1 GiB is no window's worth: a mangled or spliced capture (a
  // warning). Counted forward only: the segments after it then look old, and are flagged so.
  if (nextSeq !== 0 && seglen > 0 && seqDelta(seq, nextSeq) > SEQ_JUMP) conn.oddities.seqJumps++;

  if (seglen === 1 && seq === nextSeq && rev.window === 0) {
    // ZERO WINDOW PROBE: 1 byte at the next expected sequence number while the peer's window is
    // 0; skips every check up to "ACKed unseen segment" (Wireshark's goto finished_fwd).
    marks = Mark.ZERO_WINDOW_PROBE;
  } else {
    // ZERO WINDOW: window 0, none of SYN/FIN/RST.
    if (window === 0 && isPlain) marks = Mark.ZERO_WINDOW;
    // LOST SEGMENT: beyond the next expected sequence number (not for a RST).
    if (nextSeq !== 0 && ((seq - nextSeq) | 0) > 0 && (flags & Flag.RST) === 0) marks |= Mark.LOST;
    // KEEP ALIVE: 0 or 1 byte at the next expected sequence number − 1.
    if (seglen <= 1 && seq === ((nextSeq - 1) | 0) && isPlain) marks |= Mark.KEEP_ALIVE;
    // (WINDOW UPDATE and WINDOW FULL change no counter and no state.)
    // KEEP-ALIVE ACK, ZERO-WINDOW-PROBE ACK, DUPLICATE ACK: no data, same seq, ACK and window as
    // this sender's previous packet. The ACK of a keep-alive (window ≠ 0) is not a duplicate
    // ACK; neither is the ACK of a zero-window probe, nor anything else with window 0.
    if (seglen === 0 && isPlain && window === fwd.window && seq === nextSeq && ack === fwd.lastAck && window !== 0 && (rev.lastMarks & Mark.KEEP_ALIVE) === 0) {
      fwd.dupAckNum = fwd.dupAckNum === -1 ? 1 : fwd.dupAckNum + 1;
      marks |= Mark.DUP_ACK;
    }
  }

  // finished_fwd: a new ACK number resets the duplicate-ACK count.
  if (ack !== fwd.lastAck) fwd.dupAckNum = 0;

  // ACKED UNSEEN SEGMENT (no counter of its own): the peer's data up to maxseqtobeacked was seen
  // without a hole. An ACK beyond it over a hole moves the mark to nextseq; an ACK beyond all the
  // data seen sets the peer's duplicate-ACK count to −1 (tshark 4.0.17's behaviour).
  if (rev.maxSeqToBeAcked !== 0 && ((ack - rev.maxSeqToBeAcked) | 0) > 0 && (flags & Flag.ACK) !== 0) {
    if (((rev.nextSeq - rev.maxSeqToBeAcked) | 0) > 0) rev.maxSeqToBeAcked = rev.nextSeq;
    else rev.dupAckNum = -1;
  }

  // RETRANSMISSION / FAST RETRANSMISSION / SPURIOUS / OUT-OF-ORDER: data, SYN or FIN that does
  // not advance the sequence number (a keep-alive is none of them).
  const synFin = flags & (Flag.SYN | Flag.FIN);
  const segEnd = (seq + seglen + (synFin !== 0 ? 1 : 0)) | 0;
  if ((seglen > 0 || synFin !== 0) && (marks & Mark.KEEP_ALIVE) === 0) {
    if (seglen > 0 && rev.lastAck !== 0 && ((seq + seglen - rev.lastAck) | 0) <= 0) {
      // SPURIOUS: data the peer has already acknowledged (whether or not it advances).
      marks |= Mark.SPURIOUS;
    } else if (nextSeq !== 0 && ((seq - nextSeq) | 0) < 0 && !(seglen > 1 && ((nextSeq - 1) | 0) === seq)) {
      // Not advancing (more than one byte from nextseq − 1 on adds data: after a Linux
      // zero-window probe).
      marks |= retransmissionKind(fwd, rev, seq, segEnd, now, shared.firstRtt);
    }
  }

  // finished_checking_retransmission_type: advance nextseq (not for a zero-window probe).
  if ((marks & Mark.ZERO_WINDOW_PROBE) === 0) {
    if (nextSeq === 0 || ((segEnd - nextSeq) | 0) > 0) {
      fwd.nextSeq = segEnd;
      fwd.nextSeqTime = now;
    }
    if (seq === fwd.maxSeqToBeAcked || fwd.maxSeqToBeAcked === 0) fwd.maxSeqToBeAcked = fwd.nextSeq;
  }
  fwd.window = window;
  fwd.lastAck = ack;
  fwd.lastAckTime = now;
  fwd.lastMarks = marks;

  if (marks !== 0) countMarks(fwd, marks, now);

  // dissect_tcp, after the analysis: the latest SYN's time, and the initial RTT at the first
  // packet with ACK and without SYN (either direction) after it.
  if (flags & Flag.SYN) {
    if ((flags & Flag.ACK) === 0) shared.mruSynTime = now;
  } else if ((flags & Flag.ACK) !== 0 && shared.firstRtt === 0 && shared.mruSynTime !== NO_TIME) {
    shared.firstRtt = now - shared.mruSynTime;
  }

  // RTT, Karn's rule: time each segment that extends the sequence space (at most two: when both
  // slots are taken, the newer one moves on to this segment, so a cumulative ACK is timed from
  // the latest segment it covers and the older slot still gets its sample). A SYN or FIN without
  // data is timed with NO_TIME: the ACK it triggers gives no sample (samples are data → ACK), nor
  // a sample for the data before it. A segment that does not extend the sequence space
  // (retransmitted or reordered) voids the timed segments ending after its start.
  if ((seglen > 0 || synFin !== 0) && (marks & Mark.ZERO_WINDOW_PROBE) === 0) {
    if (nextSeq === 0 || ((segEnd - nextSeq) | 0) > 0) {
      const sentAt = seglen > 0 ? now : NO_TIME;
      if (fwd.timedCount === 0) {
        fwd.timedEnd0 = segEnd;
        fwd.timedAt0 = sentAt;
        fwd.timedCount = 1;
      } else {
        fwd.timedEnd1 = segEnd;
        fwd.timedAt1 = sentAt;
        fwd.timedCount = 2;
      }
    } else if (fwd.timedCount !== 0) {
      voidTimedAfter(fwd, seq);
    }
  }
  // An ACK of the peer's timed data: the newest timed segment it covers gives one sample.
  if (rev.timedCount !== 0 && (flags & (Flag.ACK | Flag.RST)) === Flag.ACK && ((rev.timedEnd0 - ack) | 0) <= 0) {
    let sentAt = rev.timedAt0;
    if (rev.timedCount === 2 && ((rev.timedEnd1 - ack) | 0) > 0) {
      rev.timedEnd0 = rev.timedEnd1;
      rev.timedAt0 = rev.timedAt1;
      rev.timedCount = 1;
    } else {
      if (rev.timedCount === 2) sentAt = rev.timedAt1;
      rev.timedCount = 0;
    }
    // A control segment (SYN, FIN) gives no sample, nor does a capture whose time goes backwards.
    if (sentAt !== NO_TIME && now >= sentAt) addRttSample(rev, now - sentAt);
  }
}

/**
 * Which retransmission a segment that does not advance the sequence number is (Wireshark's
 * order): FAST if the peer sent ≥ 2 duplicate ACKs of this sequence number and its last packet
 * came less than 20 ms ago; OUT-OF-ORDER if it comes within the initial RTT (3 ms without one)
 * of the highest segment and does not end where that one did; else a plain RETRANSMISSION.
 */
function retransmissionKind(fwd: TcpFlowAnalysis, rev: TcpFlowAnalysis, seq: number, segEnd: number, now: number, firstRtt: number): number {
  if ((rev.dupAckNum >= 2 || rev.dupAckNum === -1) && rev.lastAck === seq && isBelowUnsigned(now - rev.lastAckTime, FAST_RETRANSMISSION_WINDOW_US)) {
    return Mark.FAST_RETRANSMISSION;
  }
  if (isBelowUnsigned(now - fwd.nextSeqTime, firstRtt === 0 ? OUT_OF_ORDER_DEFAULT_US : firstRtt) && fwd.nextSeq !== segEnd) {
    return Mark.OUT_OF_ORDER;
  }
  return Mark.RETRANSMISSION;
}

function countMarks(flow: TcpFlowAnalysis, marks: number, now: number): void {
  if (marks & Mark.ANY_RETRANSMISSION) {
    if (flow.retransmissions === 0) flow.firstRetransmissionUs = now;
    flow.retransmissions++;
    if (marks & Mark.FAST_RETRANSMISSION) flow.fastRetransmissions++;
    if (marks & Mark.SPURIOUS) flow.spuriousRetransmissions++;
  }
  if (marks & Mark.OUT_OF_ORDER) flow.outOfOrder++;
  if (marks & Mark.LOST) flow.lostSegments++;
  if (marks & Mark.DUP_ACK) flow.dupAcks++;
  if (marks & Mark.ZERO_WINDOW) {
    if (flow.zeroWindows === 0) flow.firstZeroWindowUs = now;
    flow.zeroWindows++;
  }
  if (marks & Mark.ZERO_WINDOW_PROBE) flow.zeroWindowProbes++;
  if (marks & Mark.KEEP_ALIVE) flow.keepAlives++;
}

/** Karn's rule: data from `seq` on was sent again, so ACKs of timed segments ending after it are ambiguous. */
function voidTimedAfter(flow: TcpFlowAnalysis, seq: number): void {
  if (flow.timedCount === 2 && seqDelta(flow.timedEnd1, seq) > 0) flow.timedCount = 1;
  if (flow.timedCount === 1 && seqDelta(flow.timedEnd0, seq) > 0) flow.timedCount = 0;
}

/** One RTT sample, integer µs. */
function addRttSample(flow: TcpFlowAnalysis, rtt: number): void {
  const n = flow.rttCount;
  if (n === 0 || rtt < flow.rttMin) flow.rttMin = rtt;
  if (n === 0 || rtt > flow.rttMax) flow.rttMax = rtt;
  flow.rttCount = n + 1;
  let samples = flow.rttSamples;
  if (n < RTT_EXACT_CAP) {
    if (samples === null || n === samples.length) {
      const grown = new Float64Array(Math.min(RTT_EXACT_CAP, Math.max(RTT_KEPT_ON_REUSE, 2 * n)));
      if (samples !== null) grown.set(samples);
      samples = flow.rttSamples = grown;
    }
    samples[n] = rtt;
    return;
  }
  let histogram = flow.rttHistogram;
  if (histogram === null) {
    // The exact phase ends: every sample so far moves into the buckets.
    histogram = flow.rttHistogram = new Uint32Array(RTT_BUCKETS);
    if (samples !== null) for (let i = 0; i < n; i++) histogram[rttBucket(samples[i])]++;
    flow.rttSamples = null;
  }
  histogram[rttBucket(rtt)]++;
}

function rttBucket(us: number): number {
  if (us < 1) return 0;
  return Math.min(RTT_BUCKETS - 1, Math.floor(Math.log2(us) * RTT_BUCKETS_PER_OCTAVE) + 1);
}

/** The geometric middle of bucket i, µs. */
function bucketMiddle(i: number): number {
  if (i === 0) return 0.5;
  return Math.pow(2, (i - 0.5) / RTT_BUCKETS_PER_OCTAVE);
}

/** µs → milliseconds, rounded to the microsecond. */
function toMs(us: number): number {
  return Math.round(us) / 1e3;
}

/**
 * Min, median and max RTT of the flow's data, in ms rounded to the µs. The median is exact (the
 * mean of the two middle samples when their number is even) up to RTT_EXACT_CAP samples; beyond,
 * it comes from the log bucket(s) holding the middle sample(s): the geometric middle of the
 * bucket (1/32 octave wide, so within 1.1 % of every sample in it), clamped to [min, max]. Min
 * and max are always exact.
 */
export function rttSummary(flow: TcpFlowAnalysis): RttSummary {
  const n = flow.rttCount;
  if (n === 0) return { min: null, median: null, max: null, samples: 0 };
  let median: number;
  if (flow.rttHistogram === null) {
    // The middle sample(s) by selection in a reused scratch array: no sort, no allocation.
    const samples = flow.rttSamples as Float64Array;
    for (let i = 0; i < n; i++) scratch[i] = samples[i];
    const k = (n - 1) >> 1;
    const lower = select(scratch, n, k);
    if (n % 2 === 1) median = lower;
    else {
      // After selection every sample right of k is ≥ the k-th: the next one is their minimum.
      let upper = scratch[k + 1];
      for (let i = k + 2; i < n; i++) if (scratch[i] < upper) upper = scratch[i];
      median = (lower + upper) / 2;
    }
  } else {
    const lower = histogramRank(flow.rttHistogram, Math.floor((n - 1) / 2));
    const upper = histogramRank(flow.rttHistogram, Math.floor(n / 2));
    median = Math.min(flow.rttMax, Math.max(flow.rttMin, (bucketMiddle(lower) + bucketMiddle(upper)) / 2));
  }
  return { min: toMs(flow.rttMin), median: toMs(median), max: toMs(flow.rttMax), samples: n };
}

const scratch = new Float64Array(RTT_EXACT_CAP);

/**
 * The k-th smallest of a[0..n) (0-based), by quickselect (Hoare partition, middle pivot); leaves
 * a[0..k) ≤ a[k] ≤ a(k..n).
 */
function select(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const x = a[i];
        a[i] = a[j];
        a[j] = x;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k];
}

/** The bucket holding the sample of 0-based rank `rank`. */
function histogramRank(histogram: Uint32Array, rank: number): number {
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (seen > rank) return i;
  }
  return histogram.length - 1;
}
