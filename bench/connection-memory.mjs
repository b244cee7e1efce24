#!/usr/bin/env node
// Measures the heap bytes wscap keeps per open connection (tracker state), per finished connection
// whose report row is kept (text report), and per finished connection streamed into the JSON row
// spill (json report). Prints figures; run with `node --expose-gc bench/connection-memory.mjs`
// after `npm run build`.
import { newDecodedPacket, DECODED_TCP, SYN, ACK, PSH } from '../dist/decode/decoded-packet.js';
import { newTracker, trackPacket, finishTracker } from '../dist/track/tracker.js';
import { summarizeConnection } from '../dist/analyze/summarize-connection.js';
import { addJsonRow, closeJsonRowSpill, newJsonRowSpill } from '../dist/render/json-rows.js';
import { newDiagnosis, observeRow } from '../dist/analyze/diagnosis/diagnose.js';

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

/** Opens N connections (handshake and one data segment each); returns the tracker. */
function openAll(onDone) {
  const tracker = newTracker({ serverPort: 443 }, onDone);
  for (let i = 0; i < N; i++) {
    const t = 1000 + i * 1e-4;
    send(tracker, i, true, SYN, 1, 0, 0, t);
    send(tracker, i, false, SYN | ACK, 100, 2, 0, t);
    send(tracker, i, true, ACK, 2, 101, 0, t);
    send(tracker, i, false, PSH | ACK, 101, 2, 356, t);
  }
  return tracker;
}

/** Opens N connections whose rows go to onDone, finishes them, drops the spare states; then `measure()`. */
function finishAll(onDone, measure) {
  const tracker = openAll(onDone);
  finishTracker(tracker);
  tracker.spare.length = 0;
  return measure();
}

const context = { captureEnd: 0, snaplen: null };

// Rows kept in memory (the text report).
const rows = [];
let before = heap();
const tracker = openAll((c) => rows.push(summarizeConnection(c, context)));
const open = heap();
finishTracker(tracker);
const spareCount = tracker.spare.length;
const withSpare = heap();
tracker.spare.length = 0;
const finished = heap();
const perOpen = (open - before) / N;
const perRow = (finished - before) / N;
const perSpare = (withSpare - finished) / spareCount;
rows.length = 0;

// Rows streamed to the JSON spill (the json report): only their place is kept.
before = heap();
const spill = newJsonRowSpill();
const perStreamed = (finishAll((c) => addJsonRow(spill, summarizeConnection(c, context)), heap) - before) / N;
const spillBytes = spill.stored + spill.pendingBytes;
closeJsonRowSpill(spill);

// What the diagnosis keeps of each finished connection (its columns, typed arrays outside the
// heap included, and the rule candidates), beyond the streamed row's place.
const withBuffers = () => heap() + process.memoryUsage().arrayBuffers;
before = withBuffers();
const diagnosis = newDiagnosis();
const perObserved = (finishAll((c) => observeRow(diagnosis, summarizeConnection(c, context)), withBuffers) - before) / N;

console.log(`connections:                  ${N}`);
console.log(`heap per open connection:     ${perOpen.toFixed(0)} bytes (tracker state, table entry included)`);
console.log(`heap per finished connection: ${perRow.toFixed(0)} bytes when its report row is kept (text report)`);
console.log(`                              ${perStreamed.toFixed(0)} bytes when its row is streamed (json report; ${(spillBytes / N).toFixed(0)} bytes of JSON per row in the spill file)`);
console.log(`                              ${perObserved.toFixed(0)} bytes kept by the diagnosis (columns and rule candidates, typed arrays included)`);
console.log(`spare tracking states:        ${spareCount} kept for reuse, ${perSpare.toFixed(0)} bytes each`);
console.log(`node ${process.version}`);
