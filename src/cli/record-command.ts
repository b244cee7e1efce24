/** \summary: `wscap record`: options → a recording; signals, live view, closing summary, --analyze. */
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import type { Log } from '../log.js';
import { UsageError } from '../errors/usage-error.js';
import { escapeTerminal } from '../render/escape.js';
import { parseResolve, systemResolver, validateHost } from '../record/hosts.js';
import { startRecording, type Recording, type RecordOptions, type RecordingResult } from '../record/recorder.js';
import { timestampStem, secureFiles, invokingUser, writeNewPrivateFile } from '../record/capture-files.js';
import type { SocketSnapshot } from '../record/metadata.js';
import { snapshotSockets } from '../record/ss.js';
import { analyzeCaptures } from '../analyze/analyze-captures.js';
import { renderText } from '../render/text.js';
import { renderJson } from '../render/json.js';
import { startLiveView, type LiveStatus } from '../record/live-view.js';
import { renderLiveFrame, renderLiveLine } from '../render/live-text.js';
import { VERSION } from './version.js';
import { parseDuration } from './durations.js';

export { parseDuration };
import { EXIT_OK } from './exit-codes.js';
import type { RecordCommandOptions } from './record-options.js';

export { describeRecordOptions, type RecordCommandOptions } from './record-options.js';

function parseCount(value: string | undefined, option: string, min: number, max = Number.MAX_SAFE_INTEGER): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`${option} must be a whole number from ${min} to ${max}, got '${escapeTerminal(value)}'`);
  return n;
}

export function toRecordOptions(o: RecordCommandOptions, argv: string[], now: Date): RecordOptions {
  const hosts = (o.host.length > 0 ? o.host : ['fstream.binance.com']).map(validateHost);
  const overrides = new Map<string, string[]>();
  for (const spec of o.resolve) {
    const { host, address } = parseResolve(spec);
    overrides.set(host, [...(overrides.get(host) ?? []), address]);
  }
  let outDir = o.outDir;
  let stem = timestampStem(now);
  if (o.write !== undefined) {
    if (!o.write.endsWith('.pcap') || basename(o.write) === '.pcap') throw new UsageError(`-w '${escapeTerminal(o.write)}' must name a .pcap file`);
    outDir = dirname(o.write);
    stem = basename(o.write).slice(0, -'.pcap'.length);
  }
  const durationS = o.duration === undefined ? null : parseDuration(o.duration, '--duration');
  if (durationS !== null && durationS <= 0) throw new UsageError('--duration must be positive');
  const rotateEveryS = o.rotateEvery === undefined ? null : Math.max(1, Math.round(parseDuration(o.rotateEvery, '--rotate-every')));
  return {
    hosts,
    port: parseCount(o.port, '--port', 1, 65535) as number,
    interface: o.interface,
    outDir: resolvePath(outDir),
    stem,
    durationS,
    packets: parseCount(o.packets, '--packets', 1),
    rotateSizeMB: parseCount(o.rotateSize, '--rotate-size', 1, 1_000_000),
    rotateEveryS,
    keep: parseCount(o.keep, '--keep', 1, 100_000),
    snaplen: parseCount(o.snaplen, '--snaplen', 0, 262144) as number,
    bufferKiB: parseCount(o.bufferSize, '--buffer-size', 1024, 4_194_304) as number,
    filter: o.filter ?? null,
    overrides,
    reresolveS: parseDuration(o.reresolveEvery, '--reresolve-every'),
    socketsEveryS: parseDuration(o.socketsEvery, '--sockets-every'),
    force: o.force === true,
    tcpdumpPath: o.tcpdump,
    commandLine: argv.slice(2),
    generator: `wscap ${VERSION}`,
  };
}

async function socketSnapshot(): Promise<SocketSnapshot | null> {
  try {
    const snap = await snapshotSockets({ timeoutMs: 3000 });
    return {
      at: snap.at,
      sockets: snap.sockets.map((s) => ({ state: s.state, local: s.local, peer: s.peer, processes: s.processes })),
    };
  } catch {
    return null;
  }
}

function countsLine(r: RecordingResult): string {
  const c = r.counts;
  if (c.captured === null && c.receivedByFilter === null && c.droppedByKernel === null) return "tcpdump's counts unknown (it ended without printing them)";
  const n = (v: number | null): string => (v === null ? '?' : String(v));
  return `${n(c.captured)} packets captured, ${n(c.receivedByFilter)} received by filter, ${n(c.droppedByKernel)} dropped by kernel`;
}

/**
 * Under sudo, once the recording has stopped: become the invoking user for good (groups, gid,
 * uid), so that reading the capture files and writing the reports in their directory can reach
 * nothing they could not (a link they put under a file's name points where they can read only).
 */
export function becomeOwner(owner: { name: string; uid: number; gid: number }): boolean {
  try {
    // Node has initgroups(3) (POSIX); @types/node does not declare it.
    (process as NodeJS.Process & { initgroups?: (user: string, extraGroup: number) => void }).initgroups?.(owner.name, owner.gid);
    process.setgid?.(owner.gid);
    process.setuid?.(owner.uid);
    return process.getuid?.() === owner.uid && process.geteuid?.() === owner.uid;
  } catch {
    return false;
  }
}

/** Signals that stop a recording cleanly: Ctrl-C, kill, and the terminal closing. */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function ignoreOutputErrors(): void {
  for (const stream of [process.stdout, process.stderr]) if (stream.listenerCount('error') === 0) stream.on('error', () => undefined);
}

export async function runRecord(o: RecordCommandOptions, log: Log, argv: string[]): Promise<number> {
  const options = toRecordOptions(o, argv, new Date());
  const statusEveryS = parseDuration(o.statusEvery, '--status-every');
  const out = process.stderr;

  // Signals are taken from the start to the end: a Ctrl-C while tcpdump is still starting stops
  // the recording as soon as it listens (files and metadata written, not a capture without
  // metadata), and a second, impatient Ctrl-C (or one during --analyze) never kills wscap halfway.
  let recording: Recording | null = null;
  let pending: NodeJS.Signals | null = null;
  let phase: 'starting' | 'recording' | 'report' = 'starting';
  let signals = 0;
  let toldReport = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    // SIGHUP: the terminal closed. Writes to it now fail (EIO); the recording must still stop
    // cleanly and write its metadata, so lost output is ignored rather than fatal.
    if (signal === 'SIGHUP') ignoreOutputErrors();
    if (phase === 'report') {
      if (!toldReport) out.write('wscap: the recording is complete; still writing the report\n');
      toldReport = true;
      return;
    }
    if (signals > 1) out.write('wscap: still stopping: waiting for tcpdump to flush its file\n');
    else if (recording === null) out.write('wscap: stopping as soon as tcpdump has started\n');
    if (recording === null) pending ??= signal;
    else void recording.stop(`signal:${signal}`);
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  let code: number | null = null;
  try {
    code = await record(options, o, log, statusEveryS, (r) => {
      recording = r;
      phase = 'recording';
      if (pending !== null) void r.stop(`signal:${pending}`);
    }, () => {
      phase = 'report';
    });
    return code;
  } finally {
    if (code !== null) {
      // Everything is written. A signal from here on must not kill wscap by signal (which reads as
      // a crash): until the process ends it exits with the recording's code. And the process ends
      // by process.exit, not by its event loop running dry: on that path Node closes its signal
      // handlers first and tears down for milliseconds with the default action back in place, and
      // a second Ctrl-C there killed it (exit by SIGINT) after a clean stop.
      const exitCode = code;
      const late = (): void => process.exit(exitCode);
      // Added before onSignal goes, so that no moment is left without a handler.
      for (const s of STOP_SIGNALS) process.once(s, late);
      setImmediate(late);
    }
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
  }
}

async function record(
  options: RecordOptions,
  o: RecordCommandOptions,
  log: Log,
  statusEveryS: number,
  onStarted: (r: Recording) => void,
  onStopped: () => void,
): Promise<number> {
  const recording = await startRecording(options, {
    log,
    resolver: systemResolver,
    snapshotSockets: socketSnapshot,
    now: () => Date.now() / 1000,
  });
  const out = process.stderr;
  out.write(`wscap: recording ${options.hosts.map(escapeTerminal).join(', ')} port ${options.port} on ${escapeTerminal(options.interface)} into ${escapeTerminal(recording.files()[0] ?? join(options.outDir, `${options.stem}.pcap`))} (Ctrl-C to stop)\n`);
  onStarted(recording);

  const isTTY = out.isTTY === true;
  const color = isTTY && !process.env.NO_COLOR;
  const live = o.live
    ? startLiveView({
        getFiles: () => recording.files(),
        serverPort: options.port,
        isTarget: (ip) => options.filter !== null || recording.addresses().has(ip),
        getDrops: () => recording.drops(),
        intervalMs: (isTTY ? 2 : statusEveryS) * 1000,
        onStatus: (status: LiveStatus) => {
          if (isTTY) out.write(`\u001b[H\u001b[2J${renderLiveFrame(status, { color, host: options.hosts.join(', ') })}`);
          else out.write(`${renderLiveLine(status, options.hosts.join(', '))}\n`);
        },
      })
    : null;

  const result = await recording.done;
  if (live) await live.stop().catch(() => undefined);
  onStopped();

  const lines = [
    `wscap: stopped (${result.stopReason}): ${countsLine(result)}`,
    ...result.files.map((f) => `  ${escapeTerminal(f)}`),
    `  ${escapeTerminal(result.metadataPath)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const dropped = (result.counts.droppedByKernel ?? 0) + (result.counts.droppedByInterface ?? 0);
  if (dropped > 0) out.write(`wscap: warning: ${dropped} packet(s) dropped: the capture is incomplete (try a smaller --snaplen or a narrower --filter)\n`);
  if (result.failure) out.write(`wscap: error: ${result.failure.message}${result.failure.fix ? `; ${result.failure.fix}` : ''}\n`);

  if (o.analyze && result.files.length > 0) {
    if (result.ranAsOwner && !becomeOwner(result.owner)) {
      out.write(`wscap: warning: --analyze skipped: cannot switch to user '${escapeTerminal(result.owner.name)}' to read the files; run wscap analyze on them\n`);
      return result.failure ? result.exitCode : EXIT_OK;
    }
    const report = await analyzeCaptures(result.files, { serverPort: options.port, generator: `wscap ${VERSION}` });
    const base = join(options.outDir, `${options.stem}.pcap.report`);
    // As root in the user's directory: new files, never written through a link planted there.
    writeNewPrivateFile(`${base}.txt`, renderText(report, { color: false }));
    writeNewPrivateFile(`${base}.json`, renderJson(report));
    secureFiles([`${base}.txt`, `${base}.json`], invokingUser());
    process.stdout.write(`  ${escapeTerminal(base)}.txt\n  ${escapeTerminal(base)}.json\n`);
  }
  return result.failure ? result.exitCode : EXIT_OK;
}
