/**
 * \summary: capture times as text. A capture's timestamps are whatever its file says: pcapng's
 * 64-bit ones reach far past the years a JavaScript Date can hold (±8.64e15 ms), and formatting
 * such a time must not throw.
 */

/** Whether a Date can hold this epoch time (seconds). */
export function isDateRange(t: number): boolean {
  return Number.isFinite(t) && Math.abs(t) <= 8.64e12;
}

/**
 * Every report's times of day come from here, so text, Markdown, HTML and Zeek agree: the time is
 * rounded to the millisecond, then cut to the digits asked for. `Number()` because a renderer
 * trusts nothing it reads, even the model's numbers.
 */
function isoOf(t: number): string | null {
  const x = Number(t);
  return isDateRange(x) ? new Date(Math.round(x * 1000)).toISOString() : null;
}

/** "2026-11-27T00:48:42.627Z" (ISO 8601, UTC, milliseconds); "?" for a time no Date can hold. */
export function utcIsoMs(t: number): string {
  return isoOf(t) ?? '?';
}

/** The time of day, UTC, "HH:MM:SS" with `digits` (0–3) decimals of the second; "?" for a time no Date can hold. */
export function utcClock(t: number, digits = 3): string {
  const iso = isoOf(t);
  if (iso === null) return '?';
  return digits > 0 ? iso.slice(11, 20 + Math.min(digits, 3)) : iso.slice(11, 19);
}

/** "2026-11-27 00:48:42.627" (UTC, milliseconds); "?" for a time no Date can hold. */
export function utcDateTime(t: number): string {
  const iso = isoOf(t);
  return iso === null ? '?' : `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** Zeek's `#open`/`#close` stamp, "2026-11-27-00-48-42" (UTC); the epoch's for a time no Date can hold. */
export function zeekStamp(t: number): string {
  const iso = isoOf(t) ?? new Date(0).toISOString();
  return `${iso.slice(0, 10)}-${iso.slice(11, 19).replace(/:/g, '-')}`;
}
