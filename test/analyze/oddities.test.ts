/**
 * Protocol oddities are counted and reported as warnings, never fatal. Each input is a real
 * capture (clean-shutdown.pcap) with one thing changed in place, as a damaged or crafted file
 * would have it.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeCaptures } from '../../src/analyze/analyze-captures.js';
import { FIXTURES, tempDir } from '../helpers.js';

interface Packet {
  /** Record header offset in the file; the Ethernet frame starts 16 bytes later. */
  at: number;
  tcp: number;
  tcpHeaderLength: number;
  payload: number;
  payloadLength: number;
  srcPort: number;
}

/** The records of a little-endian Ethernet/IPv4 classic pcap, with their TCP header offsets. */
function packets(buf: Buffer): Packet[] {
  const out: Packet[] = [];
  for (let at = 24; at + 16 <= buf.length; ) {
    const caplen = buf.readUInt32LE(at + 8);
    const ip = at + 16 + 14;
    const ihl = (buf[ip] & 0x0f) * 4;
    const total = buf.readUInt16BE(ip + 2);
    const tcp = ip + ihl;
    const tcpHeaderLength = (buf[tcp + 12] >> 4) * 4;
    out.push({ at, tcp, tcpHeaderLength, payload: tcp + tcpHeaderLength, payloadLength: total - ihl - tcpHeaderLength, srcPort: buf.readUInt16BE(tcp) });
    at += 16 + caplen;
  }
  return out;
}

async function analyzeChanged(change: (buf: Buffer, list: Packet[]) => void) {
  const buf = Buffer.from(readFileSync(join(FIXTURES, 'clean-shutdown.pcap')));
  change(buf, packets(buf));
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'changed.pcap');
    writeFileSync(path, buf);
    return await analyzeCaptures([path], { serverPort: 443, generator: 't' });
  } finally {
    cleanup();
  }
}

const codes = (r: { capture: { warnings: Array<{ code: string }> } }) => r.capture.warnings.map((w) => w.code);

describe('protocol oddities: warnings, never fatal', () => {
  it('steps back of a few microseconds (tcpdump on several CPUs) are not out of order', async () => {
    const r = await analyzeChanged((buf, list) => {
      // Record 100 made 5 µs earlier than record 99.
      const prev = list[99].at;
      const at = list[100].at;
      buf.writeUInt32LE(buf.readUInt32LE(prev), at);
      const us = buf.readUInt32LE(prev + 4);
      buf.writeUInt32LE(us >= 5 ? us - 5 : us, at + 4);
    });
    expect(codes(r)).toEqual([]);
  });

  it('the untouched capture has none', async () => {
    const r = await analyzeChanged(() => {});
    expect(codes(r)).toEqual([]);
  });

  it('a packet a second earlier than the one before it (timestamps going backwards): time-backwards, every packet still read', async () => {
    let offset = 0;
    const r = await analyzeChanged((buf, list) => {
      // Record 100's time set back one second (the records keep their places).
      offset = list[100].at;
      buf.writeUInt32LE(buf.readUInt32LE(offset) - 1, offset);
    });
    expect(codes(r)).toEqual(['time-backwards']);
    expect(r.capture.warnings[0].message).toMatch(/^1 packet\(s\) more than 10 ms earlier than a packet before them/);
    expect(r.capture.warnings[0].offset).toBe(offset);
    expect(r.capture.packets).toBe(310);
    expect(r.connections).toHaveLength(7);
  });

  it('a TCP option whose length runs past the header: tcp-options, the packet still analysed', async () => {
    let offset = 0;
    const r = await analyzeChanged((buf, list) => {
      const p = list.find((x) => x.tcpHeaderLength > 20) as Packet;
      offset = p.at;
      // Find the first option with a length byte and make it run past the header.
      let i = p.tcp + 20;
      while (buf[i] === 1) i++;
      buf[i + 1] = 60;
    });
    expect(codes(r)).toEqual(['tcp-options']);
    expect(r.capture.warnings[0]).toMatchObject({ code: 'tcp-options', offset });
    expect(r.capture.tcpPackets).toBe(310);
  });

  it('a TLS record header claiming 20,480 bytes: tls-records (too long), that direction no longer followed', async () => {
    const r = await analyzeChanged((buf, list) => {
      // The server's first application-data record at the start of a segment.
      const p = list.find((x) => x.srcPort === 443 && x.payloadLength > 5 && buf[x.payload] === 0x17) as Packet;
      buf.writeUInt16BE(20_480, p.payload + 3);
    });
    expect(codes(r)).toEqual(['tls-records']);
    expect(r.capture.warnings[0].message).toBe(
      '0 TLS record(s) of length 0 and 1 longer than TLS allows (2^14 + 2048 bytes): records are not followed past a too-long one',
    );
    expect(r.connections.filter((c) => c.tls.recordTracking.server2client === 'not-tls')).toHaveLength(1);
  });

  it('a TLS record header of length 0: counted', async () => {
    const r = await analyzeChanged((buf, list) => {
      const p = list.find((x) => x.srcPort === 443 && x.payloadLength > 5 && buf[x.payload] === 0x17) as Packet;
      buf.writeUInt16BE(0, p.payload + 3);
    });
    expect(codes(r)).toEqual(['tls-records']);
    expect(r.capture.warnings[0].message).toMatch(/^1 TLS record\(s\) of length 0 and \d+ longer/);
  });

  it("a segment whose sequence number jumps 1.25 GiB ahead: seq-jump, once", async () => {
    const r = await analyzeChanged((buf, list) => {
      const data = list.filter((x) => x.srcPort === 443 && x.payloadLength > 0);
      const p = data[5];
      buf.writeUInt32BE((buf.readUInt32BE(p.tcp + 4) + 0x50000000) >>> 0, p.tcp + 4);
    });
    expect(codes(r)).toContain('seq-jump');
    expect(r.capture.warnings.find((w) => w.code === 'seq-jump')?.message).toMatch(/^1 TCP segment\(s\) whose sequence number jumped/);
    expect(r.connections).toHaveLength(7);
  });
});
