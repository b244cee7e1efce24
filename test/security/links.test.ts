/**
 * Under sudo, wscap (root) works in a directory the invoking user owns, where that user can put a
 * symbolic link, a hard link or a FIFO under any name at any moment. Nothing wscap does as root
 * there may follow one: giving the files to the user (chmod/chown), writing the metadata and the
 * --analyze reports, tcpdump opening its files, reading the files for --analyze.
 * (root, real tcpdump on loopback for the end-to-end case)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { execFile, execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secureFiles, writeNewPrivateFile } from '../../src/record/capture-files.js';
import { writeMetadata, type RecordingMetadata } from '../../src/record/metadata.js';
import { findExecutable, tcpdumpCommand, type TcpdumpOptions } from '../../src/record/tcpdump.js';
import { FIXTURES, ROOT } from '../helpers.js';
import { isRoot, newLab, startRecord, type Lab } from '../record/loopback-lab.js';

const NOBODY = { uid: 65534, gid: 65534 };
const SUDO_NOBODY = { SUDO_UID: '65534', SUDO_GID: '65534', SUDO_USER: 'nobody' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.runIf(isRoot)('no link is followed as root in the user’s directory', () => {
  let top: string;
  let userDir: string;
  let victim: string;
  const VICTIM_TEXT = 'root:secret\n';
  beforeAll(() => {
    // The user's directory, and root's file they would like to own or overwrite.
    top = mkdtempSync(join(tmpdir(), 'wscap-links-'));
    chmodSync(top, 0o755);
    userDir = join(top, 'user');
    mkdirSync(userDir);
    chownSync(userDir, NOBODY.uid, NOBODY.gid);
    victim = join(top, 'victim');
  });
  afterAll(() => rmSync(top, { recursive: true, force: true }));

  const plantVictim = (): void => {
    writeFileSync(victim, VICTIM_TEXT, { mode: 0o600 });
    chmodSync(victim, 0o600);
  };
  const expectVictimUntouched = (): void => {
    const st = statSync(victim);
    expect([st.uid, st.gid, st.mode & 0o777, readFileSync(victim, 'utf8')]).toEqual([0, 0, 0o600, VICTIM_TEXT]);
  };

  it('giving files to the user: a symbolic link, a hard link, a FIFO or another user’s file under a capture’s name is left alone', () => {
    plantVictim();
    const link = join(userDir, 'a.pcap');
    symlinkSync(victim, link);
    const hard = join(top, 'b.pcap'); // a hard link to root's file (protected_hardlinks stops the user; root can, for the test)
    linkSync(victim, hard);
    const fifo = join(userDir, 'c.pcap');
    execFileSync('mkfifo', [fifo]);
    const foreign = join(userDir, 'd.pcap');
    writeFileSync(foreign, 'x', { mode: 0o644 });
    chownSync(foreign, 1234, 1234);
    const mine = join(userDir, 'e.pcap');
    writeFileSync(mine, 'pcap', { mode: 0o644 });
    const skipped = secureFiles([link, hard, fifo, foreign, mine, join(userDir, 'gone.pcap')], NOBODY);
    expect(skipped).toEqual([link, hard, fifo, foreign]);
    expectVictimUntouched();
    expect([statSync(foreign).uid, statSync(foreign).mode & 0o777]).toEqual([1234, 0o644]);
    expect([statSync(mine).uid, statSync(mine).gid, statSync(mine).mode & 0o777]).toEqual([65534, 65534, 0o600]);
    for (const f of [link, hard, fifo, foreign, mine]) unlinkSync(f);
  });

  it('writing the metadata and the --analyze reports: a link planted at the name (or at the temp name) is replaced, not written through', () => {
    plantVictim();
    const path = join(userDir, 'x.pcap.meta.json');
    symlinkSync(victim, `${path}.tmp`);
    symlinkSync(victim, path);
    writeMetadata(path, { schemaVersion: 1, files: [] } as unknown as RecordingMetadata);
    expectVictimUntouched();
    expect(lstatSync(path).isFile()).toBe(true);
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    expect(existsSync(`${path}.tmp`)).toBe(false);
    const report = join(userDir, 'x.pcap.report.txt');
    symlinkSync(victim, report);
    writeNewPrivateFile(report, 'report');
    expectVictimUntouched();
    expect([lstatSync(report).isFile(), lstatSync(report).mode & 0o777, readFileSync(report, 'utf8')]).toEqual([true, 0o600, 'report']);
    unlinkSync(path);
    unlinkSync(report);
  });

  it('tcpdump started as the user (as wscap starts it there) cannot open its file through a link to root’s file', async () => {
    plantVictim();
    const link = join(userDir, 'first.pcap');
    symlinkSync(victim, link);
    const options: TcpdumpOptions = {
      tcpdumpPath: 'tcpdump', interface: 'lo', file: link, filter: 'tcp port 1', snaplen: 0, bufferKiB: 1024,
      user: null, runAs: NOBODY, packetCount: 1, rotateSizeMB: null, rotateEveryS: null, ringFiles: null,
    };
    const [file, argv] = tcpdumpCommand(options, findExecutable('tcpdump') as string, findExecutable('setpriv'));
    expect(file).toMatch(/setpriv$/);
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(file, argv, { timeout: 10_000 }, (err, _out, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stderr }));
      child.stdin?.end();
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Permission denied');
    expectVictimUntouched();
    unlinkSync(link);
  });

  it('becoming the user for --analyze is for good: uid, gid and groups, and no way back to root', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `
      const m = await import(${JSON.stringify(join(ROOT, 'dist', 'cli', 'record-command.js'))});
      const ok = m.becomeOwner({ name: 'nobody', uid: 65534, gid: 65534 });
      let back = true;
      try { process.setuid(0); } catch { back = false; }
      console.log(JSON.stringify({ ok, uid: process.getuid(), euid: process.geteuid(), gid: process.getgid(), egid: process.getegid(), root: process.getgroups().includes(0), back }));
    `], { encoding: 'utf8', timeout: 10_000 });
    expect(JSON.parse(out)).toEqual({ ok: true, uid: 65534, euid: 65534, gid: 65534, egid: 65534, root: false, back: false });
  });

  describe('end to end (wscap record under sudo)', () => {
    let lab: Lab;
    beforeAll(() => {
      lab = newLab();
    });
    afterAll(() => lab.cleanup());

    it('under sudo, no component of the output path is the user’s when tcpdump -Z is used', async () => {
      // Directories only root can write (so tcpdump would run as root with -Z and open its first
      // file by name), on a path the user could change: they could swap a directory for a link.
      const record = (outDir: string, address: string) =>
        startRecord(lab, ['--host', 's.test', '--resolve', `s.test:${address}`, '--port', '18443', '-i', 'lo', '--out-dir', outDir, '--duration', '1s'], SUDO_NOBODY);
      const refusal = (path: string, parent: string, outDir: string): string =>
        `wscap: error: user 'nobody' can replace ${path} (they can write ${parent}), and tcpdump would open its first file in ${outDir} as root (it drops root with -Z only after); choose an --out-dir nobody can write (tcpdump then runs as them), or one whose every parent only root can change\n`;
      const inUserDir = join(userDir, 'root-owned');
      const deeper = join(userDir, 'r1', 'r2');
      const rootOnly = join(top, 'root-only');
      const viaLink = join(userDir, 'link');
      for (const d of [inUserDir, deeper, rootOnly]) {
        mkdirSync(d, { recursive: true });
        chmodSync(d, 0o755);
      }
      chmodSync(join(userDir, 'r1'), 0o755);
      symlinkSync(rootOnly, viaLink);
      const cases: Array<[string, string, string]> = [
        [inUserDir, inUserDir, userDir], // its parent is the user's
        [deeper, join(userDir, 'r1'), userDir], // a grandparent's parent is
        [viaLink, viaLink, userDir], // a link on the way is in the user's directory
      ];
      for (const [outDir, path, parent] of cases) {
        const rec = record(outDir, '127.0.0.74');
        expect(await rec.exited, outDir).toEqual({ code: 3, signal: null });
        expect(rec.stderr()).toBe(refusal(path, parent, outDir));
        expect(readdirSync(outDir)).toEqual([]);
      }
      // Root's all the way up (a root directory in sticky /tmp): recorded as before.
      const rec = record(rootOnly, '127.0.0.74');
      expect(await rec.exited, rec.stderr()).toEqual({ code: 0, signal: null });
      expect(readdirSync(rootOnly).filter((n) => n.endsWith('.pcap'))).toHaveLength(1);
    }, 60_000);

    it('the capture file swapped for a link to another capture during the recording: that file is neither given to the user nor analysed', async () => {
      // Root's capture elsewhere, which the user must not get to read or own.
      const secret = join(top, 'secret.pcap');
      copyFileSync(join(FIXTURES, 'clean-shutdown.pcap'), secret);
      chmodSync(secret, 0o600);
      const dir = join(userDir, 'rec');
      mkdirSync(dir);
      chownSync(dir, NOBODY.uid, NOBODY.gid);
      const file = join(dir, 'swap.pcap');
      const rec = startRecord(lab, ['--host', 's.test', '--resolve', 's.test:127.0.0.71', '--port', '18443', '-i', 'lo', '-w', file, '--analyze'], SUDO_NOBODY);
      await rec.waitFor('wscap: recording');
      await sleep(300);
      // What the user can do in their own directory, as themselves.
      execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', 'sh', '-c', 'rm -f "$1" && ln -s "$2" "$1"', 'sh', file, secret]);
      rec.child.kill('SIGINT');
      const exit = await rec.exited;
      expect(exit, rec.stderr()).toEqual({ code: 0, signal: null });
      const st = statSync(secret);
      expect([st.uid, st.gid, st.mode & 0o777]).toEqual([0, 0, 0o600]);
      expect(readFileSync(secret)).toEqual(readFileSync(join(FIXTURES, 'clean-shutdown.pcap')));
      // Not listed, not analysed: no report made of the secret capture.
      const meta = JSON.parse(readFileSync(`${file}.meta.json`, 'utf8')) as RecordingMetadata;
      expect(meta.files).toEqual([]);
      expect(readdirSync(dir).filter((n) => n.includes('.report.'))).toEqual([]);
      expect(rec.stdout()).not.toContain('report');
    });
  });
});
