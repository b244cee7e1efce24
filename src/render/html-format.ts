/**
 * \summary: shared pieces of the HTML report: escaping, UTC times, numbers, how a connection ended
 * (its colour class), the time scale and its ticks, and connections grouped by host.
 *
 * Every string that comes from a capture, a file name or the command line goes through `esc`
 * (escape.ts); numbers are written with `num`/`fixed`, which coerce to a number first, so no
 * field of the model is ever written into the page unescaped.
 */
import { isDateRange, utcClock, utcDateTime as utcDateTimeText } from '../report/time.js';

export { utcClock };
import type { ConnectionReport, HostReport, Report } from '../report/model.js';
import { escapeHtml } from './escape.js';
import { addressText } from '../report/address-text.js';

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\u0000-\u001f\u007f-\u009f\\&<>"']/;

/** escapeHtml, without its two replacements for the many strings that need none (a third of the time of a large report). */
export function esc(s: string): string {
  return NEEDS_ESCAPE.test(s) ? escapeHtml(s) : s;
}

/** An SVG coordinate with one decimal (smaller files, no visible difference). */
export function px(v: number): string {
  return String(Math.round(v * 10) / 10);
}

/** A number as an attribute or cell value: shortest exact form (round-trips through Number()). */
export function num(v: number): string {
  return String(Number(v));
}

/** Fixed decimals, '-' for null. */
export function fixed(v: number | null, digits: number): string {
  return v === null ? '-' : Number(v).toFixed(digits);
}

/** Milliseconds: 0.015, 3.61, 181.5, 1234. */
export function ms(v: number | null): string {
  if (v === null) return '-';
  const n = Number(v);
  if (n < 10) return n.toFixed(3);
  if (n < 1000) return n.toFixed(1);
  return n.toFixed(0);
}

/** Seconds: 0.259, 12.34, 1234.5 (3 significant decimals for short spans). */
export function secs(v: number | null): string {
  if (v === null) return '-';
  const n = Number(v);
  if (n < 100) return n.toFixed(3);
  if (n < 10000) return n.toFixed(1);
  return n.toFixed(0);
}

/** 1234567 → "1,234,567". */
export function grouped(v: number): string {
  return Number(v).toLocaleString('en-US');
}

/** "2026-11-27T00:48:37.251136Z" → epoch seconds with the microseconds; null stays null. */
export function isoToEpoch(iso: string | null): number | null {
  if (iso === null) return null;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$/.exec(iso);
  if (m === null) {
    const t = Date.parse(iso);
    return Number.isFinite(t) ? t / 1000 : null;
  }
  return Date.parse(`${m[1]}Z`) / 1000 + (m[2] === undefined ? 0 : Number(`0${m[2]}`));
}

/** "2026-11-27 00:48:42.627 UTC". */
export function utcDateTime(t: number): string {
  return `${utcDateTimeText(t)} UTC`;
}

/** "ip:port", "[ip6]:port". */
export function endpoint(a: { ip: string; port: number }): string {
  return a.ip.includes(':') ? `[${a.ip}]:${Number(a.port)}` : `${a.ip}:${Number(a.port)}`;
}

/** How a connection ended, as the timeline colours it (also the `data-end` of its lane). */
export type EndClass = 'client' | 'server' | 'rst' | 'refused' | 'unanswered' | 'close-wait' | 'open';

/** In legend order, with what each means. */
export const END_CLASSES: { key: EndClass; label: string; title: string }[] = [
  { key: 'client', label: 'closed by the client', title: 'FIN: the client closed first (clean)' },
  { key: 'server', label: 'closed by the server', title: 'FIN: the server closed first (clean)' },
  { key: 'close-wait', label: 'CLOSE-WAIT', title: 'the server closed, the client never did: its socket is left in CLOSE-WAIT (dashed: until the end of the capture)' },
  { key: 'rst', label: 'reset (RST)', title: 'ended by a RST after the handshake' },
  { key: 'refused', label: 'refused', title: 'the SYN was answered by a RST' },
  { key: 'unanswered', label: 'unanswered', title: 'the SYN was never answered' },
  { key: 'open', label: 'still open', title: 'neither FIN nor RST: open when the capture ended' },
];

/**
 * The lane's class: CLOSE-WAIT first (a FIN by the server that the client never answered), then
 * the close kind, a FIN split by who sent it.
 */
export function endClass(c: ConnectionReport): EndClass {
  if (c.clientState === 'CLOSE-WAIT') return 'close-wait';
  switch (c.close.kind) {
    case 'fin':
      return c.close.initiator === 'client' ? 'client' : 'server';
    case 'rst':
      return 'rst';
    case 'refused':
      return 'refused';
    case 'unanswered':
      return 'unanswered';
    default:
      return 'open';
  }
}

/** Where a lane stops: the first FIN/RST, else the last packet; a connection still open runs to the capture's end. */
export function laneStop(c: ConnectionReport, captureEnd: number): number {
  if (c.close.kind === 'open') return Math.max(captureEnd, c.end);
  return c.close.at ?? c.end;
}

/** The capture's time span (epoch seconds), never empty: from the capture's start and end, widened to every connection. */
export function captureSpan(report: Report): { t0: number; t1: number } {
  let t0 = isoToEpoch(report.capture.start) ?? Infinity;
  let t1 = isoToEpoch(report.capture.end) ?? -Infinity;
  for (const c of report.connections) {
    if (c.start < t0) t0 = c.start;
    if (c.end > t1) t1 = c.end;
    if (c.close.at !== null && c.close.at > t1) t1 = c.close.at;
  }
  if (!Number.isFinite(t0)) t0 = Number.isFinite(t1) ? t1 : 0;
  if (!Number.isFinite(t1)) t1 = t0;
  return { t0, t1: t1 > t0 ? t1 : t0 + 1 };
}

/** A linear time scale onto [x0, x1] pixels. */
export interface TimeScale {
  t0: number;
  t1: number;
  x0: number;
  x1: number;
}

export function xOf(s: TimeScale, t: number): number {
  return s.x0 + ((t - s.t0) / (s.t1 - s.t0)) * (s.x1 - s.x0);
}

const TICK_STEPS = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
  21600, 43200, 86400, 172800, 604800,
];

/** Round UTC ticks, at most about `maxTicks`, labelled with as many decimals as their step needs. */
export function timeTicks(t0: number, t1: number, maxTicks: number): { t: number; label: string }[] {
  const span = t1 - t0;
  const step = TICK_STEPS.find((s) => span / s <= maxTicks) ?? 604800;
  const digits = step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3;
  const ticks: { t: number; label: string }[] = [];
  const first = Math.ceil(t0 / step - 1e-9);
  const multiDay = Math.floor(t0 / 86400) !== Math.floor(t1 / 86400);
  for (let k = first; k * step <= t1 + 1e-9 && ticks.length <= maxTicks + 1; k++) {
    const t = k * step;
    let label = step >= 60 ? utcClock(t, 0).slice(0, 5) : utcClock(t, digits);
    if (multiDay && isDateRange(t) && (step >= 86400 || Math.abs(t / 86400 - Math.round(t / 86400)) < 1e-9)) {
      label = utcDateTimeText(t).slice(5, 10) + (step >= 86400 ? '' : ` ${label}`);
    }
    ticks.push({ t, label });
  }
  return ticks;
}

/** Round ticks for a count axis from 0 to max: 0, 1, 2 … or 0, 5, 10 … (at most about 6). */
export function countTicks(max: number): number[] {
  const steps = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000, 100000];
  const step = steps.find((s) => max / s <= 6) ?? Math.ceil(max / 6);
  const out: number[] = [];
  for (let v = 0; v <= max; v += step) out.push(v);
  return out;
}

/** One host of the summary and its connections, in id order. */
export interface HostGroup {
  host: HostReport;
  rows: ConnectionReport[];
}

/**
 * Connections grouped by the summary's hosts. The rows do not name their host, so the rule the
 * diagnosis used is followed from what the report keeps: the SNI; without one, a host named by
 * DNS holding the address, else the SNI the first connection to the same address and port sent,
 * else the host named by the address. A connection that matches none gets a group of its own
 * address (a report edited by hand, or a host past its 100 listed addresses).
 */
export function groupByHost(report: Report): HostGroup[] {
  const groups = report.summary.hosts.map((host) => ({ host, rows: [] as ConnectionReport[] }));
  const byName = new Map(groups.map((g) => [g.host.name, g]));
  const sniAt = new Map<string, string>();
  for (const c of report.connections) {
    const at = addressText(c.server.ip, c.server.port);
    if (c.sni !== null && !sniAt.has(at)) sniAt.set(at, c.sni);
  }
  const byAddress = new Map<string, HostGroup>();
  const extra: HostGroup[] = [];
  for (const c of report.connections) {
    let group = c.sni === null ? undefined : byName.get(c.sni);
    if (group === undefined) {
      const at = addressText(c.server.ip, c.server.port);
      group = byAddress.get(at);
      if (group === undefined) {
        const holding = groups.filter((g) => g.host.addresses.includes(at));
        const sni = sniAt.get(at);
        group =
          holding.find((g) => g.host.source === 'dns') ??
          (sni === undefined ? undefined : byName.get(sni)) ??
          byName.get(at) ??
          holding[0];
        if (group === undefined) {
          group = { host: { name: at, source: 'address', addresses: [at], connections: 0 }, rows: [] };
          extra.push(group);
          byName.set(at, group);
        }
        if (c.sni === null) byAddress.set(at, group);
      }
    }
    group.rows.push(c);
  }
  return [...groups, ...extra].filter((g) => g.rows.length > 0);
}

/** Anomaly codes by connection id, for the lanes' and rows' hover text. */
export function anomaliesById(report: Report): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const a of report.anomalies) {
    for (const id of a.connections) {
      const list = out.get(id);
      if (list === undefined) out.set(id, [a.code]);
      else if (!list.includes(a.code)) list.push(a.code);
    }
  }
  return out;
}
