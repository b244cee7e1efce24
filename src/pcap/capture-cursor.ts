/**
 * \summary: streaming cursor over one capture file (classic pcap or pcapng, optionally gzip).
 *
 * The cursor owns one buffer of file bytes and parses records in place; `nextPacket` is synchronous
 * and fills the cursor's reused PacketRecord, so the per-packet path never awaits or allocates.
 * When a record runs past the buffer it answers NEED_DATA and the caller awaits `fillCursor`.
 * Formats: libpcap "savefile" (pcap-savefile(5)) and pcapng (draft-ietf-opsawg-pcapng).
 */
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { CaptureFileError } from '../errors/capture-file-error.js';
import type { PacketRecord } from './packet-record.js';
import {
  PCAP_MAGIC_US,
  PCAP_MAGIC_NS,
  PCAPNG_SHB,
  PCAPNG_BYTE_ORDER_MAGIC,
  readPcapHeader,
  readPcapRecord,
  readPcapngBlock,
  newCaptureState,
  type CaptureState,
} from './formats.js';

export const PACKET = 1;
export const NEED_DATA = 0;
export const END = 2;
export type StepResult = typeof PACKET | typeof NEED_DATA | typeof END;

/** A problem that stopped (or was skipped while) reading a file; everything before it is kept. */
export interface CaptureWarning {
  code: string;
  message: string;
  file: string;
  offset: number;
}

export interface CaptureCursor extends CaptureState {
  path: string;
  fileIndex: number;
  isGzip: boolean;
  record: PacketRecord;
  /** Current bytes; buf[pos] is at file offset base + pos. */
  buf: Buffer;
  pos: number;
  base: number;
  isEof: boolean;
  /** Plain files: read synchronously into `store` (reused); gzip files: chunks from a stream. */
  fd: number | null;
  readPos: number;
  store: Buffer;
  chunks: AsyncIterator<Buffer> | null;
  /** Size of the file on disk, and (gzip) the compressed stream whose bytesRead says how far it is. */
  fileSize: number;
  compressed: { bytesRead: number } | null;
  /** The streams behind a gzip file, destroyed when the cursor closes (their descriptor with them). */
  streams: Array<{ destroy(): unknown }>;
  /** Set when damage ended this file early. */
  warning: CaptureWarning | null;
}

const GZIP_MAGIC = 0x1f8b;

function fileSizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** How many of the file's bytes on disk have been read: for progress (gzip: compressed bytes). */
export function fileBytesRead(c: CaptureCursor): number {
  if (c.compressed !== null) return c.compressed.bytesRead;
  return Math.min(c.base + c.pos, c.fileSize);
}

/** Opens a capture, reads its header and returns a cursor positioned on the first record. */
export async function openCapture(path: string, fileIndex: number, chunkSize = 1 << 20): Promise<CaptureCursor> {
  const head = await readHead(path);
  const isGzip = head.length >= 2 && head.readUInt16BE(0) === GZIP_MAGIC;
  let chunks: AsyncIterator<Buffer> | null = null;
  let fd: number | null = null;
  let compressed: { bytesRead: number } | null = null;
  const streams: Array<{ destroy(): unknown }> = [];
  if (isGzip) {
    const raw = createReadStream(path, { highWaterMark: chunkSize });
    compressed = raw;
    const stream = raw.pipe(createGunzip({ chunkSize }));
    streams.push(raw, stream);
    raw.on('error', (err) => stream.destroy(err));
    chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  } else {
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      throw new CaptureFileError(path, 0, `cannot open: ${describeFsError(err)}`);
    }
  }
  const cursor: CaptureCursor = {
    ...newCaptureState(fileIndex),
    path,
    fileIndex,
    isGzip,
    buf: Buffer.alloc(0),
    pos: 0,
    base: 0,
    isEof: false,
    fd,
    readPos: 0,
    store: fd === null ? Buffer.alloc(0) : Buffer.allocUnsafe(chunkSize),
    chunks,
    fileSize: fileSizeOf(path),
    compressed,
    streams,
    warning: null,
  };
  // Written once more now: V8 treats a field as a constant until its second write, and that write
  // coming mid-file (the first record cut by a chunk end, the end of the file) would throw away
  // the optimised packet loop that reads them.
  cursor.needed = 0;
  cursor.isEof = false;
  try {
    await readFileHeader(cursor);
  } catch (err) {
    // Not a capture: give its descriptor back (a long-running caller opens many files).
    closeCapture(cursor);
    throw err;
  }
  return cursor;
}

/** Reads and checks the file header (throws CaptureFileError); leaves the cursor on the first record. */
async function readFileHeader(cursor: CaptureCursor): Promise<void> {
  const { path, isGzip } = cursor;
  // The header must be whole before anything else: read until 24 bytes (pcap) or the SHB is in.
  while (cursor.buf.length - cursor.pos < 28 && !cursor.isEof) await fillCursor(cursor);
  if (cursor.warning && cursor.buf.length === 0) {
    throw new CaptureFileError(path, cursor.warning.offset, cursor.warning.message);
  }
  const available = cursor.buf.length;
  if (available === 0) throw new CaptureFileError(path, 0, isGzip ? 'empty gzip stream (no capture inside)' : 'empty file (0 bytes)');
  if (available < 4) throw new CaptureFileError(path, 0, `file too short for a capture header (${available} bytes)`);
  const magicLE = cursor.buf.readUInt32LE(0);
  const magicBE = cursor.buf.readUInt32BE(0);
  if (magicBE === PCAPNG_SHB) {
    cursor.format = 'pcapng';
    if (available >= 12) {
      const bom = cursor.buf.readUInt32LE(8);
      if (bom !== PCAPNG_BYTE_ORDER_MAGIC && cursor.buf.readUInt32BE(8) !== PCAPNG_BYTE_ORDER_MAGIC) {
        throw new CaptureFileError(path, 8, 'pcapng section header has a bad byte-order magic');
      }
    } else {
      throw new CaptureFileError(path, 0, `pcapng section header cut short (${available} bytes)`);
    }
    return;
  }
  if (magicLE === PCAP_MAGIC_US || magicLE === PCAP_MAGIC_NS || magicBE === PCAP_MAGIC_US || magicBE === PCAP_MAGIC_NS) {
    if (available < 24) throw new CaptureFileError(path, 0, `pcap file header cut short (${available} of 24 bytes)`);
    readPcapHeader(cursor, cursor.buf);
    cursor.pos = 24;
    return;
  }
  const shown = cursor.buf.subarray(0, 4).toString('hex');
  throw new CaptureFileError(path, 0, `not a pcap or pcapng file (magic 0x${shown})`);
}

async function readHead(path: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new CaptureFileError(path, 0, `cannot open: ${describeFsError(err)}`);
  }
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return head.subarray(0, bytesRead);
  } catch (err) {
    throw new CaptureFileError(path, 0, `cannot read: ${describeFsError(err)}`);
  } finally {
    await handle.close();
  }
}

function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file';
  if (e.code === 'EACCES') return 'permission denied';
  if (e.code === 'EISDIR') return 'is a directory';
  return e.code ?? String(e.message ?? err);
}

/** Appends the next chunk of file bytes (keeping the unread tail); sets isEof at the end. */
export async function fillCursor(c: CaptureCursor): Promise<void> {
  if (c.isEof) return;
  if (c.fd !== null) {
    fillFromFile(c, c.fd);
    return;
  }
  let chunk: Buffer | undefined;
  try {
    const next = await (c.chunks as AsyncIterator<Buffer>).next();
    chunk = next.done ? undefined : next.value;
  } catch (err) {
    c.isEof = true;
    const offset = c.base + c.buf.length;
    const what = c.isGzip ? `gzip data damaged (${(err as Error).message})` : `read failed (${(err as Error).message})`;
    c.warning = { code: 'read-error', message: `${what} at decompressed byte offset ${offset}`, file: c.path, offset };
    return;
  }
  if (chunk === undefined) {
    c.isEof = true;
    return;
  }
  const tail = c.buf.length - c.pos;
  if (tail === 0) {
    c.base += c.buf.length;
    c.buf = chunk;
  } else {
    c.base += c.pos;
    c.buf = Buffer.concat([c.buf.subarray(c.pos), chunk], tail + chunk.length);
  }
  c.pos = 0;
}

/**
 * Plain files skip the stream machinery: the unread tail moves to the front of one reused buffer
 * and a synchronous read fills the rest (no allocation or copy of whole chunks per read).
 */
function fillFromFile(c: CaptureCursor, fd: number): void {
  const tail = c.buf.length - c.pos;
  let store = c.store;
  // A record longer than the buffer (large pcapng blocks) needs a bigger one.
  const wanted = Math.max(tail * 2, c.needed + 1);
  if (wanted > store.length) {
    const bigger = Buffer.allocUnsafe(Math.max(wanted, store.length * 2));
    c.buf.copy(bigger, 0, c.pos, c.buf.length);
    store = c.store = bigger;
  } else if (tail > 0) {
    store.copy(store, 0, c.pos, c.buf.length);
  }
  let n: number;
  try {
    n = readSync(fd, store, tail, store.length - tail, c.readPos);
  } catch (err) {
    c.isEof = true;
    const offset = c.base + c.buf.length;
    c.warning = { code: 'read-error', message: `read failed (${(err as Error).message}) at byte offset ${offset}`, file: c.path, offset };
    closeCapture(c);
    return;
  }
  c.readPos += n;
  c.base += c.pos;
  c.buf = store.subarray(0, tail + n);
  c.pos = 0;
  if (n === 0) {
    c.isEof = true;
    closeCapture(c);
  }
}

/** Releases the file (descriptor, gzip streams); safe to call more than once. */
export function closeCapture(c: CaptureCursor): void {
  if (c.fd !== null) {
    closeSync(c.fd);
    c.fd = null;
  }
  for (const s of c.streams) s.destroy();
  c.streams = [];
}

/**
 * Parses the next packet into c.record. Returns PACKET, NEED_DATA (await fillCursor, then call
 * again) or END (end of file, or damage: then c.warning says where and what).
 */
export function nextPacket(c: CaptureCursor): StepResult {
  for (;;) {
    const result = c.format === 'pcap' ? readPcapRecord(c, c.buf, c.pos) : readPcapngBlock(c, c.buf, c.pos);
    if (result > 0) {
      // A whole record was consumed: result is its length. Packet or not is in c.hasPacket.
      const recordStart = c.pos;
      c.pos += result;
      if (c.hasPacket) {
        c.record.fileOffset = c.base + recordStart;
        if (c.record.data !== c.buf) c.record.data = c.buf; // a pointer store costs a write barrier
        c.packets++;
        return PACKET;
      }
      continue;
    }
    if (result === 0) {
      if (!c.isEof) return NEED_DATA;
      const left = c.buf.length - c.pos;
      if (left > 0 && c.warning === null) {
        const offset = c.base + c.pos;
        c.warning = {
          code: 'truncated',
          message: `truncated dump file: the last record at byte offset ${offset} is cut short (${left} bytes present, ${c.needed} needed)`,
          file: c.path,
          offset,
        };
      }
      return END;
    }
    // result < 0: damage; c.damage holds what was wrong.
    const offset = c.base + c.pos;
    c.warning = { code: 'corrupt', message: `${c.damage} at byte offset ${offset}; stopped reading this file`, file: c.path, offset };
    c.isEof = true;
    return END;
  }
}
