/** \summary: IPv4 header decoder (RFC 791). */
import { FRAGMENT, invalid, truncated, type DecodeStatus, type DecodedPacket } from './decoded-packet.js';
import { decodeTcp } from './tcp.js';
import { decodeNonTcp } from './udp.js';
import { u16be, u32be } from '../pcap/bytes.js';

const IPPROTO_TCP = 6;

/**
 * Decodes the IPv4 header at `at`; `end` is the end of the captured bytes and `wireEnd` where the
 * packet ended on the wire (offset + original length), used when the total length field is 0
 * (TCP segmentation offload on the capturing host writes 0 there).
 */
export function decodeIpv4(buf: Buffer, at: number, end: number, wireEnd: number, out: DecodedPacket): DecodeStatus {
  if (at + 20 > end) return truncated(out, 'ipv4');
  const versionIhl = buf[at];
  if (versionIhl >> 4 !== 4) return invalid(out, 'ipv4', 'version is not 4');
  const headerLength = (versionIhl & 0x0f) * 4;
  if (headerLength < 20) return invalid(out, 'ipv4', 'header length below 20');
  const totalLength = u16be(buf, at + 2);
  let ipLength = totalLength;
  if (totalLength === 0) ipLength = wireEnd - at;
  else if (totalLength < headerLength) return invalid(out, 'ipv4', 'total length below header length');
  out.ipVersion = 4;
  out.ttl = buf[at + 8];
  const a = out.addresses;
  a[0] = 0;
  a[1] = 0;
  a[2] = 0;
  a[3] = u32be(buf, at + 12);
  a[4] = 0;
  a[5] = 0;
  a[6] = 0;
  a[7] = u32be(buf, at + 16);
  const protocol = buf[at + 9];
  // More-fragments flag or a fragment offset: TCP header of this datagram is not whole here.
  if ((u16be(buf, at + 6) & 0x3fff) !== 0) {
    out.status = FRAGMENT;
    out.protocol = 'ipv4';
    return FRAGMENT;
  }
  // Not TCP: NOT_TCP, or DNS_RESPONSE for a DNS response over UDP (one call, off the TCP path).
  if (protocol !== IPPROTO_TCP) return decodeNonTcp(buf, at + headerLength, end, ipLength - headerLength, protocol, out);
  if (at + headerLength > end) return truncated(out, 'ipv4');
  return decodeTcp(buf, at + headerLength, end, ipLength - headerLength, out);
}
