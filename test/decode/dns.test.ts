/**
 * The UDP decoder and the DNS response parser on the real DNS responses of fixtures/dns-names.pcap
 * (a real resolver's queries answered by scripts/fixtures/dns-server.mjs), against tshark's reading
 * of them (dnsResponses in the expected file), and on mutations of those bytes: cut at every length,
 * every value of every header and name byte, compression pointers to themselves, forward, out of
 * range. The parser must never throw, never give more answers than the real message has, and
 * finish quickly.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCaptures } from '../../src/pcap/read-captures.js';
import { newPacketRecord, type PacketRecord } from '../../src/pcap/packet-record.js';
import { decodePacket } from '../../src/decode/decode-packet.js';
import { DNS_RESPONSE, NOT_TCP, TRUNCATED, newDecodedPacket } from '../../src/decode/decoded-packet.js';
import { MAX_POINTERS, TYPE_A, TYPE_AAAA, TYPE_CNAME, addressNames, parseDnsResponse, type DnsResponse } from '../../src/decode/dns.js';
import { formatAddress } from '../../src/track/address.js';
import { FIXTURES } from '../helpers.js';

interface TsharkResponse {
  frame: number;
  id: number;
  question: string | null;
  rcode: number;
  answers: { name: string; type: string; data: string }[];
}

const expected = JSON.parse(readFileSync(join(FIXTURES, 'dns-names.expected.json'), 'utf8')) as {
  dnsResponses: TsharkResponse[];
  dnsNames: Record<string, string[]>;
};

/** The DNS responses' packets (copies) and their frame numbers, and every UDP packet's status. */
const responses: { frame: number; packet: PacketRecord; payload: Buffer }[] = [];
const udpStatuses: number[] = [];

beforeAll(async () => {
  const d = newDecodedPacket();
  let frame = 0;
  await readCaptures([join(FIXTURES, 'dns-names.pcap')], (p) => {
    frame++;
    const status = decodePacket(p, d);
    if (status === DNS_RESPONSE || (status === NOT_TCP && p.data[p.offset + 23] === 17)) udpStatuses.push(status);
    if (status !== DNS_RESPONSE) return;
    expect(d.capturedPayloadLength).toBe(d.payloadLength);
    const packet = newPacketRecord(0);
    Object.assign(packet, p);
    packet.data = Buffer.from(p.data.subarray(p.offset, p.offset + p.capturedLength));
    packet.offset = 0;
    const payload = Buffer.from(packet.data.subarray(d.payloadOffset - p.offset, d.payloadOffset - p.offset + d.payloadLength));
    responses.push({ frame, packet, payload });
  });
});

/** A parsed response in tshark's terms. */
function asTshark(res: DnsResponse): Omit<TsharkResponse, 'frame'> {
  return {
    id: res.id,
    question: res.question,
    rcode: res.rcode,
    answers: res.answers.map((a) => ({
      name: a.name,
      type: a.type === TYPE_A ? 'A' : a.type === TYPE_AAAA ? 'AAAA' : 'CNAME',
      data: a.address !== null ? formatAddress(a.address, 0, a.type === TYPE_A ? 4 : 6) : (a.target ?? ''),
    })),
  };
}

/** Offsets of the names in a message, walked here independently: [start, end) of each name's own bytes. */
function nameRanges(msg: Buffer): [number, number][] {
  const ranges: [number, number][] = [];
  const skip = (at: number): number => {
    let p = at;
    while (msg[p] !== 0 && (msg[p] & 0xc0) !== 0xc0) p += 1 + msg[p];
    const end = msg[p] === 0 ? p + 1 : p + 2;
    ranges.push([at, end]);
    return end;
  };
  let p = 12;
  for (let q = 0; q < msg.readUInt16BE(4); q++) p = skip(p) + 4;
  for (let a = 0; a < msg.readUInt16BE(6); a++) {
    const next = skip(p);
    const type = msg.readUInt16BE(next);
    const dataAt = next + 10;
    if (type === TYPE_CNAME) skip(dataAt);
    p = dataAt + msg.readUInt16BE(next + 8);
  }
  expect(p).toBe(msg.length);
  return ranges;
}

/**
 * Parses and checks the invariants every input must keep (plain checks, not expect(): this runs
 * tens of thousands of times); returns the result, or throws naming the broken invariant.
 */
function parseChecked(msg: Buffer, maxAnswers: number): DnsResponse | null {
  const res = parseDnsResponse(msg, 0, msg.length);
  const fail = (what: string): never => {
    throw new Error(`${what} for ${msg.toString('hex')}`);
  };
  if (msg.length < 12 && res !== null) fail('a result without a whole header');
  if (res !== null) {
    if (res.answers.length > maxAnswers) fail(`${res.answers.length} answers, more than ${maxAnswers}`);
    for (const a of res.answers) {
      for (const name of [a.name, a.target ?? '']) {
        if (name.length > 253) fail(`a name of ${name.length} characters`);
        if (/[A-Z]/.test(name)) fail(`an upper-case name ${name}`);
      }
    }
  }
  return res;
}

describe('DNS responses of dns-names.pcap', () => {
  it('decodes the responses (UDP from port 53) as DNS_RESPONSE, the queries as NOT_TCP', () => {
    expect(responses.map((r) => r.frame)).toEqual(expected.dnsResponses.map((r) => r.frame));
    expect(udpStatuses).toEqual([NOT_TCP, DNS_RESPONSE, NOT_TCP, DNS_RESPONSE]);
  });

  it('reads what tshark reads: question, rcode, every A / AAAA / CNAME answer in order', () => {
    for (const [i, r] of responses.entries()) {
      const res = parseDnsResponse(r.payload, 0, r.payload.length);
      expect(res).not.toBeNull();
      const { frame: _frame, ...want } = expected.dnsResponses[i];
      expect(asTshark(res!)).toEqual(want);
      expect(res!.isResponse).toBe(true);
      expect(res!.opcode).toBe(0);
      expect(res!.complete).toBe(true);
      expect(res!.answers.some((a) => a.name.endsWith('.') || a.target?.endsWith('.'))).toBe(false);
    }
  });

  it('names each address by the CNAME chain that leads to it, from the question on', () => {
    const got: Record<string, string[]> = {};
    for (const r of responses) {
      const res = parseDnsResponse(r.payload, 0, r.payload.length)!;
      for (const a of res.answers) {
        if (a.address === null) continue;
        got[formatAddress(a.address, 0, a.type === TYPE_A ? 4 : 6)] = addressNames(res, a);
      }
    }
    expect(got).toEqual(expected.dnsNames);
  });

  it('reads the same from the payload anywhere in a larger buffer, and nothing past the range', () => {
    for (const r of responses) {
      const whole = parseDnsResponse(r.payload, 0, r.payload.length);
      const padded = Buffer.concat([Buffer.alloc(7, 0xc0), r.payload, Buffer.alloc(9, 0xc0)]);
      expect(parseDnsResponse(padded, 7, 7 + r.payload.length)).toEqual(whole);
    }
  });

  it('UDP decoding of the response packets cut at every length: DNS_RESPONSE with the captured part, NOT_TCP or TRUNCATED', () => {
    const out = newDecodedPacket();
    for (const r of responses) {
      const full = decodePacket(r.packet, out);
      expect(full).toBe(DNS_RESPONSE);
      const payloadAt = out.payloadOffset;
      const cut = { ...r.packet };
      for (let length = 0; length <= r.packet.capturedLength; length++) {
        cut.capturedLength = length;
        const status = decodePacket(cut, out);
        if (length < payloadAt - 8) {
          expect(status).toBe(TRUNCATED); // Ethernet or IPv4 header cut, as before
          expect(['ethernet', 'ipv4']).toContain(out.protocol);
        } else if (length < payloadAt) {
          expect(status).toBe(NOT_TCP); // UDP header cut: counted as any non-TCP packet
        } else {
          expect(status).toBe(DNS_RESPONSE);
          expect(out.payloadOffset).toBe(payloadAt);
          expect(out.payloadLength).toBe(r.payload.length);
          expect(out.capturedPayloadLength).toBe(length - payloadAt);
        }
      }
    }
  });
});

describe('DNS parser on mutations of the real responses', () => {
  it('cut at every length: what was read before the cut (a prefix of the answers), never a throw', () => {
    for (const r of responses) {
      const full = parseDnsResponse(r.payload, 0, r.payload.length)!;
      for (let length = 0; length < r.payload.length; length++) {
        const res = parseChecked(r.payload.subarray(0, length), full.answers.length);
        if (length < 12) continue;
        expect(res!.complete).toBe(false);
        expect(res!.answers).toEqual(full.answers.slice(0, res!.answers.length));
        expect(res!.id).toBe(full.id);
      }
    }
  });

  it('every value of every header byte and every name byte: never a throw, never more answers, quickly', () => {
    for (const r of responses) {
      const full = parseDnsResponse(r.payload, 0, r.payload.length)!;
      const positions = [...Array(12).keys()];
      for (const [from, to] of nameRanges(r.payload)) for (let i = from; i < to; i++) positions.push(i);
      expect(positions.length).toBeGreaterThan(40);
      const msg = Buffer.from(r.payload);
      const started = performance.now();
      let parses = 0;
      for (const i of positions) {
        const original = msg[i];
        for (let v = 0; v < 256; v++) {
          msg[i] = v;
          parseChecked(msg, full.answers.length);
          parses++;
        }
        msg[i] = original;
      }
      const ms = performance.now() - started;
      expect(parses).toBe(positions.length * 256);
      expect(ms / parses).toBeLessThan(0.5); // far below a millisecond each (checks included)
    }
  });

  it('header bits: QR, opcode and rcode are read as the header says', () => {
    const msg = Buffer.from(responses[0].payload);
    msg[2] &= 0x7f; // QR cleared: a query
    msg[3] = (msg[3] & 0xf0) | 3; // NXDOMAIN
    const res = parseDnsResponse(msg, 0, msg.length)!;
    expect([res.isResponse, res.opcode, res.rcode]).toEqual([false, 0, 3]);
    expect(res.answers.length).toBe(3); // the parser reads; addDnsNames decides (test/analyze/dns-names.test.ts)
  });

  it('a compression pointer to itself, forward, into the header or out of range ends the read there', () => {
    for (const r of responses) {
      const full = parseDnsResponse(r.payload, 0, r.payload.length)!;
      // the pointers of the real message, found by the independent walk: [offset of the pointer]
      const pointers = nameRanges(r.payload)
        .map(([, end]) => end - 2)
        .filter((at) => (r.payload[at] & 0xc0) === 0xc0);
      expect(pointers.length).toBeGreaterThanOrEqual(4);
      for (const at of pointers) {
        for (const target of [at, at + 1, at + 2, r.payload.length - 1, r.payload.length, 0x3fff, 0, 11]) {
          const msg = Buffer.from(r.payload);
          msg[at] = 0xc0 | (target >> 8);
          msg[at + 1] = target & 0xff;
          const started = performance.now();
          const res = parseChecked(msg, full.answers.length)!;
          expect(performance.now() - started).toBeLessThan(50);
          expect(res.complete).toBe(false);
          // every answer before the damaged name is there, and nothing after it
          expect(res.answers).toEqual(full.answers.slice(0, res.answers.length));
          expect(res.answers.length).toBeLessThan(full.answers.length);
        }
      }
    }
  });

  it('two pointers at each other (a loop) end the read there', () => {
    const r = responses[0];
    const full = parseDnsResponse(r.payload, 0, r.payload.length)!;
    const pointers = nameRanges(r.payload)
      .map(([, end]) => end - 2)
      .filter((at) => (r.payload[at] & 0xc0) === 0xc0);
    // the last two pointers of the message point at each other
    const [a, b] = pointers.slice(-2);
    const msg = Buffer.from(r.payload);
    msg.writeUInt16BE(0xc000 | b, a);
    msg.writeUInt16BE(0xc000 | a, b);
    const res = parseChecked(msg, full.answers.length)!;
    expect(res.complete).toBe(false);
    expect(res.answers).toEqual(full.answers.slice(0, res.answers.length));
  });

  it('a name reached through more chained pointers than MAX_POINTERS is not read; one through fewer is', () => {
    // Built from the real header: question 1 is "fstream.binance.com" as in the real message, each
    // further question's name is only a pointer to the one before, and the one answer (the real
    // A record's type, class, TTL and data) has as owner a pointer to the last question.
    const real = responses[0].payload;
    const ranges = nameRanges(real);
    const [qFrom, qTo] = ranges[0];
    const aRecord = real.subarray(real.length - 14); // TYPE .. RDATA of the A record (the last record)
    expect(aRecord.readUInt16BE(0)).toBe(TYPE_A);
    const build = (questions: number): Buffer => {
      const parts = [Buffer.from(real.subarray(0, 12)), real.subarray(qFrom, qTo + 4)];
      let previous = qFrom;
      let at = qTo + 4;
      for (let k = 1; k < questions; k++) {
        parts.push(Buffer.from([0xc0 | (previous >> 8), previous & 0xff]), real.subarray(qTo, qTo + 4));
        previous = at;
        at += 6;
      }
      parts.push(Buffer.from([0xc0 | (previous >> 8), previous & 0xff]), aRecord);
      const msg = Buffer.concat(parts);
      msg.writeUInt16BE(questions, 4);
      msg.writeUInt16BE(1, 6);
      return msg;
    };
    const few = parseChecked(build(MAX_POINTERS), 1)!; // the answer's name: MAX_POINTERS pointers
    expect([few.complete, few.answers.map((a) => a.name)]).toEqual([true, ['fstream.binance.com']]);
    const many = parseChecked(build(MAX_POINTERS + 1), 1)!;
    expect([many.complete, many.answers.length, many.question]).toEqual([false, 0, 'fstream.binance.com']);
  });
});
