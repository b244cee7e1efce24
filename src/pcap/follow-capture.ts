/**
 * \summary: reads capture files that tcpdump is still writing (live view), with the same record parsers.
 *
 * A follower remembers the file offset of the first record it has not read yet. Each poll reads
 * from there with positioned reads into one reused buffer (no stream) and hands every complete
 * record to the caller, synchronously; a record the writer has not finished is left for the next
 * poll (tcpdump -U writes whole records, but a read can still land between two of its writes).
 * A file that does not exist yet, or has no whole header yet, yields nothing until it does.
 *
 * `followFiles` follows every file of a recording: rotated files (tcpdump -C/-G/-W, read oldest
 * first), files written at the same time by several tcpdumps (wscap's address segments), files
 * deleted by a ring buffer (their bytes are counted, their state dropped) and ring files rewritten
 * in place (noticed by their last record changing, then read from the start). Gzip-compressed
 * files (tcpdump -z) cannot be followed while written and are not read here.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import type { CaptureWarning } from './capture-cursor.js';
import type { PacketRecord } from './packet-record.js';
import {
  PCAP_MAGIC_NS,
  PCAP_MAGIC_US,
  PCAPNG_SHB,
  readPcapHeader,
  readPcapRecord,
  readPcapngBlock,
  newCaptureState,
  type CaptureState,
} from './formats.js';

/** Read size of one positioned read; the buffer only grows past it for a record that needs more. */
const DEFAULT_BUFFER_BYTES = 1 << 20;
/**
 * Largest record the buffer grows to hold: pcapng blocks are refused above 16 MiB by the parser;
 * a classic pcap record may be as long as the snaplen the header claims, capped here.
 */
const MAX_BUFFER_BYTES = 16 * 1024 * 1024 + 64;

export interface CaptureFollower extends CaptureState {
  path: string;
  /** Index of the file in its recording (0 for the first file followed). */
  fileIndex: number;
  /** Open handle, kept between polls (a file deleted after it was opened stays readable). */
  handle: FileHandle | null;
  /** File offset of the first byte not consumed yet: the start of the next record. */
  offset: number;
  /** File size seen at the last poll. */
  size: number;
  /** The file header (pcap) or the format (pcapng, whose header is a block) has been read. */
  hasHeader: boolean;
  /** Reused read buffer; grows only for a record longer than it, up to MAX_BUFFER_BYTES. */
  buf: Buffer;
  /** Set when damage (or a non-capture file) stopped this file; nothing more is read from it. */
  warning: CaptureWarning | null;
  /** Times the file was found rewritten in place (ring buffer) and read again from 0. */
  restarts: number;
  /**
   * Bytes of the last record consumed (its timestamp and lengths) and where they are: when the file
   * grows, they are read again first; different bytes there mean the file was rewritten.
   */
  fingerprint: Buffer;
  fingerprintLength: number;
  fingerprintAt: number;
  /** Sizes the file had when it was found rewritten (bytes written before the current contents). */
  earlierBytes: number;
}

export interface PollResult {
  /** Packets handed to onPacket during this poll. */
  packets: number;
  /** File bytes consumed during this poll (headers and whole records). */
  bytesRead: number;
}

export interface FollowerOptions {
  /** Index written into each PacketRecord (default 0). */
  fileIndex?: number;
  /** Size of one read (default 1 MiB; at least 64). */
  bufferBytes?: number;
  /** A buffer to reuse (a previous file's), instead of allocating one. */
  buffer?: Buffer;
}

/** A follower for `path`; nothing is opened until the first poll. */
export function openFollower(path: string, options: FollowerOptions = {}): CaptureFollower {
  const fileIndex = options.fileIndex ?? 0;
  return {
    ...newCaptureState(fileIndex),
    path,
    fileIndex,
    handle: null,
    offset: 0,
    size: 0,
    hasHeader: false,
    buf: options.buffer ?? Buffer.alloc(Math.max(64, options.bufferBytes ?? DEFAULT_BUFFER_BYTES)),
    warning: null,
    restarts: 0,
    fingerprint: Buffer.alloc(16),
    fingerprintLength: 0,
    fingerprintAt: 0,
    earlierBytes: 0,
  };
}

/** Closes the follower's file handle (a later poll reopens the file where it left off). */
export async function closeFollower(f: CaptureFollower): Promise<void> {
  const handle = f.handle;
  f.handle = null;
  if (handle !== null) await handle.close();
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

function resetFollower(f: CaptureFollower): void {
  f.offset = 0;
  f.fingerprintLength = 0;
  f.hasHeader = false;
  f.warning = null;
  f.interfaces = [];
  f.linkTypes = [];
  f.lastTsSec = 0;
  f.lastTsNsec = 0;
  f.restarts++;
}

function stop(f: CaptureFollower, at: number, message: string, code = 'corrupt'): void {
  f.warning = { code, message: `${message} at byte offset ${at}; stopped following this file`, file: f.path, offset: at };
}

/**
 * Reads the header at the start of `view` (file offset 0). Returns the bytes it consumed (24 for
 * pcap, 0 for pcapng, whose section header is parsed as a block), or -1 when more bytes are needed
 * (or the file is not a capture: then f.warning is set).
 */
function readHeader(f: CaptureFollower, view: Buffer): number {
  if (view.length < 4) return -1;
  const magicLE = view.readUInt32LE(0);
  const magicBE = view.readUInt32BE(0);
  if (magicBE === PCAPNG_SHB) {
    f.format = 'pcapng';
    f.hasHeader = true;
    return 0;
  }
  if (magicLE === PCAP_MAGIC_US || magicLE === PCAP_MAGIC_NS || magicBE === PCAP_MAGIC_US || magicBE === PCAP_MAGIC_NS) {
    if (view.length < 24) return -1;
    f.format = 'pcap';
    readPcapHeader(f, view);
    f.hasHeader = true;
    return 24;
  }
  const what = magicBE >>> 16 === 0x1f8b ? 'gzip-compressed file (cannot be followed while written)' : 'not a pcap or pcapng file';
  stop(f, 0, `${what} (magic 0x${view.subarray(0, 4).toString('hex')})`, 'not-a-capture');
  return -1;
}

/**
 * Reads every complete record appended since the last poll and calls `onPacket` once per packet,
 * synchronously, with the follower's reused record (valid until onPacket returns). A missing file,
 * or one shorter than its header, gives 0 packets: try again at the next poll. Damage stops the
 * file with `f.warning`. Do not poll the same follower twice at once.
 */
export async function pollFollower(f: CaptureFollower, onPacket: (p: PacketRecord) => void): Promise<PollResult> {
  const result: PollResult = { packets: 0, bytesRead: 0 };
  if (f.warning !== null) return result;
  if (f.handle === null) {
    try {
      // Never through a link: under sudo the live view runs as root in the user's directory,
      // where a capture file could be swapped for a link to another (root-only) capture.
      f.handle = await open(f.path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      if (isMissing(err)) return result;
      if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
        f.warning = { code: 'not-a-file', message: 'is a symbolic link, not the capture file: not followed', file: f.path, offset: 0 };
        return result;
      }
      throw err;
    }
  }
  const handle = f.handle;
  const size = (await handle.stat()).size;
  // Rewritten from the start (tcpdump -W reopens a ring file with truncation): a new file.
  if (size < f.offset || (size > f.offset && !(await isSameFile(f, handle)))) {
    f.earlierBytes += Math.max(f.size, f.offset);
    resetFollower(f);
  }
  f.size = size;

  while (f.offset < f.size && f.warning === null) {
    const want = f.buf.length;
    const { bytesRead } = await handle.read(f.buf, 0, want, f.offset);
    if (bytesRead === 0) break;
    const view = bytesRead === want ? f.buf : f.buf.subarray(0, bytesRead);
    let pos = 0;
    if (!f.hasHeader) {
      const used = readHeader(f, view);
      if (used < 0) break;
      pos = used;
    }
    let lastStart = -1;
    let lastLength = 0;
    for (;;) {
      const length = f.format === 'pcap' ? readPcapRecord(f, view, pos) : readPcapngBlock(f, view, pos);
      if (length > 0) {
        if (f.hasPacket) {
          f.record.fileOffset = f.offset + pos;
          f.record.data = view;
          f.packets++;
          result.packets++;
          onPacket(f.record);
        }
        lastStart = pos;
        lastLength = length;
        pos += length;
        continue;
      }
      if (length < 0) stop(f, f.offset + pos, f.damage ?? 'bad record');
      break;
    }
    if (lastStart >= 0) keepFingerprint(f, view, lastStart, lastLength);
    f.offset += pos;
    result.bytesRead += pos;
    if (f.warning !== null || bytesRead < want) break;
    if (pos === 0) {
      // One record longer than the buffer: grow it to fit (bounded), then read again.
      const needed = f.needed;
      if (needed <= f.buf.length) break;
      if (needed > MAX_BUFFER_BYTES) {
        stop(f, f.offset, `record of ${needed} bytes is larger than the follower accepts (${MAX_BUFFER_BYTES})`);
        break;
      }
      f.buf = Buffer.alloc(needed);
    }
  }
  return result;
}

/**
 * Remembers the bytes that tell this record from any other: a pcap record header (timestamp,
 * lengths); for pcapng, the 16 bytes after type and length (interface, timestamp, length).
 */
function keepFingerprint(f: CaptureFollower, view: Buffer, start: number, length: number): void {
  const skip = f.format === 'pcap' ? 0 : 8;
  const n = Math.max(0, Math.min(16, length - skip));
  view.copy(f.fingerprint, 0, start + skip, start + skip + n);
  f.fingerprintLength = n;
  f.fingerprintAt = f.offset + start + skip;
}

/** Whether the last record consumed is still where it was (false: the file was rewritten in place). */
async function isSameFile(f: CaptureFollower, handle: FileHandle): Promise<boolean> {
  const n = f.fingerprintLength;
  if (n === 0) return true;
  const { bytesRead } = await handle.read(f.buf, 0, n, f.fingerprintAt);
  return bytesRead === n && f.buf.compare(f.fingerprint, 0, n, 0, n) === 0;
}

/** The files of a recording, followed together. */
export interface FileSequence {
  /** Reads what was appended to every listed file since the last poll, files in list order. */
  poll(onPacket: (p: PacketRecord) => void): Promise<PollResult>;
  /** Closes every open file; a later poll reopens them where they stopped. */
  close(): Promise<void>;
  /** Followers of the files listed at the last poll. */
  readonly followers: ReadonlyMap<string, CaptureFollower>;
  /** Packets read from every file so far. */
  readonly packets: number;
  /** Bytes written to the files so far: sizes of the listed files plus final sizes of deleted ones. */
  readonly fileBytes: number;
  /** Files followed so far (a ring file rewritten in place counts once). */
  readonly files: number;
  /** Warnings of files stopped by damage (the last 20). */
  readonly warnings: CaptureWarning[];
}

const MAX_WARNINGS = 20;

/**
 * Follows the files `getPaths()` lists (oldest first, as written so far). Every listed file is
 * polled, in list order, so files written at the same time (one tcpdump per address segment) are
 * all read, and an older rotated file is drained before a newer one. A listed file that does not
 * exist (yet, or any more) is skipped; a file no longer listed is drained through its open handle
 * if it has one (deleted by a ring buffer), then dropped. Handles stay open only on files that grew
 * at the last poll, and all files share one read buffer: memory is one buffer plus a small record
 * per listed file.
 */
export function followFiles(getPaths: () => string[], bufferBytes = DEFAULT_BUFFER_BYTES): FileSequence {
  const followers = new Map<string, CaptureFollower>();
  let droppedBytes = 0;
  let droppedPackets = 0;
  let files = 0;
  let shared: Buffer = Buffer.alloc(Math.max(64, bufferBytes));
  const warnings: CaptureWarning[] = [];

  const pollOne = async (f: CaptureFollower, onPacket: (p: PacketRecord) => void, total: PollResult): Promise<void> => {
    f.buf = shared;
    const warned = f.warning;
    let r: PollResult;
    try {
      r = await pollFollower(f, onPacket);
    } finally {
      shared = f.buf; // grown for a long record: every file reuses it
    }
    total.packets += r.packets;
    total.bytesRead += r.bytesRead;
    if (f.warning !== null && f.warning !== warned) {
      warnings.push(f.warning);
      if (warnings.length > MAX_WARNINGS) warnings.shift();
    }
    // A file that did not grow may be finished: no handle kept for it (one stat per poll instead).
    if (r.bytesRead === 0 || f.warning !== null) await closeFollower(f);
  };

  /** Whether a follower without an open handle has anything new (cheaper than opening it). */
  const hasNews = async (f: CaptureFollower): Promise<boolean> => {
    if (f.warning !== null) return false;
    if (f.handle !== null) return true;
    try {
      const size = (await stat(f.path)).size;
      if (size === f.offset && f.hasHeader) {
        f.size = size;
        return false;
      }
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  };

  return {
    async poll(onPacket) {
      const total: PollResult = { packets: 0, bytesRead: 0 };
      const paths = getPaths();
      const listed = new Set(paths);
      // Files no longer listed (deleted by a ring buffer): read what the open handle still holds.
      for (const [path, f] of followers) {
        if (listed.has(path)) continue;
        if (f.handle !== null) await pollOne(f, onPacket, total);
        await closeFollower(f);
        droppedBytes += f.earlierBytes + f.size;
        droppedPackets += f.packets;
        followers.delete(path);
      }
      for (const path of paths) {
        let f = followers.get(path);
        if (f === undefined) {
          f = openFollower(path, { fileIndex: files++, bufferBytes, buffer: shared });
          followers.set(path, f);
        }
        if (await hasNews(f)) await pollOne(f, onPacket, total);
      }
      return total;
    },
    async close() {
      for (const f of followers.values()) await closeFollower(f);
    },
    followers,
    get packets() {
      let n = droppedPackets;
      for (const f of followers.values()) n += f.packets;
      return n;
    },
    get fileBytes() {
      let n = droppedBytes;
      for (const f of followers.values()) n += f.earlierBytes + f.size;
      return n;
    },
    get files() {
      return files;
    },
    get warnings() {
      return warnings;
    },
  };
}
