/**
 * \summary: reads one or more capture files as one capture, in timestamp order.
 *
 * A rotated recording (tcpdump -C/-G/-W) is several files; they are merged by timestamp, so the
 * packets of a connection that spans two files reach the tracker in order.
 */
import { END, NEED_DATA, PACKET, closeCapture, fillCursor, nextPacket, openCapture, type CaptureCursor } from './capture-cursor.js';
import type { PacketRecord } from './packet-record.js';

/** Advances a cursor to its next packet, reading more of the file as needed. False at the end. */
async function advance(c: CaptureCursor): Promise<boolean> {
  for (;;) {
    const step = nextPacket(c);
    if (step === PACKET) return true;
    if (step === END) return false;
    await fillCursor(c);
  }
}

function isEarlier(a: PacketRecord, b: PacketRecord): boolean {
  return a.tsSec < b.tsSec || (a.tsSec === b.tsSec && a.tsNsec < b.tsNsec);
}

/**
 * Opens every file (throwing CaptureFileError for one that is not a readable capture), calls
 * `onOpen` with the opened cursors (their headers are read), then calls `onPacket` once per
 * packet, synchronously, in timestamp order. The record passed is reused: read it before
 * returning. Returns the cursors, whose counts and warnings describe each file.
 */
export async function readCaptures(
  paths: string[],
  onPacket: (packet: PacketRecord) => void,
  onOpen?: (cursors: readonly CaptureCursor[]) => void,
): Promise<CaptureCursor[]> {
  // Smaller chunks when many files are open at once, so buffered bytes stay bounded.
  const chunkSize = paths.length > 8 ? 1 << 18 : 1 << 22;
  const cursors: CaptureCursor[] = [];
  try {
    for (let i = 0; i < paths.length; i++) cursors.push(await openCapture(paths[i], i, chunkSize));
    onOpen?.(cursors);
    await readAll(cursors, onPacket);
  } finally {
    // Every file is given back, read to its end or not (damage, an error in onPacket).
    for (const c of cursors) closeCapture(c);
  }
  return cursors;
}

/** Calls onPacket for every packet of the opened files, in timestamp order. */
async function readAll(cursors: CaptureCursor[], onPacket: (packet: PacketRecord) => void): Promise<void> {
  if (cursors.length === 1) {
    const c = cursors[0];
    for (;;) {
      const step = nextPacket(c);
      if (step === PACKET) onPacket(c.record);
      else if (step === NEED_DATA) await fillCursor(c);
      else break;
    }
    return;
  }

  const active: CaptureCursor[] = [];
  for (const c of cursors) if (await advance(c)) active.push(c);
  while (active.length > 0) {
    let best = 0;
    for (let i = 1; i < active.length; i++) if (isEarlier(active[i].record, active[best].record)) best = i;
    const c = active[best];
    onPacket(c.record);
    // Await only when the buffer runs dry, not once per packet.
    let step = nextPacket(c);
    while (step === NEED_DATA) {
      await fillCursor(c);
      step = nextPacket(c);
    }
    if (step === END) active.splice(best, 1);
  }
}
