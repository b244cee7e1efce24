/**
 * A small lab on loopback for the recording tests: a TLS WebSocket stand-in for the target host
 * (scripts/fixtures/server.mjs) on a 127.0.0.x address, the agent-like client
 * (scripts/fixtures/agent.mjs), and `wscap record` run as a real child process. Every process is
 * time-bounded and killed in `cleanup()`.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from '../helpers.js';

const SCRIPTS = join(ROOT, 'scripts', 'fixtures');

export interface Lab {
  dir: string;
  cert: string;
  key: string;
  children: ChildProcess[];
  cleanup: () => void;
}

export function newLab(): Lab {
  const dir = mkdtempSync(join(tmpdir(), 'wscap-record-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-keyout', key, '-out', cert, '-subj', '/CN=fstream.binance.com', '-addext', 'subjectAltName=DNS:fstream.binance.com'], { stdio: 'ignore', timeout: 10_000 });
  const children: ChildProcess[] = [];
  return {
    dir,
    cert,
    key,
    children,
    cleanup: () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when `text` appears on stderr (or stdout), rejects after `timeoutMs`. */
  waitFor: (text: string | RegExp, timeoutMs?: number) => Promise<void>;
}

export function run(lab: Lab, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(command, args, { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  lab.children.push(child);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitFor = (text: string | RegExp, timeoutMs = 10_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      const check = (): void => {
        const all = err + out;
        if (typeof text === 'string' ? all.includes(text) : text.test(all)) resolve();
        else if (Date.now() - started > timeoutMs) reject(new Error(`timed out waiting for ${String(text)}; stderr: ${err}; stdout: ${out}`));
        else if (child.exitCode !== null) reject(new Error(`exited (${child.exitCode}) before ${String(text)}; stderr: ${err}`));
        else setTimeout(check, 50);
      };
      check();
    });
  return { child, stdout: () => out, stderr: () => err, exited, waitFor };
}

/** The TLS WebSocket stand-in listening on each of `listen` ("127.0.0.31:18443"). */
export async function startServer(lab: Lab, listen: string[]): Promise<Running> {
  const ready = join(lab.dir, `server-${listen.join('_').replace(/[^0-9_]/g, '')}.ready`);
  const server = run(lab, process.execPath, [join(SCRIPTS, 'server.mjs'), '--cert', lab.cert, '--key', lab.key,
    '--listen', listen.join(','), '--max-seconds', '60', '--ready-file', ready]);
  const deadline = Date.now() + 10_000;
  while (!existsSync(ready)) {
    if (Date.now() > deadline) throw new Error(`server did not start: ${server.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return server;
}

/** The agent: 7 connections per symbol to host:port, closed cleanly after closeAtMs. */
export function startAgent(lab: Lab, host: string, port: number, symbols: string[], closeAtMs: number, mode = 'clean'): Running {
  return run(lab, process.execPath, [join(SCRIPTS, 'agent.mjs'), '--host', host, '--port', String(port),
    '--symbols', symbols.join(','), '--mode', mode, '--close-at-ms', String(closeAtMs), '--max-seconds', '30']);
}

/** `wscap record ...` (the built CLI). */
export function startRecord(lab: Lab, args: string[], env: NodeJS.ProcessEnv = {}, prefix: string[] = []): Running {
  const argv = [...prefix, process.execPath, BIN, 'record', '--no-live', ...args];
  return run(lab, argv[0], argv.slice(1), env);
}

export const isRoot = process.getuid?.() === 0;
