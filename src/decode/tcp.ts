/** \summary: TCP header decoder (RFC 9293 3.1). */
import { DECODED_TCP, invalid, truncated, type DecodeStatus, type DecodedPacket } from './decoded-packet.js';
import { u16be, u32be } from '../pcap/bytes.js';

/**
 * NOP, NOP, timestamps (kind 8, length 10): the 12 option bytes of nearly every segment Linux sends
 * after the handshake, which fill the header exactly. Recognised with one read instead of a walk.
 */
const NOP_NOP_TIMESTAMPS = 0x0101080a;

/**
 * Decodes the TCP header at `at`. `segmentLength` is the TCP header plus payload length taken from
 * the IP header, so the payload length is right even when the snap length cut the payload off.
 */
export function decodeTcp(buf: Buffer, at: number, end: number, segmentLength: number, out: DecodedPacket): DecodeStatus {
  // Ports, sequence numbers, flags and window are all in the fixed 20 bytes.
  if (at + 20 > end) return truncated(out, 'tcp');
  const headerLength = (buf[at + 12] >> 4) * 4;
  if (headerLength < 20) return invalid(out, 'tcp', 'data offset below 5');
  if (headerLength > segmentLength) return invalid(out, 'tcp', 'header longer than the IP payload');
  out.srcPort = u16be(buf, at);
  out.dstPort = u16be(buf, at + 2);
  out.seq = u32be(buf, at + 4);
  out.ack = u32be(buf, at + 8);
  out.flags = buf[at + 13];
  out.window = u16be(buf, at + 14);
  out.tcpHeaderLength = headerLength;
  // Options are checked only when the whole header was captured (the snap length may cut it).
  out.isOptionsOverrun =
    headerLength > 20 &&
    at + headerLength <= end &&
    !(headerLength === 32 && u32be(buf, at + 20) === NOP_NOP_TIMESTAMPS) &&
    isOptionsOverrun(buf, at + 20, at + headerLength);
  out.payloadLength = segmentLength - headerLength;
  const payloadStart = at + headerLength;
  // Never past the captured bytes, even with nothing captured: readers copy from here.
  out.payloadOffset = payloadStart >= end ? end : payloadStart;
  out.capturedPayloadLength = payloadStart >= end ? 0 : Math.min(end - payloadStart, out.payloadLength);
  out.status = DECODED_TCP;
  return DECODED_TCP;
}

/** Walks the options (RFC 9293 3.2): kinds 0 and 1 are one byte, the others carry a length ≥ 2. */
function isOptionsOverrun(buf: Buffer, i: number, end: number): boolean {
  while (i < end) {
    const kind = buf[i];
    if (kind === 0) return false;
    if (kind === 1) {
      i++;
      continue;
    }
    if (i + 1 >= end) return true;
    const length = buf[i + 1];
    if (length < 2 || i + length > end) return true;
    i += length;
  }
  return false;
}
