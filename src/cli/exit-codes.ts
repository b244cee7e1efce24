/** \summary: the exit codes of every wscap command (documented in README.md). */

/** The report was written / the recording ended cleanly. */
export const EXIT_OK = 0;
/** `wscap analyze`: the report was written and an anomaly reached --fail-on (default: a fail). */
export const EXIT_FINDINGS = 1;
/** Usage error, or an input that could not be read at all. */
export const EXIT_USAGE = 2;
/** The machine cannot record: tcpdump missing, no privilege, unwritable directory, disk full. */
export const EXIT_ENVIRONMENT = 3;
/** The recording ended badly: tcpdump died or was killed; files written so far are kept. */
export const EXIT_CAPTURE_FAILED = 4;
/** A bug in wscap: an unexpected exception (the message says where; --verbose logs the stack). */
export const EXIT_INTERNAL = 70;
