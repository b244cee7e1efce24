/**
 * Damaged and non-capture inputs, made by mutating a real fixture: a one-line error naming the file
 * and byte offset (exit 2), or a report of everything before the damage with a warning (exit 0).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { FIXTURES, runCli, tempDir } from '../helpers.js';

const SOURCE = join(FIXTURES, 'clean-shutdown.pcap');
const SOURCE_NG = join(FIXTURES, 'clean-shutdown.pcapng');

/** Byte offsets of each record header in a little-endian classic pcap (independent of src/). */
function recordOffsets(file: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = 24; at + 16 <= file.length; at += 16 + file.readUInt32LE(at + 8)) offsets.push(at);
  return offsets;
}

function expectOneLine(stderr: string): void {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
}

describe('damaged capture files', () => {
  const tmp = tempDir();
  const original = readFileSync(SOURCE);
  const offsets = recordOffsets(original);
  const k = Math.floor(offsets.length / 2);
  afterAll(tmp.cleanup);

  it('a file cut in the middle of a packet: reports the packets before it, warns with the offset', async () => {
    const path = join(tmp.dir, 'cut-mid-packet.pcap');
    writeFileSync(path, original.subarray(0, offsets[k] + 16 + 5));
    const r = await runCli(['analyze', path, '--format', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.capture.packets).toBe(k);
    expect(report.capture.warnings).toEqual([
      expect.objectContaining({ code: 'truncated', file: path, offset: offsets[k] }),
    ]);
    expectOneLine(r.stderr);
    expect(r.stderr).toContain(`wscap: warning: ${path}: truncated dump file`);
    expect(r.stderr).toContain(`byte offset ${offsets[k]}`);
  });

  it('--quiet leaves the warning out of stderr but keeps it in the report', async () => {
    const path = join(tmp.dir, 'cut-quiet.pcap');
    writeFileSync(path, original.subarray(0, offsets[k] + 16 + 5));
    const r = await runCli(['--quiet', 'analyze', path, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).capture.warnings[0]).toMatchObject({ code: 'truncated', offset: offsets[k] });
  });

  it('a file cut inside a record header', async () => {
    const path = join(tmp.dir, 'cut-mid-header.pcap');
    writeFileSync(path, original.subarray(0, offsets[k] + 7));
    const r = await runCli(['analyze', path, '--format', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.capture.packets).toBe(k);
    expect(report.capture.warnings[0]).toMatchObject({ code: 'truncated', offset: offsets[k] });
  });

  it('a corrupt captured-length field: stops there, reports what came before', async () => {
    const path = join(tmp.dir, 'corrupt-length.pcap');
    const mutated = Buffer.from(original);
    mutated.writeUInt32LE(0x7ffffff0, offsets[k] + 8);
    writeFileSync(path, mutated);
    const r = await runCli(['analyze', path, '--format', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.capture.packets).toBe(k);
    expect(report.capture.warnings).toEqual([
      {
        code: 'corrupt',
        message: `bad packet record: captured length 2147483632 exceeds the maximum of 262144 at byte offset ${offsets[k]}; stopped reading this file`,
        file: path,
        offset: offsets[k],
      },
    ]);
    expectOneLine(r.stderr);
  });

  it('a pcapng block with a corrupt length', async () => {
    const ng = readFileSync(SOURCE_NG);
    // Walk blocks to the 5th one and break its length (independent walk: type, length, body).
    let at = 0;
    for (let i = 0; i < 4; i++) at += ng.readUInt32LE(at + 4);
    const path = join(tmp.dir, 'corrupt-block.pcapng');
    const mutated = Buffer.from(ng);
    mutated.writeUInt32LE(13, at + 4);
    writeFileSync(path, mutated);
    const r = await runCli(['analyze', path, '--format', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.capture.warnings).toEqual([
      expect.objectContaining({ code: 'corrupt', offset: at }),
    ]);
    expect(report.capture.warnings[0].message).toContain('bad pcapng block length 13');
  });

  it('a gzip file cut short: reports what decompressed, warns', async () => {
    const path = join(tmp.dir, 'cut.pcap.gz');
    const gz = gzipSync(original);
    writeFileSync(path, gz.subarray(0, Math.floor(gz.length / 2)));
    const r = await runCli(['analyze', path, '--format', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.capture.packets).toBeGreaterThan(0);
    expect(report.capture.packets).toBeLessThan(offsets.length);
    expect(report.capture.warnings).toHaveLength(1);
    expect(['read-error', 'truncated']).toContain(report.capture.warnings[0].code);
    expect(report.capture.files[0].isGzip).toBe(true);
  });
});

describe('inputs that are not captures', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);
  let notCapture: string;
  let empty: string;
  let shortHeader: string;
  beforeAll(() => {
    notCapture = join(tmp.dir, 'notes.txt');
    writeFileSync(notCapture, 'ESTAB 0 0 192.168.1.100:54321 52.84.123.45:443\n');
    empty = join(tmp.dir, 'empty.pcap');
    writeFileSync(empty, '');
    shortHeader = join(tmp.dir, 'short.pcap');
    writeFileSync(shortHeader, readFileSync(SOURCE).subarray(0, 10));
  });

  it('text file: one-line error with the magic and offset 0, exit 2', async () => {
    const r = await runCli(['analyze', notCapture]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`wscap: error: ${notCapture}: not a pcap or pcapng file (magic 0x45535441) (at byte offset 0)\n`);
  });

  it('empty file: exit 2', async () => {
    const r = await runCli(['analyze', empty]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`wscap: error: ${empty}: empty file (0 bytes) (at byte offset 0)\n`);
  });

  it('header cut short: exit 2', async () => {
    const r = await runCli(['analyze', shortHeader]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`wscap: error: ${shortHeader}: pcap file header cut short (10 of 24 bytes) (at byte offset 0)\n`);
  });

  it('missing file: exit 2', async () => {
    const missing = join(tmp.dir, 'nope.pcap');
    const r = await runCli(['analyze', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`wscap: error: ${missing}: cannot open: no such file (at byte offset 0)\n`);
  });

  it('a file name with terminal control characters is escaped in the error', async () => {
    const evil = join(tmp.dir, 'a\u001b[31mred.pcap');
    writeFileSync(evil, 'x');
    const r = await runCli(['analyze', evil]);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('\u001b');
    expect(r.stderr).toContain('a\\x1b[31mred.pcap');
  });
});
