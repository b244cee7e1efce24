/**
 * \summary: GitHub / GitLab pipe tables for the Markdown report, folded into `<details>` when long.
 */

/** Tables with more body rows than this are folded into `<details>` (the ticket stays readable). */
export const FOLD_ROWS = 20;

/**
 * A pipe table. Header and cells are Markdown already (capture strings passed through
 * escapeMarkdown by the caller). Every cell is written as `| text ` so a cell never ends in a
 * backslash right before its pipe; an empty cell is `-`. With more than FOLD_ROWS rows the table
 * goes inside `<details>`; `foldLabel` (fixed words and numbers only, never capture text) is the
 * `<summary>`, and the blank line after it lets GitHub and GitLab render the table inside.
 * Columns whose index is in `rightAligned` are right-aligned (numbers).
 */
export function markdownTable(header: string[], rows: string[][], foldLabel: string, rightAligned: ReadonlySet<number> = new Set()): string[] {
  const line = (cells: string[]): string => `| ${cells.map((c) => (c === '' ? '-' : c)).join(' | ')} |`;
  const delimiter = `|${header.map((_, i) => (rightAligned.has(i) ? '---:' : '---')).join('|')}|`;
  const table = [line(header), delimiter, ...rows.map(line)];
  if (rows.length <= FOLD_ROWS) return table;
  return ['<details>', `<summary>${foldLabel}</summary>`, '', ...table, '', '</details>'];
}
