/**
 * The short fuzzing run (the long one is `node scripts/fuzz/run.mjs --count 1000000`, results in
 * docs/FUZZING.md): mutated real fixtures through the analyser and every renderer, in-process.
 * Every input must give a report or a clean rejection (exit 2), in time proportional to its size,
 * with the heap bounded. Plus every input the fuzzer ever crashed on, by name.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeCaptures } from '../../src/analyze/analyze-captures.js';
import { renderJson } from '../../src/render/json.js';
import { renderText } from '../../src/render/text.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderHtml } from '../../src/render/html.js';
import { renderZeekConnLog } from '../../src/render/zeek.js';

// The harness runs the built dist/ (`npm test` builds first), as the long run does.
const harness = (await import(join(import.meta.dirname, '..', '..', 'scripts', 'fuzz', 'harness.mjs'))) as {
  fuzz: (o: { count: number; seed: number }) => Promise<{
    tally: Record<string, { inputs: number; report: number; rejected: number; crash: number; slow: number }>;
    crashes: Array<{ fixture: string; mutator: string; seed: number; error: string }>;
    maxHeapMB: number;
  }>;
};

describe('fuzzing: the short run', () => {
  it('3,000 mutated captures: no crash, none slow, heap bounded', { timeout: 120_000 }, async () => {
    const r = await harness.fuzz({ count: 3000, seed: 20261127 });
    expect(r.crashes.map((c) => `${c.fixture} ${c.mutator} seed ${c.seed}: ${c.error.split('\n')[0]}`)).toEqual([]);
    const totals = Object.values(r.tally).reduce((a, t) => ({ inputs: a.inputs + t.inputs, slow: a.slow + t.slow, report: a.report + t.report, rejected: a.rejected + t.rejected }), { inputs: 0, slow: 0, report: 0, rejected: 0 });
    expect(totals.inputs).toBe(3000);
    expect(totals.slow).toBe(0);
    // Both outcomes are exercised: most mutations still read as captures, some are refused.
    expect(totals.report).toBeGreaterThan(2000);
    expect(totals.rejected).toBeGreaterThan(50);
    expect(r.maxHeapMB).toBeLessThan(200);
  });
});

describe('fuzzing: every crash found so far stays fixed', () => {
  const dir = join(import.meta.dirname, 'regressions');
  for (const name of readdirSync(dir).sort()) {
    it(name, async () => {
      const report = await analyzeCaptures([join(dir, name)], { serverPort: 443, generator: 't' });
      for (const render of [() => renderJson(report), () => renderText(report, { color: false, details: true }), () => renderMarkdown(report), () => renderHtml(report), () => renderZeekConnLog(report)]) {
        expect(typeof render()).toBe('string');
      }
      if (name === 'pcapng-timestamp-beyond-date.pcapng') {
        // Timestamps past what a Date holds: no ISO time, the rest reported.
        expect([report.capture.start, report.capture.end]).toEqual([null, null]);
        expect(report.capture.packets).toBe(46); // 48 blocks: a section header, an interface description, 46 packets
      }
    });
  }
});

describe('fuzzing: files are given back', () => {
  it('2,000 inputs (a tenth of them gzip, many refused) leave no file descriptor open', { timeout: 120_000 }, async () => {
    const { readdirSync } = await import('node:fs');
    const before = readdirSync('/proc/self/fd').length;
    const r = await harness.fuzz({ count: 2000, seed: 5 });
    expect(r.crashes).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(readdirSync('/proc/self/fd').length).toBe(before);
  });
});
