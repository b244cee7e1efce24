/**
 * The HTML report (render/html.ts) of real fixtures, opened in headless Chromium: one lane per
 * connection with the JSON report's end and marks, the concurrency chart's points and expected
 * line, a table that sorts by column (and stays whole without JavaScript), no network request,
 * no console error, a clean print style; and hostile capture strings that run nothing.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { analyzeCaptures } from '../../src/analyze/analyze-captures.js';
import { renderHtml, type HtmlOptions } from '../../src/render/html.js';
import { renderJson } from '../../src/render/json.js';
import type { ConnectionReport, Report } from '../../src/report/model.js';
import { FIXTURES } from '../helpers.js';
import { useBrowser } from './browser.js';

const TEST_MS = 60_000;

// The functions passed to page.evaluate run in the page. The test program has no DOM library (it
// would be global to every test), so what they use is declared here, in this module only.
/* eslint-disable @typescript-eslint/no-explicit-any */
type El = any;
declare const document: any;
declare const window: any;
declare function getComputedStyle(el: El): any;
const open = useBrowser('report');

/** The report as its JSON says it (what a reader of --format json sees). */
const reports = new Map<string, Promise<Report>>();
function reportOf(name: string, symbols?: number): Promise<Report> {
  const key = `${name}/${symbols ?? ''}`;
  let r = reports.get(key);
  if (r === undefined) {
    r = analyzeCaptures([join(FIXTURES, `${name}.pcap`)], {
      serverPort: 443,
      generator: 'wscap test',
      diagnosis: symbols === undefined ? undefined : { symbols },
    }).then((report) => JSON.parse(renderJson(report)) as Report);
    reports.set(key, r);
  }
  return r;
}

function epoch(iso: string): number {
  const [whole, frac] = iso.replace('Z', '').split('.');
  return Date.parse(`${whole}Z`) / 1000 + (frac === undefined ? 0 : Number(`0.${frac}`));
}

/** How the lane should say the connection ended. */
function expectedEnd(c: ConnectionReport): string {
  if (c.clientState === 'CLOSE-WAIT') return 'close-wait';
  if (c.close.kind === 'fin') return c.close.initiator === 'client' ? 'client' : 'server';
  return c.close.kind;
}

/** The marks the lane should carry: "kind dir t dur". */
function expectedMarks(c: ConnectionReport): string[] {
  const out: string[] = [];
  for (const dir of ['client2server', 'server2client'] as const) {
    const rtx = c[dir].firstRetransmissionAt;
    if (rtx !== null) out.push(`retransmission ${dir} ${rtx} `);
    const zw = c[dir].firstZeroWindowAt;
    if (zw !== null) out.push(`zero-window ${dir} ${zw} `);
  }
  const s = c.server2client;
  if (s.maxDataSilenceAt !== null && s.maxDataSilenceS !== null) out.push(`silence  ${s.maxDataSilenceAt} ${s.maxDataSilenceS}`);
  if (c.close.kind === 'rst' && c.close.at !== null) out.push(`rst  ${c.close.at} `);
  return out.sort();
}

interface LaneView {
  id: string;
  end: string;
  start: number;
  stop: number;
  barX: number;
  barW: number;
  marks: { text: string; t: number; x: number; w: number }[];
}

async function lanes(page: Page): Promise<{ lanes: LaneView[]; t0: number; t1: number; x0: number; x1: number }> {
  return page.evaluate(() => {
    const tl = document.querySelector('.timeline') as El;
    const n = (el: El, a: string): number => Number(el.getAttribute(a));
    const out = [...document.querySelectorAll('.timeline [data-id]')].map((lane) => {
      const bar = lane.querySelector('rect.bar') as El;
      return {
        id: lane.getAttribute('data-id') as string,
        end: lane.getAttribute('data-end') as string,
        start: n(lane, 'data-start'),
        stop: n(lane, 'data-stop'),
        barX: n(bar, 'x'),
        barW: n(bar, 'width'),
        marks: [...lane.querySelectorAll('[data-mark]')].map((m) => {
          const box = (m as El).getBBox();
          return {
            text: `${m.getAttribute('data-mark')} ${m.getAttribute('data-dir') ?? ''} ${m.getAttribute('data-t')} ${m.getAttribute('data-dur') ?? ''}`,
            t: n(m, 'data-t'),
            x: m.getAttribute('data-mark') === 'silence' ? box.x : box.x + box.width / 2,
            w: box.width,
          };
        }),
      };
    });
    return { lanes: out, t0: n(tl, 'data-t0'), t1: n(tl, 'data-t1'), x0: n(tl, 'data-x0'), x1: n(tl, 'data-x1') };
  });
}

const FIXTURE_NAMES = ['lossy', 'zero-window', 'agent-reset', 'close-wait', 'quiet-streams', 'server-close-reconnect', 'refused-unanswered', 'midstream', 'dns-names'];

describe('renderHtml on the fixtures, in Chromium', () => {
  for (const name of FIXTURE_NAMES) {
    it(
      `${name}: a lane per connection, with the JSON report's end, extent and marks at their times`,
      async () => {
        const report = await reportOf(name);
        const html = renderHtml(report);
        const o = await open(html);
        try {
          const view = await lanes(o.page);
          expect(view.lanes.map((l) => l.id).sort()).toEqual(report.connections.map((c) => c.id).sort());
          const captureEnd = epoch(report.capture.end as string);
          expect(view.t0).toBeCloseTo(epoch(report.capture.start as string), 6);
          expect(view.t1).toBeCloseTo(captureEnd, 6);
          const x = (t: number): number => view.x0 + ((t - view.t0) / (view.t1 - view.t0)) * (view.x1 - view.x0);
          for (const lane of view.lanes) {
            const c = report.connections.find((r) => r.id === lane.id) as ConnectionReport;
            expect(lane.end, lane.id).toBe(expectedEnd(c));
            expect(lane.start).toBe(c.start);
            expect(lane.stop).toBe(c.close.kind === 'open' ? captureEnd : c.close.at ?? c.end);
            expect(lane.marks.map((m) => m.text).sort(), lane.id).toEqual(expectedMarks(c));
            // Drawn where the times are (coordinates are written to 0.1 px; refused lanes get 2 px).
            expect(Math.abs(lane.barX - x(c.start))).toBeLessThan(0.06);
            expect(Math.abs(lane.barX + lane.barW - Math.max(x(lane.stop), x(c.start) + 2))).toBeLessThan(0.11);
            for (const m of lane.marks) expect(Math.abs(m.x - x(m.t)), m.text).toBeLessThan(0.11);
          }
          expect(o.requests).toEqual([o.url]);
          expect(o.errors).toEqual([]);
        } finally {
          await o.close();
        }
      },
      TEST_MS,
    );
  }

  it(
    'the marks and ends of each fixture are the ones the captures hold',
    async () => {
      const summary = async (name: string): Promise<string[]> => {
        const o = await open(renderHtml(await reportOf(name)));
        try {
          return (await lanes(o.page)).lanes.map(
            (l) => `${l.id} ${l.end}${l.marks.filter((m) => !m.text.startsWith('silence')).map((m) => ` ${m.text.split(' ').slice(0, 2).join(':')}`).join('')}`,
          );
        } finally {
          await o.close();
        }
      };
      expect(await summary('lossy')).toEqual([
        'C1 client retransmission:server2client',
        'C2 client retransmission:server2client',
        'C3 server retransmission:server2client',
        'C4 server retransmission:server2client',
        'C5 server retransmission:server2client',
        'C6 server retransmission:server2client',
        'C7 server',
      ]);
      expect(await summary('zero-window')).toEqual([
        'C1 server retransmission:server2client zero-window:client2server',
        'C2 server retransmission:server2client zero-window:client2server',
        'C3 server',
      ]);
      expect(await summary('agent-reset')).toEqual(['C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'C7'].map((id) => `${id} rst rst:`));
      expect(await summary('close-wait')).toEqual([
        'C1 close-wait retransmission:server2client',
        ...['C2', 'C3', 'C4', 'C5', 'C6', 'C7'].map((id) => `${id} close-wait`),
      ]);
      // Grouped by host, the summary's order: fstream.binance.com (7), then the two refused/unanswered ports.
      expect(await summary('refused-unanswered')).toEqual([
        'C7 server',
        ...['C8', 'C9', 'C10', 'C11', 'C12', 'C13'].map((id) => `${id} client`),
        'C1 refused',
        'C2 refused',
        'C3 refused',
        ...['C4', 'C5', 'C6'].map((id) => `${id} unanswered retransmission:client2server`),
      ]);
      const quiet = await reportOf('quiet-streams');
      const o = await open(renderHtml(quiet));
      try {
        const silences = await o.page.$$eval('[data-id="C6"] [data-mark="silence"], [data-id="C7"] [data-mark="silence"]', (els) =>
          els.map((e) => Number(e.getAttribute('data-dur'))),
        );
        expect(silences).toEqual([5.001148, 5.001257]);
        const hosts = await o.page.$$eval('.host-group', (els) => els.map((e) => e.getAttribute('data-host')));
        expect(hosts).toEqual(['fstream.binance.com']);
      } finally {
        await o.close();
      }
    },
    TEST_MS,
  );

  it(
    'server-close-reconnect with --symbols 2: 14 lanes, the concurrency step line, the maximum 7 and the expected 14',
    async () => {
      const report = await reportOf('server-close-reconnect', 2);
      expect(report.summary.expected?.connections).toBe(14);
      const o = await open(renderHtml(report));
      try {
        expect(await o.page.locator('.timeline a.lane').count()).toBe(14);
        const chart = await o.page.evaluate(() => {
          const svg = document.querySelector('svg.conc') as El;
          const n = (el: El, a: string): number => Number(el.getAttribute(a));
          const exp = svg.querySelector('line.expected') as El;
          const max = svg.querySelector('line.maxline') as El;
          return {
            points: [...svg.querySelectorAll('circle.pt')].map((c) => [n(c, 'data-t'), n(c, 'data-n'), n(c, 'cx'), n(c, 'cy')]),
            expected: [n(exp, 'data-expected'), n(exp, 'y1'), n(exp, 'y2')],
            max: [n(max, 'data-max'), n(max, 'y1')],
            scale: { t0: n(svg, 'data-t0'), t1: n(svg, 'data-t1'), x0: n(svg, 'data-x0'), x1: n(svg, 'data-x1'), ymax: n(svg, 'data-ymax'), top: n(svg, 'data-top'), bottom: n(svg, 'data-bottom') },
            step: (svg.querySelector('path.step') as El).getAttribute('d'),
            banner: (document.querySelector('#verdict') as El).dataset.verdict,
            anomalies: [...document.querySelectorAll('.anoms tbody tr')].map((r) => `${r.getAttribute('data-severity')} ${r.getAttribute('data-code')}`),
          };
        });
        const s = chart.scale;
        const y = (v: number): number => s.bottom - (v / s.ymax) * (s.bottom - s.top);
        const x = (t: number): number => s.x0 + ((t - s.t0) / (s.t1 - s.t0)) * (s.x1 - s.x0);
        expect(chart.points.map(([t, n]) => [t, n])).toEqual(report.summary.concurrency.series);
        for (const [t, n, cx, cy] of chart.points) {
          expect(Math.abs(cx - x(t))).toBeLessThan(0.06);
          expect(Math.abs(cy - y(n))).toBeLessThan(0.06);
        }
        expect(chart.expected[0]).toBe(14);
        expect(Math.abs(chart.expected[1] - y(14))).toBeLessThan(0.06);
        expect(chart.expected[2]).toBe(chart.expected[1]);
        expect(chart.max[0]).toBe(7);
        expect(Math.abs(chart.max[1] - y(7))).toBeLessThan(0.06);
        // The step line passes through every point: H to its time, then V to its count.
        const steps = [...(chart.step as string).matchAll(/H([\d.]+)V([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
        expect(steps.length).toBe(report.summary.concurrency.series.length);
        steps.forEach(([sx, sy], i) => {
          expect(sx).toBe(chart.points[i][2]);
          expect(sy).toBe(chart.points[i][3]);
        });
        expect(chart.banner).toBe('fail');
        expect(chart.anomalies).toEqual(report.anomalies.map((a) => `${a.severity} ${a.code}`));
        expect(chart.anomalies).toEqual(['fail connection-count', 'warn mass-disconnect']);
        expect(o.requests).toEqual([o.url]);
        expect(o.errors).toEqual([]);
      } finally {
        await o.close();
      }
    },
    TEST_MS,
  );

  it(
    'a connection still open runs to the end of the capture, coloured open',
    async () => {
      const report = structuredClone(await reportOf('lossy'));
      const c = report.connections[6];
      Object.assign(c.close, { kind: 'open', initiator: null, at: null, wsInitiator: null, wsCloseFrame: null });
      c.clientState = 'ESTAB';
      const o = await open(renderHtml(report));
      try {
        const lane = (await lanes(o.page)).lanes.find((l) => l.id === 'C7') as LaneView;
        expect(lane.end).toBe('open');
        expect(lane.stop).toBe(epoch(report.capture.end as string));
        expect(o.errors).toEqual([]);
      } finally {
        await o.close();
      }
    },
    TEST_MS,
  );
});

/** Ids of the table's rows, top to bottom. */
function tableIds(page: Page): Promise<string[]> {
  return page.$$eval('#conn-table tbody tr', (rows) => rows.map((r) => (r as El).cells[0].textContent as string));
}

/** Ids sorted by a key (unknown last), ties in id order. */
function sortedIds(rows: ConnectionReport[], key: (c: ConnectionReport) => number | null, dir: 1 | -1): string[] {
  return rows
    .map((c, i) => ({ id: c.id, k: key(c), i }))
    .sort((a, b) => {
      if (a.k === null || b.k === null) return a.k === b.k ? a.i - b.i : a.k === null ? 1 : -1;
      return (a.k - b.k) * dir || a.i - b.i;
    })
    .map((r) => r.id);
}

describe('the connection table', () => {
  it(
    'sorts by duration when its header is clicked, both directions; by retransmissions as numbers',
    async () => {
      const report = await reportOf('server-close-reconnect');
      const o = await open(renderHtml(report));
      try {
        const ids = report.connections.map((c) => c.id);
        expect(await tableIds(o.page)).toEqual(ids);
        const dur = o.page.locator('#conn-table thead th', { hasText: 'Dur s' });
        await dur.click();
        const up = sortedIds(report.connections, (c) => c.durationS, 1);
        expect(await tableIds(o.page)).toEqual(up);
        expect(up).not.toEqual(ids);
        expect(await dur.getAttribute('aria-sort')).toBe('ascending');
        await dur.click();
        expect(await tableIds(o.page)).toEqual(sortedIds(report.connections, (c) => c.durationS, -1));
        expect(await dur.getAttribute('aria-sort')).toBe('descending');
        // Back to id order by the ID column, whose numbers sort as numbers (C10 after C9).
        await o.page.locator('#conn-table thead th', { hasText: /^ID$/ }).click();
        expect(await tableIds(o.page)).toEqual(ids);
        expect(o.errors).toEqual([]);
      } finally {
        await o.close();
      }
      const lossy = await reportOf('lossy');
      const p = await open(renderHtml(lossy));
      try {
        const rtx = p.page.locator('#conn-table thead th', { hasText: 'Rtx' });
        await rtx.click();
        await rtx.click();
        const total = (c: ConnectionReport): number => c.client2server.retransmissions + c.server2client.retransmissions;
        expect(await tableIds(p.page)).toEqual(sortedIds(lossy.connections, total, -1));
        // Unknown values sort last in both directions: the refused attempts have no silence.
        const ru = await reportOf('refused-unanswered');
        const q = await open(renderHtml(ru));
        try {
          const silent = q.page.locator('#conn-table thead th', { hasText: 'Silent s' });
          const key = (c: ConnectionReport): number | null => c.server2client.maxDataSilenceS;
          await silent.click();
          expect(await tableIds(q.page)).toEqual(sortedIds(ru.connections, key, 1));
          await silent.click();
          const down = sortedIds(ru.connections, key, -1);
          expect(await tableIds(q.page)).toEqual(down);
          expect(down.slice(-6)).toEqual(['C1', 'C2', 'C3', 'C4', 'C5', 'C6']);
          expect(q.errors).toEqual([]);
        } finally {
          await q.close();
        }
      } finally {
        await p.close();
      }
    },
    TEST_MS,
  );

  it(
    'without JavaScript: every row in id order, the same lanes, no sorting',
    async () => {
      const report = await reportOf('refused-unanswered');
      const o = await open(renderHtml(report), { javaScript: false });
      try {
        const ids = report.connections.map((c) => c.id);
        expect(await tableIds(o.page)).toEqual(ids);
        await o.page.locator('#conn-table thead th', { hasText: 'Dur s' }).click();
        expect(await tableIds(o.page)).toEqual(ids);
        expect(await o.page.locator('.timeline a.lane').count()).toBe(13);
        expect(await o.page.locator('#conn-table caption .js-only').isVisible()).toBe(false);
        expect(o.requests).toEqual([o.url]);
      } finally {
        await o.close();
      }
    },
    TEST_MS,
  );

  it(
    'the paged form (above the table limit) sorts every row and shows them without JavaScript',
    async () => {
      const report = await reportOf('server-close-reconnect');
      const html = renderHtml(report, { tableLimit: 5 } satisfies HtmlOptions);
      const o = await open(html);
      try {
        expect(await o.page.locator('#conn-tsv').count()).toBe(1);
        expect(await tableIds(o.page)).toEqual(report.connections.map((c) => c.id));
        await o.page.locator('#conn-table thead th', { hasText: 'Dur s' }).click();
        await o.page.locator('#conn-table thead th', { hasText: 'Dur s' }).click();
        expect(await tableIds(o.page)).toEqual(sortedIds(report.connections, (c) => c.durationS, -1));
        // One page: no pager.
        expect(await o.page.locator('.pager').count()).toBe(0);
        expect(o.errors).toEqual([]);
      } finally {
        await o.close();
      }
      const off = await open(html, { javaScript: false });
      try {
        const text = (await off.page.locator('pre.tsv').textContent()) as string;
        const lines = text.split('\n');
        expect(lines.length).toBe(15);
        expect(lines[0].split('\t')[0]).toBe('ID');
        expect(lines.slice(1).map((l) => l.split('\t')[0])).toEqual(report.connections.map((c) => c.id));
        expect(await off.page.locator('#conn-table').isVisible()).toBe(false);
      } finally {
        await off.close();
      }
    },
    TEST_MS,
  );
});

describe('print', () => {
  it(
    'prints on white without the interactive bits, lanes and rows kept whole',
    async () => {
      const o = await open(renderHtml(await reportOf('refused-unanswered', 2)));
      try {
        await o.page.emulateMedia({ media: 'print' });
        const style = await o.page.evaluate(() => {
          const cs = (sel: string): El => getComputedStyle(document.querySelector(sel) as El);
          return {
            body: cs('body').backgroundColor,
            nav: cs('nav.toc').display,
            hint: cs('#conn-table caption .js-only').display,
            lanes: cs('svg.lanes').breakInside,
            row: cs('#conn-table tbody tr').breakInside,
            thead: cs('#conn-table thead').display,
          };
        });
        expect(style).toEqual({ body: 'rgb(255, 255, 255)', nav: 'none', hint: 'none', lanes: 'avoid', row: 'avoid', thead: 'table-header-group' });
        const pdf = await o.page.pdf({ format: 'A4' });
        expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
        expect(o.errors).toEqual([]);
      } finally {
        await o.close();
      }
    },
    TEST_MS,
  );
});

const HOSTILE = [
  '<script>window.__pwned=1</script>',
  '"><img src=x onerror="window.__pwned=2">',
  "'><svg onload=\"window.__pwned=3\">",
  '</style><script>window.__pwned=4</script>',
  'javascript:window.__pwned=5//',
  '\u001b[31mred\u001b[0m',
  '</svg><script>window.__pwned=6</script>',
  '</pre></noscript><script>window.__pwned=7</script>',
  '</title><script>window.__pwned=8</script>',
  '<a href="javascript:window.__pwned=9">click</a>',
];

/** The text a hostile string shows as: control characters as \xNN, backslashes doubled (escape.ts). */
function shown(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\\]/g, (ch) => (ch === '\\' ? '\\\\' : `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** A real report with every capture- and file-borne string replaced by hostile ones. */
async function hostileReport(): Promise<Report> {
  const r = structuredClone(await reportOf('dns-names'));
  const h = (i: number): string => HOSTILE[i % HOSTILE.length];
  r.generator = h(8);
  r.capture.files[0].path = h(0);
  r.capture.files.push({ ...r.capture.files[0], path: h(3) });
  r.capture.warnings.push({ code: h(1), message: h(2), file: h(4), offset: 7 });
  r.capture.recording = {
    metadataPath: h(5),
    generator: h(6),
    tcpdumpVersion: h(7),
    interface: h(0),
    snaplen: 262144,
    filters: [h(1), h(9)],
    isUserFilter: true,
    hosts: [h(2)],
    coveredAddresses: [{ address: h(3), from: epoch(r.capture.start as string) }],
    captured: 10,
    receivedByFilter: 10,
    droppedByKernel: 2,
    stopReason: h(4),
    socketSnapshots: 3,
  };
  r.connections.forEach((c, i) => {
    c.sni = h(i);
    c.alpn = h(i + 1);
    c.tlsVersion = h(i + 2);
    c.tls.alpnOffered = [h(i + 3)];
    c.process = { pid: 42, command: h(i + 4) };
    c.zeek.history = h(i + 5);
  });
  r.summary.hosts = r.connections.map((c) => ({ name: c.sni as string, source: 'sni', addresses: [h(7)], connections: 1 }));
  r.anomalies.forEach((a, i) => {
    a.message = h(i);
    a.hint = h(i + 1);
    a.code = h(i + 2);
  });
  return r;
}

describe('hostile strings', () => {
  it('the report of the real hostile-SNI capture runs no script, with and without the CSP', async () => {
    const report = await analyzeCaptures([join(FIXTURES, 'hostile-sni.pcap')], { serverPort: 443, generator: 'wscap test' });
    // 12 hostile names sent by real TLS clients (<script>, onerror=, markdown, controls, ...).
    expect(report.connections.filter((c) => c.tls.sniStatus === 'present')).toHaveLength(13);
    const html = renderHtml(report);
    for (const bypassCSP of [false, true]) {
      const o = await open(html, { bypassCSP });
      try {
        await o.page.waitForTimeout(200);
        const seen = await o.page.evaluate(() => ({
          scripts: document.scripts.length,
          images: document.images.length,
          handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
          text: document.body.innerText,
        }));
        expect(o.dialogs).toEqual([]);
        expect(seen.scripts).toBe(1);
        expect(seen.images).toBe(0);
        expect(seen.handlers).toBe(0);
        expect(seen.text).toContain('<script>alert(1)</script>');
      } finally {
        await o.close();
      }
    }
  });

  it(
    'run no script and show as text, in the plain and the paged table, with and without the CSP',
    async () => {
      const report = await hostileReport();
      for (const tableLimit of [1000, 0]) {
        const html = renderHtml(report, { tableLimit });
        // Nothing that could open a tag or end an attribute comes through as it was.
        for (const s of HOSTILE.filter((x) => /[<>"']/.test(x))) expect(html).not.toContain(s);
        // The page's own policy would stop an injected script; escaping must hold without it too.
        for (const bypassCSP of [false, true]) {
          const o = await open(html, { bypassCSP });
          try {
            await o.page.waitForTimeout(200);
            const seen = await o.page.evaluate(() => ({
              pwned: window.__pwned,
              scripts: document.scripts.length,
              images: document.images.length,
              handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
              links: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href') as string).filter((href) => !href.startsWith('#')),
              svgs: [...document.querySelectorAll('svg')].filter((s) => s.hasAttribute('onload')).length,
              text: document.body.innerText,
              title: document.title,
              rows: [...document.querySelectorAll('#conn-table tbody tr')].map((tr) => (tr as El).innerText),
            }));
            expect(seen.pwned).toBeUndefined();
            expect(o.dialogs).toEqual([]);
            expect(seen.scripts).toBe(1);
            expect(seen.images).toBe(0);
            expect(seen.handlers).toBe(0);
            expect(seen.links).toEqual([]);
            expect(seen.svgs).toBe(0);
            for (const s of HOSTILE) expect(seen.text, s).toContain(shown(s));
            expect(seen.title).toContain(shown(HOSTILE[0]));
            expect(seen.rows.length).toBe(report.connections.length);
            // The table's SNI, TLS and process cells hold the strings as text, in both forms.
            expect(seen.rows[0]).toContain(shown(HOSTILE[0]));
            expect(seen.text).not.toContain('\u001b');
            expect(o.requests).toEqual([o.url]);
            if (!bypassCSP) expect(o.errors).toEqual([]);
          } finally {
            await o.close();
          }
        }
        const off = await open(html, { javaScript: false });
        try {
          const text = await off.page.evaluate(() => document.body.innerText);
          for (const s of HOSTILE) expect(text).toContain(shown(s));
          expect(await off.page.evaluate(() => document.images.length)).toBe(0);
          expect(off.requests).toEqual([off.url]);
        } finally {
          await off.close();
        }
      }
    },
    TEST_MS * 2,
  );
});

describe('an empty capture', () => {
  it(
    'renders the verdict and says there are no connections',
    async () => {
      const report = await analyzeCaptures([join(FIXTURES, 'snaplen-40.pcap')], { serverPort: 443, generator: 'wscap test' });
      expect(report.connections.length).toBe(0);
      const o = await open(renderHtml(report));
      try {
        expect(await o.page.locator('#timeline').innerText()).toContain('No TCP connections in the capture.');
        expect(await o.page.locator('#verdict').getAttribute('data-verdict')).toBe(report.summary.verdict);
        expect(o.errors).toEqual([]);
      } finally {
        await o.close();
      }
    },
    TEST_MS,
  );
});
