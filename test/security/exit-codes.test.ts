/**
 * Failures end in one escaped line and a documented exit code, never a stack trace: a bug in
 * wscap (exit 70), a recording that failed (its RecordError's code: 3 or 4). The commands are
 * replaced by ones that throw, and main() is run in-process.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RecordError } from '../../src/errors/record-error.js';

const thrown: { error: unknown } = { error: null };
vi.mock('../../src/cli/analyze-command.js', () => ({
  runAnalyze: async () => {
    throw thrown.error;
  },
}));
vi.mock('../../src/cli/record-command.js', () => ({
  runRecord: async () => {
    throw thrown.error;
  },
}));

const { main } = await import('../../src/cli/main.js');
const { EXIT_CAPTURE_FAILED, EXIT_ENVIRONMENT, EXIT_INTERNAL } = await import('../../src/cli/exit-codes.js');

async function run(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await main(['node', 'wscap', ...argv]), stderr };
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => {
  thrown.error = null;
});

describe('exit codes and error lines', () => {
  it('an unexpected exception (a wscap bug): exit 70, one line, its message escaped, no stack trace', async () => {
    thrown.error = new TypeError('boom \u001b]0;owned\u0007 at x');
    const r = await run(['analyze', 'x.pcap']);
    expect(r.code).toBe(EXIT_INTERNAL);
    expect(r.code).toBe(70);
    expect(r.stderr).toBe('wscap: error: internal error: boom \\x1b]0;owned\\x07 at x (run with --verbose for details)\n');
  });

  it('a recording that failed: its own code (4: tcpdump died; 3: the machine cannot record) and the fix, one line', async () => {
    thrown.error = new RecordError('tcpdump was killed by SIGKILL during the recording: the capture ends there', 'start wscap record again', EXIT_CAPTURE_FAILED);
    const killed = await run(['record']);
    expect(killed).toEqual({ code: 4, stderr: 'wscap: error: tcpdump was killed by SIGKILL during the recording: the capture ends there; start wscap record again\n' });
    thrown.error = new RecordError('disk full', null, EXIT_ENVIRONMENT);
    expect(await run(['record'])).toEqual({ code: 3, stderr: 'wscap: error: disk full\n' });
  });

  it('a file system error from the environment (EACCES on --out): exit 2, not 70', async () => {
    thrown.error = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES', syscall: 'open', path: '/r\u001b.json' });
    expect(await run(['analyze', 'x.pcap'])).toEqual({ code: 2, stderr: 'wscap: error: open /r\\x1b.json: EACCES\n' });
  });
});
