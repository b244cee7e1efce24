/**
 * \summary: the analysis pipeline: capture files → decode → track → report model.
 *
 * Each packet passes each stage once, in one direction: the reader fills a reused record, the
 * decoder a reused header view, the tracker updates its connection; a connection becomes a
 * report row when it leaves the tracker. Nothing here is kept per packet.
 */
import type { DecodedPacket } from '../decode/decoded-packet.js';
import { finishTracker, newTracker, trackPacket } from '../track/tracker.js';
import { summarizeConnection, type SummaryContext } from './summarize-connection.js';
import type { RecordOptions } from '../track/record-activity.js';
import { loadRecordingContext, processOf, recordingReport, recordingWarnings } from './recording-context.js';
import { decodeCaptures, packetWarnings } from './decode-captures.js';
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
}

/** Reads the files and builds the report. Throws CaptureFileError for a file that is not a capture. */
export async function analyzeCaptures(paths: string[], options: AnalyzeOptions): Promise<Report> {
  const rows: ConnectionReport[] = [];
  // Connections that leave the table while packets still flow are closed (or replaced by a new
  // SYN): their own times end them. Those left at the end are open until the capture ends.
  const context: SummaryContext = { captureEnd: 0 };
  const tracker = newTracker({ serverPort: options.serverPort, records: options.records }, (conn) =>
    rows.push(summarizeConnection(conn, context)),
  );
  const onTcp = (decoded: DecodedPacket, time: number): void => trackPacket(tracker, decoded, time);
  const { files, fileWarnings, counts } = await decodeCaptures(paths, onTcp);
  context.captureEnd = counts.lastTime;
  finishTracker(tracker);
  // The file headers are known only now: name the snap length that cut a ClientHello.
  const snaplens = files.flatMap((f) => (f.snaplen === null ? [] : [f.snaplen]));
  const snaplen = snaplens.length > 0 ? Math.min(...snaplens) : null;
  for (const row of rows) if (row.tls.sniStatus === 'cut') row.tls.snaplen = snaplen;
  rows.sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));

  const warnings: CaptureWarning[] = [...fileWarnings, ...packetWarnings(counts, paths)];
  const recording = loadRecordingContext(paths, warnings);
  if (recording !== null) {
    warnings.push(...recordingWarnings(recording, paths));
    for (const row of rows) row.process = processOf(recording, row);
  }

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
    summary: summarize(rows),
    connections: rows,
  };
}

function summarize(rows: ConnectionReport[]): Report['summary'] {
  const byClientState: Partial<Record<ClientState, number>> = {};
  const byCloseKind: Partial<Record<CloseKind, number>> = {};
  for (const row of rows) {
    byClientState[row.clientState] = (byClientState[row.clientState] ?? 0) + 1;
    byCloseKind[row.close.kind] = (byCloseKind[row.close.kind] ?? 0) + 1;
  }
  return { connections: rows.length, byClientState, byCloseKind };
}

/** ISO 8601 with microseconds, UTC. */
export function isoTime(t: number): string {
  const whole = Math.floor(t);
  const micros = Math.round((t - whole) * 1e6);
  const base = new Date((whole + Math.floor(micros / 1e6)) * 1000).toISOString().slice(0, 19);
  return `${base}.${String(micros % 1000000).padStart(6, '0')}Z`;
}
