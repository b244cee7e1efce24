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
    summary: { connections: 0, byClientState: {}, byCloseKind: {} },
    connections: [],
  };
}

describe('renderText', () => {
  it('escapes control characters that come from file names and messages', () => {
    const text = renderText(report('evil\u001b]0;owned\u0007.pcap'), { color: false });
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(text).toContain('evil\\x1b]0;owned\\x07.pcap');
    expect(text).toContain('cut \\x07 here');
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
