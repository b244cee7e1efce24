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
 * Markdown (CommonMark / GitHub / GitLab) inline text, in a paragraph, a list item or a table
 * cell. Escaped everywhere: the characters that make inline markup in those flavours (`\` `` ` ``
 * `*` `_` `~` `[` `]` `{` `}` `#` `|`) with a backslash; `<` `>` `&` as entities, so no raw HTML,
 * autolink or entity can form; `$` as `&#36;` (GitHub's and GitLab's math). With `[` escaped, `!`
 * `(` `)` cannot make a link or an image, so they and `.` `:` `-` `+` `'` `"` stay as they are
 * (the source stays readable: `fstream.binance.com`) except at the very start, where what would
 * be a list marker (`- `, `+ `, `1. `, `1) `), a setext underline or a thematic break is escaped.
 * Control characters, line breaks included, are shown as \xNN as in the text report (a cell stays
 * one line, and a name with a newline is told from one with a space), bidirectional-text controls
 * as \uNNNN (a name cannot reorder what is shown), and spaces at either end become `&#32;` (kept:
 * never an indented code block or a trimmed cell).
 *
 * GitHub also links `www.`, `scheme://` and e-mail addresses, and turns `@name` into a mention and
 * `#123` into an issue reference, partly after Markdown is parsed (on the text, escapes resolved),
 * so escaping alone cannot stop them: an invisible zero-width space (U+200B) goes after `www`,
 * between the slashes of every `//`, on both sides of every `@` (neither an e-mail's local part
 * nor a mention touches it) and after every `#`. The text still reads (and copies) as the
 * original apart from those invisible characters. A capture's SNI can then neither break a table,
 * inject a link, an image or markup, nor notify anyone.
 */
export function escapeMarkdown(s: string): string {
  const visible = escapeTerminal(s)
    .replace(BIDI_CONTROLS, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/(www)(\.)/gi, `$1${ZERO_WIDTH_SPACE}$2`)
    .replace(/\/\//g, `/${ZERO_WIDTH_SPACE}/`)
    .replace(/@/g, `${ZERO_WIDTH_SPACE}@${ZERO_WIDTH_SPACE}`)
    .replace(/#/g, `#${ZERO_WIDTH_SPACE}`);
  return visible
    .replace(/[\\`*_~[\]{}#|<>&$]/g, (ch) => MARKDOWN_ENTITIES[ch] ?? `\\${ch}`)
    .replace(/^(\d{1,9})([.)])(?= |$)/, '$1\\$2')
    .replace(/^[-+=](?= |[-= ]*$)/, '\\$&')
    .replace(/^ +| +$/g, (spaces) => '&#32;'.repeat(spaces.length));
}

const ZERO_WIDTH_SPACE = '\u200b';
/** LRM, RLM, ALM and the embedding, override and isolate controls (Unicode bidirectional algorithm). */
const BIDI_CONTROLS = /[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/g;
const MARKDOWN_ENTITIES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', $: '&#36;' };

/**
 * Zeek TSV log fields (conn.log): the separator (tab), newlines, the backslash and other
 * non-printable bytes are written as \xNN, as Zeek's ASCII writer does; an empty string is
 * "(empty)", and a value that is exactly Zeek's unset ("-") or empty ("(empty)") marker has its
 * first character escaped, as Zeek does, so a reader can tell them apart.
 */
export function escapeZeek(s: string): string {
  if (s === '') return '(empty)';
  if (s === '-') return '\\x2d';
  if (s === '(empty)') return '\\x28empty)';
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u00ff\\]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`).replace(/[^\u0000-\u00ff]/g, (ch) =>
    [...Buffer.from(ch, 'utf8')].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join(''),
  );
}

/**
 * JSON text with DEL, the C1 controls (U+007F–U+009F) and the line/paragraph separators written
 * as \uXXXX: JSON allows them raw, but a terminal showing the report may act on C1 controls (CSI
 * is U+009B) and a script embedding it may break on U+2028. They can occur only inside strings.
 */
export function jsonSafe(json: string): string {
  return json.replace(/[\u007f-\u009f\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
