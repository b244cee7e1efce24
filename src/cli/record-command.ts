/** \summary: `wscap record`: options → a recording; signals, live view, closing summary, --analyze. */
import { writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import type { Log } from '../log.js';
import { UsageError } from '../errors/usage-error.js';
import { escapeTerminal } from '../render/escape.js';
import { parseResolve, systemResolver, validateHost } from '../record/hosts.js';
import { startRecording, type RecordOptions, type RecordingResult } from '../record/recorder.js';
import { timestampStem, secureFiles, invokingUser } from '../record/capture-files.js';
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

export interface RecordCommandOptions {
  host: string[];
  port: string;
  interface: string;
  write?: string;
  outDir: string;
  duration?: string;
  packets?: string;
  rotateSize?: string;
  rotateEvery?: string;
  keep?: string;
  snaplen: string;
  bufferSize: string;
  filter?: string;
  resolve: string[];
  reresolveEvery: string;
  socketsEvery: string;
  analyze?: boolean;
  force?: boolean;
  live: boolean;
  statusEvery: string;
  tcpdump: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function describeRecordOptions(cmd: Command): Command {
  return cmd
    .description('capture the connections to the target host with tcpdump, until Ctrl-C (or --duration / --packets)')
    .option('--host <host>', 'target host name or address (repeatable)', collect, [])
    .option('--port <port>', 'target TCP port', '443')
    .option('-i, --interface <name>', 'interface to capture on', 'any')
    .option('-w, --write <file>', 'capture file (must end in .pcap); default: wscap-<UTC time>.pcap in --out-dir')
    .option('--out-dir <dir>', 'directory for the capture files', '.')
    .option('--duration <time>', 'stop after this long (e.g. 90s, 10m, 2h)')
    .option('--packets <n>', 'stop after n packets (tcpdump -c)')
    .option('--rotate-size <MB>', 'start a new file every MB million bytes (tcpdump -C)')
    .option('--rotate-every <time>', 'start a new file every period (tcpdump -G)')
    .option('--keep <n>', 'ring buffer: keep at most n files (with --rotate-size or --rotate-every)')
    .option('--snaplen <bytes>', 'bytes kept per packet; 0 = whole packets', '0')
    .option('--buffer-size <KiB>', 'kernel capture buffer (tcpdump -B); raise it if packets are dropped', '65536')
    .option('--filter <bpf>', 'a BPF expression instead of the built filter (wscap then cannot follow address changes)')
    .option('--resolve <host:addr>', 'use addr for host instead of DNS (repeatable, as curl --resolve)', collect, [])
    .option('--reresolve-every <time>', 're-resolve the hosts this often; new addresses are captured too (0 = never)', '60s')
    .option('--sockets-every <time>', 'snapshot `ss -tnpi` this often to name each connection\'s process (0 = only at start and stop)', '2s')
    .option('--analyze', 'when the recording stops, write the report next to the capture (.report.txt and .report.json)')
    .option('--force', 'overwrite existing files of the same name')
    .option('--no-live', 'no live view')
    .option('--status-every <time>', 'live status line interval when stderr is not a terminal', '10s')
    .option('--tcpdump <path>', 'tcpdump binary', process.env.WSCAP_TCPDUMP ?? 'tcpdump');
}

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
  const n = (v: number | null): string => (v === null ? '?' : String(v));
  return `${n(c.captured)} packets captured, ${n(c.receivedByFilter)} received by filter, ${n(c.droppedByKernel)} dropped by kernel`;
}

export async function runRecord(o: RecordCommandOptions, log: Log, argv: string[]): Promise<number> {
  const options = toRecordOptions(o, argv, new Date());
  const statusEveryS = parseDuration(o.statusEvery, '--status-every');
  const recording = await startRecording(options, {
    log,
    resolver: systemResolver,
    snapshotSockets: socketSnapshot,
    now: () => Date.now() / 1000,
  });
  const out = process.stderr;
  out.write(`wscap: recording ${options.hosts.map(escapeTerminal).join(', ')} port ${options.port} on ${escapeTerminal(options.interface)} into ${escapeTerminal(recording.files()[0] ?? join(options.outDir, `${options.stem}.pcap`))} (Ctrl-C to stop)\n`);

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) out.write('wscap: still stopping: waiting for tcpdump to flush its file\n');
    void recording.stop(`signal:${signal}`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

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
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

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
    const report = await analyzeCaptures(result.files, { serverPort: options.port, generator: `wscap ${VERSION}` });
    const base = join(options.outDir, `${options.stem}.pcap.report`);
    writeFileSync(`${base}.txt`, renderText(report, { color: false }), { mode: 0o600 });
    writeFileSync(`${base}.json`, renderJson(report), { mode: 0o600 });
    secureFiles([`${base}.txt`, `${base}.json`], invokingUser());
    process.stdout.write(`  ${escapeTerminal(base)}.txt\n  ${escapeTerminal(base)}.json\n`);
  }
  return result.failure ? result.exitCode : EXIT_OK;
}

