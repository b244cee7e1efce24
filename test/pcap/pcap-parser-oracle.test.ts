/**
 * The pcap-parser package as an independent oracle (docs/decisions/0001-capture-reader.md): on every
 * classic microsecond pcap fixture, both readers yield the same packets, field by field and byte by byte.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import * as pcapParser from 'pcap-parser';
import type { PacketHeader } from 'pcap-parser';
import { readCaptures } from '../../src/pcap/read-captures.js';
import { loadExpectations } from '../helpers.js';

type Row = [number, number, number, number, string];

function oracle(path: string): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    const rows: Row[] = [];
    const parser = pcapParser.parse(path);
    parser.on('packet', (p: { header: PacketHeader; data: Buffer }) => {
      const h = p.header;
      rows.push([h.timestampSeconds, h.timestampMicroseconds, h.capturedLength, h.originalLength, digest(p.data)]);
    });
    parser.on('end', () => resolve(rows));
    parser.on('error', reject);
  });
}

function digest(bytes: Buffer): string {
  return createHash('sha1').update(bytes).digest('hex');
}

async function ours(path: string): Promise<Row[]> {
  const rows: Row[] = [];
  await readCaptures([path], (p) => {
    rows.push([p.tsSec, p.tsNsec / 1000, p.capturedLength, p.originalLength, digest(p.data.subarray(p.offset, p.offset + p.capturedLength))]);
  });
  return rows;
}

/** Classic pcap with the microsecond magic in either byte order: what pcap-parser can read. */
function isClassicMicro(path: string): boolean {
  const magic = readFileSync(path).subarray(0, 4).toString('hex');
  return magic === 'd4c3b2a1' || magic === 'a1b2c3d4';
}

const files = loadExpectations()
  .flatMap((e) => e.files.map((f) => join(e.dir, f)))
  .filter((path) => !path.endsWith('.gz') && isClassicMicro(path));

describe('wscap reader agrees with pcap-parser', () => {
  it('has classic microsecond fixtures in both byte orders', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
    expect(files.some((f) => f.endsWith('big-endian.pcap'))).toBe(true);
  });
  for (const path of files) {
    it(path.slice(path.indexOf('fixtures/')), async () => {
      const [a, b] = await Promise.all([ours(path), oracle(path)]);
      expect(a.length).toBeGreaterThan(0);
      expect(a).toEqual(b);
    });
  }
});
