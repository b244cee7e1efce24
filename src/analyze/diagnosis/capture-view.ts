/**
 * \summary: the capture-wide view: hosts, connections open over time, reconnects, attempts.
 *
 * Pure functions over the connections' facts (facts.ts), in creation order.
 */
import type { AttemptReport, ConcurrencyReport, HostReport, ReconnectReport } from '../../report/model.js';
import { addressText } from '../../report/address-text.js';
import type { ConnectionFacts } from './facts.js';
import { compareText, newNumberColumn, orderOf, pushNumber, sortedNumbers, type NumberColumn } from './ordered.js';

/** Series longer than this are bucketed (the HTML timeline and JSON readers need no more). */
const MAX_SERIES_POINTS = 1000;

const SOURCE_RANK: Record<HostReport['source'], number> = { sni: 0, dns: 1, address: 2 };

export interface HostNaming {
  /** Each connection's host name, in the order of the facts given. */
  names: string[];
  /** Each connection's host as a number (0, 1, ... in order of first sight), in the same order. */
  hostOf: Int32Array;
  hosts: HostReport[];
}

/**
 * Names each connection's server: its SNI; without one, a name the capture's DNS answers give its
 * address; else the SNI other connections to the same address and port sent; else the address.
 * Runs once over every connection, mostly before V8 optimises it: plain loops, and the address
 * text is made once per run of connections to the same server (the usual order).
 */
export function nameHosts(facts: ConnectionFacts[], dnsNames: ReadonlyMap<string, readonly string[]>): HostNaming {
  const n = facts.length;
  const addresses = new Array<string>(n);
  const sniAt = new Map<string, string>();
  let lastIp = '';
  let lastPort = -1;
  let lastAt = '';
  for (let i = 0; i < n; i++) {
    const f = facts[i];
    if (f.serverIp !== lastIp || f.serverPort !== lastPort) {
      lastIp = f.serverIp;
      lastPort = f.serverPort;
      lastAt = addressText(lastIp, lastPort);
    }
    addresses[i] = lastAt;
    if (f.sni !== null && !sniAt.has(lastAt)) sniAt.set(lastAt, f.sni);
  }
  const names = new Array<string>(n);
  const hostOf = new Int32Array(n);
  const byName = new Map<string, HostReport>();
  const numberOf = new Map<HostReport, number>();
  let host: HostReport | undefined;
  let hostNumber = -1;
  for (let i = 0; i < n; i++) {
    const f = facts[i];
    const at = addresses[i];
    let name = at;
    let source: HostReport['source'] = 'address';
    if (f.sni !== null) {
      name = f.sni;
      source = 'sni';
    } else {
      const dns = dnsNames.get(f.serverIp);
      const seen = sniAt.get(at);
      if (dns !== undefined && dns.length > 0) {
        name = dns[0];
        source = 'dns';
      } else if (seen !== undefined) {
        name = seen;
        source = 'sni';
      }
    }
    names[i] = name;
    if (host === undefined || host.name !== name) {
      host = byName.get(name);
      if (host === undefined) {
        host = { name, source, addresses: [], connections: 0 };
        byName.set(name, host);
        numberOf.set(host, byName.size - 1);
      }
      hostNumber = numberOf.get(host) as number;
    }
    hostOf[i] = hostNumber;
    // The host's source is the best any of its connections had: sni, then dns, then address.
    if (SOURCE_RANK[source] < SOURCE_RANK[host.source]) host.source = source;
    host.connections++;
    const known = host.addresses;
    if (known.length < 100 && known[known.length - 1] !== at && !known.includes(at)) known.push(at);
  }
  const hosts = [...byName.values()].sort((a, b) => b.connections - a.connections || compareText(a.name, b.name));
  return { names, hostOf, hosts };
}

/** When a connection stops counting as open: its first FIN/RST, else the capture's end if still ESTAB, else its last packet. */
export function openUntil(f: ConnectionFacts, captureEnd: number): number {
  if (f.closeAt !== null) return f.closeAt;
  return f.clientState === 'ESTAB' ? Math.max(captureEnd, f.end) : f.end;
}

/**
 * When connections opened and stopped counting as open, gathered as rows finish (in the per-row
 * path, which V8 optimises, rather than in two passes over every connection at the end). Times
 * in typed columns that double as they fill: tens of thousands of numbers, no objects.
 */
export interface OpenTimes {
  openAt: NumberColumn;
  closeAt: NumberColumn;
  /** Connections still established when the capture ended (they never stop counting). */
  atEnd: number;
}

export function newOpenTimes(): OpenTimes {
  return { openAt: newNumberColumn(), closeAt: newNumberColumn(), atEnd: 0 };
}

export function addOpenTimes(o: OpenTimes, f: ConnectionFacts): void {
  if (!f.isEstablished) return;
  pushNumber(o.openAt, f.start);
  if (f.closeAt === null && f.clientState === 'ESTAB') o.atEnd++;
  // openUntil() of a connection that is not open at the end: it does not depend on the end.
  else pushNumber(o.closeAt, f.closeAt ?? f.end);
}

/** Connections open over time, from the facts of every connection. */
export function concurrency(facts: ConnectionFacts[]): ConcurrencyReport {
  const o = newOpenTimes();
  for (const f of facts) addOpenTimes(o, f);
  return concurrencyOf(o);
}

/**
 * Opens and closes as two sorted number arrays, merged; the changes as two typed columns. Tens of
 * thousands of [time, count] pairs that live to the end cost more to allocate than to compute.
 */
export function concurrencyOf(o: OpenTimes): ConcurrencyReport {
  const opens = o.openAt.length;
  const closes = o.closeAt.length;
  const atEnd = o.atEnd;
  const openAt = o.openAt.values.subarray(0, opens).sort();
  const closeAt = o.closeAt.values.subarray(0, closes).sort();
  const changeAt = new Float64Array(opens + closes);
  const openThen = new Int32Array(opens + closes);
  let changes = 0;
  let open = 0;
  let max = 0;
  let maxAt: number | null = null;
  let i = 0;
  let j = 0;
  while (i < openAt.length || j < closeAt.length) {
    const t = j < closeAt.length && (i >= openAt.length || closeAt[j] <= openAt[i]) ? closeAt[j] : openAt[i];
    // Closes before opens at the same instant: a reconnect does not count twice.
    while (j < closeAt.length && closeAt[j] === t) {
      open--;
      j++;
    }
    while (i < openAt.length && openAt[i] === t) {
      open++;
      i++;
    }
    if (changes === 0 || openThen[changes - 1] !== open) {
      changeAt[changes] = t;
      openThen[changes++] = open;
    }
    if (open > max) {
      max = open;
      maxAt = t;
    }
  }
  if (changes <= MAX_SERIES_POINTS) {
    const series: Array<[number, number]> = [];
    for (let k = 0; k < changes; k++) series.push([changeAt[k], openThen[k]]);
    return { max, maxAt, atEnd, series, stepS: null };
  }
  return { max, maxAt, atEnd, ...bucketed(changeAt.subarray(0, changes), openThen.subarray(0, changes)) };
}

/** One point per bucket: the most connections open at any moment in it. */
function bucketed(changeAt: Float64Array, openThen: Int32Array): { series: Array<[number, number]>; stepS: number } {
  const first = changeAt[0];
  const span = changeAt[changeAt.length - 1] - first;
  const stepS = Math.max(span / MAX_SERIES_POINTS, 1e-6);
  const series: Array<[number, number]> = [];
  let level = 0;
  let bucket = -1;
  let bucketMax = 0;
  for (let c = 0; c < changeAt.length; c++) {
    const t = changeAt[c];
    const n = openThen[c];
    const b = Math.min(Math.floor((t - first) / stepS), MAX_SERIES_POINTS - 1);
    if (b !== bucket) {
      if (bucket >= 0) series.push([round6(first + bucket * stepS), bucketMax]);
      // Buckets without a change keep the level they started with.
      for (let k = bucket + 1; k < b; k++) series.push([round6(first + k * stepS), level]);
      bucket = b;
      bucketMax = level;
    }
    level = n;
    if (n > bucketMax) bucketMax = n;
  }
  series.push([round6(first + bucket * stepS), bucketMax]);
  return { series, stepS: round6(stepS) };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export interface Reconnect {
  closed: ConnectionFacts;
  opened: ConnectionFacts;
  delayS: number;
}

/**
 * Pairs each new connection attempt with the earliest unpaired close of a connection to the same
 * host before it: the agent replacing a connection it lost. `hostOf` are the facts' host
 * numbers (nameHosts). Pairs come in the order of the attempts' start times.
 *
 * One pass over all hosts at once: closes sorted by time are moved into their host's queue as the
 * attempts (sorted by start) pass them, and each attempt takes the head of its host's queue.
 */
export function findReconnects(facts: ConnectionFacts[], hostOf: Int32Array): Reconnect[] {
  const n = facts.length;
  let hostCount = 0;
  let closeCount = 0;
  let openCount = 0;
  for (let i = 0; i < n; i++) {
    if (hostOf[i] >= hostCount) hostCount = hostOf[i] + 1;
    const f = facts[i];
    if (f.closeAt !== null && f.isEstablished) closeCount++;
    if (f.isAttempt) openCount++;
  }
  const closes = new Uint32Array(closeCount);
  const closeKeys = new Float64Array(closeCount);
  const opens = new Uint32Array(openCount);
  const openKeys = new Float64Array(openCount);
  closeCount = 0;
  openCount = 0;
  for (let i = 0; i < n; i++) {
    const f = facts[i];
    if (f.closeAt !== null && f.isEstablished) {
      closes[closeCount] = i;
      closeKeys[closeCount++] = f.closeAt;
    }
    if (f.isAttempt) {
      opens[openCount] = i;
      openKeys[openCount++] = f.start;
    }
  }
  const closeOrder = orderOf(closeKeys);
  const openOrder = orderOf(openKeys);
  // Per host: a queue of closes waiting for their replacement (fact positions), and its head.
  const waiting: number[][] = [];
  const heads: number[] = [];
  for (let h = 0; h < hostCount; h++) {
    waiting.push([]);
    heads.push(0);
  }
  const pairs: Reconnect[] = [];
  let next = 0;
  for (let k = 0; k < openCount; k++) {
    const o = opens[openOrder[k]];
    const start = openKeys[openOrder[k]];
    while (next < closeCount && closeKeys[closeOrder[next]] < start) {
      const c = closes[closeOrder[next++]];
      waiting[hostOf[c]].push(c);
    }
    const h = hostOf[o];
    if (heads[h] < waiting[h].length) {
      const c = facts[waiting[h][heads[h]++]];
      pairs.push({ closed: c, opened: facts[o], delayS: round6(start - (c.closeAt as number)) });
    }
  }
  return pairs;
}

export function reconnectReport(pairs: Reconnect[]): ReconnectReport {
  if (pairs.length === 0) return { count: 0, delayS: { min: null, median: null, max: null } };
  const delays = new Float64Array(pairs.length);
  for (let i = 0; i < pairs.length; i++) delays[i] = pairs[i].delayS;
  delays.sort();
  const n = delays.length;
  const median = n % 2 === 1 ? delays[(n - 1) / 2] : round6((delays[n / 2 - 1] + delays[n / 2]) / 2);
  return { count: n, delayS: { min: delays[0], median, max: delays[n - 1] } };
}

/** The busiest window of `windowS` seconds: how many attempts started in it, and its first one. */
export function busiestWindow(times: ArrayLike<number>, windowS: number): { count: number; from: number; firstIndex: number } {
  const sorted = sortedNumbers(times);
  let count = 0;
  let from = 0;
  let firstIndex = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi] - sorted[lo] >= windowS) lo++;
    if (hi - lo + 1 > count) {
      count = hi - lo + 1;
      from = sorted[lo];
      firstIndex = lo;
    }
  }
  return { count, from, firstIndex };
}

/** The busiest window of connection attempts (`starts`: when each attempt's SYN came). */
export function attemptReport(starts: ArrayLike<number>, windowS: number, budget: number): AttemptReport {
  const w = busiestWindow(starts, windowS);
  return { max: w.count, at: w.count === 0 ? null : w.from, windowS, budget };
}
