/**
 * \summary: what `wscap record` wrote beside the capture (`<capture>.meta.json`): coverage and drop
 * warnings for the report, and the socket snapshots that name each connection's process.
 */
import { isDateRange } from '../report/time.js';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { METADATA_SUFFIX } from '../record/metadata.js';
import type { CaptureWarning, ConnectionReport, ProcessReport, RecordingReport } from '../report/model.js';

/**
 * What the report uses of the metadata, every field checked: the file sits beside a capture that
 * may come from anyone, so it is read as untrusted input (a wrong type becomes null or is left out,
 * never a crash, and never a string where a number is printed).
 */
export interface RecordingFacts {
  generator: string;
  tcpdumpVersion: string | null;
  interface: string;
  /** 0 = whole packets (also when the file says nothing usable). */
  snaplen: number;
  filters: string[];
  isUserFilter: boolean;
  hosts: string[];
  coveredAddresses: { address: string; from: number }[];
  start: number | null;
  files: string[];
  counts: { captured: number | null; receivedByFilter: number | null; droppedByKernel: number | null; droppedByInterface: number | null };
  stopReason: string | null;
  socketSnapshots: { at: number; sockets: { local: { ip: string; port: number }; peer: { ip: string; port: number }; process: { pid: number; command: string } | null }[] }[];
}

export interface RecordingContext {
  metadataPath: string;
  metadata: RecordingFacts;
  /** "clientIp|clientPort|serverIp|serverPort" → sightings of the owning process. */
  owners: Map<string, { at: number; pid: number; command: string }[]>;
}

function ownerKey(clientIp: string, clientPort: number, serverIp: string, serverPort: number): string {
  return `${clientIp}|${clientPort}|${serverIp}|${serverPort}`;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const strings = (v: unknown): string[] => list(v).filter((x): x is string => typeof x === 'string');

function endpointOf(v: unknown): { ip: string; port: number } | null {
  if (!isObject(v)) return null;
  const ip = str(v.ip);
  const port = num(v.port);
  return ip === null || port === null ? null : { ip, port };
}

/** The metadata as RecordingFacts, or null when it is not wscap's (schemaVersion 1 with a file list). */
function toFacts(value: unknown): RecordingFacts | null {
  if (!isObject(value) || value.schemaVersion !== 1 || !Array.isArray(value.files)) return null;
  const counts = isObject(value.counts) ? value.counts : {};
  return {
    generator: str(value.generator) ?? '?',
    tcpdumpVersion: str(value.tcpdumpVersion),
    interface: str(value.interface) ?? '?',
    snaplen: num(value.snaplen) ?? 0,
    filters: list(value.segments).flatMap((s) => (isObject(s) && typeof s.filter === 'string' ? [s.filter] : [])),
    isUserFilter: value.isUserFilter === true,
    hosts: strings(value.hosts),
    coveredAddresses: list(value.coveredAddresses).flatMap((a) =>
      isObject(a) && typeof a.address === 'string' && num(a.from) !== null ? [{ address: a.address, from: a.from as number }] : [],
    ),
    start: num(value.start),
    files: strings(value.files),
    counts: {
      captured: num(counts.captured),
      receivedByFilter: num(counts.receivedByFilter),
      droppedByKernel: num(counts.droppedByKernel),
      droppedByInterface: num(counts.droppedByInterface),
    },
    stopReason: str(value.stopReason),
    socketSnapshots: list(value.socketSnapshots).flatMap((snap) => {
      if (!isObject(snap) || num(snap.at) === null) return [];
      const sockets = list(snap.sockets).flatMap((s) => {
        if (!isObject(s)) return [];
        const local = endpointOf(s.local);
        const peer = endpointOf(s.peer);
        if (local === null || peer === null) return [];
        const p = list(s.processes)[0];
        const pid = isObject(p) ? num(p.pid) : null;
        const command = isObject(p) ? str(p.command) : null;
        return [{ local, peer, process: pid !== null && command !== null ? { pid, command } : null }];
      });
      return [{ at: snap.at as number, sockets }];
    }),
  };
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
      const facts = toFacts(parsed);
      if (facts === null || !facts.files.some((f) => names.has(f))) continue;
      return { metadataPath, metadata: facts, owners: indexOwners(facts) };
    }
  }
  return null;
}

function indexOwners(meta: RecordingFacts): RecordingContext['owners'] {
  const owners: RecordingContext['owners'] = new Map();
  for (const snap of meta.socketSnapshots) {
    for (const s of snap.sockets) {
      const p = s.process;
      if (p === null) continue;
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
      message: `recorded with a user filter (${m.filters[0] ?? '?'}): wscap cannot tell whether it covered every address of ${m.hosts.join(', ')}; a host name in a filter is resolved once, when tcpdump starts`,
      file,
      offset: null,
    });
  }
  for (const a of m.coveredAddresses) {
    if (m.start !== null && a.from > m.start) {
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
    filters: m.filters,
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
