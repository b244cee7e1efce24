/**
 * \summary: the diagnosis stage: each finished connection's facts in, the capture-wide view, the
 * anomalies and the verdict out.
 */
import type { AnomalyReport, Severity, SummaryReport, Verdict } from '../../report/model.js';
import type { ConnectionReport } from '../../report/model.js';
import { factsOf, type ConnectionFacts } from './facts.js';
import { addOpenTimes, attemptReport, concurrencyOf, findReconnects, nameHosts, newOpenTimes, reconnectReport, type OpenTimes } from './capture-view.js';
import { compareText, newNumberColumn, pushNumber, type NumberColumn } from './ordered.js';
import { addCandidate, findAnomalies, newRuleCandidates, type RuleCandidates } from './anomalies.js';

/** Thresholds; README "Anomalies" documents each default. */
export interface DiagnosisOptions {
  /** stall: a server data silence longer than this (s). */
  stallS: number;
  /** silent: open at least this long (s) without one data-size record from the server. */
  silentAfterS: number;
  /** mass-disconnect: at least massCount server-side closes within massWindowS. */
  massWindowS: number;
  massCount: number;
  /** sni: the host the agent should name (lower case), or null to accept any. */
  expectedSni: string | null;
  /** retransmissions: retransmitted packets above this percentage of all packets. */
  retransPercent: number;
  /** reconnect-storm: at least stormCount short-lived attempts within stormWindowS. */
  stormWindowS: number;
  stormCount: number;
  /** A connection that ends within this long of its SYN (or never opens) is short-lived (s). */
  shortLivedS: number;
  /** attempt-budget: attempts per rolling window (Binance: 300 per 5 minutes per IP); warn from 80 %. */
  attemptWindowS: number;
  attemptBudget: number;
  /** connection-count: expected = symbols × perSymbol, or expect; null: not checked. */
  symbols: number | null;
  perSymbol: number;
  expect: number | null;
  /** 24h-cut: a server-side close at dayCutS ± dayCutToleranceS of age. */
  dayCutS: number;
  dayCutToleranceS: number;
}

export const DEFAULT_DIAGNOSIS_OPTIONS: DiagnosisOptions = {
  stallS: 10,
  silentAfterS: 60,
  massWindowS: 2,
  massCount: 5,
  expectedSni: 'fstream.binance.com',
  retransPercent: 1,
  stormWindowS: 60,
  stormCount: 20,
  shortLivedS: 10,
  attemptWindowS: 300,
  attemptBudget: 300,
  symbols: null,
  perSymbol: 7,
  expect: null,
  dayCutS: 86_400,
  dayCutToleranceS: 600,
};

export interface Diagnosis {
  options: DiagnosisOptions;
  /**
   * The facts at their creation number − 1 (ids are numbered from 1 as connections are made), so
   * they are in creation order without a sort, whatever order the rows finish in.
   */
  facts: Array<ConnectionFacts | null>;
  /** How many facts came (fewer than facts.length if some numbers never did). */
  factCount: number;
  /** The connections each anomaly rule may report, filed as they come. */
  candidates: RuleCandidates;
  /** When connections opened and closed, for the concurrency series. */
  openTimes: OpenTimes;
  /** When each connection attempt's SYN came, for the busiest window of attempts. */
  attemptStarts: NumberColumn;
}

/** What the rest of the capture says, known only at its end. */
export interface CaptureFacts {
  /** Time of the last packet (0 without packets). */
  end: number;
  truncatedPackets: number;
  snaplen: number | null;
  /** Server address → names, from DNS answers in the capture. */
  dnsNames: ReadonlyMap<string, readonly string[]>;
}

export type DiagnosisSummary = Pick<SummaryReport, 'verdict' | 'hosts' | 'concurrency' | 'expected' | 'symbolsEstimate' | 'reconnects' | 'attempts'>;

export function newDiagnosis(options: Partial<DiagnosisOptions> = {}): Diagnosis {
  return { options: { ...DEFAULT_DIAGNOSIS_OPTIONS, ...options }, facts: [], factCount: 0, candidates: newRuleCandidates(), openTimes: newOpenTimes(), attemptStarts: newNumberColumn() };
}

/** Keeps what the diagnosis needs of a finished connection's row. */
export function observeRow(d: Diagnosis, row: ConnectionReport): void {
  observeFacts(d, factsOf(row));
}

export function observeFacts(d: Diagnosis, f: ConnectionFacts): void {
  const at = f.index - 1;
  // Connections still open leave their places empty for now (null, not holes: the array stays packed).
  while (d.facts.length < at) d.facts.push(null);
  if (at === d.facts.length) d.facts.push(f);
  else d.facts[at] = f;
  d.factCount++;
  addCandidate(d.candidates, f, d.options);
  addOpenTimes(d.openTimes, f);
  if (f.isAttempt) pushNumber(d.attemptStarts, f.start);
}

const RANK: Record<Severity, number> = { fail: 0, warn: 1, info: 2 };

export function finishDiagnosis(d: Diagnosis, capture: CaptureFacts): { summary: DiagnosisSummary; anomalies: AnomalyReport[] } {
  const o = d.options;
  const facts = (d.factCount === d.facts.length ? d.facts : d.facts.filter((f) => f !== null)) as ConnectionFacts[];
  const { hostOf, hosts } = nameHosts(facts, capture.dnsNames);
  const open = concurrencyOf(d.openTimes);
  const reconnects = findReconnects(facts, hostOf, hosts.length);
  const attempts = attemptReport(d.attemptStarts.values.subarray(0, d.attemptStarts.length), o.attemptWindowS, o.attemptBudget);
  const expected =
    o.symbols !== null
      ? { connections: o.symbols * o.perSymbol, symbols: o.symbols, perSymbol: o.perSymbol }
      : o.expect !== null
        ? { connections: o.expect, symbols: null, perSymbol: o.perSymbol }
        : null;
  const symbolsEstimate = { established: open.atEnd, perSymbol: o.perSymbol, symbols: Math.round((open.atEnd / o.perSymbol) * 100) / 100 };
  const anomalies = findAnomalies(d.candidates, { options: o, capture, open, attempts, expected }).sort(
    (a, b) => RANK[a.severity] - RANK[b.severity] || (a.at ?? Infinity) - (b.at ?? Infinity) || compareText(a.code, b.code),
  );
  return {
    summary: {
      verdict: verdictOf(anomalies),
      hosts,
      concurrency: open,
      expected,
      symbolsEstimate,
      reconnects: reconnectReport(reconnects),
      attempts,
    },
    anomalies,
  };
}

export function verdictOf(anomalies: AnomalyReport[]): Verdict {
  if (anomalies.some((a) => a.severity === 'fail')) return 'fail';
  if (anomalies.some((a) => a.severity === 'warn')) return 'warn';
  return 'ok';
}
