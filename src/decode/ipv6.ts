/** \summary: IPv6 header decoder with extension-header walk (RFC 8200). */
import { FRAGMENT, truncated, invalid, type DecodeStatus, type DecodedPacket } from './decoded-packet.js';
import { decodeTcp } from './tcp.js';
import { decodeNonTcp } from './udp.js';
import { u16be, u32be } from '../pcap/bytes.js';

const IPPROTO_TCP = 6;
const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT_HEADER = 44;
const AUTH_HEADER = 51;
const DEST_OPTIONS = 60;

export function decodeIpv6(buf: Buffer, at: number, end: number, wireEnd: number, out: DecodedPacket): DecodeStatus {
  if (at + 40 > end) return truncated(out, 'ipv6');
  if (buf[at] >> 4 !== 6) return invalid(out, 'ipv6', 'version is not 6');
  const payloadLength = u16be(buf, at + 4);
  out.ipVersion = 6;
  out.ttl = buf[at + 7];
  const a = out.addresses;
  for (let i = 0; i < 8; i++) a[i] = u32be(buf, at + 8 + i * 4);
  // Payload length 0 means a jumbogram (RFC 2675) or offload: take what the wire had.
  let remaining = payloadLength === 0 ? wireEnd - at - 40 : payloadLength;
  let next = buf[at + 6];
  let p = at + 40;
  for (;;) {
    if (next === IPPROTO_TCP) return decodeTcp(buf, p, end, remaining, out);
    let length: number;
    if (next === HOP_BY_HOP || next === ROUTING || next === DEST_OPTIONS) {
      if (p + 2 > end) return truncated(out, 'ipv6');
      length = (buf[p + 1] + 1) * 8; // in 8-octet units, not counting the first 8 (RFC 8200 4.3)
    } else if (next === AUTH_HEADER) {
      if (p + 2 > end) return truncated(out, 'ipv6');
      length = (buf[p + 1] + 2) * 4; // in 4-octet units, minus 2 (RFC 4302 2.2)
    } else if (next === FRAGMENT_HEADER) {
      if (p + 8 > end) return truncated(out, 'ipv6');
      out.status = FRAGMENT;
      out.protocol = 'ipv6';
      return FRAGMENT;
    } else {
      return decodeNonTcp(buf, p, end, remaining, next, out); // NOT_TCP, or DNS_RESPONSE
    }
    if (length > remaining) return invalid(out, 'ipv6', 'extension header longer than the payload');
    next = buf[p];
    p += length;
    remaining -= length;
  }
}
