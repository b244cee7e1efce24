/** \summary: duration option values ("90", "90s", "500ms", "10m", "2h"), for every command. */
import { UsageError } from '../errors/usage-error.js';
import { escapeTerminal } from '../render/escape.js';

/** "90" (seconds), "90s", "500ms", "10m", "2h" → seconds; anything else is a usage error naming `option`. */
export function parseDuration(value: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new UsageError(`${option} '${escapeTerminal(value)}' is not a duration (e.g. 90s, 10m, 2h)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return unit === 'ms' ? n / 1000 : unit === 'm' ? n * 60 : unit === 'h' ? n * 3600 : n;
}
