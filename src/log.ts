/** \summary: the logging calls wscap makes (pino's shape); src/cli/logger.ts provides them. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Diagnostic logs on stderr: structured fields first, then a message (as pino takes them). */
export interface Log {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  isLevelEnabled(level: LogLevel): boolean;
}
