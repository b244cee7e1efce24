import { describe, expect, it } from 'vitest';
import { segmentLength, seqDelta } from '../../src/track/tcp-state.js';
import { FIN, RST, SYN, ACK } from '../../src/decode/decoded-packet.js';

describe('sequence arithmetic', () => {
  it('seqDelta is signed modulo 2^32 (RFC 9293 3.4)', () => {
    expect(seqDelta(5, 3)).toBe(2);
    expect(seqDelta(3, 5)).toBe(-2);
    expect(seqDelta(2, 0xfffffffe)).toBe(4);
    expect(seqDelta(0xfffffffe, 2)).toBe(-4);
  });
  it('SYN and FIN take one sequence number; RST data does not count', () => {
    expect(segmentLength(0, SYN)).toBe(1);
    expect(segmentLength(10, ACK)).toBe(10);
    expect(segmentLength(10, FIN | ACK)).toBe(11);
    expect(segmentLength(10, RST)).toBe(0);
  });
});
