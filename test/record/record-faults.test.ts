/**
 * Faults while recording ("nothing crashes, nothing is lost"), as root with real tcpdump on
 * loopback: tcpdump killed under wscap, SIGTERM around file rotations, an impatient double Ctrl-C,
 * a signal while tcpdump is still starting. Each test has its own 127.0.0.6x address and
 * directory, a bounded time, and its processes are killed in cleanup.
 *
 * (Disk full, an unwritable directory and injected arguments are in record-e2e.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeCaptures } from '../../src/analyze/analyze-captures.js';
import type { Report } from '../../src/report/model.js';
import type { RecordingMetadata } from '../../src/record/metadata.js';
import { tcpdumpDied } from '../../src/record/recorder.js';
import { BIN, ROOT } from '../helpers.js';
import { isRoot, newLab, run, startRecord, startServer, type Lab, type Running } from './loopback-lab.js';

const PORT = 18443;
/** What sudo sets: wscap gives files to this user and tcpdump drops root to it (-Z). */
const SUDO_NOBODY = { SUDO_UID: '65534', SUDO_GID: '65534', SUDO_USER: 'nobody' };
/** Warning codes that mean a file is not complete. */
const DAMAGE = ['truncated', 'corrupt', 'read-error'];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Rejects after `ms` instead of letting a stuck process hang the test run. */
async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The direct children of `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text !== '') out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // Gone.
  }
  return out;
}

function commOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

/** The tcpdump child of a wscap process (setpriv execs tcpdump in place: same pid), or null. */
function tcpdumpChild(wscapPid: number, names = ['tcpdump']): number | null {
  return childrenOf(wscapPid).find((c) => names.includes(commOf(c) ?? '')) ?? null;
}

async function waitForTcpdump(wscapPid: number, timeoutMs = 10_000, names = ['tcpdump']): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pid = tcpdumpChild(wscapPid, names);
    if (pid !== null) return pid;
    if (Date.now() > deadline) throw new Error(`no tcpdump under wscap ${wscapPid}`);
    await sleep(2);
  }
}

/** True while `pid` exists and is not a zombie. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function captureFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => /\.pcap\d*$/.test(n)).sort().map((n) => join(dir, n));
}

function metadataIn(dir: string): RecordingMetadata {
  const name = readdirSync(dir).find((n) => n.endsWith('.pcap.meta.json'));
  if (name === undefined) throw new Error(`no metadata in ${dir}: ${readdirSync(dir).join(' ')}`);
  return JSON.parse(readFileSync(join(dir, name), 'utf8')) as RecordingMetadata;
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

const analyze = (files: string[]): Promise<Report> => analyzeCaptures(files, { serverPort: PORT, generator: 'test' });

/** Nothing that looks like a stack trace or a Node crash. */
function expectNoCrash(text: string): void {
  expect(text).not.toMatch(/^\s+at /m);
  expect(text).not.toMatch(/internal error|Error:|node:internal|Unhandled/);
}

/**
 * Checks a stopped recording in `dir`: every file whole on its own (no truncated/corrupt warning),
 * all of them one capture (the agent's 7 connections once each, every packet tcpdump counted,
 * none twice), metadata listing exactly these files, everything 0600.
 */
async function expectCompleteRecording(dir: string, stopReason: string): Promise<{ files: string[]; meta: RecordingMetadata; report: Report }> {
  const files = captureFiles(dir);
  const meta = metadataIn(dir);
  expect(meta.stopReason).toBe(stopReason);
  expect([...meta.files].sort()).toEqual(files.map((f) => f.slice(dir.length + 1)));
  expect(meta.end).not.toBeNull();
  let sum = 0;
  for (const f of files) {
    expect(mode(f)).toBe(0o600);
    const one = await analyze([f]);
    expect(one.capture.warnings.filter((w) => DAMAGE.includes(w.code)), f).toEqual([]);
    sum += one.capture.packets;
  }
  const report = await analyze(files);
  expect(report.capture.warnings).toEqual([]);
  expect(report.capture.packets).toBe(meta.counts.captured);
  expect(sum).toBe(meta.counts.captured);
  expect(report.summary.connections).toBe(7);
  expect(meta.counts.droppedByKernel).toBe(0);
  return { files, meta, report };
}

describe('tcpdumpDied: the one line for a tcpdump that ended by itself', () => {
  const banner = 'tcpdump: listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n';

  it('killed by SIGKILL: what happened, that the files are kept, what to do (not the "listening on" banner); exit 4', () => {
    const e = tcpdumpDied({ exitCode: null, signal: 'SIGKILL', stderr: banner });
    expect(e.exitCode).toBe(4);
    expect(e.message).toBe('tcpdump was killed by SIGKILL during the recording: the capture ends there');
    expect(e.fix).toBe('the files written so far are kept and readable by wscap analyze; start wscap record again (if nobody killed it, look for the OOM killer: dmesg | grep -i oom)');
  });

  it('an error exit quotes what tcpdump said last (counts lines aside), escaped for the terminal; exit 4', () => {
    const e = tcpdumpDied({ exitCode: 1, signal: null, stderr: `${banner}tcpdump: pcap_loop: The interface disappeared \u001b[2J\n3 packets captured\n` });
    expect(e.exitCode).toBe(4);
    expect(e.message).toBe('tcpdump exited with code 1 during the recording (tcpdump: pcap_loop: The interface disappeared \\x1b[2J): the capture ends there');
    expect(e.fix).not.toContain('OOM');
  });

  it('no space left: the disk-full error, exit 3', () => {
    const e = tcpdumpDied({ exitCode: 1, signal: null, stderr: `${banner}tcpdump: /x/a.pcap: No space left on device\n` });
    expect(e.exitCode).toBe(3);
    expect(e.message).toBe('disk full: tcpdump stopped writing (tcpdump: /x/a.pcap: No space left on device)');
  });
});

describe.runIf(isRoot)('wscap record faults (root, real tcpdump on loopback)', () => {
  let lab: Lab;
  beforeAll(() => {
    lab = newLab();
  });
  afterAll(() => lab.cleanup());

  const target = (address: string): string[] => ['--host', 'stream.test', '--resolve', `stream.test:${address}`, '--port', String(PORT), '-i', 'lo'];

  /** The agent's 7 connections to `address`, open for the whole test (a kline every 250 ms each). */
  async function steadyTraffic(address: string, seconds: number): Promise<{ server: Running; agent: Running }> {
    const server = await startServer(lab, [`${address}:${PORT}`]);
    const agent = run(lab, process.execPath, [join(ROOT, 'scripts', 'fixtures', 'agent.mjs'), '--host', address, '--port', String(PORT),
      '--symbols', 'btcusdt', '--mode', 'clean', '--close-at-ms', String(seconds * 1000), '--max-seconds', String(seconds + 5)]);
    await agent.waitFor('ALL_OPEN', 15_000);
    return { server, agent };
  }

  it('tcpdump killed with SIGKILL mid-capture: one error line, exit 4, metadata written, every file so far readable', async () => {
    const address = '127.0.0.61';
    const { server, agent } = await steadyTraffic(address, 20);
    const dir = join(lab.dir, 'killed');
    mkdirSync(dir);
    const rec = startRecord(lab, [...target(address), '--out-dir', dir, '--rotate-every', '1s']);
    await rec.waitFor('wscap: recording');
    const tcpdump = await waitForTcpdump(rec.child.pid!);
    // Long enough for a rotation or two, with packets flowing.
    await sleep(2200);
    process.kill(tcpdump, 'SIGKILL');
    const exit = await within(15_000, 'wscap exit', rec.exited);
    agent.child.kill('SIGTERM');
    server.child.kill('SIGTERM');

    expect(exit).toEqual({ code: 4, signal: null });
    // One line: what happened, what it means for the files, what to do.
    const errors = rec.stderr().split('\n').filter((l) => l !== '' && !l.startsWith('wscap: recording'));
    expect(errors).toEqual([expect.stringMatching(/^wscap: error: tcpdump was killed by SIGKILL during the recording: /)]);
    expect(errors[0]).toMatch(/files written so far are kept and readable/);
    expect(errors[0]).toMatch(/wscap analyze/);
    expect(errors[0]).not.toContain('listening on');
    expectNoCrash(rec.stderr() + rec.stdout());
    expect(rec.stdout()).toMatch(/^wscap: stopped \(tcpdump-exited\): /m);

    const files = captureFiles(dir);
    expect(files.length).toBeGreaterThanOrEqual(2);
    const meta = metadataIn(dir);
    expect(meta.stopReason).toBe('tcpdump-exited');
    expect(meta.segments[0].signal).toBe('SIGKILL');
    expect([...meta.files].sort()).toEqual(files.map((f) => f.slice(dir.length + 1)));
    for (const f of [...files, join(dir, readdirSync(dir).find((n) => n.endsWith('.meta.json'))!)]) expect(mode(f)).toBe(0o600);
    // Each file on its own, then all together: read without an error; at most the last record of
    // the last file is cut short (a warning), and the analyser says the recording failed.
    for (const f of files) {
      const one = await analyze([f]);
      const damage = one.capture.warnings.filter((w) => DAMAGE.includes(w.code));
      if (f !== files.at(-1)) expect(damage).toEqual([]);
      else expect(damage.every((w) => w.code === 'truncated')).toBe(true);
    }
    const report = await analyze(files);
    expect(report.capture.packets).toBeGreaterThan(0);
    expect(report.summary.connections).toBe(7);
    const codes = report.capture.warnings.map((w) => w.code);
    expect(codes).toContain('recording-failed');
    expect(codes.every((c) => c === 'recording-failed' || c === 'truncated')).toBe(true);
  }, 60_000);

  it('SIGTERM around --rotate-every rotations: every file complete, the set one capture', async () => {
    const address = '127.0.0.62';
    // tcpdump -G rotates on the first packet after a wall-clock second boundary (time(NULL)), so
    // these offsets from a boundary land just before, on, and just after a rotation.
    const offsetsMs = [-40, -5, 0, 5, 25, 100, 500];
    const { server, agent } = await steadyTraffic(address, 50);
    try {
      for (const [i, offset] of offsetsMs.entries()) {
        const dir = join(lab.dir, `rotate-every-${i}`);
        mkdirSync(dir);
        const rec = startRecord(lab, [...target(address), '--out-dir', dir, '--rotate-every', '1s']);
        await rec.waitFor('wscap: recording');
        await sleep(1200);
        const boundary = Math.ceil(Date.now() / 1000) * 1000;
        await sleep(Math.max(0, boundary + offset - Date.now()));
        rec.child.kill('SIGTERM');
        const exit = await within(15_000, 'wscap exit', rec.exited);
        expect(exit, `offset ${offset} ms`).toEqual({ code: 0, signal: null });
        expect(rec.stderr().split('\n').filter((l) => l !== '' && !l.startsWith('wscap: recording'))).toEqual([]);
        expect(rec.stdout()).toMatch(/^wscap: stopped \(signal:SIGTERM\): \d+ packets captured/m);
        const { files } = await expectCompleteRecording(dir, 'signal:SIGTERM');
        expect(files.length, `offset ${offset} ms`).toBeGreaterThanOrEqual(2);
      }
    } finally {
      agent.child.kill('SIGTERM');
      server.child.kill('SIGTERM');
    }
  }, 120_000);

  it('SIGTERM around --rotate-size rotations (a 1 MB file every ~0.15 s): every file complete, the set one capture', async () => {
    const address = '127.0.0.63';
    const { server, agent } = await steadyTraffic(address, 40);
    // Bulk data on the same address and port: 64 KiB every 10 ms (~6.5 MB/s).
    const bulk = run(lab, process.execPath, ['-e', `
      const net = require('node:net');
      const srv = net.createServer((s) => s.resume()).listen(${PORT + 1}, '${address}', () => {
        const c = net.connect(${PORT + 1}, '${address}', () => {
          console.log('FLOWING');
          const chunk = Buffer.alloc(65536, 7);
          setInterval(() => c.write(chunk), 10);
        });
      });
      setTimeout(() => process.exit(0), 40000);`]);
    await bulk.waitFor('FLOWING');
    const delaysMs = [300, 420, 540, 660, 780];
    try {
      for (const [i, delay] of delaysMs.entries()) {
        const dir = join(lab.dir, `rotate-size-${i}`);
        mkdirSync(dir);
        // Both ports: the kline connections and the bulk one.
        const rec = startRecord(lab, ['--host', 'stream.test', '--resolve', `stream.test:${address}`, '-i', 'lo', '--out-dir', dir,
          '--filter', `host ${address} and (tcp port ${PORT} or tcp port ${PORT + 1})`, '--rotate-size', '1']);
        await rec.waitFor('wscap: recording');
        await sleep(delay);
        rec.child.kill('SIGTERM');
        const exit = await within(15_000, 'wscap exit', rec.exited);
        expect(exit, `delay ${delay} ms`).toEqual({ code: 0, signal: null });
        expectNoCrash(rec.stderr() + rec.stdout());
        const files = captureFiles(dir);
        expect(files.length, `delay ${delay} ms`).toBeGreaterThanOrEqual(2);
        const meta = metadataIn(dir);
        expect(meta.stopReason).toBe('signal:SIGTERM');
        expect([...meta.files].sort()).toEqual(files.map((f) => f.slice(dir.length + 1)));
        let sum = 0;
        for (const f of files) {
          expect(mode(f)).toBe(0o600);
          const one = await analyze([f]);
          expect(one.capture.warnings.filter((w) => DAMAGE.includes(w.code)), f).toEqual([]);
          sum += one.capture.packets;
        }
        const report = await analyze(files);
        expect(report.capture.warnings.filter((w) => w.code !== 'user-filter')).toEqual([]);
        expect(report.capture.packets).toBe(meta.counts.captured);
        expect(sum).toBe(meta.counts.captured);
        // The 7 kline connections and the bulk one, each once across the files.
        expect(report.summary.connections).toBe(8);
      }
    } finally {
      bulk.child.kill('SIGTERM');
      agent.child.kill('SIGTERM');
      server.child.kill('SIGTERM');
    }
  }, 90_000);

  it('Ctrl-C twice (two SIGINTs to the process group, 0–150 ms apart): a clean stop, exit 0, no stack trace, tcpdump gone', async () => {
    const address = '127.0.0.64';
    const gapsMs = [0, 20, 50, 70, 90, 110, 150];
    const { server, agent } = await steadyTraffic(address, 50);
    try {
      for (const [i, gap] of gapsMs.entries()) {
        const dir = join(lab.dir, `twice-${i}`);
        mkdirSync(dir);
        // --analyze on every other run: the report is written after the stop, so a late second
        // Ctrl-C must not cut it off either.
        const withAnalyze = i % 2 === 1;
        // setsid: wscap leads its own process group, as a shell's foreground job does.
        const rec = startRecord(lab, [...target(address), '--out-dir', dir, ...(withAnalyze ? ['--analyze'] : [])], {}, ['setsid']);
        await rec.waitFor('wscap: recording');
        const tcpdump = await waitForTcpdump(rec.child.pid!);
        await sleep(700);
        process.kill(-rec.child.pid!, 'SIGINT');
        await sleep(gap);
        try {
          process.kill(-rec.child.pid!, 'SIGINT');
        } catch {
          // Already gone: fine.
        }
        const exit = await within(15_000, 'wscap exit', rec.exited);
        const what = `gap ${gap} ms${withAnalyze ? ', --analyze' : ''}`;
        expect(exit, `${what}: exit ${JSON.stringify(exit)}; stderr: ${rec.stderr()}; stdout: ${rec.stdout()}`).toEqual({ code: 0, signal: null });
        expectNoCrash(rec.stderr() + rec.stdout());
        expect(rec.stderr().split('\n').filter((l) => l !== '' && !l.startsWith('wscap: recording') && !l.startsWith('wscap: still stopping') && l !== 'wscap: the recording is complete; still writing the report')).toEqual([]);
        expect(rec.stdout()).toMatch(/^wscap: stopped \(signal:SIGINT\): \d+ packets captured/m);
        expect(isAlive(tcpdump), what).toBe(false);
        await expectCompleteRecording(dir, 'signal:SIGINT');
        if (withAnalyze) {
          const base = join(dir, readdirSync(dir).find((n) => n.endsWith('.pcap'))!);
          expect(JSON.parse(readFileSync(`${base}.report.json`, 'utf8')).summary.connections, what).toBe(7);
          expect(readFileSync(`${base}.report.txt`, 'utf8')).toContain('Connections: 7');
          expect([mode(`${base}.report.json`), mode(`${base}.report.txt`)]).toEqual([0o600, 0o600]);
        }
      }
    } finally {
      agent.child.kill('SIGTERM');
      server.child.kill('SIGTERM');
    }
  }, 120_000);

  it('Ctrl-C once more just as wscap exits (0–7 ms after its last line): exit 0, not killed by the signal', async () => {
    for (let delay = 0; delay < 8; delay++) {
      const dir = join(lab.dir, `late-${delay}`);
      mkdirSync(dir);
      const rec = startRecord(lab, [...target('127.0.0.72'), '--out-dir', dir], {}, ['setsid']);
      let sent = false;
      rec.child.stdout?.on('data', () => {
        if (!sent && rec.stdout().includes('wscap: stopped')) {
          sent = true;
          setTimeout(() => {
            try {
              process.kill(-rec.child.pid!, 'SIGINT');
            } catch {
              // Already gone: fine.
            }
          }, delay);
        }
      });
      await rec.waitFor('wscap: recording');
      await sleep(200);
      process.kill(-rec.child.pid!, 'SIGINT');
      const exit = await within(15_000, 'wscap exit', rec.exited);
      expect(exit, `second SIGINT ${delay} ms after the last line`).toEqual({ code: 0, signal: null });
      expect(metadataIn(dir).stopReason).toBe('signal:SIGINT');
    }
  }, 60_000);

  it('the terminal closes (script(1) killed: SIGHUP to the session, its output gone): a clean stop, metadata written, every file complete, nothing left running', async () => {
    const address = '127.0.0.73';
    const { server, agent } = await steadyTraffic(address, 30);
    try {
      const dir = join(lab.dir, 'hangup');
      mkdirSync(dir);
      // script(1) gives wscap a pseudo-terminal of its own, as a terminal window does. Killing
      // script closes the terminal: the kernel sends SIGHUP to wscap (the session leader) and to
      // the terminal's foreground process group, tcpdump included, and writes to it fail (EIO).
      const argv = [process.execPath, BIN, 'record', '--no-live', ...target(address), '--out-dir', dir];
      expect(argv.every((a) => !a.includes("'"))).toBe(true);
      const term = run(lab, 'script', ['-qfec', `exec ${argv.map((a) => `'${a}'`).join(' ')}`, '/dev/null']);
      await term.waitFor('wscap: recording', 15_000);
      const wscap = childrenOf(term.child.pid!).find((c) => commOf(c) === 'node');
      expect(wscap).toBeDefined();
      const tcpdump = await waitForTcpdump(wscap!);
      await sleep(1500);
      term.child.kill('SIGKILL');
      const deadline = Date.now() + 15_000;
      while ((isAlive(wscap!) || isAlive(tcpdump)) && Date.now() < deadline) await sleep(20);
      expect(isAlive(wscap!), 'wscap still running 15 s after the hangup').toBe(false);
      expect(isAlive(tcpdump), 'tcpdump still running 15 s after the hangup').toBe(false);
      await expectCompleteRecording(dir, 'signal:SIGHUP');
    } finally {
      agent.child.kill('SIGTERM');
      server.child.kill('SIGTERM');
    }
  }, 60_000);

  it('a signal while tcpdump is still starting: it stops as soon as tcpdump listens, exit 0, metadata written', async () => {
    const address = '127.0.0.65';
    const { server, agent } = await steadyTraffic(address, 20);
    try {
      const dir = join(lab.dir, 'early');
      mkdirSync(dir);
      const rec = startRecord(lab, [...target(address), '--out-dir', dir]);
      // setpriv, then tcpdump (same pid): wscap is waiting for "listening on".
      const tcpdump = await waitForTcpdump(rec.child.pid!, 10_000, ['setpriv', 'tcpdump']);
      expect(rec.stderr()).not.toContain('wscap: recording');
      rec.child.kill('SIGTERM');
      const exit = await within(15_000, 'wscap exit', rec.exited);
      expect(exit, rec.stderr()).toEqual({ code: 0, signal: null });
      expectNoCrash(rec.stderr() + rec.stdout());
      expect(isAlive(tcpdump)).toBe(false);
      const files = captureFiles(dir);
      expect(files).toHaveLength(1);
      const meta = metadataIn(dir);
      expect(meta.stopReason).toBe('signal:SIGTERM');
      expect(meta.files).toEqual([files[0].slice(dir.length + 1)]);
      const report = await analyze(files);
      expect(report.capture.warnings).toEqual([]);
      expect(report.capture.packets).toBe(meta.counts.captured);
      expect(existsSync(files[0])).toBe(true);
    } finally {
      agent.child.kill('SIGTERM');
      server.child.kill('SIGTERM');
    }
  }, 60_000);
  it('under sudo with rotation, a directory the invoking user cannot write: exit 3 before tcpdump starts, not a failure at the first rotation', async () => {
    // Root's directory, 0755: tcpdump -Z opens the first file with root's access, but every
    // rotated file as the user.
    const dir = mkdtempSync(join(tmpdir(), 'wscap-rootonly-'));
    try {
      chmodSync(dir, 0o755);
      const rec = startRecord(lab, [...target('127.0.0.66'), '--out-dir', dir, '--rotate-every', '1s', '--duration', '3s'], SUDO_NOBODY);
      const exit = await within(15_000, 'wscap exit', rec.exited);
      expect(exit).toEqual({ code: 3, signal: null });
      expect(rec.stderr()).toBe(
        `wscap: error: user 'nobody' cannot create files in ${dir}: with --rotate-every or --rotate-size, tcpdump writes every file after the first as that user (it drops root with -Z); choose a directory nobody can write with --out-dir, or record without rotation\n`,
      );
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('under sudo with --rotate-every --analyze into a directory the user can write: every rotated file and report is the user’s, 0600 and complete', async () => {
    const address = '127.0.0.67';
    const { server, agent } = await steadyTraffic(address, 20);
    const dir = mkdtempSync(join(tmpdir(), 'wscap-userdir-'));
    try {
      chmodSync(dir, 0o777);
      // --analyze too: after the stop wscap becomes the user to read the files and write the reports.
      const rec = startRecord(lab, [...target(address), '--out-dir', dir, '--rotate-every', '1s', '--analyze'], SUDO_NOBODY);
      await rec.waitFor('wscap: recording');
      await sleep(2600);
      rec.child.kill('SIGINT');
      const exit = await within(15_000, 'wscap exit', rec.exited);
      expect(exit, rec.stderr()).toEqual({ code: 0, signal: null });
      const { files } = await expectCompleteRecording(dir, 'signal:SIGINT');
      expect(files.length).toBeGreaterThanOrEqual(3);
      const metadata = join(dir, readdirSync(dir).find((n) => n.endsWith('.meta.json'))!);
      const reports = readdirSync(dir).filter((n) => n.includes('.report.')).sort().map((n) => join(dir, n));
      expect(reports.map((r) => r.replace(/^.*\.pcap\./, ''))).toEqual(['report.json', 'report.txt']);
      expect(JSON.parse(readFileSync(reports[0], 'utf8')).summary.connections).toBe(7);
      for (const f of [...files, metadata, ...reports]) expect([statSync(f).uid, statSync(f).gid, mode(f)], f).toEqual([65534, 65534, 0o600]);
    } finally {
      agent.child.kill('SIGTERM');
      server.child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
