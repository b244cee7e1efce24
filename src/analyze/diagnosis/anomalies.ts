/**
 * \summary: the anomaly rules: each turns the connections' facts into findings with evidence.
 *
 * Codes are stable (README "Anomalies"); one rule per code, in the order the README lists them.
 * Messages may quote capture strings (SNI): renderers escape them.
 */
import type { AnomalyReport, AttemptReport, ConcurrencyReport, ExpectedReport, Severity } from '../../report/model.js';
import type { CaptureFacts, DiagnosisOptions } from './diagnose.js';
import { isServerClosed, type ConnectionFacts } from './facts.js';
import { busiestWindow, openUntil } from './capture-view.js';
import { newNumberColumn, pushNumber, sortedByKey, type NumberColumn } from './ordered.js';

/** Evidence lists stop here; `count` keeps the total. */
const MAX_IDS = 1000;

export interface RuleContext {
  options: DiagnosisOptions;
  capture: CaptureFacts;
  open: ConcurrencyReport;
  attempts: AttemptReport;
  expected: ExpectedReport | null;
}

function anomaly(code: string, severity: Severity, list: ConnectionFacts[], at: number | null, message: string, hint: string): AnomalyReport {
  const numbers = new Float64Array(list.length);
  for (let i = 0; i < list.length; i++) numbers[i] = list[i].index;
  return anomalyOf(code, severity, numbers, at, message, hint);
}

/** An anomaly over the connections with these numbers (any order; the array is sorted in place). */
function anomalyOf(code: string, severity: Severity, numbers: Float64Array, at: number | null, message: string, hint: string): AnomalyReport {
  return { code, severity, connections: firstIds(numbers), count: numbers.length, at, message, hint };
}

/**
 * The ids of the MAX_IDS first-made connections, in creation order. The numbers go through a
 * typed array's native sort: a list can hold every connection of the capture, and a sort written
 * in JavaScript would run once, before V8 optimises it.
 */
function firstIds(numbers: Float64Array): string[] {
  numbers.sort();
  const ids = new Array<string>(Math.min(numbers.length, MAX_IDS));
  for (let i = 0; i < ids.length; i++) ids[i] = `C${numbers[i]}`;
  return ids;
}

function earliest(values: Array<number | null>): number | null {
  let min: number | null = null;
  for (const v of values) if (v !== null && (min === null || v < min)) min = v;
  return min;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** "12 ms" below a second, else "1.5 s". */
function seconds(x: number): string {
  return x < 1 ? `${Math.round(x * 1000)} ms` : `${Math.round(x * 10) / 10} s`;
}

/**
 * The connections each rule may report, gathered as rows finish: one test per rule in the per-row
 * path (compiled once, run hot) instead of one filter over every connection per rule at the end
 * (17 passes over all of them, run mostly before V8 optimises them). Rules that need the capture's
 * end (silent) or a window over all connections finish their test in findAnomalies.
 */
export interface RuleCandidates {
  closeWait: ConnectionFacts[];
  /** Data that stopped for longer than stallS. */
  stall: ConnectionFacts[];
  /** Established, and not one data-size record from the server (how long it was open is judged at the end). */
  silent: ConnectionFacts[];
  reset: ConnectionFacts[];
  refused: ConnectionFacts[];
  unanswered: ConnectionFacts[];
  zeroWindow: ConnectionFacts[];
  /** Connections with retransmissions, and the packet totals, leaving out refused and unanswered attempts (SYN retries are theirs). */
  retransmitted: ConnectionFacts[];
  retransmittedPackets: number;
  packets: number;
  /** Closed by the server side, with a close time (mass-disconnect, 24h-cut). */
  serverClosed: ConnectionFacts[];
  /** Attempts that ended within shortLivedS or never opened (reconnect-storm). */
  shortLived: StartedConnections;
  /** Every connection attempt (attempt-budget, and the busiest window of attempts). */
  attempts: StartedConnections;
  abnormalClose: ConnectionFacts[];
  sniAbsent: ConnectionFacts[];
  /** An SNI other than expectedSni. */
  sniOther: ConnectionFacts[];
  midstream: ConnectionFacts[];
  sniCut: ConnectionFacts[];
  /** The last SNI compared with expectedSni and the answer (SNIs are interned and repeat). */
  lastSni: string | null;
  isLastSniOther: boolean;
}

/**
 * Connections by number and start time only: the rules over every attempt need no more, and
 * keeping a fact object for each of tens of thousands of connections costs more than the rules.
 */
export interface StartedConnections {
  numbers: NumberColumn;
  starts: NumberColumn;
}

function newStartedConnections(): StartedConnections {
  return { numbers: newNumberColumn(), starts: newNumberColumn() };
}

function addStarted(s: StartedConnections, f: ConnectionFacts): void {
  pushNumber(s.numbers, f.index);
  pushNumber(s.starts, f.start);
}

/** The start times of the connections filed, in the order filed. */
export function startsOf(s: StartedConnections): Float64Array {
  return s.starts.values.subarray(0, s.starts.length);
}

/** The numbers of the connections that started in [from, from + windowS). */
function startedWithin(s: StartedConnections, from: number, windowS: number): Float64Array {
  const starts = startsOf(s);
  const numbers = new Float64Array(starts.length);
  let n = 0;
  for (let i = 0; i < starts.length; i++) if (starts[i] >= from && starts[i] < from + windowS) numbers[n++] = s.numbers.values[i];
  return numbers.subarray(0, n);
}

export function newRuleCandidates(): RuleCandidates {
  return {
    closeWait: [],
    stall: [],
    silent: [],
    reset: [],
    refused: [],
    unanswered: [],
    zeroWindow: [],
    retransmitted: [],
    retransmittedPackets: 0,
    packets: 0,
    serverClosed: [],
    shortLived: newStartedConnections(),
    attempts: newStartedConnections(),
    abnormalClose: [],
    sniAbsent: [],
    sniOther: [],
    midstream: [],
    sniCut: [],
    lastSni: null,
    isLastSniOther: false,
  };
}

/** Files one finished connection under every rule it may be reported by. */
export function addCandidate(c: RuleCandidates, f: ConnectionFacts, o: DiagnosisOptions): void {
  if (f.clientState === 'CLOSE-WAIT') c.closeWait.push(f);
  if ((f.serverDataRecords ?? 0) > 0 && (f.maxDataSilenceS ?? 0) > o.stallS) c.stall.push(f);
  if (f.isEstablished && f.serverDataRecords === 0) c.silent.push(f);
  const kind = f.closeKind;
  if (kind === 'rst') c.reset.push(f);
  else if (kind === 'refused') c.refused.push(f);
  else if (kind === 'unanswered') c.unanswered.push(f);
  if (f.clientZeroWindows > 0) c.zeroWindow.push(f);
  if (kind !== 'refused' && kind !== 'unanswered') {
    c.retransmittedPackets += f.retransmissions;
    c.packets += f.packets;
    if (f.retransmissions > 0) c.retransmitted.push(f);
  }
  if (f.closeAt !== null && isServerClosed(f)) c.serverClosed.push(f);
  if (f.isAttempt) {
    addStarted(c.attempts, f);
    if (!f.isEstablished || (kind !== 'open' && (f.closeAt ?? f.end) - f.start < o.shortLivedS)) addStarted(c.shortLived, f);
  } else if (f.isEstablished) {
    c.midstream.push(f);
  }
  if (
    (kind === 'fin' || kind === 'rst') &&
    f.closeInitiator === 'server' &&
    f.wsInitiator !== 'client' &&
    f.wsCloseFrame !== true &&
    f.isUpgraded &&
    f.isRecordsFollowed
  ) {
    c.abnormalClose.push(f);
  }
  if (f.sniStatus === 'absent') c.sniAbsent.push(f);
  else if (f.sniStatus === 'cut') c.sniCut.push(f);
  if (f.sni !== null && o.expectedSni !== null) {
    if (f.sni !== c.lastSni) {
      c.lastSni = f.sni;
      c.isLastSniOther = f.sni.toLowerCase() !== o.expectedSni;
    }
    if (c.isLastSniOther) c.sniOther.push(f);
  }
}

/**
 * Rows finish in the order connections close; anomaly() puts each reported list in creation
 * order. Two rules depend on the order before that: the first SNIs named, and which of two
 * closes at the same instant comes first in a mass disconnect.
 */
function inCreationOrder(c: RuleCandidates): RuleCandidates {
  return { ...c, sniOther: sortedByKey(c.sniOther, (f) => f.index), serverClosed: sortedByKey(c.serverClosed, (f) => f.index) };
}

export function findAnomalies(candidates: RuleCandidates, ctx: RuleContext): AnomalyReport[] {
  const c = inCreationOrder(candidates);
  const found: AnomalyReport[] = [];
  const add = (a: AnomalyReport | AnomalyReport[] | null): void => {
    if (a === null) return;
    if (Array.isArray(a)) found.push(...a);
    else found.push(a);
  };
  add(closeWait(c.closeWait));
  add(stall(c.stall, ctx));
  add(silent(c.silent, ctx));
  add(reset(c.reset));
  add(simpleKind(c.refused, 'refused', 'connection attempt', 'refused (the SYN was answered by a RST)',
    'Nothing listens at that address and port, or a firewall rejects it: check the host name, the port and any proxy.'));
  add(simpleKind(c.unanswered, 'unanswered', 'connection attempt', 'never answered (no SYN-ACK)',
    'A firewall drops the packets or the address is unreachable: check routing, egress rules and what the name resolves to.'));
  add(zeroWindow(c.zeroWindow));
  add(retransmissions(c, ctx));
  add(massDisconnects(c.serverClosed, ctx));
  add(dayCuts(c.serverClosed, ctx));
  add(reconnectStorm(c.shortLived, ctx));
  add(attemptBudget(c.attempts, ctx));
  add(connectionCount(ctx));
  add(abnormalClose(c.abnormalClose));
  add(sni(c, ctx));
  add(midstream(c.midstream));
  add(snaplen(c.sniCut, ctx));
  return found;
}

function closeWait(list: ConnectionFacts[]): AnomalyReport | null {
  if (list.length === 0) return null;
  return anomaly('close-wait', 'fail', list, earliest(list.map((f) => f.closeAt)),
    `${plural(list.length, 'connection')} left in CLOSE-WAIT: the server closed, the agent never closed its side.`,
    "The agent does not close its socket when the server ends the stream: close it (and reconnect) on the socket's end/close event; `ss -tnp state close-wait` lists them live.");
}

/** Data that stopped flowing for a while (not a stream that never had any: that is `silent`). */
function stall(list: ConnectionFacts[], ctx: RuleContext): AnomalyReport | null {
  const limit = ctx.options.stallS;
  if (list.length === 0) return null;
  const longest = Math.max(...list.map((f) => f.maxDataSilenceS as number));
  return anomaly('stall', 'warn', list, earliest(list.map((f) => f.maxDataSilenceAt)),
    `${plural(list.length, 'stream')} had no data from the server for more than ${seconds(limit)} while TCP stayed up (longest ${seconds(longest)}).`,
    'Klines are pushed every 250 ms while the symbol trades: if it was trading, the stream is stale (compare its sibling connections) and should be resubscribed or reconnected.');
}

function silent(candidates: ConnectionFacts[], ctx: RuleContext): AnomalyReport | null {
  const after = ctx.options.silentAfterS;
  const list = candidates.filter((f) => openUntil(f, ctx.capture.end) - f.start >= after);
  if (list.length === 0) return null;
  return anomaly('silent', 'fail', list, earliest(list.map((f) => f.start)),
    `${plural(list.length, 'connection')} open ${seconds(after)} or more received not one data-size record from the server, only control records (pings).`,
    'The retired-URL symptom: since 2026-04-23 legacy paths (/ws/...) connect but deliver nothing. Use /market/ws/<symbol>@kline_<interval> or /market/stream?streams=..., and check the stream names.');
}

function reset(list: ConnectionFacts[]): AnomalyReport | null {
  if (list.length === 0) return null;
  const byAgent = list.filter((f) => f.rstBy === 'client').length;
  return anomaly('reset', 'warn', list, earliest(list.map((f) => f.closeAt)),
    `${plural(list.length, 'connection')} ended with a RST (${byAgent} from the agent, ${list.length - byAgent} from the server side).`,
    "A RST from the server side (or a middlebox: compare the packets' TTL) drops the stream without a close handshake; one from the agent means it aborted the socket (killed, or closed with unread data). Check the agent's log at that time.");
}

function simpleKind(list: ConnectionFacts[], kind: 'refused' | 'unanswered', what: string, how: string, hint: string): AnomalyReport | null {
  if (list.length === 0) return null;
  return anomaly(kind, 'warn', list, earliest(list.map((f) => f.start)), `${plural(list.length, what)} ${how}.`, hint);
}

function zeroWindow(list: ConnectionFacts[]): AnomalyReport | null {
  if (list.length === 0) return null;
  return anomaly('zero-window', 'warn', list, earliest(list.map((f) => f.start)),
    `${plural(list.length, 'connection')} where the agent advertised a zero receive window: it stopped reading (a slow consumer).`,
    "The agent's consumer is blocked or too slow: read the socket continuously and process messages elsewhere, or carry fewer streams per connection; Binance disconnects slow consumers.");
}

function retransmissions(c: RuleCandidates, ctx: RuleContext): AnomalyReport | null {
  const retransmitted = c.retransmittedPackets;
  const packets = c.packets;
  if (packets === 0 || (retransmitted / packets) * 100 < ctx.options.retransPercent || retransmitted === 0) return null;
  const list = c.retransmitted;
  const percent = Math.round((retransmitted / packets) * 1000) / 10;
  return anomaly('retransmissions', 'warn', list, earliest(list.map((f) => f.start)),
    `${percent} % of the packets were retransmissions (${retransmitted} of ${packets}), on ${plural(list.length, 'connection')}.`,
    "Packets are lost between the agent and Binance: check the host's interface errors, `ss -ti` retrans counters, and whether other hosts see the same.");
}

/** Groups of server-side closes within massWindowS of the group's first. */
function massDisconnects(serverClosed: ConnectionFacts[], ctx: RuleContext): AnomalyReport[] {
  const o = ctx.options;
  const closed = sortedByKey(serverClosed, (f) => f.closeAt as number);
  const found: AnomalyReport[] = [];
  for (let i = 0; i < closed.length; ) {
    let j = i;
    while (j < closed.length && (closed[j].closeAt as number) - (closed[i].closeAt as number) <= o.massWindowS) j++;
    if (j - i >= o.massCount) {
      const group = closed.slice(i, j);
      const span = (group[group.length - 1].closeAt as number) - (group[0].closeAt as number);
      const daily = group.filter((f) => isDayCut(f, o)).length;
      found.push(anomaly('mass-disconnect', 'warn', group, group[0].closeAt,
        `${group.length} connections were closed by the server within ${seconds(span)}${daily === group.length ? ', at about 24 h of age (the daily disconnect)' : ''}.`,
        'A server-side event (restart, the 24-hour limit, a rate limit): make sure the agent reconnects with backoff and jitter rather than all at once, and check Binance announcements for that time.'));
      i = j;
    } else {
      i++;
    }
  }
  return found;
}

function isDayCut(f: ConnectionFacts, o: DiagnosisOptions): boolean {
  return f.closeAt !== null && Math.abs(f.closeAt - f.start - o.dayCutS) <= o.dayCutToleranceS;
}

function dayCuts(serverClosed: ConnectionFacts[], ctx: RuleContext): AnomalyReport | null {
  const list = serverClosed.filter((f) => isDayCut(f, ctx.options));
  if (list.length === 0) return null;
  return anomaly('24h-cut', 'info', list, earliest(list.map((f) => f.closeAt)),
    `${plural(list.length, 'connection')} closed by the server at about 24 h of age: Binance's documented daily disconnect.`,
    'Expected. To avoid a gap, reconnect each stream on your own schedule before 24 h, staggered.');
}

/** Many attempts that did not last: the agent reconnecting in a loop. */
function reconnectStorm(short: StartedConnections, ctx: RuleContext): AnomalyReport | null {
  const o = ctx.options;
  const w = busiestWindow(startsOf(short), o.stormWindowS);
  if (w.count < o.stormCount) return null;
  return anomalyOf('reconnect-storm', 'fail', startedWithin(short, w.from, o.stormWindowS), w.from,
    `${w.count} connection attempts within ${seconds(o.stormWindowS)} ended within ${seconds(o.shortLivedS)} or never opened: the agent is reconnecting in a loop.`,
    'Reconnect with exponential backoff and jitter, and find out why each connection dies (the other anomalies); Binance bans IPs that are disconnected repeatedly.');
}

function attemptBudget(attempts: StartedConnections, ctx: RuleContext): AnomalyReport | null {
  const a = ctx.attempts;
  if (a.at === null || a.max < 0.8 * a.budget) return null;
  const over = a.max > a.budget;
  return anomalyOf('attempt-budget', over ? 'fail' : 'warn', startedWithin(attempts, a.at, a.windowS), a.at,
    `${a.max} connection attempts within ${seconds(a.windowS)}: ${over ? 'over' : 'close to'} Binance's limit of ${a.budget} per 5 minutes per IP.`,
    'Stagger start-up and reconnects (7 connections per symbol: 43 symbols at once is 301 attempts), or carry several streams per connection (/market/stream?streams=a/b/c).');
}

function connectionCount(ctx: RuleContext): AnomalyReport | null {
  const e = ctx.expected;
  if (e === null) return null;
  const { max, atEnd, maxAt } = ctx.open;
  if (max === e.connections) return null;
  const what = e.symbols !== null ? `${e.connections} expected (${e.symbols} symbols × ${e.perSymbol})` : `${e.connections} expected`;
  if (max < e.connections) {
    return anomaly('connection-count', 'fail', [], maxAt,
      `At most ${max} connections were open at once (${atEnd} at the end), ${what}.`,
      "Some streams never connected or were not replaced: check the agent's log, and the refused and unanswered attempts.");
  }
  return anomaly('connection-count', 'warn', [], maxAt,
    `Up to ${max} connections were open at once (${atEnd} at the end), ${what}.`,
    'More connections than streams: duplicate subscriptions, or old connections not closed when replaced.');
}

/**
 * An upgraded WebSocket that the server side closed (TCP) without a close frame, and whose closing
 * the client did not start: the client sees code 1006. Judged only where the records were followed.
 */
function abnormalClose(list: ConnectionFacts[]): AnomalyReport | null {
  if (list.length === 0) return null;
  return anomaly('abnormal-close', 'warn', list, earliest(list.map((f) => f.closeAt)),
    `${plural(list.length, 'connection')} closed by the server side with no WebSocket close frame first (the client sees close code 1006).`,
    'The server or a middlebox (proxy, NAT, load balancer idle timeout) dropped the stream without a close handshake; reconnect with backoff and look for a RST or an idle timeout on the path.');
}

function sni(c: RuleCandidates, ctx: RuleContext): AnomalyReport[] {
  const found: AnomalyReport[] = [];
  const missing = c.sniAbsent;
  if (missing.length > 0) {
    found.push(anomaly('sni', 'warn', missing, earliest(missing.map((f) => f.start)),
      `${plural(missing.length, 'connection')} sent a ClientHello without SNI (server_name); Binance refuses those.`,
      'Give the TLS client the host name (servername / server_hostname) instead of connecting to a bare address.'));
  }
  const expected = ctx.options.expectedSni;
  const other = c.sniOther;
  if (expected !== null && other.length > 0) {
    const names = [...new Set(other.map((f) => f.sni as string))].slice(0, 5);
    found.push(anomaly('sni', 'warn', other, earliest(other.map((f) => f.start)),
      `${plural(other.length, 'connection')} named another host than ${expected} in SNI: ${names.join(', ')}.`,
      "Check the agent's configured URL (wss://fstream.binance.com/...); give --sni if another host is expected."));
  }
  return found;
}

function midstream(list: ConnectionFacts[]): AnomalyReport | null {
  if (list.length === 0) return null;
  return anomaly('midstream', 'info', list, earliest(list.map((f) => f.start)),
    `${plural(list.length, 'connection')} were already open when the capture started: their handshake and TLS details are not in it.`,
    'Start recording before the agent connects (or restart the agent while recording) to see the handshakes.');
}

function snaplen(cut: ConnectionFacts[], ctx: RuleContext): AnomalyReport | null {
  const truncated = ctx.capture.truncatedPackets;
  if (cut.length === 0 && truncated === 0) return null;
  const limit = ctx.capture.snaplen === null ? 'The snap length' : `The snap length (${ctx.capture.snaplen} bytes)`;
  const parts: string[] = [];
  if (truncated > 0) parts.push(`cut the headers of ${plural(truncated, 'packet')}`);
  if (cut.length > 0) parts.push(`cut the ClientHello of ${plural(cut.length, 'connection')} (SNI unknown)`);
  return anomaly('snaplen', 'warn', cut, earliest(cut.map((f) => f.start)),
    `${limit} ${parts.join(' and ')}.`,
    'Record whole packets (snap length 0, the tcpdump and wscap record default) or at least 512 bytes.');
}
