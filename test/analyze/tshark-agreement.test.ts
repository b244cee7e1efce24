/**
 * Per-connection packet and byte counts agree with tshark run now on the same file: frames per
 * tcp.stream and the sum of tcp.len per direction (the acceptance check, live).
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { analyzeCaptures } from '../../src/analyze/analyze-captures.js';
import { endpoint, loadExpectations } from '../helpers.js';

interface StreamCounts {
  client: string;
  c2sPackets: number;
  c2sBytes: number;
  s2cPackets: number;
  s2cBytes: number;
}

interface TsharkPacket {
  src: string;
  srcPort: number;
  dstPort: number;
  len: number;
  isPureSyn: boolean;
  isSynAck: boolean;
}

/** Per tcp.stream counts, in order of each stream's first frame. */
function tsharkStreams(path: string): StreamCounts[] {
  const fields = ['tcp.stream', 'ip.src', 'ipv6.src', 'tcp.srcport', 'tcp.dstport', 'tcp.len', 'tcp.flags.syn', 'tcp.flags.ack'];
  const out = execFileSync('tshark', ['-n', '-r', path, '-Y', 'tcp', '-T', 'fields', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    timeout: 20_000,
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const streams = new Map<string, TsharkPacket[]>();
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const [stream, ip4, ip6, sport, dport, len, syn, ack] = line.split('\t');
    // No stream: tshark could not read the TCP header either ("Packet size limited during capture").
    if (stream === '') continue;
    const isSyn = syn === '1' || syn === 'True';
    const isAck = ack === '1' || ack === 'True';
    const packet: TsharkPacket = {
      src: ip6 ? `[${ip6}]:${sport}` : `${ip4}:${sport}`,
      srcPort: Number(sport),
      dstPort: Number(dport),
      len: Number(len),
      isPureSyn: isSyn && !isAck,
      isSynAck: isSyn && isAck,
    };
    const list = streams.get(stream);
    if (list) list.push(packet);
    else streams.set(stream, [packet]);
  }
  return [...streams.values()].map((packets) => {
    // Client: the SYN sender; else the receiver of a SYN-ACK; else the side not on port 443.
    const syn = packets.find((p) => p.isPureSyn);
    const synAck = packets.find((p) => p.isSynAck);
    const first = packets[0];
    let client: string;
    if (syn) client = syn.src;
    else if (synAck) client = packets.find((p) => p.src !== synAck.src)?.src ?? '';
    else if (first.srcPort === 443 && first.dstPort !== 443) client = packets.find((p) => p.src !== first.src)?.src ?? '';
    else client = first.src;
    const counts: StreamCounts = { client, c2sPackets: 0, c2sBytes: 0, s2cPackets: 0, s2cBytes: 0 };
    for (const p of packets) {
      if (p.src === client) {
        counts.c2sPackets++;
        counts.c2sBytes += p.len;
      } else {
        counts.s2cPackets++;
        counts.s2cBytes += p.len;
      }
    }
    return counts;
  });
}

const singleFile = loadExpectations().filter((e) => e.files.length === 1);

describe('agreement with tshark on every single-file fixture', () => {
  for (const exp of singleFile) {
    it(exp.name, async () => {
      const path = join(exp.dir, exp.files[0]);
      const report = await analyzeCaptures([path], { serverPort: 443, generator: 'wscap test' });
      const ours = report.connections.map((c) => ({
        client: endpoint(c.client),
        c2sPackets: c.client2server.packets,
        c2sBytes: c.client2server.bytes,
        s2cPackets: c.server2client.packets,
        s2cBytes: c.server2client.bytes,
      }));
      expect(ours).toEqual(tsharkStreams(path));
    });
  }
});
