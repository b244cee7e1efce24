/** \summary: the diagnostic logger: pino, JSON lines on stderr (stdout is for reports). */
import { pino, type Logger } from 'pino';

export type Verbosity = 'quiet' | 'normal' | 'verbose';

export function createLogger(verbosity: Verbosity): Logger {
  const level = verbosity === 'verbose' ? 'debug' : verbosity === 'quiet' ? 'error' : 'warn';
  return pino({ name: 'wscap', level, base: undefined }, pino.destination({ fd: 2, sync: true }));
}
