#!/usr/bin/env node
// The long fuzzing run: node scripts/fuzz/run.mjs --count 1000000 [--seed 1] [--workers 2] [--save DIR]
// Mutates the real fixtures (scripts/fuzz/mutators.mjs) and feeds every input to the analyser and
// every renderer in-process (scripts/fuzz/harness.mjs). Prints a tally per mutator, the slowest
// input and the peak heap; saves each crashing input as DIR/<mutator>-<seed>.pcap and each slow
// one (over its time bound on 3 runs) as DIR/slow-<mutator>-<seed>.pcap (default
// test/fuzz/crashes). With --workers N, N processes take consecutive seed ranges. Exit 1 if
// anything crashed or was slow. Run `npm run build` first.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const count = Number(opt('--count', '10000'));
const seed = Number(opt('--seed', '1'));
const workers = Number(opt('--workers', '1'));
const save = opt('--save', 'test/fuzz/crashes');
const isWorker = args.includes('--worker');
const started = Date.now();

async function runHere() {
  const { fuzz } = await import('./harness.mjs');
  return fuzz({
    count,
    seed,
    onCrash: (c) => {
      mkdirSync(save, { recursive: true });
      const file = join(save, `${c.mutator}-${c.seed}.pcap`);
      writeFileSync(file, c.bytes);
      console.error(`crash: ${c.fixture} ${c.mutator} seed ${c.seed} → ${file}\n${c.error.split('\n').slice(0, 4).join('\n')}`);
    },
    onSlow: (x) => {
      mkdirSync(save, { recursive: true });
      const file = join(save, `slow-${x.mutator}-${x.seed}.pcap`);
      writeFileSync(file, x.input);
      console.error(`slow: ${x.fixture} ${x.mutator} seed ${x.seed}: ${x.ms.toFixed(0)} ms at best of 3 (bound ${x.boundMs.toFixed(0)} ms) → ${file}`);
    },
    // A line on stderr every 10,000 inputs: a long run shows it is alive.
    onProgress: ({ done, crashes }) =>
      console.error(`seeds ${seed}..: ${done} of ${count} inputs, ${crashes} crash(es), ${Math.round((Date.now() - started) / 1000)} s`),
  });
}

if (isWorker) {
  const r = await runHere();
  process.stdout.write(JSON.stringify({ ...r, crashes: r.crashes.map(({ bytes, ...c }) => c) }));
} else {
  let results;
  if (workers <= 1) {
    results = [await runHere()];
  } else {
    const per = Math.ceil(count / workers);
    const self = fileURLToPath(import.meta.url);
    results = await Promise.all(
      Array.from({ length: workers }, (_, k) =>
        new Promise((resolve, reject) => {
          const n = Math.min(per, count - k * per);
          const child = spawn(process.execPath, [self, '--worker', '--count', String(n), '--seed', String(seed + k * per), '--save', save], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          child.stdout.on('data', (d) => (out += d));
          child.on('close', (code) => (out === '' ? reject(new Error(`worker ${k} exited ${code}`)) : resolve(JSON.parse(out))));
        }),
      ),
    );
  }
  const s = (Date.now() - started) / 1000;
  const total = results.reduce((a, r) => a + r.count, 0);
  const tally = {};
  for (const r of results) {
    for (const [m, t] of Object.entries(r.tally)) {
      tally[m] ??= { inputs: 0, report: 0, rejected: 0, crash: 0, slow: 0, delayed: 0 };
      for (const k of Object.keys(t)) tally[m][k] += t[k];
    }
  }
  const slowest = results.map((r) => r.slowest).sort((a, b) => b.ms - a.ms)[0];
  const crashes = results.reduce((a, r) => a + r.crashes.length, 0);
  console.log(`${total} inputs from ${results[0].inputs} fixtures, seeds ${seed}..${seed + total - 1}, ${workers} worker(s), ${s.toFixed(0)} s (${Math.round(total / s)} inputs/s)`);
  console.log('mutator        inputs   report  rejected  crash  slow  delayed');
  for (const [m, t] of Object.entries(tally)) {
    console.log(`${m.padEnd(13)} ${String(t.inputs).padStart(7)} ${String(t.report).padStart(8)} ${String(t.rejected).padStart(9)} ${String(t.crash).padStart(6)} ${String(t.slow).padStart(5)} ${String(t.delayed).padStart(8)}`);
  }
  const slow = results.flatMap((r) => r.slow);
  for (const x of slow) console.log(`slow: ${x.fixture} ${x.mutator} seed ${x.seed}: ${x.ms.toFixed(0)} ms at best of 3 (first ${x.firstMs.toFixed(0)} ms; bound ${x.boundMs.toFixed(0)} ms for ${x.bytes} bytes)`);
  console.log('(slow: over the time bound on all 3 runs; delayed: over it once, within it on a re-run)');
  console.log(`crashes: ${crashes}; slowest input: ${slowest.ms.toFixed(1)} ms (${slowest.bytes} bytes); peak heap used ${Math.max(...results.map((r) => r.maxHeapMB))} MB`);
  process.exitCode = crashes > 0 || slow.length > 0 ? 1 : 0;
}
