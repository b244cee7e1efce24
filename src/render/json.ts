/**
 * \summary: JSON renderer: the report model as it is (the schemaVersion 1 contract).
 *
 * `renderJsonChunks` yields the same text as `JSON.stringify(report, null, 2)` one connection at
 * a time, so a report of tens of thousands of connections is never one huge string in memory.
 */
import type { Report } from '../report/model.js';

const EMPTY_CONNECTIONS = '"connections": []';
const WRAPPER_HEAD = '{\n  "connections": [\n';
const WRAPPER_TAIL = '\n  ]\n}';
/** Connections per JSON.stringify call: large enough to be fast, small enough to stay small. */
const BATCH = 512;

export function* renderJsonChunks(report: Report): Generator<string> {
  const head = JSON.stringify({ ...report, connections: [] }, null, 2);
  const at = head.lastIndexOf(EMPTY_CONNECTIONS);
  if (report.connections.length === 0) {
    yield `${head}\n`;
    return;
  }
  yield `${head.slice(0, at)}"connections": [\n`;
  const all = report.connections;
  for (let start = 0; start < all.length; start += BATCH) {
    // Stringified inside a wrapper, the rows come out already indented for their depth in the
    // report; only the wrapper's first and last lines are cut off.
    const text = JSON.stringify({ connections: all.slice(start, start + BATCH) }, null, 2);
    const rows = text.slice(WRAPPER_HEAD.length, text.length - WRAPPER_TAIL.length);
    yield start + BATCH >= all.length ? `${rows}\n` : `${rows},\n`;
  }
  yield `  ]${head.slice(at + EMPTY_CONNECTIONS.length)}\n`;
}

export function renderJson(report: Report): string {
  return [...renderJsonChunks(report)].join('');
}
