/** \summary: the exit codes of every wscap command (documented in README.md). */

/** The report was written. */
export const EXIT_OK = 0;
/** Usage error, or an input that could not be read at all. */
export const EXIT_USAGE = 2;
/** A bug in wscap: an unexpected exception (the message says where; --verbose logs the stack). */
export const EXIT_INTERNAL = 70;
