#!/usr/bin/env node
// The long fuzzing run: node scripts/fuzz/run.mjs --count 1000000 [--seed 1] [--save DIR]
// Mutates the real fixtures (scripts/fuzz/mutators.mjs) and feeds every input to the analyser and
// every renderer in-process (scripts/fuzz/harness.mjs). Prints a tally per mutator, the slowest
// input and the peak heap; saves each crashing input as DIR/<mutator>-<seed>.pcap (default
// test/fuzz/crashes). Exit 1 if anything crashed. Run `npm run build` first.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fuzz } from './harness.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const count = Number(opt('--count', '10000'));
const seed = Number(opt('--seed', '1'));
const save = opt('--save', 'test/fuzz/crashes');
const started = Date.now();
const result = await fuzz({
  count,
  seed,
  onCrash: (c) => {
    mkdirSync(save, { recursive: true });
    const file = join(save, `${c.mutator}-${c.seed}.pcap`);
    writeFileSync(file, c.bytes);
    console.error(`crash: ${c.fixture} ${c.mutator} seed ${c.seed} → ${file}\n${c.error.split('\n').slice(0, 4).join('\n')}`);
  },
});
const s = (Date.now() - started) / 1000;
console.log(`${result.count} inputs from ${result.inputs} fixtures, seed ${seed}, ${s.toFixed(0)} s (${Math.round(result.count / s)} inputs/s)`);
console.log('mutator        inputs   report  rejected  crash  slow');
for (const [m, t] of Object.entries(result.tally)) {
  console.log(`${m.padEnd(13)} ${String(t.inputs).padStart(7)} ${String(t.report).padStart(8)} ${String(t.rejected).padStart(9)} ${String(t.crash).padStart(6)} ${String(t.slow).padStart(5)}`);
}
console.log(`slowest input: ${result.slowest.ms.toFixed(1)} ms (${result.slowest.bytes} bytes); peak heap used ${result.maxHeapMB} MB`);
process.exitCode = result.crashes.length > 0 ? 1 : 0;
