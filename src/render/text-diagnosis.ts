/**
 * \summary: the top of the text report: the verdict, the anomalies with their hints, and the
 * capture-wide view, so that the first ten lines say what happened.
 */
import type { AnomalyReport, Report, Severity } from '../report/model.js';
import { escapeTerminal } from './escape.js';
import { utcClock } from '../report/time.js';
import { BOLD, GREEN, RED, YELLOW, paint } from './ansi.js';

const WIDTH = 100;
const SEVERITY_COLOR: Record<Severity, string | undefined> = { fail: RED, warn: YELLOW, info: undefined };

/** "C1–C7, C9, C12–C13": consecutive ids as ranges, and "(+N more)" past the evidence list. */
export function idRanges(ids: string[], count = ids.length): string {
  const numbers = ids.map((id) => Number(id.slice(1))).sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < numbers.length; ) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j] + 1) j++;
    parts.push(j === i ? `C${numbers[i]}` : `C${numbers[i]}–C${numbers[j]}`);
    i = j + 1;
  }
  if (parts.length > 6) parts.splice(6, parts.length - 6, '…');
  const more = count > ids.length ? ` (+${count - ids.length} more)` : '';
  return parts.join(', ') + more;
}

/** Words wrapped to the width, every line after the first indented. */
export function wrap(text: string, first: string, indent: string, width = WIDTH): string[] {
  const lines: string[] = [];
  let line = first;
  let hasWord = false;
  for (const word of text.split(' ')) {
    if (hasWord && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else {
      line += (hasWord ? ' ' : '') + word;
    }
    hasWord = true;
  }
  lines.push(line);
  return lines;
}

/** Time of day with milliseconds, UTC (the capture's date is in its header line). */
export function clockMs(t: number): string {
  return utcClock(t, 3);
}

function anomalyLines(a: AnomalyReport, color: boolean): string[] {
  const label = paint(a.severity.toUpperCase().padEnd(4), SEVERITY_COLOR[a.severity], color);
  const where = [a.connections.length > 0 ? idRanges(a.connections, a.count) : '', a.at === null ? '' : `at ${clockMs(a.at)}`]
    .filter((s) => s !== '')
    .join(' ');
  const head = `  ${label} ${a.code}${where === '' ? '' : ` (${where})`}: `;
  // Only the visible characters count towards the width.
  const visible = head.length - (label.length - 4);
  const lines = wrap(escapeTerminal(a.message), ' '.repeat(visible), '         ');
  lines[0] = head + lines[0].slice(visible);
  return lines;
}

export function diagnosisLines(report: Report, color: boolean): string[] {
  const s = report.summary;
  const out: string[] = [];
  const bySeverity = (sev: Severity): number => report.anomalies.filter((a) => a.severity === sev).length;
  const tally = (['fail', 'warn', 'info'] as Severity[]).filter((sev) => bySeverity(sev) > 0).map((sev) => `${bySeverity(sev)} ${sev}`);
  const verdictColor = s.verdict === 'fail' ? RED : s.verdict === 'warn' ? YELLOW : GREEN;
  out.push(
    `${paint(`Verdict: ${s.verdict.toUpperCase()}`, verdictColor, color)}${tally.length > 0 ? ` (${tally.join(', ')})` : ' (no anomalies)'}`,
  );
  for (const a of report.anomalies) out.push(...anomalyLines(a, color));

  const hosts = s.hosts.slice(0, 4).map((h) => `${escapeTerminal(h.name)} ${h.connections} (${h.addresses.map(escapeTerminal).join(', ')})`);
  if (s.hosts.length > 4) hosts.push(`+${s.hosts.length - 4} more`);
  out.push(paint('Summary', BOLD, color));
  out.push(`  hosts:        ${hosts.length > 0 ? hosts.join('; ') : 'none'}`);
  const c = s.concurrency;
  const expected = s.expected === null
    ? `estimate ${s.symbolsEstimate.symbols} symbol(s) = ${s.symbolsEstimate.established} ESTAB at the end ÷ ${s.symbolsEstimate.perSymbol}`
    : `expected ${s.expected.connections}${s.expected.symbols === null ? '' : ` (${s.expected.symbols} symbols × ${s.expected.perSymbol})`}`;
  out.push(`  open at once: max ${c.max}${c.maxAt === null ? '' : ` at ${clockMs(c.maxAt)}`}, ${c.atEnd} at the end; ${expected}`);
  const r = s.reconnects;
  const delays = r.count === 0 ? '' : `, close → new SYN ${r.delayS.min}–${r.delayS.max} s (median ${r.delayS.median})`;
  const a = s.attempts;
  out.push(`  reconnects:   ${r.count}${delays}; attempts: at most ${a.max} per ${a.windowS / 60} min (Binance limit ${a.budget})`);
  // The hints come after the facts: the first lines are for what happened.
  const hinted = new Set<string>();
  const hints: string[] = [];
  for (const anomaly of report.anomalies) {
    if (hinted.has(anomaly.code)) continue;
    hinted.add(anomaly.code);
    hints.push(...wrap(escapeTerminal(anomaly.hint), `  ${anomaly.code}: `, '    '));
  }
  if (hints.length > 0) out.push(paint('What to do', BOLD, color), ...hints);
  out.push('');
  return out;
}
