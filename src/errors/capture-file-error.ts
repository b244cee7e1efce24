/** \summary: the fatal error for a capture file that cannot be read at all. */

/**
 * Thrown when a file given to `wscap analyze` cannot be read as a capture from its very start
 * (missing, empty, not pcap/pcapng, header cut short). Damage after the header is a warning instead.
 */
export class CaptureFileError extends Error {
  override name = 'CaptureFileError' as const;
  readonly path: string;
  readonly offset: number;

  constructor(path: string, offset: number, what: string) {
    super(`${path}: ${what} (at byte offset ${offset})`);
    this.path = path;
    this.offset = offset;
  }
}
