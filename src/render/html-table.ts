/**
 * \summary: the HTML report's connection table, sortable by any column with the inline script
 * (html-assets.ts) and, without JavaScript, the same rows unsorted.
 *
 * Up to `tableLimit` connections (default 1,000) it is a plain <table> with every row. Above
 * it, a table of tens of thousands of rows makes a browser lay out hundreds of thousands of
 * cells, so the rows are written once as tab-separated text in a <pre> (all of them, in id
 * order: what a reader without JavaScript sees, and what a spreadsheet takes when pasted), and
 * the script builds the table from it. With the script, either form shows PAGE_ROWS rows a page
 * (each sort lays out at most that many rows) sorted over all rows, and a link to a row
 * (a timeline lane's) turns to its page. The <pre> is inside <noscript>: with JavaScript on, the browser
 * keeps it as unparsed text (no layout), and the script decodes the rows from it.
 *
 * A cell's text is its sort key: durations and silences with every microsecond, milliseconds as
 * the model rounds them, both directions as "client/server" sorted by their sum; '-' is unknown
 * and sorts last either way. The start time sorts in id order (ids are numbered by first packet).
 */
import type { ConnectionReport, Report } from '../report/model.js';
import { anomaliesById, endClass, endpoint, esc, groupByHost, utcClock } from './html-format.js';

/** How the script compares a column: id = the number after "C", num, pair = the sum of "a/b", text, seq = id order. */
export type SortKind = 'id' | 'num' | 'pair' | 'text' | 'seq';

interface Column {
  head: string;
  title: string;
  kind: SortKind;
  /** The cell's text, unescaped (escaped where it is written). Never a tab or newline once escaped. */
  cell: (c: ConnectionReport, ctx: RowContext) => string;
}

interface RowContext {
  host: string;
  codes: string[] | undefined;
}

/** Rows in one page of the scripted table (above the table limit). */
export const PAGE_ROWS = 500;
/** Default: a plain table up to this many connections. */
export const TABLE_LIMIT = 1000;

function fixedOrDash(v: number | null, digits: number): string {
  return v === null ? '-' : Number(v).toFixed(digits);
}

function pair(a: number, b: number): string {
  return `${Number(a)}/${Number(b)}`;
}

const HOST: Column = { head: 'Host', title: 'server name (SNI, else DNS, else address)', kind: 'text', cell: (_c, x) => x.host };
const SERVER: Column = { head: 'Server', title: 'server address and port', kind: 'text', cell: (c) => endpoint(c.server) };
const SNI: Column = { head: 'SNI', title: 'server_name in the ClientHello', kind: 'text', cell: (c) => (c.sni === null ? `(${c.tls.sniStatus})` : c.sni) };

const MAIN: Column[] = [
  { head: 'Start UTC', title: 'first packet, UTC (sorts in id order: ids are numbered by first packet)', kind: 'seq', cell: (c) => utcClock(c.start) },
  { head: 'Dur s', title: 'first to last packet, seconds', kind: 'num', cell: (c) => fixedOrDash(c.durationS, 6) },
  { head: 'TCP ms', title: 'SYN → SYN-ACK, ms (from the first SYN)', kind: 'num', cell: (c) => fixedOrDash(c.handshake.synToSynAckMs, 3) },
  { head: 'TLS ms', title: 'ClientHello → ServerHello, ms', kind: 'num', cell: (c) => fixedOrDash(c.handshake.tlsMs, 3) },
  { head: 'Data ms', title: 'SYN → the server’s first record after the upgrade request, ms', kind: 'num', cell: (c) => fixedOrDash(c.handshake.firstServerDataMs, 3) },
  { head: 'Silent s', title: 'longest time with no data-size record from the server, seconds', kind: 'num', cell: (c) => fixedOrDash(c.server2client.maxDataSilenceS, 6) },
  { head: 'Rtx →/←', title: 'retransmissions by the client / by the server (sorted by the sum)', kind: 'pair', cell: (c) => pair(c.client2server.retransmissions, c.server2client.retransmissions) },
  { head: 'Zwin →/←', title: 'zero-window adverts by the client / by the server', kind: 'pair', cell: (c) => pair(c.client2server.zeroWindows, c.server2client.zeroWindows) },
  { head: 'Dup →/←', title: 'duplicate ACKs by the client / by the server', kind: 'pair', cell: (c) => pair(c.client2server.dupAcks, c.server2client.dupAcks) },
  { head: 'Pkts →/←', title: 'packets sent by the client / by the server', kind: 'pair', cell: (c) => pair(c.client2server.packets, c.server2client.packets) },
  { head: 'Bytes →/←', title: 'TCP payload bytes sent by the client / by the server', kind: 'pair', cell: (c) => pair(c.client2server.bytes, c.server2client.bytes) },
  { head: 'Close', title: 'how it ended / who sent the first FIN or RST', kind: 'text', cell: (c) => (c.close.initiator === null ? c.close.kind : `${c.close.kind}/${c.close.initiator}`) },
  {
    head: 'WS close',
    title: 'who began the WebSocket closing records; frame: with a close frame, notify: close_notify only',
    kind: 'text',
    cell: (c) => (c.close.wsInitiator === null ? '-' : `${c.close.wsInitiator}${c.close.wsCloseFrame === null ? '' : c.close.wsCloseFrame ? ' frame' : ' notify'}`),
  },
  { head: 'State', title: 'the client socket when the capture ended, as ss shows it', kind: 'text', cell: (c) => c.clientState },
  { head: 'Zeek', title: 'Zeek conn_state and history', kind: 'text', cell: (c) => `${c.zeek.connState} ${c.zeek.history}` },
  { head: 'TLS', title: 'negotiated TLS version, ALPN', kind: 'text', cell: (c) => `${c.tlsVersion === null ? '-' : c.tlsVersion.replace(/^TLS /, '')}${c.alpn === null ? '' : ` ${c.alpn}`}` },
];

const PROCESS: Column = {
  head: 'Process',
  title: 'the socket’s owner, from the recording’s ss snapshots',
  kind: 'text',
  cell: (c) => (c.process === null ? '-' : `${c.process.command} ${Number(c.process.pid)}`),
};

const ANOMALIES: Column = {
  head: 'Anomalies',
  title: 'anomaly codes that list this connection (an anomaly lists at most 1,000)',
  kind: 'text',
  cell: (_c, x) => (x.codes === undefined ? '-' : x.codes.join(' ')),
};

/**
 * The columns this report needs: Host when there are several hosts, Server when several server
 * addresses, SNI when a connection's SNI is not its host's name, Process and Anomalies when any.
 */
function columnsFor(report: Report, hostOf: Map<string, string>): Column[] {
  const cols: Column[] = [{ head: 'ID', title: 'connection id, in order of first packet', kind: 'id', cell: (c) => c.id }];
  if (new Set(hostOf.values()).size > 1) cols.push(HOST);
  cols.push({ head: 'Client', title: 'client address and port', kind: 'text', cell: (c) => endpoint(c.client) });
  if (new Set(report.connections.map((c) => endpoint(c.server))).size > 1) cols.push(SERVER);
  cols.push(...MAIN);
  if (report.connections.some((c) => c.sni !== hostOf.get(c.id))) cols.push(SNI);
  if (report.connections.some((c) => c.process !== null)) cols.push(PROCESS);
  if (report.anomalies.some((a) => a.connections.length > 0)) cols.push(ANOMALIES);
  return cols;
}

const RIGHT_ALIGNED: SortKind[] = ['num', 'pair'];

export function renderTable(report: Report, tableLimit: number = TABLE_LIMIT): { html: string; css: string } {
  const hostOf = new Map<string, string>();
  for (const g of groupByHost(report)) for (const c of g.rows) hostOf.set(c.id, g.host.name);
  const cols = columnsFor(report, hostOf);
  const codes = anomaliesById(report);
  const n = report.connections.length;
  const paged = n > tableLimit;
  const css = `${cols.flatMap((c, i) => (RIGHT_ALIGNED.includes(c.kind) ? [`.conns td:nth-child(${i + 1})`] : [])).join(',')}{text-align:right}`;
  const head = `<thead><tr>${cols.map((c) => `<th scope="col" data-k="${c.kind}" title="${esc(c.title)}">${esc(c.head)}</th>`).join('')}</tr></thead>`;
  const cellsOf = (c: ConnectionReport): string[] => {
    const ctx: RowContext = { host: hostOf.get(c.id) ?? '', codes: codes.get(c.id) };
    return cols.map((col) => esc(col.cell(c, ctx)));
  };
  const pager =
    n > PAGE_ROWS
      ? `<div class="pager js-only" data-rows="${PAGE_ROWS}"><button type="button" data-go="first">« first</button><button type="button" data-go="prev">‹ previous</button><span class="pageinfo"></span><button type="button" data-go="next">next ›</button><button type="button" data-go="last">last »</button></div>`
      : '';
  const sortHint = `${n > PAGE_ROWS ? `, ${PAGE_ROWS} a page` : ''}; click a column header to sort${n > PAGE_ROWS ? ' all of them' : ''} by it (again to reverse; unknown values last)`;
  const out: string[] = [];
  if (!paged) {
    out.push(
      pager,
      '<div class="scroll">',
      '<table id="conn-table" class="conns">',
      `<caption>${n} connection${n === 1 ? '' : 's'} in id order<span class="js-only">${sortHint}</span>. Pairs are client/server (→ sent by the client, ← by the server).</caption>`,
      head,
      '<tbody>',
    );
    // Closing tags of cells and rows are optional in HTML: left out, a row is a third smaller.
    for (const c of report.connections) out.push(`<tr id="row-${esc(c.id)}" class="e-${endClass(c)}"><td>${cellsOf(c).join('<td>')}`);
    out.push('</tbody></table></div>');
  } else {
    out.push(
      `<p class="note js-only">${n} connections${sortHint}. Pairs are client/server (→ sent by the client, ← by the server).</p>`,
      pager,
      '<div class="scroll js-only">',
      `<table id="conn-table" class="conns" data-source="conn-tsv">${head}<tbody></tbody></table>`,
      '</div>',
      // In <noscript>: with JavaScript on, the browser keeps it as plain text (nothing to lay
      // out; a 3 MB <pre> took seconds) and the script reads the rows from it.
      '<noscript id="conn-tsv">',
      `<p class="note">${n} connections: more than ${tableLimit}, so the rows are tab-separated text, one line per connection in id order (with JavaScript, a sortable table of ${PAGE_ROWS} rows a page). Pairs are client/server.</p>`,
    );
    const lines = [cols.map((c) => esc(c.head)).join('\t')];
    for (const c of report.connections) lines.push(cellsOf(c).join('\t'));
    out.push(`<pre class="tsv">${lines.join('\n')}</pre>`, '</noscript>');
  }
  return { html: out.join('\n'), css };
}
