#!/usr/bin/env node
// Times `wscap analyze --format json FILE` for two or more builds in the same rounds and prints
// each build's ratio to the first: how issue 5's speed budget ("within 25 % of the time it took
// before") is measured. Run by hand; prints figures; not part of `npm test`. docs/PERFORMANCE.md.
//
//   node bench/compare-builds.mjs [--before REV] [--build BIN ...] [--file PCAP] [--rounds N]
//                                 [--budget X]
//
//   --before REV  the commit to compare with (default bc20209, the end of the performance
//                 issue). Its src/ is exported (git archive) to bench/out/build-REV/ and compiled
//                 there with this checkout's TypeScript, once; later runs reuse it.
//   --build BIN   a further wscap entry point to time (repeatable). Default: this checkout's
//                 dist/cli/bin.js (build it with `npm run build`).
//   --file PCAP   the capture (default bench/out/large-1x.pcap, which `node bench/analyze.bench.mjs`
//                 makes; bench/out/large-2x.pcap is the file twice as long).
//   --rounds N    rounds (default 15). Each round runs every build once, in an order rotated by
//                 one each round, so no build always runs first.
//   --budget X    the ratio the last build must stay within (default 1.25).
//
// Why rounds and ratios: on a shared 2-vCPU machine the same build's time moves by 10-20 %
// within minutes. Builds timed in the same round see the same machine, so the median of the
// per-round ratios is steadier than a ratio of medians taken at different times.
//
// Every run is a fresh process, stdout to /dev/null as in analyze.bench.mjs, wall time from
// hrtime around the child. Exit codes 0 and 1 (a report with a fail anomaly) count as success.
// Writes bench/out/compare-builds.json.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const OUT_DIR = path.join(HERE, 'out');

function die(msg) {
  process.stderr.write(`compare-builds: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { before: 'bc20209', builds: [], file: path.join(OUT_DIR, 'large-1x.pcap'), rounds: 15, budget: 1.25 };
  for (let i = 0; i < argv.length; i++) {
    const value = () => argv[++i] ?? die(`${argv[i - 1]} needs a value`);
    switch (argv[i]) {
      case '--before': o.before = value(); break;
      case '--build': o.builds.push(path.resolve(value())); break;
      case '--file': o.file = path.resolve(value()); break;
      case '--rounds': o.rounds = Number(value()); break;
      case '--budget': o.budget = Number(value()); break;
      default: die(`unknown option ${argv[i]}`);
    }
  }
  if (!Number.isInteger(o.rounds) || o.rounds < 1) die('--rounds must be a whole number ≥ 1');
  if (!(o.budget > 0)) die('--budget must be a positive number');
  if (o.builds.length === 0) o.builds.push(path.join(ROOT, 'dist', 'cli', 'bin.js'));
  return o;
}

/** The entry point of REV's build, compiled from an export of its tree (made once). */
function buildOf(rev) {
  const commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', `${rev}^{commit}`], { encoding: 'utf8' }).trim();
  const dir = path.join(OUT_DIR, `build-${commit}`);
  const bin = path.join(dir, 'dist', 'cli', 'bin.js');
  if (fs.existsSync(bin)) return { commit, bin };
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  process.stderr.write(`compare-builds: building ${commit} in ${path.relative(ROOT, dir)}\n`);
  const tar = execFileSync('git', ['-C', ROOT, 'archive', '--format=tar', commit, 'src', 'package.json', 'tsconfig.json']);
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(dir, 'tsconfig.json')], { stdio: 'inherit' });
  if (!fs.existsSync(bin)) die(`the build of ${commit} has no dist/cli/bin.js`);
  return { commit, bin };
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const o = parseArgs(process.argv.slice(2));
if (!fs.existsSync(o.file)) die(`${o.file} is missing: \`node bench/analyze.bench.mjs\` makes the large captures`);
const before = buildOf(o.before);
const builds = [{ label: `before (${before.commit})`, bin: before.bin }, ...o.builds.map((bin) => ({ label: path.relative(ROOT, bin) || bin, bin }))];
for (const b of builds) if (!fs.existsSync(b.bin)) die(`${b.bin} does not exist (npm run build?)`);

const devNull = fs.openSync('/dev/null', 'w');
function timeOnce(bin) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bin, 'analyze', '--format', 'json', o.file], { stdio: ['ignore', devNull, 'pipe'] });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0 && r.status !== 1) die(`${bin} exited ${r.status}: ${String(r.stderr).trim().split('\n').pop()}`);
  return wallS;
}

// Untimed first run of each: the capture in the page cache, every build's modules read once.
for (const b of builds) timeOnce(b.bin);
const times = builds.map(() => []);
for (let round = 0; round < o.rounds; round++) {
  for (let k = 0; k < builds.length; k++) {
    const i = (k + round) % builds.length;
    times[i].push(timeOnce(builds[i].bin));
  }
  process.stderr.write(`\rround ${round + 1}/${o.rounds}`);
}
process.stderr.write('\n');

const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`file:   ${path.relative(ROOT, o.file)} (${(fs.statSync(o.file).size / 1e6).toFixed(1)} MB), ${o.rounds} rounds, load ${load} at the end`);
console.log('');
console.log('build                                     median s   min s   ratio to before: median   min   max');
const results = builds.map((b, i) => {
  const ratios = times[i].map((t, r) => t / times[0][r]);
  const row = { label: b.label, bin: b.bin, medianS: median(times[i]), minS: Math.min(...times[i]), ratio: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) }, timesS: times[i] };
  console.log(
    `${b.label.padEnd(40)} ${row.medianS.toFixed(3).padStart(8)} ${row.minS.toFixed(3).padStart(7)}   ${row.ratio.median.toFixed(3).padStart(20)} ${row.ratio.min.toFixed(3).padStart(5)} ${row.ratio.max.toFixed(3).padStart(5)}`,
  );
  return row;
});
const last = results[results.length - 1];
const within = last.ratio.median <= o.budget;
console.log('');
console.log(`budget: ${within ? 'PASS' : 'FAIL'} ${last.label}: ${last.ratio.median.toFixed(3)} × before (median of ${o.rounds} rounds; budget ≤ ${o.budget})`);
fs.mkdirSync(OUT_DIR, { recursive: true });
fs.writeFileSync(path.join(OUT_DIR, 'compare-builds.json'), JSON.stringify({ file: o.file, rounds: o.rounds, budget: o.budget, load, results }, null, 2));
