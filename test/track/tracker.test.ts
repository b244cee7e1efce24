/** The connection table: tracking state follows open connections, not packets. */
import { describe, expect, it } from 'vitest';
import { ACK, FIN, SYN, PSH } from '../../src/decode/decoded-packet.js';
import { startReplay, type Step } from './replay.js';
import { join } from 'node:path';
import { loadExpectations } from '../helpers.js';
import { decodeCaptures } from '../../src/analyze/decode-captures.js';
import { summarizeConnection } from '../../src/analyze/summarize-connection.js';
import { finishTracker, newTracker, trackPacket } from '../../src/track/tracker.js';
import type { ConnectionReport } from '../../src/report/model.js';

function handshakeAndClose(port: number, t0: number): Step[] {
  const C = 1000 + port;
  const S = 9000;
  return [
    { from: 'client', port, flags: SYN, seq: C, ack: 0, t: t0 },
    { from: 'server', port, flags: SYN | ACK, seq: S, ack: C + 1, t: t0 + 0.001 },
    { from: 'client', port, flags: ACK, seq: C + 1, ack: S + 1, t: t0 + 0.002 },
    { from: 'client', port, flags: FIN | ACK, seq: C + 1, ack: S + 1, t: t0 + 1 },
    { from: 'server', port, flags: FIN | ACK, seq: S + 1, ack: C + 2, t: t0 + 1.001 },
    { from: 'client', port, flags: ACK, seq: C + 2, ack: S + 2, t: t0 + 1.002 },
  ];
}

describe('tracker table', () => {
  it('a closed connection leaves the table after the linger time; an idle open one stays', () => {
    const r = startReplay(120);
    r.feed(handshakeAndClose(50001, 1000));
    // A second connection that stays open and quiet (a WebSocket between pings).
    r.feed([
      { from: 'client', port: 50002, flags: SYN, seq: 1, ack: 0, t: 1000.5 },
      { from: 'server', port: 50002, flags: SYN | ACK, seq: 7, ack: 2, t: 1000.501 },
      { from: 'client', port: 50002, flags: ACK, seq: 2, ack: 8, t: 1000.502 },
    ]);
    expect(r.tracker.open).toBe(2);
    expect(r.rows).toHaveLength(0);
    // 100 s later: the closed one is within its linger time.
    r.feed([{ from: 'server', port: 50002, flags: PSH | ACK, seq: 8, ack: 2, len: 37, t: 1101 }]);
    expect(r.tracker.open).toBe(2);
    // 200 s later: the closed connection is finished and reported; the open one is still tracked.
    r.feed([{ from: 'server', port: 50002, flags: PSH | ACK, seq: 45, ack: 2, len: 37, t: 1201 }]);
    expect(r.tracker.open).toBe(1);
    expect(r.rows.map((c) => [c.id, c.clientState])).toEqual([['C1', 'TIME-WAIT']]);
    const rows = r.finish();
    expect(rows.map((c) => [c.id, c.clientState, c.server2client.bytes])).toEqual([
      ['C1', 'TIME-WAIT', 0],
      ['C2', 'ESTAB', 74],
    ]);
    expect(r.tracker.open).toBe(0);
  });

  it('many closed connections do not accumulate: the table holds only the recent ones', () => {
    const r = startReplay(120);
    let maxOpen = 0;
    for (let i = 0; i < 600; i++) {
      for (const n of r.feed(handshakeAndClose(20000 + i, 1000 + i * 10))) maxOpen = Math.max(maxOpen, n);
    }
    // One connection every 10 s, each closed after 1 s, kept 120 s, swept every 30 s:
    // at most (1 + 120 + 30) / 10 + 1 = 16 in the table at once, never growing with the count.
    expect(maxOpen).toBeLessThanOrEqual(16);
    expect(maxOpen).toBeGreaterThanOrEqual(12);
    expect(r.finish()).toHaveLength(600);
  });

  it('by default a closed connection leaves 5 s after its last packet (Zeek tcp_close_delay), swept each second', () => {
    const r = startReplay();
    r.feed(handshakeAndClose(50001, 1000));
    r.feed([{ from: 'client', port: 50002, flags: SYN, seq: 1, ack: 0, t: 1005.5 }]);
    // The last packet of C1 was at 1001.002: 4.5 s later it is still in the table.
    expect(r.tracker.open).toBe(2);
    // Swept at 1005.5, the next sweep is due at 1006.5: at 1006.1 it is still there, at 1006.6 gone.
    r.feed([{ from: 'client', port: 50002, flags: SYN, seq: 1, ack: 0, t: 1006.1 }]);
    expect(r.tracker.open).toBe(2);
    r.feed([{ from: 'client', port: 50002, flags: SYN, seq: 1, ack: 0, t: 1006.6 }]);
    expect(r.tracker.open).toBe(1);
    expect(r.rows.map((c) => [c.id, c.clientState])).toEqual([['C1', 'TIME-WAIT']]);
    expect(r.finish().map((c) => c.id)).toEqual(['C1', 'C2']);
  });

  it('a connection finished while still in the closed queue is not reused for a new one until the sweep has dropped it', () => {
    const r = startReplay();
    r.feed(handshakeAndClose(50001, 1000)); // C1 closes: queued for the sweep
    // C2 takes C1's tuple at once (another ISN): C1 is finished while still queued.
    r.feed(handshakeAndClose(50001, 1001.5).slice(0, 3).map((s) => ({ ...s, seq: s.seq + 5000 })));
    // C3 opens right after and stays open, idle (a WebSocket between pings) far past the linger time.
    r.feed([
      { from: 'client', port: 50003, flags: SYN, seq: 1, ack: 0, t: 1001.6 },
      { from: 'server', port: 50003, flags: SYN | ACK, seq: 7, ack: 2, t: 1001.601 },
      { from: 'client', port: 50003, flags: ACK, seq: 2, ack: 8, t: 1001.602 },
    ]);
    r.feed([{ from: 'client', port: 50002, flags: SYN, seq: 1, ack: 0, t: 1030 }]);
    // C3 is still open: only C1 was reported, and C3's next packet is C3's.
    expect(r.rows.map((c) => c.id)).toEqual(['C1']);
    r.feed([{ from: 'server', port: 50003, flags: PSH | ACK, seq: 8, ack: 2, len: 10, t: 1031 }]);
    expect(r.finish().map((c) => [c.id, c.client.port, c.server2client.bytes])).toEqual([
      ['C1', 50001, 0],
      ['C2', 50001, 0],
      ['C3', 50003, 10],
      ['C4', 50002, 0],
    ]);
  });

  it('holds thousands of connections open at once (the bucket array grows), each found again by its packets', () => {
    const r = startReplay(120);
    // 5,000 connections, all open before any closes; ports 1,024 apart in part, so that without
    // the hash's final mixing they would share their low bits.
    const ports = Array.from({ length: 5000 }, (_, i) => (i < 50 ? 1024 * (i + 1) : 52000 + i));
    const opens = ports.flatMap((port, i) => handshakeAndClose(port, 1000 + i * 1e-4).slice(0, 3));
    r.feed(opens);
    expect(r.tracker.open).toBe(5000);
    expect(r.tracker.table.length).toBeGreaterThanOrEqual(5000);
    // Data from each server side, then every close: each packet must land on its own connection.
    r.feed(ports.map((port) => ({ from: 'server' as const, port, flags: PSH | ACK, seq: 9001, ack: 1000 + port + 1, len: port % 97, t: 1002 })));
    r.feed(ports.flatMap((port) => handshakeAndClose(port, 1002).slice(3).map((s) => ({ ...s, seq: s.from === 'server' ? s.seq + (port % 97) : s.seq }))));
    const rows = r.finish();
    expect(rows).toHaveLength(5000);
    expect(rows.map((c) => [c.client.port, c.server2client.bytes, c.server2client.packets, c.clientState])).toEqual(
      ports.map((port) => [port, port % 97, 3, 'TIME-WAIT']),
    );
    expect(r.tracker.open).toBe(0);
  });

  it('a closed connection replaced by a new SYN on its tuple is finished once, not again by the sweep', () => {
    const r = startReplay();
    r.feed(handshakeAndClose(50001, 1000));
    // The same tuple reused at once (a client that binds its port), then time passes.
    r.feed(handshakeAndClose(50001, 1002).map((s) => ({ ...s, seq: s.seq + 5000 })));
    r.feed([{ from: 'client', port: 50003, flags: SYN, seq: 1, ack: 0, t: 1020 }]);
    expect(r.rows.map((c) => c.id)).toEqual(['C1', 'C2']);
    expect(r.tracker.open).toBe(1);
    expect(r.finish().map((c) => c.id)).toEqual(['C1', 'C2', 'C3']);
  });
});

describe('reused tracking state', () => {
  it('a connection on reused state reports exactly what it reports on fresh state, on every fixture', async () => {
    let reused = 0;
    for (const exp of loadExpectations()) {
      const paths = exp.files.map((f) => join(exp.dir, f));
      const rowsOf = async (reuseState: boolean): Promise<ConnectionReport[]> => {
        const rows: ConnectionReport[] = [];
        // No linger: connections finish (and give their state back) as soon as they close.
        const tracker = newTracker({ serverPort: 443, closedLingerS: 0, reuseState }, (c) => {
          rows.push(summarizeConnection(c, { captureEnd: 0, snaplen: null }));
        });
        let before = 0;
        await decodeCaptures(paths, (p) => {
          before = tracker.spare.length;
          trackPacket(tracker, p);
          if (tracker.spare.length < before) reused++;
        });
        finishTracker(tracker);
        return rows;
      };
      expect(await rowsOf(true), exp.name).toEqual(await rowsOf(false));
    }
    // The check means something only if state was reused.
    expect(reused).toBeGreaterThanOrEqual(10); // 15 with the fixtures of 2026-11-27
  });
});
