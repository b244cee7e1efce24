/**
 * \summary: the report model: plain typed data, defined once, that every renderer reads.
 *
 * This is the JSON contract (`schemaVersion: 1`): fields may be added, never renamed. Every
 * field is always present; "unknown" is null, never missing. Times are epoch seconds (float)
 * unless the name says ISO.
 */

export const SCHEMA_VERSION = 1;

/** What `ss` on the client would have shown for the connection when the capture ended. */
export type ClientState =
  | 'SYN-SENT'
  | 'ESTAB'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSE-WAIT'
  | 'LAST-ACK'
  | 'CLOSING'
  | 'TIME-WAIT'
  | 'CLOSED';

/**
 * How the connection ended:
 * - fin: a FIN was seen (from either side) and no RST before the FIN exchange completed
 * - rst: a RST after the handshake (or in a connection that started before the capture)
 * - refused: the SYN was answered by a RST
 * - unanswered: the SYN was never answered
 * - open: neither FIN nor RST seen
 */
export type CloseKind = 'fin' | 'rst' | 'refused' | 'unanswered' | 'open';

export type Side = 'client' | 'server';

/**
 * Zeek conn.log conn_state: S0 SYN, no reply · S1 established · SF normal close · REJ rejected ·
 * S2 originator closed, no reply · S3 responder closed, no reply · RSTO/RSTR originator/responder
 * reset · RSTOS0 SYN then originator RST · RSTRH responder SYN-ACK then RST, no SYN seen ·
 * SH SYN then FIN, no SYN-ACK · SHR SYN-ACK then FIN, no SYN · OTH midstream.
 */
export type ZeekConnState = 'S0' | 'S1' | 'SF' | 'REJ' | 'S2' | 'S3' | 'RSTO' | 'RSTR' | 'RSTOS0' | 'RSTRH' | 'SH' | 'SHR' | 'OTH';

export interface CaptureWarning {
  /** Stable code: truncated, corrupt, read-error, snaplen, unsupported-link-type, ... */
  code: string;
  message: string;
  /** File the warning is about, or null for the capture as a whole. */
  file: string | null;
  /** Byte offset in the (decompressed) file, or null. */
  offset: number | null;
}

export interface CaptureFileReport {
  path: string;
  format: 'pcap' | 'pcapng';
  /** gzip-compressed on disk (offsets are in the decompressed bytes). */
  isGzip: boolean;
  /** libpcap LINKTYPE_* values of the file's interfaces. */
  linkTypes: number[];
  timestampPrecision: 'us' | 'ns';
  /** The file's snap length (pcapng: the smallest interface limit), null when it sets none. */
  snaplen: number | null;
  packets: number;
}

/** What `wscap record` wrote beside the capture (`<capture>.meta.json`), when present. */
export interface RecordingReport {
  metadataPath: string;
  generator: string;
  tcpdumpVersion: string | null;
  interface: string;
  snaplen: number;
  /** The BPF filter of each tcpdump segment (one per address-set addition). */
  filters: string[];
  isUserFilter: boolean;
  hosts: string[];
  /** Every target address captured, and from when (epoch seconds). */
  coveredAddresses: { address: string; from: number }[];
  /** tcpdump's own counts, summed over segments (null when tcpdump did not print them). */
  captured: number | null;
  receivedByFilter: number | null;
  droppedByKernel: number | null;
  /** signal:SIGINT, signal:SIGTERM, signal:SIGHUP (the terminal closed), duration, packets, tcpdump-exited ... */
  stopReason: string | null;
  /** How many `ss` snapshots were taken (process attribution). */
  socketSnapshots: number;
}

/** The process that owned a connection's socket, from `ss -tnpi` snapshots taken while recording. */
export interface ProcessReport {
  pid: number;
  command: string;
}

export interface CaptureReport {
  files: CaptureFileReport[];
  /** The recording's metadata, when the capture was made by `wscap record`; else null. */
  recording: RecordingReport | null;
  /** All packets read, of any kind. */
  packets: number;
  /** Packets whose TCP header was decoded and tracked. */
  tcpPackets: number;
  /** Packets that are not IPv4/IPv6, or IP but not TCP: counted, not analysed. */
  nonTcpPackets: number;
  /** Packets whose headers were cut by the snap length before the TCP header ended. */
  truncatedPackets: number;
  /** IP fragments (not reassembled) and packets with impossible headers. */
  fragmentPackets: number;
  invalidPackets: number;
  /** First and last packet time (ISO 8601, UTC), null for a capture with no packets (or a time no date can hold). */
  start: string | null;
  end: string | null;
  durationS: number;
  warnings: CaptureWarning[];
}

export interface EndpointAddress {
  ip: string;
  port: number;
}

/** Application-data records after the TLS handshake and the WebSocket upgrade, by size on the wire. */
export interface RecordCounts {
  /** Smaller than the control-size limit (default 100 bytes): pings, pongs, close frames, close_notify. */
  control: number;
  data: number;
}

/** RTT of this direction's data (data sent → the peer's ACK, Karn's rule), milliseconds. */
export interface RttReport {
  min: number | null;
  median: number | null;
  max: number | null;
  samples: number;
}

/** One direction of a connection: what one side sent, and TCP's health as Wireshark defines it. */
export interface DirectionReport {
  packets: number;
  /** TCP payload bytes on the wire (from the IP length), retransmissions included. */
  bytes: number;
  /** null when the TLS records of this direction could not be followed (see tls.recordTracking). */
  records: RecordCounts | null;
  /** tcp.analysis.retransmission + fast_retransmission frames. */
  retransmissions: number;
  outOfOrder: number;
  lostSegments: number;
  dupAcks: number;
  zeroWindows: number;
  zeroWindowProbes: number;
  keepAlives: number;
  rttMs: RttReport;
  /** When this side's first retransmission / first zero-window advert came (epoch seconds), or null. */
  firstRetransmissionAt: number | null;
  firstZeroWindowAt: number | null;
}

export interface ServerDirectionReport extends DirectionReport {
  /** Longest time with no data-size record from the server while the connection was open; null when not followed. */
  maxDataSilenceS: number | null;
  /** When that silence began (epoch seconds), or null. */
  maxDataSilenceAt: number | null;
}

/**
 * Why a direction's TLS records are (not) followed: following (to the end), not-tls (the stream
 * does not start with a TLS record), gap (data missing from the capture), truncated (snap length
 * cut a record header), midstream (no record boundary found after a capture that began mid-stream).
 */
export type RecordTracking = 'following' | 'not-tls' | 'gap' | 'truncated' | 'midstream' | 'no-data';

export interface TlsAlertReport {
  from: Side;
  level: number;
  /** RFC 8446 AlertDescription number, and its name when known. */
  description: number;
  name: string | null;
  at: number;
}

/** TLS details beyond the headline fields (sni, alpn, tlsVersion). */
export interface TlsReport {
  /** present, absent (ClientHello without server_name), cut (snap length cut the ClientHello), not-seen. */
  sniStatus: 'present' | 'absent' | 'cut' | 'not-seen';
  /** Snap length of the capture when sniStatus is "cut", else null. */
  snaplen: number | null;
  alpnOffered: string[] | null;
  /** Versions the client offered, e.g. "TLS 1.3". */
  versionsOffered: string[] | null;
  alerts: TlsAlertReport[];
  recordTracking: { client2server: RecordTracking; server2client: RecordTracking };
}

export interface HandshakeReport {
  /** The client's SYN is in the capture. */
  seen: boolean;
  synToSynAckMs: number | null;
  synAckToAckMs: number | null;
  /** ClientHello → ServerHello (record starts), ms. */
  tlsMs: number | null;
  /** SYN → the server's first application-data record after the upgrade request (what the agent waits for), ms. */
  firstServerDataMs: number | null;
}

export interface CloseReport {
  kind: CloseKind;
  /** The side whose FIN or RST came first (TCP level), null when neither was seen. */
  initiator: Side | null;
  /** Time of that first FIN or RST, epoch seconds. */
  at: number | null;
  /**
   * The side that sent the first of the control-size records (close frame, close_notify) that end
   * the stream just before the TCP close; null when that pattern is not there. Often not `initiator`:
   * RFC 6455 has the server close TCP first whoever started the WebSocket close.
   */
  wsInitiator: Side | null;
  /**
   * The closing run held a WebSocket close frame (a record larger than a TLS 1.3 close_notify);
   * false: only close_notify-size records (TLS closed without a WebSocket close); null: no closing run.
   */
  wsCloseFrame: boolean | null;
}

export interface ConnectionReport {
  /** C1, C2 ... in order of first packet. */
  id: string;
  client: EndpointAddress;
  server: EndpointAddress;
  start: number;
  end: number;
  durationS: number;
  /** server_name from the ClientHello; null when absent, cut or not seen (tls.sniStatus says which). */
  sni: string | null;
  /** ALPN protocol the server selected, or null. */
  alpn: string | null;
  /** Negotiated TLS version ("TLS 1.3"), or null when the ServerHello was not seen. */
  tlsVersion: string | null;
  handshake: HandshakeReport;
  client2server: DirectionReport;
  server2client: ServerDirectionReport;
  tls: TlsReport;
  close: CloseReport;
  clientState: ClientState;
  zeek: { connState: ZeekConnState; history: string };
  /** The owning process (from the recording's socket snapshots), or null when unknown. */
  process: ProcessReport | null;
}

/** info: worth knowing, not a problem; warn: look at it; fail: the agent's data is affected. */
export type Severity = 'info' | 'warn' | 'fail';
/** The worst severity among the anomalies (info counts as ok). */
export type Verdict = 'ok' | 'warn' | 'fail';

/** A server name and what it was seen at. */
export interface HostReport {
  /** The SNI; for connections without one, a name from the capture's DNS answers, else the address. */
  name: string;
  /** Where the name comes from (the best of its connections': an SNI, else a DNS answer, else the address). */
  source: 'sni' | 'dns' | 'address';
  /** Server addresses (ip, or [ip]:port when not 443), in order first seen. */
  addresses: string[];
  connections: number;
}

/** Connections open at each moment: established (or midstream) until their first FIN or RST. */
export interface ConcurrencyReport {
  max: number;
  /** When the maximum was first reached (epoch seconds), null without connections. */
  maxAt: number | null;
  /** Open when the capture ended. */
  atEnd: number;
  /**
   * [time, open] at each change, in time order; on long captures (more than 1,000 changes) one
   * point per bucket of `stepS` seconds, [bucket start, the most open in it].
   */
  series: Array<[number, number]>;
  /** Bucket width when the series is bucketed, else null. */
  stepS: number | null;
}

/** What the user said to expect (--symbols × --per-symbol, or --expect). */
export interface ExpectedReport {
  connections: number;
  symbols: number | null;
  perSymbol: number;
}

/** The guide's estimate: connections ESTAB at the end ÷ connections per symbol. */
export interface SymbolEstimateReport {
  established: number;
  perSymbol: number;
  symbols: number;
}

/** A connection to the same server name opened after another closed: close → next SYN. */
export interface ReconnectReport {
  count: number;
  delayS: { min: number | null; median: number | null; max: number | null };
}

/** Connection attempts (SYNs of new connections) in the busiest rolling window. */
export interface AttemptReport {
  /** Most attempts within any `windowS`. */
  max: number;
  /** Start of that busiest window (epoch seconds), or null. */
  at: number | null;
  windowS: number;
  /** Binance's limit: 300 attempts per 5 minutes per IP. */
  budget: number;
}

export interface SummaryReport {
  connections: number;
  byClientState: Partial<Record<ClientState, number>>;
  byCloseKind: Partial<Record<CloseKind, number>>;
  verdict: Verdict;
  hosts: HostReport[];
  concurrency: ConcurrencyReport;
  /** null when neither --symbols nor --expect was given. */
  expected: ExpectedReport | null;
  symbolsEstimate: SymbolEstimateReport;
  reconnects: ReconnectReport;
  attempts: AttemptReport;
}

/** Something the on-call engineer should know, with the evidence. */
export interface AnomalyReport {
  /** Stable code (README lists them): close-wait, stall, silent, reset, ... */
  code: string;
  severity: Severity;
  /** The connections that show it (at most 1,000 ids; `count` has the number). */
  connections: string[];
  count: number;
  /** When it was first seen (epoch seconds), or null. */
  at: number | null;
  /** One sentence: what happened. */
  message: string;
  /** What a person can do about it. */
  hint: string;
}

export interface Report {
  schemaVersion: typeof SCHEMA_VERSION;
  generator: string;
  capture: CaptureReport;
  summary: SummaryReport;
  /** Most severe first, then by time. */
  anomalies: AnomalyReport[];
  connections: ConnectionReport[];
}
