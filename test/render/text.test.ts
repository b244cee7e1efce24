/** The text renderer: a pure function of the report model. */
import { describe, expect, it } from 'vitest';
import { renderText, compactCount } from '../../src/render/text.js';
import { escapeTerminal } from '../../src/render/escape.js';
import type { Report } from '../../src/report/model.js';

function report(path: string): Report {
  return {
    schemaVersion: 1,
    generator: 'wscap 0.0.0',
    capture: {
      files: [{ path, format: 'pcap', isGzip: false, linkTypes: [1], timestampPrecision: 'us', snaplen: 262144, packets: 0 }],
      recording: null,
      packets: 0,
      tcpPackets: 0,
      nonTcpPackets: 0,
      truncatedPackets: 0,
      fragmentPackets: 0,
      invalidPackets: 0,
      start: null,
      end: null,
      durationS: 0,
      warnings: [{ code: 'truncated', message: 'cut \u0007 here', file: path, offset: 24 }],
    },
    summary: {
      connections: 0,
      byClientState: {},
      byCloseKind: {},
      verdict: 'warn',
      hosts: [{ name: 'evil\u001b[2Jhost', source: 'sni', addresses: ['127.0.0.2'], connections: 0 }],
      concurrency: { max: 0, maxAt: null, atEnd: 0, series: [], stepS: null },
      expected: null,
      symbolsEstimate: { established: 0, perSymbol: 7, symbols: 0 },
      reconnects: { count: 0, delayS: { min: null, median: null, max: null } },
      attempts: { max: 0, at: null, windowS: 300, budget: 300 },
    },
    anomalies: [
      {
        code: 'sni',
        severity: 'warn',
        connections: ['C1', 'C2', 'C3', 'C5'],
        count: 4,
        at: null,
        message: '4 connections named another host than fstream.binance.com in SNI: evil\u001b[2Jhost.',
        hint: 'Check \u0007 the URL.',
      },
    ],
    connections: [],
  };
}

describe('renderText', () => {
  it('escapes control characters that come from file names and messages', () => {
    const text = renderText(report('evil\u001b]0;owned\u0007.pcap'), { color: false });
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(text).toContain('evil\\x1b]0;owned\\x07.pcap');
    expect(text).toContain('cut \\x07 here');
    // Anomaly messages and host names quote the capture's SNI.
    expect(text).toContain('evil\\x1b[2Jhost 0 (127.0.0.2)');
    expect(text).toContain('  evil\\x1b[2Jhost.');
    expect(text).toContain('Check \\x07 the URL.');
  });
  it('opens with the verdict and the anomalies, connections as ranges', () => {
    const lines = renderText(report('a.pcap'), { color: false }).split('\n');
    expect(lines[1]).toBe('Verdict: WARN (1 warn)');
    expect(lines[2]).toBe('  WARN sni (C1–C3, C5): 4 connections named another host than fstream.binance.com in SNI:');
    expect(lines[3]).toBe('         evil\\x1b[2Jhost.');
    expect(lines[4]).toBe('Summary');
  });
  it('uses no escape sequences without colour', () => {
    expect(renderText(report('a.pcap'), { color: false })).not.toContain('\u001b');
  });
});

describe('escapeTerminal', () => {
  it('escapes C0, DEL, C1 and the backslash itself', () => {
    expect(escapeTerminal('a\u0000b\u007fc\u009bd\\e')).toBe('a\\x00b\\x7fc\\x9bd\\\\e');
  });
});

describe('compactCount', () => {
  it('keeps small counts exact and shortens large ones', () => {
    expect(compactCount(9999)).toBe('9999');
    expect(compactCount(12345)).toBe('12.3k');
    expect(compactCount(1234567)).toBe('1.2M');
  });
});

describe('renderText with TLS facts', () => {
  it('escapes a hostile SNI and ALPN in the group header and the details, and fits 100 columns', async () => {
    const { analyzeCaptures } = await import('../../src/analyze/analyze-captures.js');
    const { join } = await import('node:path');
    const { FIXTURES } = await import('../helpers.js');
    const report = await analyzeCaptures([join(FIXTURES, 'lossy.pcap')], { serverPort: 443, generator: 'wscap test' });
    report.connections[0].sni = 'evil\u001b]0;owned\u0007.example';
    report.connections[0].alpn = 'h2\u001b[2J';
    const text = renderText(report, { color: false, details: true });
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(text).toContain('(evil\\x1b]0;owned\\x07.example, fstream.binance.com)');
    expect(text).toContain('sni evil\\x1b]0;owned\\x07.example, TLS 1.3, alpn h2\\x1b[2J;');
    expect(Math.max(...text.split('\n').filter((l) => !l.startsWith('  ')).map((l) => l.length))).toBeLessThanOrEqual(100);
    // The row of a lossy connection shows its retransmissions and duplicate ACKs.
    const c1 = report.connections[0];
    const r = c1.client2server.retransmissions + c1.server2client.retransmissions;
    const d = c1.client2server.dupAcks + c1.server2client.dupAcks;
    expect(text).toMatch(new RegExp(`^C1 .* R${r} D${d} +fin/`, 'm'));
  });
});
