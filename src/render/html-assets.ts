/**
 * \summary: the HTML report's inline style sheet and script (no fonts, images or scripts from
 * anywhere; the page's Content-Security-Policy allows exactly these two by their hashes).
 *
 * Neither contains anything from the report: they are constants, plus the table's column
 * alignment, which html-table.ts derives from its own column list.
 */

/** End-of-connection colours (html-format.ts END_CLASSES), shared by lanes, legend, rows. */
const END_COLOURS = `
.e-client{--c:#2e7d32}.e-server{--c:#1e63b8}.e-close-wait{--c:#e08a00}.e-rst{--c:#c62828}
.e-refused{--c:#8e24aa}.e-unanswered{--c:#8a8f98}.e-open{--c:#00897b}`;

export const CSS = `
:root{--fg:#1d2330;--muted:#5b6474;--line:#d9dde5;--panel:#f5f6f8;--ok:#1b7f3b;--warn:#a15c00;--fail:#c62828;--info:#5b6474}
*{box-sizing:border-box}
html{background:#fff}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:#fff}
main{max-width:1400px;margin:0 auto;padding:16px 20px 48px}
h1{font-size:20px;margin:0 0 2px}
h2{font-size:17px;margin:30px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:14px;margin:14px 0 4px}
h3.host{margin:12px 0 2px;font-size:13px}
p{margin:6px 0}
a{color:#1e63b8}
.muted{color:var(--muted);font-weight:normal}
.note{color:var(--muted);font-size:12.5px;max-width:980px}
.mono,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
code{background:var(--panel);padding:0 3px;border-radius:3px;word-break:break-all}
.banner{margin:12px 0 10px;padding:12px 16px;border-radius:8px;color:#fff;display:flex;flex-wrap:wrap;gap:4px 18px;align-items:baseline}
.banner .big{font-size:22px;font-weight:700;letter-spacing:.02em}
.banner.v-ok{background:var(--ok)}.banner.v-warn{background:#b86b00}.banner.v-fail{background:var(--fail)}
nav.toc{font-size:13px;display:flex;flex-wrap:wrap;gap:4px 14px}
table{border-collapse:collapse}
th,td{padding:3px 7px;text-align:left;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--panel);font-weight:600;white-space:nowrap}
caption{text-align:left;color:var(--muted);font-size:12.5px;padding:4px 0}
.kv th{background:none;font-weight:normal;color:var(--muted);padding-left:0}
.kv td{font-variant-numeric:tabular-nums}
.sev{display:inline-block;min-width:3.4em;text-align:center;font-weight:700;font-size:11.5px;border-radius:3px;padding:1px 5px;color:#fff}
.sev-fail{background:var(--fail)}.sev-warn{background:#b86b00}.sev-info{background:var(--info)}
.anoms td{font-size:13px}
.anoms td.mono{white-space:nowrap}
.anoms td.hint{color:#39404d}
.anoms tr.s-fail td:first-child{border-left:4px solid var(--fail)}
.anoms tr.s-warn td:first-child{border-left:4px solid #b86b00}
.anoms tr.s-info td:first-child{border-left:4px solid var(--info)}
.chips{display:flex;flex-wrap:wrap;gap:4px 8px;margin:0;padding:0;list-style:none}
.chips li{border:1px solid var(--line);border-radius:10px;padding:0 8px;font-size:12.5px}
.warnings li{color:#7a4a00}
.bad{color:var(--fail);font-weight:600}
.scroll{overflow-x:auto}
svg{display:block;max-width:100%;height:auto;overflow:visible}
.legend svg,.key svg{display:inline-block;vertical-align:-1px;margin-right:4px}
.legend{font-size:12.5px;display:flex;flex-wrap:wrap;gap:2px 14px}
svg text{font:11px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#39404d}
svg text.muted{fill:var(--muted)}
.ax{stroke:#8a93a3;stroke-width:1}
.grid{stroke:#e8eaef;stroke-width:1}
.ygrid{stroke:#eceef2;stroke-width:1}
${END_COLOURS}
.bar,.sw{fill:var(--c)}
.dens{fill:var(--c);fill-opacity:.85}
.tail{stroke:var(--c);stroke-width:2;stroke-dasharray:4 3}
.lane:hover .bar,.lane:focus .bar{fill-opacity:.7}
.lane:focus{outline:none}
.lane text.id{font-size:10px}
.mk-silence{fill:#fff;fill-opacity:.62}
.mk-rtx{fill:#d81b60;stroke:#fff;stroke-width:.5}
.mk-zwin{fill:#111;stroke:#fff;stroke-width:.5}
.mk-rst{fill:none;stroke:#000;stroke-width:1.6}
.mk-rst-agg{fill:#c62828}
.step{fill:none;stroke:#1e63b8;stroke-width:1.8;stroke-linejoin:round}
.pt{fill:#1e63b8}.pt.hidden{fill-opacity:0}
.maxline{stroke:#5b6474;stroke-width:1;stroke-dasharray:2 3}
.expected{stroke:#c62828;stroke-width:1.6;stroke-dasharray:7 4}
text.explabel{fill:#c62828}
svg.meter{display:inline-block;vertical-align:-1px;margin:0 6px}
.meter rect.track{fill:#e8eaef}.meter rect.used{fill:#1e63b8}.meter rect.used.high{fill:var(--fail)}
.conns{font-size:12.5px;font-variant-numeric:tabular-nums;white-space:nowrap}
.conns td:first-child{border-left:4px solid var(--c,transparent)}
.conns tbody tr:hover{background:#f3f6fb}
.conns tr:target,.conns tr.hl{background:#fff3c4}
.js-only{display:none}
.js span.js-only{display:inline}
.js div.js-only,.js p.js-only{display:block}
.js .pager.js-only{display:flex}
.pager{gap:6px;align-items:center;margin:6px 0;font-size:12.5px}
.pager button{font:inherit;padding:2px 8px;border:1px solid var(--line);border-radius:4px;background:var(--panel);cursor:pointer}
.pageinfo{padding:0 8px;color:var(--muted)}
.tsv{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:11px;tab-size:14;-moz-tab-size:14;max-height:80vh;overflow:auto;border:1px solid var(--line);padding:6px;margin:0}
.js .conns th{cursor:pointer;user-select:none}
.js .conns th:hover{background:#e9edf3}
.conns th[aria-sort=ascending]::after{content:" ▲";font-size:9px}
.conns th[aria-sort=descending]::after{content:" ▼";font-size:9px}
footer{margin-top:28px;color:var(--muted);font-size:12px}
@media print{
 @page{size:A4 landscape;margin:10mm}
 html,body{background:#fff;color:#000;font-size:9pt}
 h1{font-size:14pt}h2{font-size:12pt;margin-top:16px}h3,h3.host{font-size:9.5pt}
 td,th,li,p,caption,.note,.legend,.mono,code,.anoms td{font-size:8pt}
 .banner{padding:6px 10px}.banner .big{font-size:14pt}
 main{max-width:none;padding:0}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 nav.toc,.pager,span.js-only,.noprint{display:none!important}
 .tsv{max-height:none;overflow:visible;white-space:pre-wrap;font-size:6pt}
 .scroll{overflow:visible}
 h2,h3{break-after:avoid}
 .banner,.anoms tr,.lanes,.axis,.chart,.conns tr,.kv tr,figure{break-inside:avoid}
 .host-group h3{break-after:avoid}
 thead{display:table-header-group}
 .conns,.conns td,.conns th{font-size:6.5pt;white-space:normal}
 .conns th,.conns td{padding:1px 3px}
 .conns th[aria-sort]::after{content:""}
 .conns tbody tr:hover,.conns tr:target,.conns tr.hl{background:none}
 .lane:hover .bar{fill-opacity:1}
 a{color:inherit;text-decoration:none}
}
`;

/**
 * Sorts the connection table by the clicked column (again: reversed); above the table limit
 * builds it from the tab-separated rows (`data-source`); past one page (`.pager`), shows a page
 * of rows at a time, and turns to the page of a row a link points to. Keys are read once per
 * column from the cell texts by the column's kind (`data-k`: id, num, pair = sum of "a/b", text,
 * seq = id order); numbers compare as numbers, text with a numeric collation; unknown ('-' or
 * empty) sorts last in both directions; ties keep the id order. Cells are filled with
 * textContent, never markup. Plain ES5-level code, so it runs in any browser.
 */
export const SCRIPT = `
(function () {
  'use strict';
  var root = document.documentElement;
  root.className = (root.className ? root.className + ' ' : '') + 'js';
  var table = document.getElementById('conn-table');
  if (!table || !table.tHead || !table.tBodies.length) return;
  var body = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  var kinds = [];
  var closeCol = -1;
  var stateCol = -1;
  for (var h = 0; h < heads.length; h++) {
    kinds.push(heads[h].getAttribute('data-k'));
    if (heads[h].textContent === 'Close') closeCol = h;
    if (heads[h].textContent === 'State') stateCol = h;
  }
  var records = [];
  var page = 0;
  var marked = null;
  var pager = document.querySelector('.pager');
  var pageRows = pager ? Number(pager.getAttribute('data-rows')) || 500 : 0;
  var info = pager ? pager.querySelector('.pageinfo') : null;
  var source = table.getAttribute('data-source');
  if (source) {
    var holder = document.getElementById(source);
    if (!holder) return;
    // With scripting on, <noscript> holds its markup as text: take the <pre>'s and decode the
    // five entities escapeHtml writes (no other & occurs).
    var raw = holder.textContent || '';
    var at = raw.indexOf('<pre');
    raw = raw.slice(raw.indexOf('>', at) + 1, raw.lastIndexOf('</pre>'));
    var entities = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
    raw = raw.replace(/&(amp|lt|gt|quot|#39);/g, function (m) { return entities[m]; });
    var lines = raw.split('\\n');
    for (var l = 1; l < lines.length; l++) if (lines[l] !== '') records.push({ cells: lines[l].split('\\t'), tr: null });
  } else {
    for (var r = 0; r < body.rows.length; r++) records.push({ cells: null, tr: body.rows[r] });
  }
  if (pager) {
    pager.addEventListener('click', function (e) {
      var go = e.target && e.target.getAttribute ? e.target.getAttribute('data-go') : null;
      if (!go) return;
      var last = Math.max(0, Math.ceil(records.length / pageRows) - 1);
      page = go === 'first' ? 0 : go === 'prev' ? Math.max(0, page - 1) : go === 'next' ? Math.min(last, page + 1) : last;
      show();
    });
  }
  var order = [];
  for (var i = 0; i < records.length; i++) order.push(i);
  var collator = typeof Intl === 'object' ? new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' }) : null;
  var keys = [];
  var current = -1;
  var dir = 1;

  function text(i, col) {
    var rec = records[i];
    if (rec.cells) return rec.cells[col] || '';
    var cell = rec.tr.cells[col];
    return cell ? cell.textContent : '';
  }
  function endOf(cells) {
    var close = cells[closeCol] || '';
    if (cells[stateCol] === 'CLOSE-WAIT') return 'close-wait';
    if (close === 'fin/client') return 'client';
    if (close.indexOf('fin') === 0) return 'server';
    var kind = close.split('/')[0];
    return kind === 'rst' || kind === 'refused' || kind === 'unanswered' ? kind : 'open';
  }
  function rowOf(i) {
    var rec = records[i];
    if (rec.tr) return rec.tr;
    var tr = document.createElement('tr');
    tr.id = 'row-' + rec.cells[0];
    tr.className = 'e-' + endOf(rec.cells);
    for (var c = 0; c < heads.length; c++) {
      var td = document.createElement('td');
      td.textContent = rec.cells[c] === undefined ? '' : rec.cells[c];
      tr.appendChild(td);
    }
    rec.tr = tr;
    return tr;
  }
  function show() {
    var from = 0;
    var to = order.length;
    if (pageRows) {
      from = page * pageRows;
      to = Math.min(order.length, from + pageRows);
      body.textContent = '';
      var pages = Math.max(1, Math.ceil(order.length / pageRows));
      if (info) info.textContent = 'rows ' + (to > from ? from + 1 : 0) + '\\u2013' + to + ' of ' + order.length + ' (page ' + (page + 1) + ' of ' + pages + ')';
    }
    var frag = document.createDocumentFragment();
    for (var j = from; j < to; j++) frag.appendChild(rowOf(order[j]));
    body.appendChild(frag);
  }
  function keysOf(col) {
    if (keys[col]) return keys[col];
    var kind = kinds[col];
    var out = new Array(records.length);
    for (var i = 0; i < records.length; i++) {
      if (kind === 'seq') { out[i] = i; continue; }
      var v = text(i, col);
      var n = NaN;
      if (v === '' || v === '-') { out[i] = null; continue; }
      if (kind === 'text') { out[i] = v; continue; }
      if (kind === 'id') n = Number(v.slice(1));
      else if (kind === 'pair') { var p = v.split('/'); n = Number(p[0]) + Number(p[1]); }
      else n = Number(v);
      out[i] = isNaN(n) ? null : n;
    }
    keys[col] = out;
    return out;
  }
  function sortBy(col) {
    var numeric = kinds[col] !== 'text';
    dir = col === current ? -dir : 1;
    current = col;
    var k = keysOf(col);
    order.sort(function (a, b) {
      var x = k[a];
      var y = k[b];
      if (x === null || y === null) return x === y ? a - b : x === null ? 1 : -1;
      var c = numeric ? x - y : collator ? collator.compare(x, y) : x < y ? -1 : x > y ? 1 : 0;
      return c !== 0 ? c * dir : a - b;
    });
    page = 0;
    show();
    for (var h = 0; h < heads.length; h++) heads[h].removeAttribute('aria-sort');
    heads[col].setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
  }
  // A link to a row (a timeline lane's): turn to its page, mark it, bring it into view.
  function reveal() {
    var target = location.hash.slice(1);
    try { target = decodeURIComponent(target); } catch (e) { return; }
    if (target.indexOf('row-') !== 0) return;
    for (var j = 0; j < order.length; j++) {
      var rec = records[order[j]];
      if ((rec.tr ? rec.tr.id : 'row-' + rec.cells[0]) === target) break;
    }
    if (j === order.length) return;
    if (pageRows && Math.floor(j / pageRows) !== page) {
      page = Math.floor(j / pageRows);
      show();
    }
    var tr = rowOf(order[j]);
    if (marked) marked.className = marked.className.replace(/ ?\\bhl\\b/, '');
    tr.className += ' hl';
    marked = tr;
    if (tr.scrollIntoView) tr.scrollIntoView({ block: 'center' });
  }
  window.addEventListener('hashchange', reveal);
  for (var hh = 0; hh < heads.length; hh++) {
    (function (col) {
      var th = heads[col];
      th.tabIndex = 0;
      th.addEventListener('click', function () { sortBy(col); });
      th.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sortBy(col); }
      });
    })(hh);
  }
  if (pageRows || source) show();
  if (location.hash) reveal();
})();
`;
