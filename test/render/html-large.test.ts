/**
 * The HTML report with thousands of connections: up to 1,000 a lane each (2 px) and a plain
 * table; above, one timeline row per host and end class with the marks counted per interval, and
 * the rows as tab-separated text. With the script, either table shows 500 rows a page, sorted as
 * a whole. The
 * reports are real fixture rows cloned with new ids, clients and times, as many as the
 * 1,000,000-packet benchmark capture has (22,582).
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { analyzeCaptures } from '../../src/analyze/analyze-captures.js';
import { renderHtml } from '../../src/render/html.js';
import type { AnomalyReport, ConnectionReport, Report } from '../../src/report/model.js';
import { FIXTURES } from '../helpers.js';
import { useBrowser } from './browser.js';

// The functions passed to page.evaluate run in the page; the test program has no DOM library.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;

const TEST_MS = 120_000;
const BENCH_CONNECTIONS = 22_582;
const open = useBrowser('large');
/** Pages of 22,582 connections: a wider window, and minutes rather than seconds to load. */
const LARGE = { width: 1400, timeoutMs: 60_000 };

const SOURCES = ['lossy', 'zero-window', 'agent-reset', 'close-wait', 'refused-unanswered', 'server-close-reconnect', 'quiet-streams'];

let base: ConnectionReport[] | null = null;
/** Every row of the fixtures above, its times made relative to its capture's start. */
async function baseRows(): Promise<ConnectionReport[]> {
  if (base !== null) return base;
  const rows: ConnectionReport[] = [];
  for (const name of SOURCES) {
    const r = await analyzeCaptures([join(FIXTURES, `${name}.pcap`)], { serverPort: 443, generator: 'wscap test' });
    const t0 = Math.min(...r.connections.map((c) => c.start));
    for (const c of r.connections) rows.push(shifted(c, -t0));
  }
  base = rows;
  return rows;
}

function shifted(row: ConnectionReport, by: number): ConnectionReport {
  const c = structuredClone(row);
  const s = (t: number | null): number | null => (t === null ? null : Math.round((t + by) * 1e6) / 1e6);
  c.start = s(c.start) as number;
  c.end = s(c.end) as number;
  c.close.at = s(c.close.at);
  for (const d of [c.client2server, c.server2client]) {
    d.firstRetransmissionAt = s(d.firstRetransmissionAt);
    d.firstZeroWindowAt = s(d.firstZeroWindowAt);
  }
  c.server2client.maxDataSilenceAt = s(c.server2client.maxDataSilenceAt);
  for (const a of c.tls.alerts) a.at = s(a.at) as number;
  return c;
}

function iso(t: number): string {
  const us = Math.round((t % 1) * 1e6);
  return `${new Date(Math.floor(t) * 1000).toISOString().slice(0, 19)}.${String(us).padStart(6, '0')}Z`;
}

/** The host a cloned row belongs to: its SNI, else its server address (as the diagnosis names it). */
function hostName(c: ConnectionReport): string {
  return c.sni ?? (c.server.port === 443 ? c.server.ip : `${c.server.ip}:${c.server.port}`);
}

/** A report of n connections: fixture rows round-robin, one new connection every 14.4 ms (the benchmark's pace). */
async function syntheticReport(n: number): Promise<Report> {
  const rows = await baseRows();
  const T0 = 1795740517.251136;
  const connections: ConnectionReport[] = [];
  for (let k = 0; k < n; k++) {
    const c = shifted(rows[k % rows.length], T0 + k * 0.0144);
    c.id = `C${k + 1}`;
    c.client = { ip: `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`, port: 40000 + (k % 20000) };
    connections.push(c);
  }
  const start = Math.min(...connections.map((c) => c.start));
  const end = Math.max(...connections.map((c) => Math.max(c.end, c.close.at ?? 0)));
  const count = <K extends string>(key: (c: ConnectionReport) => K): Partial<Record<K, number>> => {
    const out: Partial<Record<K, number>> = {};
    for (const c of connections) out[key(c)] = (out[key(c)] ?? 0) + 1;
    return out;
  };
  const hosts = new Map<string, { name: string; source: 'sni' | 'address'; addresses: string[]; connections: number }>();
  for (const c of connections) {
    const name = hostName(c);
    const at = c.server.port === 443 ? c.server.ip : `${c.server.ip}:${c.server.port}`;
    const h = hosts.get(name) ?? { name, source: c.sni === null ? 'address' : 'sni', addresses: [], connections: 0 };
    if (!h.addresses.includes(at)) h.addresses.push(at);
    h.connections++;
    hosts.set(name, h);
  }
  // Open over time, bucketed to 1,000 points as the diagnosis does on long captures.
  const stepS = (end - start) / 1000;
  const open = new Array<number>(1001).fill(0);
  for (const c of connections) {
    if (c.close.kind === 'refused' || c.close.kind === 'unanswered') continue;
    const a = Math.floor((c.start - start) / stepS);
    const b = Math.floor(((c.close.at ?? end) - start) / stepS);
    for (let i = a; i <= b && i <= 1000; i++) open[i]++;
  }
  const series = open.map((v, i) => [Math.round((start + i * stepS) * 1e6) / 1e6, v] as [number, number]);
  const max = Math.max(...open);
  const anomaly = (code: string, severity: AnomalyReport['severity'], pick: (c: ConnectionReport) => boolean): AnomalyReport => {
    const ids = connections.filter(pick).map((c) => c.id);
    return { code, severity, connections: ids.slice(0, 1000), count: ids.length, at: start, message: `${ids.length} connections (${code}).`, hint: 'A hint.' };
  };
  return {
    schemaVersion: 1,
    generator: 'wscap test',
    capture: {
      files: [{ path: 'synthetic.pcap', format: 'pcap', isGzip: false, linkTypes: [1], timestampPrecision: 'us', snaplen: 262144, packets: n * 44 }],
      recording: null,
      packets: n * 44,
      tcpPackets: n * 44,
      nonTcpPackets: 0,
      truncatedPackets: 0,
      fragmentPackets: 0,
      invalidPackets: 0,
      start: iso(start),
      end: iso(end),
      durationS: Math.round((end - start) * 1e6) / 1e6,
      warnings: [],
    },
    summary: {
      connections: n,
      byClientState: count((c) => c.clientState),
      byCloseKind: count((c) => c.close.kind),
      verdict: 'fail',
      hosts: [...hosts.values()].sort((a, b) => b.connections - a.connections || a.name.localeCompare(b.name)),
      concurrency: { max, maxAt: series[open.indexOf(max)][0], atEnd: 0, series, stepS: Math.round(stepS * 1e6) / 1e6 },
      expected: { connections: 210, symbols: 30, perSymbol: 7 },
      symbolsEstimate: { established: 0, perSymbol: 7, symbols: 0 },
      reconnects: { count: 0, delayS: { min: null, median: null, max: null } },
      attempts: { max: 300, at: start, windowS: 300, budget: 300 },
    },
    anomalies: [
      anomaly('close-wait', 'fail', (c) => c.clientState === 'CLOSE-WAIT'),
      anomaly('reset', 'warn', (c) => c.close.kind === 'rst'),
      anomaly('zero-window', 'warn', (c) => c.client2server.zeroWindows > 0),
    ],
    connections,
  };
}

/** The end class of a row, as the lanes say it. */
function endOf(c: ConnectionReport): string {
  if (c.clientState === 'CLOSE-WAIT') return 'close-wait';
  if (c.close.kind === 'fin') return c.close.initiator === 'client' ? 'client' : 'server';
  return c.close.kind;
}

function tableIds(page: Page): Promise<string[]> {
  return page.$$eval('#conn-table tbody tr', (rows) => rows.map((r: any) => r.cells[0].textContent as string));
}

function byDurationDown(rows: ConnectionReport[]): string[] {
  return rows
    .map((c, i) => ({ id: c.id, k: c.durationS, i }))
    .sort((a, b) => b.k - a.k || a.i - b.i)
    .map((r) => r.id);
}

describe('the HTML report at the lane limit', () => {
  it(
    '1,000 connections: a 2 px lane each and a plain table that sorts; 1,001: rows per host and end class',
    async () => {
      const report = await syntheticReport(1000);
      const o = await open(renderHtml(report), LARGE);
      try {
        const lanes = await o.page.$$eval('.timeline a.lane', (els) => els.map((e: any) => [e.getAttribute('data-id'), Number(e.querySelector('rect.bar').getAttribute('height'))]));
        expect(lanes.length).toBe(1000);
        expect(new Set(lanes.map((l) => l[0])).size).toBe(1000);
        expect(new Set(lanes.map((l) => l[1]))).toEqual(new Set([2]));
        // A plain table of every row, shown 500 a page by the script.
        expect(await tableIds(o.page)).toEqual(report.connections.slice(0, 500).map((c) => c.id));
        expect(await o.page.locator('.pageinfo').textContent()).toBe('rows 1–500 of 1000 (page 1 of 2)');
        const t = performance.now();
        await o.page.locator('#conn-table thead th', { hasText: 'Dur s' }).click();
        await o.page.locator('#conn-table thead th', { hasText: 'Dur s' }).click();
        const sortMs = performance.now() - t;
        const down = byDurationDown(report.connections);
        expect(await tableIds(o.page)).toEqual(down.slice(0, 500));
        await o.page.locator('.pager button[data-go="next"]').click();
        expect(await tableIds(o.page)).toEqual(down.slice(500));
        // A lane's link turns to the page that holds its row and marks it.
        const target = down[10];
        await o.page.locator(`.timeline a.lane[data-id="${target}"]`).dispatchEvent('click');
        await o.page.waitForFunction((id: string) => document.querySelector(`#row-${id}.hl`) !== null, target);
        expect(await o.page.locator('.pageinfo').textContent()).toBe('rows 1–500 of 1000 (page 1 of 2)');
        expect(await o.page.locator('#conn-table tr.hl td').first().textContent()).toBe(target);
        console.log(`1,000 connections: ${(Buffer.byteLength(renderHtml(report)) / 1e6).toFixed(2)} MB, load ${o.loadMs.toFixed(0)} ms, two sorts ${sortMs.toFixed(0)} ms`);
        expect(o.requests).toEqual([o.url]);
        expect(o.errors).toEqual([]);
      } finally {
        await o.close();
      }
      const off = await open(renderHtml(report), { ...LARGE, javaScript: false });
      try {
        expect(await tableIds(off.page)).toEqual(report.connections.map((c) => c.id));
        expect(await off.page.locator('.pager').isVisible()).toBe(false);
      } finally {
        await off.close();
      }
      const over = await open(renderHtml(await syntheticReport(1001)), LARGE);
      try {
        expect(await over.page.locator('.timeline a.lane').count()).toBe(0);
        expect(await over.page.locator('.timeline[data-lanes="aggregated"] g.agg').count()).toBeGreaterThan(0);
        expect(await over.page.locator('#conn-table tbody tr').count()).toBe(500);
      } finally {
        await over.close();
      }
    },
    TEST_MS,
  );
});

describe(`the HTML report of ${BENCH_CONNECTIONS} connections`, () => {
  it(
    'stays a few MB, opens in Chromium, counts every connection and mark per host and end class, and pages a sorted table',
    async () => {
      const report = await syntheticReport(BENCH_CONNECTIONS);
      const t = performance.now();
      const html = renderHtml(report);
      const renderMs = performance.now() - t;
      const bytes = Buffer.byteLength(html);
      // 3.6 MB for the benchmark capture itself (one host, fewer columns); these rows need Host, Server and SNI.
      expect(bytes).toBeLessThan(6e6);
      const o = await open(html, LARGE);
      try {
        // Rows per host and end class, with the JSON's counts.
        const rows = await o.page.$$eval('.timeline g.agg', (els) =>
          els.map((g: any) => ({
            host: g.getAttribute('data-host') as string,
            end: g.getAttribute('data-end') as string,
            count: Number(g.getAttribute('data-count')),
            marks: [...g.querySelectorAll('[data-mark]')].map((m: any) => [m.getAttribute('data-mark') as string, Number(m.getAttribute('data-count'))] as [string, number]),
          })),
        );
        const want = new Map<string, { count: number; marks: Record<string, number> }>();
        for (const c of report.connections) {
          const key = `${hostName(c)} ${endOf(c)}`;
          const w = want.get(key) ?? { count: 0, marks: { retransmission: 0, 'zero-window': 0, rst: 0 } };
          w.count++;
          for (const d of [c.client2server, c.server2client]) {
            if (d.firstRetransmissionAt !== null) w.marks.retransmission++;
            if (d.firstZeroWindowAt !== null) w.marks['zero-window']++;
          }
          if (c.close.kind === 'rst' && c.close.at !== null) w.marks.rst++;
          want.set(key, w);
        }
        const got = new Map(
          rows.map((r) => {
            const marks: Record<string, number> = { retransmission: 0, 'zero-window': 0, rst: 0 };
            for (const [kind, n] of r.marks) marks[kind] += n;
            return [`${r.host} ${r.end}`, { count: r.count, marks }];
          }),
        );
        expect(got).toEqual(want);
        expect([...got.values()].reduce((s, r) => s + r.count, 0)).toBe(BENCH_CONNECTIONS);
        expect([...want.keys()].sort()).toEqual([
          '127.0.0.2:4443 refused',
          '127.0.0.2:8443 unanswered',
          'fstream.binance.com client',
          'fstream.binance.com close-wait',
          'fstream.binance.com rst',
          'fstream.binance.com server',
        ]);

        // The table: 500 rows a page, every row sorted.
        expect(await o.page.locator('.pageinfo').textContent()).toBe(`rows 1–500 of ${BENCH_CONNECTIONS} (page 1 of 46)`);
        expect(await tableIds(o.page)).toEqual(report.connections.slice(0, 500).map((c) => c.id));
        const dur = o.page.locator('#conn-table thead th', { hasText: 'Dur s' });
        const s0 = performance.now();
        await dur.click();
        await dur.click();
        const sortMs = performance.now() - s0;
        const down = byDurationDown(report.connections);
        expect(await tableIds(o.page)).toEqual(down.slice(0, 500));
        await o.page.locator('.pager button[data-go="next"]').click();
        expect(await tableIds(o.page)).toEqual(down.slice(500, 1000));
        await o.page.locator('.pager button[data-go="last"]').click();
        expect(await tableIds(o.page)).toEqual(down.slice(45 * 500));
        expect(await o.page.locator('.pageinfo').textContent()).toBe(`rows 22501–${BENCH_CONNECTIONS} of ${BENCH_CONNECTIONS} (page 46 of 46)`);
        expect(o.requests).toEqual([o.url]);
        expect(o.errors).toEqual([]);
        console.log(
          `${BENCH_CONNECTIONS} connections: ${(bytes / 1e6).toFixed(2)} MB, render ${renderMs.toFixed(0)} ms, load ${o.loadMs.toFixed(0)} ms, two sorts ${sortMs.toFixed(0)} ms`,
        );
      } finally {
        await o.close();
      }
      // Without JavaScript: every row, as tab-separated text in id order.
      const off = await open(html, { ...LARGE, javaScript: false });
      try {
        const lines = ((await off.page.locator('pre.tsv').textContent()) as string).split('\n');
        expect(lines.length).toBe(BENCH_CONNECTIONS + 1);
        expect(lines.slice(1).map((l) => l.split('\t')[0])).toEqual(report.connections.map((c) => c.id));
        expect(off.requests).toEqual([off.url]);
      } finally {
        await off.close();
      }
    },
    TEST_MS,
  );
});
