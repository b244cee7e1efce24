/**
 * ClientHello / ServerHello parsers on the real hellos of a fixture, and on mutations of them:
 * cut at every byte, every byte changed, lengths corrupted, extensions added or removed. The
 * parsers must give the full result, 'cut' or 'invalid', never throw, never read outside the range.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readCaptures } from '../../src/pcap/read-captures.js';
import { decodePacket } from '../../src/decode/decode-packet.js';
import { DECODED_TCP, newDecodedPacket } from '../../src/decode/decoded-packet.js';
import { HELLO_CUT, HELLO_INVALID, HELLO_OK, parseClientHello, parseServerHello } from '../../src/decode/tls.js';
import { FIXTURES } from '../helpers.js';

/** The handshake messages (without the record header) of the first ClientHello and ServerHello. */
let clientHello: Buffer;
let serverHello: Buffer;

beforeAll(async () => {
  const d = newDecodedPacket();
  const found: Buffer[] = [];
  await readCaptures([join(FIXTURES, 'clean-shutdown.pcap')], (packet) => {
    if (decodePacket(packet, d) !== DECODED_TCP || d.capturedPayloadLength < 9 || found.length === 2) return;
    const at = d.payloadOffset;
    // A handshake record whose message is the next hello we want (ClientHello first, then ServerHello).
    if (d.buffer[at] === 22 && d.buffer[at + 5] === found.length + 1) {
      const length = d.buffer.readUInt16BE(at + 3);
      found.push(Buffer.from(d.buffer.subarray(at + 5, at + 5 + length)));
    }
  });
  [clientHello, serverHello] = found;
});

/** The message with one extension's data replaced (or the extension removed when `data` is null), lengths fixed. */
function withExtension(message: Buffer, isClient: boolean, type: number, data: Buffer | null): Buffer {
  let i = 4 + 2 + 32;
  i += 1 + message[i];
  i += isClient ? 2 + message.readUInt16BE(i) : 2;
  i += isClient ? 1 + message[i] : 1;
  const extsAt = i;
  const parts: Buffer[] = [];
  let replaced = false;
  for (let k = extsAt + 2; k < message.length; ) {
    const t = message.readUInt16BE(k);
    const end = k + 4 + message.readUInt16BE(k + 2);
    if (t === type) {
      replaced = true;
      if (data !== null) parts.push(extension(type, data));
    } else parts.push(message.subarray(k, end));
    k = end;
  }
  if (!replaced && data !== null) parts.push(extension(type, data));
  const exts = Buffer.concat(parts);
  const head = Buffer.from(message.subarray(0, extsAt + 2));
  head.writeUInt16BE(exts.length, extsAt);
  const out = Buffer.concat([head, exts]);
  out.writeUIntBE(out.length - 4, 1, 3);
  return out;
}

function extension(type: number, data: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(data.length, 2);
  return Buffer.concat([head, data]);
}

/** ProtocolNameList of the given names (RFC 7301). */
function alpn(...names: string[]): Buffer {
  const list = Buffer.concat(names.map((n) => Buffer.concat([Buffer.from([n.length]), Buffer.from(n, 'latin1')])));
  const head = Buffer.alloc(2);
  head.writeUInt16BE(list.length, 0);
  return Buffer.concat([head, list]);
}

/** Offset of the SNI host name bytes in the real ClientHello. */
function sniOffset(message: Buffer): number {
  const at = message.indexOf(Buffer.from('fstream.binance.com', 'latin1'));
  expect(at).toBeGreaterThan(0);
  return at;
}

describe('parseClientHello', () => {
  it('the real ClientHello (Node 20, OpenSSL 3.0): SNI, no ALPN, TLS 1.3 and 1.2 offered', () => {
    expect(clientHello.length).toBe(372);
    expect(parseClientHello(clientHello, 0, clientHello.length)).toEqual({
      status: HELLO_OK,
      legacyVersion: 0x0303,
      sni: 'fstream.binance.com',
      alpn: null,
      versions: [0x0304, 0x0303],
    });
  });

  it('at an offset inside a larger buffer, with bytes after it', () => {
    const framed = Buffer.concat([Buffer.from([1, 2, 3]), clientHello, Buffer.from([9, 9, 9, 9])]);
    expect(parseClientHello(framed, 3, framed.length).sni).toBe('fstream.binance.com');
    // A range end beyond the buffer is the buffer's end.
    expect(parseClientHello(clientHello, 0, clientHello.length + 100).status).toBe(HELLO_OK);
    expect(parseClientHello(clientHello.subarray(0, 100), 0, 372).status).toBe(HELLO_CUT);
  });

  it('cut at every byte: always cut, even when the bytes after the range are there to be (wrongly) read', () => {
    for (let end = 0; end < clientHello.length; end++) {
      expect(parseClientHello(clientHello, 0, end).status, `end ${end}`).toBe(HELLO_CUT);
      expect(parseClientHello(clientHello.subarray(0, end), 0, end).status).toBe(HELLO_CUT);
    }
  });

  it('every byte changed to 0x00, 0xff and +1: a result or invalid, never a throw or an SNI from elsewhere', () => {
    const sni = sniOffset(clientHello);
    for (let i = 0; i < clientHello.length; i++) {
      for (const change of [() => 0, () => 0xff, (b: number) => (b + 1) & 0xff]) {
        const m = Buffer.from(clientHello);
        m[i] = change(m[i]);
        const r = parseClientHello(m, 0, m.length);
        expect([HELLO_OK, HELLO_CUT, HELLO_INVALID]).toContain(r.status);
        if (r.status === HELLO_OK && r.sni !== null) {
          // A valid result only ever holds a name read from the name's own bytes.
          expect(r.sni.length).toBeLessThanOrEqual(19);
          expect(m.toString('latin1', sni, sni + 19).startsWith(r.sni)).toBe(true);
        }
      }
    }
  });

  it('corrupted lengths: message, extensions, server_name list and host name', () => {
    const sni = sniOffset(clientHello);
    const bad = (at: number, delta: number): number => {
      const m = Buffer.from(clientHello);
      m.writeUInt16BE(m.readUInt16BE(at) + delta, at);
      return parseClientHello(m, 0, m.length).status;
    };
    // Host name length (2 bytes before the name), list length (5 before), extension length (7 before).
    for (const at of [sni - 2, sni - 5, sni - 7]) {
      expect(bad(at, 1)).toBe(HELLO_INVALID);
      expect(bad(at, -1)).toBe(HELLO_INVALID);
    }
    // The message length says one byte more than there is: cut; one less: the extensions overrun it.
    const longer = Buffer.from(clientHello);
    longer.writeUIntBE(clientHello.length - 3, 1, 3);
    expect(parseClientHello(longer, 0, longer.length).status).toBe(HELLO_CUT);
    const shorter = Buffer.from(clientHello);
    shorter.writeUIntBE(clientHello.length - 5, 1, 3);
    expect(parseClientHello(shorter, 0, shorter.length).status).toBe(HELLO_INVALID);
    // Not a ClientHello at all.
    const other = Buffer.from(clientHello);
    other[0] = 2;
    expect(parseClientHello(other, 0, other.length).status).toBe(HELLO_INVALID);
  });

  it('SNI bytes are kept as latin1, none replaced', () => {
    const m = Buffer.from(clientHello);
    const at = sniOffset(m);
    m[at] = 0xff;
    m[at + 1] = 0x1b;
    m[at + 2] = 0x00;
    expect(parseClientHello(m, 0, m.length).sni).toBe('\u00ff\u001b\u0000ream.binance.com');
  });

  it('ALPN offered; no supported_versions: legacy_version; no server_name: null', () => {
    const withAlpn = withExtension(clientHello, true, 16, alpn('h2', 'http/1.1'));
    expect(parseClientHello(withAlpn, 0, withAlpn.length)).toMatchObject({ status: HELLO_OK, alpn: ['h2', 'http/1.1'], sni: 'fstream.binance.com' });
    const tls12 = withExtension(clientHello, true, 43, null);
    expect(parseClientHello(tls12, 0, tls12.length)).toMatchObject({ status: HELLO_OK, versions: [0x0303] });
    const noSni = withExtension(clientHello, true, 0, null);
    expect(parseClientHello(noSni, 0, noSni.length)).toMatchObject({ status: HELLO_OK, sni: null });
    // An empty name in the ALPN list, and an empty list, are invalid (RFC 7301 3.1).
    for (const data of [alpn('h2', ''), alpn()]) {
      const m = withExtension(clientHello, true, 16, data);
      expect(parseClientHello(m, 0, m.length).status).toBe(HELLO_INVALID);
    }
    // A duplicate extension is invalid (RFC 8446 4.2).
    const data = alpn('h2');
    const doubled = withExtension(withAlpn, true, 0x7777, data);
    doubled.writeUInt16BE(16, doubled.length - data.length - 4); // the appended extension becomes a second ALPN
    expect(parseClientHello(doubled, 0, doubled.length).status).toBe(HELLO_INVALID);
    const unknown = withExtension(withAlpn, true, 0x7777, data);
    expect(parseClientHello(unknown, 0, unknown.length).status).toBe(HELLO_OK);
  });

  it('a TLS 1.2-style ClientHello without extensions', () => {
    // Everything up to the compression methods, nothing after.
    let i = 4 + 2 + 32;
    i += 1 + clientHello[i];
    i += 2 + clientHello.readUInt16BE(i);
    i += 1 + clientHello[i];
    const bare = Buffer.from(clientHello.subarray(0, i));
    bare.writeUIntBE(i - 4, 1, 3);
    expect(parseClientHello(bare, 0, bare.length)).toEqual({ status: HELLO_OK, legacyVersion: 0x0303, sni: null, alpn: null, versions: [0x0303] });
  });
});

describe('parseServerHello', () => {
  it('the real ServerHello: TLS 1.3 from supported_versions, no ALPN, not a retry', () => {
    expect(serverHello.length).toBe(122);
    expect(parseServerHello(serverHello, 0, serverHello.length)).toEqual({
      status: HELLO_OK,
      legacyVersion: 0x0303,
      version: 0x0304,
      isHelloRetryRequest: false,
      alpn: null,
    });
  });

  it('cut at every byte: cut; every byte changed: a result or invalid, never a throw', () => {
    for (let end = 0; end < serverHello.length; end++) {
      expect(parseServerHello(serverHello, 0, end).status).toBe(HELLO_CUT);
    }
    for (let i = 0; i < serverHello.length; i++) {
      for (const v of [0, 0xff, (serverHello[i] + 1) & 0xff]) {
        const m = Buffer.from(serverHello);
        m[i] = v;
        expect([HELLO_OK, HELLO_CUT, HELLO_INVALID]).toContain(parseServerHello(m, 0, m.length).status);
      }
    }
  });

  it('the HelloRetryRequest random, a selected ALPN, and TLS 1.2 without supported_versions', () => {
    const hrr = Buffer.from(serverHello);
    Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex').copy(hrr, 6);
    expect(parseServerHello(hrr, 0, hrr.length)).toMatchObject({ status: HELLO_OK, isHelloRetryRequest: true, version: 0x0304 });
    const withAlpn = withExtension(serverHello, false, 16, alpn('http/1.1'));
    expect(parseServerHello(withAlpn, 0, withAlpn.length)).toMatchObject({ status: HELLO_OK, alpn: 'http/1.1' });
    // A server selects exactly one protocol.
    const two = withExtension(serverHello, false, 16, alpn('h2', 'http/1.1'));
    expect(parseServerHello(two, 0, two.length).status).toBe(HELLO_INVALID);
    const tls12 = withExtension(serverHello, false, 43, null);
    expect(parseServerHello(tls12, 0, tls12.length)).toMatchObject({ status: HELLO_OK, version: 0x0303 });
    // supported_versions with a list instead of one version is invalid in a ServerHello.
    const list = withExtension(serverHello, false, 43, Buffer.from([0x03, 0x04, 0x03, 0x03]));
    expect(parseServerHello(list, 0, list.length).status).toBe(HELLO_INVALID);
  });

  it('a ClientHello is not a ServerHello, and vice versa', () => {
    expect(parseServerHello(clientHello, 0, clientHello.length).status).toBe(HELLO_INVALID);
    expect(parseClientHello(serverHello, 0, serverHello.length).status).toBe(HELLO_INVALID);
  });
});
