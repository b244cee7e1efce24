/**
 * \summary: run iproute2's `ss` (argv only, never a shell) and parse its TCP socket list.
 *
 * The output parsed is `ss -tnpioH` (TCP, numeric, processes, internal TCP info, timers, no
 * header), optionally with a `state` filter. Each socket is one line followed, with `-i`, by an
 * indented line of TCP info:
 *
 * ```
 * ESTAB 0 0 127.0.0.1:53534 127.0.0.2:443 users:(("node",pid=1234,fd=21)) timer:(keepalive,59sec,0)
 * 	 cubic wscale:7,7 rto:204 rtt:0.05/0.025 ... bytes_sent:759 bytes_received:5092 ... lastrcv:856
 * ```
 *
 * Things that real `ss` output does and this parser copes with:
 * - a single-state filter (`state established`) drops the State column: the state then comes from
 *   `ParseSsOptions.state`;
 * - the header line (`State Recv-Q ...` / `Recv-Q Send-Q ...`) when -H is not given;
 * - IPv6 in brackets (`[::1]:443`), IPv4-mapped IPv6 (`[::ffff:1.2.3.4]:443`, given as 1.2.3.4),
 *   a `%iface` scope after the address, and older versions' unbracketed IPv6;
 * - process names are printed raw (ss reads them from /proc/PID/stat up to the first `)`): a name
 *   may hold `"`, tabs, escape sequences and even newlines, which split the socket's line in two.
 *   The `users:((...))` field is parsed by its structure, lines are joined while it is unfinished,
 *   and the raw name is kept (escaping is the renderer's job);
 * - ss omits zero-valued TCP info fields (`bytes_sent`, `bytes_received`, `lastsnd`, `lastrcv`):
 *   when a socket has an info line, a missing counter is 0; without an info line (TIME-WAIT
 *   sockets, or no -i) every info field is null. A missing `rtt` (no sample yet) stays null.
 */
import { isIP } from 'node:net';

export interface SocketAddress {
  /** Numeric address without brackets or `%iface` scope; IPv4-mapped IPv6 given in IPv4 form. `*` = any. */
  ip: string;
  /** Port number; 0 when ss printed `*`. */
  port: number;
}

export interface SocketProcess {
  /** The process name exactly as ss printed it (untrusted: escape before showing it). */
  command: string;
  pid: number;
  fd: number;
}

export interface SocketInfo {
  /** Smoothed round-trip time in milliseconds (`rtt:` before the slash), null without a sample. */
  rttMs: number | null;
  /** Bytes sent, excluding retransmissions (`bytes_sent`, kernel 4.19+). */
  bytesSent: number | null;
  /** Bytes received (`bytes_received`). */
  bytesReceived: number | null;
  /** Milliseconds since data was last received (`lastrcv`). */
  lastRcvMs: number | null;
  /** Milliseconds since data was last sent (`lastsnd`). */
  lastSndMs: number | null;
}

export interface SocketEntry {
  /** As ss prints it: ESTAB, SYN-SENT, SYN-RECV, FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT, CLOSE-WAIT, LAST-ACK, CLOSING, ... */
  state: string;
  /** Bytes in the receive queue (not yet read by the process). */
  recvQ: number;
  /** Bytes in the send queue (not yet acknowledged by the peer). */
  sendQ: number;
  local: SocketAddress;
  peer: SocketAddress;
  /** Processes holding the socket (several after fork/fd passing); [] when ss showed none. */
  processes: SocketProcess[];
  /** Raw text inside `timer:(...)`, e.g. "keepalive,1min50sec,0"; null when absent. */
  timer: string | null;
  /** From the -i line; see the module comment for null versus 0. */
  info: SocketInfo;
}

export interface SocketSnapshot {
  /** When ss was started, epoch seconds (float, millisecond precision). */
  at: number;
  sockets: SocketEntry[];
}

export interface ParseSsOptions {
  /**
   * The state of every socket when the output was made with a single-state filter, which drops the
   * State column: an ss state name (`ESTAB`) or filter name (`established`). Default `UNKNOWN`.
   */
  state?: string;
}

/** ss filter state names → the names ss prints. */
const filterStateNames: Record<string, string> = {
  established: 'ESTAB',
  'syn-sent': 'SYN-SENT',
  'syn-recv': 'SYN-RECV',
  'fin-wait-1': 'FIN-WAIT-1',
  'fin-wait-2': 'FIN-WAIT-2',
  'time-wait': 'TIME-WAIT',
  closed: 'UNCONN',
  'close-wait': 'CLOSE-WAIT',
  'last-ack': 'LAST-ACK',
  listening: 'LISTEN',
  closing: 'CLOSING',
};

/**
 * A numeric address in the form ss prints and filters compare: brackets and `%scope` removed,
 * IPv6 lower-cased and compressed (RFC 5952), IPv4-mapped IPv6 turned into IPv4. Anything that is
 * not an IP literal is returned trimmed of brackets and scope, unchanged otherwise.
 */
export function normalizeIp(text: string): string {
  let ip = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const scope = ip.indexOf('%');
  if (scope >= 0) ip = ip.slice(0, scope);
  if (isIP(ip) !== 6) return ip;
  const mapped = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i.exec(ip);
  if (mapped && isIP(mapped[1]) === 4) return mapped[1];
  // The WHATWG URL serializer compresses IPv6 as inet_ntop does (longest run of 2+ zero groups),
  // but writes a mapped address in hex (0:0:0:0:0:ffff:1.2.3.4 → ::ffff:102:304).
  let canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (hexMapped) {
    const hi = parseInt(hexMapped[1], 16);
    const lo = parseInt(hexMapped[2], 16);
    canonical = `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return canonical;
}

/** "127.0.0.1:443", "[::1]:443", "[fe80::1]%eth0:22", "*:*", old "::1:443" → address, or null. */
export function parseSocketAddress(token: string): SocketAddress | null {
  const colon = token.lastIndexOf(':');
  if (colon <= 0) return null;
  const portText = token.slice(colon + 1);
  let port: number;
  if (portText === '*') port = 0;
  else if (/^\d{1,5}$/.test(portText) && Number(portText) <= 65535) port = Number(portText);
  else return null;
  let host = token.slice(0, colon);
  const scope = host.lastIndexOf('%');
  if (scope > 0 && !host.slice(scope).includes(']')) host = host.slice(0, scope);
  if (host === '*') return { ip: '*', port };
  const ip = normalizeIp(host);
  if (isIP(ip) === 0) return null;
  return { ip, port };
}

/** State (optional), Recv-Q, Send-Q, local, peer, then the rest of the line. */
const SOCKET_LINE = /^(?:([A-Z][A-Z0-9-]*)[ \t]+)?(\d+)[ \t]+(\d+)[ \t]+(\S+)[ \t]+(\S+)([\s\S]*)$/;
/** One `("name",pid=N,fd=N)` of a users field; the name is anything up to the first `",pid=N,fd=N)`. */
const USER_ENTRY = /\("([\s\S]*?)",pid=(\d+),fd=(\d+)\)/y;

interface SocketLine {
  state: string | null;
  recvQ: number;
  sendQ: number;
  local: SocketAddress;
  peer: SocketAddress;
  rest: string;
}

function matchSocketLine(line: string): SocketLine | null {
  const m = SOCKET_LINE.exec(line);
  if (!m) return null;
  const local = parseSocketAddress(m[4]);
  const peer = parseSocketAddress(m[5]);
  if (!local || !peer) return null;
  return { state: m[1] ?? null, recvQ: Number(m[2]), sendQ: Number(m[3]), local, peer, rest: m[6] };
}

type UsersParse = { kind: 'none'; after: string } | { kind: 'done'; processes: SocketProcess[]; after: string } | { kind: 'unfinished' };

/** Parses the users field at the start of `rest` (after the peer address). */
function parseUsers(rest: string): UsersParse {
  const start = /^[ \t]*users:\(/.exec(rest);
  if (!start) return { kind: 'none', after: rest };
  const processes: SocketProcess[] = [];
  let pos = start[0].length;
  for (;;) {
    USER_ENTRY.lastIndex = pos;
    const m = USER_ENTRY.exec(rest);
    if (!m) return { kind: 'unfinished' };
    processes.push({ command: m[1], pid: Number(m[2]), fd: Number(m[3]) });
    pos = USER_ENTRY.lastIndex;
    if (rest[pos] === ',') {
      pos += 1;
      continue;
    }
    if (rest[pos] === ')') return { kind: 'done', processes, after: rest.slice(pos + 1) };
    return { kind: 'unfinished' };
  }
}

function parseInfo(line: string | null, hasInfo: boolean): SocketInfo {
  if (!hasInfo || line === null) return { rttMs: null, bytesSent: null, bytesReceived: null, lastRcvMs: null, lastSndMs: null };
  const field = (name: string): number => {
    const m = new RegExp(`(?:^|\\s)${name}:(\\d+)(?=\\s|$)`).exec(line);
    return m ? Number(m[1]) : 0;
  };
  const rtt = /(?:^|\s)rtt:(\d+(?:\.\d+)?)\//.exec(line);
  return {
    rttMs: rtt ? Number(rtt[1]) : null,
    bytesSent: field('bytes_sent'),
    bytesReceived: field('bytes_received'),
    lastRcvMs: field('lastrcv'),
    lastSndMs: field('lastsnd'),
  };
}

/** Most names a process can take are up to 15 bytes, so a name holds at most 15 newlines. */
const MAX_JOINED_LINES = 16;

/**
 * The sockets in the output of `ss -tnpioH` (or any subset of those options, with or without the
 * header line and a state filter). Lines that are not socket lines are skipped.
 */
export function parseSs(output: string, options: ParseSsOptions = {}): SocketEntry[] {
  const defaultState = options.state === undefined ? 'UNKNOWN' : (filterStateNames[options.state] ?? options.state);
  const lines = output.split('\n');
  const entries: SocketEntry[] = [];
  let i = 0;
  while (i < lines.length) {
    const first = lines[i];
    i += 1;
    if (/^[ \t]/.test(first)) continue; // An info line without its socket line.
    let text = first;
    let parsed = matchSocketLine(text);
    if (!parsed) continue; // Header, blank or unknown line.
    let users = parseUsers(parsed.rest);
    // A newline in a process name splits the line: join until the users field is complete.
    const firstParsed = parsed;
    const next = i;
    let joined = 0;
    while (users.kind === 'unfinished' && i < lines.length && joined < MAX_JOINED_LINES && matchSocketLine(lines[i]) === null) {
      text = `${text}\n${lines[i]}`;
      i += 1;
      joined += 1;
      parsed = matchSocketLine(text) ?? parsed;
      users = parseUsers(parsed.rest);
    }
    if (users.kind === 'unfinished' && joined > 0) {
      // Joining did not help: a malformed field, not a split name. Keep the first line alone.
      parsed = firstParsed;
      i = next;
    }
    const after = users.kind === 'unfinished' ? parsed.rest : users.after;
    const timer = /(?:^|[ \t])timer:\(([^)]*)\)/.exec(after);
    let infoLine: string | null = null;
    if (i < lines.length && /^[ \t]/.test(lines[i])) {
      infoLine = lines[i];
      i += 1;
    }
    entries.push({
      state: parsed.state ?? defaultState,
      recvQ: parsed.recvQ,
      sendQ: parsed.sendQ,
      local: parsed.local,
      peer: parsed.peer,
      processes: users.kind === 'done' ? users.processes : [],
      timer: timer ? timer[1] : null,
      info: parseInfo(infoLine, infoLine !== null && infoLine.trim() !== ''),
    });
  }
  return entries;
}

/** ss could not be run or failed: `missing` = not installed (or not at the given path). */
export class SsError extends Error {
  override name = 'SsError' as const;
  readonly missing: boolean;

  constructor(message: string, missing: boolean) {
    super(message);
    this.missing = missing;
  }
}

export interface SnapshotOptions {
  /** Default `ss` (looked up in PATH). */
  ssPath?: string;
  /** Default 5000 ms. */
  timeoutMs?: number;
  /** Stops a running ss (the promise rejects). */
  signal?: AbortSignal;
}

/**
 * The arguments given to ss. `state connected` = every state but LISTEN and CLOSED: plain
 * `ss -tnpioH` leaves out TIME-WAIT and SYN-RECV sockets, which the health check counts.
 */
export const SS_ARGS: readonly string[] = ['-tnpioH', 'state', 'connected'];

/** Runs `ss -tnpioH state connected` (no shell) and parses its output. */
export async function snapshotSockets(options: SnapshotOptions = {}): Promise<SocketSnapshot> {
  const ssPath = options.ssPath ?? 'ss';
  const at = Date.now() / 1000;
  let stdout: string;
  try {
    // Loaded on first use: `wscap analyze` never needs a subprocess library.
    const { execa } = await import('execa');
    const r = await execa(ssPath, [...SS_ARGS], {
      timeout: options.timeoutMs ?? 5000,
      stdin: 'ignore',
      env: { LC_ALL: 'C' },
      extendEnv: true,
      stripFinalNewline: false,
      ...(options.signal ? { cancelSignal: options.signal } : {}),
    });
    stdout = r.stdout;
  } catch (err) {
    const e = err as { code?: string; timedOut?: boolean; isCanceled?: boolean; stderr?: string; shortMessage?: string };
    if (e.code === 'ENOENT') {
      throw new SsError(`'${ssPath}' not found: install iproute2 (apt-get install iproute2, dnf install iproute)`, true);
    }
    if (e.code === 'EACCES') throw new SsError(`'${ssPath}' cannot be run (permission denied)`, true);
    if (e.isCanceled) throw err;
    if (e.timedOut) throw new SsError(`'${ssPath}' did not answer within ${options.timeoutMs ?? 5000} ms`, false);
    const detail = (e.stderr ?? '').trim().split('\n')[0] || e.shortMessage || String(err);
    throw new SsError(`'${ssPath} ${SS_ARGS.join(' ')}' failed: ${detail}`, false);
  }
  return { at: Math.round(at * 1000) / 1000, sockets: parseSs(stdout) };
}

export interface SocketFilter {
  /** Peer addresses to keep (any form normalizeIp accepts); null = any address. */
  addresses: Set<string> | null;
  /** Peer port to keep; null = any port. */
  port: number | null;
  /** Keep only sockets this process holds. */
  pid?: number;
}

/** The sockets whose peer is one of the addresses on the port (and that the pid holds, if given). */
export function filterSockets(entries: SocketEntry[], filter: SocketFilter): SocketEntry[] {
  const addresses = filter.addresses === null ? null : new Set([...filter.addresses].map(normalizeIp));
  return entries.filter(
    (e) =>
      (addresses === null || addresses.has(e.peer.ip)) &&
      (filter.port === null || e.peer.port === filter.port) &&
      (filter.pid === undefined || e.processes.some((p) => p.pid === filter.pid)),
  );
}
