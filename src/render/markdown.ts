/**
 * \summary: Markdown renderer (GitHub / GitLab flavoured), for incident tickets.
 *
 * Paste-ready: the verdict, the anomalies table, the summary, the capture details, then one row
 * per connection. Every string that comes from a capture, a file, the recording's metadata or a
 * message that quotes one passes through escapeMarkdown; numbers, enums, anomaly and warning
 * codes, link-type names and other fixed words are written as they are.
 * No line starts with capture text (each is after a fixed word or a table pipe).
 */
import { utcClock, utcDateTime, utcIsoMs } from '../report/time.js';
import type { AnomalyReport, ConnectionReport, EndpointAddress, Report, Severity } from '../report/model.js';
import { linkTypeNames } from '../decode/link.js';
import { escapeMarkdown as md } from './escape.js';
import { idRanges } from './text-diagnosis.js';
import { compactCount } from './text.js';
import { markdownTable } from './markdown-table.js';

/** At most this many hosts are listed one by one in the summary. */
const MAX_HOSTS = 20;

export function renderMarkdown(report: Report): string {
  const when = clockFor(report);
  const out: string[] = [`# ${md(report.generator)} report`, '', verdictLine(report), ''];
  out.push('## Anomalies', '');
  if (report.anomalies.length === 0) out.push('No anomalies.');
  else out.push(...anomalyTable(report.anomalies, when));
  out.push('', '## Summary', '', ...summaryLines(report, when));
  out.push('', '## Capture', '', ...captureLines(report));
  out.push('', '## Connections', '');
  if (report.connections.length === 0) out.push('No connections.');
  else out.push(...connectionTable(report, when), '', ...legend());
  return `${out.join('\n')}\n`;
}

/** `**Verdict: FAIL** — 1 fail, 2 warn` */
function verdictLine(report: Report): string {
  const bySeverity = (sev: Severity): number => report.anomalies.filter((a) => a.severity === sev).length;
  const tally = (['fail', 'warn', 'info'] as Severity[]).filter((sev) => bySeverity(sev) > 0).map((sev) => `${bySeverity(sev)} ${sev}`);
  return `**Verdict: ${report.summary.verdict.toUpperCase()}** — ${tally.length > 0 ? tally.join(', ') : 'no anomalies'}`;
}

function anomalyTable(anomalies: AnomalyReport[], when: (t: number) => string): string[] {
  const rows = anomalies.map((a) => [
    a.severity.toUpperCase(),
    a.code,
    a.connections.length > 0 ? md(idRanges(a.connections, a.count)) : '-',
    a.at === null ? '-' : when(a.at),
    md(a.message),
    md(a.hint),
  ]);
  return markdownTable(['severity', 'code', 'connections', 'when (UTC)', 'what happened', 'hint'], rows, `${anomalies.length} anomalies`);
}

function summaryLines(report: Report, when: (t: number) => string): string[] {
  const s = report.summary;
  const out: string[] = [];
  out.push(`- **Hosts:** ${s.hosts.length === 0 ? 'none' : s.hosts.length}`);
  for (const h of s.hosts.slice(0, MAX_HOSTS)) {
    // A host known only by its address is named by it: saying the address twice tells nothing.
    const where = h.source === 'address'
      ? ' (no server name)'
      : `${h.source === 'dns' ? ' (name from DNS)' : ''}${h.addresses.length > 0 ? ` at ${h.addresses.map(md).join(', ')}` : ''}`;
    out.push(`  - ${plural(h.connections, 'connection')} to ${md(h.name)}${where}`);
  }
  if (s.hosts.length > MAX_HOSTS) out.push(`  - and ${s.hosts.length - MAX_HOSTS} more hosts`);
  const c = s.concurrency;
  out.push(`- **Open at once:** max ${c.max}${c.maxAt === null ? '' : ` at ${when(c.maxAt)}`}; ${c.atEnd} open at the end`);
  if (s.expected !== null) {
    const e = s.expected;
    out.push(`- **Expected:** ${plural(e.connections, 'connection')}${e.symbols === null ? '' : ` (${e.symbols} symbols × ${e.perSymbol} per symbol)`}`);
  } else {
    const e = s.symbolsEstimate;
    out.push(`- **Estimate (the guide's):** ${e.symbols} symbol(s) = ${e.established} ESTAB at the end ÷ ${e.perSymbol} per symbol`);
  }
  const r = s.reconnects;
  const d = r.delayS;
  const delays = r.count === 0 || d.min === null || d.median === null || d.max === null
    ? ''
    : `; close → new SYN min ${d.min.toFixed(3)} s, median ${d.median.toFixed(3)} s, max ${d.max.toFixed(3)} s`;
  out.push(`- **Reconnects:** ${r.count}${delays}`);
  const a = s.attempts;
  const share = a.budget > 0 ? `, ${Math.round((a.max / a.budget) * 100)} % of` : ' against';
  out.push(`- **Attempts:** at most ${a.max} in the busiest ${minutes(a.windowS)}${a.at === null ? '' : ` (from ${when(a.at)})`}${share} Binance's budget of ${a.budget} per 5 minutes per IP`);
  out.push(`- **Client state:** ${counts(s.byClientState)}`);
  out.push(`- **Close kind:** ${counts(s.byCloseKind)}`);
  return out;
}

function captureLines(report: Report): string[] {
  const cap = report.capture;
  const out: string[] = [`- **Files:** ${cap.files.length}`];
  for (const f of cap.files) {
    const links = f.linkTypes.map((t) => linkTypeNames[t] ?? `linktype ${t}`).join(', ');
    const snaplen = f.snaplen === null ? 'no snaplen' : `snaplen ${f.snaplen}`;
    out.push(`  - file ${md(f.path)}: ${f.format}${f.isGzip ? ' (gzip)' : ''}, ${links}, ${f.timestampPrecision} timestamps, ${snaplen}, ${plural(f.packets, 'packet')}`);
  }
  out.push(
    cap.start === null || cap.end === null
      ? '- **Time span:** no packets'
      : `- **Time span:** ${isoTime(cap.start)} to ${isoTime(cap.end)} (${cap.durationS.toFixed(3)} s)`,
  );
  const skipped = cap.nonTcpPackets + cap.truncatedPackets + cap.fragmentPackets + cap.invalidPackets;
  const notAnalysed = skipped === 0
    ? ''
    : `; not analysed: ${cap.nonTcpPackets} non-TCP, ${cap.truncatedPackets} truncated, ${cap.fragmentPackets} fragments, ${cap.invalidPackets} invalid`;
  out.push(`- **Packets:** ${cap.packets} read, ${cap.tcpPackets} TCP${notAnalysed}`);
  if (cap.recording !== null) out.push(...recordingLines(cap.recording));
  out.push(`- **Warnings:** ${cap.warnings.length === 0 ? 'none' : cap.warnings.length}`);
  for (const w of cap.warnings) {
    const where = w.file === null ? '' : ` in ${md(w.file)}${w.offset === null ? '' : ` at byte offset ${w.offset}`}`;
    out.push(`  - warning ${w.code}${where}: ${md(w.message)}`);
  }
  return out;
}

function recordingLines(r: NonNullable<Report['capture']['recording']>): string[] {
  const n = (v: number | null): string => (v === null ? '?' : String(v));
  const out = [
    `- **Recording:** by ${md(r.generator)} on interface ${md(r.interface)}, tcpdump ${r.tcpdumpVersion === null ? '?' : md(r.tcpdumpVersion)}, snaplen ${r.snaplen}; stop: ${r.stopReason === null ? '?' : md(r.stopReason)}`,
    `  - tcpdump counts: ${n(r.captured)} captured, ${n(r.receivedByFilter)} received by filter, ${n(r.droppedByKernel)} dropped by kernel`,
  ];
  for (const f of r.filters) out.push(`  - ${r.isUserFilter ? 'user filter' : 'filter'}: ${md(f)}`);
  if (r.hosts.length > 0) out.push(`  - hosts: ${r.hosts.map(md).join(', ')}`);
  for (const a of r.coveredAddresses) out.push(`  - address ${md(a.address)} captured from ${utcIsoMs(a.from)}`);
  out.push(`  - metadata: ${md(r.metadataPath)}, ${plural(r.socketSnapshots, 'socket snapshot')}`);
  return out;
}

function connectionTable(report: Report, when: (t: number) => string): string[] {
  const cutSnaplen = report.connections.find((c) => c.tls.sniStatus === 'cut')?.tls.snaplen ?? null;
  const rows = report.connections.map((c) => [
    c.id,
    endpoint(c.client),
    serverName(c, cutSnaplen),
    when(c.start),
    c.durationS.toFixed(3),
    `${shortMs(c.handshake.synToSynAckMs)} / ${shortMs(c.handshake.tlsMs)}`,
    c.server2client.maxDataSilenceS === null ? '-' : c.server2client.maxDataSilenceS.toFixed(1),
    health(c),
    c.close.initiator === null ? c.close.kind : `${c.close.kind} / ${c.close.initiator}`,
    wsCloser(c),
    c.clientState,
  ]);
  const header = ['id', 'client', 'server name', 'start (UTC)', 'duration s', 'TCP / TLS ms', 'longest silence s', 'TCP health', 'close', 'WebSocket closer', 'client state'];
  return markdownTable(header, rows, `${report.connections.length} connections`, new Set([4, 5, 6]));
}

function legend(): string[] {
  return [
    'Server name: the SNI the client sent (no SNI: its ClientHello had none; -: no ClientHello in the',
    'capture). TCP / TLS ms: SYN → SYN-ACK / ClientHello → ServerHello. Longest silence: the longest time the',
    'server sent no data-size record (- when its records could not be followed). TCP health:',
    'R retransmissions, D duplicate ACKs, Z zero windows over both directions (Wireshark definitions).',
    'Close: how it ended / who sent the first FIN or RST. WebSocket closer: the side that sent the',
    'first closing record. Client state: the client socket as ss would show it when the capture ended.',
  ];
}

/** The server name (SNI), or what stands in for a missing one. */
function serverName(c: ConnectionReport, cutSnaplen: number | null): string {
  if (c.sni !== null) return md(c.sni);
  switch (c.tls.sniStatus) {
    case 'cut':
      return `SNI unavailable (snaplen ${c.tls.snaplen ?? cutSnaplen ?? '?'})`;
    case 'absent':
      return 'no SNI';
    default:
      return '-';
  }
}

/** "server", "server (no close frame)" when only close_notify-size records closed it, or "-". */
function wsCloser(c: ConnectionReport): string {
  if (c.close.wsInitiator === null) return '-';
  return c.close.wsCloseFrame === false ? `${c.close.wsInitiator} (no close frame)` : c.close.wsInitiator;
}

/** Retransmissions, duplicate ACKs and zero windows over both directions: "R3 D5 Z1", or "ok". */
function health(c: ConnectionReport): string {
  const r = c.client2server.retransmissions + c.server2client.retransmissions;
  const d = c.client2server.dupAcks + c.server2client.dupAcks;
  const z = c.client2server.zeroWindows + c.server2client.zeroWindows;
  const parts = [r > 0 ? `R${compactCount(r)}` : '', d > 0 ? `D${compactCount(d)}` : '', z > 0 ? `Z${compactCount(z)}` : ''].filter((p) => p !== '');
  return parts.length === 0 ? 'ok' : parts.join(' ');
}

function endpoint(e: EndpointAddress): string {
  return md(e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`);
}

/** Milliseconds in at most 5 characters: 0.05, 12.3, 1234, 12.3k. */
function shortMs(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 10) return ms.toFixed(2);
  if (ms < 1000) return ms.toFixed(1);
  return compactCount(Math.round(ms));
}

/**
 * Times of day with milliseconds, UTC; with the date too when the capture spans more than one
 * UTC day (the date is in the capture's time span).
 */
function clockFor(report: Report): (t: number) => string {
  const { start, end } = report.capture;
  const oneDay = start !== null && end !== null && start.slice(0, 10) === end.slice(0, 10);
  return (t) => (oneDay ? utcClock(t, 3) : utcDateTime(t));
}

function minutes(s: number): string {
  return s % 60 === 0 ? `${s / 60} minutes` : `${s} s`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** An ISO time as wscap writes it, as it is (escaped if it is anything else). */
function isoTime(s: string): string {
  return /^[0-9T:.Z-]+$/.test(s) ? s : md(s);
}

/** "CLOSE-WAIT 7, TIME-WAIT 2" (enum keys and counts). */
function counts(record: Partial<Record<string, number>>): string {
  const parts = Object.entries(record).map(([k, v]) => `${k} ${v}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}
