#!/usr/bin/env node
// Whole-analysis benchmark: `wscap analyze --format json` against tcptrace, tshark, the reading
// floor (tcpdump) and pcap-parser, on two large captures made from a real fixture. Run by hand;
// prints figures; not part of `npm test`. Results and method: docs/PERFORMANCE.md.
//
//   node bench/analyze.bench.mjs [--runs N] [--quick] [--wscap BIN] [--source PCAP]
//                                [--packets N] [--step-ms MS] [--allow-missing]
//
//   --runs N        timed runs of every tool on every file (default 3; 1 with --quick). Runs are
//                   round-robin: run 1 of every tool on both files, then run 2, ... tshark runs at
//                   most 3 times on the 2x file (about 30 s a run); the table says how many ran.
//   --quick         a smoke test of this script: 100,000-packet files (bench/out/quick-*.pcap),
//                   1 run. Its figures are not the goals' file.
//   --wscap BIN     the wscap entry point to time (default dist/cli/bin.js; build with
//                   `npm run build`). Point it at another build to compare two versions.
//   --source PCAP   the fixture to copy (default fixtures/clean-shutdown.pcap, 7 connections).
//   --packets N     packets in the 1x file (default 1,000,000; rounded up to whole copies).
//                   The 2x file has exactly twice the copies.
//   --step-ms MS    time between copies (default 100). Both files use the same spacing, so both
//                   have the same number of connections open at once (the fixture's connections
//                   live ~2.9 s: 7 × 2.9 / 0.1 ≈ 203), and the 2x file lasts twice as long.
//   --allow-missing run without tshark / tcptrace / tcpdump if they are not installed.
//
// Inputs: bench/out/large-1x.pcap and bench/out/large-2x.pcap, (re)built with
// bench/make-large-capture.mjs when missing, older than the source or the generator, or built
// with other parameters (recorded next to them in *.gen.json).
//
// Method: every run is a fresh child process under `/usr/bin/time -f '%e %M'` (GNU time: peak
// RSS of the process, kB). Wall time is measured around the child (hrtime), so it includes
// process start-up. Before the timed runs both files are read once (page cache warm) and wscap
// analyses each once, untimed, to check its report: packets = the file's, connections = copies
// × the fixture's connections. Outputs of timed runs go to /dev/null, except tshark's
// conversation table (a few MB written at its end), which is kept to count its conversations
// and their concurrency independently of the generator and of wscap.
//
// Writes bench/out/analyze-bench.json (analyze-bench.quick.json with --quick). Exits 1 if a
// check fails or a tool fails; goals that are not met are reported, not an error.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { countWithPcapParser } from './pcap-parser-count.mjs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const SELF = fileURLToPath(import.meta.url);
const OUT_DIR = path.join(HERE, 'out');
const GENERATOR = path.join(HERE, 'make-large-capture.mjs');

// ------------------------------------------------------------------------------------------

function die(msg, code = 1) {
  process.stderr.write(`analyze.bench: ${msg}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  const o = {
    runs: null,
    quick: false,
    wscap: path.join(ROOT, 'dist/cli/bin.js'),
    source: path.join(ROOT, 'fixtures/clean-shutdown.pcap'),
    packets: null,
    stepMs: 100,
    allowMissing: false,
  };
  const num = (a, v) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n <= 0) die(`${a} needs a positive number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') o.runs = num(a, argv[++i]);
    else if (a === '--quick') o.quick = true;
    else if (a === '--wscap') o.wscap = path.resolve(argv[++i] ?? die('--wscap needs a path'));
    else if (a === '--source') o.source = path.resolve(argv[++i] ?? die('--source needs a path'));
    else if (a === '--packets') o.packets = num(a, argv[++i]);
    else if (a === '--step-ms') o.stepMs = num(a, argv[++i]);
    else if (a === '--allow-missing') o.allowMissing = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(
        'usage: node bench/analyze.bench.mjs [--runs N] [--quick] [--wscap BIN] [--source PCAP] [--packets N] [--step-ms MS] [--allow-missing]\n',
      );
      process.exit(0);
    } else die(`unknown argument ${a} (see --help)`);
  }
  o.runs ??= o.quick ? 1 : 3;
  o.packets ??= o.quick ? 100_000 : 1_000_000;
  if (!Number.isInteger(o.runs)) die('--runs must be a whole number');
  if (!Number.isInteger(o.packets)) die('--packets must be a whole number');
  return o;
}

/** Absolute path of an executable on PATH, or null. */
function which(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/sbin', '/sbin'])) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {}
  }
  return null;
}

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}\n${r.stderr ?? ''}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('Running as user'))[0];
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Builds (or reuses) one large capture; returns its generator info. */
function ensureCapture(file, source, args) {
  const infoFile = `${file}.gen.json`;
  const want = { source: path.relative(ROOT, source), ...args };
  let info = null;
  try {
    info = JSON.parse(fs.readFileSync(infoFile, 'utf8'));
  } catch {}
  const newest = Math.max(fs.statSync(source).mtimeMs, fs.statSync(GENERATOR).mtimeMs);
  const fresh =
    info !== null &&
    fs.existsSync(file) &&
    fs.statSync(file).mtimeMs >= newest &&
    fs.statSync(file).size === info.fileBytes &&
    JSON.stringify(info.built) === JSON.stringify(want);
  if (fresh) return info;
  process.stderr.write(`analyze.bench: building ${path.relative(ROOT, file)}\n`);
  const argv = [GENERATOR, source, file, '--copies', String(args.copies), '--step-us', String(args.stepUs), '--info', infoFile];
  const r = spawnSync(process.execPath, argv, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) die('make-large-capture failed');
  info = JSON.parse(fs.readFileSync(infoFile, 'utf8'));
  info.built = want;
  fs.writeFileSync(infoFile, JSON.stringify(info, null, 2) + '\n');
  return info;
}

/** Connections in tshark's `-z conv,tcp` table, and how many were open at once (peak). */
function tsharkConversations(text) {
  const starts = [];
  const ends = [];
  for (const line of text.split('\n')) {
    if (!line.includes('<->')) continue;
    const f = line.trim().split(/\s+/);
    const dur = Number(f[f.length - 1]);
    const rel = Number(f[f.length - 2]);
    if (!Number.isFinite(dur) || !Number.isFinite(rel)) continue;
    starts.push(rel);
    ends.push(rel + dur);
  }
  starts.sort((x, y) => x - y);
  ends.sort((x, y) => x - y);
  let open = 0;
  let peak = 0;
  for (let s = 0, e = 0; s < starts.length; ) {
    // tshark prints durations to 0.1 ms: count a start and an end within it as overlapping.
    if (starts[s] <= ends[e] + 1e-4) {
      open++;
      s++;
      peak = Math.max(peak, open);
    } else {
      open--;
      e++;
    }
  }
  return { conversations: starts.length, peakConcurrency: peak };
}

function main() {
  const opt = parseArgs(process.argv.slice(2));
  fs.mkdirSync(OUT_DIR, { recursive: true });

  // ---------------------------------------------------------------- tools
  const timeBin = '/usr/bin/time';
  const gnuTime = fs.existsSync(timeBin) && spawnSync(timeBin, ['-f', '%M', process.execPath, '-e', '0'], { encoding: 'utf8' }).status === 0;
  if (!gnuTime) {
    process.stderr.write('analyze.bench: GNU time not found at /usr/bin/time (Debian package "time"): peak RSS will be n/a\n');
  }
  if (!fs.existsSync(opt.wscap)) die(`${path.relative(ROOT, opt.wscap)} is missing: build first (npm run build)`);
  try {
    createRequire(path.join(ROOT, 'package.json')).resolve('pcap-parser');
  } catch {
    die('pcap-parser is not installed: run npm install (it is a devDependency)');
  }
  if (!fs.existsSync(opt.source)) die(`source ${opt.source} does not exist`);
  const bins = { tshark: which('tshark'), tcptrace: which('tcptrace'), tcpdump: which('tcpdump') };
  const missing = Object.keys(bins).filter((k) => bins[k] === null);
  if (missing.length > 0) {
    const pkgs = { tshark: 'tshark', tcptrace: 'tcptrace', tcpdump: 'tcpdump' };
    const msg = `not installed: ${missing.join(', ')} (Debian/Ubuntu: sudo apt-get install ${missing.map((m) => pkgs[m]).join(' ')})`;
    if (!opt.allowMissing) die(`${msg}; or pass --allow-missing to run without them`, 2);
    process.stderr.write(`analyze.bench: ${msg}; running without them\n`);
  }

  // ---------------------------------------------------------------- machine
  const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? 'unknown';
  const git = (args) => spawnSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const wscapInRepo = opt.wscap.startsWith(ROOT + path.sep);
  const machine = {
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu,
    memGB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    kernel: os.release(),
    node: process.version,
    tshark: bins.tshark ? firstLine(bins.tshark, ['--version']) : 'not installed',
    tcptrace: bins.tcptrace ? firstLine(bins.tcptrace, ['-v']) : 'not installed',
    tcpdump: bins.tcpdump ? firstLine(bins.tcpdump, ['--version']) : 'not installed',
    libpcap: bins.tcpdump ? String(spawnSync(bins.tcpdump, ['--version'], { encoding: 'utf8' }).stdout).split('\n')[1] : '',
    pcapParser: JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/pcap-parser/package.json'), 'utf8')).version,
    loadavgStart: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
  const wscapBuild = {
    bin: path.relative(ROOT, opt.wscap).startsWith('..') ? opt.wscap : path.relative(ROOT, opt.wscap),
    binModified: fs.statSync(opt.wscap).mtime.toISOString(),
    ...(wscapInRepo ? { gitHead: git(['rev-parse', '--short', 'HEAD']), srcChanges: git(['status', '--porcelain', '--', 'src']).split('\n').filter(Boolean) } : {}),
  };
  console.log(`machine: ${machine.nproc} CPUs (${cpu}), ${machine.memGB} GB RAM, Linux ${machine.kernel}, node ${machine.node}`);
  console.log(`tools:   ${machine.tshark}; ${machine.tcptrace}; ${machine.tcpdump} / ${machine.libpcap}; pcap-parser ${machine.pcapParser}`);
  console.log(
    `wscap:   ${wscapBuild.bin} (built ${wscapBuild.binModified})` +
      (wscapInRepo ? `; repo at ${wscapBuild.gitHead}${wscapBuild.srcChanges.length ? `, src/ has ${wscapBuild.srcChanges.length} uncommitted change(s)` : ', src/ clean'}` : ''),
  );
  console.log(`load:    ${machine.loadavgStart.join(' ')} (1/5/15-min load average at start)`);
  // One benchmark process at a time adds ~1 to the load average; more means someone else is busy.
  if (machine.loadavgStart[0] > 1) console.log('         the machine is busy: figures may be slower than on a quiet machine');

  // ---------------------------------------------------------------- inputs
  // Packets in the source (a classic pcap; the generator rejects anything else).
  const srcPackets = (() => {
    let n = 0;
    const b = fs.readFileSync(opt.source);
    const le = b.readUInt32LE(0) === 0xa1b2c3d4 || b.readUInt32LE(0) === 0xa1b23c4d;
    for (let pos = 24; pos + 16 <= b.length; n++) pos += 16 + (le ? b.readUInt32LE(pos + 8) : b.readUInt32BE(pos + 8));
    return n;
  })();
  const copies1 = Math.ceil(opt.packets / srcPackets);
  const stepUs = Math.round(opt.stepMs * 1000);
  const prefix = opt.quick ? 'quick' : 'large';
  const files = [
    { id: '1x', path: path.join(OUT_DIR, `${prefix}-1x.pcap`), copies: copies1 },
    { id: '2x', path: path.join(OUT_DIR, `${prefix}-2x.pcap`), copies: 2 * copies1 },
  ];
  for (const f of files) {
    f.info = ensureCapture(f.path, opt.source, { copies: f.copies, stepUs });
    f.bytes = f.info.fileBytes;
    f.packets = f.info.packets;
    const c = f.info.concurrency;
    console.log(
      `input ${f.id}:  ${path.relative(process.cwd(), f.path)}: ${(f.bytes / 1e6).toFixed(1)} MB, ${f.packets} packets, ` +
        `${f.info.connections} connections (${f.info.copies} copies × ${f.info.connectionsPerCopy}, ${opt.stepMs} ms apart), ` +
        `${f.info.spanS.toFixed(1)} s; open at once: peak ${c.peak}, mean ${c.meanOverSpan.toFixed(0)}`,
    );
  }

  // Page cache: read both files once.
  {
    const b = Buffer.allocUnsafe(1 << 22);
    for (const f of files) {
      const fd = fs.openSync(f.path, 'r');
      while (fs.readSync(fd, b, 0, b.length, null) > 0);
      fs.closeSync(fd);
    }
  }

  // ---------------------------------------------------------------- runner
  const devNull = fs.openSync('/dev/null', 'w');
  const rssFile = path.join(OUT_DIR, `.time-${process.pid}`);
  /**
   * Runs argv once; returns {wallS, rssMB, stdout?} or {error}. stdout: 'null' | 'pipe' | path.
   * okStatus: the exit codes that mean success (wscap exits 1 when its report has a fail
   * anomaly, and the bench files have some: thousands of attempts in 5 minutes).
   */
  function run(argv, stdout = 'null', okStatus = [0]) {
    const outFd = stdout === 'null' ? devNull : stdout === 'pipe' ? 'pipe' : fs.openSync(stdout, 'w');
    const full = gnuTime ? [timeBin, ['-f', '%e %M %U %S', '-o', rssFile, ...argv]] : [argv[0], argv.slice(1)];
    const t0 = process.hrtime.bigint();
    const r = spawnSync(full[0], full[1], { stdio: ['ignore', outFd, 'pipe'], maxBuffer: 1 << 28 });
    const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
    if (typeof outFd === 'number' && outFd !== devNull) fs.closeSync(outFd);
    let rssMB = null;
    let cpuS = null;
    if (gnuTime) {
      const f = fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
      rssMB = f[1] / 1024;
      cpuS = f[2] + f[3];
      fs.rmSync(rssFile, { force: true });
    }
    if (!okStatus.includes(r.status)) {
      const err = String(r.stderr ?? '')
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('Command exited') && !l.startsWith('Running as user'))
        .slice(-2)
        .join(' | ');
      return { error: `exit ${r.status ?? r.signal}: ${err}` };
    }
    return { wallS, rssMB, cpuS, stdout: stdout === 'pipe' ? String(r.stdout) : null };
  }

  // wscap's exit codes: 0 no finding, 1 an anomaly at --fail-on's severity (README "Exit codes").
  // Not `--fail-on never`: builds older than the diagnosis do not know the option.
  const WSCAP_OK = [0, 1];
  const TOOLS = [
    { id: 'wscap', label: 'wscap analyze --format json', argv: (f) => [process.execPath, opt.wscap, 'analyze', f.path, '--format', 'json'], okStatus: WSCAP_OK },
    bins.tcptrace && { id: 'tcptrace', label: 'tcptrace -n -l -r', argv: (f) => [bins.tcptrace, '-n', '-l', '-r', f.path] },
    bins.tshark && {
      id: 'tshark',
      label: 'tshark -q -z conv,tcp',
      argv: (f) => [bins.tshark, '-q', '-z', 'conv,tcp', '-r', f.path],
      stdout: (f) => path.join(OUT_DIR, `tshark-conv-${prefix}-${f.id}.txt`),
      maxRuns: { '2x': 3 },
    },
    bins.tcpdump && { id: 'floor', label: 'tcpdump -r FILE -w /dev/null', argv: (f) => [bins.tcpdump, '-r', f.path, '-w', '/dev/null'] },
    {
      id: 'pcap-parser',
      label: 'pcap-parser, iterate only',
      argv: (f) => [process.execPath, '--no-deprecation', SELF, '--child-pcap-parser', f.path],
      stdout: () => 'pipe',
    },
  ].filter(Boolean);

  // ---------------------------------------------------------------- checks (untimed; also warm-up)
  let ok = true;
  const checks = [];
  const check = (pass, text) => {
    checks.push({ pass, text });
    if (!pass) ok = false;
    console.log(`check:   ${pass ? 'ok  ' : 'FAIL'} ${text}`);
  };
  for (const f of files) {
    const jsonOut = path.join(OUT_DIR, `wscap-${prefix}-${f.id}.json`);
    const r = run([process.execPath, opt.wscap, 'analyze', f.path, '--format', 'json'], jsonOut, WSCAP_OK);
    if (r.error) {
      check(false, `wscap analyze ${f.id} failed: ${r.error}`);
      continue;
    }
    let rep = null;
    try {
      rep = JSON.parse(fs.readFileSync(jsonOut, 'utf8'));
    } catch (err) {
      check(false, `wscap analyze ${f.id}: JSON does not parse: ${err.message}`);
      continue;
    }
    const want = f.info.connections;
    const got = { packets: rep.capture?.packets, summary: rep.summary?.connections, rows: rep.connections?.length };
    check(
      got.packets === f.packets && got.summary === want && got.rows === want,
      `wscap on ${f.id}: ${got.packets} packets (file: ${f.packets}), ${got.summary} connections in the summary and ` +
        `${got.rows} rows (expected ${f.info.copies} copies × ${f.info.connectionsPerCopy} = ${want})` +
        (rep.capture?.warnings?.length ? `; warnings: ${rep.capture.warnings.map((w) => w.message ?? w.kind ?? JSON.stringify(w)).join('; ')}` : ''),
    );
  }

  // ---------------------------------------------------------------- timed runs
  const samples = new Map(); // `${tool}/${file}` -> [{wallS, rssMB}]
  const failures = new Map();
  const key = (t, f) => `${t.id}/${f.id}`;
  const t0 = Date.now();
  for (let r = 1; r <= opt.runs; r++) {
    process.stderr.write(`run ${r}/${opt.runs}:`);
    for (const f of files) {
      for (const t of TOOLS) {
        const k = key(t, f);
        if (failures.has(k) || r > (t.maxRuns?.[f.id] ?? Infinity)) continue;
        const s = run(t.argv(f), t.stdout ? t.stdout(f) : 'null', t.okStatus);
        if (!s.error && t.id === 'pcap-parser') {
          const res = JSON.parse(s.stdout.trim().split('\n').pop());
          if (res.error) s.error = res.error;
          s.packets = res.packets;
        }
        if (s.error) {
          failures.set(k, s.error);
          process.stderr.write(` ${k}=FAILED`);
          continue;
        }
        delete s.stdout;
        if (!samples.has(k)) samples.set(k, []);
        samples.get(k).push(s);
        process.stderr.write(` ${k}=${s.wallS.toFixed(2)}s`);
      }
    }
    process.stderr.write(` [${((Date.now() - t0) / 1000).toFixed(0)} s]\n`);
  }
  machine.loadavgEnd = os.loadavg().map((x) => Number(x.toFixed(2)));

  // ---------------------------------------------------------------- table
  const results = [];
  for (const t of TOOLS) {
    for (const f of files) {
      const k = key(t, f);
      const ss = samples.get(k) ?? [];
      if (failures.has(k) || ss.length === 0) {
        results.push({ tool: t.id, label: t.label, file: f.id, error: failures.get(k) ?? 'no run' });
        continue;
      }
      const walls = ss.map((s) => s.wallS);
      const med = median(walls);
      const rss = gnuTime ? Math.max(...ss.map((s) => s.rssMB)) : null;
      results.push({
        tool: t.id,
        label: t.label,
        file: f.id,
        runs: ss.length,
        medianS: med,
        minS: Math.min(...walls),
        maxS: Math.max(...walls),
        walls,
        cpuS: gnuTime ? median(ss.map((s) => s.cpuS)) : null,
        packetsPerS: f.packets / med,
        mbPerS: f.bytes / 1e6 / med,
        peakRssMB: rss,
        rssMB: ss.map((s) => s.rssMB),
      });
    }
  }
  const get = (tool, file) => results.find((x) => x.tool === tool && x.file === file && !x.error) ?? null;

  const rows = [['tool', 'file', 'runs', 'median s', 'min-max s', 'packets/s', 'MB/s', 'peak RSS MB', 'cpu s']];
  for (const x of results) {
    if (x.error) rows.push([x.label, x.file, '', `FAILED: ${x.error}`, '', '', '', '', '']);
    else
      rows.push([
        x.label,
        x.file,
        String(x.runs),
        x.medianS.toFixed(3),
        `${x.minS.toFixed(2)}-${x.maxS.toFixed(2)}`,
        `${(x.packetsPerS / 1e6).toFixed(2)} M`,
        x.mbPerS.toFixed(0),
        x.peakRssMB === null ? 'n/a' : x.peakRssMB.toFixed(0),
        x.cpuS === null ? 'n/a' : x.cpuS.toFixed(2),
      ]);
  }
  console.log('');
  printTable(rows);
  console.log('median wall time of the runs, including process start-up; MB/s = file size / median; peak RSS = the');
  console.log("highest of the runs' maximum resident set size (GNU time %M); cpu s = median user + system time.");

  // Growth from 1x to 2x.
  const growth = [['tool', 'time 2x/1x', 'RSS 2x/1x']];
  for (const t of TOOLS) {
    const a = get(t.id, '1x');
    const b = get(t.id, '2x');
    if (!a || !b) continue;
    growth.push([t.label, (b.medianS / a.medianS).toFixed(2), a.peakRssMB ? (b.peakRssMB / a.peakRssMB).toFixed(2) : 'n/a']);
  }
  console.log('');
  printTable(growth);

  // ---------------------------------------------------------------- ratios and goals
  const goals = [];
  console.log('');
  const w1 = get('wscap', '1x');
  const w2 = get('wscap', '2x');
  const ratio = (file, peer) => {
    const w = get('wscap', file);
    const p = get(peer, file);
    return w && p ? w.medianS / p.medianS : null;
  };
  const fmt = (r) => (r === null ? 'n/a' : r.toFixed(3));
  console.log(`wscap's wall time / peer's:   1x      2x`);
  for (const peer of ['tcptrace', 'tshark', 'floor', 'pcap-parser']) {
    console.log(`  wscap/${peer.padEnd(12)}  ${fmt(ratio('1x', peer)).padStart(7)} ${fmt(ratio('2x', peer)).padStart(7)}`);
  }
  const goal = (name, value, limit, text, pass) => {
    const p = pass ?? (value === null ? null : value <= limit);
    goals.push({ name, value, limit, pass: p });
    console.log(`goal:    ${p === null ? 'n/a ' : p ? 'PASS' : 'FAIL'} ${text}`);
  };
  const suffix = opt.quick ? ' (quick mode: not the 1M-packet file)' : '';
  goal('wscap/tcptrace', ratio('1x', 'tcptrace'), 0.5, `wscap/tcptrace wall on 1x = ${fmt(ratio('1x', 'tcptrace'))} (goal <= 0.5)${suffix}`);
  goal('wscap/tshark', ratio('1x', 'tshark'), 0.05, `wscap/tshark wall on 1x = ${fmt(ratio('1x', 'tshark'))} (goal <= 0.05)${suffix}`);
  goal('wscap/floor', ratio('1x', 'floor'), 4, `wscap/floor wall on 1x = ${fmt(ratio('1x', 'floor'))} (goal <= 4)${suffix}`);
  goal('rss1x', w1?.peakRssMB ?? null, 200, `wscap peak RSS on 1x = ${w1?.peakRssMB?.toFixed(0) ?? 'n/a'} MB (goal <= 200 MB)${suffix}`);
  const rssRatio = w1?.peakRssMB && w2?.peakRssMB ? w2.peakRssMB / w1.peakRssMB : null;
  goal(
    'rss2x/rss1x',
    rssRatio,
    1.1,
    `wscap peak RSS on 2x / on 1x = ${rssRatio === null ? 'n/a' : `${w2.peakRssMB.toFixed(0)} / ${w1.peakRssMB.toFixed(0)} MB = ${rssRatio.toFixed(3)}`} ` +
      `(goal 0.9-1.1; peak open at once: ${files[0].info.concurrency.peak} in 1x, ${files[1].info.concurrency.peak} in 2x)`,
    rssRatio === null ? null : rssRatio >= 0.9 && rssRatio <= 1.1,
  );

  // ---------------------------------------------------------------- cross-checks on the outputs
  console.log('');
  for (const f of files) {
    const pp = samples.get(`pcap-parser/${f.id}`);
    if (pp) {
      const counts = new Set(pp.map((s) => s.packets));
      check(counts.size === 1 && counts.has(f.packets), `pcap-parser on ${f.id}: ${[...counts].join('/')} packets (file: ${f.packets})`);
    }
    const conv = path.join(OUT_DIR, `tshark-conv-${prefix}-${f.id}.txt`);
    if (samples.get(`tshark/${f.id}`) && fs.existsSync(conv)) {
      const c = tsharkConversations(fs.readFileSync(conv, 'utf8'));
      f.tshark = c;
      check(
        c.conversations === f.info.connections && Math.abs(c.peakConcurrency - f.info.concurrency.peak) <= 2,
        `tshark on ${f.id}: ${c.conversations} conversations (expected ${f.info.connections}), peak ${c.peakConcurrency} open at once ` +
          `(generator: ${f.info.concurrency.peak})`,
      );
    }
  }
  console.log(`load:    ${machine.loadavgEnd.join(' ')} (at the end)`);

  const record = {
    date: new Date().toISOString(),
    command: `node bench/analyze.bench.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    machine,
    wscapBuild,
    runs: opt.runs,
    files: files.map((f) => ({
      id: f.id,
      path: path.relative(ROOT, f.path),
      bytes: f.bytes,
      packets: f.packets,
      copies: f.info.copies,
      connections: f.info.connections,
      stepMs: opt.stepMs,
      spanS: f.info.spanS,
      concurrency: f.info.concurrency,
      tshark: f.tshark ?? null,
    })),
    results,
    goals,
    checks,
    ok: ok && failures.size === 0,
  };
  const jsonPath = path.join(OUT_DIR, opt.quick ? 'analyze-bench.quick.json' : 'analyze-bench.json');
  fs.writeFileSync(jsonPath, JSON.stringify(record, null, 2) + '\n');
  console.log(`results: ${path.relative(process.cwd(), jsonPath)}`);
  if (!record.ok) process.exit(1);
}

function printTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const [n, r] of rows.entries()) {
    console.log(r.map((cell, i) => (i <= 1 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd());
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

// ------------------------------------------------------------------------------------------
// Child mode: `analyze.bench.mjs --child-pcap-parser FILE` iterates with pcap-parser only and
// prints {packets, bytes} as one JSON line.
async function childPcapParser(file) {
  process.stdout.write(JSON.stringify(await countWithPcapParser(file)) + '\n');
}

if (process.argv[2] === '--child-pcap-parser') childPcapParser(process.argv[3]);
else main();
