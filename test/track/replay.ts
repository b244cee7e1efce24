/**
 * Drives the tracker with a described packet flow (client 10.0.0.1:40000, server 10.0.0.2:80).
 * For state-machine tests whose traces are not at hand as files; the flows are written out
 * packet by packet, so no packet bytes are forged.
 */
import { DECODED_TCP, newDecodedPacket } from '../../src/decode/decoded-packet.js';
import { finishTracker, newTracker, trackPacket, type Tracker } from '../../src/track/tracker.js';
import { summarizeConnection } from '../../src/analyze/summarize-connection.js';
import type { ConnectionReport } from '../../src/report/model.js';

export const CLIENT_PORT = 40000;
export const SERVER_PORT = 80;
const CLIENT = 0x0a000001;
const SERVER = 0x0a000002;

export interface Step {
  from: 'client' | 'server';
  flags: number;
  seq: number;
  ack: number;
  len?: number;
  /** Capture time; default: 10 ms after the previous step. */
  t?: number;
  /** Client port, to run several connections at once (default CLIENT_PORT). */
  port?: number;
}

export interface Replay {
  tracker: Tracker;
  rows: ConnectionReport[];
  /** Applies steps; returns how many connections the tracker still holds after each. */
  feed(steps: Step[]): number[];
  finish(): ConnectionReport[];
}

export function startReplay(closedLingerS?: number): Replay {
  const rows: ConnectionReport[] = [];
  const tracker = newTracker({ serverPort: 443, closedLingerS }, (c) => rows.push(summarizeConnection(c, { captureEnd: 0, snaplen: null })));
  const p = newDecodedPacket();
  let t = 1000;
  return {
    tracker,
    rows,
    feed(steps) {
      const open: number[] = [];
      for (const s of steps) {
        const fromClient = s.from === 'client';
        const clientPort = s.port ?? CLIENT_PORT;
        p.status = DECODED_TCP;
        p.ipVersion = 4;
        p.addresses.fill(0);
        p.addresses[3] = fromClient ? CLIENT : SERVER;
        p.addresses[7] = fromClient ? SERVER : CLIENT;
        p.srcPort = fromClient ? clientPort : SERVER_PORT;
        p.dstPort = fromClient ? SERVER_PORT : clientPort;
        p.flags = s.flags;
        p.seq = s.seq;
        p.ack = s.ack;
        p.window = 65535;
        p.payloadLength = s.len ?? 0;
        t = s.t ?? t + 0.01;
        p.time = t;
        trackPacket(tracker, p);
        open.push(tracker.open);
      }
      return open;
    },
    finish() {
      finishTracker(tracker);
      return rows;
    },
  };
}

/** Replays a whole flow and returns the report rows. */
export function replay(steps: Step[]): ConnectionReport[] {
  const r = startReplay();
  r.feed(steps);
  return r.finish();
}
