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

/**
 * HTML text and attribute values: the five characters that can end a text node or an attribute,
 * and control characters shown as \xNN (they have no business in a report).
 */
export function escapeHtml(s: string): string {
  return escapeTerminal(s).replace(/[&<>"']/g, (ch) => HTML_ENTITIES[ch] as string);
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Markdown (CommonMark / GitHub) inline text, in a paragraph or a table cell: every ASCII
 * punctuation character that can start markup (links, images, emphasis, code, HTML, headings,
 * table pipes) is backslash-escaped, line breaks become spaces (a cell is one line), control
 * characters are shown as \xNN, and `<` / `>` / `&` become entities so no raw HTML or autolink
 * can form. A capture's SNI can then neither break a table nor inject a link, an image or markup.
 */
export function escapeMarkdown(s: string): string {
  return escapeTerminal(s.replace(/[\r\n]+/g, ' ')).replace(/[\\`*_{}[\]()#+\-.!|~:<>&"']/g, (ch) => {
    if (ch === '<') return '&lt;';
    if (ch === '>') return '&gt;';
    if (ch === '&') return '&amp;';
    return `\\${ch}`;
  });
}

/**
 * Zeek TSV log fields (conn.log): the separator (tab), newlines, the backslash and other
 * non-printable bytes are written as \xNN, as Zeek's ASCII writer does; an empty string is
 * "(empty)" and a lone "-" (Zeek's unset marker) is escaped too, so a reader can tell them apart.
 */
export function escapeZeek(s: string): string {
  if (s === '') return '(empty)';
  if (s === '-') return '\\x2d';
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u00ff\\]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`).replace(/[^\u0000-\u00ff]/g, (ch) =>
    [...Buffer.from(ch, 'utf8')].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join(''),
  );
}
