/**
 * \summary: the capture-wide view: hosts, connections open over time, reconnects, attempts.
 *
 * Pure functions over every connection's columns (facts.ts), in creation order, and the open times.
 */
import type { AttemptReport, ConcurrencyReport, HostReport, ReconnectReport } from '../../report/model.js';
import { addressText } from '../../report/address-text.js';
import { ATTEMPT, ESTABLISHED, type ConnectionColumns, type ConnectionFacts } from './facts.js';
import { compareText, newNumberColumn, pushNumber, sortedNumbers, type NumberColumn } from './ordered.js';

/** Series longer than this are bucketed (the HTML timeline and JSON readers need no more). */
const MAX_SERIES_POINTS = 1000;

const SOURCE_RANK: Record<HostReport['source'], number> = { sni: 0, dns: 1, address: 2 };

export interface HostNaming {
  /** Each connection's host name, in the order of the columns' slots. */
  names: string[];
  /** Each connection's host as a number (0, 1, ... in order of first sight), in the same order. */
  hostOf: Int32Array;
  hosts: HostReport[];
}

/**
 * Names each connection's server: its SNI; without one, a name the capture's DNS answers give its
 * address; else the SNI other connections to the same address and port sent; else the address.
 * Runs once over every connection, mostly before V8 optimises it: one loop per function (see
 * findReconnects), and the address text is made once per run of connections to the same server
 * (the usual order).
 */
export function nameHosts(columns: ConnectionColumns, dnsNames: ReadonlyMap<string, readonly string[]>): HostNaming {
  const n = columns.length;
  const addresses = new Array<string>(n);
  const sniAt = new Map<string, string>();
  addressesOf(columns, addresses, sniAt);
  const naming: HostNaming = { names: new Array<string>(n), hostOf: new Int32Array(n), hosts: [] };
  nameEach(columns, addresses, sniAt, dnsNames, naming);
  naming.hosts.sort((a, b) => b.connections - a.connections || compareText(a.name, b.name));
  return naming;
}

/** Each connection's server address text, and the first SNI sent to each address. */
function addressesOf(c: ConnectionColumns, addresses: string[], sniAt: Map<string, string>): void {
  let lastIp = '';
  let lastPort = -1;
  let lastAt = '';
  for (let i = 0; i < c.length; i++) {
    const ip = c.serverIp[i];
    const port = c.serverPort[i];
    if (ip !== lastIp || port !== lastPort) {
      lastIp = ip;
      lastPort = port;
      lastAt = addressText(lastIp, lastPort);
    }
    addresses[i] = lastAt;
    const sni = c.sni[i];
    if (sni !== null && !sniAt.has(lastAt)) sniAt.set(lastAt, sni);
  }
}

/** Fills naming's names and hostOf, and its hosts in order of first sight (numbered so). */
function nameEach(
  c: ConnectionColumns,
  addresses: string[],
  sniAt: Map<string, string>,
  dnsNames: ReadonlyMap<string, readonly string[]>,
  naming: HostNaming,
): void {
  const numberOf = new Map<string, number>();
  const hosts = naming.hosts;
  let host: HostReport | undefined;
  let hostNumber = -1;
  for (let i = 0; i < c.length; i++) {
    const sni = c.sni[i];
    const at = addresses[i];
    let name = at;
    let source: HostReport['source'] = 'address';
    if (sni !== null) {
      name = sni;
      source = 'sni';
    } else {
      const dns = dnsNames.get(c.serverIp[i]);
      const seen = sniAt.get(at);
      if (dns !== undefined && dns.length > 0) {
        name = dns[0];
        source = 'dns';
      } else if (seen !== undefined) {
        name = seen;
        source = 'sni';
      }
    }
    naming.names[i] = name;
    if (host === undefined || host.name !== name) {
      const known = numberOf.get(name);
      if (known === undefined) {
        hostNumber = hosts.length;
        host = { name, source, addresses: [], connections: 0 };
        hosts.push(host);
        numberOf.set(name, hostNumber);
      } else {
        hostNumber = known;
        host = hosts[known];
      }
    }
    naming.hostOf[i] = hostNumber;
    // The host's source is the best any of its connections had: sni, then dns, then address.
    if (SOURCE_RANK[source] < SOURCE_RANK[host.source]) host.source = source;
    host.connections++;
    const known = host.addresses;
    if (known.length < 100 && known[known.length - 1] !== at && !known.includes(at)) known.push(at);
  }
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
 * The loops are functions of their own that end with them (see findReconnects).
 */
export function concurrencyOf(o: OpenTimes): ConcurrencyReport {
  const openAt = o.openAt.values.subarray(0, o.openAt.length).sort();
  const closeAt = o.closeAt.values.subarray(0, o.closeAt.length).sort();
  const changeAt = new Float64Array(openAt.length + closeAt.length);
  const openThen = new Int32Array(openAt.length + closeAt.length);
  // The most connections open at once, and when (NaN: never any).
  const peak = new Float64Array([0, NaN]);
  const changes = mergeChanges(openAt, closeAt, changeAt, openThen, peak);
  const max = peak[0];
  const maxAt = Number.isNaN(peak[1]) ? null : peak[1];
  if (changes <= MAX_SERIES_POINTS) {
    const series: Array<[number, number]> = [];
    for (let k = 0; k < changes; k++) series.push([changeAt[k], openThen[k]]);
    return { max, maxAt, atEnd: o.atEnd, series, stepS: null };
  }
  return { max, maxAt, atEnd: o.atEnd, ...bucketed(changeAt.subarray(0, changes), openThen.subarray(0, changes)) };
}

/** Writes each time the open count changes and the count after it; returns how many changes. */
function mergeChanges(openAt: Float64Array, closeAt: Float64Array, changeAt: Float64Array, openThen: Int32Array, peak: Float64Array): number {
  let changes = 0;
  let open = 0;
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
    if (open > peak[0]) {
      peak[0] = open;
      peak[1] = t;
    }
  }
  return changes;
}

/** One point per bucket: the most connections open at any moment in it. */
function bucketed(changeAt: Float64Array, openThen: Int32Array): { series: Array<[number, number]>; stepS: number } {
  const first = changeAt[0];
  const span = changeAt[changeAt.length - 1] - first;
  const stepS = Math.max(span / MAX_SERIES_POINTS, 1e-6);
  const bucketMax = new Int32Array(MAX_SERIES_POINTS);
  const last = bucketMaxima(changeAt, openThen, first, stepS, bucketMax);
  const series: Array<[number, number]> = [];
  for (let b = 0; b <= last; b++) series.push([round6(first + b * stepS), bucketMax[b]]);
  return { series, stepS: round6(stepS) };
}

/**
 * Fills bucketMax[b] with the most connections open at any moment of bucket b; a bucket without a
 * change keeps the level it started with. Returns the last bucket.
 */
function bucketMaxima(changeAt: Float64Array, openThen: Int32Array, first: number, stepS: number, bucketMax: Int32Array): number {
  let level = 0;
  let bucket = -1;
  for (let c = 0; c < changeAt.length; c++) {
    const n = openThen[c];
    const b = Math.min(Math.floor((changeAt[c] - first) / stepS), MAX_SERIES_POINTS - 1);
    if (b !== bucket) {
      for (let k = bucket + 1; k <= b; k++) bucketMax[k] = level;
      bucket = b;
    }
    level = n;
    if (n > bucketMax[b]) bucketMax[b] = n;
  }
  return bucket;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * The reconnects' delays (close → the SYN that replaced it, seconds): per host in host-number
 * order, then in the order of the attempts' start times; delayS[0..count). Delays, not pairs of
 * connections: the report gives their count and spread only.
 */
export interface Reconnects {
  count: number;
  delayS: Float64Array;
}

/**
 * Pairs each new connection attempt with the earliest unpaired close of a connection to the same
 * host before it: the agent replacing a connection it lost. `hostOf` are the slots' host
 * numbers (nameHosts), `hostCount` how many hosts there are.
 *
 * Per host, its close times and its attempts' start times are sorted, and the attempts take the
 * closes before them in turn. This runs once per capture, mostly before V8 optimises it, over
 * tens of thousands of connections: the sorts are typed arrays' native sorts (a sort written in
 * JavaScript took 20 ms here cold), and each loop is a function of its own that ends with it
 * (V8 compiles a hot loop while it runs, and code after the loop that has not run yet would send
 * it back to the interpreter: 3× slower, measured).
 */
export function findReconnects(columns: ConnectionColumns, hostOf: Int32Array, hostCount: number): Reconnects {
  const n = columns.length;
  const ends: ConnectionEnds = {
    closeAt: new Float64Array(n),
    closeHost: new Int32Array(n),
    closeCount: 0,
    openAt: new Float64Array(n),
    openHost: new Int32Array(n),
    openCount: 0,
  };
  collectEnds(columns, hostOf, ends);
  const delayS = new Float64Array(Math.min(ends.closeCount, ends.openCount));
  if (delayS.length === 0) return { count: 0, delayS };
  // Each host's times gathered together (host-number order), then paired per host.
  const closes = byHost(ends.closeAt, ends.closeHost, ends.closeCount, hostCount);
  const opens = byHost(ends.openAt, ends.openHost, ends.openCount, hostCount);
  let count = 0;
  for (let h = 0; h < hostCount; h++) {
    const closeAt = closes.times.subarray(closes.from[h], closes.from[h + 1]).sort();
    const openAt = opens.times.subarray(opens.from[h], opens.from[h + 1]).sort();
    count = pairInOrder(closeAt, openAt, delayS, count);
  }
  return { count, delayS };
}

/** The close times (of established connections) and the attempts' start times, with their hosts. */
interface ConnectionEnds {
  closeAt: Float64Array;
  closeHost: Int32Array;
  closeCount: number;
  openAt: Float64Array;
  openHost: Int32Array;
  openCount: number;
}

function collectEnds(c: ConnectionColumns, hostOf: Int32Array, e: ConnectionEnds): void {
  let closeCount = 0;
  let openCount = 0;
  for (let i = 0; i < c.length; i++) {
    const flags = c.flags[i];
    const closeAt = c.closeAt[i];
    // closeAt is NaN without a close, and NaN === NaN is false.
    if (closeAt === closeAt && (flags & ESTABLISHED) !== 0) {
      e.closeHost[closeCount] = hostOf[i];
      e.closeAt[closeCount++] = closeAt;
    }
    if ((flags & ATTEMPT) !== 0) {
      e.openHost[openCount] = hostOf[i];
      e.openAt[openCount++] = c.start[i];
    }
  }
  e.closeCount = closeCount;
  e.openCount = openCount;
}

/**
 * times[0..count) regrouped by host: host h's are times[from[h]..from[h + 1]). A counting sort;
 * with one host (the usual capture) they are already grouped.
 */
function byHost(times: Float64Array, hosts: Int32Array, count: number, hostCount: number): { times: Float64Array; from: Int32Array } {
  if (hostCount === 1) return { times: times.subarray(0, count), from: Int32Array.of(0, count) };
  const from = new Int32Array(hostCount + 1);
  for (let i = 0; i < count; i++) from[hosts[i] + 1]++;
  for (let h = 0; h < hostCount; h++) from[h + 1] += from[h];
  const next = from.slice(0, hostCount);
  const grouped = new Float64Array(count);
  for (let i = 0; i < count; i++) grouped[next[hosts[i]]++] = times[i];
  return { times: grouped, from };
}

/**
 * One host's attempts (start times, ascending) each take the earliest close (ascending) before
 * them that no attempt took yet; the delays go to delayS from `at`. Returns the new count.
 */
function pairInOrder(closeAt: Float64Array, openAt: Float64Array, delayS: Float64Array, at: number): number {
  let taken = 0;
  let before = 0;
  for (let k = 0; k < openAt.length; k++) {
    const start = openAt[k];
    while (before < closeAt.length && closeAt[before] < start) before++;
    if (taken < before) delayS[at++] = Math.round((start - closeAt[taken++]) * 1e6) / 1e6;
  }
  return at;
}

export function reconnectReport(r: Reconnects): ReconnectReport {
  const n = r.count;
  if (n === 0) return { count: 0, delayS: { min: null, median: null, max: null } };
  const delays = r.delayS.slice(0, n).sort();
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
