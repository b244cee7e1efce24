/**
 * \summary: JSON rows rendered as connections finish and kept outside the heap until the end.
 *
 * The JSON report writes its head (capture, summary) before its rows, but the head is known only
 * when the capture ends. Keeping every row object until then made memory grow with the number of
 * connections in the file (about 1.1 KB each) and made the garbage collector copy them all. So the
 * analysis hands each row here as its connection finishes: it is stringified at once, its text
 * goes to an unlinked temporary file (in memory if no temporary file can be made), and only its
 * position is kept (12 bytes). At the end the rows are read back in id order, which is creation
 * order, the same order the in-memory report has.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionReport } from '../report/model.js';
import { newRowWriter, writeRowJson, type RowWriter } from './json-row-writer.js';
import { jsonSafe } from './escape.js';

/** Indent and separator of a row in the report (see json.ts). */
export const ROW_INDENT = '    ';
const ROW_END = ',\n';
const BUFFER_BYTES = 1 << 20;
/** Room left in the buffer before a row is written there; a row that needs more is written apart. */
const ROW_ROOM = 1 << 15;

/**
 * How rows are framed: inside the JSON report's array (indented, comma after each but the last),
 * or as NDJSON (one object per line, nothing else).
 */
export type RowFraming = 'json' | 'ndjson';

const FRAMES: Record<RowFraming, { before: Buffer; after: Buffer; last: Buffer }> = {
  json: { before: Buffer.from(ROW_INDENT), after: Buffer.from(ROW_END), last: Buffer.from('\n') },
  ndjson: { before: Buffer.alloc(0), after: Buffer.from('\n'), last: Buffer.from('\n') },
};

export interface JsonRowSpill {
  /** Temporary file (unlinked: it disappears when closed), or -1 when rows stay in memory. */
  fd: number;
  /** Rows stored in memory when there is no file, in add order. */
  memory: Buffer[];
  /** Bytes added but not yet written to the file. */
  pending: Buffer;
  pendingBytes: number;
  /** Bytes stored so far (file offset of the next row). */
  stored: number;
  /** Per connection index (1-based id number): where its row starts and how long it is. */
  offsets: Float64Array;
  lengths: Uint32Array;
  count: number;
  maxIndex: number;
  writer: RowWriter;
  framing: RowFraming;
}

/** A spill backed by an unlinked temporary file; in memory when the temporary directory refuses. */
export function newJsonRowSpill(directory = tmpdir(), framing: RowFraming = 'json'): JsonRowSpill {
  let fd = -1;
  try {
    const dir = mkdtempSync(join(directory, 'wscap-'));
    const path = join(dir, 'rows.json');
    fd = openSync(path, 'wx+', 0o600);
    // Unlinked at once: nothing is left behind, even if wscap is killed.
    unlinkSync(path);
    rmdirSync(dir);
  } catch {
    if (fd !== -1) closeSync(fd);
    fd = -1;
  }
  const pending = Buffer.allocUnsafe(BUFFER_BYTES);
  const spill: JsonRowSpill = {
    fd,
    memory: [],
    pending,
    pendingBytes: 0,
    stored: 0,
    offsets: new Float64Array(1024),
    lengths: new Uint32Array(1024),
    count: 0,
    maxIndex: 0,
    writer: newRowWriter(pending, 0, BUFFER_BYTES),
    framing,
  };
  // The index columns get their second write now rather than when they first grow: V8 treats a
  // field as a constant until then, and the change would throw away the optimised row path.
  grow(spill, 1024);
  return spill;
}

function grow(spill: JsonRowSpill, index: number): void {
  let size = spill.offsets.length;
  while (size <= index) size *= 2;
  const offsets = new Float64Array(size);
  offsets.set(spill.offsets);
  const lengths = new Uint32Array(size);
  lengths.set(spill.lengths);
  spill.offsets = offsets;
  spill.lengths = lengths;
}

/** Renders one row and stores its text. Rows may come in any order; each id once. */
export function addJsonRow(spill: JsonRowSpill, row: ConnectionReport): void {
  const index = Number(row.id.slice(1));
  if (index >= spill.offsets.length) grow(spill, index);
  if (spill.pendingBytes + ROW_ROOM > spill.pending.length) flushPending(spill);
  const w = spill.writer;
  const frame = FRAMES[spill.framing];
  w.at = spill.pendingBytes;
  w.isFull = false;
  spill.pending.set(frame.before, w.at);
  w.at += frame.before.length;
  writeRowJson(w, row);
  let bytes: number;
  if (!w.isFull && w.at + frame.after.length <= w.end) {
    spill.pending.set(frame.after, w.at);
    bytes = w.at + frame.after.length - spill.pendingBytes;
    spill.pendingBytes += bytes;
  } else {
    // A row larger than the room (long hostile strings): rendered as a string instead.
    const text = Buffer.concat([frame.before, Buffer.from(jsonSafe(JSON.stringify(row))), frame.after]);
    bytes = text.length;
    flushPending(spill);
    storeBytes(spill, text);
  }
  spill.offsets[index] = spill.stored;
  spill.lengths[index] = bytes;
  spill.stored += bytes;
  spill.count++;
  if (index > spill.maxIndex) spill.maxIndex = index;
}

function flushPending(spill: JsonRowSpill): void {
  if (spill.pendingBytes === 0) return;
  storeBytes(spill, spill.pending.subarray(0, spill.pendingBytes));
  spill.pendingBytes = 0;
}

/** Appends bytes to the store; `stored` is advanced by the caller, per row. */
function storeBytes(spill: JsonRowSpill, bytes: Buffer): void {
  if (spill.fd === -1) {
    spill.memory.push(Buffer.from(bytes));
    return;
  }
  let done = 0;
  while (done < bytes.length) done += writeSync(spill.fd, bytes, done, bytes.length - done);
}

/** Reads `length` stored bytes from `position` into `into` (file, or the in-memory pieces). */
function readStored(spill: JsonRowSpill, into: Buffer, length: number, position: number): void {
  if (spill.fd !== -1) {
    let done = 0;
    while (done < length) {
      const n = readSync(spill.fd, into, done, length - done, position + done);
      if (n === 0) throw new Error('row store ended early');
      done += n;
    }
    return;
  }
  // In memory: find the pieces that hold [position, position + length).
  let base = 0;
  let done = 0;
  for (const piece of spill.memory) {
    const end = base + piece.length;
    if (end > position + done && done < length) {
      const from = position + done - base;
      const n = Math.min(piece.length - from, length - done);
      piece.copy(into, done, from, from + n);
      done += n;
    }
    base = end;
    if (done === length) break;
  }
}

/** Bytes of the store read at a time when rows are read back (rows finish nearly in id order). */
const WINDOW_BYTES = 1 << 22;
/** A window starts this far before the row that needed it: rows that finished a little out of order are in it too. */
const WINDOW_BEHIND = WINDOW_BYTES >> 3;
/** A run of rows at least this long is read straight into the chunk, not through the window. */
const DIRECT_BYTES = 1 << 16;

/**
 * The stored rows in id order, as chunks of about 1 MiB, framed as the spill says (JSON: each row
 * followed by ",\n" except the last, which ends with "\n"). Connections finish nearly in id
 * order, so consecutive rows mostly follow each other in the store too: such a run of rows is
 * read straight into the chunk, one read for up to a MiB (a copy through a window cost ~20 ms on
 * the bench's 32 MB). Short runs (rows that finished out of order) are copied from a 4 MiB window
 * of the store that moves forward, so they cost no read each; a row far outside it (a long-lived
 * connection's, stored much later) is read on its own.
 */
export function* storedRows(spill: JsonRowSpill): Generator<Buffer> {
  flushPending(spill);
  const frame = FRAMES[spill.framing];
  const window = Buffer.allocUnsafe(Math.min(WINDOW_BYTES, Math.max(spill.stored, 1)));
  let windowStart = 0;
  let windowEnd = 0;
  let out = Buffer.allocUnsafe(BUFFER_BYTES);
  let used = 0;
  let rowsLeft = spill.count;
  for (let index = 1; index <= spill.maxIndex; ) {
    const length = spill.lengths[index];
    if (length === 0) {
      index++;
      continue;
    }
    const position = spill.offsets[index];
    if (used + length > out.length) {
      if (used > 0) yield out.subarray(0, used);
      out = Buffer.allocUnsafe(Math.max(BUFFER_BYTES, length));
      used = 0;
    }
    // The run: this row and the rows after it that follow it in the store, as far as the chunk has room.
    let end = position + length;
    let rows = 1;
    for (index++; index <= spill.maxIndex; index++) {
      const next = spill.lengths[index];
      if (next === 0) continue;
      if (spill.offsets[index] !== end || used + end + next - position > out.length) break;
      end += next;
      rows++;
    }
    const isShortRun = end - position < DIRECT_BYTES;
    if (isShortRun && (position < windowStart || end > windowEnd)) {
      if (end - position <= window.length && position >= windowEnd - WINDOW_BEHIND && position < windowEnd + window.length) {
        // The next stretch of the store (a little behind this run too), in one read.
        windowStart = Math.max(0, Math.min(position - WINDOW_BEHIND, spill.stored - window.length));
        windowEnd = Math.min(spill.stored, windowStart + window.length);
        readStored(spill, window, windowEnd - windowStart, windowStart);
      }
    }
    if (isShortRun && position >= windowStart && end <= windowEnd) {
      window.copy(out, used, position - windowStart, end - windowStart);
    } else {
      readStored(spill, out.subarray(used), end - position, position);
    }
    used += end - position;
    rowsLeft -= rows;
    if (rowsLeft === 0) {
      // The last row: its separator becomes the closing one (never longer).
      used -= frame.after.length;
      used += frame.last.copy(out, used);
      break;
    }
  }
  if (used > 0) yield out.subarray(0, used);
}

/** Closes the temporary file (which was unlinked when made) and drops the rows. */
export function closeJsonRowSpill(spill: JsonRowSpill): void {
  if (spill.fd !== -1) closeSync(spill.fd);
  spill.fd = -1;
  spill.memory = [];
  spill.count = 0;
  spill.maxIndex = 0;
}
