/**
 * \summary: follows TLS record boundaries through one direction's TCP byte stream (STUB: contract only).
 *
 * For every record header found it calls onTlsRecord (record-activity.ts); handshake records
 * are reassembled (bounded) until the ClientHello / ServerHello is parsed into conn.tls.
 */
import type { DecodedPacket } from '../decode/decoded-packet.js';
import type { Connection } from './connection.js';

/** Why a direction's record tracking is not (or no longer) following the stream. */
export type TlsStreamStatus = 'following' | 'not-tls' | 'gap' | 'truncated' | 'midstream';

/** Record-tracking state of one direction. */
export interface TlsStream {
  status: TlsStreamStatus;
}

export interface TlsAlert {
  from: 'client' | 'server';
  /** 1 warning, 2 fatal. */
  level: number;
  /** RFC 8446 6 AlertDescription number. */
  description: number;
  time: number;
}

/** What the cleartext handshake said, per connection. */
export interface TlsFacts {
  /** Time the ClientHello / ServerHello record started (0 when not seen). */
  clientHelloTime: number;
  serverHelloTime: number;
  /** server_name (host_name) from the ClientHello; null when absent or not seen. */
  sni: string | null;
  /** The ClientHello was seen but cut by the snap length before its extensions: SNI unknown. */
  isClientHelloCut: boolean;
  /** ALPN protocols the client offered (null: no ALPN extension or no ClientHello). */
  alpnOffered: string[] | null;
  /** TLS versions the client offered (supported_versions, else legacy_version), e.g. 0x0304. */
  versionsOffered: number[] | null;
  /** Negotiated version from the ServerHello (supported_versions for TLS 1.3), or null. */
  version: number | null;
  /** ALPN protocol the server selected, or null. */
  alpn: string | null;
  /** Cleartext alert records (in TLS 1.3 only those before encryption starts). */
  alerts: TlsAlert[];
}

export function newTlsStream(): TlsStream {
  return { status: 'following' };
}

export function newTlsFacts(): TlsFacts {
  return {
    clientHelloTime: 0,
    serverHelloTime: 0,
    sni: null,
    isClientHelloCut: false,
    alpnOffered: null,
    versionsOffered: null,
    version: null,
    alpn: null,
    alerts: [],
  };
}

/** Follows one TCP segment with payload (p.payloadLength > 0) of the given direction. */
export function followTls(_conn: Connection, _isClient: boolean, _p: DecodedPacket, _t: number): void {}
