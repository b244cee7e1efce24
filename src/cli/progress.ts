/**
 * \summary: the progress bar `wscap analyze` shows on stderr while it reads (a terminal only).
 *
 * One line, redrawn in place with a carriage return at most every 100 ms: bytes read of the total
 * (compressed bytes for gzip files), packets, packet rate and the time left; cleared at the end so
 * the report's first line is not pushed down. On a terminal it appears only after 250 ms, so small
 * files do not flicker.
 */
import type { ReadProgress } from '../analyze/decode-captures.js';

export interface ProgressBar {
  update(progress: ReadProgress): void;
  /** Clears the line (if one was drawn). */
  done(): void;
}

export interface ProgressOptions {
  write: (text: string) => void;
  /** Milliseconds, monotonic. */
  now?: () => number;
  /** Draw from the first update (--progress) instead of after 250 ms. */
  isImmediate?: boolean;
}

const REDRAW_MS = 100;
const DELAY_MS = 250;
const BAR = 24;

export function newProgressBar(options: ProgressOptions): ProgressBar {
  const now = options.now ?? (() => performance.now());
  const started = now();
  let lastDraw = -Infinity;
  let drawn = false;
  return {
    update(p) {
      const t = now();
      if (!options.isImmediate && t - started < DELAY_MS) return;
      if (t - lastDraw < REDRAW_MS && p.bytesRead < p.bytesTotal) return;
      lastDraw = t;
      drawn = true;
      options.write(`\r${progressLine(p, (t - started) / 1000)}\u001b[K`);
    },
    done() {
      if (drawn) options.write('\r\u001b[K');
    },
  };
}

/** "  42% [##########..............] 91.2/214.6 MB, 423.1k packets, 1.21M packets/s, 1.0 s left" */
export function progressLine(p: ReadProgress, elapsedS: number): string {
  const fraction = p.bytesTotal > 0 ? Math.min(1, p.bytesRead / p.bytesTotal) : 0;
  const filled = Math.round(fraction * BAR);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}]`;
  const rate = elapsedS > 0 ? p.packets / elapsedS : 0;
  const bytesRate = elapsedS > 0 ? p.bytesRead / elapsedS : 0;
  const left = bytesRate > 0 ? (p.bytesTotal - p.bytesRead) / bytesRate : null;
  const eta = left === null ? '' : `, ${left < 60 ? `${left.toFixed(1)} s` : `${Math.floor(left / 60)} min ${Math.round(left % 60)} s`} left`;
  return `${String(Math.floor(fraction * 100)).padStart(3)}% ${bar} ${mb(p.bytesRead)}/${mb(p.bytesTotal)} MB, ${count(p.packets)} packets, ${count(rate)} packets/s${eta}`;
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

function count(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 1e6) return `${(n / 1e3).toFixed(1)}k`;
  return `${(n / 1e6).toFixed(2)}M`;
}
