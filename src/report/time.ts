/**
 * \summary: capture times as text. A capture's timestamps are whatever its file says: pcapng's
 * 64-bit ones reach far past the years a JavaScript Date can hold (±8.64e15 ms), and formatting
 * such a time must not throw.
 */

/** Whether a Date can hold this epoch time (seconds). */
export function isDateRange(t: number): boolean {
  return Number.isFinite(t) && Math.abs(t) <= 8.64e12;
}

/** The time of day, UTC, "HH:MM:SS" (or with milliseconds); "?" for a time no Date can hold. */
export function utcClock(t: number, withMs = false): string {
  if (!isDateRange(t)) return '?';
  const iso = new Date(withMs ? Math.round(t * 1000) : Math.floor(t) * 1000).toISOString();
  return iso.slice(11, withMs ? 23 : 19);
}
