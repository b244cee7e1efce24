/**
 * DecodeResult.dnsNames: names for server addresses from the DNS responses in a capture. On
 * fixtures/dns-names.pcap it equals what tshark gives (dnsNames in the expected file); every other
 * fixture has no DNS and gives none; DNS packets are still counted as non-TCP packets; the collector
 * keeps only answers of error-free responses, within its bounds.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  MAX_DNS_ADDRESSES,
  MAX_DNS_NAMES,
  addDnsNames,
  decodeCaptures,
} from '../../src/analyze/decode-captures.js';
import { readCaptures } from '../../src/pcap/read-captures.js';
import { decodePacket } from '../../src/decode/decode-packet.js';
import { DNS_RESPONSE, newDecodedPacket } from '../../src/decode/decoded-packet.js';
import { TYPE_A, TYPE_AAAA, TYPE_CNAME, parseDnsResponse, type DnsAnswer, type DnsResponse } from '../../src/decode/dns.js';
import { FIXTURES, loadExpectations } from '../helpers.js';

const paths = (exp: { dir: string; files: string[] }): string[] => exp.files.map((f) => join(exp.dir, f));
const ignore = (): void => {};

describe('dnsNames from decodeCaptures', () => {
  it('dns-names.pcap: the names tshark gives each address, in the order first seen', async () => {
    const expected = JSON.parse(readFileSync(join(FIXTURES, 'dns-names.expected.json'), 'utf8')) as {
      dnsNames: Record<string, string[]>;
      packets: number;
      tcpPackets: number;
    };
    const result = await decodeCaptures([join(FIXTURES, 'dns-names.pcap')], ignore);
    expect([...result.dnsNames.entries()]).toEqual(Object.entries(expected.dnsNames));
    // the 2 queries and 2 responses are non-TCP packets, as before
    expect([result.counts.packets, result.counts.tcp, result.counts.notTcp]).toEqual([expected.packets, expected.tcpPackets, 4]);
    expect(result.counts.packets - result.counts.tcp).toBe(4);
  });

  it('every other fixture has no DNS: no names', async () => {
    const others = loadExpectations().filter((e) => !e.name.startsWith('dns-names'));
    expect(others.length).toBeGreaterThanOrEqual(20);
    for (const exp of others) {
      const result = await decodeCaptures(paths(exp), ignore);
      expect(result.dnsNames.size, exp.name).toBe(0);
    }
  });

  it('any-nano.pcap (UDP to port 19999) still counts 5 non-TCP packets', async () => {
    const result = await decodeCaptures([join(FIXTURES, 'any-nano.pcap')], ignore);
    expect(result.counts.notTcp).toBe(5);
    expect(result.counts.packets - result.counts.tcp).toBe(5);
    expect(result.dnsNames.size).toBe(0);
  });
});

/** The real DNS responses of dns-names.pcap, parsed. */
async function realResponses(): Promise<Buffer[]> {
  const d = newDecodedPacket();
  const out: Buffer[] = [];
  await readCaptures([join(FIXTURES, 'dns-names.pcap')], (p) => {
    if (decodePacket(p, d) === DNS_RESPONSE) out.push(Buffer.from(d.buffer.subarray(d.payloadOffset, d.payloadOffset + d.capturedPayloadLength)));
  });
  return out;
}

describe('addDnsNames', () => {
  it('takes error-free responses to standard queries only: not a query, another opcode, or an rcode', async () => {
    const [a] = await realResponses();
    const variants: [string, (m: Buffer) => void, number][] = [
      ['as captured', () => {}, 1],
      ['QR cleared', (m) => (m[2] &= 0x7f), 0],
      ['opcode 2 (STATUS)', (m) => (m[2] = (m[2] & 0x87) | (2 << 3)), 0],
      ['rcode 2 (SERVFAIL)', (m) => (m[3] = (m[3] & 0xf0) | 2), 0],
      ['rcode 3 (NXDOMAIN)', (m) => (m[3] = (m[3] & 0xf0) | 3), 0],
    ];
    for (const [what, mutate, size] of variants) {
      const msg = Buffer.from(a);
      mutate(msg);
      const names = new Map<string, string[]>();
      addDnsNames(names, parseDnsResponse(msg, 0, msg.length));
      expect(names.size, what).toBe(size);
    }
    const none = new Map<string, string[]>();
    addDnsNames(none, null);
    expect(none.size).toBe(0);
  });

  it('keeps each name once per address, in the order first seen, across responses', async () => {
    const [a, aaaa] = await realResponses();
    const names = new Map<string, string[]>();
    for (const msg of [a, aaaa, a, aaaa]) addDnsNames(names, parseDnsResponse(msg, 0, msg.length));
    const chain = ['fstream.binance.com', 'fstream.binance.com.cdn.example', 'ws-edge-7.cdn.example'];
    expect([...names.entries()]).toEqual([
      ['127.0.0.2', chain],
      ['::1', chain],
    ]);
  });

  /** A response object with these answers (the parser's output shape, not bytes). */
  function response(answers: DnsAnswer[]): DnsResponse {
    return {
      id: 1, isResponse: true, opcode: 0, rcode: 0, truncatedFlag: false,
      questionCount: 1, answerCount: answers.length, question: answers[0]?.name ?? null, answers, complete: true,
    };
  }
  const v4 = (n: number): Uint32Array => Uint32Array.of(0, 0, 0, (0x0a000000 + n) >>> 0);

  it(`at most ${MAX_DNS_NAMES} names per address and ${MAX_DNS_ADDRESSES} addresses; further ones are ignored`, () => {
    const names = new Map<string, string[]>();
    // a chain of 11 CNAMEs: 12 names lead to the address
    const answers: DnsAnswer[] = [];
    for (let i = 0; i < 11; i++) answers.push({ type: TYPE_CNAME, name: `n${i}.example`, address: null, target: `n${i + 1}.example` });
    answers.push({ type: TYPE_A, name: 'n11.example', address: v4(0), target: null });
    addDnsNames(names, response(answers));
    expect(names.get('10.0.0.0')).toEqual(['n0.example', 'n1.example', 'n2.example', 'n3.example', 'n4.example', 'n5.example', 'n6.example', 'n7.example']);
    for (let i = 1; i <= MAX_DNS_ADDRESSES + 5; i++) {
      addDnsNames(names, response([{ type: TYPE_A, name: `h${i}.example`, address: v4(i), target: null }]));
    }
    expect(names.size).toBe(MAX_DNS_ADDRESSES);
    expect(names.has(`10.0.${(MAX_DNS_ADDRESSES - 1) >> 8}.${(MAX_DNS_ADDRESSES - 1) & 0xff}`)).toBe(true);
    expect(names.has(`10.0.${MAX_DNS_ADDRESSES >> 8}.${MAX_DNS_ADDRESSES & 0xff}`)).toBe(false);
    // a known address still gains names up to the limit
    addDnsNames(names, response([{ type: TYPE_A, name: 'again.example', address: v4(1), target: null }]));
    expect(names.get('10.0.0.1')).toEqual(['h1.example', 'again.example']);
    // AAAA addresses are written as everywhere else in wscap (RFC 5952)
    const six = new Map<string, string[]>();
    addDnsNames(six, response([{ type: TYPE_AAAA, name: 'x.example', address: Uint32Array.of(0x20010db8, 0, 0, 1), target: null }]));
    expect([...six.keys()]).toEqual(['2001:db8::1']);
  });
});
