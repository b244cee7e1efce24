/** The progress bar: its line, its pacing, and when the CLI shows it. */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { newProgressBar, progressLine } from '../../src/cli/progress.js';
import { FIXTURES, runCli } from '../helpers.js';

describe('progressLine', () => {
  it('bytes of the total, packets, rate and time left', () => {
    expect(progressLine({ bytesRead: 91_200_000, bytesTotal: 214_600_000, packets: 423_100 }, 0.35)).toBe(
      ' 42% [##########..............] 91.2/214.6 MB, 423.1k packets, 1.21M packets/s, 0.5 s left',
    );
    expect(progressLine({ bytesRead: 0, bytesTotal: 0, packets: 0 }, 0)).toBe('  0% [........................] 0.0/0.0 MB, 0 packets, 0 packets/s');
    expect(progressLine({ bytesRead: 1e6, bytesTotal: 200e6, packets: 5000 }, 1)).toBe(
      '  0% [........................] 1.0/200.0 MB, 5.0k packets, 5.0k packets/s, 3 min 19 s left',
    );
  });
});

describe('newProgressBar', () => {
  it('on a terminal: nothing in the first 250 ms, then at most every 100 ms, the last update always; cleared at the end', () => {
    let t = 0;
    const out: string[] = [];
    const bar = newProgressBar({ write: (s) => out.push(s), now: () => t });
    const p = (read: number) => ({ bytesRead: read, bytesTotal: 100, packets: read });
    t = 100;
    bar.update(p(10));
    expect(out).toEqual([]);
    t = 300;
    bar.update(p(20));
    t = 350;
    bar.update(p(30)); // within 100 ms of the last line
    t = 360;
    bar.update(p(100)); // the end is always drawn
    bar.done();
    expect(out.map((s) => s.slice(0, 5))).toEqual(['\r 20%', '\r100%', '\r\u001b[K']);
  });

  it('a bar that never drew clears nothing', () => {
    const out: string[] = [];
    const bar = newProgressBar({ write: (s) => out.push(s), now: () => 0 });
    bar.update({ bytesRead: 1, bytesTotal: 2, packets: 1 });
    bar.done();
    expect(out).toEqual([]);
  });
});

describe('wscap analyze and the progress bar', () => {
  const file = join(FIXTURES, 'clean-shutdown.pcap');
  it('not a terminal: no bar (stderr stays empty)', async () => {
    const r = await runCli(['analyze', file]);
    expect(r.stderr).toBe('');
  });

  it('--progress: drawn even so, ends at 100 % of the file, then cleared', async () => {
    const r = await runCli(['analyze', '--progress', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^\r100% \[#{24}\] 0\.1\/0\.1 MB, 310 packets, [\d.]+k? packets\/s, 0\.0 s left\u001b\[K\r\u001b\[K$/);
    // The report itself is untouched.
    expect(r.stdout.startsWith('wscap ')).toBe(true);
  });
});
