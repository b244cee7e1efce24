/**
 * \summary: link-layer decoders: Ethernet (802.1Q/QinQ), Linux cooked v1/v2, raw IP, BSD null/loop.
 *
 * Each returns the EtherType of the network layer (0x0800 IPv4, 0x86dd IPv6, other values are not
 * IP) and sets `networkOffset`, or returns -1 after marking `out` truncated. Link types are the
 * tcpdump.org LINKTYPE_* values.
 */
import { truncated, type DecodedPacket } from './decoded-packet.js';
import { u16be, u32be, u32le } from '../pcap/bytes.js';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW_12 = 12;
export const LINKTYPE_RAW_14 = 14;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

/** Link types wscap decodes, with the names tcpdump prints for them. */
export const linkTypeNames: Record<number, string> = {
  [LINKTYPE_NULL]: 'NULL',
  [LINKTYPE_ETHERNET]: 'EN10MB',
  [LINKTYPE_RAW_12]: 'RAW',
  [LINKTYPE_RAW_14]: 'RAW',
  [LINKTYPE_RAW]: 'RAW',
  [LINKTYPE_LOOP]: 'LOOP',
  [LINKTYPE_LINUX_SLL]: 'LINUX_SLL',
  [LINKTYPE_IPV4]: 'IPV4',
  [LINKTYPE_IPV6]: 'IPV6',
  [LINKTYPE_LINUX_SLL2]: 'LINUX_SLL2',
};

export interface LinkResult {
  networkOffset: number;
}

/** Ethernet II: dst(6) src(6) type(2), then any number of 802.1Q / 802.1ad tags (4 bytes each). */
export function decodeEthernet(buf: Buffer, at: number, end: number, out: DecodedPacket, link: LinkResult): number {
  if (at + 14 > end) {
    truncated(out, 'ethernet');
    return -1;
  }
  let type = u16be(buf, at + 12);
  let next = at + 14;
  while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) {
    if (next + 4 > end) {
      truncated(out, 'vlan');
      return -1;
    }
    type = u16be(buf, next + 2);
    next += 4;
  }
  link.networkOffset = next;
  return type;
}

/** Linux cooked v1: packet type(2) ARPHRD(2) addr len(2) addr(8) protocol(2). */
export function decodeLinuxSll(buf: Buffer, at: number, end: number, out: DecodedPacket, link: LinkResult): number {
  if (at + 16 > end) {
    truncated(out, 'linux_sll');
    return -1;
  }
  link.networkOffset = at + 16;
  return u16be(buf, at + 14);
}

/** Linux cooked v2: protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) addr len(1) addr(8). */
export function decodeLinuxSll2(buf: Buffer, at: number, end: number, out: DecodedPacket, link: LinkResult): number {
  if (at + 20 > end) {
    truncated(out, 'linux_sll2');
    return -1;
  }
  link.networkOffset = at + 20;
  return u16be(buf, at);
}

/** Raw IP: the version nibble says which. */
export function decodeRawIp(buf: Buffer, at: number, end: number, out: DecodedPacket, link: LinkResult): number {
  if (at + 1 > end) {
    truncated(out, 'raw');
    return -1;
  }
  link.networkOffset = at;
  const version = buf[at] >> 4;
  return version === 4 ? ETHERTYPE_IPV4 : version === 6 ? ETHERTYPE_IPV6 : 0;
}

/**
 * BSD null (0): a 4-byte address family in the *capturing host's* byte order; loop (108): in
 * network order. AF_INET is 2 everywhere; AF_INET6 is 24, 28 or 30 depending on the BSD.
 */
export function decodeNull(buf: Buffer, at: number, end: number, out: DecodedPacket, link: LinkResult): number {
  if (at + 4 > end) {
    truncated(out, 'null');
    return -1;
  }
  let family = u32be(buf, at);
  // Host byte order unknown: a family value is small, so a value with the low half empty is swapped.
  if ((family & 0xffff) === 0) family = u32le(buf, at);
  link.networkOffset = at + 4;
  if (family === 2) return ETHERTYPE_IPV4;
  if (family === 24 || family === 28 || family === 30) return ETHERTYPE_IPV6;
  return 0;
}
