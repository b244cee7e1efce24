/** \summary: the error for a recording that cannot start or went wrong, with the fix to try. */

/**
 * Thrown by the tcpdump driver and the record command: `message` says what happened, `fix` what to
 * do about it, `exitCode` which documented code the CLI exits with.
 */
export class RecordError extends Error {
  override name = 'RecordError' as const;
  readonly fix: string | null;
  readonly exitCode: number;

  constructor(message: string, fix: string | null, exitCode: number) {
    super(message);
    this.fix = fix;
    this.exitCode = exitCode;
  }
}
