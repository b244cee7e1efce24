// pcap-parser iterating a capture and doing nothing else: the Node library baseline both
// benchmarks time. Resolves to { packets, bytes } (plus `error` when the library reported one).
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function countWithPcapParser(file) {
  const require = createRequire(path.join(ROOT, 'package.json'));
  const pcapParser = require('pcap-parser');
  return new Promise((resolve) => {
    let packets = 0;
    let bytes = 0;
    let error = null;
    const parser = pcapParser.parse(file);
    parser.on('packet', (p) => {
      packets++;
      bytes += p.header.capturedLength;
    });
    parser.on('error', (err) => {
      error = err.message;
    });
    parser.on('end', () => resolve(error ? { packets, bytes, error } : { packets, bytes }));
  });
}
