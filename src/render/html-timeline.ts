/**
 * \summary: the HTML report's timeline: one lane per connection (start → first FIN/RST), grouped
 * by host, coloured by how it ended, with marks for the first retransmission, the first zero
 * window, the longest server data silence and the reset; above `laneLimit` connections, one row
 * per host and end class showing how many of them were open over time, with the marks counted.
 *
 * Inline SVG only. Lanes are cut into blocks of at most BLOCK_PX pixels, each its own <svg>, so a
 * printed page breaks between blocks, not through a lane. Every lane and mark carries data
 * attributes (`data-id`, `data-end`, `data-mark`, `data-t` …) with the report's exact values.
 */
import type { ConnectionReport, Report } from '../report/model.js';
import {
  END_CLASSES,
  anomaliesById,
  countTicks,
  endClass,
  endpoint,
  esc,
  fixed,
  groupByHost,
  grouped,
  laneStop,
  ms,
  num,
  px,
  secs,
  timeTicks,
  utcClock,
  xOf,
  type EndClass,
  type HostGroup,
  type TimeScale,
} from './html-format.js';

/** Width of every chart (SVG user units = CSS pixels at full size; scaled down to fit). */
export const CHART_W = 1100;
/** Left margin for lane labels and the count axis; the plot starts here in every chart. */
const PLOT_X0 = 72;
const PLOT_X1 = CHART_W - 16;
/** Default: one lane per connection up to this many connections, then aggregated rows. */
export const LANE_LIMIT = 1000;
/** Lane height: 18 px for a few connections, down to 2 px at ~450 and above. */
const LANE_MAX_PX = 18;
const LANE_MIN_PX = 2;
const LANES_PX = 900;
/** Tallest block of lanes in one <svg> (a page break falls between blocks). */
const BLOCK_PX = 420;
/** Time buckets of the aggregated rows. */
const AGG_BUCKETS = 300;

export function plotScale(t0: number, t1: number): TimeScale {
  return { t0, t1, x0: PLOT_X0, x1: PLOT_X1 };
}

/** The time scale as data attributes, so a reader (a test) can map times to x and back. */
function scaleData(s: TimeScale): string {
  return `data-t0="${num(s.t0)}" data-t1="${num(s.t1)}" data-x0="${s.x0}" data-x1="${s.x1}"`;
}

export function laneHeight(n: number): number {
  return Math.max(LANE_MIN_PX, Math.min(LANE_MAX_PX, Math.floor(LANES_PX / Math.max(1, n))));
}

/** The UTC time axis, labels under the ticks. */
export function timeAxis(scale: TimeScale, where: 'top' | 'bottom'): string {
  const ticks = timeTicks(scale.t0, scale.t1, 10);
  const h = 24;
  const out: string[] = [`<svg class="axis" width="${CHART_W}" height="${h}" viewBox="0 0 ${CHART_W} ${h}" aria-hidden="true">`];
  const lineY = where === 'top' ? h - 1 : 1;
  out.push(`<line class="ax" x1="${PLOT_X0}" x2="${PLOT_X1}" y1="${lineY}" y2="${lineY}"/>`);
  for (const tick of ticks) {
    const xv = xOf(scale, tick.t);
    const x = px(xv);
    // Labels near either end are anchored inside the plot, so they do not run into the margin.
    const anchor = xv - PLOT_X0 < 36 ? 'start' : PLOT_X1 - xv < 36 ? 'end' : 'middle';
    out.push(
      where === 'top'
        ? `<line class="ax" x1="${x}" x2="${x}" y1="${h - 5}" y2="${h}"/><text x="${x}" y="${h - 8}" text-anchor="${anchor}">${esc(tick.label)}</text>`
        : `<line class="ax" x1="${x}" x2="${x}" y1="0" y2="5"/><text x="${x}" y="17" text-anchor="${anchor}">${esc(tick.label)}</text>`,
    );
  }
  out.push(`<text x="4" y="${where === 'top' ? h - 8 : 17}" class="muted">UTC</text>`);
  out.push('</svg>');
  return out.join('');
}

/** Light vertical lines at the axis ticks, behind the lanes. */
function grid(scale: TimeScale, height: number): string {
  return timeTicks(scale.t0, scale.t1, 10)
    .map((tick) => {
      const x = px(xOf(scale, tick.t));
      return `<line class="grid" x1="${x}" x2="${x}" y1="0" y2="${height}"/>`;
    })
    .join('');
}

const SIDE_TEXT = { client2server: 'the client', server2client: 'the server' } as const;

/** The hover text of a lane: everything an engineer asks first about the connection. */
function laneTitle(c: ConnectionReport, host: string, codes: string[] | undefined): string {
  const close = c.close;
  const lines = [
    `${c.id}  ${endpoint(c.client)} → ${endpoint(c.server)} (${host})`,
    `start ${utcClock(c.start)} UTC, ${secs(c.durationS)} s${c.handshake.seen ? '' : ', started before the capture'}`,
    close.kind === 'open'
      ? 'still open when the capture ended'
      : `close ${close.kind}${close.initiator === null ? '' : ` by the ${close.initiator}`}${close.at === null ? '' : ` at ${utcClock(close.at)}`}` +
        (close.wsInitiator === null ? '' : `; WebSocket close by the ${close.wsInitiator}${close.wsCloseFrame === false ? ' (close_notify only)' : ''}`),
    `client socket ${c.clientState}; Zeek ${c.zeek.connState} ${c.zeek.history}`,
    `SNI ${c.sni ?? `(${c.tls.sniStatus})`}, ${c.tlsVersion ?? 'TLS version unknown'}${c.alpn === null ? '' : `, ALPN ${c.alpn}`}; SYN→SYN-ACK ${ms(c.handshake.synToSynAckMs)} ms, TLS ${ms(c.handshake.tlsMs)} ms`,
    `retransmissions ${c.client2server.retransmissions}→ ${c.server2client.retransmissions}←, zero windows ${c.client2server.zeroWindows}→ ${c.server2client.zeroWindows}←, longest server data silence ${fixed(c.server2client.maxDataSilenceS, 3)} s`,
  ];
  if (c.process !== null) lines.push(`process ${c.process.command} (pid ${Number(c.process.pid)})`);
  if (codes !== undefined) lines.push(`anomalies: ${codes.join(', ')}`);
  return esc(lines.join('\n'));
}

/** One connection's lane: its bar, the CLOSE-WAIT tail, and the marks, inside a link to its table row. */
function lane(c: ConnectionReport, y: number, h: number, scale: TimeScale, host: string, codes: string[] | undefined, labels: boolean): string {
  const end = endClass(c);
  const stop = laneStop(c, scale.t1);
  const xa = xOf(scale, c.start);
  const xb = Math.max(xOf(scale, stop), xa + 2);
  const gap = h >= 8 ? 3 : h >= 4 ? 1 : 0;
  const barY = y + gap;
  const barH = h - 2 * gap;
  const id = esc(c.id);
  const out: string[] = [
    `<a class="lane e-${end}" href="#row-${id}" data-id="${id}" data-end="${end}" data-start="${num(c.start)}" data-stop="${num(stop)}">`,
    `<title>${laneTitle(c, host, codes)}</title>`,
  ];
  if (labels) out.push(`<text class="id" x="${PLOT_X0 - 6}" y="${px(y + h / 2 + 3.5)}" text-anchor="end">${id}</text>`);
  out.push(`<rect class="bar" x="${px(xa)}" y="${px(barY)}" width="${px(xb - xa)}" height="${px(barH)}"/>`);
  if (end === 'close-wait') {
    const xe = xOf(scale, scale.t1);
    if (xe > xb) out.push(`<line class="tail" x1="${px(xb)}" x2="${px(xe)}" y1="${px(y + h / 2)}" y2="${px(y + h / 2)}"/>`);
  }
  const s2c = c.server2client;
  if (s2c.maxDataSilenceS !== null && s2c.maxDataSilenceAt !== null) {
    const x0 = xOf(scale, s2c.maxDataSilenceAt);
    const x1 = Math.max(xOf(scale, s2c.maxDataSilenceAt + s2c.maxDataSilenceS), x0 + 1);
    out.push(
      `<rect class="mk-silence" data-mark="silence" data-t="${num(s2c.maxDataSilenceAt)}" data-dur="${num(s2c.maxDataSilenceS)}" x="${px(x0)}" y="${px(barY)}" width="${px(x1 - x0)}" height="${px(barH)}">` +
        `<title>${esc(`${c.id}: longest server data silence ${fixed(s2c.maxDataSilenceS, 3)} s from ${utcClock(s2c.maxDataSilenceAt)} UTC`)}</title></rect>`,
    );
  }
  const size = Math.max(3, Math.min(9, h));
  for (const dir of ['client2server', 'server2client'] as const) {
    const at = c[dir].firstRetransmissionAt;
    if (at === null) continue;
    const x = xOf(scale, at);
    // By the client: a triangle pointing up from the lane's foot; by the server: pointing down from its top.
    const d =
      dir === 'client2server'
        ? `M${px(x - size / 2)} ${px(y + h)}L${px(x + size / 2)} ${px(y + h)}L${px(x)} ${px(y + h - size)}Z`
        : `M${px(x - size / 2)} ${px(y)}L${px(x + size / 2)} ${px(y)}L${px(x)} ${px(y + size)}Z`;
    out.push(
      `<path class="mk-rtx" data-mark="retransmission" data-dir="${dir}" data-t="${num(at)}" d="${d}">` +
        `<title>${esc(`${c.id}: first retransmission by ${SIDE_TEXT[dir]} at ${utcClock(at)} UTC (${c[dir].retransmissions} in all)`)}</title></path>`,
    );
  }
  for (const dir of ['client2server', 'server2client'] as const) {
    const at = c[dir].firstZeroWindowAt;
    if (at === null) continue;
    const x = xOf(scale, at);
    const s = Math.max(2, size * 0.8);
    out.push(
      `<rect class="mk-zwin" data-mark="zero-window" data-dir="${dir}" data-t="${num(at)}" x="${px(x - s / 2)}" y="${px(y + h / 2 - s / 2)}" width="${px(s)}" height="${px(s)}">` +
        `<title>${esc(`${c.id}: first zero window advertised by ${SIDE_TEXT[dir]} at ${utcClock(at)} UTC (${c[dir].zeroWindows} in all)`)}</title></rect>`,
    );
  }
  if (c.close.kind === 'rst' && c.close.at !== null) {
    const x = xOf(scale, c.close.at);
    const half = Math.max(1.5, h / 2 - 1);
    const cy = y + h / 2;
    out.push(
      `<path class="mk-rst" data-mark="rst" data-by="${esc(c.close.initiator ?? '')}" data-t="${num(c.close.at)}" d="M${px(x - half)} ${px(cy - half)}L${px(x + half)} ${px(cy + half)}M${px(x + half)} ${px(cy - half)}L${px(x - half)} ${px(cy + half)}">` +
        `<title>${esc(`${c.id}: reset${c.close.initiator === null ? '' : ` by the ${c.close.initiator}`} at ${utcClock(c.close.at)} UTC`)}</title></path>`,
    );
  }
  out.push('</a>');
  return out.join('');
}

/** A host's heading over its lanes or rows. */
function hostHeading(g: HostGroup): string {
  const h = g.host;
  const addresses = h.addresses.map(esc).join(', ');
  return `<h3 class="host">${esc(h.name)} <span class="muted">${esc(h.source)} · ${addresses} · ${grouped(g.rows.length)} connection${g.rows.length === 1 ? '' : 's'}</span></h3>`;
}

function laneTimeline(groups: HostGroup[], scale: TimeScale, report: Report): string {
  const n = report.connections.length;
  const h = laneHeight(n);
  const labels = h >= 9;
  const perBlock = Math.max(1, Math.floor(BLOCK_PX / h));
  const codes = anomaliesById(report);
  const out: string[] = [];
  for (const g of groups) {
    out.push(`<div class="host-group" data-host="${esc(g.host.name)}">`, hostHeading(g));
    for (let i = 0; i < g.rows.length; i += perBlock) {
      const rows = g.rows.slice(i, i + perBlock);
      const height = rows.length * h;
      out.push(`<svg class="lanes" width="${CHART_W}" height="${height}" viewBox="0 0 ${CHART_W} ${height}">`, grid(scale, height));
      rows.forEach((c, k) => out.push(lane(c, k * h, h, scale, g.host.name, codes.get(c.id), labels)));
      out.push('</svg>');
    }
    out.push('</div>');
  }
  return out.join('\n');
}

const MARK_KINDS = [
  { key: 'retransmission', label: 'first retransmissions', cls: 'mk-rtx' },
  { key: 'zero-window', label: 'first zero windows', cls: 'mk-zwin' },
  { key: 'rst', label: 'resets', cls: 'mk-rst-agg' },
] as const;

/** The times of a connection's marks of one kind. */
function markTimes(c: ConnectionReport, kind: (typeof MARK_KINDS)[number]['key']): number[] {
  const out: number[] = [];
  if (kind === 'retransmission') {
    if (c.client2server.firstRetransmissionAt !== null) out.push(c.client2server.firstRetransmissionAt);
    if (c.server2client.firstRetransmissionAt !== null) out.push(c.server2client.firstRetransmissionAt);
  } else if (kind === 'zero-window') {
    if (c.client2server.firstZeroWindowAt !== null) out.push(c.client2server.firstZeroWindowAt);
    if (c.server2client.firstZeroWindowAt !== null) out.push(c.server2client.firstZeroWindowAt);
  } else if (c.close.kind === 'rst' && c.close.at !== null) {
    out.push(c.close.at);
  }
  return out;
}

/**
 * Above the lane limit: per host, one row per end class: how many of its connections were open
 * in each of AGG_BUCKETS time buckets (a step area, scaled to the row's own peak), and under it
 * one strip per mark kind with the number of marks in each bucket.
 */
function aggregatedTimeline(groups: HostGroup[], scale: TimeScale): string {
  const rowH = 58;
  const bucketS = (scale.t1 - scale.t0) / AGG_BUCKETS;
  const bw = (scale.x1 - scale.x0) / AGG_BUCKETS;
  const bucketOf = (t: number): number => Math.max(0, Math.min(AGG_BUCKETS - 1, Math.floor((t - scale.t0) / bucketS)));
  const out: string[] = [];
  for (const g of groups) {
    const byEnd = new Map<EndClass, ConnectionReport[]>();
    for (const c of g.rows) {
      const e = endClass(c);
      const list = byEnd.get(e);
      if (list === undefined) byEnd.set(e, [c]);
      else list.push(c);
    }
    const classes = END_CLASSES.filter((e) => byEnd.has(e.key));
    const height = classes.length * rowH;
    out.push(`<div class="host-group" data-host="${esc(g.host.name)}">`, hostHeading(g));
    out.push(`<svg class="lanes agg-rows" width="${CHART_W}" height="${height}" viewBox="0 0 ${CHART_W} ${height}">`, grid(scale, height));
    classes.forEach((e, k) => {
      const rows = byEnd.get(e.key) as ConnectionReport[];
      const y = k * rowH;
      // Open connections per bucket, by a difference array: O(connections + buckets).
      const diff = new Int32Array(AGG_BUCKETS + 1);
      for (const c of rows) {
        diff[bucketOf(c.start)]++;
        diff[bucketOf(laneStop(c, scale.t1)) + 1]--;
      }
      const open = new Int32Array(AGG_BUCKETS);
      let run = 0;
      let peak = 0;
      for (let b = 0; b < AGG_BUCKETS; b++) {
        run += diff[b];
        open[b] = run;
        if (run > peak) peak = run;
      }
      const top = y + 14;
      const areaH = 26;
      const base = top + areaH;
      let d = `M${px(scale.x0)} ${px(base)}`;
      for (let b = 0; b < AGG_BUCKETS; b++) {
        const yy = base - (peak === 0 ? 0 : (open[b] / peak) * areaH);
        d += `L${px(scale.x0 + b * bw)} ${px(yy)}L${px(scale.x0 + (b + 1) * bw)} ${px(yy)}`;
      }
      d += `L${px(scale.x1)} ${px(base)}Z`;
      const label = `${e.label}: ${grouped(rows.length)} connection${rows.length === 1 ? '' : 's'}, at most ${grouped(peak)} open during one ${secs(bucketS)} s interval`;
      out.push(
        `<g class="agg e-${e.key}" data-host="${esc(g.host.name)}" data-end="${e.key}" data-count="${rows.length}">`,
        `<title>${esc(`${g.host.name}: ${label}`)}</title>`,
        `<text x="${PLOT_X0}" y="${y + 11}">${esc(label)}</text>`,
        `<path class="dens" d="${d}"/>`,
      );
      MARK_KINDS.forEach((m, i) => {
        const counts = new Map<number, number>();
        for (const c of rows) {
          for (const t of markTimes(c, m.key)) {
            const b = bucketOf(t);
            counts.set(b, (counts.get(b) ?? 0) + 1);
          }
        }
        const sy = base + 3 + i * 4;
        for (const [b, count] of [...counts].sort((p, q) => p[0] - q[0])) {
          const t = scale.t0 + b * bucketS;
          out.push(
            `<rect class="${m.cls}" data-mark="${m.key}" data-count="${count}" data-t="${num(t)}" x="${px(scale.x0 + b * bw)}" y="${px(sy)}" width="${px(Math.max(bw, 1.5))}" height="3">` +
              `<title>${esc(`${count} ${m.label} from ${utcClock(t)} UTC (${secs(bucketS)} s)`)}</title></rect>`,
          );
        }
      });
      out.push('</g>');
    });
    out.push('</svg></div>');
  }
  return out.join('\n');
}

/** The legend: end colours and mark shapes. */
function legend(aggregated: boolean): string {
  const items = END_CLASSES.map(
    (e) => `<span class="key" title="${esc(e.title)}"><svg width="22" height="10" aria-hidden="true"><rect class="sw e-${e.key}" x="0" y="1" width="22" height="8"/></svg>${esc(e.label)}</span>`,
  );
  if (aggregated) {
    items.push(
      '<span class="key"><svg width="14" height="10" aria-hidden="true"><rect class="mk-rtx" x="0" y="3" width="14" height="4"/></svg>first retransmissions</span>',
      '<span class="key"><svg width="14" height="10" aria-hidden="true"><rect class="mk-zwin" x="0" y="3" width="14" height="4"/></svg>first zero windows</span>',
      '<span class="key"><svg width="14" height="10" aria-hidden="true"><rect class="mk-rst-agg" x="0" y="3" width="14" height="4"/></svg>resets</span>',
    );
  } else {
    items.push(
      '<span class="key"><svg width="12" height="10" aria-hidden="true"><path class="mk-rtx" d="M1 1L11 1L6 9Z"/></svg>first retransmission (▼ by the server, ▲ by the client)</span>',
      '<span class="key"><svg width="12" height="10" aria-hidden="true"><rect class="mk-zwin" x="2" y="1" width="8" height="8"/></svg>first zero window</span>',
      '<span class="key"><svg width="26" height="10" aria-hidden="true"><rect class="sw e-server" x="0" y="1" width="26" height="8"/><rect class="mk-silence" x="6" y="1" width="14" height="8"/></svg>longest server data silence</span>',
      '<span class="key"><svg width="12" height="10" aria-hidden="true"><path class="mk-rst" d="M2 1L10 9M10 1L2 9"/></svg>reset</span>',
    );
  }
  return `<p class="legend">${items.join(' ')}</p>`;
}

/** The timeline section's body: legend, axis, lanes (or aggregated rows), axis. */
export function renderTimeline(report: Report, scale: TimeScale, laneLimit: number): string {
  const n = report.connections.length;
  if (n === 0) return '<p class="muted">No TCP connections in the capture.</p>';
  const groups = groupByHost(report);
  const aggregated = n > laneLimit;
  const h = laneHeight(n);
  const note = aggregated
    ? `<p class="note">${grouped(n)} connections: more than ${grouped(laneLimit)}, so each row is one host and one way of ending, showing how many of those connections were open over time (${AGG_BUCKETS} intervals of ${secs((scale.t1 - scale.t0) / AGG_BUCKETS)} s); the marks under it count the first retransmissions, first zero windows and resets per interval. Every connection is in the table below.</p>`
    : `<p class="note">One lane per connection, from its first packet to its first FIN or RST (to the end of the capture while open); ${h} px each.<span class="noprint"> Hover for its facts; click to go to its row in the table.</span></p>`;
  const body = aggregated ? aggregatedTimeline(groups, scale) : laneTimeline(groups, scale, report);
  return [legend(aggregated), note, `<div class="timeline${aggregated ? ' aggregated' : ''}" data-lanes="${aggregated ? 'aggregated' : 'connections'}" ${scaleData(scale)}>`, timeAxis(scale, 'top'), body, timeAxis(scale, 'bottom'), '</div>'].join('\n');
}

/**
 * Connections open over time (`summary.concurrency.series`) as a step line on the timeline's time
 * scale, with the expected count (when given) and the maximum as horizontal lines.
 */
export function renderConcurrency(report: Report, scale: TimeScale): string {
  const cc = report.summary.concurrency;
  const expected = report.summary.expected;
  const height = 200;
  const top = 12;
  const bottom = height - 8;
  const yMax = Math.max(1, cc.max, expected?.connections ?? 0);
  const ticks = countTicks(yMax);
  const axisMax = Math.max(yMax, ticks[ticks.length - 1]);
  const y = (v: number): number => bottom - (v / axisMax) * (bottom - top);
  const out: string[] = [
    `<svg class="conc" width="${CHART_W}" height="${height}" viewBox="0 0 ${CHART_W} ${height}" ${scaleData(scale)} data-ymax="${axisMax}" data-top="${top}" data-bottom="${bottom}" role="img" aria-label="connections open over time">`,
    grid(scale, height),
  ];
  for (const v of ticks) {
    out.push(`<line class="ygrid" x1="${PLOT_X0}" x2="${PLOT_X1}" y1="${px(y(v))}" y2="${px(y(v))}"/><text x="${PLOT_X0 - 6}" y="${px(y(v) + 3.5)}" text-anchor="end">${v}</text>`);
  }
  const series = cc.series;
  let d = `M${px(scale.x0)} ${px(y(0))}`;
  for (const [t, n] of series) {
    const x = px(xOf(scale, t));
    d += `H${x}V${px(y(n))}`;
  }
  d += `H${px(scale.x1)}`;
  out.push(`<path class="step" d="${d}"/>`);
  // The points are hover targets (and carry the exact values); the step line is what shows.
  const showDots = false;
  for (const [t, n] of series) {
    const when = cc.stepS === null ? `at ${utcClock(t)} UTC` : `in the ${secs(cc.stepS)} s from ${utcClock(t)} UTC (the most)`;
    out.push(
      `<circle class="pt${showDots ? '' : ' hidden'}" data-t="${num(t)}" data-n="${num(n)}" cx="${px(xOf(scale, t))}" cy="${px(y(n))}" r="${showDots ? 2.5 : 2}"><title>${esc(`${n} open ${when}`)}</title></circle>`,
    );
  }
  if (cc.maxAt !== null) {
    out.push(
      `<line class="maxline" data-max="${num(cc.max)}" x1="${PLOT_X0}" x2="${PLOT_X1}" y1="${px(y(cc.max))}" y2="${px(y(cc.max))}"/>`,
      `<text class="maxlabel" x="${PLOT_X1}" y="${px(y(cc.max) - 4)}" text-anchor="end">${esc(`max ${cc.max} at ${utcClock(cc.maxAt)}`)}</text>`,
    );
  }
  if (expected !== null) {
    out.push(
      `<line class="expected" data-expected="${num(expected.connections)}" x1="${PLOT_X0}" x2="${PLOT_X1}" y1="${px(y(expected.connections))}" y2="${px(y(expected.connections))}"><title>${esc(`expected ${expected.connections}`)}</title></line>`,
      `<text class="explabel" x="${PLOT_X0 + 4}" y="${px(y(expected.connections) - 4)}">${esc(`expected ${expected.connections}${expected.symbols === null ? '' : ` (${expected.symbols} symbols × ${expected.perSymbol})`}`)}</text>`,
    );
  }
  out.push('</svg>');
  const keys = [
    '<span class="key"><svg width="22" height="10" aria-hidden="true"><path class="step" d="M0 8H8V2H22"/></svg>open connections</span>',
    '<span class="key"><svg width="22" height="10" aria-hidden="true"><line class="maxline" x1="0" x2="22" y1="5" y2="5"/></svg>maximum</span>',
  ];
  if (expected !== null) keys.push('<span class="key"><svg width="22" height="10" aria-hidden="true"><line class="expected" x1="0" x2="22" y1="5" y2="5"/></svg>expected</span>');
  const note =
    cc.stepS === null
      ? 'Established (or already open when the capture began) until the first FIN or RST.'
      : `Established until the first FIN or RST; more than 1,000 changes, so each point is the most open within ${secs(cc.stepS)} s.`;
  return [`<p class="legend">${keys.join(' ')}</p>`, `<p class="note">${esc(note)}</p>`, `<div class="chart">`, timeAxis(scale, 'top'), out.join(''), '</div>'].join('\n');
}
