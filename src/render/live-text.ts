/**
 * \summary: live view renderers: a screen for a terminal and one log line per status otherwise.
 *
 * Pure functions of a LiveStatus. The frame fits 100 columns (the SERVER column is left out when
 * IPv6 addresses would not fit); the caller clears the screen before writing it (CLEAR_SCREEN).
 * Addresses are numeric; the host name comes from the command line and is escaped.
 */
import type { LiveConnection, LiveStatus } from '../record/live-view.js';
import type { ClientState } from '../report/model.js';
import { escapeTerminal } from './escape.js';
import { BOLD, DIM, RED, paint, stateColors } from './ansi.js';

export interface LiveFrameOptions {
  color: boolean;
  /** The target as the user named it (e.g. fstream.binance.com:443). */
  host: string;
  /** Most connection rows to show (e.g. the terminal height minus the header); default all. */
  maxRows?: number;
}

/** Cursor home + clear screen: what a TTY caller writes before each frame. */
export const CLEAR_SCREEN = '\u001b[H\u001b[2J';

const WIDTH = 100;


/** Order states are listed in (the ss lifecycle), for stable counts. */
const stateOrder: ClientState[] = ['SYN-SENT', 'ESTAB', 'CLOSE-WAIT', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSING', 'LAST-ACK', 'TIME-WAIT', 'CLOSED'];


/** 4.2 → "4.2s", 125 → "2m05s", 7300 → "2h01m", 90000 → "1d01h". Negative (clock skew) shows as 0. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 60) return `${s.toFixed(1)}s`;
  const whole = Math.floor(s);
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
  if (whole < 86400) return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(whole / 86400)}d${String(Math.floor((whole % 86400) / 3600)).padStart(2, '0')}h`;
}

/** 51234 → "51234 B", 1.5e6 → "1.4 MiB". */
export function formatBytes(n: number): string {
  if (n < 10240) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

function byId(a: LiveConnection, b: LiveConnection): number {
  return Number(a.id.slice(1)) - Number(b.id.slice(1)) || a.id.localeCompare(b.id);
}

function stateCounts(connections: LiveConnection[]): [ClientState, number][] {
  const counts = new Map<ClientState, number>();
  for (const c of connections) counts.set(c.state, (counts.get(c.state) ?? 0) + 1);
  return stateOrder.filter((s) => counts.has(s)).map((s) => [s, counts.get(s) ?? 0]);
}

function maxSilence(connections: LiveConnection[]): number | null {
  let max: number | null = null;
  for (const c of connections) if (c.serverSilenceS !== null && (max === null || c.serverSilenceS > max)) max = c.serverSilenceS;
  return max;
}

/** Cuts a (plain, escaped) string to `width` characters, marking the cut with "…". */
function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** One screen for a terminal: a header line, the state counts, a table of open connections. */
export function renderLiveFrame(status: LiveStatus, options: LiveFrameOptions): string {
  const { color } = options;
  const out: string[] = [];
  const drops = `drops ${status.drops === null ? '?' : status.drops}`;
  const facts = `elapsed ${formatDuration(status.elapsedS)}   packets ${status.packets}   file ${formatBytes(status.fileBytes)}   `;
  const prefix = 'wscap record: ';
  const host = fit(escapeTerminal(options.host), Math.max(8, WIDTH - prefix.length - 3 - facts.length - drops.length));
  const header = `${paint(prefix + host, BOLD, color)}   ${facts}${status.drops !== null && status.drops > 0 ? paint(drops, RED, color) : drops}`;
  out.push(header);

  const rows = [...status.connections].sort(byId);
  const counts = stateCounts(rows)
    .map(([state, n]) => paint(`${state} ${n}`, stateColors[state] ?? '', color && stateColors[state] !== undefined))
    .join(', ');
  out.push(`open connections: ${rows.length}${rows.length > 0 ? ` (${counts})` : ''}`);
  out.push('');
  if (rows.length === 0) {
    out.push(paint('no open connection to the target', DIM, color));
    return `${out.join('\n')}\n`;
  }

  // Columns sized to the data; SERVER only if the table still fits the width.
  const idWidth = Math.max(3, ...rows.map((c) => c.id.length));
  const clientWidth = Math.max(6, ...rows.map((c) => c.client.length));
  const serverWidth = Math.max(6, ...rows.map((c) => c.server.length));
  const fixedWidth = idWidth + 1 + clientWidth + 2 + 11 + 9 + 15;
  const showServer = fixedWidth + serverWidth + 2 <= WIDTH;
  const line = (id: string, client: string, server: string, state: string, age: string, silence: string): string =>
    [id.padEnd(idWidth), ' ', client.padEnd(clientWidth), '  ', showServer ? `${server.padEnd(serverWidth)}  ` : '', state, age.padStart(9), silence.padStart(15)].join('');
  out.push(paint(line('ID', 'CLIENT', 'SERVER', 'STATE'.padEnd(11), 'AGE', 'SERVER SILENT').trimEnd(), DIM, color));

  const shown = options.maxRows === undefined ? rows.length : Math.max(0, Math.min(rows.length, options.maxRows));
  for (const c of rows.slice(0, shown)) {
    const state = paint(c.state.padEnd(11), stateColors[c.state] ?? '', color && stateColors[c.state] !== undefined);
    const silence = c.serverSilenceS === null ? '-' : formatDuration(c.serverSilenceS);
    out.push(line(c.id, c.client, c.server, state, formatDuration(c.ageS), silence).trimEnd());
  }
  if (shown < rows.length) out.push(paint(`… and ${rows.length - shown} more`, DIM, color));
  out.push('');
  out.push(paint('AGE = since the first packet. SERVER SILENT = since the server last sent data.', DIM, color));
  out.push(paint('STATE = the client socket as ss would show it, from the packets.', DIM, color));
  return `${out.join('\n')}\n`;
}

/** A value for a key=value log line: bare when simple, else quoted (and escaped). */
function logValue(value: string): string {
  const escaped = escapeTerminal(value);
  return /^[\w.:[\]@/-]+$/.test(escaped) ? escaped : JSON.stringify(escaped);
}

/**
 * One plain log line (no newline) for output that is not a terminal, e.g.
 * `host=fstream.binance.com elapsed=12s packets=340 bytes=51234 drops=0 open=7 states=ESTAB:7 maxServerSilenceS=0.3`.
 */
export function renderLiveLine(status: LiveStatus, host: string): string {
  const states = stateCounts(status.connections).map(([s, n]) => `${s}:${n}`).join(',');
  const silence = maxSilence(status.connections);
  return [
    `host=${logValue(host)}`,
    `elapsed=${Math.floor(Math.max(0, status.elapsedS))}s`,
    `packets=${status.packets}`,
    `bytes=${status.fileBytes}`,
    `drops=${status.drops === null ? 'unknown' : status.drops}`,
    `open=${status.connections.length}`,
    `states=${states === '' ? '-' : states}`,
    `maxServerSilenceS=${silence === null ? '-' : Math.max(0, silence).toFixed(1)}`,
  ].join(' ');
}
