/** \summary: the one reused record the decoders fill for each packet, and its status codes. */

/** The packet is TCP over IPv4/IPv6 and every TCP header field below is valid. */
export const DECODED_TCP = 0;
/** Link layer carries something other than IPv4/IPv6 (ARP, LLC, ...): counted, not analysed. */
export const NOT_IP = 1;
/** IP carries something other than TCP (UDP, ICMP, ...): counted, not analysed. */
export const NOT_TCP = 2;
/** Headers run past the captured bytes (snap length): `protocol` says where. */
export const TRUNCATED = 3;
/** A header field is impossible (bad version, length below minimum): `protocol` and `detail` say which. */
export const INVALID = 4;
/** A non-first IPv4/IPv6 fragment, or a first fragment: TCP cannot be read without reassembly. */
export const FRAGMENT = 5;
/** The link type is not one wscap decodes. */
export const UNKNOWN_LINK = 6;
/**
 * A UDP datagram from port 53 (a DNS response, RFC 1035 4.2.1) whose UDP header is whole: not TCP
 * (counted as NOT_TCP is), but its payload is there to read. Only `srcPort`, `dstPort`,
 * `payloadLength` (from the UDP length), `payloadOffset` and `capturedPayloadLength` are set, besides
 * the IP fields.
 */
export const DNS_RESPONSE = 7;

export type DecodeStatus = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** TCP flag bits (RFC 9293 3.1). */
export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

export interface DecodedPacket {
  status: DecodeStatus;
  /** For TRUNCATED/INVALID: the protocol whose header failed ('ethernet', 'ipv4', 'tcp', ...). */
  protocol: string;
  /** For INVALID: what was wrong (a constant string, never built per packet). */
  detail: string;
  ipVersion: 4 | 6;
  /** Source address words [0..3] and destination words [4..7]; IPv4 uses word 3 only. */
  addresses: Uint32Array;
  /** IPv4 TTL / IPv6 hop limit. */
  ttl: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  /** Raw (unscaled) window field. */
  window: number;
  /** TCP header length in bytes (data offset × 4). */
  tcpHeaderLength: number;
  /** Payload bytes on the wire, from the IP length (so a snap length does not change it). */
  payloadLength: number;
  /** Where the captured payload starts in the record's buffer, and how much of it was captured. */
  payloadOffset: number;
  capturedPayloadLength: number;
  /** The record's buffer (a reference, not a copy): payload bytes are at payloadOffset. */
  buffer: Buffer;
  /** A TCP option runs past the header (or has a length below 2): counted, the packet still analysed. */
  isOptionsOverrun: boolean;
  /**
   * The packet's capture time (epoch seconds). Carried here rather than passed beside the packet:
   * a double passed to a function V8 does not inline is boxed, once per call, per packet.
   */
  time: number;
}

export function newDecodedPacket(): DecodedPacket {
  return {
    status: NOT_IP,
    protocol: '',
    detail: '',
    ipVersion: 4,
    addresses: new Uint32Array(8),
    ttl: 0,
    srcPort: 0,
    dstPort: 0,
    seq: 0,
    ack: 0,
    flags: 0,
    window: 0,
    tcpHeaderLength: 0,
    payloadLength: 0,
    payloadOffset: 0,
    capturedPayloadLength: 0,
    buffer: Buffer.alloc(0),
    isOptionsOverrun: false,
    time: -0, // a double from the start (see connection.ts newEndpoint)
  };
}

/** Marks the packet truncated in `protocol` and returns the status, for one-line early returns. */
export function truncated(out: DecodedPacket, protocol: string): DecodeStatus {
  out.status = TRUNCATED;
  out.protocol = protocol;
  return TRUNCATED;
}

/** Marks the packet invalid in `protocol` because of `detail` and returns the status. */
export function invalid(out: DecodedPacket, protocol: string, detail: string): DecodeStatus {
  out.status = INVALID;
  out.protocol = protocol;
  out.detail = detail;
  return INVALID;
}
