/**
 * \summary: what `wscap record` wrote beside the capture (`<capture>.meta.json`): coverage and drop
 * warnings for the report, and the socket snapshots that name each connection's process.
 */
import { isDateRange } from '../report/time.js';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { METADATA_SUFFIX, type RecordingMetadata } from '../record/metadata.js';
import type { CaptureWarning, ConnectionReport, ProcessReport, RecordingReport } from '../report/model.js';

export interface RecordingContext {
  metadataPath: string;
  metadata: RecordingMetadata;
  /** "clientIp|clientPort|serverIp|serverPort" → sightings of the owning process. */
  owners: Map<string, { at: number; pid: number; command: string }[]>;
}

function ownerKey(clientIp: string, clientPort: number, serverIp: string, serverPort: number): string {
  return `${clientIp}|${clientPort}|${serverIp}|${serverPort}`;
}

function isMetadata(value: unknown): value is RecordingMetadata {
  const m = value as RecordingMetadata;
  return typeof m === 'object' && m !== null && m.schemaVersion === 1 && Array.isArray(m.files) && Array.isArray(m.socketSnapshots);
}

/**
 * Finds the metadata whose file list names one of the capture files (a rotated recording has one
 * metadata file for all its files). Returns null when there is none, or it cannot be read (then
 * `warnings` says so).
 */
export function loadRecordingContext(paths: string[], warnings: CaptureWarning[]): RecordingContext | null {
  const dirs = [...new Set(paths.map((p) => dirname(p)))];
  const names = new Set(paths.map((p) => basename(p)));
  for (const dir of dirs) {
    let entries: string[];
    try {
      entries = readdirSync(dir).filter((n) => n.endsWith(METADATA_SUFFIX));
    } catch {
      continue;
    }
    for (const entry of entries) {
      const metadataPath = join(dir, entry);
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(metadataPath, 'utf8'));
      } catch (err) {
        warnings.push({ code: 'metadata', message: `unreadable recording metadata: ${(err as Error).message}`, file: metadataPath, offset: null });
        continue;
      }
      if (!isMetadata(parsed)) continue;
      if (!parsed.files.some((f) => names.has(f))) continue;
      return { metadataPath, metadata: parsed, owners: indexOwners(parsed) };
    }
  }
  return null;
}

function indexOwners(meta: RecordingMetadata): RecordingContext['owners'] {
  const owners: RecordingContext['owners'] = new Map();
  for (const snap of meta.socketSnapshots) {
    for (const s of snap.sockets) {
      const p = s.processes[0];
      if (p === undefined) continue;
      const key = ownerKey(s.local.ip, s.local.port, s.peer.ip, s.peer.port);
      const list = owners.get(key);
      const sighting = { at: snap.at, pid: p.pid, command: p.command };
      if (list) list.push(sighting);
      else owners.set(key, [sighting]);
    }
  }
  return owners;
}

/** The process that owned the connection's socket, from the snapshot nearest its lifetime. */
export function processOf(ctx: RecordingContext, c: ConnectionReport): ProcessReport | null {
  const sightings = ctx.owners.get(ownerKey(c.client.ip, c.client.port, c.server.ip, c.server.port));
  if (sightings === undefined) return null;
  let best: { at: number; pid: number; command: string } | null = null;
  let bestDistance = Infinity;
  for (const s of sightings) {
    const distance = s.at < c.start ? c.start - s.at : s.at > c.end ? s.at - c.end : 0;
    if (distance < bestDistance) {
      best = s;
      bestDistance = distance;
    }
  }
  // A snapshot far outside the connection's life saw an earlier user of the same 4-tuple.
  return best !== null && bestDistance <= 30 ? { pid: best.pid, command: best.command } : null;
}

/** Warnings about what the recording may have missed, from its own metadata. */
export function recordingWarnings(ctx: RecordingContext, paths: string[]): CaptureWarning[] {
  const m = ctx.metadata;
  const file = ctx.metadataPath;
  const out: CaptureWarning[] = [];
  const dropped = (m.counts.droppedByKernel ?? 0) + (m.counts.droppedByInterface ?? 0);
  if (dropped > 0) {
    out.push({ code: 'drops', message: `tcpdump dropped ${dropped} packet(s) while recording: connections may look broken where packets are missing`, file, offset: null });
  }
  if (m.isUserFilter) {
    out.push({
      code: 'user-filter',
      message: `recorded with a user filter (${m.segments[0]?.filter ?? '?'}): wscap cannot tell whether it covered every address of ${m.hosts.join(', ')}; a host name in a filter is resolved once, when tcpdump starts`,
      file,
      offset: null,
    });
  }
  for (const a of m.coveredAddresses) {
    if (a.from > m.start) {
      out.push({
        code: 'late-address',
        message: `address ${a.address} appeared when the hosts were re-resolved and was captured only from ${isDateRange(a.from) ? new Date(a.from * 1000).toISOString() : `epoch ${a.from} s`}: connections to it before then are missing`,
        file,
        offset: null,
      });
    }
  }
  const given = new Set(paths.map((p) => basename(p)));
  const missing = m.files.filter((f) => !given.has(f));
  if (missing.length > 0) {
    out.push({ code: 'missing-files', message: `the recording wrote ${m.files.length} file(s); not given here: ${missing.join(', ')}`, file, offset: null });
  }
  if (m.stopReason !== null && m.stopReason.startsWith('tcpdump')) {
    out.push({ code: 'recording-failed', message: `the recording ended abnormally (${m.stopReason}): the capture stops early`, file, offset: null });
  }
  return out;
}

export function recordingReport(ctx: RecordingContext): RecordingReport {
  const m = ctx.metadata;
  return {
    metadataPath: ctx.metadataPath,
    generator: m.generator,
    tcpdumpVersion: m.tcpdumpVersion,
    interface: m.interface,
    snaplen: m.snaplen,
    filters: m.segments.map((s) => s.filter),
    isUserFilter: m.isUserFilter,
    hosts: m.hosts,
    coveredAddresses: m.coveredAddresses,
    captured: m.counts.captured,
    receivedByFilter: m.counts.receivedByFilter,
    droppedByKernel: m.counts.droppedByKernel,
    stopReason: m.stopReason,
    socketSnapshots: m.socketSnapshots.length,
  };
}
