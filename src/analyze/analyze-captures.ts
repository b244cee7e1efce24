/**
 * \summary: the analysis pipeline: capture files → decode → track → report model.
 *
 * Each packet passes each stage once, in one direction: the reader fills a reused record, the
 * decoder a reused header view, the tracker updates its connection; a connection becomes a
 * report row when it leaves the tracker. Nothing here is kept per packet.
 */
import type { DecodedPacket } from '../decode/decoded-packet.js';
import { finishTracker, newTracker, trackPacket } from '../track/tracker.js';
import type { Oddities } from '../track/connection.js';
import { summarizeConnection, type SummaryContext } from './summarize-connection.js';
import type { RecordOptions } from '../track/record-activity.js';
import { loadRecordingContext, processOf, recordingReport, recordingWarnings } from './recording-context.js';
import { decodeCaptures, packetWarnings, type ReadProgress } from './decode-captures.js';
import { isDateRange } from '../report/time.js';
import { finishDiagnosis, newDiagnosis, observeRow, type DiagnosisOptions } from './diagnosis/diagnose.js';
import {
  SCHEMA_VERSION,
  type CaptureWarning,
  type ClientState,
  type CloseKind,
  type ConnectionReport,
  type Report,
} from '../report/model.js';

export interface AnalyzeOptions {
  /** Without a SYN, the side on this port is the server. */
  serverPort: number;
  /** "wscap X.Y.Z", written into the report. */
  generator: string;
  /** Record size classes, setup window, closing-pattern gap; defaults in record-activity.ts. */
  records?: RecordOptions;
  /**
   * Takes each connection's row as the connection leaves the tracker (in the order they leave)
   * instead of keeping it: the report's `connections` is then empty and memory follows open
   * connections only. Without it, the rows are in the report, in id order.
   */
  onRow?: (row: ConnectionReport) => void;
  /** Called every few thousand packets while reading (the CLI's progress bar). */
  onProgress?: (progress: ReadProgress) => void;
  /** Anomaly thresholds and the expected connection count; defaults in diagnosis/diagnose.ts. */
  diagnosis?: Partial<DiagnosisOptions>;
}

/** Reads the files and builds the report. Throws CaptureFileError for a file that is not a capture. */
export async function analyzeCaptures(paths: string[], options: AnalyzeOptions): Promise<Report> {
  const rows: ConnectionReport[] = [];
  const onRow = options.onRow ?? ((row: ConnectionReport) => void rows.push(row));
  const counts_ = newRowCounts();
  const diagnosis = newDiagnosis(options.diagnosis);
  // Read first, so each row is complete (its process) when it is made.
  const loadWarnings: CaptureWarning[] = [];
  const recording = loadRecordingContext(paths, loadWarnings);
  // Connections that leave the table while packets still flow are closed (or replaced by a new
  // SYN): their own times end them. Those left at the end are open until the capture ends.
  // captureEnd starts as -0, a double like the time it becomes (a 0 would change the field's
  // representation at the end, and summarizeConnection's optimised code with it).
  const context: SummaryContext = { captureEnd: -0, snaplen: null };
  const tracker = newTracker({ serverPort: options.serverPort, records: options.records }, (conn) => {
    const row = summarizeConnection(conn, context);
    if (recording !== null) row.process = processOf(recording, row);
    countRow(counts_, row);
    observeRow(diagnosis, row);
    onRow(row);
  });
  const onTcp = (decoded: DecodedPacket): void => trackPacket(tracker, decoded);
  const decoded = await decodeCaptures(paths, onTcp, {
    onSnaplen: (snaplen) => {
      context.snaplen = snaplen;
    },
    onProgress: options.onProgress,
  });
  const { files, fileWarnings, counts } = decoded;
  context.captureEnd = counts.lastTime;
  finishTracker(tracker);
  rows.sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));

  const warnings: CaptureWarning[] = [...fileWarnings, ...packetWarnings(counts, paths), ...oddityWarnings(tracker.oddities), ...loadWarnings];
  if (recording !== null) warnings.push(...recordingWarnings(recording, paths));
  const { summary, anomalies } = finishDiagnosis(diagnosis, {
    end: counts.lastTime,
    truncatedPackets: counts.truncated,
    snaplen: context.snaplen,
    dnsNames: decoded.dnsNames,
  });

  return {
    schemaVersion: SCHEMA_VERSION,
    generator: options.generator,
    capture: {
      files,
      recording: recording === null ? null : recordingReport(recording),
      packets: counts.packets,
      tcpPackets: counts.tcp,
      nonTcpPackets: counts.notTcp + counts.unknownLink,
      truncatedPackets: counts.truncated,
      fragmentPackets: counts.fragment,
      invalidPackets: counts.invalid,
      start: counts.timed > 0 ? isoTime(counts.firstTime) : null,
      end: counts.timed > 0 ? isoTime(counts.lastTime) : null,
      durationS: counts.timed > 0 ? Math.round((counts.lastTime - counts.firstTime) * 1e6) / 1e6 : 0,
      warnings,
    },
    summary: { ...inCanonicalOrder(counts_), ...summary },
    anomalies,
    connections: rows,
  };
}

/** The tracker's protocol oddities as warnings (counted, never fatal). */
function oddityWarnings(o: Oddities): CaptureWarning[] {
  const warnings: CaptureWarning[] = [];
  if (o.tlsZeroLength + o.tlsTooLong > 0) {
    warnings.push({
      code: 'tls-records',
      message: `${o.tlsZeroLength} TLS record(s) of length 0 and ${o.tlsTooLong} longer than TLS allows (2^14 + 2048 bytes): records are not followed past a too-long one`,
      file: null,
      offset: null,
    });
  }
  if (o.seqJumps > 0) {
    warnings.push({
      code: 'seq-jump',
      message: `${o.seqJumps} TCP segment(s) whose sequence number jumped more than 1 GiB ahead of the one expected (a damaged or spliced capture); the segments after it count as retransmissions`,
      file: null,
      offset: null,
    });
  }
  return warnings;
}

/** Rows counted by client state and close kind. */
type RowCounts = Pick<Report['summary'], 'connections' | 'byClientState' | 'byCloseKind'>;

function newRowCounts(): RowCounts {
  return { connections: 0, byClientState: {}, byCloseKind: {} };
}

const CLIENT_STATES: ClientState[] = ['SYN-SENT', 'ESTAB', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSING', 'TIME-WAIT', 'CLOSED'];
const CLOSE_KINDS: CloseKind[] = ['fin', 'rst', 'refused', 'unanswered', 'open'];

/** The counts in a fixed key order, whatever order the rows came in. */
function inCanonicalOrder(summary: RowCounts): RowCounts {
  const byClientState: Partial<Record<ClientState, number>> = {};
  const byCloseKind: Partial<Record<CloseKind, number>> = {};
  for (const k of CLIENT_STATES) if (summary.byClientState[k] !== undefined) byClientState[k] = summary.byClientState[k];
  for (const k of CLOSE_KINDS) if (summary.byCloseKind[k] !== undefined) byCloseKind[k] = summary.byCloseKind[k];
  return { connections: summary.connections, byClientState, byCloseKind };
}

/** Counts one row into the summary (rows may be streamed away, so counts are kept as they come). */
function countRow(summary: RowCounts, row: ConnectionReport): void {
  const byClientState: Partial<Record<ClientState, number>> = summary.byClientState;
  const byCloseKind: Partial<Record<CloseKind, number>> = summary.byCloseKind;
  summary.connections++;
  byClientState[row.clientState] = (byClientState[row.clientState] ?? 0) + 1;
  byCloseKind[row.close.kind] = (byCloseKind[row.close.kind] ?? 0) + 1;
}

/** ISO 8601 with microseconds, UTC; null for a time no Date can hold (a pcapng's 64-bit timestamp can). */
export function isoTime(t: number): string | null {
  if (!isDateRange(t)) return null;
  const whole = Math.floor(t);
  const micros = Math.round((t - whole) * 1e6);
  const base = new Date((whole + Math.floor(micros / 1e6)) * 1000).toISOString().slice(0, 19);
  return `${base}.${String(micros % 1000000).padStart(6, '0')}Z`;
}
