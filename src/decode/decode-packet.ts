/**
 * \summary: decodes one captured packet, link layer to TCP, into the reused DecodedPacket.
 *
 * The link type picks the link decoder, the EtherType picks the network decoder; IP hands TCP
 * segments to the TCP decoder. Everything else ends with a status and is only counted.
 */
import type { PacketRecord } from '../pcap/packet-record.js';
import { NOT_IP, UNKNOWN_LINK, type DecodeStatus, type DecodedPacket } from './decoded-packet.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import {
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  LINKTYPE_RAW_12,
  LINKTYPE_RAW_14,
  decodeEthernet,
  decodeLinuxSll,
  decodeLinuxSll2,
  decodeNull,
  decodeRawIp,
  type LinkResult,
} from './link.js';

type LinkDecoder = (buf: Buffer, at: number, end: number, out: DecodedPacket, link: LinkResult) => number;

/** Link type → decoder, built once. */
const linkDecoders = new Map<number, LinkDecoder>([
  [LINKTYPE_ETHERNET, decodeEthernet],
  [LINKTYPE_LINUX_SLL, decodeLinuxSll],
  [LINKTYPE_LINUX_SLL2, decodeLinuxSll2],
  [LINKTYPE_RAW, decodeRawIp],
  [LINKTYPE_RAW_12, decodeRawIp],
  [LINKTYPE_RAW_14, decodeRawIp],
  [LINKTYPE_IPV4, decodeRawIp],
  [LINKTYPE_IPV6, decodeRawIp],
  [LINKTYPE_NULL, decodeNull],
  [LINKTYPE_LOOP, decodeNull],
]);

export function isSupportedLinkType(linkType: number): boolean {
  return linkDecoders.has(linkType);
}

const link: LinkResult = { networkOffset: 0 };

/** The last link type looked up and its decoder: a capture's packets nearly all share one. */
let lastLinkType = -1;
let lastLinkDecoder: LinkDecoder | undefined;

export function decodePacket(packet: PacketRecord, out: DecodedPacket): DecodeStatus {
  if (packet.linkType !== lastLinkType) {
    lastLinkType = packet.linkType;
    lastLinkDecoder = linkDecoders.get(lastLinkType);
  }
  const decodeLink = lastLinkDecoder;
  if (decodeLink === undefined) {
    out.status = UNKNOWN_LINK;
    return UNKNOWN_LINK;
  }
  const buf = packet.data;
  // Stored only when it changes (once per file chunk): a pointer store costs a GC write barrier.
  if (out.buffer !== buf) out.buffer = buf;
  out.time = packet.time;
  const start = packet.offset;
  const end = start + packet.capturedLength;
  const wireEnd = start + packet.originalLength;
  const etherType = decodeLink(buf, start, end, out, link);
  if (etherType < 0) return out.status;
  if (etherType === ETHERTYPE_IPV4) return decodeIpv4(buf, link.networkOffset, end, wireEnd, out);
  if (etherType === ETHERTYPE_IPV6) return decodeIpv6(buf, link.networkOffset, end, wireEnd, out);
  out.status = NOT_IP;
  return NOT_IP;
}
