/**
 * JSON rows streamed out of the analysis (render/json-rows.ts) and written without JSON.stringify
 * (render/json-row-writer.ts): the report's text must be exactly what the in-memory renderer gives.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { analyzeCaptures } from '../../src/analyze/analyze-captures.js';
import { renderJson } from '../../src/render/json.js';
import { addJsonRow, closeJsonRowSpill, newJsonRowSpill, storedRows, type JsonRowSpill } from '../../src/render/json-rows.js';
import { newRowWriter, writeRowJson } from '../../src/render/json-row-writer.js';
import { jsonSafe } from '../../src/render/escape.js';
import type { ConnectionReport, Report } from '../../src/report/model.js';
import { loadExpectations } from '../helpers.js';

const expectations = loadExpectations();

function rowJson(row: ConnectionReport): string {
  const buf = Buffer.alloc(1 << 16);
  const w = newRowWriter(buf, 0, buf.length);
  writeRowJson(w, row);
  expect(w.isFull).toBe(false);
  return buf.toString('utf8', 0, w.at);
}

/** A copy of a real row with the given fields replaced. */
function withFields(row: ConnectionReport, patch: (r: ConnectionReport) => void): ConnectionReport {
  const copy = structuredClone(row);
  patch(copy);
  return copy;
}

let sample: ConnectionReport | null = null;
async function sampleRow(): Promise<ConnectionReport> {
  if (sample === null) {
    const report = await analyzeCaptures([join('fixtures', 'clean-shutdown.pcap')], { serverPort: 443, generator: 't' });
    sample = report.connections[0];
  }
  return sample;
}

/** Stores a copy of `row` as each id of `order`, in that order; the client port is the id too. */
function addNumberedRows(spill: JsonRowSpill, row: ConnectionReport, order: number[]): void {
  for (const id of order) addJsonRow(spill, withFields(row, (c) => void ((c.id = `C${id}`), (c.client.port = id))));
}

/** NDJSON text holding rows C1..C`count` in id order, each the row stored under its id. */
function expectNumberedLines(text: string, count: number): void {
  const lines = text.slice(0, -1).split('\n');
  expect(lines).toHaveLength(count);
  lines.forEach((line, i) => {
    const parsed = JSON.parse(line) as { id: string; client: { port: number } };
    expect([parsed.id, parsed.client.port]).toEqual([`C${i + 1}`, i + 1]);
  });
}

describe('JSON row writer', () => {
  it('writes every fixture row exactly as JSON.stringify does', async () => {
    let rows = 0;
    for (const exp of expectations) {
      const report = await analyzeCaptures(exp.files.map((f) => join(exp.dir, f)), { serverPort: 443, generator: 't' });
      for (const row of report.connections) {
        expect(rowJson(row), `${exp.name} ${row.id}`).toBe(jsonSafe(JSON.stringify(row)));
        rows++;
      }
    }
    expect(rows).toBeGreaterThan(100);
  });

  it('formats numbers as JSON.stringify does: micro-second times, integers, and the rest', async () => {
    const row = await sampleRow();
    const values = [
      0, -0, 1, 9, 10, 99, 100, 65535, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1, 2 ** 53, 2 ** 60, 1e21, 1e22, -7, -(2 ** 31),
      1795740517.283506, 1795740517.2835, 1795740517.1, 1795740517.000001, 0.000001, 0.00001, 0.5, 0.043, 12.345678, -0.25,
      1e-7, 5e-7, 0.1 + 0.2, 1 / 3, Math.PI, 8589934591.999999, 8589934592.5, 123456789012.5, NaN, Infinity, -Infinity,
    ];
    // Every digit count, at its edges (the integer writer sizes numbers by comparisons).
    for (let k = 1; k <= 16; k++) values.push(10 ** k - 1, 10 ** k, 10 ** k + 1, 3 * 10 ** k, -(10 ** k));
    // Random whole numbers of microseconds across the magnitudes the report uses.
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 3000; i++) {
      const scale = 10 ** Math.floor(random() * 16);
      values.push(Math.round(random() * scale) / 1e6);
      values.push(-Math.round(random() * scale) / 1e6);
    }
    for (const x of values) {
      const r = withFields(row, (c) => {
        c.start = x;
        c.server2client.rttMs.median = x;
      });
      expect(rowJson(r), String(x)).toBe(jsonSafe(JSON.stringify(r)));
    }
  });

  it('escapes strings as JSON.stringify does: quotes, control characters, non-ASCII, lone surrogates', async () => {
    const row = await sampleRow();
    const names = ['\u009b31m csi', 'line\u2028sep', 'plain.example', 'a"b\\c', 'tab\there\nnew', '\u0000\u001f\u007f', 'ünïcødé.example', '😀.example', '\ud800lone', '</script><b>x</b>'];
    for (const name of names) {
      const r = withFields(row, (c) => {
        c.sni = name;
        c.tls.alpnOffered = [name, 'http/1.1'];
        c.zeek.history = name;
        c.process = { pid: 42, command: name };
      });
      expect(rowJson(r), JSON.stringify(name)).toBe(jsonSafe(JSON.stringify(r)));
      expect(rowJson(r)).not.toMatch(/[\u007f-\u009f\u2028\u2029]/);
      expect((JSON.parse(rowJson(r)) as { sni: string }).sni).toBe(name);
    }
  });

  it('says when the buffer is too small, instead of writing part of a row', async () => {
    const row = await sampleRow();
    const buf = Buffer.alloc(200);
    const w = newRowWriter(buf, 0, buf.length);
    writeRowJson(w, row);
    expect(w.isFull).toBe(true);
  });
});

describe('JSON row spill', () => {
  async function bothWays(paths: string[], directory?: string): Promise<[string, string]> {
    const inMemory = await analyzeCaptures(paths, { serverPort: 443, generator: 't' });
    const spill = newJsonRowSpill(directory);
    try {
      const streamed = await analyzeCaptures(paths, { serverPort: 443, generator: 't', onRow: (row) => addJsonRow(spill, row) });
      expect(streamed.connections).toEqual([]);
      expect(spill.count).toBe(inMemory.connections.length);
      return [renderJson(inMemory), renderJson(streamed, spill)];
    } finally {
      closeJsonRowSpill(spill);
    }
  }

  it('gives every fixture the same report text as the in-memory rows', async () => {
    for (const exp of expectations) {
      const [want, got] = await bothWays(exp.files.map((f) => join(exp.dir, f)));
      expect(got, exp.name).toBe(want);
    }
  });

  it('keeps the rows in memory, with the same text, when no temporary file can be made', async () => {
    const spill = newJsonRowSpill('/nonexistent/wscap-test-dir');
    expect(spill.fd).toBe(-1);
    closeJsonRowSpill(spill);
    const [want, got] = await bothWays([join('fixtures', 'server-close-reconnect.pcap')], '/nonexistent/wscap-test-dir');
    expect(got).toBe(want);
  });

  it('reads rows back in id order whatever order they finished in; the last has no comma', async () => {
    const row = await sampleRow();
    const spill = newJsonRowSpill();
    try {
      for (const id of [3, 1, 5, 2, 4]) addJsonRow(spill, withFields(row, (c) => void (c.id = `C${id}`)));
      // A row far larger than the writer's room (a hostile 100 KB name) is stored the slow way.
      addJsonRow(spill, withFields(row, (c) => {
        c.id = 'C6';
        c.sni = 'x'.repeat(100_000);
      }));
      const base = await analyzeCaptures([join('fixtures', 'clean-shutdown.pcap')], { serverPort: 443, generator: 't' });
      const text = renderJson({ ...base, connections: [] }, spill);
      const parsed = JSON.parse(text) as Report;
      expect(parsed.connections.map((c) => c.id)).toEqual(['C1', 'C2', 'C3', 'C4', 'C5', 'C6']);
      expect(parsed.connections[5].sni).toHaveLength(100_000);
      expect(text.endsWith('\n  ]\n}\n')).toBe(true);
    } finally {
      closeJsonRowSpill(spill);
    }
  });

  it('reads a store larger than its read window back in id order: rows a little out of order, and long-lived ones stored last', async () => {
    const row = await sampleRow();
    const spill = newJsonRowSpill(undefined, 'ndjson');
    try {
      // 9,000 rows (~1.3 KB each, ~12 MB: three read windows). Neighbours finish swapped in
      // threes, and every 1,000th connection lives to the end: its row is stored last.
      const count = 9000;
      const order: number[] = [];
      const late: number[] = [];
      for (let base = 1; base <= count; base += 3) {
        for (const id of [base + 2, base, base + 1]) {
          if (id > count) continue;
          if (id % 1000 === 7) late.push(id);
          else order.push(id);
        }
      }
      order.push(...late.reverse());
      addNumberedRows(spill, row, order);
      expect(spill.stored).toBeGreaterThan(3 * (1 << 22));
      const text = Buffer.concat([...storedRows(spill)]).toString();
      expectNumberedLines(text, count);
      expect(text.endsWith('}\n')).toBe(true);
    } finally {
      closeJsonRowSpill(spill);
    }
  });

  it('reads long runs of rows that follow each other in the store straight into the chunks, and the odd row from the window', async () => {
    const row = await sampleRow();
    const spill = newJsonRowSpill(undefined, 'ndjson');
    try {
      // 3,000 rows (~4 MB) stored in id order, except that every 500th finished after the next one.
      const count = 3000;
      const order: number[] = [];
      for (let id = 1; id <= count; id++) {
        if (id % 500 === 0 && id < count) {
          order.push(id + 1, id);
          id++;
        } else order.push(id);
      }
      addNumberedRows(spill, row, order);
      const chunks = [...storedRows(spill)];
      // Chunks of about a MiB each, not one per run of rows.
      expect(chunks.length).toBeLessThan(10);
      expectNumberedLines(Buffer.concat(chunks).toString(), count);
    } finally {
      closeJsonRowSpill(spill);
    }
  });

  it('NDJSON framing: one row per line, in id order, the same rows as the JSON report', async () => {
    for (const exp of expectations) {
      const paths = exp.files.map((f) => join(exp.dir, f));
      const inMemory = await analyzeCaptures(paths, { serverPort: 443, generator: 't' });
      const spill = newJsonRowSpill(undefined, 'ndjson');
      try {
        await analyzeCaptures(paths, { serverPort: 443, generator: 't', onRow: (row) => addJsonRow(spill, row) });
        const text = Buffer.concat([...storedRows(spill)]).toString('utf8');
        if (inMemory.connections.length === 0) {
          expect(text, exp.name).toBe('');
          continue;
        }
        expect(text.endsWith('}\n'), exp.name).toBe(true);
        const lines = text.slice(0, -1).split('\n');
        expect(lines.map((l) => JSON.parse(l) as unknown), exp.name).toEqual(inMemory.connections);
        expect(lines, exp.name).toEqual(inMemory.connections.map((c) => jsonSafe(JSON.stringify(c))));
      } finally {
        closeJsonRowSpill(spill);
      }
    }
  });

  it('leaves no file behind in the temporary directory', async () => {
    const before = readdirSync('/tmp').filter((n) => n.startsWith('wscap-')).length;
    const spill = newJsonRowSpill('/tmp');
    expect(spill.fd).toBeGreaterThan(2);
    expect(readdirSync('/tmp').filter((n) => n.startsWith('wscap-')).length).toBe(before);
    closeJsonRowSpill(spill);
  });
});
