/**
 * \summary: a Zeek conn.log-compatible TSV, for log pipelines and zeek-cut.
 *
 * The layout of Zeek's ASCII writer: the `#separator \x09` line, the `#set_separator`,
 * `#empty_field`, `#unset_field`, `#path`, `#open`, `#fields` and `#types` header lines, one
 * tab-separated row per connection, and `#close`. Times and intervals with 6 decimals (Zeek keeps
 * the trailing zeros), unset fields `-`, strings escaped as Zeek escapes them (escapeZeek).
 *
 * The model maps onto conn.log's fields as follows; where the model has nothing, the field is unset:
 * - ts = the connection's first packet; uid = the connection id (C1, C2 ...: unique in this log,
 *   not Zeek's random uid; it matches the JSON report's `id`); orig = the client, resp = the server.
 * - service `ssl` when the ServerHello was seen (the TLS handshake got an answer), else unset.
 * - duration, orig_bytes, resp_bytes only when the duration is above 0 (as Zeek does); the bytes
 *   are the TCP payload bytes of each direction, retransmissions included (Zeek counts sequence
 *   space, which leaves them out: the two differ on connections with retransmissions).
 * - conn_state and history: the model's Zeek conn_state and history.
 * - local_orig, local_resp unset (Zeek leaves them unset without Site::local_nets).
 * - missed_bytes 0 when every byte of both directions is known to be in the capture (the TLS
 *   records were followed to the end, or no segment was missing); unset when bytes were missing
 *   (`gap`) or may have been (a lost segment where the records were not followed): the model
 *   counts missing segments, not bytes, so no number is claimed.
 * - orig_pkts, resp_pkts: packets of each direction; orig_ip_bytes, resp_ip_bytes unset (the
 *   model has no IP header bytes); tunnel_parents unset.
 * - ip_proto 6 (TCP): the field recent Zeek releases (the 8.x documentation) write after
 *   tunnel_parents; older ones end at tunnel_parents.
 * - server_name (wscap's, after Zeek's fields; zeek-cut reads by name): the SNI, as ssl.log's
 *   `server_name`; unset when the ClientHello had none or it was not captured.
 *
 * `#open` and `#close` are the capture's first and last packet times, UTC, in Zeek's
 * `%Y-%m-%d-%H-%M-%S` format (Zeek writes the wall-clock time, in local time, when it opens and
 * closes the file: the capture's times keep the log reproducible).
 */
import type { ConnectionReport, DirectionReport, RecordTracking, Report } from '../report/model.js';
import { escapeZeek } from './escape.js';
import { zeekStamp } from '../report/time.js';

const UNSET = '-';
const SEPARATOR = '\t';

/** conn.log's fields and types, in Zeek's order, then wscap's own. */
const FIELDS: ReadonlyArray<readonly [string, string]> = [
  ['ts', 'time'],
  ['uid', 'string'],
  ['id.orig_h', 'addr'],
  ['id.orig_p', 'port'],
  ['id.resp_h', 'addr'],
  ['id.resp_p', 'port'],
  ['proto', 'enum'],
  ['service', 'string'],
  ['duration', 'interval'],
  ['orig_bytes', 'count'],
  ['resp_bytes', 'count'],
  ['conn_state', 'string'],
  ['local_orig', 'bool'],
  ['local_resp', 'bool'],
  ['missed_bytes', 'count'],
  ['history', 'string'],
  ['orig_pkts', 'count'],
  ['orig_ip_bytes', 'count'],
  ['resp_pkts', 'count'],
  ['resp_ip_bytes', 'count'],
  ['tunnel_parents', 'set[string]'],
  ['ip_proto', 'count'],
  ['server_name', 'string'],
];

/** The conn.log field names, in order (tests and readers). */
export const ZEEK_CONN_FIELDS: readonly string[] = FIELDS.map(([name]) => name);

export function renderZeekConnLog(report: Report): string {
  const lines = [
    '#separator \\x09',
    header('set_separator', ','),
    header('empty_field', '(empty)'),
    header('unset_field', UNSET),
    header('path', 'conn'),
    header('open', zeekLogTime(report.capture.start)),
    header('fields', ...FIELDS.map(([name]) => name)),
    header('types', ...FIELDS.map(([, type]) => type)),
  ];
  for (const c of report.connections) lines.push(row(c));
  lines.push(header('close', zeekLogTime(report.capture.end)));
  return `${lines.join('\n')}\n`;
}

function header(key: string, ...values: string[]): string {
  return `#${key}${SEPARATOR}${values.join(SEPARATOR)}`;
}

function row(c: ConnectionReport): string {
  const timed = c.durationS > 0;
  const fields = [
    c.start.toFixed(6),
    escapeZeek(c.id),
    escapeZeek(c.client.ip),
    String(c.client.port),
    escapeZeek(c.server.ip),
    String(c.server.port),
    'tcp',
    c.tlsVersion !== null ? 'ssl' : UNSET,
    timed ? c.durationS.toFixed(6) : UNSET,
    timed ? String(c.client2server.bytes) : UNSET,
    timed ? String(c.server2client.bytes) : UNSET,
    escapeZeek(c.zeek.connState),
    UNSET,
    UNSET,
    allCaptured(c.client2server, c.tls.recordTracking.client2server) && allCaptured(c.server2client, c.tls.recordTracking.server2client) ? '0' : UNSET,
    c.zeek.history === '' ? UNSET : escapeZeek(c.zeek.history),
    String(c.client2server.packets),
    UNSET,
    String(c.server2client.packets),
    UNSET,
    UNSET,
    '6',
    c.sni === null ? UNSET : escapeZeek(c.sni),
  ];
  const line = fields.join(SEPARATOR);
  // Zeek escapes a row's first character when the row would read as a header line.
  return line.startsWith('#') ? `\\x23${line.slice(1)}` : line;
}

/** Every byte of this direction is in the capture: its records were followed to the end, or no segment went missing. */
function allCaptured(d: DirectionReport, tracking: RecordTracking): boolean {
  if (tracking === 'gap') return false;
  return tracking === 'following' || tracking === 'no-data' || d.lostSegments === 0;
}

/** ISO 8601 (the model's capture times) → Zeek's `#open` / `#close` format, UTC; the epoch without packets. */
function zeekLogTime(iso: string | null): string {
  const ms = iso === null ? NaN : Date.parse(iso);
  return zeekStamp(Number.isNaN(ms) ? 0 : ms / 1000);
}
