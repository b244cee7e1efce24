/**
 * \summary: the `wscap sockets` report: the operations guide's checks (per state, per process,
 * health, symbols = ESTAB ÷ 7) computed from one `ss` snapshot. Pure: plain data in, plain data out.
 *
 * This is also the JSON contract of `wscap sockets --json`: fields may be added, never renamed;
 * every field is always present ("unknown" is null).
 */
import { filterSockets, normalizeIp, type SocketEntry, type SocketSnapshot } from './ss.js';

/** ok: nothing to look at · warn: a state worth a look · fail: a state (or an absence) that is a problem. */
export type Health = 'ok' | 'warn' | 'fail';

/** One reason behind the health verdict. */
export interface HealthReason {
  level: 'warn' | 'fail';
  /** The ss state this is about, or null for a reason about the whole (no ESTAB connection). */
  state: string | null;
  /** Number of sockets concerned. */
  count: number;
  /** One line for a person, from the guide's troubleshooting list. */
  message: string;
}

/** A socket of the report: the ss entry plus its health mark. */
export interface ReportSocket extends SocketEntry {
  /** ok for ESTAB and TIME-WAIT, fail for CLOSE-WAIT, warn for every other state. */
  mark: Health;
}

/** One process holding some of the report's sockets (a socket shared by two processes counts for both). */
export interface ReportProcess {
  pid: number;
  /** Process name as ss printed it (raw, untrusted). If the pid shows several names, the first seen. */
  command: string;
  /** Sockets this process holds among the report's sockets. */
  connections: number;
  /** Those sockets by state, in the order of `STATE_ORDER`. */
  byState: Record<string, number>;
}

/** Sockets on the port at addresses the host names did not resolve to (the agent may have resolved earlier). */
export interface OtherAddresses {
  /** Number of such sockets (with the pid filter applied when one was given). */
  sockets: number;
  /** Their peer addresses, sorted, without duplicates. */
  addresses: string[];
}

export interface SocketsReport {
  /** When ss ran, epoch seconds (float). */
  at: number;
  /** The host names asked about, in the order given (IP literals included as given). */
  host: string[];
  /** Peer addresses counted as the host's (resolved now, given with --resolve, or literal), normalised. */
  addresses: string[];
  /** Peer port counted (443 for fstream.binance.com). */
  port: number;
  /** The --pid filter, or null when every process counts. */
  pid: number | null;
  /** Sockets whose peer is one of `addresses` on `port` (held by `pid` when given). */
  total: number;
  /** Those sockets by ss state, in the order of `STATE_ORDER`; ESTAB is always present. */
  byState: Record<string, number>;
  /** The verdict: fail if any reason is a failure, else warn if any reason, else ok. */
  health: Health;
  /** Why the verdict is not ok, most serious first; [] when ok. */
  healthReasons: HealthReason[];
  /** Connections per symbol (7 kline intervals, one WebSocket each). */
  perSymbol: number;
  /** floor(ESTAB / perSymbol): the guide's estimate of the symbols being streamed. */
  estimatedSymbols: number;
  /** ESTAB mod perSymbol: connections that do not make a whole symbol (0 when the count is whole). */
  estimatedSymbolsRemainder: number;
  /** Processes holding the sockets, most connections first (then by pid). */
  processes: ReportProcess[];
  /** Sockets no process is shown for (TIME-WAIT sockets have none; other users' without root). */
  unattributed: number;
  /** Connections to the same port at other addresses: a hint that the host's addresses rotated. */
  otherAddresses: OtherAddresses;
  /** The sockets counted, ordered by state (STATE_ORDER), then peer, then local address. */
  sockets: ReportSocket[];
}

export interface SocketsReportOptions {
  /** Host name(s) asked about (for the report's `host` field). */
  host: string | string[];
  /** The peer addresses that belong to the host(s). */
  addresses: string[];
  port: number;
  /** Connections per symbol; the guide's 7. */
  perSymbol: number;
  /** Count only sockets this process holds. */
  pid?: number;
}

/** The order states are listed in: the healthy first, then as a connection lives and dies. */
export const STATE_ORDER: readonly string[] = [
  'ESTAB',
  'SYN-SENT',
  'SYN-RECV',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'CLOSING',
  'TIME-WAIT',
  'CLOSE-WAIT',
  'LAST-ACK',
];

/** The guide's marks: ESTAB healthy, TIME-WAIT normal (closing), CLOSE-WAIT a problem, the rest a warning. */
export function stateMark(state: string): Health {
  if (state === 'ESTAB' || state === 'TIME-WAIT') return 'ok';
  if (state === 'CLOSE-WAIT') return 'fail';
  return 'warn';
}

/** The guide's troubleshooting line for a state that is not ok. */
const stateAdvice: Record<string, string> = {
  'CLOSE-WAIT': 'the server closed, the agent did not: it is not closing sockets',
  'SYN-SENT': 'connecting: not answered yet (refused, filtered or unreachable?)',
  'SYN-RECV': 'connecting: handshake not completed',
  'FIN-WAIT-1': 'closing: our FIN not yet acknowledged',
  'FIN-WAIT-2': 'closing: waiting for the server to close its side',
  CLOSING: 'closing: both sides closed at once',
  'LAST-ACK': 'closing: waiting for the final ACK',
};

function stateRank(state: string): number {
  const i = STATE_ORDER.indexOf(state);
  return i < 0 ? STATE_ORDER.length : i;
}

function compareStates(a: string, b: string): number {
  return stateRank(a) - stateRank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

function countByState(sockets: SocketEntry[]): Record<string, number> {
  const counts = new Map<string, number>([['ESTAB', 0]]);
  for (const s of sockets) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
  const out: Record<string, number> = {};
  for (const state of [...counts.keys()].sort(compareStates)) out[state] = counts.get(state) ?? 0;
  return out;
}

/** Sort key for an address: IPv4 before IPv6, IPv4 numerically, IPv6 by text; ports numerically. */
function addressKey(ip: string, port: number): string {
  if (ip.includes(':')) return `6${ip.padStart(39, '0')}:${String(port).padStart(5, '0')}`;
  const parts = ip.split('.').map((p) => p.padStart(3, '0'));
  return `4${parts.join('.')}:${String(port).padStart(5, '0')}`;
}

function compareAddresses(a: string, b: string): number {
  const ka = addressKey(a, 0);
  const kb = addressKey(b, 0);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function compareSockets(a: SocketEntry, b: SocketEntry): number {
  const byState = compareStates(a.state, b.state);
  if (byState !== 0) return byState;
  const pa = addressKey(a.peer.ip, a.peer.port);
  const pb = addressKey(b.peer.ip, b.peer.port);
  if (pa !== pb) return pa < pb ? -1 : 1;
  const la = addressKey(a.local.ip, a.local.port);
  const lb = addressKey(b.local.ip, b.local.port);
  return la < lb ? -1 : la > lb ? 1 : 0;
}

function healthReasons(byState: Record<string, number>, total: number): HealthReason[] {
  const reasons: HealthReason[] = [];
  if ((byState.ESTAB ?? 0) === 0) {
    reasons.push({
      level: 'fail',
      state: null,
      count: 0,
      message: total === 0 ? 'no connection at all: is the agent running?' : 'no ESTAB connection: is the agent connected?',
    });
  }
  for (const [state, count] of Object.entries(byState)) {
    const mark = stateMark(state);
    if (mark === 'ok' || count === 0) continue;
    reasons.push({ level: mark, state, count, message: stateAdvice[state] ?? `unexpected state ${state}` });
  }
  return reasons.sort((a, b) => (a.level === b.level ? 0 : a.level === 'fail' ? -1 : 1));
}

function processesOf(sockets: SocketEntry[]): ReportProcess[] {
  const byPid = new Map<number, { command: string; sockets: SocketEntry[] }>();
  for (const s of sockets) {
    const seen = new Set<number>();
    for (const p of s.processes) {
      if (seen.has(p.pid)) continue; // The same process holding the socket twice (dup) counts once.
      seen.add(p.pid);
      const entry = byPid.get(p.pid) ?? { command: p.command, sockets: [] };
      entry.sockets.push(s);
      byPid.set(p.pid, entry);
    }
  }
  return [...byPid.entries()]
    .map(([pid, e]) => ({ pid, command: e.command, connections: e.sockets.length, byState: countByState(e.sockets) }))
    .sort((a, b) => b.connections - a.connections || a.pid - b.pid);
}

/** The report for one snapshot: the sockets to `addresses`:`port` (of `pid`), counted the guide's ways. */
export function buildSocketsReport(snapshot: SocketSnapshot, options: SocketsReportOptions): SocketsReport {
  if (!Number.isInteger(options.perSymbol) || options.perSymbol < 1) throw new RangeError('perSymbol must be a positive integer');
  const addresses = [...new Set(options.addresses.map(normalizeIp))].sort(compareAddresses);
  const pidFilter = options.pid === undefined ? {} : { pid: options.pid };
  const matched = filterSockets(snapshot.sockets, { addresses: new Set(addresses), port: options.port, ...pidFilter }).sort(compareSockets);
  const onPort = filterSockets(snapshot.sockets, { addresses: null, port: options.port, ...pidFilter });
  const known = new Set(addresses);
  const others = onPort.filter((s) => !known.has(s.peer.ip));
  const byState = countByState(matched);
  const estab = byState.ESTAB ?? 0;
  const reasons = healthReasons(byState, matched.length);
  return {
    at: snapshot.at,
    host: typeof options.host === 'string' ? [options.host] : [...options.host],
    addresses,
    port: options.port,
    pid: options.pid ?? null,
    total: matched.length,
    byState,
    health: reasons.some((r) => r.level === 'fail') ? 'fail' : reasons.length > 0 ? 'warn' : 'ok',
    healthReasons: reasons,
    perSymbol: options.perSymbol,
    estimatedSymbols: Math.floor(estab / options.perSymbol),
    estimatedSymbolsRemainder: estab % options.perSymbol,
    processes: processesOf(matched),
    unattributed: matched.filter((s) => s.processes.length === 0).length,
    otherAddresses: {
      sockets: others.length,
      addresses: [...new Set(others.map((s) => s.peer.ip))].sort(compareAddresses),
    },
    sockets: matched.map((s) => ({ ...s, mark: stateMark(s.state) })),
  };
}
