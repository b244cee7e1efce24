/** \summary: the error for a command line that asks for something wscap cannot do. */

/** Thrown for bad options or arguments; the CLI prints the message and exits with code 2. */
export class UsageError extends Error {
  override name = 'UsageError' as const;
}
