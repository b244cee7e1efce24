/**
 * A hostile capture or recording metadata is contained: length fields cannot make wscap allocate
 * what they claim, and what the metadata says cannot crash the analyser or reach a terminal raw.
 *
 * Allocations are measured by wrapping Buffer.alloc / allocUnsafe / allocUnsafeSlow (Buffer.concat
 * and zlib go through them too) around one analyzeCaptures call: the largest single request must
 * stay under a constant, whatever the file claims.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { analyzeCaptures } from '../../src/analyze/analyze-captures.js';
import { renderText } from '../../src/render/text.js';
import type { Report } from '../../src/report/model.js';
import { FIXTURES, tempDir } from '../helpers.js';

const PCAP = readFileSync(join(FIXTURES, 'clean-shutdown.pcap'));
const PCAPNG = readFileSync(join(FIXTURES, 'clean-shutdown.pcapng'));
/** The reader's 4 MiB buffer may double once; a pcapng block is at most 16 MiB. */
const MAX_ALLOCATION = 32 * 1024 * 1024;
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

const tmp = tempDir();
afterAll(tmp.cleanup);

/** Runs `f` and returns its result with the largest single Buffer allocation made meanwhile. */
async function largestAllocation<T>(f: () => Promise<T>): Promise<{ result: T; largest: number }> {
  const saved = { alloc: Buffer.alloc, allocUnsafe: Buffer.allocUnsafe, allocUnsafeSlow: Buffer.allocUnsafeSlow };
  let largest = 0;
  const note = (size: unknown): void => {
    if (typeof size === 'number' && size > largest) largest = size;
  };
  Buffer.alloc = ((size: number, ...rest: unknown[]) => (note(size), (saved.alloc as (...a: unknown[]) => Buffer)(size, ...rest))) as typeof Buffer.alloc;
  Buffer.allocUnsafe = ((size: number) => (note(size), saved.allocUnsafe(size))) as typeof Buffer.allocUnsafe;
  Buffer.allocUnsafeSlow = ((size: number) => (note(size), saved.allocUnsafeSlow(size))) as typeof Buffer.allocUnsafeSlow;
  try {
    return { result: await f(), largest };
  } finally {
    Object.assign(Buffer, saved);
  }
}

let n = 0;
async function analyzeBytes(bytes: Buffer, name: string): Promise<{ report: Report; largest: number }> {
  const path = join(tmp.dir, `${n++}-${name}`);
  writeFileSync(path, bytes);
  const { result, largest } = await largestAllocation(() => analyzeCaptures([path], { serverPort: 443, generator: 't' }));
  return { report: result, largest };
}

/** Offsets of the record headers of a little-endian classic pcap (walked independently of src/). */
function recordOffsets(file: Buffer): number[] {
  const out: number[] = [];
  for (let at = 24; at + 16 <= file.length; at += 16 + file.readUInt32LE(at + 8)) out.push(at);
  return out;
}

/** Offsets of the blocks of a little-endian pcapng. */
function blockOffsets(file: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at + 12 <= file.length; at += file.readUInt32LE(at + 4)) out.push(at);
  return out;
}

describe('bounded reading: no allocation sized by a length field', () => {
  const records = recordOffsets(PCAP);
  const blocks = blockOffsets(PCAPNG);

  it('the measure works: reading the untouched fixture records the reader’s own buffer, within the bound', async () => {
    const { report, largest } = await analyzeBytes(PCAP, 'plain.pcap');
    expect(report.capture.warnings).toEqual([]);
    expect(largest).toBeGreaterThanOrEqual(64 * 1024);
    expect(largest).toBeLessThanOrEqual(MAX_ALLOCATION);
  });

  it.each([0x40001, 0x100000, 0x7ffffff0, 0xffffffff])('a pcap record claiming %i captured bytes: corrupt at that record, nothing allocated for it (plain and gzip)', async (claim) => {
    const k = Math.floor(records.length / 2);
    const bytes = Buffer.from(PCAP);
    bytes.writeUInt32LE(claim, records[k] + 8);
    for (const [name, input] of [['len.pcap', bytes], ['len.pcap.gz', gzipSync(bytes)]] as const) {
      const { report, largest } = await analyzeBytes(input, name);
      expect(report.capture.packets, name).toBe(k);
      expect(report.capture.warnings.map((w) => [w.code, w.offset]), name).toEqual([['corrupt', records[k]]]);
      expect(largest, name).toBeLessThanOrEqual(MAX_ALLOCATION);
    }
  });

  it.each([13, 0x1000004, 0x7ffffffc, 0xfffffffc])('a pcapng block claiming %i bytes: corrupt at that block, nothing allocated for it', async (claim) => {
    const k = Math.floor(blocks.length / 2);
    const bytes = Buffer.from(PCAPNG);
    bytes.writeUInt32LE(claim, blocks[k] + 4);
    const { report, largest } = await analyzeBytes(bytes, 'len.pcapng');
    expect(report.capture.warnings.map((w) => [w.code, w.offset])).toEqual([['corrupt', blocks[k]]]);
    expect(largest).toBeLessThanOrEqual(MAX_ALLOCATION);
  });

  it('a pcapng block claiming just under the 16 MiB limit, past the end of the file: truncated, at most the limit allocated', async () => {
    const k = Math.floor(blocks.length / 2);
    const bytes = Buffer.from(PCAPNG);
    bytes.writeUInt32LE(16 * 1024 * 1024 - 4, blocks[k] + 4);
    const { report, largest } = await analyzeBytes(bytes, 'near-limit.pcapng');
    expect(report.capture.warnings.map((w) => w.code)).toEqual(['truncated']);
    expect(largest).toBeLessThanOrEqual(MAX_ALLOCATION);
  });

  // The header's snaplen comes from the same file: it used to widen the record limit, so a header
  // claiming 0x7fffffff let a record claim 512 MiB and the reader allocated it (gzip: 2.3 MB of
  // .pcap.gz grew to 1.6 GB and 30 s of CPU). Now a record is capped at 262144 as in libpcap.
  it('a pcap header claiming snaplen 0x7fffffff does not let a record claim 512 MiB of memory (plain and gzip)', async () => {
    const bytes = Buffer.from(PCAP);
    bytes.writeUInt32LE(0x7fffffff, 16);
    bytes.writeUInt32LE(0x20000000, records[0] + 8);
    bytes.writeUInt32LE(0x20000000, records[0] + 12);
    // gzip: the header and that record, then 4 MiB of zeros (the start of what it claims).
    const gz = gzipSync(Buffer.concat([bytes.subarray(0, records[0] + 16), Buffer.alloc(4 * 1024 * 1024)]));
    for (const [name, input] of [['snaplen.pcap', bytes], ['snaplen.pcap.gz', gz]] as const) {
      const { report, largest } = await analyzeBytes(input, name);
      expect(largest, name).toBeLessThanOrEqual(MAX_ALLOCATION);
      expect(report.capture.packets, name).toBe(0);
      expect(report.capture.warnings.map((w) => [w.code, w.offset]), name).toEqual([['corrupt', records[0]]]);
    }
  });
});

describe('recording metadata beside a capture (<capture>.meta.json)', () => {
  /** A copy of a fixture with `meta` written beside it; the report and its text. */
  async function withMetadata(meta: string): Promise<{ report: Report; text: string }> {
    const dir = join(tmp.dir, `meta-${n++}`);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    const capture = join(dir, 'c.pcap');
    copyFileSync(join(FIXTURES, 'clean-shutdown.pcap'), capture);
    writeFileSync(join(dir, 'c.pcap.meta.json'), meta);
    const report = await analyzeCaptures([capture], { serverPort: 443, generator: 't' });
    return { report, text: renderText(report, { color: false, details: true }) };
  }

  /** Metadata as wscap record writes it, for the fixture's first connection. */
  async function goodMetadata(): Promise<Record<string, unknown> & { counts: Record<string, unknown>; socketSnapshots: Array<{ at: number; sockets: Array<Record<string, unknown>> }> }> {
    const report = await analyzeCaptures([join(FIXTURES, 'clean-shutdown.pcap')], { serverPort: 443, generator: 't' });
    const c = report.connections[0];
    return {
      schemaVersion: 1, generator: 'wscap 0.1.0', tcpdumpVersion: '4.99.3', commandLine: ['record'], interface: 'lo', port: 443, snaplen: 0,
      isUserFilter: false, hosts: ['fstream.binance.com'], addressSets: [], coveredAddresses: [], segments: [], start: c.start - 1, end: c.end + 1,
      files: ['c.pcap'], counts: { captured: 1, receivedByFilter: 1, droppedByKernel: 0, droppedByInterface: null }, stopReason: 'signal:SIGINT',
      socketSnapshots: [{ at: c.start, sockets: [{ state: 'ESTAB', local: c.client, peer: c.server, processes: [{ command: 'agent', pid: 4242, fd: 3 }] }] }],
    };
  }

  it('that is not JSON: a metadata warning, and the capture is reported without it', async () => {
    const { report } = await withMetadata('{"schemaVersion": 1, "files": ["c.pcap"');
    expect(report.capture.recording).toBeNull();
    expect(report.capture.warnings.map((w) => w.code)).toEqual(['metadata']);
    expect(report.summary.connections).toBeGreaterThan(0);
  });

  it('its strings (generator, interface, stop reason, a process name from ss) reach the text report escaped', async () => {
    const meta = await goodMetadata();
    Object.assign(meta, { generator: 'g\u001b]0;owned\u0007', interface: 'lo\u001b[2J', stopReason: 'x\u009b31m' });
    (meta.socketSnapshots[0].sockets[0].processes as Array<{ command: string }>)[0].command = 'agent\u001b[31m\n';
    const { report, text } = await withMetadata(JSON.stringify(meta));
    expect(report.connections[0].process).toEqual({ pid: 4242, command: 'agent\u001b[31m\n' });
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text).toContain('agent\\x1b[31m\\x0a (pid 4242)');
    expect(text).toContain('recorded by g\\x1b]0;owned\\x07 on lo\\x1b[2J');
  });

  // Anyone who can write the capture's directory can write this file: it used to be checked only
  // for schemaVersion, files[] and socketSnapshots[], and anything else missing or mistyped was a
  // TypeError (exit 70).
  it('metadata with fields missing or of the wrong type does not crash the analysis', async () => {
    for (const broken of [
      { schemaVersion: 1, files: ['c.pcap'], socketSnapshots: [] },
      { schemaVersion: 1, files: ['c.pcap'], socketSnapshots: [{ at: 1 }] },
      { ...(await goodMetadata()), coveredAddresses: 5 },
      { ...(await goodMetadata()), stopReason: 7 },
    ]) {
      const { report } = await withMetadata(JSON.stringify(broken));
      expect(report.summary.connections).toBeGreaterThan(0);
    }
  });

  // Numbers from the metadata used to be printed unchecked: a string in their place reached the
  // terminal raw (here an OSC title and a clear-screen).
  it('a string where the metadata should hold a number (counts, pid) does not reach the terminal raw', async () => {
    const meta = await goodMetadata();
    meta.counts.captured = '\u001b]0;owned\u0007';
    (meta.socketSnapshots[0].sockets[0].processes as Array<{ pid: unknown }>)[0].pid = '\u001b[2J';
    const { text } = await withMetadata(JSON.stringify(meta));
    expect(text).not.toMatch(RAW_CONTROL);
  });
});
