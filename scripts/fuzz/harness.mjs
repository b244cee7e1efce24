// The fuzzing harness's core: real fixtures in, mutated captures through the whole analyser and
// every renderer, in-process; each input classified. Used by scripts/fuzz/run.mjs (long runs)
// and test/fuzz/fuzz.test.ts (the short run in `npm test`). Needs `npm run build` (reads dist/).
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import { gzipSync, gunzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { mutate, MUTATOR_NAMES, boundaries } from './mutators.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => join(ROOT, 'dist', p);
const { analyzeCaptures } = await import(dist('analyze/analyze-captures.js'));
const { renderJson } = await import(dist('render/json.js'));
const { renderText } = await import(dist('render/text.js'));
const { renderMarkdown } = await import(dist('render/markdown.js'));
const { renderHtml } = await import(dist('render/html.js'));
const { renderZeekConnLog } = await import(dist('render/zeek.js'));
const { CaptureFileError } = await import(dist('errors/capture-file-error.js'));

/** Records kept from each fixture: small inputs make many inputs a second. */
const MAX_RECORDS = 48;

/** Every real capture in fixtures/ (gzip ones decompressed), cut to its first MAX_RECORDS records. */
export function loadInputs() {
  const inputs = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(pcap|pcapng)(\.gz)?$/.test(name)) {
        let bytes = readFileSync(path);
        if (name.endsWith('.gz')) bytes = gunzipSync(bytes);
        const b = boundaries(bytes);
        const cut = b.length > MAX_RECORDS ? b[MAX_RECORDS].at : bytes.length;
        inputs.push({ name: path.slice(ROOT.length + 1), bytes: Buffer.from(bytes.subarray(0, cut)) });
      }
    }
  };
  walk(join(ROOT, 'fixtures'));
  return inputs;
}

/** What one input did: 'report' (exit 0 or 1), 'rejected' (exit 2: not a capture), or 'crash'. */
export async function runInput(bytes, { dir, renderAll, isGzip }) {
  const path = join(dir, isGzip ? 'input.pcap.gz' : 'input.pcap');
  writeFileSync(path, isGzip ? gzipSync(bytes) : bytes);
  const started = process.hrtime.bigint();
  let outcome;
  let error = null;
  try {
    const report = await analyzeCaptures([path], { serverPort: 443, generator: 'fuzz' });
    renderJson(report);
    renderText(report, { color: false, details: true });
    if (renderAll) {
      renderMarkdown(report);
      renderHtml(report);
      renderZeekConnLog(report);
    }
    outcome = 'report';
  } catch (err) {
    if (err instanceof CaptureFileError) outcome = 'rejected';
    else {
      outcome = 'crash';
      error = err;
    }
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { outcome, ms, error };
}

/**
 * Runs `count` inputs from `seed` on: input i is (fixture i mod n, mutator ⌊i/n⌋ mod m, seed + i).
 * Returns the tallies and the crashes (with what makes them again).
 */
export async function fuzz({ count, seed = 1, onCrash, onSlow, onProgress, renderEvery = 8, gzipEvery = 16, msPerKiB = 20, msBase = 250 }) {
  const inputs = loadInputs();
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'wscap-fuzz-'));
  const tally = Object.fromEntries(MUTATOR_NAMES.map((m) => [m, { inputs: 0, report: 0, rejected: 0, crash: 0, slow: 0, delayed: 0 }]));
  const slow = [];
  const crashes = [];
  let maxHeap = 0;
  let slowest = { ms: 0, bytes: 0 };
  try {
    for (let i = 0; i < count; i++) {
      const fixture = i % inputs.length;
      const mutator = MUTATOR_NAMES[Math.floor(i / inputs.length) % MUTATOR_NAMES.length];
      const s = seed + i;
      const bytes = mutate(inputs, fixture, mutator, s);
      const options = { dir, renderAll: i % renderEvery === 0, isGzip: i % gzipEvery === 0 };
      const r = await runInput(bytes, options);
      const t = tally[mutator];
      t.inputs++;
      t[r.outcome]++;
      // Time in proportion to the input: a fixed allowance plus so much per KiB. An input over it
      // runs twice more and counts by its fastest run: a busy machine (a GC pause, another
      // process) delays one run, an input that is really slow is slow every time.
      const bound = msBase + (msPerKiB * bytes.length) / 1024;
      let ms = r.ms;
      if (ms > bound) {
        for (let k = 0; k < 2 && ms > bound; k++) ms = Math.min(ms, (await runInput(bytes, options)).ms);
        if (ms > bound) {
          t.slow++;
          slow.push({ fixture: inputs[fixture].name, mutator, seed: s, ms, firstMs: r.ms, bytes: bytes.length, boundMs: bound });
          onSlow?.({ ...slow[slow.length - 1], input: bytes });
        } else {
          t.delayed++;
        }
      }
      if (ms > slowest.ms) slowest = { ms, bytes: bytes.length };
      if (r.outcome === 'crash') {
        const crash = { fixture: inputs[fixture].name, mutator, seed: s, error: String(r.error?.stack ?? r.error), bytes };
        crashes.push(crash);
        onCrash?.(crash);
      }
      if ((i & 255) === 0) maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
      if (onProgress !== undefined && (i + 1) % 10_000 === 0) onProgress({ done: i + 1, crashes: crashes.length });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { count, seed, inputs: inputs.length, tally, crashes, slow, maxHeapMB: Math.round(maxHeap / 1e6), slowest };
}
