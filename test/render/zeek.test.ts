/**
 * The Zeek conn.log renderer (render/zeek.ts) on real fixtures, read back with a small reader that
 * follows the header as Zeek's own ASCII reader does (#separator, #fields, #types, the unset and
 * empty markers, \xNN escapes), field by field against the JSON report and tshark's expected values.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { analyzeCaptures } from '../../src/analyze/analyze-captures.js';
import { renderZeekConnLog } from '../../src/render/zeek.js';
import { renderJson } from '../../src/render/json.js';
import { escapeZeek } from '../../src/render/escape.js';
import type { ConnectionReport, Report } from '../../src/report/model.js';
import { FIXTURES, loadExpectations, type Expected } from '../helpers.js';

const ZEEK_FIELDS = [
  'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration', 'orig_bytes', 'resp_bytes', 'conn_state',
  'local_orig', 'local_resp', 'missed_bytes', 'history', 'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes', 'tunnel_parents',
];
const ZEEK_TYPES = [
  'time', 'string', 'addr', 'port', 'addr', 'port', 'enum', 'string', 'interval', 'count', 'count', 'string',
  'bool', 'bool', 'count', 'string', 'count', 'count', 'count', 'count', 'set[string]',
];

/** A field read back: null when unset; strings as bytes (Zeek logs bytes), numbers as their text. */
type Field = { raw: string; value: Buffer | null };

interface ZeekLog {
  separator: string;
  meta: Map<string, string[]>;
  fields: string[];
  types: string[];
  rows: Map<string, Field>[];
}

/** \xNN → the byte; everything else as it is (Zeek writes only ASCII outside escapes). */
function unescape(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === 'x' && /^[0-9a-f]{2}$/i.test(s.slice(i + 2, i + 4))) {
      bytes.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      const code = s.charCodeAt(i);
      expect(code, `raw byte 0x${code.toString(16)} in a field`).toBeGreaterThanOrEqual(0x20);
      expect(code).toBeLessThan(0x7f);
      bytes.push(code);
    }
  }
  return Buffer.from(bytes);
}

/** Reads a Zeek ASCII log as Zeek's reader does: the first line names the separator, `#` lines are meta. */
function readZeekLog(text: string): ZeekLog {
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  const first = /^#separator (.+)$/.exec(lines[0]);
  expect(first).not.toBeNull();
  const separator = unescape(first?.[1] ?? '').toString('latin1');
  const meta = new Map<string, string[]>();
  const rows: Map<string, Field>[] = [];
  for (const line of lines.slice(1)) {
    if (line.startsWith('#')) {
      const [key, ...values] = line.slice(1).split(separator);
      meta.set(key, values);
      continue;
    }
    const fields = meta.get('fields') ?? [];
    const values = line.split(separator);
    expect(values, line).toHaveLength(fields.length);
    const unset = meta.get('unset_field')?.[0];
    const empty = meta.get('empty_field')?.[0];
    rows.push(new Map(values.map((raw, i) => [fields[i], { raw, value: raw === unset ? null : raw === empty ? Buffer.alloc(0) : unescape(raw) }])));
  }
  return { separator, meta, fields: meta.get('fields') ?? [], types: meta.get('types') ?? [], rows };
}

const text = (f: Field | undefined): string | null => (f?.value === null || f === undefined ? null : f.value.toString('latin1'));

/** Zeek's #open / #close format for an epoch time, UTC. */
function zeekOpen(iso: string): string {
  return iso.slice(0, 19).replace('T', '-').replace(/:/g, '-');
}

const FIXTURE_NAMES = ['close-wait', 'clean-shutdown', 'server-close-reconnect', 'refused-unanswered', 'snaplen-128', 'midstream', 'lossy', 'ipv6-clean', 'dns-names', 'any-nano'];
const reports = new Map<string, Report>();
const expectations = new Map<string, Expected>();

describe('renderZeekConnLog on real captures', () => {
  beforeAll(async () => {
    for (const e of loadExpectations()) expectations.set(e.name, e);
    for (const name of FIXTURE_NAMES) {
      reports.set(name, await analyzeCaptures([join(FIXTURES, `${name}.pcap`)], { serverPort: 443, generator: 'wscap test' }));
    }
  });

  it('writes the header of Zeek\'s ASCII writer for conn.log', () => {
    const out = renderZeekConnLog(reports.get('close-wait') as Report);
    const lines = out.split('\n');
    expect(lines.slice(0, 6)).toEqual([
      '#separator \\x09',
      '#set_separator\t,',
      '#empty_field\t(empty)',
      '#unset_field\t-',
      '#path\tconn',
      '#open\t2026-11-27-00-48-48',
    ]);
    expect(lines[6]).toBe(`#fields\t${[...ZEEK_FIELDS, 'ip_proto', 'server_name'].join('\t')}`);
    expect(lines[7]).toBe(`#types\t${[...ZEEK_TYPES, 'count', 'string'].join('\t')}`);
    expect(lines.at(-2)).toBe('#close\t2026-11-27-00-48-51');
    expect(lines.at(-1)).toBe('');
    expect(lines[8]).toBe('1795740528.947974\tC1\t127.0.0.1\t40110\t127.0.0.2\t443\ttcp\tssl\t2.061253\t691\t3790\tS3\t-\t-\t0\tShADadf\t16\t-\t15\t-\t-\t6\tfstream.binance.com');
  });

  it.each(FIXTURE_NAMES)('%s: every field read back equals the JSON report and tshark\'s values', (name) => {
    const report = reports.get(name) as Report;
    const log = readZeekLog(renderZeekConnLog(report));
    const json = JSON.parse(renderJson(report)) as Report;
    expect(log.separator).toBe('\t');
    expect(log.meta.get('path')).toEqual(['conn']);
    expect(log.fields.slice(0, ZEEK_FIELDS.length)).toEqual(ZEEK_FIELDS);
    expect(log.types.slice(0, ZEEK_TYPES.length)).toEqual(ZEEK_TYPES);
    expect(log.fields.slice(ZEEK_FIELDS.length)).toEqual(['ip_proto', 'server_name']);
    expect(log.meta.get('open')).toEqual([zeekOpen(json.capture.start as string)]);
    expect(log.meta.get('close')).toEqual([zeekOpen(json.capture.end as string)]);
    expect(log.rows).toHaveLength(json.connections.length);
    const expected = expectations.get(`${name}.expected.json`);
    expect(expected).toBeDefined();
    json.connections.forEach((c: ConnectionReport, i) => {
      const row = log.rows[i];
      const get = (f: string): Field => row.get(f) as Field;
      // Times: 6 decimals, as Zeek writes time and interval (trailing zeros kept).
      expect(get('ts').raw).toMatch(/^\d+\.\d{6}$/);
      expect(Math.abs(Number(get('ts').raw) - c.start)).toBeLessThanOrEqual(5e-7);
      expect(text(get('uid'))).toBe(c.id);
      expect(text(get('id.orig_h'))).toBe(c.client.ip);
      expect(Number(get('id.orig_p').raw)).toBe(c.client.port);
      expect(text(get('id.resp_h'))).toBe(c.server.ip);
      expect(Number(get('id.resp_p').raw)).toBe(c.server.port);
      expect(text(get('proto'))).toBe('tcp');
      expect(text(get('service'))).toBe(c.tlsVersion === null ? null : 'ssl');
      if (c.durationS > 0) {
        expect(get('duration').raw).toMatch(/^\d+\.\d{6}$/);
        expect(Math.abs(Number(get('duration').raw) - c.durationS)).toBeLessThanOrEqual(5e-7);
        expect(Number(get('orig_bytes').raw)).toBe(c.client2server.bytes);
        expect(Number(get('resp_bytes').raw)).toBe(c.server2client.bytes);
      } else {
        for (const f of ['duration', 'orig_bytes', 'resp_bytes']) expect(get(f).value).toBeNull();
      }
      expect(text(get('conn_state'))).toBe(c.zeek.connState);
      expect(text(get('history'))).toBe(c.zeek.history);
      expect(Number(get('orig_pkts').raw)).toBe(c.client2server.packets);
      expect(Number(get('resp_pkts').raw)).toBe(c.server2client.packets);
      const complete = (['client2server', 'server2client'] as const).every((d) => {
        const tracking = c.tls.recordTracking[d];
        return tracking !== 'gap' && (tracking === 'following' || tracking === 'no-data' || c[d].lostSegments === 0);
      });
      expect(get('missed_bytes').raw).toBe(complete ? '0' : '-');
      for (const f of ['local_orig', 'local_resp', 'orig_ip_bytes', 'resp_ip_bytes', 'tunnel_parents']) expect(get(f).value).toBeNull();
      expect(Number(get('ip_proto').raw)).toBe(6);
      expect(get('server_name').value?.equals(Buffer.from(c.sni ?? '', 'latin1')) ?? c.sni === null).toBe(true);
      // tshark's values (the fixture's expected file), where it has them.
      const e = expected?.connections.find((x) => x.id === c.id);
      expect(e).toBeDefined();
      expect(`${get('id.orig_h').raw.includes(':') ? `[${get('id.orig_h').raw}]` : get('id.orig_h').raw}:${get('id.orig_p').raw}`).toBe(e?.client);
      expect(Number(get('orig_pkts').raw)).toBe(e?.c2sPackets);
      expect(Number(get('resp_pkts').raw)).toBe(e?.s2cPackets);
      if (c.durationS > 0) {
        expect(Number(get('orig_bytes').raw)).toBe(e?.c2sBytes);
        expect(Number(get('resp_bytes').raw)).toBe(e?.s2cBytes);
      }
      if (e?.zeekConnState !== undefined) expect(text(get('conn_state'))).toBe(e.zeekConnState);
      if (e?.zeekHistory !== undefined) expect(text(get('history'))).toBe(e.zeekHistory);
    });
  });

  it('lossy.pcap: missed_bytes 0 where lost segments were retransmitted and the records followed to the end', () => {
    const report = reports.get('lossy') as Report;
    expect(report.connections.some((c) => c.server2client.lostSegments > 0)).toBe(true);
    const log = readZeekLog(renderZeekConnLog(report));
    expect(log.rows.map((r) => r.get('missed_bytes')?.raw)).toEqual(report.connections.map(() => '0'));
    // A direction with a gap in its records: missed bytes unknown, so unset.
    const gap = structuredClone(report);
    gap.connections[0].tls.recordTracking.server2client = 'gap';
    gap.connections[1].tls.recordTracking.server2client = 'truncated';
    expect(readZeekLog(renderZeekConnLog(gap)).rows.slice(0, 3).map((r) => r.get('missed_bytes')?.value)).toEqual([null, null, Buffer.from('0')]);
  });
});

describe('renderZeekConnLog with hostile strings', () => {
  const HOSTILE = ['a\tb', 'a\nb', 'a\r\nb\tc', '\t', '\n', '-', '(empty)', '', '#x', 'a\\x09b', 'a,b', '\u001b[31m', 'caf\u00e9', '\u00ff\u0000', ' '];

  it.each(HOSTILE.map((s) => [JSON.stringify(s), s]))('SNI and history %s cannot add a column or a line', (_label, s) => {
    const base = reports.get('close-wait') as Report;
    const r = structuredClone(base);
    r.connections[0].sni = s;
    r.connections[0].zeek.history = s;
    r.connections[1].id = s === '' ? 'C2' : s;
    const out = renderZeekConnLog(r);
    expect(out.split('\n')).toHaveLength(renderZeekConnLog(base).split('\n').length);
    const log = readZeekLog(out);
    expect(log.rows).toHaveLength(base.connections.length);
    for (const row of log.rows) expect(row.size).toBe(log.fields.length);
    // Read back exactly (an empty history is unset, as Zeek leaves it).
    expect(log.rows[0].get('server_name')?.value?.equals(Buffer.from(s, 'latin1'))).toBe(true);
    const history = log.rows[0].get('history')?.value;
    if (s === '') expect(history).toBeNull();
    else expect(history?.equals(Buffer.from(s, 'latin1'))).toBe(true);
    expect(text(log.rows[1].get('uid'))).toBe(s === '' ? 'C2' : s);
    // The other rows are untouched.
    expect(out.split('\n').slice(10)).toEqual(renderZeekConnLog(base).split('\n').slice(10));
  });

  it('escapeZeek: Zeek\'s reserved values get their first character escaped', () => {
    expect(escapeZeek('-')).toBe('\\x2d');
    expect(escapeZeek('(empty)')).toBe('\\x28empty)');
    expect(escapeZeek('')).toBe('(empty)');
    expect(escapeZeek('a\tb\\c')).toBe('a\\x09b\\x5cc');
  });
});
