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
  /** signal:SIGINT, signal:SIGTERM, duration, packets, tcpdump-exited ... */
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
  /** First and last packet time (ISO 8601, UTC), null for a capture with no packets. */
  start: string | null;
  end: string | null;
  durationS: number;
  warnings: CaptureWarning[];
}

export interface EndpointAddress {
  ip: string;
  port: number;
}

export interface DirectionReport {
  packets: number;
  /** TCP payload bytes on the wire (from the IP length), retransmissions included. */
  bytes: number;
}

export interface HandshakeReport {
  /** The client's SYN is in the capture. */
  seen: boolean;
  synToSynAckMs: number | null;
  synAckToAckMs: number | null;
}

export interface CloseReport {
  kind: CloseKind;
  /** The side whose FIN or RST came first (TCP level), null when neither was seen. */
  initiator: Side | null;
  /** Time of that first FIN or RST, epoch seconds. */
  at: number | null;
}

export interface ConnectionReport {
  /** C1, C2 ... in order of first packet. */
  id: string;
  client: EndpointAddress;
  server: EndpointAddress;
  start: number;
  end: number;
  durationS: number;
  handshake: HandshakeReport;
  client2server: DirectionReport;
  server2client: DirectionReport;
  close: CloseReport;
  clientState: ClientState;
  zeek: { connState: ZeekConnState; history: string };
  /** The owning process (from the recording's socket snapshots), or null when unknown. */
  process: ProcessReport | null;
}

export interface SummaryReport {
  connections: number;
  byClientState: Partial<Record<ClientState, number>>;
  byCloseKind: Partial<Record<CloseKind, number>>;
}

export interface Report {
  schemaVersion: typeof SCHEMA_VERSION;
  generator: string;
  capture: CaptureReport;
  summary: SummaryReport;
  connections: ConnectionReport[];
}
