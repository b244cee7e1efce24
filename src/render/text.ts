/**
 * \summary: text renderer for a person at a terminal: capture summary, counts, one row per connection.
 *
 * Fits 100 columns for IPv4 clients. Colour only when asked (the CLI asks on a TTY without NO_COLOR).
 */
import type { ConnectionReport, Report } from '../report/model.js';
import { linkTypeNames } from '../decode/link.js';
import { escapeTerminal } from './escape.js';
import { BOLD, DIM, YELLOW, paint, stateColors } from './ansi.js';
import { diagnosisLines } from './text-diagnosis.js';
import { utcClock } from '../report/time.js';

export interface TextOptions {
  color: boolean;
  /** One more line per connection: TLS, records, RTT, packets and bytes (--details / --verbose). */
  details?: boolean;
}

/** Column layout: header, width, right-aligned. Fits 100 columns for IPv4 clients. */
const columns: [string, number, boolean][] = [
  ['ID', 5, false],
  ['CLIENT', 21, false],
  ['START', 8, false],
  ['DUR s', 8, true],
  ['TCP/TLS ms', 11, true],
  ['SILENT s', 8, true],
  ['TCP HEALTH', 10, false],
  ['CLOSE', 10, false],
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
  return utcClock(t, 0);
}

function fixed(n: number | null, digits: number): string {
  return n === null ? '-' : n.toFixed(digits);
}

/** Milliseconds in at most 5 characters: 0.05, 12.3, 1234. */
function shortMs(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 10) return ms.toFixed(2);
  if (ms < 1000) return ms.toFixed(1);
  return compactCount(Math.round(ms));
}

/** Retransmissions, duplicate ACKs and zero windows over both directions: "R3 D5 Z1", or "ok". */
function healthCell(c: ConnectionReport): string {
  const r = c.client2server.retransmissions + c.server2client.retransmissions;
  const d = c.client2server.dupAcks + c.server2client.dupAcks;
  const z = c.client2server.zeroWindows + c.server2client.zeroWindows;
  const parts = [r > 0 ? `R${compactCount(r)}` : '', d > 0 ? `D${compactCount(d)}` : '', z > 0 ? `Z${compactCount(z)}` : ''];
  const text = parts.filter((p) => p !== '').join(' ');
  return text === '' ? 'ok' : text;
}

function closeCell(c: ConnectionReport): string {
  return c.close.initiator ? `${c.close.kind}/${c.close.initiator}` : c.close.kind;
}

function connectionRow(c: ConnectionReport, options: TextOptions): string {
  const client = c.client.ip.includes(':') ? `[${c.client.ip}]:${c.client.port}` : `${c.client.ip}:${c.client.port}`;
  const silence = c.server2client.maxDataSilenceS;
  const cells = [
    c.id,
    client,
    clock(c.start),
    c.durationS.toFixed(2),
    `${shortMs(c.handshake.synToSynAckMs)}/${shortMs(c.handshake.tlsMs)}`,
    silence === null ? '-' : silence.toFixed(1),
    healthCell(c),
    closeCell(c),
    c.clientState,
  ];
  const text = cells.map((cell, i) => pad(cell, columns[i][1], columns[i][2])).join(' ').trimEnd();
  const stateAt = text.lastIndexOf(c.clientState);
  return text.slice(0, stateAt) + paint(c.clientState, stateColors[c.clientState], options.color);
}

function records(r: { control: number; data: number } | null): string {
  return r === null ? 'not followed' : `${r.control} control, ${r.data} data`;
}

function rtt(r: ConnectionReport['client2server']['rttMs']): string {
  return r.samples === 0 ? '-' : `${fixed(r.min, 3)}/${fixed(r.median, 3)}/${fixed(r.max, 3)} ms (${r.samples})`;
}

function health(d: ConnectionReport['client2server']): string {
  return [
    `rtx ${d.retransmissions}`,
    `ooo ${d.outOfOrder}`,
    `lost ${d.lostSegments}`,
    `dupack ${d.dupAcks}`,
    `zwin ${d.zeroWindows}`,
    `zprobe ${d.zeroWindowProbes}`,
    `keepalive ${d.keepAlives}`,
  ].join(' ');
}

/** The --details lines under a row: everything the row leaves out, one topic per line. */
function detailLines(c: ConnectionReport, snaplenNote: string): string[] {
  const tls = c.tls;
  const sni = c.sni !== null ? escapeTerminal(c.sni) : tls.sniStatus === 'cut' ? snaplenNote : `(${tls.sniStatus})`;
  const alpn = c.alpn !== null ? escapeTerminal(c.alpn) : tls.alpnOffered === null ? '-' : `none of ${tls.alpnOffered.map(escapeTerminal).join(',')}`;
  const lines = [
    `sni ${sni}, ${c.tlsVersion ?? 'TLS version unknown'}, alpn ${alpn}; TLS ${shortMs(c.handshake.tlsMs)} ms, first server data ${shortMs(c.handshake.firstServerDataMs)} ms after SYN`,
    `> ${compactCount(c.client2server.packets)} pkts ${compactCount(c.client2server.bytes)} B, records ${records(c.client2server.records)} (${tls.recordTracking.client2server}), rtt ${rtt(c.client2server.rttMs)}`,
    `< ${compactCount(c.server2client.packets)} pkts ${compactCount(c.server2client.bytes)} B, records ${records(c.server2client.records)} (${tls.recordTracking.server2client}), rtt ${rtt(c.server2client.rttMs)}`,
    `> ${health(c.client2server)}`,
    `< ${health(c.server2client)}`,
  ];
  const silence = c.server2client.maxDataSilenceS;
  const closeParts = [`close ${closeCell(c)}`, `websocket close by ${c.close.wsInitiator ?? '-'}`];
  if (silence !== null && c.server2client.maxDataSilenceAt !== null) closeParts.push(`longest server data silence ${silence.toFixed(3)} s from ${clock(c.server2client.maxDataSilenceAt)}`);
  lines.push(closeParts.join(', '));
  for (const a of tls.alerts) lines.push(`TLS alert from ${a.from}: ${a.name ?? a.description} (level ${a.level}) at ${clock(a.at)}`);
  return lines.map((l) => `      ${l}`);
}

/** The server names of a group of connections: "fstream.binance.com", or what stands in for a missing one. */
function serverNames(rows: ConnectionReport[], snaplenNote: string): string {
  const names = new Set<string>();
  for (const c of rows) {
    if (c.sni !== null) names.add(escapeTerminal(c.sni));
    else if (c.tls.sniStatus === 'cut') names.add(snaplenNote);
    else if (c.tls.sniStatus === 'absent') names.add('no SNI');
  }
  return [...names].join(', ');
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
  out.push(...diagnosisLines(report, options.color));
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
  const cutSnaplen = report.connections.find((c) => c.tls.sniStatus === 'cut')?.tls.snaplen ?? null;
  const snaplenNote = `SNI unavailable (snaplen ${cutSnaplen ?? '?'})`;
  for (const [server, rows] of byServer) {
    out.push('');
    const names = serverNames(rows, snaplenNote);
    out.push(paint(`Server ${server}${names === '' ? '' : ` (${names})`}: ${rows.length} connection${rows.length === 1 ? '' : 's'}`, BOLD, options.color));
    const owners = processSummary(rows);
    if (owners !== '') out.push(`processes: ${owners}`);
    out.push(paint(columns.map(([name, width, right]) => pad(name, width, right)).join(' ').trimEnd(), DIM, options.color));
    for (const c of rows) {
      out.push(connectionRow(c, options));
      if (options.details) out.push(...detailLines(c, snaplenNote));
    }
  }
  out.push('');
  out.push(paint('START is UTC. TCP/TLS ms = SYN to SYN-ACK / ClientHello to ServerHello. SILENT s = longest', DIM, options.color));
  out.push(paint('time with no data-size record from the server. TCP HEALTH: R retransmissions, D duplicate', DIM, options.color));
  out.push(paint('ACKs, Z zero windows (both directions; Wireshark definitions).', DIM, options.color));
  out.push(paint('CLOSE = how it ended / who sent the first FIN or RST. STATE = the client socket as ss shows it.', DIM, options.color));
  if (!options.details) out.push(paint('--details adds TLS, records, RTT and per-direction counts under each row.', DIM, options.color));
  return `${out.join('\n')}\n`;
}
