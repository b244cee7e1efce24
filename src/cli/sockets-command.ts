/**
 * \summary: `wscap sockets`: the guide's `ss` checks in one command: the connections to the host
 * now, by state and process, with a health verdict and the symbols estimate; `--watch` repeats it.
 *
 * Host names are resolved here (both families) unless `--resolve host:addr` gives the address,
 * because `ss -n` prints numbers: `ss | grep fstream.binance.com` never matches. In watch mode the
 * names are resolved again for every frame and the addresses accumulate, since the name's answers
 * rotate while the agent's connections stay on the address it got when it connected.
 */
import { jsonSafe } from '../render/escape.js';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { DEFAULT_HOSTS, type SocketsCommandOptions } from './sockets-options.js';
import type { Log } from '../log.js';
import { SsError, normalizeIp, snapshotSockets } from '../record/ss.js';
import { isHostName } from '../record/hosts.js';
import { parseDuration } from './durations.js';
import { buildSocketsReport, type SocketsReport } from '../record/sockets-report.js';
import { renderSocketsText } from '../render/sockets-text.js';
import { escapeTerminal } from '../render/escape.js';
import { UsageError } from '../errors/usage-error.js';
import { EXIT_ENVIRONMENT, EXIT_OK } from './exit-codes.js';

/** Options as commander hands them over (strings, as typed). */

/** What runSockets touches outside itself; tests replace parts of it. */
export interface SocketsRuntime {
  /** Where frames go (default process.stdout). */
  write: (text: string) => void;
  /** Whether the output is a terminal (clear the screen between frames, default colour). */
  isTTY: boolean;
  /** Error and warning lines (default process.stderr). */
  writeErr: (text: string) => void;
  /** Name → addresses (default dns.lookup with all: true, both families). */
  lookup: (host: string) => Promise<string[]>;
  ssPath: string;
  /** Ends --watch like SIGINT does. */
  signal?: AbortSignal;
}

const PER_SYMBOL = 7;
const CLEAR_SCREEN = '\u001b[H\u001b[2J';

async function systemLookup(host: string): Promise<string[]> {
  const answers = await dnsLookup(host, { all: true, family: 0 });
  return answers.map((a) => a.address);
}

function defaultRuntime(): SocketsRuntime {
  return {
    write: (text) => process.stdout.write(text),
    isTTY: process.stdout.isTTY === true,
    writeErr: (text) => process.stderr.write(text),
    lookup: systemLookup,
    ssPath: 'ss',
  };
}

/** A host name (see isHostName in record/hosts.ts), an IP literal, or a bracketed IPv6 literal. */
export function isValidHost(text: string): boolean {
  if (isIP(text) !== 0) return true;
  if (text.startsWith('[') && text.endsWith(']') && isIP(text.slice(1, -1)) === 6) return true;
  return isHostName(text);
}

function checkHost(text: string, option: string): string {
  if (!isValidHost(text)) {
    throw new UsageError(`${option} must be a host name or an IP address, got '${escapeTerminal(text)}'`);
  }
  return text.toLowerCase();
}

/** "443" → 443; anything but an integer 1-65535 is a usage error. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d{1,5}$/.test(value) || port < 1 || port > 65535) throw new UsageError(`--port must be 1-65535, got '${escapeTerminal(value)}'`);
  return port;
}

/** "1234" → 1234; a positive integer (a pid) or a usage error. */
export function parsePid(value: string): number {
  const pid = Number(value);
  if (!/^\d{1,10}$/.test(value) || pid < 1 || pid > 2 ** 31 - 1) throw new UsageError(`--pid must be a process id, got '${escapeTerminal(value)}'`);
  return pid;
}

const MIN_WATCH_MS = 100;
const MAX_WATCH_MS = 3_600_000;

/** "2s" → 2000, "500ms" → 500, "1m" → 60000, "2" → 2000 (seconds, like watch -n); 100 ms to 1 h. */
export function parseWatchInterval(value: string): number {
  let ms = NaN;
  try {
    ms = Math.round(parseDuration(value, '--watch') * 1000);
  } catch {
    // Reported below with the allowed range.
  }
  if (!(ms >= MIN_WATCH_MS && ms <= MAX_WATCH_MS)) {
    throw new UsageError(`--watch must be an interval from 100ms to 1h such as 2s, 500ms or 1m, got '${escapeTerminal(value)}'`);
  }
  return ms;
}

/** --resolve "host:addr" values → addresses per (lower-cased) host. The address may be bracketed IPv6. */
export function parseResolve(values: string[], hosts: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const value of values) {
    const colon = value.indexOf(':');
    const host = colon > 0 ? value.slice(0, colon) : '';
    const addr = colon > 0 ? normalizeIp(value.slice(colon + 1)) : '';
    if (host === '' || isIP(addr) === 0) {
      throw new UsageError(`--resolve must be HOST:ADDRESS (e.g. fstream.binance.com:13.112.1.2), got '${escapeTerminal(value)}'`);
    }
    const name = checkHost(host, '--resolve host').toLowerCase();
    if (!hosts.includes(name)) {
      throw new UsageError(`--resolve names '${escapeTerminal(host)}', which is not a --host (${hosts.map(escapeTerminal).join(', ')})`);
    }
    const list = out.get(name) ?? [];
    if (!list.includes(addr)) list.push(addr);
    out.set(name, list);
  }
  return out;
}

/** The command's checked options. */
interface SocketsPlan {
  hosts: string[];
  port: number;
  pid: number | undefined;
  resolved: Map<string, string[]>;
  watchMs: number | null;
  json: boolean;
}

function plan(options: SocketsCommandOptions): SocketsPlan {
  const hostsGiven = options.host && options.host.length > 0 ? options.host : [...DEFAULT_HOSTS];
  const hosts = [...new Set(hostsGiven.map((h) => checkHost(h, '--host')))];
  return {
    hosts,
    port: parsePort(options.port ?? '443'),
    pid: options.pid === undefined ? undefined : parsePid(options.pid),
    resolved: parseResolve(options.resolve ?? [], hosts),
    watchMs: options.watch === undefined ? null : parseWatchInterval(options.watch),
    json: options.json === true,
  };
}

/**
 * The addresses of every host: --resolve's, the literal's, or DNS's. A name DNS cannot resolve is
 * an error on the first frame (`known` empty) and a warning later (its earlier addresses stay).
 */
async function resolveHosts(p: SocketsPlan, runtime: SocketsRuntime, known: Set<string>, log: Log): Promise<void> {
  for (const host of p.hosts) {
    const given = p.resolved.get(host);
    if (given) {
      for (const a of given) known.add(a);
      continue;
    }
    const literal = host.startsWith('[') ? host.slice(1, -1) : host;
    if (isIP(literal) !== 0) {
      known.add(normalizeIp(literal));
      continue;
    }
    try {
      const addresses = await runtime.lookup(host);
      log.debug({ host, addresses }, 'resolved');
      for (const a of addresses) known.add(normalizeIp(a));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      const message = `cannot resolve '${escapeTerminal(host)}' (${escapeTerminal(code)}): check DNS, or give its address with --resolve ${escapeTerminal(host)}:ADDRESS`;
      if (known.size === 0) throw new UsageError(message);
      runtime.writeErr(`wscap: warning: ${message}; keeping the addresses resolved before\n`);
    }
  }
}

async function frame(p: SocketsPlan, runtime: SocketsRuntime, known: Set<string>, log: Log, signal: AbortSignal): Promise<SocketsReport> {
  await resolveHosts(p, runtime, known, log);
  const snapshot = await snapshotSockets({ ssPath: runtime.ssPath, signal });
  const report = buildSocketsReport(snapshot, {
    host: p.hosts,
    addresses: [...known],
    port: p.port,
    perSymbol: PER_SYMBOL,
    ...(p.pid === undefined ? {} : { pid: p.pid }),
  });
  log.debug({ sockets: snapshot.sockets.length, matched: report.total, health: report.health }, 'snapshot');
  return report;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `wscap sockets`. Returns 0 (written; with --watch, stopped by SIGINT/SIGTERM) or 2 when ss
 * is missing or fails; throws UsageError for bad options (main maps it to 2).
 */
export async function runSockets(options: SocketsCommandOptions, log: Log, runtime: Partial<SocketsRuntime> = {}): Promise<number> {
  const rt: SocketsRuntime = { ...defaultRuntime(), ...runtime };
  const p = plan(options);
  const color = !p.json && (options.color ?? (rt.isTTY && !process.env.NO_COLOR));
  const render = (report: SocketsReport): string => (p.json ? `${jsonSafe(JSON.stringify(report, null, 2))}\n` : renderSocketsText(report, { color }));
  const known = new Set<string>();
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  const onExternal = (): void => stop.abort();
  if (rt.signal) {
    if (rt.signal.aborted) stop.abort();
    else rt.signal.addEventListener('abort', onExternal, { once: true });
  }
  if (p.watchMs !== null) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    let frames = 0;
    do {
      let report: SocketsReport;
      try {
        report = await frame(p, rt, known, log, stop.signal);
      } catch (err) {
        if (stop.signal.aborted) break; // SIGINT while ss ran.
        if (!(err instanceof SsError)) throw err;
        if (frames > 0 && !err.missing) {
          rt.writeErr(`wscap: warning: ${escapeTerminal(err.message)}\n`);
          await sleep(p.watchMs ?? 0, stop.signal);
          continue;
        }
        rt.writeErr(`wscap: error: ${escapeTerminal(err.message)}\n`);
        // ss missing or failing is the machine's problem, as for tcpdump in `record`.
        return EXIT_ENVIRONMENT;
      }
      const text = render(report);
      if (p.watchMs !== null && rt.isTTY) rt.write(CLEAR_SCREEN + text);
      else rt.write(frames > 0 ? `\n${text}` : text);
      frames += 1;
      if (p.watchMs === null) break;
      await sleep(p.watchMs, stop.signal);
    } while (!stop.signal.aborted);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    rt.signal?.removeEventListener('abort', onExternal);
  }
  return EXIT_OK;
}

export { DEFAULT_HOSTS, describeSocketsOptions, type SocketsCommandOptions } from './sockets-options.js';
