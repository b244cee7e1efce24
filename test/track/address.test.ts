import { describe, expect, it } from 'vitest';
import { formatAddress, formatEndpoint } from '../../src/track/address.js';

function v6(...groups: number[]): Uint32Array {
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = ((groups[2 * i] << 16) | groups[2 * i + 1]) >>> 0;
  return w;
}

describe('formatAddress', () => {
  it('writes IPv4 from word 3 as a dotted quad', () => {
    expect(formatAddress(new Uint32Array([0, 0, 0, 0x7f000002]), 0, 4)).toBe('127.0.0.2');
    expect(formatAddress(new Uint32Array([0, 0, 0, 0xffffffff]), 0, 4)).toBe('255.255.255.255');
  });
  it('answers repeated IPv4 addresses from its two-entry cache without mixing them up', () => {
    // Server, client, server, another client, ...: the order the tracker asks in, and worse ones.
    const order = [0xc0000201, 0x0a000001, 0xc0000201, 0x0a000002, 0x0a000002, 0xc0000201, 0x0a000003, 0x0a000001, 0x0a000003, 0x00000000];
    const text = (v: number): string => `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
    for (let round = 0; round < 3; round++) {
      for (const v of order) expect(formatAddress(new Uint32Array([0, 0, 0, v]), 0, 4)).toBe(text(v));
    }
    expect(formatAddress(new Uint32Array([0, 0, 0, 0xc0000201]), 0, 4)).toBe('192.0.2.1');
  });
  it('compresses the longest zero run in IPv6 (RFC 5952 4.2)', () => {
    expect(formatAddress(v6(0, 0, 0, 0, 0, 0, 0, 1), 0, 6)).toBe('::1');
    expect(formatAddress(v6(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1), 0, 6)).toBe('2001:db8::1:0:0:1');
    expect(formatAddress(v6(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1), 0, 6)).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatAddress(v6(0, 0, 0, 0, 0, 0, 0, 0), 0, 6)).toBe('::');
    expect(formatAddress(v6(0xfe80, 0, 0, 0, 0xa, 0, 0, 0), 0, 6)).toBe('fe80::a:0:0:0');
  });
  it('brackets IPv6 endpoints', () => {
    expect(formatEndpoint('::1', 443)).toBe('[::1]:443');
    expect(formatEndpoint('127.0.0.1', 443)).toBe('127.0.0.1:443');
  });
});
