/**
 * The permissions of what wscap writes besides a recording (whose captures and metadata are 0600:
 * test/record/record-e2e.test.ts and record-faults.test.ts): the report file of `analyze --out`
 * (0640, narrowed further by the umask) and the temporary row spill of the JSON report (an
 * unlinked 0600 file in a fresh private directory).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, fstatSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { closeJsonRowSpill, newJsonRowSpill } from '../../src/render/json-rows.js';
import { BIN, FIXTURES, tempDir } from '../helpers.js';

const FIXTURE = join(FIXTURES, 'clean-shutdown.pcap');

/** `wscap analyze FIXTURE -o out` under `umask`, set by sh before it execs node (argv only). */
function analyzeWithUmask(umask: string, out: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', 'umask "$1" && shift && exec "$@"', 'sh', umask, process.execPath, BIN, 'analyze', FIXTURE, '--out', out], { timeout: 20_000 }, (err, _stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr }),
    );
  });
}

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('analyze --out: the report file', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);

  it('a new report file is created 0640 (owner read/write, group read, others nothing) under the usual umask 022', async () => {
    for (const name of ['r.txt', 'r.json', 'r.md', 'r.ndjson', 'r.log']) {
      const out = join(tmp.dir, name);
      const r = await analyzeWithUmask('022', out);
      expect(r, name).toEqual({ code: 0, stderr: '' });
      expect(mode(out), name).toBe(0o640);
    }
  });

  it('a stricter umask narrows it further (077: 0600); a looser one never widens it (000: still 0640)', async () => {
    const strict = join(tmp.dir, 'strict.json');
    expect((await analyzeWithUmask('077', strict)).code).toBe(0);
    expect(mode(strict)).toBe(0o600);
    const loose = join(tmp.dir, 'loose.json');
    expect((await analyzeWithUmask('000', loose)).code).toBe(0);
    expect(mode(loose)).toBe(0o640);
  });

  it('an existing file is overwritten in place and keeps its own mode (documented: pick a new path for a private report)', async () => {
    const out = join(tmp.dir, 'existing.json');
    writeFileSync(out, 'old');
    chmodSync(out, 0o604);
    expect((await analyzeWithUmask('022', out)).code).toBe(0);
    expect(mode(out)).toBe(0o604);
    expect(statSync(out).size).toBeGreaterThan(3);
  });
});

describe('the JSON row spill (rows of a large report, kept out of memory)', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);

  it('is a 0600 file, unlinked at once, in a fresh directory that is removed: nothing is left to read', () => {
    const spill = newJsonRowSpill(tmp.dir);
    try {
      expect(spill.fd).toBeGreaterThan(2);
      const st = fstatSync(spill.fd);
      expect(st.mode & 0o777).toBe(0o600);
      expect(st.nlink).toBe(0);
      expect(readdirSync(tmp.dir)).toEqual([]);
    } finally {
      closeJsonRowSpill(spill);
    }
  });
});
