/**
 * \summary: one self-contained HTML file: verdict, anomalies, timeline, concurrency, summary,
 * capture details and a sortable connection table.
 *
 * Everything is inline (CSS, SVG, a small script); the page loads nothing, and its
 * Content-Security-Policy (`default-src 'none'`, the style and the script allowed by their
 * SHA-256) forbids any load and any other script, should a string ever slip through escaping.
 * Every string from the capture, a file name or the command line passes through `escapeHtml`.
 * A pure function of the report model, as the other renderers.
 */
import { createHash } from 'node:crypto';
import type { AnomalyReport, Report, Severity } from '../report/model.js';
import { linkTypeNames } from '../decode/link.js';
import { idRanges } from './text-diagnosis.js';
import { CSS, SCRIPT } from './html-assets.js';
import { END_CLASSES, captureSpan, esc, fixed, grouped, isoToEpoch, num, secs, utcClock, utcDateTime } from './html-format.js';
import { LANE_LIMIT, plotScale, renderConcurrency, renderTimeline } from './html-timeline.js';
import { TABLE_LIMIT, renderTable } from './html-table.js';

export interface HtmlOptions {
  /** One timeline lane per connection up to this many connections, then rows per host and end class (default 1,000). */
  laneLimit?: number;
  /** A plain table of every row up to this many connections, then tab-separated rows the script pages (default 1,000). */
  tableLimit?: number;
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

const SEVERITIES: Severity[] = ['fail', 'warn', 'info'];

function tally(report: Report): string {
  const parts = SEVERITIES.map((s) => [s, report.anomalies.filter((a) => a.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  return parts.length === 0 ? 'no anomalies' : parts.join(', ');
}

function banner(report: Report): string {
  const s = report.summary;
  const verdict = ['ok', 'warn', 'fail'].includes(s.verdict) ? s.verdict : 'fail';
  const t0 = isoToEpoch(report.capture.start);
  const span = t0 === null ? 'no packets' : `${utcDateTime(t0)}, ${secs(report.capture.durationS)} s`;
  const hosts = s.hosts.length === 1 ? esc(s.hosts[0].name) : `${s.hosts.length} hosts`;
  return [
    `<section class="banner v-${verdict}" id="verdict" data-verdict="${verdict}">`,
    `<span class="big">${verdict.toUpperCase()}</span>`,
    `<span>${esc(tally(report))}</span>`,
    `<span>${grouped(s.connections)} connection${s.connections === 1 ? '' : 's'} to ${hosts}; at most ${grouped(s.concurrency.max)} open at once, ${grouped(s.concurrency.atEnd)} at the end</span>`,
    `<span>${span}</span>`,
    '</section>',
  ].join('\n');
}

/** Escaped text with `quoted` commands shown as code (the hints quote commands that way). */
function withCode(text: string): string {
  return esc(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function anomalyRow(a: AnomalyReport): string {
  const sev = SEVERITIES.includes(a.severity) ? a.severity : 'info';
  const ids = a.connections.length === 0 ? '-' : `${grouped(a.count)}: ${esc(idRanges(a.connections, a.count))}`;
  return (
    `<tr class="s-${sev}" data-code="${esc(a.code)}" data-severity="${sev}">` +
    `<td><span class="sev sev-${sev}">${sev.toUpperCase()}</span></td>` +
    `<td class="mono">${esc(a.code)}</td>` +
    `<td>${ids}</td>` +
    `<td>${a.at === null ? '-' : `${utcClock(a.at)}`}</td>` +
    `<td>${withCode(a.message)}</td>` +
    `<td class="hint">${withCode(a.hint)}</td></tr>`
  );
}

function anomalies(report: Report): string {
  if (report.anomalies.length === 0) return '<p>No anomalies: nothing in the capture matched a rule (README, “Verdict and anomalies”).</p>';
  return [
    '<div class="scroll"><table class="anoms">',
    '<thead><tr><th scope="col">Severity</th><th scope="col">Code</th><th scope="col">Connections</th><th scope="col">First seen UTC</th><th scope="col">What happened</th><th scope="col">What to do</th></tr></thead>',
    '<tbody>',
    ...report.anomalies.map(anomalyRow),
    '</tbody></table></div>',
  ].join('\n');
}

function kv(rows: [string, string][]): string {
  return `<table class="kv">${rows.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${v}</td></tr>`).join('')}</table>`;
}

function chips(record: Partial<Record<string, number>>, classOf?: (key: string) => string): string {
  const entries = Object.entries(record).filter((e): e is [string, number] => e[1] !== undefined);
  if (entries.length === 0) return 'none';
  return `<ul class="chips">${entries.map(([k, v]) => `<li${classOf === undefined || classOf(k) === '' ? '' : ` class="${classOf(k)}"`}>${esc(k)} <b>${grouped(v)}</b></li>`).join('')}</ul>`;
}

/** A small bar: used of budget. */
function meter(used: number, budget: number): string {
  const w = 160;
  const share = budget > 0 ? Math.min(1, used / budget) : 0;
  return `<svg class="meter" width="${w}" height="10" aria-hidden="true"><rect class="track" x="0" y="1" width="${w}" height="8" rx="2"/><rect class="used${share >= 0.8 ? ' high' : ''}" x="0" y="1" width="${Math.round(share * w * 10) / 10}" height="8" rx="2"/></svg>`;
}

function summary(report: Report): string {
  const s = report.summary;
  const c = s.concurrency;
  const hostRows = s.hosts.map(
    (h) => `<tr><td>${esc(h.name)}</td><td>${esc(h.source)}</td><td class="mono">${h.addresses.map(esc).join(', ')}</td><td>${grouped(h.connections)}</td></tr>`,
  );
  const hosts =
    s.hosts.length === 0
      ? '<p>No hosts.</p>'
      : `<div class="scroll"><table><thead><tr><th scope="col">Host</th><th scope="col">Name from</th><th scope="col">Addresses</th><th scope="col">Connections</th></tr></thead><tbody>${hostRows.join('')}</tbody></table></div>`;
  const expected =
    s.expected === null
      ? `not given (--symbols / --expect); estimate ${s.symbolsEstimate.symbols} symbol(s) = ${s.symbolsEstimate.established} ESTAB at the end ÷ ${s.symbolsEstimate.perSymbol}`
      : `${grouped(s.expected.connections)}${s.expected.symbols === null ? '' : ` (${s.expected.symbols} symbols × ${s.expected.perSymbol})`}${c.max < s.expected.connections ? ' <span class="bad">more than were ever open at once</span>' : ''}`;
  const r = s.reconnects;
  const reconnects = r.count === 0 ? '0' : `${grouped(r.count)}; close → new SYN ${fixed(r.delayS.min, 3)}–${fixed(r.delayS.max, 3)} s (median ${fixed(r.delayS.median, 3)} s)`;
  const a = s.attempts;
  const attempts = `${grouped(a.max)} of ${grouped(a.budget)} per ${secs(a.windowS / 60).replace(/\.0+$/, '')} min ${meter(a.max, a.budget)}${a.at === null ? '' : ` busiest window from ${utcClock(a.at)} UTC`}`;
  const classOf = (k: string): string => (END_CLASSES.some((e) => e.key === k) ? `e-${k}` : '');
  return [
    kv([
      ['Connections', grouped(s.connections)],
      ['Open at once', `max ${grouped(c.max)}${c.maxAt === null ? '' : ` at ${utcClock(c.maxAt)} UTC`}, ${grouped(c.atEnd)} at the end`],
      ['Expected', expected],
      ['Reconnects', reconnects],
      ['Attempts', attempts],
      ['Client state at the end', chips(s.byClientState)],
      ['Close kind', chips(s.byCloseKind, classOf)],
    ]),
    '<h3>Hosts</h3>',
    hosts,
  ].join('\n');
}

function capture(report: Report): string {
  const cap = report.capture;
  const t0 = isoToEpoch(cap.start);
  const t1 = isoToEpoch(cap.end);
  const span = t0 === null || t1 === null ? 'no packets' : `${utcDateTime(t0)} → ${utcDateTime(t1)} (${secs(cap.durationS)} s)`;
  const packets = `${grouped(cap.packets)} read, ${grouped(cap.tcpPackets)} TCP; not analysed: ${grouped(cap.nonTcpPackets)} non-TCP, ${grouped(cap.truncatedPackets)} truncated, ${grouped(cap.fragmentPackets)} fragments, ${grouped(cap.invalidPackets)} invalid`;
  const files = cap.files.map((f) => {
    const links = f.linkTypes.map((t) => esc(linkTypeNames[t] ?? `linktype ${Number(t)}`)).join(', ');
    return `<tr><td class="mono">${esc(f.path)}</td><td>${esc(f.format)}${f.isGzip ? ' (gzip)' : ''}</td><td>${links}</td><td>${esc(f.timestampPrecision)}</td><td>${f.snaplen === null ? '-' : num(f.snaplen)}</td><td>${grouped(f.packets)}</td></tr>`;
  });
  const out = [
    kv([
      ['Span', span],
      ['Packets', packets],
    ]),
    '<h3>Files</h3>',
    `<div class="scroll"><table><thead><tr><th scope="col">File</th><th scope="col">Format</th><th scope="col">Link types</th><th scope="col">Timestamps</th><th scope="col">Snap length</th><th scope="col">Packets</th></tr></thead><tbody>${files.join('')}</tbody></table></div>`,
  ];
  const rec = cap.recording;
  if (rec !== null) {
    const n = (v: number | null): string => (v === null ? 'unknown' : grouped(v));
    const dropped = rec.droppedByKernel === null ? 'unknown' : rec.droppedByKernel > 0 ? `<span class="bad">${grouped(rec.droppedByKernel)}</span>` : '0';
    out.push(
      '<h3>Recording</h3>',
      kv([
        ['Recorded by', `${esc(rec.generator)}${rec.tcpdumpVersion === null ? '' : `, tcpdump ${esc(rec.tcpdumpVersion)}`}`],
        ['Interface', `${esc(rec.interface)}, snap length ${num(rec.snaplen)}`],
        ['Filter' + (rec.filters.length === 1 ? '' : 's'), `${rec.filters.map((f) => `<code>${esc(f)}</code>`).join('<br>')}${rec.isUserFilter ? ' (given by the user: address changes not followed)' : ''}`],
        ['Hosts', rec.hosts.map(esc).join(', ') || '-'],
        ['Addresses covered', rec.coveredAddresses.map((c) => `${esc(c.address)} from ${utcClock(c.from)}`).join(', ') || '-'],
        ['tcpdump counts', `${n(rec.captured)} captured, ${n(rec.receivedByFilter)} received by filter, ${dropped} dropped by kernel`],
        ['Stopped by', esc(rec.stopReason ?? 'unknown')],
        ['Socket snapshots', grouped(rec.socketSnapshots)],
        ['Metadata', `<span class="mono">${esc(rec.metadataPath)}</span>`],
      ]),
    );
  }
  if (cap.warnings.length > 0) {
    out.push(
      '<h3>Warnings</h3>',
      `<ul class="warnings">${cap.warnings
        .map((w) => `<li data-code="${esc(w.code)}"><b>${esc(w.code)}</b>: ${w.file === null ? '' : `<span class="mono">${esc(w.file)}</span>${w.offset === null ? '' : ` at byte ${num(w.offset)}`}: `}${esc(w.message)}</li>`)
        .join('')}</ul>`,
    );
  }
  return out.join('\n');
}

export function renderHtml(report: Report, options: HtmlOptions = {}): string {
  const laneLimit = options.laneLimit ?? LANE_LIMIT;
  const { t0, t1 } = captureSpan(report);
  const scale = plotScale(t0, t1);
  const table = renderTable(report, options.tableLimit ?? TABLE_LIMIT);
  const css = `${CSS}${table.css}\n`;
  const csp = `default-src 'none'; style-src ${sha256(css)}; script-src ${sha256(SCRIPT)}; img-src 'none'; base-uri 'none'; form-action 'none'`;
  const first = report.capture.files[0]?.path ?? 'no file';
  const more = report.capture.files.length > 1 ? ` (+${report.capture.files.length - 1})` : '';
  const title = `wscap report: ${first}${more}: ${String(report.summary.verdict).toUpperCase()}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<meta name="generator" content="${esc(report.generator)}">`,
    `<title>${esc(title)}</title>`,
    `<style>${css}</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<header><h1>WebSocket connections report</h1><p class="muted">${report.capture.files.map((f) => `<span class="mono">${esc(f.path)}</span>`).join(', ') || 'no files'} · ${esc(report.generator)} · times in UTC</p></header>`,
    banner(report),
    '<nav class="toc"><a href="#anomalies">Anomalies</a><a href="#timeline">Timeline</a><a href="#concurrency">Open over time</a><a href="#summary">Summary</a><a href="#capture">Capture</a><a href="#connections">Connections</a></nav>',
    `<section id="anomalies"><h2>Anomalies (${report.anomalies.length})</h2>`,
    anomalies(report),
    '</section>',
    `<section id="timeline"><h2>Timeline</h2>`,
    renderTimeline(report, scale, laneLimit),
    '</section>',
    `<section id="concurrency"><h2>Connections open over time</h2>`,
    renderConcurrency(report, scale),
    '</section>',
    `<section id="summary"><h2>Summary</h2>`,
    summary(report),
    '</section>',
    `<section id="capture"><h2>Capture</h2>`,
    capture(report),
    '</section>',
    `<section id="connections"><h2>Connections (${grouped(report.connections.length)})</h2>`,
    table.html,
    '</section>',
    `<footer>Made by ${esc(report.generator)} from packet headers only (TCP, TLS record headers, the cleartext handshake); times are UTC. This file loads nothing from the network.</footer>`,
    '</main>',
    `<script>${SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
