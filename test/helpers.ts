/** Shared test helpers: fixture discovery, running the built CLI, temporary directories. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = join(ROOT, 'fixtures');
export const BIN = join(ROOT, 'dist', 'cli', 'bin.js');

export interface ExpectedConnection {
  id: string;
  client: string;
  server: string;
  handshakeSeen?: boolean;
  closeKind?: string;
  closeInitiator?: string | null;
  clientState?: string;
  zeekConnState?: string;
  zeekHistory?: string;
  c2sPackets: number;
  c2sBytes: number;
  s2cPackets: number;
  s2cBytes: number;
  /** TLS and record values (expected.py, from tshark's TLS fields); absent in older expectation files. */
  sni?: string | null;
  sniCut?: boolean;
  alpnOffered?: string[] | null;
  alpn?: string | null;
  versionsOffered?: number[] | null;
  tlsVersion?: string | null;
  tlsMs?: number | null;
  firstServerDataMs?: number | null;
  c2sRecords?: { control: number; data: number } | null;
  s2cRecords?: { control: number; data: number } | null;
  maxDataSilenceS?: number | null;
  maxDataSilenceAt?: number | null;
  wsInitiator?: string | null;
  /** tshark's tcp.analysis flags per direction: c2sRetransmissions, s2cDupAcks, ... */
  [health: `${'c2s' | 's2c'}${string}`]: unknown;
}

export interface Expected {
  /** Path of the .expected.json file, relative to fixtures/. */
  name: string;
  dir: string;
  files: string[];
  format: 'pcap' | 'pcapng';
  linkType?: number;
  linkTypes?: number[];
  timestampPrecision: 'us' | 'ns';
  packets: number;
  tcpPackets: number;
  /** Packets cut before their TCP header ended (snap length); 0 when absent. */
  truncatedPackets?: number;
  /** tshark's exact first and latest frame.time_epoch (format fixtures); null without timestamps. */
  firstTimeText?: string | null;
  maxTimeText?: string | null;
  /** Codes of the warnings the report must carry; none when absent. */
  warningCodes?: string[];
  connections: ExpectedConnection[];
}

/** Every `*.expected.json` under fixtures/, parsed. */
export function loadExpectations(): Expected[] {
  const out: Expected[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.expected.json')) {
        const parsed = JSON.parse(readFileSync(path, 'utf8')) as Omit<Expected, 'name' | 'dir'>;
        out.push({ ...parsed, name: path.slice(FIXTURES.length + 1), dir });
      }
    }
  };
  walk(FIXTURES);
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `wscap` with a time bound. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { timeout: 20_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', ...env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A temporary directory, removed by the returned cleanup function. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'wscap-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** "1.2.3.4:5" or "[::1]:5". */
export function endpoint(e: { ip: string; port: number }): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}
