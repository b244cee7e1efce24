/**
 * Every bundled real capture against the values written down beside it (fixtures/**.expected.json):
 * packet counts, and per connection the endpoints, counts (from tshark), close, state and Zeek fields.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { analyzeCaptures } from '../../src/analyze/analyze-captures.js';
import { endpoint, loadExpectations } from '../helpers.js';
import type { Report } from '../../src/report/model.js';
import { tlsVersionName } from '../../src/analyze/tls-names.js';

const expectations = loadExpectations();

/**
 * wscap keeps times as float epoch seconds, whose resolution today is about 0.24 µs: enough for
 * microsecond captures (values round back exactly) but not for nanosecond ones, where a value
 * that lies within 0.24 µs of a half microsecond can round the other way than the oracle's exact
 * integer arithmetic. For nanosecond captures these fields may therefore differ by 1 µs, no more.
 */
function withinMicrosecond<T extends Record<string, unknown>>(got: T[], want: T[], fields: Record<string, 'ms' | 's'>): void {
  for (let i = 0; i < Math.min(got.length, want.length); i++) {
    for (const [field, unit] of Object.entries(fields)) {
      const g = got[i][field];
      const w = want[i][field];
      if (typeof g === 'number' && typeof w === 'number') {
        expect(Math.abs(g - w), `${String(got[i].id)} ${field}`).toBeLessThanOrEqual(unit === 'ms' ? 1.0000001e-3 : 1.0000001e-6);
        (got[i] as Record<string, unknown>)[field] = w;
      }
    }
  }
}

/** tshark's "1795740137.519700123" → "2026-11-27T00:42:17.519700Z" (truncated to microseconds, as wscap keeps them). */
function isoFromText(text: string | null): string | null {
  if (text === null) return null;
  const [sec, frac = ''] = text.split('.');
  return `${new Date(Number(sec) * 1000).toISOString().slice(0, 19)}.${frac.padEnd(6, '0').slice(0, 6)}Z`;
}

describe('fixtures match their expected values', () => {
  it('there are fixtures to check', () => {
    expect(expectations.length).toBeGreaterThanOrEqual(10);
  });

  for (const exp of expectations) {
    describe(exp.name, () => {
      let report: Report;
      beforeAll(async () => {
        report = await analyzeCaptures(
          exp.files.map((f) => join(exp.dir, f)),
          { serverPort: 443, generator: 'wscap test' },
        );
      });

      it('reads every packet, and the TCP ones', () => {
        expect(report.capture.packets).toBe(exp.packets);
        expect(report.capture.tcpPackets).toBe(exp.tcpPackets);
        expect(report.capture.truncatedPackets).toBe(exp.truncatedPackets ?? 0);
        expect(report.capture.warnings.map((w) => w.code)).toEqual(exp.warningCodes ?? []);
      });

      if (exp.firstTimeText !== undefined) {
        it('gives the first and latest packet times (tshark’s, to the microsecond)', () => {
          expect(report.capture.start).toBe(isoFromText(exp.firstTimeText ?? null));
          expect(report.capture.end).toBe(isoFromText(exp.maxTimeText ?? null));
        });
      }

      it('knows the file format, link type and timestamp precision', () => {
        for (const f of report.capture.files) {
          expect(f.format).toBe(exp.format);
          expect(f.timestampPrecision).toBe(exp.timestampPrecision);
        }
        const linkTypes = [...new Set(report.capture.files.flatMap((f) => f.linkTypes))].sort();
        expect(linkTypes).toEqual(exp.linkTypes ? [...exp.linkTypes].sort() : [exp.linkType]);
      });

      it('finds the same connections with tshark’s packet and byte counts', () => {
        const got = report.connections.map((c) => ({
          id: c.id,
          client: endpoint(c.client),
          server: endpoint(c.server),
          c2sPackets: c.client2server.packets,
          c2sBytes: c.client2server.bytes,
          s2cPackets: c.server2client.packets,
          s2cBytes: c.server2client.bytes,
        }));
        const want = exp.connections.map((c) => ({
          id: c.id,
          client: c.client,
          server: c.server,
          c2sPackets: c.c2sPackets,
          c2sBytes: c.c2sBytes,
          s2cPackets: c.s2cPackets,
          s2cBytes: c.s2cBytes,
        }));
        expect(got).toEqual(want);
      });

      const withStates = exp.connections.filter((c) => c.closeKind !== undefined);
      if (withStates.length > 0) {
        it('says how each connection ended, who ended it and the client’s state', () => {
          const got = report.connections.map((c) => ({
            id: c.id,
            handshakeSeen: c.handshake.seen,
            closeKind: c.close.kind,
            closeInitiator: c.close.initiator,
            clientState: c.clientState,
            zeekConnState: c.zeek.connState,
            zeekHistory: c.zeek.history,
          }));
          const want = exp.connections.map((c) => ({
            id: c.id,
            handshakeSeen: c.handshakeSeen,
            closeKind: c.closeKind,
            closeInitiator: c.closeInitiator,
            clientState: c.clientState,
            zeekConnState: c.zeekConnState,
            zeekHistory: c.zeekHistory,
          }));
          expect(got).toEqual(want);
        });
      }

      const withTls = exp.connections.filter((c) => c.sni !== undefined);
      if (withTls.length > 0) {
        it('reads SNI, ALPN, versions and TLS timings from the cleartext handshake', () => {
          const got = report.connections.map((c) => ({
            id: c.id,
            sni: c.sni,
            sniCut: c.tls.sniStatus === 'cut',
            alpnOffered: c.tls.alpnOffered,
            alpn: c.alpn,
            versionsOffered: c.tls.versionsOffered,
            tlsVersion: c.tlsVersion,
            tlsMs: c.handshake.tlsMs,
            firstServerDataMs: c.handshake.firstServerDataMs,
          }));
          const want = exp.connections.map((c) => ({
            id: c.id,
            sni: c.sni,
            sniCut: c.sniCut,
            alpnOffered: c.alpnOffered,
            alpn: c.alpn,
            versionsOffered: c.versionsOffered === null || c.versionsOffered === undefined ? null : c.versionsOffered.map(tlsVersionName),
            tlsVersion: c.tlsVersion,
            tlsMs: c.tlsMs,
            firstServerDataMs: c.firstServerDataMs,
          }));
          if (exp.timestampPrecision === 'ns') withinMicrosecond(got, want, { tlsMs: 'ms', firstServerDataMs: 'ms' });
          expect(got).toEqual(want);
        });

        it('classifies records, measures the server’s data silence and finds the WebSocket closer', () => {
          const got = report.connections.map((c) => ({
            id: c.id,
            c2sRecords: c.client2server.records,
            s2cRecords: c.server2client.records,
            maxDataSilenceS: c.server2client.maxDataSilenceS,
            maxDataSilenceAt: c.server2client.maxDataSilenceAt,
            wsInitiator: c.close.wsInitiator,
          }));
          const want = exp.connections.map((c) => ({
            id: c.id,
            c2sRecords: c.c2sRecords,
            s2cRecords: c.s2cRecords,
            maxDataSilenceS: c.maxDataSilenceS,
            maxDataSilenceAt: c.maxDataSilenceAt,
            wsInitiator: c.wsInitiator,
          }));
          if (exp.timestampPrecision === 'ns') withinMicrosecond(got, want, { maxDataSilenceS: 's', maxDataSilenceAt: 's' });
          expect(got).toEqual(want);
        });

        it('counts retransmissions, duplicate ACKs and zero windows as tshark flags them', () => {
          const counters = ['Retransmissions', 'OutOfOrder', 'LostSegments', 'DupAcks', 'ZeroWindows', 'ZeroWindowProbes', 'KeepAlives'] as const;
          const key = (name: (typeof counters)[number]): keyof Report['connections'][number]['client2server'] =>
            (name[0].toLowerCase() + name.slice(1)) as keyof Report['connections'][number]['client2server'];
          const got = report.connections.map((c) => ({
            id: c.id,
            ...Object.fromEntries(counters.flatMap((n) => [[`c2s${n}`, c.client2server[key(n)]], [`s2c${n}`, c.server2client[key(n)]]])),
          }));
          const want = exp.connections.map((c) => ({
            id: c.id,
            ...Object.fromEntries(counters.flatMap((n) => [[`c2s${n}`, c[`c2s${n}`]], [`s2c${n}`, c[`s2c${n}`]]])),
          }));
          expect(got).toEqual(want);
        });
      }
    });
  }
});
