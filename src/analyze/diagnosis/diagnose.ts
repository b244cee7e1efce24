/**
 * \summary: the diagnosis stage: each finished connection's facts in, the capture-wide view, the
 * anomalies and the verdict out.
 */
import type { AnomalyReport, Severity, SummaryReport, Verdict } from '../../report/model.js';
import type { ConnectionReport } from '../../report/model.js';
import { addToColumns, factsOf, filledColumns, newConnectionColumns, type ConnectionColumns, type ConnectionFacts } from './facts.js';
import { addOpenTimes, attemptReport, concurrencyOf, findReconnects, nameHosts, newOpenTimes, reconnectReport, type OpenTimes } from './capture-view.js';
import { compareText } from './ordered.js';
import { addCandidate, findAnomalies, newRuleCandidates, startsOf, type RuleCandidates } from './anomalies.js';

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
  /** What host naming and reconnects need of every connection, in creation order (facts.ts). */
  columns: ConnectionColumns;
  /** The connections each anomaly rule may report, filed as they come (with every attempt's start). */
  candidates: RuleCandidates;
  /** When connections opened and closed, for the concurrency series. */
  openTimes: OpenTimes;
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
  return { options: { ...DEFAULT_DIAGNOSIS_OPTIONS, ...options }, columns: newConnectionColumns(), candidates: newRuleCandidates(), openTimes: newOpenTimes() };
}

/** Keeps what the diagnosis needs of a finished connection's row. */
export function observeRow(d: Diagnosis, row: ConnectionReport): void {
  observeFacts(d, factsOf(row));
}

/** Files the facts of one connection; the object itself is not kept (rules keep the few they report). */
export function observeFacts(d: Diagnosis, f: ConnectionFacts): void {
  addToColumns(d.columns, f);
  addCandidate(d.candidates, f, d.options);
  addOpenTimes(d.openTimes, f);
}

const RANK: Record<Severity, number> = { fail: 0, warn: 1, info: 2 };

export function finishDiagnosis(d: Diagnosis, capture: CaptureFacts): { summary: DiagnosisSummary; anomalies: AnomalyReport[] } {
  const o = d.options;
  const columns = filledColumns(d.columns);
  const { hostOf, hosts } = nameHosts(columns, capture.dnsNames);
  const open = concurrencyOf(d.openTimes);
  const reconnects = findReconnects(columns, hostOf, hosts.length);
  const attempts = attemptReport(startsOf(d.candidates.attempts), o.attemptWindowS, o.attemptBudget);
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
