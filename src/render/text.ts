/**
 * \summary: text renderer for a person at a terminal: capture summary, counts, one row per connection.
 *
 * Fits 100 columns for IPv4 clients. Colour only when asked (the CLI asks on a TTY without NO_COLOR).
 */
import type { ConnectionReport, Report } from '../report/model.js';
import { linkTypeNames } from '../decode/link.js';
import { escapeTerminal } from './escape.js';
import { BOLD, DIM, YELLOW, paint, stateColors } from './ansi.js';

export interface TextOptions {
  color: boolean;
}



/** Column layout: header, width, right-aligned. */
const columns: [string, number, boolean][] = [
  ['ID', 4, false],
  ['CLIENT', 21, false],
  ['START', 8, false],
  ['DUR s', 8, true],
  ['HS ms', 7, true],
  ['PKTS >/<', 9, true],
  ['BYTES >/<', 11, true],
  ['CLOSE', 14, false],
  ['STATE', 10, false],
];

function pad(text: string, width: number, right: boolean): string {
  return right ? text.padStart(width) : text.padEnd(width);
}


/** 1234 → "1234", 12345 → "12.3k", 1234567 → "1.2M". */
export function compactCount(n: number): string {
  if (n < 10000) return String(n);
  if (n < 1e6) return `${(n / 1e3).toFixed(1)}k`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)}M`;
  return `${(n / 1e9).toFixed(1)}G`;
}

function clock(t: number): string {
  return new Date(Math.floor(t) * 1000).toISOString().slice(11, 19);
}

function fixed(n: number | null, digits: number): string {
  return n === null ? '-' : n.toFixed(digits);
}

function connectionRow(c: ConnectionReport, options: TextOptions): string {
  const client = c.client.ip.includes(':') ? `[${c.client.ip}]:${c.client.port}` : `${c.client.ip}:${c.client.port}`;
  const close = c.close.initiator ? `${c.close.kind}/${c.close.initiator}` : c.close.kind;
  const cells = [
    c.id,
    client,
    clock(c.start),
    c.durationS.toFixed(2),
    fixed(c.handshake.synToSynAckMs, 2),
    `${compactCount(c.client2server.packets)}/${compactCount(c.server2client.packets)}`,
    `${compactCount(c.client2server.bytes)}/${compactCount(c.server2client.bytes)}`,
    close,
    c.clientState,
  ];
  const text = cells.map((cell, i) => pad(cell, columns[i][1], columns[i][2])).join(' ').trimEnd();
  const stateAt = text.lastIndexOf(c.clientState);
  return text.slice(0, stateAt) + paint(c.clientState, stateColors[c.clientState], options.color);
}

/** "python (pid 12345): 7, unknown: 2" — who owned the connections (names escaped: a process names itself). */
function processSummary(rows: ConnectionReport[]): string {
  const byOwner = new Map<string, number>();
  for (const c of rows) {
    const key = c.process === null ? 'unknown' : `${escapeTerminal(c.process.command)} (pid ${c.process.pid})`;
    byOwner.set(key, (byOwner.get(key) ?? 0) + 1);
  }
  if (byOwner.size === 1 && byOwner.has('unknown')) return '';
  return [...byOwner].map(([k, v]) => `${k}: ${v}`).join(', ');
}

function counts(record: Partial<Record<string, number>>): string {
  const parts = Object.entries(record).map(([k, v]) => `${k} ${v}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

export function renderText(report: Report, options: TextOptions): string {
  const out: string[] = [];
  const cap = report.capture;
  out.push(paint(`${report.generator} report`, BOLD, options.color));
  out.push(
    cap.start === null
      ? `Capture: ${cap.packets} packets`
      : `Capture: ${cap.start} to ${cap.end} (${cap.durationS.toFixed(3)} s), ${cap.packets} packets, ${cap.tcpPackets} TCP`,
  );
  for (const f of cap.files) {
    const links = f.linkTypes.map((t) => linkTypeNames[t] ?? `linktype ${t}`).join(',');
    out.push(`  ${escapeTerminal(f.path)}: ${f.format}${f.isGzip ? '.gz' : ''}, ${links}, ${f.timestampPrecision} timestamps, ${f.packets} packets`);
  }
  if (cap.recording !== null) {
    const r = cap.recording;
    const n = (v: number | null): string => (v === null ? '?' : String(v));
    out.push(`  recorded by ${escapeTerminal(r.generator)} on ${escapeTerminal(r.interface)}: tcpdump ${n(r.captured)} captured, ${n(r.droppedByKernel)} dropped by kernel; stop: ${escapeTerminal(r.stopReason ?? '?')}`);
  }
  const skipped = cap.nonTcpPackets + cap.truncatedPackets + cap.fragmentPackets + cap.invalidPackets;
  if (skipped > 0) {
    out.push(
      `  not analysed: ${cap.nonTcpPackets} non-TCP, ${cap.truncatedPackets} truncated, ${cap.fragmentPackets} fragments, ${cap.invalidPackets} invalid`,
    );
  }
  for (const w of cap.warnings) {
    const where = w.file === null ? '' : `${escapeTerminal(w.file)}: `;
    out.push(paint(`  warning: ${where}${escapeTerminal(w.message)}`, YELLOW, options.color));
  }
  out.push('');
  const s = report.summary;
  out.push(`Connections: ${s.connections}`);
  out.push(`  client state: ${counts(s.byClientState)}`);
  out.push(`  close:        ${counts(s.byCloseKind)}`);

  // Group rows by server: an agent talks to few servers, so the address is said once per group.
  const byServer = new Map<string, ConnectionReport[]>();
  for (const c of report.connections) {
    const key = c.server.ip.includes(':') ? `[${c.server.ip}]:${c.server.port}` : `${c.server.ip}:${c.server.port}`;
    const group = byServer.get(key);
    if (group) group.push(c);
    else byServer.set(key, [c]);
  }
  for (const [server, rows] of byServer) {
    out.push('');
    out.push(paint(`Server ${server}: ${rows.length} connection${rows.length === 1 ? '' : 's'}`, BOLD, options.color));
    const owners = processSummary(rows);
    if (owners !== '') out.push(`processes: ${owners}`);
    out.push(paint(columns.map(([name, width, right]) => pad(name, width, right)).join(' ').trimEnd(), DIM, options.color));
    for (const c of rows) out.push(connectionRow(c, options));
  }
  out.push('');
  out.push(paint('START is UTC. HS ms = SYN to SYN-ACK. > client to server, < server to client.', DIM, options.color));
  out.push(paint('CLOSE = how it ended / who sent the first FIN or RST. STATE = the client socket as ss shows it.', DIM, options.color));
  return `${out.join('\n')}\n`;
}
