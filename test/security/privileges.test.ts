/**
 * The privileges of `wscap record` (root, real tcpdump on loopback): what runs as root and what
 * does not. tcpdump needs root or CAP_NET_RAW (+ CAP_NET_ADMIN) to open the capture socket. Under
 * sudo it writes as the invoking user: started as that user with only those two capabilities
 * where the user can write the output directory, else through tcpdump -Z (root opens the first
 * file, then no capabilities). wscap itself stays root (ss -p, chown, stopping tcpdump). Run as
 * root without sudo there is no one to hand over to, and tcpdump stays root.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { invokingUser } from '../../src/record/capture-files.js';
import { isRoot, newLab, startRecord, type Lab, type Running } from '../record/loopback-lab.js';

const SUDO_NOBODY = { SUDO_UID: '65534', SUDO_GID: '65534', SUDO_USER: 'nobody' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function status(pid: number): Record<string, string> {
  return Object.fromEntries(
    readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
  );
}

/** The process group id (field 5 of /proc/PID/stat). */
function processGroup(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

function tcpdumpUnder(pid: number): number | null {
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)) {
      try {
        if (readFileSync(`/proc/${child}/comm`, 'utf8').trim() === 'tcpdump') return child;
      } catch {
        // Gone.
      }
    }
  }
  return null;
}

/** Starts a recording, waits until it listens, returns wscap's and tcpdump's pids (stop with SIGINT). */
async function recording(lab: Lab, address: string, dir: string, env: NodeJS.ProcessEnv): Promise<{ rec: Running; tcpdump: number }> {
  const rec = startRecord(lab, ['--host', 's.test', '--resolve', `s.test:${address}`, '--port', '18443', '-i', 'lo', '--out-dir', dir, '--duration', '20s'], env);
  await rec.waitFor('wscap: recording');
  for (let i = 0; i < 200; i++) {
    const tcpdump = tcpdumpUnder(rec.child.pid!);
    if (tcpdump !== null) return { rec, tcpdump };
    await sleep(10);
  }
  throw new Error('no tcpdump');
}

describe.runIf(isRoot)('privileges of wscap record (root, real tcpdump)', () => {
  let lab: Lab;
  let dir: string;
  beforeAll(() => {
    lab = newLab();
    // A directory the unprivileged user can reach and write (lab.dir is root's, 0700).
    dir = mkdtempSync(join(tmpdir(), 'wscap-priv-'));
    chmodSync(dir, 0o777);
  });
  afterAll(() => {
    lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('under sudo, in a directory the user can write: tcpdump runs as the user from the start, with only CAP_NET_RAW and CAP_NET_ADMIN (no -Z, never root, no CAP_DAC_OVERRIDE), in its own process group; wscap stays root', async () => {
    const sub = mkdtempSync(join(dir, 'sudo-'));
    chmodSync(sub, 0o777);
    const { rec, tcpdump } = await recording(lab, '127.0.0.68', sub, SUDO_NOBODY);
    try {
      const t = status(tcpdump);
      expect(t.Uid.split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
      expect(t.Gid.split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
      // Bits 12 (CAP_NET_ADMIN) and 13 (CAP_NET_RAW) only; CAP_DAC_OVERRIDE is bit 1.
      expect([t.CapEff, t.CapPrm]).toEqual(['0000000000003000', '0000000000003000']);
      const argv = readFileSync(`/proc/${tcpdump}/cmdline`, 'utf8').split('\0');
      expect(argv).not.toContain('-Z');
      expect(argv).toContain('--');
      // setpriv exec'd tcpdump in place: wscap is its parent, no shell in between.
      expect(t.PPid).toBe(String(rec.child.pid));
      expect(status(rec.child.pid!).Uid.split(/\s+/)[0]).toBe('0');
      // Its own process group (and session): a terminal's Ctrl-C reaches wscap, not tcpdump.
      expect(processGroup(tcpdump)).toBe(tcpdump);
      expect(processGroup(tcpdump)).not.toBe(processGroup(rec.child.pid!));
    } finally {
      rec.child.kill('SIGINT');
      expect((await rec.exited).code).toBe(0);
    }
    const files = readdirSync(sub).map((n) => join(sub, n));
    expect(files.length).toBe(2);
    for (const f of files) expect([statSync(f).uid, statSync(f).mode & 0o777], f).toEqual([65534, 0o600]);
  });

  it('under sudo, in a directory only root can reach: tcpdump -Z (root opens the device and the one file), then the user with no capabilities', async () => {
    // lab.dir is root's 0700: the user cannot reach anything in it, so cannot plant anything there either.
    const sub = join(lab.dir, 'root-only');
    mkdirSync(sub, { mode: 0o777 });
    const { rec, tcpdump } = await recording(lab, '127.0.0.70', sub, SUDO_NOBODY);
    try {
      const t = status(tcpdump);
      expect(t.Uid.split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
      expect([t.CapEff, t.CapPrm, t.CapAmb]).toEqual(['0000000000000000', '0000000000000000', '0000000000000000']);
      expect(readFileSync(`/proc/${tcpdump}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining(['-Z', 'nobody', '--']));
    } finally {
      rec.child.kill('SIGINT');
      expect((await rec.exited).code).toBe(0);
    }
  });

  it('run by root itself (no sudo), tcpdump stays root: -Z root, there is no user to hand over to', async () => {
    const { rec, tcpdump } = await recording(lab, '127.0.0.69', dir, { SUDO_UID: '', SUDO_GID: '', SUDO_USER: '' });
    try {
      expect(status(tcpdump).Uid.split(/\s+/)[0]).toBe('0');
      expect(readFileSync(`/proc/${tcpdump}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining(['-Z', 'root']));
    } finally {
      rec.child.kill('SIGINT');
      expect((await rec.exited).code).toBe(0);
    }
  });

  it('the invoking user comes from sudo’s SUDO_UID/SUDO_GID/SUDO_USER only when all three are there and the ids are numbers', () => {
    expect(invokingUser({ SUDO_UID: '1000', SUDO_GID: '1000', SUDO_USER: 'alice' })).toEqual({ name: 'alice', uid: 1000, gid: 1000 });
    for (const env of [
      { SUDO_UID: '0x10', SUDO_GID: '1000', SUDO_USER: 'alice' },
      { SUDO_UID: '1000', SUDO_GID: '-1', SUDO_USER: 'alice' },
      { SUDO_UID: '1000', SUDO_GID: '1000' },
      {},
    ]) {
      expect(invokingUser(env), JSON.stringify(env)).toEqual({ name: 'root', uid: 0, gid: 0 });
    }
  });
});
