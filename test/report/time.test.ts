import { describe, expect, it } from 'vitest';
import { isDateRange, utcClock, utcDateTime, utcIsoMs, zeekStamp } from '../../src/report/time.js';

// 2026-11-27 00:48:42.627 UTC, and a time 0.4 ms before a whole second.
const T = 1795740522.627;
const NEAR_SECOND = 1795740522.9996;

describe('capture times as text (one formatter for every report)', () => {
  it('cuts the time of day to the digits asked for, after rounding to the millisecond', () => {
    expect(utcClock(T)).toBe('00:48:42.627');
    expect(utcClock(T, 0)).toBe('00:48:42');
    expect(utcClock(T, 1)).toBe('00:48:42.6');
    expect(utcClock(NEAR_SECOND, 3)).toBe('00:48:43.000');
    expect(utcClock(NEAR_SECOND, 0)).toBe('00:48:43');
  });

  it('gives the date, the ISO form and the Zeek stamp from the same rounding', () => {
    expect(utcDateTime(T)).toBe('2026-11-27 00:48:42.627');
    expect(utcIsoMs(T)).toBe('2026-11-27T00:48:42.627Z');
    expect(zeekStamp(T)).toBe('2026-11-27-00-48-42');
    expect(zeekStamp(0)).toBe('1970-01-01-00-00-00');
  });

  it('writes "?" (Zeek: the epoch) for a time no Date can hold, instead of throwing', () => {
    for (const t of [9e12, -9e12, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(isDateRange(t)).toBe(false);
      expect(utcClock(t)).toBe('?');
      expect(utcDateTime(t)).toBe('?');
      expect(utcIsoMs(t)).toBe('?');
      expect(zeekStamp(t)).toBe('1970-01-01-00-00-00');
    }
  });
});
