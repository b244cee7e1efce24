/**
 * \summary: one recording: resolve the target, run tcpdump, follow address changes, snapshot
 * sockets, stop cleanly, and leave files + metadata behind.
 *
 * Address changes: instead of restarting tcpdump (which would lose or duplicate packets around the
 * switch), each newly seen address gets its own tcpdump with a filter for the new addresses only:
 * the segments' filters are disjoint, so the files together are one capture with no duplicates.
 */
import { accessSync, constants, existsSync, statSync, statfsSync, unlinkSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Log } from '../log.js';
import { RecordError } from '../errors/record-error.js';
import { UsageError } from '../errors/usage-error.js';
import { EXIT_CAPTURE_FAILED, EXIT_ENVIRONMENT, EXIT_OK } from '../cli/exit-codes.js';
import { escapeTerminal } from '../render/escape.js';
import { buildFilter } from './filter.js';
import { resolveHosts, type Resolver } from './hosts.js';
import {
  canCreateFilesAs,
  parseCounts,
  requestCounts,
  startTcpdump,
  stopTcpdump,
  tcpdumpVersion,
  type RunningTcpdump,
  type TcpdumpCounts,
  type TcpdumpExit,
  type TcpdumpOptions,
} from './tcpdump.js';
import {
  METADATA_SUFFIX,
  sumCounts,
  writeMetadata,
  type RecordingMetadata,
  type RecordingSegment,
  type SocketSnapshot,
} from './metadata.js';
import { replaceableOnPath } from './path-owners.js';
import { baseNames, invokingUser, listCaptureFiles, pruneToKeep, secureFiles, segmentPattern } from './capture-files.js';

export interface RecordOptions {
  hosts: string[];
  port: number;
  interface: string;
  outDir: string;
  /** Stem of the file names (`<stem>.pcap`, `<stem>.pcap.meta.json`). */
  stem: string;
  durationS: number | null;
  packets: number | null;
  rotateSizeMB: number | null;
  rotateEveryS: number | null;
  keep: number | null;
  snaplen: number;
  /** tcpdump -B, KiB. */
  bufferKiB: number;
  /** A BPF expression instead of the built filter. */
  filter: string | null;
  overrides: Map<string, string[]>;
  reresolveS: number;
  socketsEveryS: number;
  force: boolean;
  tcpdumpPath: string;
  commandLine: string[];
  generator: string;
}

export interface RecordDeps {
  log: Log;
  resolver: Resolver;
  /** A socket snapshot (ss), or null when ss is unavailable. */
  snapshotSockets: () => Promise<SocketSnapshot | null>;
  now: () => number;
}

export interface RecordingResult {
  exitCode: number;
  stopReason: string;
  failure: RecordError | null;
  files: string[];
  metadataPath: string;
  counts: TcpdumpCounts;
  metadata: RecordingMetadata;
  /**
   * Under sudo, the invoking user can write the output directory and tcpdump ran as them: what is
   * done next in that directory (reading the files, writing reports) is done as them too.
   */
  ranAsOwner: boolean;
  owner: { name: string; uid: number; gid: number };
}

export interface Recording {
  metadataPath: string;
  /** Capture files written so far, oldest first. */
  files(): string[];
  /** Latest dropped-by-kernel count tcpdump printed (it prints counts on SIGUSR1), or null. */
  drops(): number | null;
  /** Covered target addresses (for the live view); grows as new addresses appear. Do not modify. */
  addresses(): ReadonlySet<string>;
  /** Stops (idempotent) and resolves when files and metadata are final. */
  stop(reason: string): Promise<RecordingResult>;
  /** Settles when the recording has stopped for any reason (signal, duration, packets, failure). */
  done: Promise<RecordingResult>;
}

interface Segment {
  meta: RecordingSegment;
  tcpdump: RunningTcpdump;
}

const INTERFACE_NAME = /^[A-Za-z0-9_.:@-]{1,15}$/;

/** Below this much free space the recording stops: past it tcpdump drops packets without a word. */
const MIN_FREE_BYTES = 256 * 1024;

function freeBytes(dir: string): number {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return Infinity;
  }
}

function diskFull(dir: string): RecordError {
  return new RecordError(
    `disk full: less than ${MIN_FREE_BYTES / 1024} KiB left in ${escapeTerminal(dir)}, recording stopped`,
    'free space or record to another --out-dir; files written so far are kept',
    EXIT_ENVIRONMENT,
  );
}

/**
 * The failure for a tcpdump that ended by itself during the recording: what happened (with the
 * last thing tcpdump said, not its "listening on" banner), and what to do about it.
 */
export function tcpdumpDied(exit: Pick<TcpdumpExit, 'exitCode' | 'signal' | 'stderr'>): RecordError {
  const said = exit.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('tcpdump:') && !/^tcpdump: listening on |\d+ packets? (captured|received|dropped)/.test(l))
    .pop();
  if (/No space left/i.test(exit.stderr)) {
    return new RecordError(`disk full: tcpdump stopped writing${said ? ` (${escapeTerminal(said)})` : ''}`, 'free space or record to another --out-dir; files written so far are kept', EXIT_ENVIRONMENT);
  }
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode ?? '?'}`;
  // SIGKILL from nobody at the keyboard is usually the kernel's OOM killer.
  const who = exit.signal === 'SIGKILL' ? ' (if nobody killed it, look for the OOM killer: dmesg | grep -i oom)' : '';
  return new RecordError(
    `tcpdump ${how} during the recording${said ? ` (${escapeTerminal(said)})` : ''}: the capture ends there`,
    `the files written so far are kept and readable by wscap analyze; start wscap record again${who}`,
    EXIT_CAPTURE_FAILED,
  );
}

/** Checks what can be checked before tcpdump runs, so errors come early and in plain words. */
export function preflight(o: RecordOptions): void {
  if (!INTERFACE_NAME.test(o.interface)) throw new UsageError(`-i '${escapeTerminal(o.interface)}' is not an interface name`);
  if (o.filter !== null && /^\s*-/.test(o.filter)) throw new UsageError('--filter must be a BPF expression, not an option');
  if (o.keep !== null && o.rotateSizeMB === null && o.rotateEveryS === null) throw new UsageError('--keep needs --rotate-size or --rotate-every');
  let isDir = false;
  try {
    isDir = statSync(o.outDir).isDirectory();
  } catch {
    throw new RecordError(`output directory ${escapeTerminal(o.outDir)} does not exist`, 'create it, or choose another with --out-dir', EXIT_ENVIRONMENT);
  }
  if (!isDir) throw new RecordError(`${escapeTerminal(o.outDir)} is not a directory`, 'choose a directory with --out-dir', EXIT_ENVIRONMENT);
  try {
    accessSync(o.outDir, constants.W_OK);
  } catch {
    throw new RecordError(`cannot write to ${escapeTerminal(o.outDir)}: permission denied`, 'choose a writable directory with --out-dir', EXIT_ENVIRONMENT);
  }
  if (freeBytes(o.outDir) < MIN_FREE_BYTES) throw diskFull(o.outDir);
  const existing = listCaptureFiles(o.outDir, o.stem);
  const metadataPath = join(o.outDir, `${o.stem}.pcap${METADATA_SUFFIX}`);
  if (existsSync(metadataPath)) existing.push(metadataPath);
  if (existing.length > 0) {
    if (!o.force) {
      throw new UsageError(`refusing to overwrite ${escapeTerminal(existing[0])} (use --force, or another -w / --out-dir)`);
    }
    for (const f of existing) unlinkSync(f);
  }
}

export async function startRecording(o: RecordOptions, deps: RecordDeps): Promise<Recording> {
  const { log } = deps;
  preflight(o);
  const owner = invokingUser();
  const isRootForUser = process.getuid?.() === 0 && owner.uid !== 0;
  // Under sudo, tcpdump writes as the invoking user. Where that user can create files, tcpdump
  // runs as them from the start with only the capture capabilities: with -Z it would open its
  // first file with root's CAP_DAC_OVERRIDE, following a symbolic link the user could plant at
  // that name in their own directory (and truncate and chown any file). Where they cannot, no
  // one but root can plant anything there, and -Z is used (root opens the first file).
  const userCanWrite = isRootForUser ? await canCreateFilesAs(o.outDir, owner) : null;
  const runAsOwner = userCanWrite === true;
  // tcpdump -Z keeps root's access for the first file only: with rotation every later file is
  // created as the invoking user, so a directory only root can write would fail at the first
  // rotation, hours in. Refuse now.
  if (isRootForUser && (o.rotateSizeMB !== null || o.rotateEveryS !== null)) {
    if (userCanWrite === false) {
      throw new RecordError(
        `user '${escapeTerminal(owner.name)}' cannot create files in ${escapeTerminal(o.outDir)}: with --rotate-every or --rotate-size, tcpdump writes every file after the first as that user (it drops root with -Z)`,
        `choose a directory ${escapeTerminal(owner.name)} can write with --out-dir, or record without rotation`,
        EXIT_ENVIRONMENT,
      );
    }
  }
  // With -Z, root opens the first file by name: no directory on the way may be the user's to swap.
  if (isRootForUser && !runAsOwner) {
    const swappable = await replaceableOnPath(o.outDir, owner);
    if (swappable) {
      throw new RecordError(
        `user '${escapeTerminal(owner.name)}' can replace ${escapeTerminal(swappable.path)} (they can write ${escapeTerminal(swappable.parent)}), and tcpdump would open its first file in ${escapeTerminal(o.outDir)} as root (it drops root with -Z only after)`,
        `choose an --out-dir ${escapeTerminal(owner.name)} can write (tcpdump then runs as them), or one whose every parent only root can change`,
        EXIT_ENVIRONMENT,
      );
    }
  }
  // Files tcpdump creates inherit this: readable by their owner only.
  process.umask(0o077);

  const isUserFilter = o.filter !== null;
  const resolved = await resolveHosts(o.hosts, o.overrides, deps.resolver);
  const initial = [...new Set([...resolved.values()].flat())].sort();
  if (!isUserFilter && initial.length === 0) {
    throw new RecordError(`cannot resolve ${o.hosts.map(escapeTerminal).join(', ')}: no addresses`, 'check DNS, or give the address with --resolve host:addr', EXIT_ENVIRONMENT);
  }
  const started = deps.now();
  const metadataPath = join(o.outDir, `${o.stem}.pcap${METADATA_SUFFIX}`);
  const meta: RecordingMetadata = {
    schemaVersion: 1,
    generator: o.generator,
    tcpdumpVersion: await tcpdumpVersion(o.tcpdumpPath),
    commandLine: o.commandLine,
    interface: o.interface,
    port: o.port,
    snaplen: o.snaplen,
    isUserFilter,
    hosts: o.hosts,
    addressSets: [...resolved].map(([host, addresses]) => ({ at: started, host, addresses })),
    coveredAddresses: isUserFilter ? [] : initial.map((address) => ({ address, from: started })),
    segments: [],
    start: started,
    end: null,
    files: [],
    counts: { captured: null, receivedByFilter: null, droppedByKernel: null, droppedByInterface: null },
    stopReason: null,
    socketSnapshots: [],
  };
  const segments: Segment[] = [];
  const covered = new Set(initial);
  const lastSets = new Map([...resolved].map(([h, a]) => [h, a.join(',')]));

  const tcpdumpOptions = (index: number, filter: string): TcpdumpOptions => ({
    tcpdumpPath: o.tcpdumpPath,
    interface: o.interface,
    file: segmentPattern(o.outDir, o.stem, index, o.rotateEveryS !== null),
    filter,
    snaplen: o.snaplen,
    bufferKiB: o.bufferKiB,
    user: process.getuid?.() === 0 && !runAsOwner ? owner.name : null,
    runAs: runAsOwner ? { uid: owner.uid, gid: owner.gid } : null,
    packetCount: index === 1 ? o.packets : null,
    rotateSizeMB: o.rotateSizeMB,
    rotateEveryS: o.rotateEveryS,
    // tcpdump keeps a ring itself with -C -W; with -G, -W would make it exit, so wscap prunes.
    ringFiles: o.keep !== null && o.rotateEveryS === null ? o.keep : null,
  });

  let resolveDone!: (r: RecordingResult) => void;
  const done = new Promise<RecordingResult>((resolve) => (resolveDone = resolve));
  let stopping: Promise<RecordingResult> | null = null;
  let failure: RecordError | null = null;
  const timers: NodeJS.Timeout[] = [];
  const watchers: FSWatcher[] = [];

  const startSegment = async (addresses: string[], filter: string): Promise<void> => {
    const index = segments.length + 1;
    const options = tcpdumpOptions(index, filter);
    const tcpdump = await startTcpdump(options);
    const segMeta: RecordingSegment = {
      index,
      filter,
      addresses,
      filePattern: options.file,
      startedAt: deps.now(),
      stoppedAt: null,
      counts: null,
      exitCode: null,
      signal: null,
    };
    segments.push({ meta: segMeta, tcpdump });
    meta.segments.push(segMeta);
    log.info({ segment: index, args: tcpdump.args, pid: tcpdump.pid }, 'tcpdump listening');
    void tcpdump.exited.then((exit) => {
      if (tcpdump.isStopping) return;
      // tcpdump ended by itself: -c reached (clean), or it died (disk full, killed).
      if (index === 1 && o.packets !== null && exit.exitCode === 0) {
        void stop('packets');
        return;
      }
      failure = tcpdumpDied(exit);
      void stop('tcpdump-exited');
    });
  };

  const filterFor = (addresses: string[], withDns: boolean): string =>
    isUserFilter ? (o.filter as string) : buildFilter({ addresses, port: o.port, withDns });

  const snapshot = async (): Promise<void> => {
    const snap = await deps.snapshotSockets().catch(() => null);
    if (snap === null) return;
    const sockets = snap.sockets.filter((s) => s.peer.port === o.port && (isUserFilter || covered.has(s.peer.ip)));
    const key = (x: typeof sockets): string => x.map((s) => `${s.local.ip}:${s.local.port}>${s.peer.ip}:${s.peer.port}/${s.processes.map((p) => p.pid).join('+')}`).sort().join(' ');
    const previous = meta.socketSnapshots.at(-1);
    // Keep a snapshot when the set of sockets changed (a day-long recording stays small).
    if (previous === undefined || key(previous.sockets) !== key(sockets) || stopping !== null) meta.socketSnapshots.push({ at: snap.at, sockets });
  };

  const reresolve = async (): Promise<void> => {
    const now = deps.now();
    const fresh = await resolveHosts(o.hosts, o.overrides, deps.resolver);
    const added: string[] = [];
    for (const [host, addresses] of fresh) {
      if (addresses.length === 0) continue; // a failed lookup is not an address change
      if (lastSets.get(host) !== addresses.join(',')) {
        lastSets.set(host, addresses.join(','));
        meta.addressSets.push({ at: now, host, addresses });
      }
      for (const a of addresses) if (!covered.has(a)) added.push(a);
    }
    if (added.length === 0 || isUserFilter || stopping !== null) return;
    const unique = [...new Set(added)].sort();
    for (const a of unique) {
      covered.add(a);
      meta.coveredAddresses.push({ address: a, from: now });
    }
    log.info({ addresses: unique }, 'new target addresses: capturing them in a new segment');
    try {
      await startSegment(unique, filterFor(unique, false));
    } catch (err) {
      failure = err instanceof RecordError ? err : new RecordError(escapeTerminal(String(err)), null, EXIT_CAPTURE_FAILED);
      void stop('tcpdump-failed');
    }
    saveMetadata();
  };

  const currentFiles = (): string[] => listCaptureFiles(o.outDir, o.stem);

  /** Writes the metadata; a full disk or vanished directory becomes the recording's failure, not a crash. */
  const saveMetadata = (): void => {
    try {
      writeMetadata(metadataPath, meta);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      log.warn({ err: e.message }, 'cannot write metadata');
      failure ??=
        e.code === 'ENOSPC'
          ? new RecordError(`disk full: cannot write ${escapeTerminal(metadataPath)}`, 'free space or record to another --out-dir; files written so far are kept', EXIT_ENVIRONMENT)
          : new RecordError(`cannot write ${escapeTerminal(metadataPath)}: ${escapeTerminal(e.code ?? e.message)}`, null, EXIT_ENVIRONMENT);
    }
  };

  const stop = (reason: string): Promise<RecordingResult> => {
    if (stopping !== null) return stopping;
    stopping = (async (): Promise<RecordingResult> => {
      for (const t of timers) clearInterval(t);
      for (const w of watchers) w.close();
      // The last snapshot while the sockets still exist, then tcpdump.
      await snapshot();
      const exits = await Promise.all(segments.map((s) => stopTcpdump(s.tcpdump)));
      exits.forEach((exit, i) => {
        const m = segments[i].meta;
        m.stoppedAt = deps.now();
        m.counts = exit.counts;
        m.exitCode = exit.exitCode;
        m.signal = exit.signal;
      });
      let files = currentFiles();
      if (o.keep !== null && o.rotateEveryS !== null) files = pruneRing(files, o.keep);
      const skipped = new Set(secureFiles(files, owner));
      if (skipped.size > 0) {
        // A link, a FIFO or someone else's file under a capture's name: not part of the recording.
        log.warn({ files: [...skipped] }, 'left out of the recording: not a regular file that tcpdump wrote');
        files = files.filter((f) => !skipped.has(f));
      }
      meta.end = deps.now();
      meta.files = baseNames(files);
      meta.counts = sumCounts(exits.map((e) => e.counts));
      meta.stopReason = reason;
      saveMetadata();
      secureFiles([metadataPath], owner);
      const result: RecordingResult = {
        exitCode: failure ? failure.exitCode : EXIT_OK,
        stopReason: reason,
        failure,
        files,
        metadataPath,
        counts: meta.counts,
        metadata: meta,
        ranAsOwner: runAsOwner,
        owner,
      };
      resolveDone(result);
      return result;
    })();
    return stopping;
  };

  /**
   * With --rotate-every, tcpdump cannot keep a ring (-G with -W exits instead), so wscap prunes
   * each segment to keep − 1 files: when tcpdump opens the next file there are at most --keep.
   */
  const pruneRing = (files: string[], keep = Math.max(1, (o.keep as number) - 1)): string[] => {
    const kept: string[] = [];
    for (const seg of segments) {
      const prefix = seg.meta.filePattern.replace(/-%Y.*$/, '');
      const mine = files.filter((f) => f.startsWith(prefix) && (seg.meta.index !== 1 || !f.includes('.seg')));
      const removed = new Set(pruneToKeep(mine, keep));
      kept.push(...mine.filter((f) => !removed.has(f)));
    }
    return files.filter((f) => kept.includes(f));
  };

  try {
    await startSegment(initial, filterFor(initial, true));
  } catch (err) {
    if (err instanceof RecordError) throw err;
    throw new RecordError(`cannot start tcpdump: ${escapeTerminal(String(err))}`, null, EXIT_CAPTURE_FAILED);
  }
  saveMetadata();
  await snapshot();

  if (o.durationS !== null) timers.push(setTimeout(() => void stop('duration'), o.durationS * 1000));
  // tcpdump does not stop (or say so) when its disk fills: it silently loses packets. Watch for it.
  timers.push(
    setInterval(() => {
      if (stopping === null && freeBytes(o.outDir) < MIN_FREE_BYTES) {
        failure ??= diskFull(o.outDir);
        void stop('disk-full');
      }
    }, 500),
  );
  if (!isUserFilter && o.reresolveS > 0) timers.push(setInterval(() => void reresolve(), o.reresolveS * 1000));
  if (o.socketsEveryS > 0) timers.push(setInterval(() => void snapshot(), o.socketsEveryS * 1000));
  if (o.keep !== null && o.rotateEveryS !== null) {
    // React to tcpdump opening a new file at once; the interval is a backstop (and the only
    // mechanism where the file system cannot be watched).
    try {
      const watcher = watch(o.outDir, () => pruneRing(currentFiles()));
      watcher.on('error', () => watcher.close()); // e.g. the directory was removed: the interval carries on
      watchers.push(watcher);
    } catch (err) {
      log.debug({ err: (err as Error).message }, 'cannot watch the output directory');
    }
    timers.push(setInterval(() => pruneRing(currentFiles()), 200));
  }

  return {
    metadataPath,
    files: currentFiles,
    drops: () => {
      let total: number | null = null;
      for (const s of segments) {
        requestCounts(s.tcpdump);
        const d = parseCounts(s.tcpdump.stderr()).droppedByKernel;
        if (d !== null) total = (total ?? 0) + d;
      }
      return total;
    },
    addresses: () => covered,
    stop,
    done,
  };
}
