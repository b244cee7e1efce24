/**
 * Following a capture while it is written: a real fixture appended to a temporary file in pieces
 * cut at arbitrary byte offsets (inside the file header, record headers and packet data), polled
 * after each piece, must give exactly the packets a one-shot read gives; and across rotated files.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { closeFollower, followFiles, openFollower, pollFollower } from '../../src/pcap/follow-capture.js';
import { readCaptures } from '../../src/pcap/read-captures.js';
import type { PacketRecord } from '../../src/pcap/packet-record.js';
import { FIXTURES, tempDir } from '../helpers.js';

const PCAP = join(FIXTURES, 'clean-shutdown.pcap');
const PCAPNG = join(FIXTURES, 'clean-shutdown.pcapng');

interface Seen {
  fileIndex: number;
  fileOffset: number;
  linkType: number;
  tsSec: number;
  tsNsec: number;
  time: number;
  hasTimestamp: boolean;
  capturedLength: number;
  originalLength: number;
  bytes: string;
}

function copy(p: PacketRecord): Seen {
  return {
    fileIndex: p.fileIndex,
    fileOffset: p.fileOffset,
    linkType: p.linkType,
    tsSec: p.tsSec,
    tsNsec: p.tsNsec,
    time: p.time,
    hasTimestamp: p.hasTimestamp,
    capturedLength: p.capturedLength,
    originalLength: p.originalLength,
    bytes: p.data.toString('hex', p.offset, p.offset + p.capturedLength),
  };
}

async function oneShot(paths: string[]): Promise<Seen[]> {
  const out: Seen[] = [];
  await readCaptures(paths, (p) => out.push(copy(p)));
  return out;
}

/** Byte offsets of each record header in a little-endian classic pcap (independent of src/). */
function recordOffsets(file: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = 24; at + 16 <= file.length; at += 16 + file.readUInt32LE(at + 8)) offsets.push(at);
  return offsets;
}

/** Deterministic cut points: the first bytes one by one, a few edges, then pseudo-random steps. */
function cutPoints(length: number, seed: number, special: number[] = []): number[] {
  const cuts = new Set<number>([1, 2, 3, 4, 5, 11, 12, 20, 23, 24, 25, 27, 28, 30, 39, 40, 41, ...special]);
  let x = seed;
  for (let at = 0; at < length; ) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    at += 1 + (x % 1500);
    cuts.add(at);
  }
  return [...cuts].filter((c) => c > 0 && c < length).sort((a, b) => a - b);
}

describe('following a capture being written', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);

  for (const [name, source, bufferBytes] of [
    ['classic pcap, default buffer', PCAP, undefined],
    ['classic pcap, 64-byte buffer (grows for records)', PCAP, 64],
    ['pcapng, default buffer', PCAPNG, undefined],
    ['pcapng, 64-byte buffer', PCAPNG, 64],
  ] as const) {
    it(`${name}: pieces cut at arbitrary offsets give the one-shot packets`, async () => {
      const whole = readFileSync(source);
      const expected = await oneShot([source]);
      expect(expected.length).toBeGreaterThan(100);
      const special = source === PCAP ? recordOffsets(whole).flatMap((o) => [o, o + 1, o + 8, o + 15, o + 16, o + 17]).slice(0, 60) : [];
      const cuts = [...cutPoints(whole.length, 7, special), whole.length];
      const path = join(tmp.dir, `piece-${expected.length}-${bufferBytes ?? 'd'}${source === PCAPNG ? '.pcapng' : '.pcap'}`);
      rmSync(path, { force: true });

      const f = openFollower(path, { bufferBytes });
      const seen: Seen[] = [];
      // Not there yet: nothing, no error.
      expect(await pollFollower(f, (p) => seen.push(copy(p)))).toEqual({ packets: 0, bytesRead: 0 });
      writeFileSync(path, Buffer.alloc(0));
      expect((await pollFollower(f, (p) => seen.push(copy(p)))).packets).toBe(0);

      let written = 0;
      let bytesRead = 0;
      let packets = 0;
      for (const cut of cuts) {
        appendFileSync(path, whole.subarray(written, cut));
        written = cut;
        const r = await pollFollower(f, (p) => seen.push(copy(p)));
        packets += r.packets;
        bytesRead += r.bytesRead;
        expect(f.warning).toBeNull();
        // Everything consumed ends at a record boundary, never past what was written.
        expect(f.offset).toBeLessThanOrEqual(written);
        expect(seen.length).toBe(packets);
      }
      expect(packets).toBe(expected.length);
      expect(bytesRead).toBe(whole.length);
      expect(seen).toEqual(expected);
      // The buffer grew only to the largest record, not to the file.
      if (bufferBytes !== undefined) expect(f.buf.length).toBeLessThan(70000);
      // Nothing new: nothing read.
      expect(await pollFollower(f, () => {})).toEqual({ packets: 0, bytesRead: 0 });
      await closeFollower(f);
    });
  }

  it('a file with fewer than 24 bytes gives 0 packets until its header is whole', async () => {
    const whole = readFileSync(PCAP);
    const path = join(tmp.dir, 'short.pcap');
    writeFileSync(path, whole.subarray(0, 23));
    const f = openFollower(path);
    expect(await pollFollower(f, () => {})).toEqual({ packets: 0, bytesRead: 0 });
    expect(f.warning).toBeNull();
    appendFileSync(path, whole.subarray(23));
    const r = await pollFollower(f, () => {});
    expect(r.packets).toBe((await oneShot([PCAP])).length);
    await closeFollower(f);
  });

  it('damage stops the file with a corrupt warning at its offset; not a capture is said once', async () => {
    const whole = Buffer.from(readFileSync(PCAP));
    const offsets = recordOffsets(whole);
    const k = 10;
    whole.writeUInt32LE(0x7fffffff, offsets[k] + 8); // captured length of record k
    const path = join(tmp.dir, 'damaged.pcap');
    writeFileSync(path, whole);
    const f = openFollower(path);
    expect((await pollFollower(f, () => {})).packets).toBe(k);
    expect(f.warning).toMatchObject({ code: 'corrupt', offset: offsets[k], file: path });
    expect((await pollFollower(f, () => {})).packets).toBe(0);
    await closeFollower(f);

    const text = join(tmp.dir, 'not-a-capture.txt');
    writeFileSync(text, 'hello, this is not a capture file at all\n');
    const g = openFollower(text);
    expect((await pollFollower(g, () => {})).packets).toBe(0);
    expect(g.warning).toMatchObject({ code: 'not-a-capture', offset: 0 });
    await closeFollower(g);
  });

  it('a file rewritten in place (ring buffer reuse) is read again from its start', async () => {
    const whole = readFileSync(PCAP);
    const offsets = recordOffsets(whole);
    const path = join(tmp.dir, 'ring0.pcap');
    writeFileSync(path, whole.subarray(0, offsets[50]));
    const f = openFollower(path);
    expect((await pollFollower(f, () => {})).packets).toBe(50);
    truncateSync(path, 0);
    appendFileSync(path, whole.subarray(0, offsets[20]));
    const seen: Seen[] = [];
    expect((await pollFollower(f, (p) => seen.push(copy(p)))).packets).toBe(20);
    expect(f.restarts).toBe(1);
    expect(seen).toEqual((await oneShot([PCAP])).slice(0, 20));
    await closeFollower(f);
  });
});

describe('following the files of a recording', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);

  /** Two files split at a record boundary, each with the file header (as tcpdump -C writes them). */
  function split(whole: Buffer, k: number): [Buffer, Buffer] {
    const offsets = recordOffsets(whole);
    const header = whole.subarray(0, 24);
    return [whole.subarray(0, offsets[k]), Buffer.concat([header, whole.subarray(offsets[k])])];
  }

  it('rotation: the first file is drained, then the second is read when it appears', async () => {
    const whole = readFileSync(PCAP);
    const [one, two] = split(whole, 137);
    const p1 = join(tmp.dir, 'rot.pcap');
    const p2 = join(tmp.dir, 'rot.pcap1');
    writeFileSync(p1, Buffer.alloc(0));
    let listed = [p1];
    const seq = followFiles(() => listed, 256);
    const seen: Seen[] = [];
    const onPacket = (p: PacketRecord): void => void seen.push(copy(p));

    // The first file in pieces.
    let written = 0;
    for (const cut of [10, 100, 5000, 9999, one.length - 3]) {
      appendFileSync(p1, one.subarray(written, cut));
      written = cut;
      await seq.poll(onPacket);
    }
    // tcpdump finishes the first file, then creates the second: both happen between two polls.
    appendFileSync(p1, one.subarray(written));
    writeFileSync(p2, two.subarray(0, 1000));
    listed = [p1, p2];
    await seq.poll(onPacket);
    expect(seen.filter((s) => s.fileIndex === 0)).toHaveLength(137);
    appendFileSync(p2, two.subarray(1000));
    await seq.poll(onPacket);

    const expected = await oneShot([p1, p2]);
    expect(seen).toEqual(expected);
    expect(seen.length).toBe((await oneShot([PCAP])).length);
    expect(seq.packets).toBe(seen.length);
    expect(seq.fileBytes).toBe(one.length + two.length);
    expect(seq.files).toBe(2);
    expect(seq.warnings).toEqual([]);
    // Finished files keep no open handle.
    expect([...seq.followers.values()].filter((f) => f.handle !== null).length).toBeLessThanOrEqual(1);
    await seq.close();
    expect([...seq.followers.values()].every((f) => f.handle === null)).toBe(true);
  });

  it('two files written at the same time (one tcpdump per address segment), listed in changing order', async () => {
    const a = readFileSync(PCAP);
    const b = readFileSync(join(FIXTURES, 'close-wait.pcap'));
    const pa = join(tmp.dir, 'seg1.pcap');
    const pb = join(tmp.dir, 'seg2.pcap');
    rmSync(pa, { force: true });
    rmSync(pb, { force: true });
    let listed = [pa];
    const seq = followFiles(() => listed, 512);
    const seen: Seen[] = [];
    let wa = 0;
    let wb = 0;
    for (let i = 1; i <= 20; i++) {
      const ca = Math.floor((a.length * i) / 20) - (i < 20 ? 7 : 0);
      const cb = Math.floor((b.length * i) / 20) - (i < 20 ? 3 : 0);
      appendFileSync(pa, a.subarray(wa, ca));
      wa = ca;
      if (i >= 3) {
        appendFileSync(pb, b.subarray(wb, cb));
        wb = cb;
      }
      // Listed by modification time: whichever was written last comes last.
      listed = i < 3 ? [pa] : i % 2 === 0 ? [pa, pb] : [pb, pa];
      await seq.poll((p) => void seen.push(copy(p)));
    }
    // The second file started late: its first pieces come in the poll after they were written.
    appendFileSync(pb, b.subarray(wb));
    await seq.poll((p) => void seen.push(copy(p)));
    expect(seen.filter((s) => s.fileIndex === 0)).toEqual(await oneShot([pa]));
    expect(seen.filter((s) => s.fileIndex === 1).map((s) => ({ ...s, fileIndex: 0 }))).toEqual(await oneShot([pb]));
    expect(seq.packets).toBe(seen.length);
    expect(seq.fileBytes).toBe(a.length + b.length);
    await seq.close();
  });

  it('ring buffer: files deleted (listed but gone, gone while followed, drained through the open handle)', async () => {
    const whole = readFileSync(PCAP);
    const offsets = recordOffsets(whole);
    const header = whole.subarray(0, 24);
    const parts = [0, 60, 120, 180, offsets.length].map((i) => offsets[i] ?? whole.length);
    const files = [0, 1, 2, 3].map((i) => Buffer.concat([header, whole.subarray(parts[i], parts[i + 1])]));
    const paths = [0, 1, 2, 3].map((i) => join(tmp.dir, `ring.pcap${i}`));
    const expected = await oneShot([PCAP]);
    const seen: Seen[] = [];
    const onPacket = (p: PacketRecord): void => void seen.push(copy(p));

    // The first file is listed but already deleted: nothing, no error.
    let listed = [paths[0], paths[1]];
    writeFileSync(paths[1], files[1].subarray(0, 3000));
    const seq = followFiles(() => listed);
    await seq.poll(onPacket);
    const first = seen.length;
    expect(first).toBeGreaterThan(0);
    // The followed file gets its last bytes and is deleted before the next poll, with the next one.
    appendFileSync(paths[1], files[1].subarray(3000));
    writeFileSync(paths[2], files[2]);
    writeFileSync(paths[3], files[3]);
    rmSync(paths[1]);
    rmSync(paths[2]);
    listed = [paths[3]];
    await seq.poll(onPacket);
    expect(seen.map((s) => s.bytes)).toEqual([...expected.slice(60, 120), ...expected.slice(180)].map((s) => s.bytes));
    expect(seq.fileBytes).toBe(files[1].length + files[3].length);
    expect(seq.followers.size).toBe(1);
    await seq.close();
  });

  it('ring buffer: a file rewritten in place with more bytes than before is noticed and read from its start', async () => {
    const whole = readFileSync(PCAP);
    const other = readFileSync(join(FIXTURES, 'close-wait.pcap'));
    const offsets = recordOffsets(whole);
    const path = join(tmp.dir, 'ring-reuse.pcap0');
    writeFileSync(path, whole.subarray(0, offsets[40]));
    const seq = followFiles(() => [path]);
    const seen: Seen[] = [];
    await seq.poll((p) => void seen.push(copy(p)));
    expect(seen).toHaveLength(40);
    // tcpdump -W wraps around: same name, truncated and rewritten, already longer than before.
    writeFileSync(path, other);
    seen.length = 0;
    await seq.poll((p) => void seen.push(copy(p)));
    expect(seq.followers.get(path)?.restarts).toBe(1);
    expect(seen).toEqual(await oneShot([path]));
    expect(seq.fileBytes).toBe(offsets[40] + other.length);
    await seq.close();
  });
});

describe('following only real files', () => {
  it('the live view does not follow a link put in place of a capture file', async () => {
    const { symlinkSync } = await import('node:fs');
    const { dir, cleanup } = tempDir();
    try {
      const link = join(dir, 'live.pcap');
      // A link to a real capture (standing for a root-only one) where the capture should be.
      symlinkSync(PCAP, link);
      const f = openFollower(link);
      const seen: Seen[] = [];
      const r = await pollFollower(f, (p) => seen.push(copy(p)));
      expect(r.packets).toBe(0);
      expect(seen).toEqual([]);
      expect(f.warning).toEqual({ code: 'not-a-file', message: 'is a symbolic link, not the capture file: not followed', file: link, offset: 0 });
      await closeFollower(f);
    } finally {
      cleanup();
    }
  });
});
