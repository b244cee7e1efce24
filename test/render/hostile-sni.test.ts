/**
 * fixtures/hostile-sni.pcap: real ClientHellos whose server_name is made to break a report (HTML
 * and script, an attribute breaker, Markdown link / image / table pipe / emphasis, a tab, a
 * newline, terminal escape sequences, non-ASCII bytes), one connection each, plus one ordinary
 * connection. Every report format must carry each name without letting it act: the terminal text
 * shows control characters as \xNN, JSON (whole, streamed rows, NDJSON) gives the exact string
 * back, Markdown and HTML get no markup from a name, and a Zeek TSV row keeps its columns.
 *
 * Markdown and HTML are judged against the same report with every hostile name replaced by a
 * plain one ("benign-N.example"): whatever markup the renderer writes itself appears in both, so
 * any link, image, HTML tag, emphasis, table row or attribute more in the hostile one came from a
 * name.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import MarkdownIt, { type Token } from 'markdown-it';
import { analyzeCaptures } from '../../src/analyze/analyze-captures.js';
import { renderText } from '../../src/render/text.js';
import { renderJson } from '../../src/render/json.js';
import { addJsonRow, closeJsonRowSpill, newJsonRowSpill, storedRows, type JsonRowSpill } from '../../src/render/json-rows.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderHtml } from '../../src/render/html.js';
import { renderZeekConnLog } from '../../src/render/zeek.js';
import type { Report } from '../../src/report/model.js';
import { FIXTURES } from '../helpers.js';

const PCAP = join(FIXTURES, 'hostile-sni.pcap');

/**
 * The server_name of each connection, in capture order: `sni` is the bytes on the wire, one char
 * per byte (latin1), as wscap decodes them; `text` is how the terminal report must show it (C0,
 * DEL and C1 as \xNN, the rest as it is). Written out by hand, not computed with src/render/escape.ts.
 */
const NAMES: Array<{ id: string; sni: string; text: string; what: string }> = [
  // openssl s_client: the byte E9 (latin1 e-acute), not UTF-8
  { id: 'C1', sni: 'caf\u00e9.example', text: 'caf\u00e9.example', what: 'latin1 byte E9' },
  // Node tls.connect({ servername }): the name's UTF-8 bytes
  { id: 'C2', sni: '<script>alert(1)</script>', text: '<script>alert(1)</script>', what: 'HTML script' },
  { id: 'C3', sni: '"><img src=x onerror=alert(1)>', text: '"><img src=x onerror=alert(1)>', what: 'attribute breaker' },
  { id: 'C4', sni: '[x](http://evil.example)', text: '[x](http://evil.example)', what: 'Markdown link' },
  { id: 'C5', sni: '![i](http://evil.example/i.png)', text: '![i](http://evil.example/i.png)', what: 'Markdown image' },
  { id: 'C6', sni: '|pipe|', text: '|pipe|', what: 'table pipes' },
  { id: 'C7', sni: '*em*', text: '*em*', what: 'emphasis' },
  { id: 'C8', sni: 'tab\there.example', text: 'tab\\x09here.example', what: 'tab' },
  { id: 'C9', sni: 'line\nbreak.example', text: 'line\\x0abreak.example', what: 'newline' },
  { id: 'C10', sni: '\u001b[31mred.example', text: '\\x1b[31mred.example', what: 'ESC [31m (SGR red)' },
  { id: 'C11', sni: '\u001b]0;owned\u0007.example', text: '\\x1b]0;owned\\x07.example', what: 'OSC window title' },
  // UTF-8 "café-€": C3 A9 2D E2 82 AC, one char per byte; 82 is a C1 control
  { id: 'C12', sni: 'caf\u00c3\u00a9-\u00e2\u0082\u00ac.example', text: 'caf\u00c3\u00a9-\u00e2\\x82\u00ac.example', what: 'UTF-8 bytes' },
];
const ORDINARY = { id: 'C13', sni: 'fstream.binance.com' };

/** Names made only of printable characters: they must read the same in every format's text. */
const PRINTABLE = NAMES.filter((n) => !/[\u0000-\u001f\u007f-\u009f]/.test(n.sni));

/** C0 controls but newline, DEL, C1: none of them belongs in a report. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
/** The same, a tab allowed (TSV and HTML may use it themselves). */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL_BUT_TAB = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

function analyze(spill?: JsonRowSpill): Promise<Report> {
  return analyzeCaptures([PCAP], {
    serverPort: 443,
    generator: 't',
    ...(spill === undefined ? {} : { onRow: (row) => addJsonRow(spill, row) }),
  });
}

/** The report with every hostile name replaced by "benign-N.example" (rows, hosts, messages). */
function benign(report: Report): Report {
  let text = JSON.stringify(report);
  NAMES.forEach((n, i) => {
    text = text.split(JSON.stringify(n.sni).slice(1, -1)).join(`benign-${i + 1}.example`);
  });
  const out = JSON.parse(text) as Report;
  expect(out.connections.map((c) => c.sni)).toEqual([...NAMES.map((_, i) => `benign-${i + 1}.example`), ORDINARY.sni]);
  return out;
}

const count = (s: string, pattern: RegExp): number => [...s.matchAll(pattern)].length;

let report: Report;
beforeAll(async () => {
  report = await analyze();
});

describe('hostile-sni.pcap: what wscap decodes', () => {
  it('every server_name exactly as sent, one char per byte', () => {
    expect(report.connections.map((c) => [c.id, c.sni])).toEqual([...NAMES.map((n) => [n.id, n.sni]), [ORDINARY.id, ORDINARY.sni]]);
    // e.g. C1's name is 12 bytes with E9 in it; C12's UTF-8 bytes are kept as they are, not decoded
    expect(Buffer.from(report.connections[0].sni as string, 'latin1').toString('hex')).toBe('636166e92e6578616d706c65');
    expect(Buffer.from(report.connections[11].sni as string, 'latin1').toString('hex')).toBe('636166c3a92de282ac2e6578616d706c65');
  });
});

describe('text report', () => {
  let text: string;
  let lines: string[];
  beforeAll(() => {
    text = renderText(report, { color: false, details: true });
    lines = text.split('\n');
  });

  it('has no raw control character anywhere (C0 but the line ends, DEL, C1)', () => {
    expect(text).not.toMatch(RAW_CONTROL);
  });

  it('shows each name escaped in its connection’s details line', () => {
    for (const n of [...NAMES, { ...ORDINARY, text: ORDINARY.sni }]) {
      const row = lines.findIndex((l) => l.startsWith(`${n.id} `));
      expect(row, n.id).toBeGreaterThan(0);
      expect(lines[row + 1].slice(0, `      sni ${n.text}, `.length), n.id).toBe(`      sni ${n.text}, `);
    }
  });

  it('names every one, escaped, in the server’s heading', () => {
    const heading = lines.find((l) => l.startsWith('Server 127.0.0.2:443 ('));
    expect(heading).toBeDefined();
    for (const n of NAMES) expect(heading, n.what).toContain(n.text);
  });

  it('a newline in a name starts no line: every piece of a name is in its escaped form', () => {
    expect(count(text, /break\.example/g)).toBe(count(text, /line\\x0abreak\.example/g));
    expect(count(text, /here\.example/g)).toBe(count(text, /tab\\x09here\.example/g));
    expect(lines.some((l) => l.startsWith('break.example'))).toBe(false);
  });
});

describe('JSON report', () => {
  it('parses, gives every name back exactly, and equals the report', () => {
    const parsed = JSON.parse(renderJson(report)) as Report;
    expect(parsed.connections.map((c) => c.sni)).toEqual([...NAMES.map((n) => n.sni), ORDINARY.sni]);
    expect(parsed).toEqual(JSON.parse(JSON.stringify(report)));
  });

  it('streamed rows (the row writer, not JSON.stringify) give the same text', async () => {
    const spill = newJsonRowSpill();
    try {
      const streamed = await analyze(spill);
      expect(streamed.connections).toEqual([]);
      const text = renderJson(streamed, spill);
      const parsed = JSON.parse(text) as Report;
      expect(parsed.connections.map((c) => c.sni)).toEqual([...NAMES.map((n) => n.sni), ORDINARY.sni]);
      expect(text).toBe(renderJson(report));
    } finally {
      closeJsonRowSpill(spill);
    }
  });

  it('NDJSON: one row per line, each parses to the exact name', async () => {
    const spill = newJsonRowSpill(undefined, 'ndjson');
    try {
      await analyze(spill);
      const text = Buffer.concat([...storedRows(spill)]).toString('utf8');
      expect(text.endsWith('\n')).toBe(true);
      const rows = text.slice(0, -1).split('\n');
      expect(rows).toHaveLength(NAMES.length + 1);
      const parsed = rows.map((r) => JSON.parse(r) as Report['connections'][number]);
      expect(parsed.map((c) => [c.id, c.sni])).toEqual([...NAMES.map((n) => [n.id, n.sni]), [ORDINARY.id, ORDINARY.sni]]);
      expect(parsed).toEqual(JSON.parse(JSON.stringify(report.connections)));
    } finally {
      closeJsonRowSpill(spill);
    }
  });
});

// ------------------------------------------------------------------------------------ Markdown

/** GitHub-like: raw HTML recognised, `www.` / `scheme://` autolinked (not bare domain names). */
function markdownParser(): MarkdownIt {
  const md = new MarkdownIt({ html: true, linkify: true });
  md.linkify.set({ fuzzyLink: false });
  return md;
}

function flatten(tokens: Token[]): Token[] {
  return tokens.flatMap((t) => [t, ...flatten(t.children ?? [])]);
}

/** Token types a name could add: links, images, raw HTML, emphasis, code, and any block structure. */
const MARKUP_TOKENS = [
  'link_open', 'image', 'html_inline', 'html_block', 'em_open', 'strong_open', 's_open', 'code_inline',
  'softbreak', 'hardbreak', 'heading_open', 'hr', 'fence', 'code_block', 'blockquote_open',
  'bullet_list_open', 'ordered_list_open', 'list_item_open', 'paragraph_open',
  'table_open', 'tr_open', 'th_open', 'td_open',
];

function tokenCounts(tokens: Token[]): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(MARKUP_TOKENS.map((t) => [t, 0]));
  for (const t of flatten(tokens)) if (t.type in out) out[t.type]++;
  return out;
}

/** GFM table row: cells split at every pipe not escaped by a backslash (code spans included). */
function tableCells(line: string): number {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  let cells = 1;
  let lastPipeAt = -1;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '|') {
      cells++;
      lastPipeAt = i;
    }
  }
  // a trailing pipe closes the row, it does not open a cell
  if (lastPipeAt === s.length - 1) cells--;
  return cells;
}

describe('Markdown report', () => {
  let md: string;
  let plain: string;
  beforeAll(() => {
    md = renderMarkdown(report);
    plain = renderMarkdown(benign(report));
  });

  it('has no raw control character (C0 but the line ends, DEL, C1)', () => {
    expect(md).not.toMatch(RAW_CONTROL);
  });

  it('no link, image, raw HTML, emphasis or block comes from a name', () => {
    const parser = markdownParser();
    expect(tokenCounts(parser.parse(md, {}))).toEqual(tokenCounts(parser.parse(plain, {})));
  });

  it('every table row keeps the table’s column count, and no row is lost or added', () => {
    const parser = markdownParser();
    const tables = (text: string): number[][] => {
      const source = text.split('\n');
      return parser
        .parse(text, {})
        .filter((t) => t.type === 'table_open' && t.map !== null)
        .map((t) => {
          const [from, to] = t.map as [number, number];
          return source.slice(from, to).map(tableCells);
        });
    };
    const got = tables(md);
    for (const [i, rows] of got.entries()) {
      for (const [r, cells] of rows.entries()) expect(cells, `table ${i + 1} line ${r + 1}`).toBe(rows[0]);
    }
    expect(got.map((rows) => rows.length)).toEqual(tables(plain).map((rows) => rows.length));
  });

  it('names of printable characters read as they are (escapes resolved)', () => {
    const words = flatten(markdownParser().parse(md, {}))
      .filter((t) => t.type === 'text' || t.type === 'code_inline')
      .map((t) => t.content)
      .join('\n')
      .replaceAll('\u200b', ''); // an invisible break against autolinking is fine
    for (const n of PRINTABLE) expect(words, n.what).toContain(n.sni);
  });
});

// ---------------------------------------------------------------------------------------- HTML

interface Tag {
  name: string;
  attrs: Array<[string, string]>;
}

/** Elements whose content is raw text up to their end tag (HTML tokenizer). */
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript']);
const TAG = /<(\/?)([a-zA-Z][^\s/>]*)/y;
const ATTR = /[\s/]*([^\s/>=][^\s/>=]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*)))?/y;

/**
 * Start tags with their attributes, and the text between tags (outside raw-text elements), as an
 * HTML parser would see them: comments skipped, a raw-text element's content runs to its end tag
 * (a name that holds "</script>" inside a script block would end it there).
 */
function parseHtml(html: string): { tags: Tag[]; text: string } {
  const lower = html.toLowerCase();
  const tags: Tag[] = [];
  const text: string[] = [];
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    text.push(html.slice(i, lt < 0 ? html.length : lt));
    if (lt < 0) break;
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      i = end < 0 ? html.length : end + 3;
      continue;
    }
    TAG.lastIndex = lt;
    const m = TAG.exec(html);
    if (m === null) {
      // "<!DOCTYPE", "<?", or a lone "<": not a tag
      const gt = html.indexOf('>', lt);
      i = html[lt + 1] === '!' || html[lt + 1] === '?' ? (gt < 0 ? html.length : gt + 1) : lt + 1;
      if (i === lt + 1) text.push('<');
      continue;
    }
    let j = TAG.lastIndex;
    const attrs: Array<[string, string]> = [];
    for (;;) {
      while (j < html.length && /[\s/]/.test(html[j])) j++;
      if (j >= html.length || html[j] === '>') break;
      ATTR.lastIndex = j;
      const a = ATTR.exec(html);
      if (a === null || ATTR.lastIndex === j) {
        j++;
        continue;
      }
      attrs.push([a[1].toLowerCase(), decodeEntities(a[2] ?? a[3] ?? a[4] ?? '')]);
      j = ATTR.lastIndex;
    }
    const name = m[2].toLowerCase();
    i = j + 1;
    if (m[1] === '') {
      tags.push({ name, attrs });
      if (RAW_TEXT.has(name)) {
        const close = lower.indexOf(`</${name}`, i);
        i = close < 0 ? html.length : close;
      }
    }
  }
  return { tags, text: decodeEntities(text.join('')) };
}

function decodeEntities(s: string): string {
  const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: '\u00a0' };
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (all, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return named[e.toLowerCase()] ?? all;
  });
}

/** Elements that run code, load something or take the page over. */
const ACTIVE_TAGS = ['script', 'img', 'iframe', 'object', 'embed', 'svg', 'math', 'style', 'link', 'meta', 'base', 'form', 'a', 'video', 'audio', 'source', 'input'];
const URL_ATTRS = new Set(['href', 'src', 'srcset', 'action', 'formaction', 'poster', 'data', 'background', 'xlink:href', 'ping']);

function activeTags(tags: Tag[]): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(ACTIVE_TAGS.map((t) => [t, 0]));
  for (const t of tags) if (t.name in out) out[t.name]++;
  return out;
}

const handlerAttrs = (tags: Tag[]): string[] => tags.flatMap((t) => t.attrs.filter(([a]) => a.startsWith('on')).map(([a]) => `${t.name} ${a}`)).sort();
const urls = (tags: Tag[]): string[] => tags.flatMap((t) => t.attrs.filter(([a]) => URL_ATTRS.has(a)).map(([, v]) => v));

describe('HTML report', () => {
  let html: string;
  let plain: string;
  beforeAll(() => {
    html = renderHtml(report);
    plain = renderHtml(benign(report));
  });

  it('has no raw control character (C0 but tab and line ends, DEL, C1)', () => {
    expect(html.replaceAll('\r', '')).not.toMatch(RAW_CONTROL_BUT_TAB);
  });

  it('no <script, <img (or other active element) comes from a name, and no "</script>" ends a script block early', () => {
    const got = parseHtml(html);
    const want = parseHtml(plain);
    expect(activeTags(got.tags)).toEqual(activeTags(want.tags));
    expect(got.tags.length).toBeGreaterThan(0);
  });

  it('no onerror= (or other handler) attribute and no javascript: or evil.example URL comes from a name', () => {
    const got = parseHtml(html).tags;
    const want = parseHtml(plain).tags;
    expect(handlerAttrs(got)).toEqual(handlerAttrs(want));
    expect(urls(got).filter((u) => /^\s*javascript:/i.test(u) || u.includes('evil.example'))).toEqual(
      urls(want).filter((u) => /^\s*javascript:/i.test(u)),
    );
    expect(count(html, /javascript:/gi)).toBe(count(plain, /javascript:/gi));
  });

  it('the names are there as text: the markup ones and the printable ones read as they are', () => {
    const { text } = parseHtml(html);
    for (const n of PRINTABLE) expect(text, n.what).toContain(n.sni);
  });
});

// ---------------------------------------------------------------------------------- Zeek TSV

describe('Zeek conn.log TSV', () => {
  let tsv: string;
  beforeAll(() => {
    tsv = renderZeekConnLog(report);
  });

  it('has no raw control character but its tabs and line ends', () => {
    expect(tsv).not.toMatch(RAW_CONTROL_BUT_TAB);
  });

  it('one line per connection, each with exactly as many fields as #fields names; no extra line', () => {
    expect(tsv.endsWith('\n')).toBe(true);
    const lines = tsv.slice(0, -1).split('\n');
    const fieldsLine = lines.find((l) => l.startsWith('#fields\t'));
    expect(fieldsLine).toBeDefined();
    const names = (fieldsLine as string).split('\t').slice(1);
    expect(names.length).toBeGreaterThan(5);
    const types = lines.find((l) => l.startsWith('#types\t'));
    if (types !== undefined) expect(types.split('\t').slice(1)).toHaveLength(names.length);
    const rows = lines.filter((l) => !l.startsWith('#'));
    expect(rows).toHaveLength(report.connections.length);
    for (const [i, row] of rows.entries()) expect(row.split('\t'), `row ${i + 1}`).toHaveLength(names.length);
  });
});
