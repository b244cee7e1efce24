/** \summary: UDP header decoder (RFC 768), for DNS responses only: everything else stays NOT_TCP. */
import { DNS_RESPONSE, NOT_TCP, type DecodeStatus, type DecodedPacket } from './decoded-packet.js';
import { u16be } from '../pcap/bytes.js';

const IPPROTO_UDP = 17;
const DNS_PORT = 53;

/**
 * The IP payload at `at` is not TCP (`protocol` is the IP protocol / IPv6 next header): a UDP
 * datagram goes to decodeUdp, anything else is NOT_TCP. One call from the IP decoders, so their
 * TCP path does no more than before.
 */
export function decodeNonTcp(
  buf: Buffer,
  at: number,
  end: number,
  ipPayloadLength: number,
  protocol: number,
  out: DecodedPacket,
): DecodeStatus {
  if (protocol === IPPROTO_UDP) return decodeUdp(buf, at, end, ipPayloadLength, out);
  out.status = NOT_TCP;
  return NOT_TCP;
}

/**
 * Decodes the UDP header at `at`; `end` is the end of the captured bytes and `ipPayloadLength` the
 * datagram's length from the IP header. A datagram from port 53 with a whole, possible header is
 * DNS_RESPONSE, its payload range in `out`; anything else (another port, a header cut by the snap
 * length, a length field below 8 or beyond the IP payload) is NOT_TCP, as every UDP packet was
 * before: how packets are counted does not depend on this decoder.
 */
export function decodeUdp(buf: Buffer, at: number, end: number, ipPayloadLength: number, out: DecodedPacket): DecodeStatus {
  if (at + 8 > end || u16be(buf, at) !== DNS_PORT) {
    out.status = NOT_TCP;
    return NOT_TCP;
  }
  let length = u16be(buf, at + 4);
  // 0: an IPv6 jumbogram's UDP length (RFC 2675 4); the IP layer's length is the datagram's.
  if (length === 0) length = ipPayloadLength;
  if (length < 8 || length > ipPayloadLength) {
    out.status = NOT_TCP;
    return NOT_TCP;
  }
  out.srcPort = DNS_PORT;
  out.dstPort = u16be(buf, at + 2);
  const payloadStart = at + 8;
  out.payloadLength = length - 8;
  out.payloadOffset = payloadStart;
  out.capturedPayloadLength = payloadStart >= end ? 0 : Math.min(end - payloadStart, length - 8);
  out.status = DNS_RESPONSE;
  return DNS_RESPONSE;
}
