/**
 * \summary: the analysis pipeline: capture files → decode → track → report model.
 *
 * Each packet passes each stage once, in one direction: the reader fills a reused record, the
 * decoder a reused header view, the tracker updates its connection; a connection becomes a
 * report row when it leaves the tracker. Nothing here is kept per packet.
 */
import { readCaptures } from '../pcap/read-captures.js';
import type { PacketRecord } from '../pcap/packet-record.js';
import {
  DECODED_TCP,
  FRAGMENT,
  INVALID,
  NOT_IP,
  NOT_TCP,
  TRUNCATED,
  UNKNOWN_LINK,
  newDecodedPacket,
  type DecodedPacket,
} from '../decode/decoded-packet.js';
import { decodePacket } from '../decode/decode-packet.js';
import { linkTypeNames } from '../decode/link.js';
import { finishTracker, newTracker, trackPacket } from '../track/tracker.js';
import { summarizeConnection } from './summarize-connection.js';
import { loadRecordingContext, processOf, recordingReport, recordingWarnings } from './recording-context.js';
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
}

/** Counts of packets by what the decoder made of them. */
interface PacketCounts {
  packets: number;
  tcp: number;
  notTcp: number;
  truncated: number;
  fragment: number;
  invalid: number;
  unknownLink: number;
  /** Packets with / without a timestamp (pcapng simple packet blocks have none). */
  timed: number;
  untimed: number;
  firstUntimed: { file: number; offset: number } | null;
  /** First packet's time and the latest time seen, over packets with a timestamp. */
  firstTime: number;
  lastTime: number;
  /** First offset of a truncated/unknown-link packet per file, for the warnings. */
  firstTruncated: { file: number; offset: number; protocol: string } | null;
  firstInvalid: { file: number; offset: number; protocol: string; detail: string } | null;
  unknownLinkTypes: Set<number>;
}

/** Reads the files and builds the report. Throws CaptureFileError for a file that is not a capture. */
export async function analyzeCaptures(paths: string[], options: AnalyzeOptions): Promise<Report> {
  const rows: ConnectionReport[] = [];
  const tracker = newTracker({ serverPort: options.serverPort }, (conn) => rows.push(summarizeConnection(conn)));
  const decoded = newDecodedPacket();
  const counts: PacketCounts = {
    packets: 0,
    tcp: 0,
    notTcp: 0,
    truncated: 0,
    fragment: 0,
    invalid: 0,
    unknownLink: 0,
    timed: 0,
    untimed: 0,
    firstUntimed: null,
    firstTime: 0,
    lastTime: 0,
    firstTruncated: null,
    firstInvalid: null,
    unknownLinkTypes: new Set(),
  };

  const onPacket = (packet: PacketRecord): void => {
    counts.packets++;
    if (packet.hasTimestamp) {
      if (counts.timed === 0) counts.firstTime = packet.time;
      counts.timed++;
      if (packet.time > counts.lastTime) counts.lastTime = packet.time;
    } else {
      counts.untimed++;
      counts.firstUntimed ??= { file: packet.fileIndex, offset: packet.fileOffset };
    }
    const status = decodePacket(packet, decoded);
    if (status === DECODED_TCP) {
      counts.tcp++;
      trackPacket(tracker, decoded, packet.time);
      return;
    }
    countUndecoded(counts, status, packet, decoded);
  };

  const cursors = await readCaptures(paths, onPacket);
  finishTracker(tracker);
  rows.sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));

  const warnings: CaptureWarning[] = [];
  for (const c of cursors) if (c.warning) warnings.push(c.warning);
  warnings.push(...packetWarnings(counts, paths));
  const recording = loadRecordingContext(paths, warnings);
  if (recording !== null) {
    warnings.push(...recordingWarnings(recording, paths));
    for (const row of rows) row.process = processOf(recording, row);
  }

  return {
    schemaVersion: SCHEMA_VERSION,
    generator: options.generator,
    capture: {
      files: cursors.map((c) => ({
        path: c.path,
        format: c.format,
        isGzip: c.isGzip,
        linkTypes: c.linkTypes,
        timestampPrecision: c.precision,
        packets: c.packets,
      })),
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

function countUndecoded(counts: PacketCounts, status: number, packet: PacketRecord, decoded: DecodedPacket): void {
  switch (status) {
    case NOT_IP:
    case NOT_TCP:
      counts.notTcp++;
      break;
    case TRUNCATED:
      counts.truncated++;
      counts.firstTruncated ??= { file: packet.fileIndex, offset: packet.fileOffset, protocol: decoded.protocol };
      break;
    case FRAGMENT:
      counts.fragment++;
      break;
    case INVALID:
      counts.invalid++;
      counts.firstInvalid ??= { file: packet.fileIndex, offset: packet.fileOffset, protocol: decoded.protocol, detail: decoded.detail };
      break;
    case UNKNOWN_LINK:
      counts.unknownLink++;
      counts.unknownLinkTypes.add(packet.linkType);
      break;
  }
}

function packetWarnings(counts: PacketCounts, paths: string[]): CaptureWarning[] {
  const warnings: CaptureWarning[] = [];
  if (counts.truncated > 0 && counts.firstTruncated) {
    const first = counts.firstTruncated;
    warnings.push({
      code: 'snaplen',
      message: `${counts.truncated} packet(s) cut by the snap length before their TCP header ended; not analysed (first at byte offset ${first.offset}, cut in ${first.protocol})`,
      file: paths[first.file],
      offset: first.offset,
    });
  }
  if (counts.invalid > 0 && counts.firstInvalid) {
    const first = counts.firstInvalid;
    warnings.push({
      code: 'invalid-header',
      message: `${counts.invalid} packet(s) with impossible IP/TCP headers; not analysed (first at byte offset ${first.offset}: ${first.protocol} ${first.detail})`,
      file: paths[first.file],
      offset: first.offset,
    });
  }
  if (counts.untimed > 0 && counts.firstUntimed) {
    const first = counts.firstUntimed;
    warnings.push({
      code: 'no-timestamps',
      message: `${counts.untimed} packet(s) in pcapng simple packet blocks carry no timestamp; their connections' times are the file's previous timestamp, or 0 (first at byte offset ${first.offset})`,
      file: paths[first.file],
      offset: first.offset,
    });
  }
  if (counts.fragment > 0) {
    warnings.push({
      code: 'ip-fragments',
      message: `${counts.fragment} IP fragment(s) not reassembled; not analysed`,
      file: null,
      offset: null,
    });
  }
  if (counts.unknownLink > 0) {
    const types = [...counts.unknownLinkTypes].map((t) => `${t}${linkTypeNames[t] ? ` (${linkTypeNames[t]})` : ''}`);
    warnings.push({
      code: 'unsupported-link-type',
      message: `${counts.unknownLink} packet(s) on unsupported link type(s) ${types.join(', ')}; not analysed`,
      file: null,
      offset: null,
    });
  }
  return warnings;
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
