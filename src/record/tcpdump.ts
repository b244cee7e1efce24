/**
 * \summary: the tcpdump driver: start (argv only, never a shell), wait until it listens, stop so it
 * flushes, read its counts, and turn its error messages into errors that say how to fix them.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ResultPromise } from 'execa';

/** execa, loaded on first use: `wscap analyze` never starts a subprocess. */
const loadExeca = async (): Promise<typeof import('execa').execa> => (await import('execa')).execa;
import { RecordError } from '../errors/record-error.js';
import { EXIT_CAPTURE_FAILED, EXIT_ENVIRONMENT, EXIT_USAGE } from '../cli/exit-codes.js';
import { escapeTerminal } from '../render/escape.js';

export interface TcpdumpOptions {
  tcpdumpPath: string;
  interface: string;
  /** File name for -w; with rotate-every it may hold strftime(3) conversions. */
  file: string;
  filter: string;
  /** 0 = whole packets. */
  snaplen: number;
  /**
   * Kernel capture buffer (-B, KiB). --immediate-mode (needed so a stop loses nothing and the live
   * view sees packets at once) takes one ring slot per packet, so bursts need a large buffer: on
   * loopback 14 simultaneous TLS handshakes overflowed 8 MiB.
   */
  bufferKiB: number;
  /**
   * As root, tcpdump drops privileges to this user after opening the device (-Z); null when not
   * root, or when `runAs` starts it as the user already.
   */
  user: string | null;
  /**
   * Start tcpdump as this user from the first instruction, holding only the capture capabilities
   * (setpriv --reuid/--regid/--init-groups, ambient CAP_NET_RAW + CAP_NET_ADMIN), instead of as
   * root with -Z: tcpdump -Z opens its first file with root's CAP_DAC_OVERRIDE and follows a
   * symbolic link planted at its name. Used when that user can write the output directory.
   */
  runAs?: { uid: number; gid: number } | null;
  packetCount: number | null;
  rotateSizeMB: number | null;
  rotateEveryS: number | null;
  /** -W with -C: tcpdump itself keeps a ring of this many files. */
  ringFiles: number | null;
}

export interface TcpdumpCounts {
  captured: number | null;
  receivedByFilter: number | null;
  droppedByKernel: number | null;
  droppedByInterface: number | null;
}

export interface TcpdumpExit {
  exitCode: number | null;
  signal: string | null;
  counts: TcpdumpCounts;
  stderr: string;
}

export interface RunningTcpdump {
  args: string[];
  pid: number | null;
  stderr: () => string;
  /** Settles when tcpdump exits, however it exits. */
  exited: Promise<TcpdumpExit>;
  isStopping: boolean;
}

/** The argv for tcpdump. The filter comes after `--`, so nothing in it can be read as an option. */
export function tcpdumpArgs(o: TcpdumpOptions): string[] {
  const args = ['-i', o.interface, '-n', '-U', '--immediate-mode', '-B', String(o.bufferKiB), '-s', String(o.snaplen)];
  if (o.user !== null) args.push('-Z', o.user);
  if (o.packetCount !== null) args.push('-c', String(o.packetCount));
  if (o.rotateSizeMB !== null) args.push('-C', String(o.rotateSizeMB));
  if (o.rotateEveryS !== null) args.push('-G', String(o.rotateEveryS));
  if (o.ringFiles !== null) args.push('-W', String(o.ringFiles));
  args.push('-w', o.file, '--', o.filter);
  return args;
}

/**
 * Reads tcpdump's statistics ("N packets captured" ...): the latest ones, since tcpdump prints
 * them on SIGUSR1 while running as well as when it exits.
 */
export function parseCounts(stderr: string): TcpdumpCounts {
  const count = (re: RegExp): number | null => {
    let last: number | null = null;
    for (const m of stderr.matchAll(re)) last = Number(m[1]);
    return last;
  };
  return {
    // At exit one count per line; on SIGUSR1 all on one line after "tcpdump: ".
    captured: count(/(\d+) packets? captured/g),
    receivedByFilter: count(/(\d+) packets? received by filter/g),
    droppedByKernel: count(/(\d+) packets? dropped by kernel/g),
    droppedByInterface: count(/(\d+) packets? dropped by interface/g),
  };
}

const SETCAP = 'sudo setcap cap_net_raw,cap_net_admin=eip "$(command -v tcpdump)"';

/** Maps what tcpdump printed when it failed to a RecordError with the fix. */
export function classifyFailure(stderr: string, o: TcpdumpOptions): RecordError {
  const line = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('tcpdump:') && !l.startsWith('tcpdump: listening'))
    .pop() ?? stderr.trim().split('\n').pop() ?? '';
  // What tcpdump said may quote the file name or the filter: shown escaped, as every string is.
  const said = escapeTerminal(line.replace(/^tcpdump:\s*/, ''));
  const file = escapeTerminal(o.file);
  if (/permission to capture|Operation not permitted|not permitted|socket: Operation/i.test(stderr)) {
    return new RecordError(`not enough privilege to capture on '${o.interface}' (tcpdump: ${said})`, `run as root, or give tcpdump the capability once: ${SETCAP}`, EXIT_ENVIRONMENT);
  }
  if (/No such device|doesn't exist|no suitable device|SIOCGIFHWADDR/i.test(stderr)) {
    return new RecordError(`unknown interface '${o.interface}' (tcpdump: ${said})`, 'list interfaces with `ip link` or `tcpdump -D`; `any` captures on all', EXIT_USAGE);
  }
  if (/syntax error|can't parse filter|illegal|unknown host|expression rejects all packets/i.test(stderr)) {
    return new RecordError(`invalid capture filter (tcpdump: ${said})`, 'check the expression with `tcpdump -d EXPRESSION`; see pcap-filter(7)', EXIT_USAGE);
  }
  if (/No space left on device/i.test(stderr)) {
    return new RecordError(`disk full while writing ${file} (tcpdump: ${said})`, 'free space or record to another --out-dir; files written so far are kept', EXIT_ENVIRONMENT);
  }
  if (/Permission denied|Read-only file system/i.test(stderr)) {
    return new RecordError(`cannot write ${file} (tcpdump: ${said})`, `choose a directory that user '${escapeTerminal(o.user ?? 'you')}' can write, with --out-dir`, EXIT_ENVIRONMENT);
  }
  return new RecordError(`tcpdump failed: ${said || 'no message'}`, null, EXIT_CAPTURE_FAILED);
}

/** The capabilities tcpdump needs to capture (libpcap: a packet socket, and -B / promiscuous mode). */
const CAPTURE_CAPS = '+net_raw,+net_admin';

/**
 * The program and argv that start tcpdump. If wscap itself is killed (SIGKILL, OOM), the kernel
 * sends tcpdump SIGINT so it flushes and exits instead of capturing forever: setpriv --pdeathsig
 * (set after any change of user, so it holds), then exec tcpdump (same pid). With `runAs`,
 * setpriv also becomes that user with only the capture capabilities (ambient, so they survive
 * the exec) before tcpdump runs.
 */
export function tcpdumpCommand(o: TcpdumpOptions, tcpdump: string, setpriv: string | null): [string, string[]] {
  const args = tcpdumpArgs(o);
  if (setpriv === null) return [tcpdump, args];
  const asUser = o.runAs
    ? [`--reuid=${o.runAs.uid}`, `--regid=${o.runAs.gid}`, '--init-groups', `--inh-caps=${CAPTURE_CAPS}`, `--ambient-caps=${CAPTURE_CAPS}`]
    : [];
  return [setpriv, ['--pdeathsig', 'INT', ...asUser, '--', tcpdump, ...args]];
}

/**
 * Starts tcpdump and resolves once it says "listening on" (every packet from then on is captured).
 * Rejects with a RecordError if it exits first or says nothing within `readyTimeoutMs`.
 */
export async function startTcpdump(o: TcpdumpOptions, readyTimeoutMs = 10_000): Promise<RunningTcpdump> {
  const args = tcpdumpArgs(o);
  let stderr = '';
  let child: ResultPromise;
  const execa = await loadExeca();
  const tcpdump = findExecutable(o.tcpdumpPath);
  if (tcpdump === null) throw notInstalled(o);
  const [file, argv] = tcpdumpCommand(o, tcpdump, findExecutable('setpriv'));
  try {
    // Own process group: Ctrl-C reaches wscap only, and wscap stops tcpdump in order.
    child = execa(file, argv, { detached: true, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', reject: false, cleanup: true });
  } catch {
    throw notInstalled(o);
  }
  child.stderr?.setEncoding('utf8');
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new RecordError(`tcpdump did not start listening within ${readyTimeoutMs / 1000} s`, null, EXIT_CAPTURE_FAILED)), readyTimeoutMs);
    child.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
      if (/listening on /.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.then((result) => {
      clearTimeout(timer);
      if ((result as { code?: string }).code === 'ENOENT' || /ENOENT/.test(String(result.message ?? ''))) reject(notInstalled(o));
      else reject(classifyFailure(stderr, o));
    });
  });
  const running: RunningTcpdump = {
    args,
    pid: child.pid ?? null,
    stderr: () => stderr,
    exited: child.then((result) => ({
      exitCode: result.exitCode ?? null,
      signal: result.signal ?? null,
      counts: parseCounts(stderr),
      stderr,
    })),
    isStopping: false,
  };
  await ready;
  return running;
}

/**
 * Whether `user` can create files in `dir` (write and search on it, search on every parent), as
 * tcpdump -Z will have to for every rotated file: asked of the kernel, as that user with their
 * groups (setpriv --init-groups, then node's access(2)). Null when it cannot be told (no setpriv,
 * or setpriv itself failed, e.g. a uid without a passwd entry): the caller then does not refuse.
 */
export async function canCreateFilesAs(dir: string, user: { uid: number; gid: number }): Promise<boolean | null> {
  const answer = await accessAs([dir], user);
  return answer === null ? null : answer[0];
}

/** canCreateFilesAs for several directories with one setpriv: one answer per directory, in order. */
export async function accessAs(dirs: string[], user: { uid: number; gid: number }): Promise<boolean[] | null> {
  const setpriv = findExecutable('setpriv');
  if (setpriv === null) return null;
  const execa = await loadExeca();
  // W_OK | X_OK (3) on each, one line of 0s and 1s: the answer cannot be confused with anything
  // node prints on a failure.
  const script = `const fs = require('node:fs'); process.stdout.write(process.argv.slice(1).map((d) => { try { fs.accessSync(d, 3); return '1' } catch { return '0' } }).join(''))`;
  try {
    const r = await execa(setpriv, [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', process.execPath, '-e', script, ...dirs], {
      reject: false,
      timeout: 10_000,
      stdin: 'ignore',
    });
    const out = String(r.stdout);
    if (r.exitCode !== 0 || !new RegExp(`^[01]{${dirs.length}}$`).test(out)) return null;
    return [...out].map((c) => c === '1');
  } catch {
    return null;
  }
}

/** The executable `name` resolves to (a path, or a search of PATH), or null when there is none. */
export function findExecutable(name: string, path = process.env.PATH ?? ''): string | null {
  const candidates = name.includes('/') ? [name] : path.split(':').filter(Boolean).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here.
    }
  }
  return null;
}

function notInstalled(o: TcpdumpOptions): RecordError {
  return new RecordError(`tcpdump is not installed (looked for '${escapeTerminal(o.tcpdumpPath)}')`, 'install it: sudo apt-get install -y tcpdump', EXIT_ENVIRONMENT);
}

/** Asks tcpdump to stop (SIGINT: it flushes the file and prints its counts) and waits for it. */
export async function stopTcpdump(t: RunningTcpdump, killAfterMs = 10_000): Promise<TcpdumpExit> {
  t.isStopping = true;
  if (t.pid !== null) {
    try {
      process.kill(t.pid, 'SIGINT');
    } catch {
      // Already gone.
    }
  }
  const timer = setTimeout(() => {
    if (t.pid !== null) {
      try {
        process.kill(t.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }, killAfterMs);
  const exit = await t.exited;
  clearTimeout(timer);
  return exit;
}

/** Asks a running tcpdump to print its counts now (SIGUSR1, Linux); parseCounts(stderr()) reads them. */
export function requestCounts(t: RunningTcpdump): void {
  if (t.pid === null || t.isStopping) return;
  try {
    process.kill(t.pid, 'SIGUSR1');
  } catch {
    // Exiting.
  }
}

/** "tcpdump version 4.99.3" → "4.99.3", or null when tcpdump cannot be run. */
export async function tcpdumpVersion(tcpdumpPath: string): Promise<string | null> {
  try {
    const execa = await loadExeca();
    const r = await execa(tcpdumpPath, ['--version'], { reject: false, timeout: 5000 });
    const m = /tcpdump version (\S+)/.exec(`${r.stdout}\n${r.stderr}`);
    return m ? m[1] : null;
  } catch {
    return null;
  }
}
