/**
 * `wscap record` end to end, as root, with real tcpdump on loopback: a local TLS WebSocket server
 * stands in for the target (reached through --resolve) and the agent-like client makes real
 * connections. Each test uses its own 127.0.0.x address so captures never see each other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync, writeFileSync, mkdirSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { analyzeCaptures } from '../../src/analyze/analyze-captures.js';
import type { RecordingMetadata } from '../../src/record/metadata.js';
import { isRoot, newLab, run, startAgent, startRecord, startServer, type Lab } from './loopback-lab.js';

const PORT = 18443;

function metadataOf(path: string): RecordingMetadata {
  return JSON.parse(readFileSync(`${path}.meta.json`, 'utf8')) as RecordingMetadata;
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

describe.runIf(isRoot)('wscap record (root, real tcpdump on loopback)', () => {
  let lab: Lab;
  beforeAll(() => {
    lab = newLab();
  });
  afterAll(() => lab.cleanup());

  /** Records while the agent runs; stops wscap with `signal` once the agent is done. */
  async function recordAgentRun(address: string, name: string, signal: NodeJS.Signals, extra: string[] = []) {
    const server = await startServer(lab, [`${address}:${PORT}`]);
    const file = join(lab.dir, `${name}.pcap`);
    const rec = startRecord(lab, ['--host', 'stream.test', '--resolve', `stream.test:${address}`, '--port', String(PORT), '-i', 'lo', '-w', file, ...extra]);
    await rec.waitFor('wscap: recording');
    const agent = startAgent(lab, address, PORT, ['btcusdt', 'ethusdt'], 1500);
    await agent.waitFor('DONE', 15_000);
    const agentPid = agent.child.pid;
    await agent.exited;
    await new Promise((r) => setTimeout(r, 300));
    rec.child.kill(signal);
    const exit = await rec.exited;
    server.child.kill('SIGTERM');
    return { file, rec, exit, agentPid };
  }

  it('Ctrl-C (SIGINT): every connection the agent made is in the capture, with its process, 0600, and tcpdump’s counts', async () => {
    // Snapshots every 250 ms: the agent's connections live only 1.5 s.
    const { file, rec, exit, agentPid } = await recordAgentRun('127.0.0.31', 'sigint', 'SIGINT', ['--sockets-every', '250ms']);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(rec.stdout()).toMatch(/^wscap: stopped \(signal:SIGINT\): \d+ packets captured, \d+ received by filter, 0 dropped by kernel$/m);
    const report = await analyzeCaptures([file], { serverPort: PORT, generator: 'test' });
    // 2 symbols × 7 intervals, each closed cleanly.
    expect(report.summary.connections).toBe(14);
    expect(report.summary.byCloseKind).toEqual({ fin: 14 });
    expect(report.connections.every((c) => c.handshake.seen && c.server.ip === '127.0.0.31')).toBe(true);
    expect(report.connections.map((c) => c.process)).toEqual(Array(14).fill({ pid: agentPid, command: 'node' }));
    const meta = metadataOf(file);
    expect(report.capture.packets).toBe(meta.counts.captured);
    expect(meta.hosts).toEqual(['stream.test']);
    expect(meta.coveredAddresses.map((a) => a.address)).toEqual(['127.0.0.31']);
    expect(meta.segments[0].filter).toBe(`(tcp port ${PORT} and (host 127.0.0.31)) or (udp src port 53)`);
    expect(meta.interface).toBe('lo');
    expect(meta.stopReason).toBe('signal:SIGINT');
    expect(meta.files).toEqual(['sigint.pcap']);
    expect(meta.tcpdumpVersion).toMatch(/^\d+\.\d+/);
    expect(meta.socketSnapshots.length).toBeGreaterThanOrEqual(1);
    expect(report.capture.recording).toMatchObject({ interface: 'lo', droppedByKernel: 0, stopReason: 'signal:SIGINT' });
    expect(mode(file)).toBe(0o600);
    expect(mode(`${file}.meta.json`)).toBe(0o600);
    expect(report.capture.warnings).toEqual([]);
  });

  it('SIGTERM stops cleanly too: a complete, readable capture', async () => {
    const { file, exit } = await recordAgentRun('127.0.0.32', 'sigterm', 'SIGTERM');
    expect(exit.code).toBe(0);
    const report = await analyzeCaptures([file], { serverPort: PORT, generator: 'test' });
    expect(report.summary.connections).toBe(14);
    expect(report.capture.warnings).toEqual([]);
    const meta = metadataOf(file);
    expect(meta.stopReason).toBe('signal:SIGTERM');
    expect(report.capture.packets).toBe(meta.counts.captured);
    expect(meta.counts.droppedByKernel).toBe(0);
  });

  it('--duration stops by itself, and --analyze writes the report beside the capture', async () => {
    const server = await startServer(lab, [`127.0.0.33:${PORT}`]);
    const file = join(lab.dir, 'duration.pcap');
    const rec = startRecord(lab, ['--host', 'stream.test', '--resolve', 'stream.test:127.0.0.33', '--port', String(PORT), '-i', 'lo', '-w', file, '--duration', '3s', '--analyze']);
    await rec.waitFor('wscap: recording');
    const agent = startAgent(lab, '127.0.0.33', PORT, ['btcusdt'], 1000);
    await agent.exited;
    const exit = await rec.exited;
    server.child.kill('SIGTERM');
    expect(exit.code).toBe(0);
    const meta = metadataOf(file);
    expect(meta.stopReason).toBe('duration');
    expect(meta.end! - meta.start).toBeGreaterThanOrEqual(3);
    expect(meta.end! - meta.start).toBeLessThan(6);
    const report = JSON.parse(readFileSync(`${file}.report.json`, 'utf8'));
    expect(report.summary.connections).toBe(7);
    expect(report.capture.packets).toBe(meta.counts.captured);
    expect(readFileSync(`${file}.report.txt`, 'utf8')).toContain('Connections: 7');
    expect(mode(`${file}.report.json`)).toBe(0o600);
  });

  it('--packets N stops after N packets', async () => {
    const server = await startServer(lab, [`127.0.0.34:${PORT}`]);
    const file = join(lab.dir, 'packets.pcap');
    const rec = startRecord(lab, ['--host', 'stream.test', '--resolve', 'stream.test:127.0.0.34', '--port', String(PORT), '-i', 'lo', '-w', file, '--packets', '20']);
    await rec.waitFor('wscap: recording');
    const agent = startAgent(lab, '127.0.0.34', PORT, ['btcusdt'], 1500);
    const exit = await rec.exited;
    await agent.exited;
    server.child.kill('SIGTERM');
    expect(exit.code).toBe(0);
    expect(metadataOf(file).stopReason).toBe('packets');
    const report = await analyzeCaptures([file], { serverPort: PORT, generator: 'test' });
    expect(report.capture.packets).toBe(20);
  });

  it('--rotate-every with --keep never holds more than N files, and the set reads as one capture', async () => {
    const server = await startServer(lab, [`127.0.0.35:${PORT}`]);
    const dir = join(lab.dir, 'ring');
    mkdirSync(dir);
    const rec = startRecord(lab, ['--host', 'stream.test', '--resolve', 'stream.test:127.0.0.35', '--port', String(PORT), '-i', 'lo', '--out-dir', dir, '--rotate-every', '1s', '--keep', '3']);
    await rec.waitFor('wscap: recording');
    const agent = startAgent(lab, '127.0.0.35', PORT, ['btcusdt'], 4500);
    let maxFiles = 0;
    const poll = setInterval(() => {
      maxFiles = Math.max(maxFiles, readdirSync(dir).filter((n) => /\.pcap\d*$/.test(n)).length);
    }, 100);
    await agent.exited;
    rec.child.kill('SIGINT');
    expect((await rec.exited).code).toBe(0);
    clearInterval(poll);
    const files = readdirSync(dir).filter((n) => /\.pcap\d*$/.test(n)).map((n) => join(dir, n));
    expect(maxFiles).toBeGreaterThanOrEqual(2);
    expect(maxFiles).toBeLessThanOrEqual(3);
    expect(files.length).toBeLessThanOrEqual(3);
    const report = await analyzeCaptures(files, { serverPort: PORT, generator: 'test' });
    // The 7 connections span the files: merged, each is one connection (not a new one per file).
    expect(report.summary.connections).toBe(7);
    expect(report.connections.every((c) => c.close.kind === 'fin')).toBe(true);
    server.child.kill('SIGTERM');
  });

  it('--rotate-size with --keep: tcpdump keeps a ring of at most N files, and the set reads as one capture', async () => {
    const dir = join(lab.dir, 'sizering');
    mkdirSync(dir);
    const rec = startRecord(lab, ['--host', 'bulk.test', '--resolve', 'bulk.test:127.0.0.44', '--port', String(PORT), '-i', 'lo', '--out-dir', dir, '--rotate-size', '1', '--keep', '2']);
    await rec.waitFor('wscap: recording');
    // 5 MB over one plain TCP connection: enough for 1 MB files to wrap around the ring.
    const bulk = run(lab, process.execPath, ['-e', `
      const net = require('node:net');
      const server = net.createServer((s) => { s.resume(); s.on('end', () => { s.end(); server.close(); }); }).listen(${PORT}, '127.0.0.44', () => {
        const c = net.connect(${PORT}, '127.0.0.44', () => { c.end(Buffer.alloc(5e6, 7)); });
        c.on('close', () => console.log('SENT'));
      });`]);
    await bulk.waitFor('SENT', 15_000);
    let maxFiles = 0;
    for (let i = 0; i < 5; i++) {
      maxFiles = Math.max(maxFiles, readdirSync(dir).filter((n) => /\.pcap\d*$/.test(n)).length);
      await new Promise((r) => setTimeout(r, 100));
    }
    rec.child.kill('SIGINT');
    expect((await rec.exited).code).toBe(0);
    const names = readdirSync(dir).filter((n) => /\.pcap\d*$/.test(n)).sort();
    expect(maxFiles).toBeLessThanOrEqual(2);
    expect(names).toHaveLength(2);
    expect(names.every((n) => /\.pcap[01]$/.test(n))).toBe(true);
    const meta = JSON.parse(readFileSync(join(dir, readdirSync(dir).find((n) => n.endsWith('.meta.json'))!), 'utf8')) as RecordingMetadata;
    expect([...meta.files].sort()).toEqual(names);
    // The ring dropped the beginning: the connection is seen midstream, as one connection.
    const report = await analyzeCaptures(names.map((n) => join(dir, n)), { serverPort: PORT, generator: 'test' });
    expect(report.summary.connections).toBe(1);
    expect(report.connections[0].client2server.bytes).toBeGreaterThan(1e6);
  });

  it('an address that appears mid-recording is captured too (re-resolution, a second segment)', async () => {
    // A private /etc/hosts for wscap alone: a mount namespace with the test's file bound over it.
    const hosts = join(lab.dir, 'hosts');
    writeFileSync(hosts, '127.0.0.41 stream.test\n');
    const server = await startServer(lab, [`127.0.0.41:${PORT}`, `127.0.0.42:${PORT}`]);
    const file = join(lab.dir, 'moving.pcap');
    const rec = startRecord(
      lab,
      ['--host', 'stream.test', '--port', String(PORT), '-i', 'lo', '-w', file, '--reresolve-every', '1s'],
      {},
      ['unshare', '--mount', '--', 'sh', '-c', `mount --bind ${hosts} /etc/hosts && exec "$@"`, 'sh'],
    );
    await rec.waitFor('wscap: recording');
    const first = startAgent(lab, '127.0.0.41', PORT, ['btcusdt'], 3000);
    await first.waitFor('ALL_OPEN');
    // The host moves: same inode, new content (a bind-mounted file must be rewritten in place).
    writeFileSync(hosts, '127.0.0.42 stream.test\n');
    await new Promise((r) => setTimeout(r, 2500));
    const second = startAgent(lab, '127.0.0.42', PORT, ['ethusdt'], 1000);
    await Promise.all([first.exited, second.exited]);
    await new Promise((r) => setTimeout(r, 300));
    rec.child.kill('SIGINT');
    expect((await rec.exited).code).toBe(0);
    server.child.kill('SIGTERM');
    const meta = metadataOf(file);
    expect(meta.coveredAddresses.map((a) => a.address)).toEqual(['127.0.0.41', '127.0.0.42']);
    expect(meta.coveredAddresses[1].from).toBeGreaterThan(meta.start);
    expect(meta.segments.map((s) => s.addresses)).toEqual([['127.0.0.41'], ['127.0.0.42']]);
    expect(meta.addressSets.map((a) => a.addresses)).toEqual([['127.0.0.41'], ['127.0.0.42']]);
    const files = meta.files.map((f) => join(lab.dir, f));
    expect(files.length).toBe(2);
    const report = await analyzeCaptures(files, { serverPort: PORT, generator: 'test' });
    const byServer = report.connections.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c.server.ip]: (acc[c.server.ip] ?? 0) + 1 }), {});
    expect(byServer).toEqual({ '127.0.0.41': 7, '127.0.0.42': 7 });
    expect(report.capture.warnings.map((w) => w.code)).toEqual(['late-address']);
  });

  it('if wscap itself is killed (SIGKILL), tcpdump stops too and the capture stays readable', async () => {
    const server = await startServer(lab, [`127.0.0.43:${PORT}`]);
    const file = join(lab.dir, 'orphan.pcap');
    const rec = startRecord(lab, ['--host', 'stream.test', '--resolve', 'stream.test:127.0.0.43', '--port', String(PORT), '-i', 'lo', '-w', file]);
    await rec.waitFor('wscap: recording');
    const agent = startAgent(lab, '127.0.0.43', PORT, ['btcusdt'], 800);
    await agent.exited;
    const tcpdumps = (): string => {
      try {
        return execFileSync('pgrep', ['-f', String.raw`^\S*tcpdump .*` + file], { encoding: 'utf8' });
      } catch {
        return ''; // pgrep exits 1 when nothing matches
      }
    };
    expect(tcpdumps()).not.toBe('');
    rec.child.kill('SIGKILL');
    await rec.exited;
    const deadline = Date.now() + 5000;
    while (tcpdumps() !== '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(tcpdumps()).toBe('');
    server.child.kill('SIGTERM');
    const report = await analyzeCaptures([file], { serverPort: PORT, generator: 'test' });
    expect(report.summary.connections).toBe(7);
    expect(report.capture.warnings.map((w) => w.code)).toEqual([]);
  });

  it('refuses to overwrite an existing capture (exit 2) unless --force', async () => {
    const file = join(lab.dir, 'exists.pcap');
    writeFileSync(file, 'keep me');
    const rec = startRecord(lab, ['--host', 'stream.test', '--resolve', 'stream.test:127.0.0.36', '--port', String(PORT), '-i', 'lo', '-w', file, '--duration', '1s']);
    expect((await rec.exited).code).toBe(2);
    expect(rec.stderr()).toBe(`wscap: error: refusing to overwrite ${file} (use --force, or another -w / --out-dir)\n`);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    const forced = startRecord(lab, ['--host', 'stream.test', '--resolve', 'stream.test:127.0.0.36', '--port', String(PORT), '-i', 'lo', '-w', file, '--duration', '1s', '--force']);
    expect((await forced.exited).code).toBe(0);
    expect(readFileSync(file).subarray(0, 4).toString('hex')).toBe('d4c3b2a1');
  });

  it('under sudo, files belong to the invoking user (tcpdump -Z, chown)', async () => {
    const dir = join(lab.dir, 'sudo');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const file = join(dir, 'owned.pcap');
    const rec = startRecord(lab, ['--host', 'stream.test', '--resolve', 'stream.test:127.0.0.37', '--port', String(PORT), '-i', 'lo', '-w', file, '--duration', '1s'], {
      SUDO_UID: '65534',
      SUDO_GID: '65534',
      SUDO_USER: 'nobody',
    });
    expect((await rec.exited).code).toBe(0);
    for (const f of [file, `${file}.meta.json`]) {
      expect(statSync(f).uid).toBe(65534);
      expect(mode(f)).toBe(0o600);
    }
  });

  describe('errors: one line with the fix, and the documented exit code', () => {
    const base = ['--host', 'stream.test', '--resolve', 'stream.test:127.0.0.38', '--port', String(PORT), '--duration', '1s'];

    it('tcpdump not installed: exit 3', async () => {
      const rec = startRecord(lab, [...base, '-i', 'lo', '--out-dir', lab.dir, '--tcpdump', '/nonexistent/tcpdump']);
      expect((await rec.exited).code).toBe(3);
      expect(rec.stderr()).toBe("wscap: error: tcpdump is not installed (looked for '/nonexistent/tcpdump'); install it: sudo apt-get install -y tcpdump\n");
    });

    it('unknown interface: exit 2', async () => {
      const rec = startRecord(lab, [...base, '-i', 'nosuch0', '--out-dir', lab.dir]);
      expect((await rec.exited).code).toBe(2);
      expect(rec.stderr()).toMatch(/^wscap: error: unknown interface 'nosuch0' \(tcpdump: .*\); list interfaces with `ip link` or `tcpdump -D`; `any` captures on all\n$/);
    });

    it('invalid filter: exit 2', async () => {
      const rec = startRecord(lab, [...base, '-i', 'lo', '--out-dir', lab.dir, '--filter', 'tcp port']);
      expect((await rec.exited).code).toBe(2);
      expect(rec.stderr()).toMatch(/^wscap: error: invalid capture filter \(tcpdump: .*\); check the expression with `tcpdump -d EXPRESSION`; see pcap-filter\(7\)\n$/);
    });

    it('unwritable directory (a read-only mount): exit 3 before tcpdump starts', async () => {
      const dir = join(lab.dir, 'readonly');
      mkdirSync(dir);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'wscap-test-ro', dir], { timeout: 5000 });
      try {
        const rec = startRecord(lab, [...base, '-i', 'lo', '--out-dir', dir]);
        expect((await rec.exited).code).toBe(3);
        expect(rec.stderr()).toBe(`wscap: error: cannot write to ${dir}: permission denied; choose a writable directory with --out-dir\n`);
      } finally {
        execFileSync('umount', [dir], { timeout: 5000 });
      }
    });

    it('disk full (a small tmpfs): clear error, exit 3, what was written stays readable', async () => {
      const dir = join(lab.dir, 'full');
      mkdirSync(dir);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=400k', 'wscap-test-full', dir], { timeout: 5000 });
      try {
        const server = await startServer(lab, [`127.0.0.39:${PORT}`]);
        const file = join(dir, 'full.pcap');
        const rec = startRecord(lab, ['--host', 'stream.test', '--resolve', 'stream.test:127.0.0.39', '--port', String(PORT), '-i', 'lo', '-w', file, '--duration', '8s']);
        await rec.waitFor('wscap: recording');
        const agent = startAgent(lab, '127.0.0.39', PORT, ['btcusdt', 'ethusdt', 'solusdt'], 7000);
        const exit = await rec.exited;
        agent.child.kill('SIGTERM');
        server.child.kill('SIGTERM');
        expect(exit.code).toBe(3);
        expect(rec.stderr()).toMatch(/^wscap: error: disk full: less than 256 KiB left in .*, recording stopped; free space or record to another --out-dir; files written so far are kept$/m);
        expect(rec.stdout()).toMatch(/^wscap: stopped \(disk-full\)/);
        const report = await analyzeCaptures([file], { serverPort: PORT, generator: 'test' });
        expect(report.capture.packets).toBeGreaterThan(0);
        expect(report.summary.connections).toBeGreaterThan(0);
      } finally {
        execFileSync('umount', ['-l', dir], { timeout: 5000 });
      }
    });

    it('missing directory: exit 3', async () => {
      const rec = startRecord(lab, [...base, '-i', 'lo', '--out-dir', join(lab.dir, 'nope')]);
      expect((await rec.exited).code).toBe(3);
      expect(rec.stderr()).toContain('does not exist; create it, or choose another with --out-dir');
    });

    it('not enough privilege (a user without CAP_NET_RAW): exit 3 with the setcap line', async () => {
      const dir = join(lab.dir, 'unpriv');
      mkdirSync(dir);
      chmodSync(dir, 0o777);
      chmodSync(lab.dir, 0o711); // let the unprivileged user reach its directory
      const rec = startRecord(lab, [...base, '-i', 'lo', '--out-dir', dir], { HOME: dir }, ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--']);
      expect((await rec.exited).code).toBe(3);
      expect(rec.stderr()).toMatch(/^wscap: error: not enough privilege to capture on 'lo' \(tcpdump: .*\); run as root, or give tcpdump the capability once: sudo setcap cap_net_raw,cap_net_admin=eip "\$\(command -v tcpdump\)"\n$/);
    });

    it('arguments that look like options or filter injections are rejected: exit 2', async () => {
      for (const host of ['-w /etc/x', 'a or port 22']) {
        const rec = startRecord(lab, ['--host', host, '-i', 'lo', '--out-dir', lab.dir, '--duration', '1s']);
        expect((await rec.exited).code).toBe(2);
        expect(rec.stderr()).toBe(`wscap: error: --host '${host}' is not a host name or IP address\n`);
      }
      expect(existsSync('/etc/x')).toBe(false);
      const rec = startRecord(lab, ['--filter', '-w /etc/x', '-i', 'lo', '--out-dir', lab.dir, '--duration', '1s']);
      expect((await rec.exited).code).toBe(2);
      expect(rec.stderr()).toBe('wscap: error: --filter must be a BPF expression, not an option\n');
    });
  });
});
