/**
 * \summary: TLS ClientHello / ServerHello parsers (RFC 8446 4.1.2-4.1.3, server_name RFC 6066 3,
 * ALPN RFC 7301), over one complete handshake message in a buffer range.
 *
 * Every length is checked against the message and the range before it is used; a parser never
 * throws and reads nothing outside [start, end). It allocates only its result (and the strings and
 * arrays in it), once per connection, never per packet.
 */

/** The message is whole and well-formed. */
export const HELLO_OK = 0;
/** The range ends before the message does (e.g. a snap length cut it). */
export const HELLO_CUT = 1;
/** A length or field is impossible, or the message is not the expected type. */
export const HELLO_INVALID = 2;
export type HelloStatus = 0 | 1 | 2;

const CLIENT_HELLO = 1;
const SERVER_HELLO = 2;
const EXT_SERVER_NAME = 0;
const EXT_ALPN = 16;
const EXT_SUPPORTED_VERSIONS = 43;
const HOST_NAME = 0;

/** ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 4.1.3). */
const HRR_RANDOM = [
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
  0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

export interface ClientHelloInfo {
  status: HelloStatus;
  legacyVersion: number;
  /** server_name host_name, bytes as latin1 (every byte kept; renderers escape). Null when absent. */
  sni: string | null;
  /** ALPN protocol names (latin1), null without the extension. */
  alpn: string[] | null;
  /** supported_versions list, else [legacy_version]. */
  versions: number[] | null;
}

export interface ServerHelloInfo {
  status: HelloStatus;
  legacyVersion: number;
  /** supported_versions selected_version (TLS 1.3), else legacy_version. */
  version: number;
  /** The random says this is a HelloRetryRequest, not the real ServerHello. */
  isHelloRetryRequest: boolean;
  alpn: string | null;
}

function u16(b: Uint8Array, i: number): number {
  return (b[i] << 8) | b[i + 1];
}

/**
 * Checks the handshake header at `start` (type, 24-bit length) against the range: the message's
 * end offset, or -1 (cut) / -2 (wrong type).
 */
function messageEnd(buf: Uint8Array, start: number, end: number, type: number): number {
  if (end > buf.length) end = buf.length;
  if (start < 0 || start + 4 > end) return -1;
  if (buf[start] !== type) return -2;
  const msgEnd = start + 4 + ((buf[start + 1] << 16) | (buf[start + 2] << 8) | buf[start + 3]);
  return msgEnd > end ? -1 : msgEnd;
}

/** Parses the ClientHello handshake message (header included) that starts at `start`. */
export function parseClientHello(buf: Buffer, start: number, end: number): ClientHelloInfo {
  const out: ClientHelloInfo = { status: HELLO_INVALID, legacyVersion: 0, sni: null, alpn: null, versions: null };
  const msgEnd = messageEnd(buf, start, end, CLIENT_HELLO);
  if (msgEnd < 0) {
    out.status = msgEnd === -1 ? HELLO_CUT : HELLO_INVALID;
    return out;
  }
  let i = start + 4;
  // legacy_version(2) random(32) legacy_session_id<0..32>
  if (i + 35 > msgEnd) return out;
  out.legacyVersion = u16(buf, i);
  i += 34;
  const sessionIdLength = buf[i];
  if (sessionIdLength > 32) return out;
  i += 1 + sessionIdLength;
  // cipher_suites<2..2^16-2>
  if (i + 2 > msgEnd) return out;
  const suitesLength = u16(buf, i);
  if (suitesLength < 2 || (suitesLength & 1) !== 0) return out;
  i += 2 + suitesLength;
  // legacy_compression_methods<1..2^8-1>
  if (i + 1 > msgEnd) return out;
  const compressionLength = buf[i];
  if (compressionLength < 1) return out;
  i += 1 + compressionLength;
  if (i > msgEnd) return out;
  let sni: string | null = null;
  let alpn: string[] | null = null;
  let versions: number[] | null = null;
  // Extensions are optional before TLS 1.3 (a message may end right after the compression methods).
  if (i < msgEnd) {
    if (i + 2 > msgEnd) return out;
    const extsEnd = i + 2 + u16(buf, i);
    if (extsEnd !== msgEnd) return out;
    i += 2;
    let seen = 0; // bit per extension parsed: a duplicate is invalid (RFC 8446 4.2)
    while (i < extsEnd) {
      if (i + 4 > extsEnd) return out;
      const type = u16(buf, i);
      const dataEnd = i + 4 + u16(buf, i + 2);
      if (dataEnd > extsEnd) return out;
      const at = i + 4;
      if (type === EXT_SERVER_NAME) {
        if ((seen & 1) !== 0) return out;
        seen |= 1;
        // Empty extension_data is what a server echoes; a client's list has at least one name.
        if (dataEnd > at) {
          const name = serverName(buf, at, dataEnd);
          if (name === false) return out;
          sni = name;
        }
      } else if (type === EXT_ALPN) {
        if ((seen & 2) !== 0) return out;
        seen |= 2;
        const list = alpnList(buf, at, dataEnd);
        if (list === null) return out;
        alpn = list;
      } else if (type === EXT_SUPPORTED_VERSIONS) {
        if ((seen & 4) !== 0) return out;
        seen |= 4;
        // ProtocolVersion versions<2..254>
        if (at + 1 > dataEnd) return out;
        const length = buf[at];
        if (length < 2 || (length & 1) !== 0 || at + 1 + length !== dataEnd) return out;
        versions = [];
        for (let v = at + 1; v < dataEnd; v += 2) versions.push(u16(buf, v));
      }
      i = dataEnd;
    }
  }
  out.sni = sni;
  out.alpn = alpn;
  out.versions = versions ?? [out.legacyVersion];
  out.status = HELLO_OK;
  return out;
}

/** ServerNameList (RFC 6066 3): the first host_name, null without one, false when malformed. */
function serverName(buf: Buffer, at: number, end: number): string | null | false {
  if (at + 2 > end || at + 2 + u16(buf, at) !== end) return false;
  let host: string | null = null;
  for (let i = at + 2; i < end; ) {
    if (i + 3 > end) return false;
    const nameType = buf[i];
    const nameEnd = i + 3 + u16(buf, i + 1);
    if (nameEnd > end || nameEnd === i + 3) return false;
    if (nameType === HOST_NAME && host === null) host = latin1(buf, i + 3, nameEnd);
    i = nameEnd;
  }
  return host;
}

/** ProtocolNameList (RFC 7301 3.1): names of 1..255 bytes; null when malformed or empty. */
function alpnList(buf: Buffer, at: number, end: number): string[] | null {
  if (at + 2 > end || at + 2 + u16(buf, at) !== end || end === at + 2) return null;
  const names: string[] = [];
  for (let i = at + 2; i < end; ) {
    const nameEnd = i + 1 + buf[i];
    if (nameEnd === i + 1 || nameEnd > end) return null;
    names.push(latin1(buf, i + 1, nameEnd));
    i = nameEnd;
  }
  return names;
}

/** Strings made lately from hello bytes: every connection of an agent names the same host and protocols. */
const RECENT = 4;
const recentText: string[] = ['', '', '', ''];
let recentNext = 0;

/**
 * Bytes as latin1: one char per byte, nothing replaced (the renderers escape what they print). A
 * string made lately from the same bytes is returned instead of a new one (a byte comparison is
 * cheaper than the native call and the string it allocates).
 */
function latin1(buf: Buffer, from: number, to: number): string {
  const length = to - from;
  for (let k = 0; k < RECENT; k++) {
    const text = recentText[k];
    if (text.length !== length || length === 0) continue;
    let i = 0;
    while (i < length && text.charCodeAt(i) === buf[from + i]) i++;
    if (i === length) return text;
  }
  const text = buf.toString('latin1', from, to);
  recentText[recentNext] = text;
  recentNext = (recentNext + 1) % RECENT;
  return text;
}

/** Parses the ServerHello (or HelloRetryRequest) handshake message that starts at `start`. */
export function parseServerHello(buf: Buffer, start: number, end: number): ServerHelloInfo {
  const out: ServerHelloInfo = { status: HELLO_INVALID, legacyVersion: 0, version: 0, isHelloRetryRequest: false, alpn: null };
  const msgEnd = messageEnd(buf, start, end, SERVER_HELLO);
  if (msgEnd < 0) {
    out.status = msgEnd === -1 ? HELLO_CUT : HELLO_INVALID;
    return out;
  }
  let i = start + 4;
  // legacy_version(2) random(32) legacy_session_id_echo<0..32> cipher_suite(2) compression(1)
  if (i + 35 > msgEnd) return out;
  out.legacyVersion = u16(buf, i);
  let isRetry = true;
  for (let k = 0; k < 32; k++) {
    if (buf[i + 2 + k] !== HRR_RANDOM[k]) {
      isRetry = false;
      break;
    }
  }
  i += 34;
  const sessionIdLength = buf[i];
  if (sessionIdLength > 32) return out;
  i += 1 + sessionIdLength + 3;
  if (i > msgEnd) return out;
  let version = out.legacyVersion;
  let alpn: string | null = null;
  if (i < msgEnd) {
    if (i + 2 > msgEnd) return out;
    const extsEnd = i + 2 + u16(buf, i);
    if (extsEnd !== msgEnd) return out;
    i += 2;
    let seen = 0;
    while (i < extsEnd) {
      if (i + 4 > extsEnd) return out;
      const type = u16(buf, i);
      const dataEnd = i + 4 + u16(buf, i + 2);
      if (dataEnd > extsEnd) return out;
      const at = i + 4;
      if (type === EXT_SUPPORTED_VERSIONS) {
        if ((seen & 1) !== 0 || dataEnd !== at + 2) return out;
        seen |= 1;
        version = u16(buf, at);
      } else if (type === EXT_ALPN) {
        // The server selects exactly one protocol (RFC 7301 3.1).
        if ((seen & 2) !== 0) return out;
        seen |= 2;
        const list = alpnList(buf, at, dataEnd);
        if (list === null || list.length !== 1) return out;
        alpn = list[0];
      }
      i = dataEnd;
    }
  }
  out.version = version;
  out.alpn = alpn;
  out.isHelloRetryRequest = isRetry;
  out.status = HELLO_OK;
  return out;
}
