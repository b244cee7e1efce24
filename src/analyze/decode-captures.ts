/**
 * \summary: the reading and decoding half of the pipeline: capture files → decoded TCP headers,
 * with everything else counted. Its result is plain data.
 */
import { readCaptures } from '../pcap/read-captures.js';
import { fileBytesRead, type CaptureCursor } from '../pcap/capture-cursor.js';
import type { PacketRecord } from '../pcap/packet-record.js';
import {
  DECODED_TCP,
  DNS_RESPONSE,
  FRAGMENT,
  INVALID,
  NOT_IP,
  NOT_TCP,
  TRUNCATED,
  UNKNOWN_LINK,
  newDecodedPacket,
  type DecodedPacket,
} from '../decode/decoded-packet.js';
import { decodePacket } from '../decode/decode-packet.js';
import { TYPE_A, addressNames, parseDnsResponse, type DnsResponse } from '../decode/dns.js';
import { linkTypeNames } from '../decode/link.js';
import { formatAddress } from '../track/address.js';
import type { CaptureFileReport, CaptureWarning } from '../report/model.js';

/** Counts of packets by what the decoder made of them. */
export interface PacketCounts {
  packets: number;
  tcp: number;
  notTcp: number;
  truncated: number;
  fragment: number;
  invalid: number;
  unknownLink: number;
  /** Packets with / without a timestamp (pcapng simple packet blocks have none). */
  timed: number;
  untimed: number;
  firstUntimed: { file: number; offset: number } | null;
  /** First packet's time and the latest time seen, over packets with a timestamp. */
  firstTime: number;
  lastTime: number;
  /** First offset of a truncated/unknown-link packet per file, for the warnings. */
  firstTruncated: { file: number; offset: number; protocol: string } | null;
  firstInvalid: { file: number; offset: number; protocol: string; detail: string } | null;
  unknownLinkTypes: number[];
  /** TCP options running past their header, and packets earlier than the latest before them. */
  optionsOverrun: number;
  firstOptionsOverrun: { file: number; offset: number } | null;
  timeBackwards: number;
  firstTimeBackwards: { file: number; offset: number } | null;
}

export interface DecodeResult {
  files: CaptureFileReport[];
  /** Damage that stopped a file early (truncated, corrupt, read-error). */
  fileWarnings: CaptureWarning[];
  counts: PacketCounts;
  /**
   * Names for server addresses from the DNS responses in the capture (UDP from port 53, QR set,
   * opcode QUERY, rcode 0): address text as formatAddress writes it → the names that lead to it
   * (question name, then each CNAME target), in the order first seen, each once. At most
   * MAX_DNS_ADDRESSES addresses and MAX_DNS_NAMES names per address; further ones are ignored.
   */
  dnsNames: Map<string, string[]>;
}

export const MAX_DNS_ADDRESSES = 10_000;
export const MAX_DNS_NAMES = 8;

export function newPacketCounts(): PacketCounts {
  return {
    packets: 0,
    tcp: 0,
    notTcp: 0,
    truncated: 0,
    fragment: 0,
    invalid: 0,
    unknownLink: 0,
    timed: 0,
    untimed: 0,
    firstUntimed: null,
    firstTime: 0,
    lastTime: 0,
    firstTruncated: null,
    firstInvalid: null,
    unknownLinkTypes: [],
    optionsOverrun: 0,
    firstOptionsOverrun: null,
    timeBackwards: 0,
    firstTimeBackwards: null,
  };
}

/** How far the reading is: bytes of the files on disk (compressed ones: compressed bytes), packets. */
export interface ReadProgress {
  bytesRead: number;
  bytesTotal: number;
  packets: number;
}

export interface DecodeHooks {
  /** Before the first packet: the smallest snap length of the files (null if none says). */
  onSnaplen?: (snaplen: number | null) => void;
  /** Every PROGRESS_EVERY packets, and once at the end. */
  onProgress?: (progress: ReadProgress) => void;
}

/**
 * A packet earlier than the latest before it by more than this is out of order. Smaller steps
 * back are normal: tcpdump on several CPUs writes packets a few microseconds out of order.
 */
const BACKWARDS_TOLERANCE_S = 0.01;

/** Packets between progress reports (a power of two: the check is one AND per packet). */
const PROGRESS_EVERY = 1 << 14;

/**
 * Reads and decodes every packet; calls `onTcp` synchronously for each decoded TCP packet with
 * the reused header view (its time is `decoded.time`: a number passed to a call V8 does not
 * inline is boxed, 16 bytes of garbage per packet). Before the first packet, `onSnaplen` gets the
 * smallest snap length of the files (null if none says). Throws CaptureFileError for a file that
 * is not a capture at all.
 */
export async function decodeCaptures(
  paths: string[],
  onTcp: (decoded: DecodedPacket) => void,
  hooks: DecodeHooks = {},
): Promise<DecodeResult> {
  const decoded = newDecodedPacket();
  const counts = newPacketCounts();
  const dnsNames = new Map<string, string[]>();
  let opened: readonly CaptureCursor[] = [];
  const onProgress = hooks.onProgress;
  const progress = (): ReadProgress => ({
    bytesRead: opened.reduce((sum, c) => sum + fileBytesRead(c), 0),
    bytesTotal: opened.reduce((sum, c) => sum + c.fileSize, 0),
    packets: counts.packets,
  });
  const onPacket = (packet: PacketRecord): void => {
    counts.packets++;
    if ((counts.packets & (PROGRESS_EVERY - 1)) === 0 && onProgress !== undefined) onProgress(progress());
    if (packet.hasTimestamp) {
      if (counts.timed === 0) counts.firstTime = packet.time;
      counts.timed++;
      if (packet.time > counts.lastTime) counts.lastTime = packet.time;
      else if (packet.time < counts.lastTime - BACKWARDS_TOLERANCE_S) {
        counts.timeBackwards++;
        counts.firstTimeBackwards ??= { file: packet.fileIndex, offset: packet.fileOffset };
      }
    } else {
      counts.untimed++;
      counts.firstUntimed ??= { file: packet.fileIndex, offset: packet.fileOffset };
    }
    const status = decodePacket(packet, decoded);
    if (status === DECODED_TCP) {
      counts.tcp++;
      if (decoded.isOptionsOverrun) {
        counts.optionsOverrun++;
        counts.firstOptionsOverrun ??= { file: packet.fileIndex, offset: packet.fileOffset };
      }
      onTcp(decoded);
      return;
    }
    if (status === DNS_RESPONSE) {
      counts.notTcp++; // counted as any non-TCP packet
      const at = decoded.payloadOffset;
      addDnsNames(dnsNames, parseDnsResponse(decoded.buffer, at, at + decoded.capturedPayloadLength));
      return;
    }
    countUndecoded(counts, status, packet, decoded);
  };
  const cursors = await readCaptures(paths, onPacket, (files) => {
    opened = files;
    hooks.onSnaplen?.(smallestSnaplen(files.map((c) => c.snaplen)));
  });
  onProgress?.(progress());
  return {
    files: cursors.map((c) => ({
      path: c.path,
      format: c.format,
      isGzip: c.isGzip,
      linkTypes: c.linkTypes,
      timestampPrecision: c.precision,
      snaplen: c.snaplen > 0 ? c.snaplen : null,
      packets: c.packets,
    })),
    fileWarnings: cursors.flatMap((c) => (c.warning ? [c.warning] : [])),
    counts,
    dnsNames,
  };
}

/**
 * Adds the address → names of one parsed DNS message to `names` (see DecodeResult.dnsNames): only
 * a response (QR) to a standard query (opcode 0) without error (rcode 0); within the bounds.
 */
export function addDnsNames(names: Map<string, string[]>, res: DnsResponse | null): void {
  if (res === null || !res.isResponse || res.opcode !== 0 || res.rcode !== 0) return;
  for (const answer of res.answers) {
    if (answer.address === null) continue;
    const address = formatAddress(answer.address, 0, answer.type === TYPE_A ? 4 : 6);
    let list = names.get(address);
    if (list === undefined) {
      if (names.size >= MAX_DNS_ADDRESSES) continue;
      list = [];
      names.set(address, list);
    }
    for (const name of addressNames(res, answer)) {
      if (list.length >= MAX_DNS_NAMES) break;
      if (!list.includes(name)) list.push(name);
    }
  }
}

/** The smallest snap length that is set (0 means the file does not say). */
function smallestSnaplen(snaplens: number[]): number | null {
  const set = snaplens.filter((n) => n > 0);
  return set.length > 0 ? Math.min(...set) : null;
}

function countUndecoded(counts: PacketCounts, status: number, packet: PacketRecord, decoded: DecodedPacket): void {
  switch (status) {
    case NOT_IP:
    case NOT_TCP:
      counts.notTcp++;
      break;
    case TRUNCATED:
      counts.truncated++;
      counts.firstTruncated ??= { file: packet.fileIndex, offset: packet.fileOffset, protocol: decoded.protocol };
      break;
    case FRAGMENT:
      counts.fragment++;
      break;
    case INVALID:
      counts.invalid++;
      counts.firstInvalid ??= { file: packet.fileIndex, offset: packet.fileOffset, protocol: decoded.protocol, detail: decoded.detail };
      break;
    case UNKNOWN_LINK:
      counts.unknownLink++;
      if (!counts.unknownLinkTypes.includes(packet.linkType)) counts.unknownLinkTypes.push(packet.linkType);
      break;
  }
}

export function packetWarnings(counts: PacketCounts, paths: string[]): CaptureWarning[] {
  const warnings: CaptureWarning[] = [];
  if (counts.truncated > 0 && counts.firstTruncated) {
    const first = counts.firstTruncated;
    warnings.push({
      code: 'snaplen',
      message: `${counts.truncated} packet(s) cut by the snap length before their TCP header ended; not analysed (first at byte offset ${first.offset}, cut in ${first.protocol})`,
      file: paths[first.file],
      offset: first.offset,
    });
  }
  if (counts.invalid > 0 && counts.firstInvalid) {
    const first = counts.firstInvalid;
    warnings.push({
      code: 'invalid-header',
      message: `${counts.invalid} packet(s) with impossible IP/TCP headers; not analysed (first at byte offset ${first.offset}: ${first.protocol} ${first.detail})`,
      file: paths[first.file],
      offset: first.offset,
    });
  }
  if (counts.untimed > 0 && counts.firstUntimed) {
    const first = counts.firstUntimed;
    warnings.push({
      code: 'no-timestamps',
      message: `${counts.untimed} packet(s) in pcapng simple packet blocks carry no timestamp; their connections' times are the file's previous timestamp, or 0 (first at byte offset ${first.offset})`,
      file: paths[first.file],
      offset: first.offset,
    });
  }
  if (counts.optionsOverrun > 0 && counts.firstOptionsOverrun) {
    const first = counts.firstOptionsOverrun;
    warnings.push({
      code: 'tcp-options',
      message: `${counts.optionsOverrun} packet(s) with a TCP option that runs past its header; analysed all the same (first at byte offset ${first.offset})`,
      file: paths[first.file],
      offset: first.offset,
    });
  }
  if (counts.timeBackwards > 0 && counts.firstTimeBackwards) {
    const first = counts.firstTimeBackwards;
    warnings.push({
      code: 'time-backwards',
      message: `${counts.timeBackwards} packet(s) more than 10 ms earlier than a packet before them (a reordered file); times and durations use the latest time seen (first at byte offset ${first.offset})`,
      file: paths[first.file],
      offset: first.offset,
    });
  }
  if (counts.fragment > 0) {
    warnings.push({
      code: 'ip-fragments',
      message: `${counts.fragment} IP fragment(s) not reassembled; not analysed`,
      file: null,
      offset: null,
    });
  }
  if (counts.unknownLink > 0) {
    const types = counts.unknownLinkTypes.map((t) => `${t}${linkTypeNames[t] ? ` (${linkTypeNames[t]})` : ''}`);
    warnings.push({
      code: 'unsupported-link-type',
      message: `${counts.unknownLink} packet(s) on unsupported link type(s) ${types.join(', ')}; not analysed`,
      file: null,
      offset: null,
    });
  }
  return warnings;
}
