/**
 * \summary: text for `wscap sockets`: target, health, states, symbols, processes, one row per socket.
 *
 * Pure. Lines fit 100 columns (long IPv6 addresses move the address pair to a line of its own).
 * Process names come from the kernel as a process chose them: they pass through escapeTerminal.
 */
import type { Health, ReportSocket, SocketsReport } from '../record/sockets-report.js';
import { escapeTerminal } from './escape.js';
import { BOLD, DIM, GREEN, RED, YELLOW, paint } from './ansi.js';

export interface SocketsTextOptions {
  color: boolean;
}

const WIDTH = 100;

const markColors: Record<Health, string> = { ok: GREEN, warn: YELLOW, fail: RED };


function stateColor(state: string): string {
  if (state === 'ESTAB') return GREEN;
  if (state === 'CLOSE-WAIT') return RED;
  if (state === 'TIME-WAIT') return DIM;
  return YELLOW;
}

/** Cuts plain (uncoloured) text to `width` columns, marking the cut with `…`. */
function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

function clock(at: number): string {
  return `${new Date(Math.floor(at) * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function endpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** 999 → "999", 12345 → "12.3k", 1234567 → "1.2M". */
function compactBytes(n: number | null): string {
  if (n === null) return '-';
  if (n < 10000) return String(n);
  if (n < 1e6) return `${(n / 1e3).toFixed(1)}k`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)}M`;
  return `${(n / 1e9).toFixed(1)}G`;
}

/** 740 → "740ms", 12300 → "12.3s", 725000 → "12m05s", 11520000 → "3h12m". */
export function shortDuration(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const timerNames: Record<string, string> = { keepalive: 'keep', on: 'retx', timewait: 'tw', persist: 'probe' };

/** ss's "keepalive,1min50sec,0" → "keep 1m50s"; "on,292ms,2" → "retx 292ms #2"; null → "". */
export function shortTimer(timer: string | null): string {
  if (timer === null) return '';
  const [name = '', time = '', count = '0'] = timer.split(',');
  const label = timerNames[name] ?? name;
  const t = time.replace('min', 'm').replace('sec', 's');
  const retries = count !== '0' && count !== '' ? ` #${count}` : '';
  return `${label} ${t}${retries}`.trim();
}

function stateList(byState: Record<string, number>, options: SocketsTextOptions, separator: string): string {
  return Object.entries(byState)
    .map(([state, n]) => (n === 0 ? `${state} 0` : `${paint(state, stateColor(state), options.color)} ${n}`))
    .join(separator);
}

/** Words joined by ", " and wrapped to WIDTH, continuation lines indented by `indent`. */
function wrapList(prefix: string, items: string[], indent: number): string[] {
  const lines: string[] = [];
  let line = prefix;
  items.forEach((item, i) => {
    const piece = clip(i < items.length - 1 ? `${item},` : item, WIDTH - indent);
    const sep = line.length === prefix.length || line.trim() === '' ? '' : ' ';
    if (line.length + sep.length + piece.length > WIDTH && line.trim() !== '' && line.length > indent) {
      lines.push(line);
      line = ' '.repeat(indent) + piece;
    } else {
      line += sep + piece;
    }
  });
  lines.push(line);
  return lines;
}

function headerLines(report: SocketsReport, options: SocketsTextOptions): string[] {
  const lines: string[] = [];
  const label = (name: string): string => name.padEnd(10);
  lines.push(paint(`wscap sockets  ${clock(report.at)}`, BOLD, options.color));
  lines.push(...wrapList(label('Host'), report.host.map(escapeTerminal), 10));
  lines.push(`${label('Port')}${report.port}`);
  if (report.addresses.length === 0) lines.push(`${label('Addresses')}none`);
  else lines.push(...wrapList(label('Addresses'), report.addresses.map(escapeTerminal), 10));
  lines.push(`${label('Process')}${report.pid === null ? 'any' : `pid ${report.pid} only`}`);
  if (report.healthReasons.length === 0) {
    lines.push(`${label('Health')}${paint('OK', markColors.ok, options.color)}    every connection ESTAB or TIME-WAIT`);
  }
  report.healthReasons.forEach((r, i) => {
    const what = r.state === null ? '' : `${r.count} ${r.state}: `;
    const level = paint(r.level.toUpperCase().padEnd(4), markColors[r.level], options.color);
    lines.push(`${label(i === 0 ? 'Health' : '')}${level}  ${clip(`${what}${r.message}`, WIDTH - 16)}`);
  });
  lines.push(`${label('States')}${stateList(report.byState, options, '  ')}  (${report.total} connection${report.total === 1 ? '' : 's'})`);
  const estab = report.byState.ESTAB ?? 0;
  const rest = report.estimatedSymbolsRemainder;
  const over = rest === 0 ? '' : `; ${rest} left over: a symbol missing intervals?`;
  lines.push(`${label('Symbols')}${report.estimatedSymbols} (${estab} ESTAB / ${report.perSymbol} per symbol${over})`);
  if (report.otherAddresses.sockets > 0) {
    const n = report.otherAddresses.sockets;
    const shown = report.otherAddresses.addresses.slice(0, 4);
    const more = report.otherAddresses.addresses.length - shown.length;
    lines.push(`${label('Note')}${n} other connection${n === 1 ? '' : 's'} to port ${report.port} at addresses not listed above`);
    lines.push(...wrapList(`${label('')}(an earlier DNS answer, or another service): `, more > 0 ? [...shown, `+${more} more`] : shown, 10));
  }
  return lines;
}

function processLines(report: SocketsReport, options: SocketsTextOptions): string[] {
  if (report.processes.length === 0 && report.unattributed === 0) return [];
  const nonZero = (byState: Record<string, number>): [string, number][] => Object.entries(byState).filter(([, n]) => n > 0);
  const unattributed: Record<string, number> = {};
  for (const s of report.sockets) if (s.processes.length === 0) unattributed[s.state] = (unattributed[s.state] ?? 0) + 1;
  const rows = [
    ...report.processes.map((p) => ({ pid: String(p.pid), conns: p.connections, states: nonZero(p.byState), command: escapeTerminal(p.command) })),
    ...(report.unattributed > 0 ? [{ pid: '-', conns: report.unattributed, states: nonZero(unattributed), command: '(no process: TIME-WAIT, or not visible)' }] : []),
  ];
  const plain = (states: [string, number][]): string => states.map(([s, n]) => `${s} ${n}`).join(', ');
  const statesW = Math.min(44, Math.max(6, ...rows.map((r) => plain(r.states).length)));
  const lines = ['', paint('Processes', BOLD, options.color), `${'PID'.padStart(8)}  ${'CONNS'.padStart(5)}  ${'STATES'.padEnd(statesW)}  COMMAND`];
  for (const r of rows) {
    const text = plain(r.states);
    const fits = text.length <= statesW;
    const states = fits ? r.states.map(([s, n]) => `${paint(s, stateColor(s), options.color)} ${n}`).join(', ') : clip(text, statesW);
    const padded = states + ' '.repeat(Math.max(0, statesW - Math.min(text.length, statesW)));
    const prefixWidth = 8 + 2 + 5 + 2 + statesW + 2;
    lines.push(`${r.pid.padStart(8)}  ${String(r.conns).padStart(5)}  ${padded}  ${clip(r.command, WIDTH - prefixWidth)}`);
  }
  return lines;
}

interface Column {
  title: string;
  right: boolean;
  cell: (s: ReportSocket) => string;
  /** Left out when no socket has anything to show in it. */
  optional?: (s: ReportSocket) => boolean;
}

function pidCell(s: ReportSocket): string {
  if (s.processes.length === 0) return '-';
  const pids = [...new Set(s.processes.map((p) => p.pid))];
  return pids.length === 1 ? String(pids[0]) : `${pids[0]}+${pids.length - 1}`;
}

function rttCell(ms: number | null): string {
  if (ms === null) return '-';
  return ms < 100 ? ms.toFixed(2) : ms.toFixed(0);
}

const metricColumns: Column[] = [
  { title: 'PID', right: true, cell: pidCell },
  { title: 'RTT ms', right: true, cell: (s) => rttCell(s.info.rttMs) },
  { title: 'SENT', right: true, cell: (s) => compactBytes(s.info.bytesSent) },
  { title: 'RECV', right: true, cell: (s) => compactBytes(s.info.bytesReceived) },
  { title: 'LAST RCV', right: true, cell: (s) => shortDuration(s.info.lastRcvMs) },
  { title: 'RECV-Q/SEND-Q', right: true, cell: (s) => `${compactBytes(s.recvQ)}/${compactBytes(s.sendQ)}`, optional: (s) => s.recvQ > 0 || s.sendQ > 0 },
  { title: 'TIMER', right: false, cell: (s) => shortTimer(s.timer), optional: (s) => s.timer !== null },
];

function pad(text: string, width: number, right: boolean): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function socketLines(report: SocketsReport, options: SocketsTextOptions): string[] {
  if (report.sockets.length === 0) return [];
  const lines = ['', paint('Connections', BOLD, options.color)];
  const columns = metricColumns.filter((c) => c.optional === undefined || report.sockets.some(c.optional));
  // Every peer is on the report's port: the PEER column shows the address only.
  const rows = report.sockets.map((s) => ({
    state: s.state,
    local: endpoint(s.local.ip, s.local.port),
    peer: s.peer.ip,
    metrics: columns.map((c) => c.cell(s)),
  }));
  const stateW = Math.max(5, ...rows.map((r) => r.state.length));
  const localW = Math.max(5, ...rows.map((r) => r.local.length));
  const peerW = Math.max(4, ...rows.map((r) => r.peer.length));
  const metricW = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => r.metrics[i].length)));
  const metricsOf = (cells: string[]): string => cells.map((cell, i) => pad(cell, metricW[i], columns[i].right)).join('  ').trimEnd();
  const metricsWidth = metricsOf(metricW.map((w) => 'x'.repeat(w))).length;
  // The addresses share a line with the numbers when everything fits; else they get a line each.
  const inline = stateW + 2 + localW + 2 + peerW + 2 + metricsWidth <= WIDTH;
  const titles = metricsOf(columns.map((c) => c.title));
  if (inline) {
    lines.push(`${pad('STATE', stateW, false)}  ${pad('LOCAL', localW, false)}  ${pad('PEER', peerW, false)}  ${titles}`);
  } else {
    lines.push(`${pad('STATE', stateW, false)}  ${titles}`);
    lines.push('  LOCAL -> PEER');
  }
  for (const r of rows) {
    const state = paint(r.state, stateColor(r.state), options.color) + ' '.repeat(stateW - r.state.length);
    const rest = inline ? `  ${pad(r.local, localW, false)}  ${pad(r.peer, peerW, false)}  ${metricsOf(r.metrics)}` : `  ${metricsOf(r.metrics)}`;
    lines.push(state + clip(rest, WIDTH - stateW));
    if (!inline) lines.push(clip(`  ${r.local} -> ${endpoint(r.peer, report.port)}`, WIDTH));
  }
  return lines;
}

/** The report as text for a terminal (≤ 100 columns, colour when asked). Ends with a newline. */
export function renderSocketsText(report: SocketsReport, options: SocketsTextOptions): string {
  const lines = [...headerLines(report, options), ...processLines(report, options), ...socketLines(report, options)];
  return `${lines.join('\n')}\n`;
}
