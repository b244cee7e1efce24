#!/usr/bin/env node
// Measures the heap bytes wscap keeps per open connection (tracker state) and per finished
// connection (its report row). Prints figures; run with `node --expose-gc bench/connection-memory.mjs`
// after `npm run build`.
import { newDecodedPacket, DECODED_TCP, SYN, ACK, PSH } from '../dist/decode/decoded-packet.js';
import { newTracker, trackPacket, finishTracker } from '../dist/track/tracker.js';
import { summarizeConnection } from '../dist/analyze/summarize-connection.js';

if (typeof globalThis.gc !== 'function') {
  console.error('run with: node --expose-gc bench/connection-memory.mjs');
  process.exit(2);
}
const N = Number(process.argv[2] ?? 20000);

function heap() {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

const p = newDecodedPacket();
function send(tracker, clientIndex, fromClient, flags, seq, ack, len, t) {
  p.status = DECODED_TCP;
  p.ipVersion = 4;
  p.addresses.fill(0);
  const client = (0x0a000000 + clientIndex) >>> 0;
  p.addresses[3] = fromClient ? client : 0x0a7f0001;
  p.addresses[7] = fromClient ? 0x0a7f0001 : client;
  p.srcPort = fromClient ? 40000 + (clientIndex % 20000) : 443;
  p.dstPort = fromClient ? 443 : 40000 + (clientIndex % 20000);
  p.flags = flags;
  p.seq = seq;
  p.ack = ack;
  p.window = 512;
  p.payloadLength = len;
  p.time = t;
  trackPacket(tracker, p);
}

const rows = [];
const tracker = newTracker({ serverPort: 443 }, (c) => rows.push(summarizeConnection(c, { captureEnd: 0, snaplen: null })));
const before = heap();
for (let i = 0; i < N; i++) {
  const t = 1000 + i * 1e-4;
  send(tracker, i, true, SYN, 1, 0, 0, t);
  send(tracker, i, false, SYN | ACK, 100, 2, 0, t);
  send(tracker, i, true, ACK, 2, 101, 0, t);
  send(tracker, i, false, PSH | ACK, 101, 2, 356, t);
}
const open = heap();
finishTracker(tracker);
const finished = heap();
const perOpen = (open - before) / N;
const perRow = (finished - before) / N;
console.log(`connections:                 ${N}`);
console.log(`heap per open connection:    ${perOpen.toFixed(0)} bytes (tracker state, table entry included)`);
console.log(`heap per finished connection: ${perRow.toFixed(0)} bytes (report row, tracker state released)`);
console.log(`node ${process.version}`);
