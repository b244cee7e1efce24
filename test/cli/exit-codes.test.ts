/** `wscap analyze` exit codes end to end, for cron jobs and CI: 0 written, 1 findings, 2 usage or input. */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FIXTURES, runCli } from '../helpers.js';

const fixture = (name: string): string => join(FIXTURES, name);

describe('wscap analyze exit codes', () => {
  it('0 when nothing reached --fail-on (clean-shutdown: verdict ok)', async () => {
    const r = await runCli(['analyze', '--format', 'json', fixture('clean-shutdown.pcap')]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { summary: { verdict: string } }).summary.verdict).toBe('ok');
  });

  it('1 when a fail was found (close-wait), with the report written all the same', async () => {
    const r = await runCli(['analyze', fixture('close-wait.pcap')]);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[1]).toBe('Verdict: FAIL (1 fail, 2 warn)');
    expect(r.stderr).toBe('');
  });

  it('--fail-on never: 0 even with a fail; --fail-on warn: 1 on a warning (server-close-reconnect)', async () => {
    expect((await runCli(['analyze', '--fail-on', 'never', fixture('close-wait.pcap')])).code).toBe(0);
    expect((await runCli(['analyze', fixture('server-close-reconnect.pcap')])).code).toBe(0);
    expect((await runCli(['analyze', '--fail-on', 'warn', fixture('server-close-reconnect.pcap')])).code).toBe(1);
  });

  it('--symbols with the wrong number fails the run with connection-count', async () => {
    const wrong = await runCli(['analyze', '--symbols', '2', '--format', 'json', fixture('clean-shutdown.pcap')]);
    expect(wrong.code).toBe(1);
    const report = JSON.parse(wrong.stdout) as { anomalies: Array<{ code: string }> };
    expect(report.anomalies.map((a) => a.code)).toEqual(['connection-count']);
    expect((await runCli(['analyze', '--symbols', '1', fixture('clean-shutdown.pcap')])).code).toBe(0);
  });

  it('thresholds from the command line: --stall 3s finds the quiet streams; --silent-after 3 the silent ones', async () => {
    const stall = await runCli(['analyze', '--stall', '3s', '--format', 'json', fixture('quiet-streams.pcap')]);
    expect(stall.code).toBe(0); // a warning
    expect((JSON.parse(stall.stdout) as { anomalies: Array<{ code: string; connections: string[] }> }).anomalies).toMatchObject([
      { code: 'stall', connections: ['C6', 'C7'] },
    ]);
    const silent = await runCli(['analyze', '--silent-after', '3', fixture('pings-only.pcap')]);
    expect(silent.code).toBe(1);
    expect(silent.stdout).toContain('FAIL silent (C1–C7 at ');
  });

  it('2 on usage errors, before reading anything', async () => {
    for (const args of [
      ['--fail-on', 'sometimes'],
      ['--symbols', 'x'],
      ['--symbols', '2', '--expect', '14'],
      ['--stall', '10 minutes'],
      ['--retrans-rate', '150'],
    ]) {
      const r = await runCli(['analyze', ...args, fixture('clean-shutdown.pcap')]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
    }
  });

  it('2 on a file that is not a capture', async () => {
    const r = await runCli(['analyze', join(FIXTURES, 'README.md')]);
    expect(r.code).toBe(2);
  });
});

describe('a reader that goes away', () => {
  it('`wscap analyze … | head`: stops writing quietly, exit code unchanged, no error line', async () => {
    const { spawn } = await import('node:child_process');
    const files = ['clean-shutdown.pcap', 'lossy.pcap', 'zero-window.pcap', 'quiet-streams.pcap', 'pings-only.pcap', 'server-close-reconnect.pcap', 'midstream.pcap', 'ipv6-clean.pcap'];
    const child = spawn(process.execPath, [join(FIXTURES, '..', 'dist', 'cli', 'bin.js'), 'analyze', '--fail-on', 'never', '--format', 'json', ...files.map(fixture)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Read one chunk of the (> 64 KiB) report, then close the pipe.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
