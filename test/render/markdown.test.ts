/**
 * The Markdown report (render/markdown.ts) on real fixtures, read back with markdown-it (HTML on,
 * as GitHub and GitLab allow `<details>`): its structure from the tokens, and that hostile strings
 * in a report (SNI, file path, anomaly message, host name, warning) stay plain text.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import MarkdownIt from 'markdown-it';
import type { Options, Token } from 'markdown-it';
import { analyzeCaptures } from '../../src/analyze/analyze-captures.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { escapeMarkdown, escapeTerminal } from '../../src/render/escape.js';
import type { Report } from '../../src/report/model.js';
import { FIXTURES } from '../helpers.js';

const ANOMALY_HEADER = ['severity', 'code', 'connections', 'when (UTC)', 'what happened', 'hint'];
const CONNECTION_HEADER = [
  'id', 'client', 'server name', 'start (UTC)', 'duration s', 'TCP / TLS ms', 'longest silence s', 'TCP health', 'close', 'WebSocket closer', 'client state',
];
const ZWSP = /\u200b/g;

const reports = new Map<string, Report>();
async function analyzed(...names: string[]): Promise<Report> {
  const key = names.join('+');
  let report = reports.get(key);
  if (report === undefined) {
    report = await analyzeCaptures(names.map((n) => join(FIXTURES, n)), { serverPort: 443, generator: 'wscap test' });
    reports.set(key, report);
  }
  return report;
}

function parse(markdown: string, options: Options = {}): Token[] {
  return new MarkdownIt({ html: true, ...options }).parse(markdown, {});
}

/** Every token, children included, in document order. */
function flat(tokens: Token[]): Token[] {
  return tokens.flatMap((t) => [t, ...(t.children === null ? [] : flat(t.children))]);
}

/** What an inline token reads as once rendered to text (escapes and entities resolved, zero-width spaces dropped). */
function plain(inline: Token): string {
  return (inline.children ?? [])
    .map((t) => (t.type === 'text' || t.type === 'text_special' || t.type === 'code_inline' ? t.content : t.type === 'softbreak' ? '\n' : ''))
    .join('')
    .replace(ZWSP, '');
}

interface Table {
  header: string[];
  rows: string[][];
  /** td tokens per body row (markdown-it always makes as many as the header has, so the raw lines are checked too). */
  cellCounts: number[];
  /** Inside `<details>`. */
  folded: boolean;
}

function tables(tokens: Token[]): Table[] {
  const out: Table[] = [];
  let folded = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.type === 'html_block') folded = t.content.startsWith('<details>');
    if (t.type !== 'table_open') continue;
    const table: Table = { header: [], rows: [], cellCounts: [], folded };
    let inBody = false;
    for (i++; tokens[i].type !== 'table_close'; i++) {
      const u = tokens[i];
      if (u.type === 'tbody_open') inBody = true;
      else if (u.type === 'tr_open' && inBody) {
        table.rows.push([]);
        table.cellCounts.push(0);
      } else if (u.type === 'td_open') table.cellCounts[table.cellCounts.length - 1]++;
      else if (u.type === 'inline') (inBody ? table.rows[table.rows.length - 1] : table.header).push(plain(u));
    }
    out.push(table);
  }
  return out;
}

function tableWith(tokens: Token[], header: string[]): Table {
  const found = tables(tokens).filter((t) => t.header.join('|') === header.join('|'));
  expect(found).toHaveLength(1);
  return found[0];
}

/** Pipes that end a cell on a raw table line: not escaped by an odd run of backslashes. */
function cellPipes(line: string): number {
  let n = 0;
  for (let i = 0; i < line.length; i++) {
    if (line[i] !== '|') continue;
    let backslashes = 0;
    for (let j = i - 1; j >= 0 && line[j] === '\\'; j--) backslashes++;
    if (backslashes % 2 === 0) n++;
  }
  return n;
}

/** The verdict paragraph, read from its tokens: strong "Verdict: X", then the tally. */
function verdict(tokens: Token[]): string {
  const i = tokens.findIndex((t) => t.type === 'paragraph_open');
  const inline = tokens[i + 1];
  const parts = (inline.children ?? []).filter((t) => !(t.type === 'text' && t.content === ''));
  expect(parts.map((t) => t.type)).toEqual(['strong_open', 'text', 'strong_close', 'text']);
  expect(parts[1].content).toMatch(/^Verdict: (OK|WARN|FAIL)$/);
  return plain(inline);
}

/** The text of each list item (nested ones separately), in document order. */
function listItems(tokens: Token[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i].type === 'list_item_open' && tokens[i + 1].type === 'paragraph_open') out.push(plain(tokens[i + 2]));
  }
  return out;
}

/** Structure every report must have, whatever the fixture. */
function checkStructure(report: Report, markdown: string): Token[] {
  const tokens = parse(markdown);
  expect(tokens[0].type).toBe('heading_open');
  expect(tokens[0].tag).toBe('h1');
  expect(plain(tokens[1])).toBe('wscap test report');
  expect(tokens.filter((t) => t.type === 'heading_open' && t.tag === 'h2').map((t) => plain(tokens[tokens.indexOf(t) + 1]))).toEqual([
    'Anomalies', 'Summary', 'Capture', 'Connections',
  ]);
  const all = tables(tokens);
  for (const table of all) {
    for (const count of table.cellCounts) expect(count).toBe(table.header.length);
    for (const row of table.rows) expect(row).toHaveLength(table.header.length);
  }
  // The raw lines: as many cell-ending pipes as the header line has, on every line of every table.
  let width = 0;
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) {
      width = 0;
      continue;
    }
    if (width === 0) width = cellPipes(line);
    expect(cellPipes(line), line).toBe(width);
  }
  if (report.anomalies.length > 0) {
    const anomalies = tableWith(tokens, ANOMALY_HEADER);
    expect(anomalies.rows.map((r) => r[1])).toEqual(report.anomalies.map((a) => a.code));
    expect(anomalies.folded).toBe(report.anomalies.length > 20);
  } else {
    expect(all.some((t) => t.header[0] === 'severity')).toBe(false);
  }
  const connections = tableWith(tokens, CONNECTION_HEADER);
  expect(connections.rows).toHaveLength(report.connections.length);
  expect(connections.rows.map((r) => r[0])).toEqual(report.connections.map((c) => c.id));
  expect(connections.folded).toBe(report.connections.length > 20);
  // <details> only around long tables, and nothing else as HTML.
  const html = flat(tokens).filter((t) => t.type.startsWith('html_'));
  const long = (report.connections.length > 20 ? 1 : 0) + (report.anomalies.length > 20 ? 1 : 0);
  expect(html).toHaveLength(2 * long);
  for (const t of html) {
    expect(t.type).toBe('html_block');
    expect(t.content).toMatch(/^(<details>\n<summary>\d+ (connections|anomalies)<\/summary>\n|<\/details>\n)$/);
  }
  return tokens;
}

describe('renderMarkdown on real captures', () => {
  beforeAll(async () => {
    for (const name of ['clean-shutdown.pcap', 'close-wait.pcap', 'server-close-reconnect.pcap', 'refused-unanswered.pcap', 'snaplen-128.pcap', 'dns-names.pcap']) await analyzed(name);
    await analyzed('server-close-reconnect.pcap', 'refused-unanswered.pcap');
  });

  it('close-wait.pcap: verdict, anomalies, summary, capture and connections', async () => {
    const report = await analyzed('close-wait.pcap');
    const tokens = checkStructure(report, renderMarkdown(report));
    expect(verdict(tokens)).toBe('Verdict: FAIL — 1 fail, 2 warn');
    const anomalies = tableWith(tokens, ANOMALY_HEADER);
    expect(anomalies.rows.map((r) => r.slice(0, 4))).toEqual([
      ['FAIL', 'close-wait', 'C1–C7', '00:48:50.996'],
      ['WARN', 'abnormal-close', 'C2–C7', '00:48:50.996'],
      ['WARN', 'mass-disconnect', 'C1–C7', '00:48:50.996'],
    ]);
    expect(anomalies.rows[0][4]).toBe('7 connections left in CLOSE-WAIT: the server closed, the agent never closed its side.');
    expect(anomalies.rows.map((r) => r[4])).toEqual(report.anomalies.map((a) => a.message));
    expect(anomalies.rows.map((r) => r[5])).toEqual(report.anomalies.map((a) => a.hint));
    const connections = tableWith(tokens, CONNECTION_HEADER);
    expect(connections.rows[0]).toEqual([
      'C1', '127.0.0.1:40110', 'fstream.binance.com', '00:48:48.948', '2.061', '0.02 / 3.02', '0.3', 'R1', 'fin / server', 'server', 'CLOSE-WAIT',
    ]);
    expect(connections.rows[1].slice(8)).toEqual(['fin / server', 'server (no close frame)', 'CLOSE-WAIT']);
    expect(listItems(tokens)).toEqual([
      'Hosts: 1',
      '7 connections to fstream.binance.com at 127.0.0.2',
      'Open at once: max 7 at 00:48:48.957; 0 open at the end',
      "Estimate (the guide's): 0 symbol(s) = 0 ESTAB at the end ÷ 7 per symbol",
      'Reconnects: 0',
      "Attempts: at most 7 in the busiest 5 minutes (from 00:48:48.948), 2 % of Binance's budget of 300 per 5 minutes per IP",
      'Client state: CLOSE-WAIT 7',
      'Close kind: fin 7',
      'Files: 1',
      `file ${join(FIXTURES, 'close-wait.pcap')}: pcap, EN10MB, us timestamps, snaplen 262144, 199 packets`,
      'Time span: 2026-11-27T00:48:48.947974Z to 2026-11-27T00:48:51.037014Z (2.089 s)',
      'Packets: 199 read, 199 TCP',
      'Warnings: none',
    ]);
  });

  it('clean-shutdown.pcap: OK and no anomalies table', async () => {
    const report = await analyzed('clean-shutdown.pcap');
    const markdown = renderMarkdown(report);
    const tokens = checkStructure(report, markdown);
    expect(verdict(tokens)).toBe('Verdict: OK — no anomalies');
    expect(markdown).toContain('## Anomalies\n\nNo anomalies.\n');
    expect(tables(tokens)).toHaveLength(1);
  });

  it('server-close-reconnect.pcap: reconnects with their delays', async () => {
    const report = await analyzed('server-close-reconnect.pcap');
    const tokens = checkStructure(report, renderMarkdown(report));
    expect(verdict(tokens)).toBe('Verdict: WARN — 1 warn');
    const d = report.summary.reconnects.delayS;
    expect(report.summary.reconnects.count).toBe(7);
    expect(listItems(tokens)).toContain(`Reconnects: 7; close → new SYN min ${d.min?.toFixed(3)} s, median ${d.median?.toFixed(3)} s, max ${d.max?.toFixed(3)} s`);
  });

  it('refused-unanswered.pcap: several hosts, attempts without a handshake', async () => {
    const report = await analyzed('refused-unanswered.pcap');
    const tokens = checkStructure(report, renderMarkdown(report));
    expect(verdict(tokens)).toBe('Verdict: WARN — 2 warn');
    const items = listItems(tokens);
    expect(items.slice(0, 4)).toEqual([
      'Hosts: 3',
      '7 connections to fstream.binance.com at 127.0.0.2',
      '3 connections to 127.0.0.2:4443 (no server name)',
      '3 connections to 127.0.0.2:8443 (no server name)',
    ]);
    expect(items).toContain('Close kind: fin 7, refused 3, unanswered 3');
    const rows = tableWith(tokens, CONNECTION_HEADER).rows;
    expect(rows[0].slice(2)).toEqual(['-', '00:48:57.423', '0.000', '- / -', '-', 'ok', 'refused / server', '-', 'CLOSED']);
    expect(rows[3].slice(7)).toEqual(['R2', 'unanswered', '-', 'SYN-SENT']);
  });

  it('snaplen-128.pcap: no SNI, said why', async () => {
    const report = await analyzed('snaplen-128.pcap');
    const tokens = checkStructure(report, renderMarkdown(report));
    const rows = tableWith(tokens, CONNECTION_HEADER).rows;
    expect(new Set(rows.map((r) => r[2]))).toEqual(new Set(['SNI unavailable (snaplen 128)']));
    expect(tableWith(tokens, ANOMALY_HEADER).rows.map((r) => r.slice(0, 3))).toEqual([['WARN', 'snaplen', 'C1–C7']]);
  });

  it('dns-names.pcap: a ClientHello without SNI; a host named from DNS', async () => {
    const report = await analyzed('dns-names.pcap');
    const tokens = checkStructure(report, renderMarkdown(report));
    expect(verdict(tokens)).toBe('Verdict: WARN — 3 warn');
    const rows = tableWith(tokens, CONNECTION_HEADER).rows;
    expect(rows.filter((r) => r[2] === 'no SNI').map((r) => r[0])).toEqual(['C1']);
    expect(tableWith(tokens, ANOMALY_HEADER).rows.map((r) => r.slice(0, 3))).toEqual([
      ['WARN', 'sni', 'C1'],
      ['WARN', 'abnormal-close', 'C1'],
      ['WARN', 'reset', 'C1'],
    ]);
    // Its host has an SNI from the other connections; a host known only from DNS says so.
    expect(listItems(tokens)[1]).toBe('8 connections to fstream.binance.com at 127.0.0.2');
    const fromDns = structuredClone(report);
    fromDns.summary.hosts[0].source = 'dns';
    expect(listItems(parse(renderMarkdown(fromDns)))[1]).toBe('8 connections to fstream.binance.com (name from DNS) at 127.0.0.2');
  });

  it('folds a long connection table into <details>, with a blank line after <summary>', async () => {
    const report = await analyzed('server-close-reconnect.pcap', 'refused-unanswered.pcap');
    expect(report.connections).toHaveLength(27);
    const markdown = renderMarkdown(report);
    checkStructure(report, markdown);
    expect(markdown).toContain('## Connections\n\n<details>\n<summary>27 connections</summary>\n\n| id | client |');
    expect(markdown).toContain('| C27 |');
    expect(markdown).toMatch(/\| C27 \|[^\n]*\|\n\n<\/details>\n/);
  });
});

/** Strings a capture, a file name or a message could carry. */
const HOSTILE = [
  'a|b',
  '[x](http://evil.example)',
  '![i](http://evil.example/i.png)',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '*bold*',
  '_em_ and __strong__',
  '`code`',
  '``',
  'line one\nline two',
  'cr\r\nlf',
  '\u001b[31mred',
  'www.evil.example',
  'http://evil.example',
  'see //evil.com/x',
  'mallory@evil.example',
  'ping @mallory about #1',
  '&amp; &lt;b&gt; &#60;',
  '$x^2$',
  '~~struck~~',
  'a\\|b\\',
  '\\',
  '- item',
  '1. item',
  '# heading',
  '> quote',
  '---',
  '===',
  '    indented code',
  '| a | b |',
  '[^1]',
  '<http://evil.example>',
  '{+ added +} [- removed -]',
  'evil\u202ecod.exe',
];

/** How a hostile string should read once rendered: controls (line breaks too) as \xNN, as in the text report; bidi controls as \uNNNN. */
function reading(s: string): string {
  return escapeTerminal(s).replace(/[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A copy of a real report with the hostile string in every place that quotes a capture or a file. */
function hostileReport(base: Report, s: string): Report {
  const r = structuredClone(base);
  r.connections[0].sni = s;
  r.capture.files[0].path = s;
  r.anomalies[0].message = s;
  r.summary.hosts[0].name = s;
  r.capture.warnings.push({ code: 'truncated', message: s, file: s, offset: 24 });
  r.capture.recording = {
    metadataPath: s, generator: s, tcpdumpVersion: s, interface: s, snaplen: 0, filters: [s], isUserFilter: true, hosts: [s],
    coveredAddresses: [{ address: s, from: 1795740528.5 }], captured: 199, receivedByFilter: 199, droppedByKernel: 0, stopReason: s, socketSnapshots: 2,
  };
  return r;
}

/** Count of each token type that is markup (not text), over the whole document. */
function markupCounts(tokens: Token[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of flat(tokens)) {
    if (t.type === 'text' || t.type === 'text_special' || t.type === 'inline' || t.type === 'softbreak') continue;
    counts.set(t.type, (counts.get(t.type) ?? 0) + 1);
  }
  return counts;
}

/** What GitHub links or mentions on the rendered text (after escapes are resolved): www., scheme://, //, e-mail, @name, #123. */
const AUTOLINK_TRIGGERS = [/www\./i, /\/\//, /[\w.+-]@[\w-]/, /(^|[^\w])@\w/, /#\d/];

describe('renderMarkdown with hostile strings in a real report', () => {
  let base: Report;
  let baseCounts: Map<string, number>;
  beforeAll(async () => {
    base = await analyzed('close-wait.pcap');
    baseCounts = markupCounts(parse(renderMarkdown(hostileReport(base, 'plain words'))));
  });

  it.each(HOSTILE.map((s) => [JSON.stringify(s), s]))('%s stays text', (_label, s) => {
    const report = hostileReport(base, s);
    const markdown = renderMarkdown(report);
    const tokens = checkStructure(report, markdown);
    // The same markup as with plain words in those places: no link, image, HTML, emphasis, code,
    // heading, list, quote or rule came from the string.
    expect(markupCounts(tokens)).toEqual(baseCounts);
    for (const t of flat(tokens)) {
      expect(['link_open', 'image', 'html_inline', 'html_block', 'em_open', 's_open', 'code_inline', 'code_block', 'fence', 'hr', 'blockquote_open']).not.toContain(t.type);
    }
    // It reads as the original, wherever it is.
    const expectedText = reading(s);
    expect(tableWith(tokens, CONNECTION_HEADER).rows[0][2]).toBe(expectedText);
    expect(tableWith(tokens, ANOMALY_HEADER).rows[0][4]).toBe(expectedText);
    const items = listItems(tokens);
    expect(items).toContain(`file ${expectedText}: pcap, EN10MB, us timestamps, snaplen 262144, 199 packets`);
    expect(items).toContain(`7 connections to ${expectedText} at 127.0.0.2`);
    expect(items).toContain(`warning truncated in ${expectedText} at byte offset 24: ${expectedText}`);
    expect(items).toContain(`Recording: by ${expectedText} on interface ${expectedText}, tcpdump ${expectedText}, snaplen 0; stop: ${expectedText}`);
    expect(items).toContain(`user filter: ${expectedText}`);
    expect(items).toContain(`address ${expectedText} captured from 2026-11-27T00:48:48.500Z`);
    expect(items).toContain(`metadata: ${expectedText}, 2 socket snapshots`);
    // What GitHub autolinks on the text after parsing finds nothing (zero-width spaces kept here).
    for (const t of flat(tokens).filter((u) => u.type === 'text')) {
      for (const trigger of AUTOLINK_TRIGGERS) expect(t.content, t.content).not.toMatch(trigger);
    }
    // Nor does markdown-it's linkify (scheme links and e-mail addresses, as GitHub links them).
    const md = new MarkdownIt({ html: true, linkify: true });
    md.linkify.set({ fuzzyLink: false, fuzzyEmail: true, fuzzyIP: false });
    expect(flat(md.parse(markdown, {})).filter((t) => t.type === 'link_open')).toEqual([]);
  });

  it('escapeMarkdown keeps spaces at the ends and escapes only what can make markup', () => {
    expect(escapeMarkdown('  a  ')).toBe('&#32;&#32;a&#32;&#32;');
    expect(escapeMarkdown('fstream.binance.com')).toBe('fstream.binance.com');
    expect(escapeMarkdown('127.0.0.1:443')).toBe('127.0.0.1:443');
    expect(escapeMarkdown('1. x')).toBe('1\\. x');
    expect(escapeMarkdown('- x')).toBe('\\- x');
    expect(escapeMarkdown('a|b')).toBe('a\\|b');
    expect(escapeMarkdown('<b>&')).toBe('&lt;b&gt;&amp;');
    expect(escapeMarkdown('http://x')).toBe('http:/\u200b/x');
  });
});
