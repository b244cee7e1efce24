/**
 * Record classes, the server's data silence and the WebSocket closer, from record sequences shaped
 * like the ones the fixtures carry (sizes on the wire: header included).
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RECORD_OPTIONS,
  TLS_1_3,
  TLS_APPLICATION_DATA,
  TLS_HANDSHAKE,
  maxDataSilence,
  newRecordActivity,
  onTlsRecord,
  wsCloseInitiator,
} from '../../src/track/record-activity.js';
import { newTlsFacts } from '../../src/track/tls-stream.js';
import type { Connection } from '../../src/track/connection.js';

const C = true;
const S = false;

function connection(version: number | null = TLS_1_3): Connection {
  const tls = newTlsFacts();
  tls.version = version;
  return {
    firstTime: 100,
    synTime: 0,
    handshakeAckTime: 0,
    firstCloser: 0,
    firstCloseTime: 0,
    tls,
    records: newRecordActivity(DEFAULT_RECORD_OPTIONS),
  } as unknown as Connection;
}

/** The TLS 1.3 start of clean-shutdown.pcap's C1: hellos, encrypted handshake, Finished, request, tickets + 101. */
function handshake(conn: Connection): void {
  onTlsRecord(conn, C, TLS_HANDSHAKE, 377, 100.015);
  onTlsRecord(conn, S, TLS_HANDSHAKE, 127, 100.016);
  for (const size of [28, 472, 102, 74]) onTlsRecord(conn, S, TLS_APPLICATION_DATA, size, 100.016);
  onTlsRecord(conn, C, TLS_APPLICATION_DATA, 74, 100.023); // Finished
  onTlsRecord(conn, C, TLS_APPLICATION_DATA, 206, 100.023); // GET ... Upgrade
  for (const size of [287, 287, 151]) onTlsRecord(conn, S, TLS_APPLICATION_DATA, size, 100.032); // tickets, 101
}

function close(conn: Connection, by: 1 | 2, t: number): void {
  conn.firstCloser = by;
  conn.firstCloseTime = t;
}

describe('record classes', () => {
  it('leaves the handshake and the upgrade out, and splits the rest at 100 bytes', () => {
    const conn = connection();
    handshake(conn);
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 315, 100.287);
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 24, 102.036); // ping
    onTlsRecord(conn, C, TLS_APPLICATION_DATA, 28, 102.037); // pong
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 316, 102.040);
    const a = conn.records;
    expect([a.clientControl, a.clientData, a.serverControl, a.serverData]).toEqual([1, 0, 1, 2]);
    expect(a.firstServerAnswerTime).toBe(100.032);
  });

  it('counts a ticket that comes 50 ms after the 101 burst as data, one inside as setup', () => {
    const conn = connection();
    handshake(conn);
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 287, 100.082);
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 287, 100.0821);
    expect(conn.records.serverData).toBe(1);
  });

  it('in TLS 1.2 the first client application record is already the request', () => {
    const conn = connection(0x0303);
    onTlsRecord(conn, C, TLS_APPLICATION_DATA, 206, 100.02);
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 151, 100.03);
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 315, 100.3);
    expect([conn.records.serverData, conn.records.firstServerAnswerTime]).toEqual([1, 100.03]);
  });

  it('without a ServerHello (midstream) every application record is classified', () => {
    const conn = connection(null);
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 315, 101);
    onTlsRecord(conn, C, TLS_APPLICATION_DATA, 28, 101.5);
    expect([conn.records.serverData, conn.records.clientControl]).toEqual([1, 1]);
    expect(maxDataSilence(conn, 103)).toEqual({ seconds: 2, at: 101 });
  });

  it('honours another control-size limit', () => {
    const conn = connection();
    conn.records = newRecordActivity({ ...DEFAULT_RECORD_OPTIONS, controlMaxBytes: 400 });
    handshake(conn);
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 315, 100.3);
    expect([conn.records.serverControl, conn.records.serverData]).toEqual([1, 0]);
  });
});

describe('server data silence', () => {
  it('is the longest gap between data records, from the upgrade answer to the close', () => {
    const conn = connection();
    handshake(conn);
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 315, 100.5); // 0.468 after the answer
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 24, 101.0); // a ping does not end a silence
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 315, 105.5); // 5.0
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 315, 105.75);
    close(conn, 1, 107);
    expect(maxDataSilence(conn, 107)).toEqual({ seconds: 5, at: 100.5 });
  });

  it('measures gaps in time order when a retransmission releases records captured earlier', () => {
    const conn = connection();
    handshake(conn);
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 315, 100.1);
    // 100.2 was lost; its retransmission at 100.5 fills the hole and releases 100.3 and 100.4.
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 315, 100.5);
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 315, 100.3);
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 315, 100.4);
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 315, 100.6);
    close(conn, 1, 100.65);
    const silence = maxDataSilence(conn, 100.65);
    expect(silence?.at).toBe(100.1);
    expect(silence?.seconds).toBeCloseTo(0.2, 9);
  });

  it('ignores data records after the first FIN or RST', () => {
    const conn = connection();
    handshake(conn);
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 315, 100.3);
    close(conn, 1, 101);
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 315, 104);
    const silence = maxDataSilence(conn, 101);
    expect(silence?.at).toBe(100.3);
    expect(silence?.seconds).toBeCloseTo(0.7, 9);
  });

  it('runs to the end when the stream never sends data (pings only)', () => {
    const conn = connection();
    handshake(conn);
    for (let t = 101.032; t < 105; t += 1) onTlsRecord(conn, S, TLS_APPLICATION_DATA, 24, t);
    const silence = maxDataSilence(conn, 105.032);
    expect(silence?.at).toBe(100.032);
    expect(silence?.seconds).toBeCloseTo(5, 9);
    expect(conn.records.serverData).toBe(0);
  });

  it('is unknown before the upgrade was answered', () => {
    const conn = connection();
    onTlsRecord(conn, C, TLS_HANDSHAKE, 377, 100.015);
    expect(maxDataSilence(conn, 110)).toBeNull();
  });
});

describe('WebSocket closer', () => {
  function flowing(handshakeRttS = 0): Connection {
    const conn = connection();
    if (handshakeRttS > 0) {
      conn.synTime = 100;
      conn.handshakeAckTime = 100 + handshakeRttS;
    }
    handshake(conn);
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 24, 102.036); // ping
    onTlsRecord(conn, C, TLS_APPLICATION_DATA, 28, 102.037); // pong
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 316, 102.79);
    return conn;
  }

  it('is the client when its close frame starts the closing run (clean-shutdown)', () => {
    const conn = flowing();
    onTlsRecord(conn, C, TLS_APPLICATION_DATA, 44, 102.890031); // close frame
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 40, 102.891402); // close reply
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 24, 102.894125); // close_notify
    close(conn, 2, 102.8942); // the server's FIN comes first
    expect(wsCloseInitiator(conn)).toBe('client');
  });

  it('is the client when pings come every second and the agent closes right after one', () => {
    const conn = connection();
    handshake(conn);
    for (let t = 101.032; t < 105; t += 1) {
      onTlsRecord(conn, S, TLS_APPLICATION_DATA, 24, t);
      onTlsRecord(conn, C, TLS_APPLICATION_DATA, 28, t + 0.002);
    }
    onTlsRecord(conn, C, TLS_APPLICATION_DATA, 30, 104.9);
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 26, 104.901);
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 24, 104.902);
    close(conn, 2, 104.903);
    expect(wsCloseInitiator(conn)).toBe('client');
  });

  it('is the server when it sends the close frame first, even with the client FIN first', () => {
    const conn = flowing();
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 30, 103.0);
    onTlsRecord(conn, C, TLS_APPLICATION_DATA, 34, 103.001);
    close(conn, 1, 103.002);
    expect(wsCloseInitiator(conn)).toBe('server');
  });

  it('is null when the TCP close follows data (a reset, an abnormal close)', () => {
    const conn = flowing();
    close(conn, 1, 102.8);
    expect(wsCloseInitiator(conn)).toBeNull();
  });

  it('is null when the last control records are an old ping and pong', () => {
    const conn = connection();
    handshake(conn);
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 24, 102.036);
    onTlsRecord(conn, C, TLS_APPLICATION_DATA, 28, 102.037);
    close(conn, 2, 103.5);
    expect(wsCloseInitiator(conn)).toBeNull();
  });

  it('waits twice the handshake round trip for an answer over a slow path', () => {
    const closeOverSlowPath = (handshakeRttS: number): Connection => {
      const conn = flowing(handshakeRttS);
      onTlsRecord(conn, C, TLS_APPLICATION_DATA, 34, 103.0); // the agent's close frame
      onTlsRecord(conn, S, TLS_APPLICATION_DATA, 30, 103.3); // answered 300 ms later
      close(conn, 2, 103.301);
      return conn;
    };
    expect(wsCloseInitiator(closeOverSlowPath(0.001))).toBe('server'); // 0.3 s > the 0.2 s floor
    expect(wsCloseInitiator(closeOverSlowPath(0.25))).toBe('client'); // within 2 × 250 ms
  });

  it('ignores records after the first FIN', () => {
    const conn = flowing();
    close(conn, 2, 102.9);
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 24, 102.95);
    expect(wsCloseInitiator(conn)).toBeNull();
  });

  it('follows a long closing run back to its first record', () => {
    const conn = flowing();
    for (let i = 0; i < 12; i++) onTlsRecord(conn, i % 2 === 0 ? S : C, TLS_APPLICATION_DATA, 30, 103 + i * 0.1);
    close(conn, 1, 104.2);
    expect(wsCloseInitiator(conn)).toBe('server');
  });

  it('is null when the FIN comes long after the last control record', () => {
    const conn = flowing();
    onTlsRecord(conn, C, TLS_APPLICATION_DATA, 34, 103.0);
    onTlsRecord(conn, S, TLS_APPLICATION_DATA, 30, 103.001);
    close(conn, 2, 103.5);
    expect(wsCloseInitiator(conn)).toBeNull();
  });
});
