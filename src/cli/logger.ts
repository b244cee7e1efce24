/** \summary: the diagnostic logger: pino, JSON lines on stderr (stdout is for reports). */
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type { Log, LogLevel } from '../log.js';

export type Verbosity = 'quiet' | 'normal' | 'verbose';

/** pino's numeric levels. */
const LEVELS: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50 };

export function createLogger(verbosity: Verbosity): Log {
  const level: LogLevel = verbosity === 'verbose' ? 'debug' : verbosity === 'quiet' ? 'error' : 'warn';
  const threshold = LEVELS[level];
  let logger: Logger | null = null;
  // pino takes ~50 ms to load: it is loaded when something is first logged, so a quiet
  // `wscap analyze` never pays for it.
  const pinoLogger = (): Logger => {
    if (logger === null) {
      const { pino } = createRequire(import.meta.url)('pino') as typeof import('pino');
      logger = pino({ name: 'wscap', level, base: undefined }, pino.destination({ fd: 2, sync: true }));
    }
    return logger;
  };
  const at =
    (name: LogLevel) =>
    (fields: object, message: string): void => {
      if (LEVELS[name] >= threshold) pinoLogger()[name](fields, message);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    isLevelEnabled: (name) => LEVELS[name] >= threshold,
  };
}
