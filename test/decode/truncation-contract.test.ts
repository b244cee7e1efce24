/**
 * Every decoder's contract (as tcpdump's GET_ macros enforce): a packet cut at any byte offset
 * decodes to its full result or to TRUNCATED naming a protocol, never an exception or a guess.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readCaptures } from '../../src/pcap/read-captures.js';
import { newPacketRecord, type PacketRecord } from '../../src/pcap/packet-record.js';
import { decodePacket } from '../../src/decode/decode-packet.js';
import { DECODED_TCP, TRUNCATED, newDecodedPacket } from '../../src/decode/decoded-packet.js';
import { loadExpectations } from '../helpers.js';

const PACKETS_PER_FILE = 60;

async function firstPackets(path: string): Promise<PacketRecord[]> {
  const out: PacketRecord[] = [];
  await readCaptures([path], (p) => {
    if (out.length >= PACKETS_PER_FILE) return;
    const copy = newPacketRecord(0);
    Object.assign(copy, p);
    copy.data = Buffer.from(p.data.subarray(p.offset, p.offset + p.capturedLength));
    copy.offset = 0;
    out.push(copy);
  });
  return out;
}

// One file per distinct link type is enough: the contract is about the decoders, not the files.
const byLinkType = new Map<string, string>();
for (const exp of loadExpectations()) {
  const key = JSON.stringify(exp.linkTypes ?? [exp.linkType]);
  if (!byLinkType.has(key) && exp.files.length === 1) byLinkType.set(key, join(exp.dir, exp.files[0]));
}

describe('decoders on packets cut at every byte offset', () => {
  it('covers several link types', () => {
    expect(byLinkType.size).toBeGreaterThanOrEqual(5);
  });
  for (const [linkTypes, path] of byLinkType) {
    it(`link type ${linkTypes}: full result or TRUNCATED, never a throw`, async () => {
      const packets = await firstPackets(path);
      expect(packets.length).toBeGreaterThan(0);
      const out = newDecodedPacket();
      let tcpSeen = 0;
      for (const packet of packets) {
        const full = decodePacket(packet, out);
        const fullPorts = [out.srcPort, out.dstPort, out.seq, out.payloadLength];
        if (full === DECODED_TCP) tcpSeen++;
        const cut = { ...packet };
        for (let length = 0; length < packet.capturedLength; length++) {
          cut.capturedLength = length;
          const status = decodePacket(cut, out);
          if (status === TRUNCATED) {
            expect(out.protocol).not.toBe('');
            continue;
          }
          // Cut only in the payload: the headers decode exactly as from the whole packet.
          expect(status).toBe(full);
          if (status === DECODED_TCP) {
            expect([out.srcPort, out.dstPort, out.seq, out.payloadLength]).toEqual(fullPorts);
            expect(out.capturedPayloadLength).toBeLessThanOrEqual(out.payloadLength);
          }
        }
      }
      expect(tcpSeen).toBeGreaterThan(0);
    });
  }
});
