/**
 * \summary: `<capture>.meta.json`, written beside a recording: how it was made, what it covered,
 * tcpdump's counts and socket snapshots. The analyser reads it back (record/read-metadata.ts).
 */
import { renameSync, rmSync } from 'node:fs';
import { writeNewPrivateFile } from './capture-files.js';
import type { TcpdumpCounts } from './tcpdump.js';

export const METADATA_SUFFIX = '.meta.json';

/** One socket of a snapshot, as `ss -tnpi` showed it: enough to name the process of a connection. */
export interface SnapshotSocket {
  state: string;
  local: { ip: string; port: number };
  peer: { ip: string; port: number };
  processes: { command: string; pid: number; fd: number }[];
}

export interface SocketSnapshot {
  /** Epoch seconds. */
  at: number;
  sockets: SnapshotSocket[];
}

/** One tcpdump process: the first captures the initial addresses, each later one an added set. */
export interface RecordingSegment {
  index: number;
  filter: string;
  addresses: string[];
  /** The -w argument (a strftime pattern with --rotate-every). */
  filePattern: string;
  startedAt: number;
  stoppedAt: number | null;
  counts: TcpdumpCounts | null;
  exitCode: number | null;
  signal: string | null;
}

export interface RecordingMetadata {
  schemaVersion: 1;
  generator: string;
  tcpdumpVersion: string | null;
  /** wscap's own argv (after the node binary and script). */
  commandLine: string[];
  interface: string;
  port: number;
  /** 0 = whole packets. */
  snaplen: number;
  /** The user's --filter replaced the built one: wscap cannot tell which addresses it covers. */
  isUserFilter: boolean;
  hosts: string[];
  /** Every resolution whose result differed from the previous one, per host. */
  addressSets: { at: number; host: string; addresses: string[] }[];
  /** Every address covered, with the time from which it was covered. */
  coveredAddresses: { address: string; from: number }[];
  segments: RecordingSegment[];
  /** Epoch seconds. */
  start: number;
  end: number | null;
  /** Base names of the capture files, oldest first (files deleted by --keep are not listed). */
  files: string[];
  /** Sums over the segments. */
  counts: TcpdumpCounts;
  stopReason: string | null;
  socketSnapshots: SocketSnapshot[];
}

/**
 * Writes the metadata atomically (temp file + rename), readable only by its owner. The temp file
 * is created new (a symbolic link planted at its name is unlinked, never followed: wscap may run
 * as root in the user's directory); the rename replaces whatever is at `path`, a link included,
 * not what a link points to.
 */
export function writeMetadata(path: string, meta: RecordingMetadata): void {
  const temp = `${path}.tmp`;
  try {
    writeNewPrivateFile(temp, `${JSON.stringify(meta, null, 2)}\n`);
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

export function sumCounts(list: (TcpdumpCounts | null)[]): TcpdumpCounts {
  const sum = (pick: (c: TcpdumpCounts) => number | null): number | null => {
    let total: number | null = null;
    for (const c of list) {
      const v = c === null ? null : pick(c);
      if (v !== null) total = (total ?? 0) + v;
    }
    return total;
  };
  return {
    captured: sum((c) => c.captured),
    receivedByFilter: sum((c) => c.receivedByFilter),
    droppedByKernel: sum((c) => c.droppedByKernel),
    droppedByInterface: sum((c) => c.droppedByInterface),
  };
}
