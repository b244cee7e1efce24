#!/usr/bin/env node
// Prints where a V8 CPU profile spent its time: the top N functions by self time (time in the
// function's own code, not in what it calls), or the same summed per source file.
//
//   node bench/top-self-time.mjs PROFILE.cpuprofile [N=20] [--by function|file]
//
// Make a profile with, e.g.:
//   node --cpu-prof --cpu-prof-dir bench/out/prof dist/cli/bin.js analyze bench/out/large-1x.pcap --format json > /dev/null
//
// Self time of a function = the sampling intervals in which it was the innermost frame
// (timeDeltas of its samples), summed over every place it was called from. Functions are keyed by
// name + file + line, so two closures with the same name stay apart. "(garbage collector)",
// "(program)" (V8 itself, compiling, native code without a JS frame) and "(idle)" (waiting for
// I/O) appear as their own rows. Plain Node (>= 20), no dependencies.
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
let by = 'function';
const pos = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--by') by = args[++i];
  else if (args[i] === '-h' || args[i] === '--help') {
    console.log('usage: node bench/top-self-time.mjs PROFILE.cpuprofile [N=20] [--by function|file]');
    process.exit(0);
  } else pos.push(args[i]);
}
if (pos.length < 1 || !['function', 'file'].includes(by)) {
  console.error('usage: node bench/top-self-time.mjs PROFILE.cpuprofile [N=20] [--by function|file]');
  process.exit(2);
}
const top = Number(pos[1] ?? 20);
const prof = JSON.parse(fs.readFileSync(pos[0], 'utf8'));

// Time per sampled node id.
const dt = new Map();
for (let i = 0; i < prof.samples.length; i++) {
  dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
}

/** A readable location: path relative to the repository's dist/ or node_modules/, else the basename. */
function where(url) {
  if (!url) return '';
  const p = url.replace(/^file:\/\//, '');
  const m = p.match(/\/(dist|node_modules|src)\/(.*)$/);
  return m ? `${m[1]}/${m[2]}` : p.startsWith('node:') ? p : path.basename(p);
}

const self = new Map();
let total = 0;
for (const n of prof.nodes) {
  const us = dt.get(n.id) ?? 0;
  total += us;
  if (us === 0) continue;
  const f = n.callFrame;
  const file = where(f.url);
  const key =
    by === 'file'
      ? file || f.functionName || '(native)'
      : `${f.functionName || '(anonymous)'}${file ? `  ${file}:${f.lineNumber + 1}` : ''}`;
  self.set(key, (self.get(key) ?? 0) + us);
}

console.log(`${pos[0]}: ${(total / 1e6).toFixed(3)} s sampled, ${prof.samples.length} samples; top ${top} by self time (${by}):`);
console.log('   self %   self ms   cumul %  ' + (by === 'file' ? 'file' : 'function  file:line'));
let cumul = 0;
for (const [k, us] of [...self].sort((x, y) => y[1] - x[1]).slice(0, top)) {
  cumul += us;
  console.log(
    `  ${((100 * us) / total).toFixed(1).padStart(6)}  ${(us / 1e3).toFixed(0).padStart(8)}  ${((100 * cumul) / total).toFixed(1).padStart(8)}  ${k}`,
  );
}
