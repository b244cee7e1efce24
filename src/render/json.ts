/**
 * \summary: JSON renderer: the report model as it is (the schemaVersion 1 contract).
 *
 * The head (capture, summary) is indented two spaces; each connection is one line, so a report of
 * tens of thousands of connections stays small, quick to write and easy to grep, and is never one
 * huge string in memory: rows are stringified and yielded a batch at a time, or, when the
 * analysis streamed them into a row spill (json-rows.ts), read back from it in id order.
 * `JSON.parse` of the text gives the report back exactly.
 */
import type { Report } from '../report/model.js';
import { ROW_INDENT, storedRows, type JsonRowSpill } from './json-rows.js';
import { jsonSafe } from './escape.js';

const EMPTY_CONNECTIONS = '"connections": []';
/** Connections per JSON.stringify call: large enough to be fast, small enough to stay small. */
const BATCH = 512;
/**
 * Where one row ends and the next begins in a stringified array of rows. It cannot occur inside a
 * string value: JSON escapes every quote there.
 */
const ROW_JOINT = '},{"id":';
const ROW_JOINT_LINES = `},\n${ROW_INDENT}{"id":`;

/**
 * The report as JSON text, in pieces. With `spill`, the rows are the ones stored there (the
 * report's own `connections` is then empty: the analysis streamed them).
 */
export function* renderJsonChunks(report: Report, spill?: JsonRowSpill): Generator<string | Buffer> {
  const head = indented({ ...report, connections: [] }, '');
  const at = head.lastIndexOf(EMPTY_CONNECTIONS);
  const rowCount = spill !== undefined && spill.count > 0 ? spill.count : report.connections.length;
  if (rowCount === 0) {
    yield `${head}\n`;
    return;
  }
  yield `${head.slice(0, at)}"connections": [\n`;
  if (spill !== undefined && spill.count > 0) {
    yield* storedRows(spill);
  } else {
    const all = report.connections;
    for (let start = 0; start < all.length; start += BATCH) {
      const text = jsonSafe(JSON.stringify(all.slice(start, start + BATCH)));
      const rows = `${ROW_INDENT}${text.slice(1, -1).split(ROW_JOINT).join(ROW_JOINT_LINES)}`;
      yield start + BATCH >= all.length ? `${rows}\n` : `${rows},\n`;
    }
  }
  yield `  ]${head.slice(at + EMPTY_CONNECTIONS.length)}\n`;
}

/**
 * JSON.stringify(value, null, 2), except that arrays holding only numbers, strings, null or such
 * arrays stay on one line: the concurrency series ([[t, n], ...]) and id lists are long.
 */
export function indented(value: unknown, indent: string): string {
  if (value === null || typeof value !== 'object') return jsonSafe(JSON.stringify(value) ?? 'null');
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every(isFlat)) return jsonSafe(JSON.stringify(value));
    const inner = `${indent}  `;
    return `[\n${value.map((v) => inner + indented(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  const inner = `${indent}  `;
  return `{\n${entries.map(([k, v]) => `${inner}${jsonSafe(JSON.stringify(k))}: ${indented(v, inner)}`).join(',\n')}\n${indent}}`;
}

function isFlat(v: unknown): boolean {
  return v === null || typeof v !== 'object' || (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object'));
}

export function renderJson(report: Report, spill?: JsonRowSpill): string {
  return [...renderJsonChunks(report, spill)].map((c) => c.toString()).join('');
}
