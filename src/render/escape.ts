/** \summary: escaping for strings that come from a capture (file names, later SNI/ALPN) per output. */

/**
 * Terminal: C0/C1 control characters and DEL would let a crafted name move the cursor or change
 * colours, so they are shown as \xNN (as `cat -v` shows them, but unambiguous).
 */
export function escapeTerminal(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\\]/g, (ch) =>
    ch === '\\' ? '\\\\' : `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}
