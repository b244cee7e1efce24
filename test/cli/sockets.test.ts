/**
 * `wscap sockets` end to end, in-process (runSockets and the commander options), against real
 * loopback connections: a server here on 127.0.0.3, a child process with known pid holding 14
 * ESTAB connections (2 symbols), 2 CLOSE-WAIT (the server closed them, the child did not) and 1
 * TIME-WAIT (the child closed it first). The report is compared with `ss` run at the same moment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { Command } from 'commander';
import { pino } from 'pino';
import { DEFAULT_HOSTS, describeSocketsOptions, isValidHost, parseWatchInterval, runSockets, type SocketsCommandOptions, type SocketsRuntime } from '../../src/cli/sockets-command.js';
import type { SocketsReport } from '../../src/record/sockets-report.js';
import { UsageError } from '../../src/errors/usage-error.js';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';

const HOST = '127.0.0.3';
const ESTAB = 14;
const CLOSE_WAIT = 2;
const TIME_WAIT = 1;
const log = pino({ level: 'silent' });

const clientSource = String.raw`
const net = require('node:net');
const [port, keep, close, tw] = process.argv.slice(1).map(Number);
let pending = keep + close + tw;
const done = () => { if (--pending === 0) process.stdout.write('ready\n'); };
const sockets = [];
function open(line, onData, onEnd, onClose) {
  const s = net.connect({ host: '127.0.0.3', port, allowHalfOpen: true });
  sockets.push(s);
  s.on('error', () => {});
  s.on('connect', () => s.write(line));
  s.once('data', onData);
  if (onEnd) s.on('end', onEnd);
  if (onClose) s.on('close', onClose);
}
for (let i = 0; i < keep; i++) open('keep\n', done);
for (let i = 0; i < close; i++) open('close\n', () => {}, done);
for (let i = 0; i < tw; i++) open('tw\n', function () { this.end(); }, null, done);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
setTimeout(() => process.exit(0), 30000);
`;

let server: net.Server;
let port = 0;
let child: ChildProcess;

/** The server greets, closes 'close' connections at once, and answers a client's FIN with its own. */
function startServer(): Promise<void> {
  server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    s.write('hi');
    let seen = '';
    s.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.startsWith('close\n')) s.end();
    });
    s.on('end', () => {
      if (seen.startsWith('tw\n')) s.end();
    });
  });
  return new Promise((resolve) => server.listen(0, HOST, () => resolve()));
}

function waitForLine(c: ChildProcess, line: string, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`child not ${line} after ${ms} ms`)), ms);
    c.stdout?.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes(`${line}\n`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    c.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited with ${code}`));
    });
  });
}

beforeAll(async () => {
  await startServer();
  port = (server.address() as net.AddressInfo).port;
  child = spawn(process.execPath, ['-e', clientSource, String(port), String(ESTAB), String(CLOSE_WAIT), String(TIME_WAIT)], { stdio: ['pipe', 'pipe', 'inherit'] });
  await waitForLine(child, 'ready', 10_000);
}, 15_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  }
  server?.close();
});

/** Runs runSockets with output captured; `stopAfter` frames then abort (for --watch). */
async function run(options: Partial<SocketsCommandOptions>, runtime: Partial<SocketsRuntime> = {}, stopAfter = 0) {
  const out: string[] = [];
  const err: string[] = [];
  const stop = new AbortController();
  const code = await runSockets(
    { host: ['test.invalid'], port: String(port), resolve: [`test.invalid:${HOST}`], ...options },
    log,
    {
      write: (t) => {
        out.push(t);
        if (stopAfter > 0 && out.length >= stopAfter) stop.abort();
      },
      writeErr: (t) => err.push(t),
      isTTY: false,
      lookup: () => Promise.reject(Object.assign(new Error('no DNS in tests'), { code: 'ENOTFOUND' })),
      signal: stop.signal,
      ...runtime,
    },
  );
  return { code, out, err: err.join('') };
}

/** `ss -tnH state connected` read the simplest way: (state, local, peer) of sockets to HOST:port. */
function ssTuples(): string[] {
  const text = execFileSync('ss', ['-tnH', 'state', 'connected'], { encoding: 'utf8', timeout: 5000 });
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 5 && f[4] === `${HOST}:${port}`)
    .map((f) => `${f[0]} ${f[3]} ${f[4]}`)
    .sort();
}

const tuplesOf = (r: SocketsReport): string[] => r.sockets.map((s) => `${s.state} ${s.local.ip}:${s.local.port} ${s.peer.ip}:${s.peer.port}`).sort();

describe('wscap sockets against live loopback connections', () => {
  it('--json: the same sockets as ss, the child attributed, counted by state, 2 symbols', async () => {
    const before = ssTuples();
    const r = await run({ json: true });
    const after = ssTuples();
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toHaveLength(1);
    const report = JSON.parse(r.out[0]) as SocketsReport;
    expect(before).toEqual(after); // Nothing moved while we looked.
    expect(tuplesOf(report)).toEqual(before);
    expect(before).toHaveLength(ESTAB + CLOSE_WAIT + TIME_WAIT);

    expect(report.host).toEqual(['test.invalid']);
    expect(report.addresses).toEqual([HOST]);
    expect(report.port).toBe(port);
    expect(report.total).toBe(17);
    expect(report.byState).toEqual({ ESTAB: 14, 'TIME-WAIT': 1, 'CLOSE-WAIT': 2 });
    expect(report.estimatedSymbols).toBe(2);
    expect(report.estimatedSymbolsRemainder).toBe(0);
    expect(report.health).toBe('fail');
    expect(report.healthReasons.map((x) => [x.level, x.state, x.count])).toEqual([['fail', 'CLOSE-WAIT', 2]]);
    expect(report.processes).toEqual([{ pid: child.pid, command: 'node', connections: 16, byState: { ESTAB: 14, 'CLOSE-WAIT': 2 } }]);
    expect(report.unattributed).toBe(1);
    for (const s of report.sockets) {
      if (s.state === 'TIME-WAIT') expect(s.processes).toEqual([]);
      else expect(s.processes.map((p) => p.pid)).toEqual([child.pid]);
      expect(s.local.ip).toBe('127.0.0.1');
    }
    // The child received the server's 2-byte greeting on every connection it still holds.
    for (const s of report.sockets.filter((x) => x.state === 'ESTAB')) expect(s.info.bytesReceived).toBe(2);
    expect(report.at).toBeGreaterThan(Date.now() / 1000 - 10);
  });

  it('--pid: only the child (TIME-WAIT has no process)', async () => {
    const r = await run({ json: true, pid: String(child.pid) });
    const report = JSON.parse(r.out[0]) as SocketsReport;
    expect(report.pid).toBe(child.pid);
    expect(report.byState).toEqual({ ESTAB: 14, 'CLOSE-WAIT': 2 });
    const other = await run({ json: true, pid: String(process.pid) });
    expect((JSON.parse(other.out[0]) as SocketsReport).total).toBe(0);
  });

  it('text: the guide\'s answers, within 100 columns, no colour unless asked', async () => {
    const r = await run({});
    expect(r.code).toBe(0);
    const text = r.out.join('');
    const lines = text.split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
    expect(text).not.toContain('\u001b[');
    expect(lines).toContain('Symbols   2 (14 ESTAB / 7 per symbol)');
    expect(lines).toContain('States    ESTAB 14  TIME-WAIT 1  CLOSE-WAIT 2  (17 connections)');
    expect(lines.find((l) => l.startsWith('Health'))).toContain('FAIL  2 CLOSE-WAIT');
    expect(lines.filter((l) => l.startsWith('ESTAB '))).toHaveLength(14);
    expect(lines.some((l) => l.trim().startsWith(`${child.pid}     16  ESTAB 14, CLOSE-WAIT 2  node`))).toBe(true);
    const colored = await run({ color: true });
    expect(colored.out.join('')).toContain('\u001b[31mFAIL\u001b[0m');
  });

  it('host names: DNS answers are used (both families), IP literal hosts as they are', async () => {
    const asked: string[] = [];
    const viaDns = await run({ json: true, host: ['stream.example'], resolve: [] }, {
      lookup: async (h) => {
        asked.push(h);
        return ['::ffff:127.0.0.3', '2001:db8::1'];
      },
    });
    expect(asked).toEqual(['stream.example']);
    const report = JSON.parse(viaDns.out[0]) as SocketsReport;
    expect(report.addresses).toEqual([HOST, '2001:db8::1']);
    expect(report.byState.ESTAB).toBe(14);
    const literal = await run({ json: true, host: [HOST], resolve: [] });
    expect((JSON.parse(literal.out[0]) as SocketsReport).total).toBe(17);
  });

  it('a name DNS cannot resolve is a usage error that suggests --resolve', async () => {
    const err = await run({ host: ['stream.example'], resolve: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe("cannot resolve 'stream.example' (ENOTFOUND): check DNS, or give its address with --resolve stream.example:ADDRESS");
  });

  it('connections at addresses DNS no longer gives are pointed out', async () => {
    const r = await run({ json: true, host: ['stream.example'], resolve: ['stream.example:127.0.0.9'] });
    const report = JSON.parse(r.out[0]) as SocketsReport;
    expect(report.total).toBe(0);
    expect(report.otherAddresses).toEqual({ sockets: 17, addresses: [HOST] });
    const text = await run({ host: ['stream.example'], resolve: ['stream.example:127.0.0.9'] });
    expect(text.out.join('')).toContain(`17 other connections to port ${port} at addresses not listed above`);
  });

  it('--watch: frames until stopped, separated by a blank line; exit 0', async () => {
    const started = Date.now();
    const r = await run({ watch: '100ms', json: true }, {}, 3);
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(r.out[0].startsWith('{')).toBe(true);
    expect(r.out[1].startsWith('\n{')).toBe(true);
    for (const frame of r.out) expect((JSON.parse(frame) as SocketsReport).estimatedSymbols).toBe(2);
  });

  it('--watch on a terminal clears the screen before each frame', async () => {
    const r = await run({ watch: '100ms', color: false }, { isTTY: true }, 2);
    expect(r.out).toHaveLength(2);
    for (const frame of r.out) expect(frame.startsWith('\u001b[H\u001b[2Jwscap sockets')).toBe(true);
  });

  it('--watch ends with exit 0 on SIGINT and on SIGTERM, and removes its handlers', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const before = process.listenerCount(signal);
      let frames = 0;
      const code = await runSockets({ host: [HOST], port: String(port), resolve: [], watch: '100ms', json: true }, log, {
        write: () => {
          frames += 1;
          // Deliver the signal the way Node does to a listener (no real signal reaches the test runner).
          if (frames === 2) process.emit(signal);
        },
        writeErr: () => {},
        isTTY: false,
      });
      expect(code).toBe(0);
      expect(frames).toBe(2);
      expect(process.listenerCount(signal)).toBe(before);
    }
  });

  it('a missing ss: exit 3 and a message saying to install iproute2', async () => {
    const r = await run({}, { ssPath: '/nonexistent/ss' });
    expect(r.code).toBe(3);
    expect(r.out).toEqual([]);
    expect(r.err).toBe("wscap: error: '/nonexistent/ss' not found: install iproute2 (apt-get install iproute2, dnf install iproute)\n");
  });
});

describe('wscap sockets options', () => {
  it.each([
    [{ host: ['a or port 22'] }, "--host must be a host name or an IP address, got 'a or port 22'"],
    [{ host: ['-w /etc/x'] }, "--host must be a host name or an IP address, got '-w /etc/x'"],
    [{ host: ['-bad.example'] }, "--host must be a host name or an IP address, got '-bad.example'"],
    [{ host: ['x\u001b[2J'] }, "--host must be a host name or an IP address, got 'x\\x1b[2J'"],
    [{ port: '0' }, "--port must be 1-65535, got '0'"],
    [{ port: '65536' }, "--port must be 1-65535, got '65536'"],
    [{ port: '443 ' }, "--port must be 1-65535, got '443 '"],
    [{ pid: '12ab' }, "--pid must be a process id, got '12ab'"],
    [{ pid: '0' }, "--pid must be a process id, got '0'"],
    [{ watch: '0s' }, "--watch must be an interval from 100ms to 1h such as 2s, 500ms or 1m, got '0s'"],
    [{ watch: 'fast' }, "--watch must be an interval from 100ms to 1h such as 2s, 500ms or 1m, got 'fast'"],
    [{ resolve: ['test.invalid'] }, "--resolve must be HOST:ADDRESS (e.g. fstream.binance.com:13.112.1.2), got 'test.invalid'"],
    [{ resolve: ['test.invalid:443:1.2.3.4'] }, "--resolve must be HOST:ADDRESS (e.g. fstream.binance.com:13.112.1.2), got 'test.invalid:443:1.2.3.4'"],
    [{ resolve: ['other.example:1.2.3.4'] }, "--resolve names 'other.example', which is not a --host (test.invalid)"],
  ])('%j is a usage error', async (options, message) => {
    const err = await run(options as Partial<SocketsCommandOptions>).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(message);
  });

  it('host names and literals', () => {
    expect(['fstream.binance.com', 'FSTREAM.binance.com.', 'localhost', '127.0.0.3', '::1', '[::1]', 'a-b.c1'].every(isValidHost)).toBe(true);
    expect(['', 'a..b', 'a b', '1.2.3', 'x_y.com', `${'a'.repeat(64)}.com`, 'a/b', '[1.2.3.4]'].some(isValidHost)).toBe(false);
  });

  it('watch intervals', () => {
    expect(['2s', '500ms', '1m', '2', '0.5s', '1.5'].map(parseWatchInterval)).toEqual([2000, 500, 60000, 2000, 500, 1500]);
    expect(() => parseWatchInterval('2h')).toThrow(UsageError);
    expect(() => parseWatchInterval('50ms')).toThrow(UsageError);
  });

  it('describeSocketsOptions: defaults, repeatable --host and --resolve (a --host replaces the default)', async () => {
    const parse = async (args: string[]): Promise<SocketsCommandOptions> => {
      const program = new Command().exitOverride();
      let seen: SocketsCommandOptions | undefined;
      describeSocketsOptions(program.command('sockets')).action((o: SocketsCommandOptions) => {
        seen = o;
      });
      await program.parseAsync(['node', 'wscap', 'sockets', ...args]);
      if (!seen) throw new Error('no action');
      return seen;
    };
    expect(await parse([])).toEqual({ host: ['fstream.binance.com'], port: '443', resolve: [] });
    const o = await parse(['--host', 'a.example', '--host', 'b.example', '--resolve', 'a.example:1.2.3.4', '--resolve', 'a.example:[::1]', '--port', '8443', '--pid', '42', '--watch', '2s', '--json', '--no-color']);
    expect(o).toEqual({ host: ['a.example', 'b.example'], port: '8443', resolve: ['a.example:1.2.3.4', 'a.example:[::1]'], pid: '42', watch: '2s', json: true, color: false });
    expect(await parse(['--color'])).toMatchObject({ color: true, host: ['fstream.binance.com'] });
    // Parsing did not change the defaults for the next command line.
    expect(await parse([])).toEqual({ host: ['fstream.binance.com'], port: '443', resolve: [] });
    expect(DEFAULT_HOSTS).toEqual(['fstream.binance.com']);
  });
});

describe('wscap sockets --json and hostile process names', () => {
  it('sockets --json writes DEL and C1 controls as \\u escapes', async () => {
    const { writeFileSync: write, chmodSync } = await import('node:fs');
    const { dir, cleanup } = tempDir();
    try {
      // A stand-in for ss that prints one socket owned by a process whose name holds CSI (U+009B) and DEL.
      const fakeSs = join(dir, 'ss');
      const line = `ESTAB 0 0 127.0.0.1:40000 ${HOST}:${port} users:(("ag\u009b31m\u007fent",pid=4242,fd=3))`;
      write(fakeSs, `#!/usr/bin/env node\nprocess.stdout.write(${JSON.stringify(line + '\n')});\n`);
      chmodSync(fakeSs, 0o755);
      const r = await run({ json: true }, { ssPath: fakeSs });
      expect(r.code).toBe(0);
      expect(r.out[0]).not.toMatch(/[\u007f-\u009f]/);
      expect(r.out[0]).toContain('ag\\u009b31m\\u007fent');
      const report = JSON.parse(r.out[0]) as SocketsReport;
      expect(report.processes.map((p) => p.command)).toEqual(['ag\u009b31m\u007fent']);
    } finally {
      cleanup();
    }
  });
});
