/**
 * \summary: connections' facts and times in numeric order, without a comparator call per step;
 * names in code-unit order.
 *
 * The diagnosis runs once, over every connection: `Array.prototype.sort` with a comparator calls
 * back into JavaScript for each comparison, and on the bench's 22,582 connections those sorts and
 * the small arrays they sorted cost more than the rest of the diagnosis. Keys go into a
 * Float64Array and a plain merge sort orders their positions (one loop, optimised quickly).
 * Numbers gathered per row (open, close and attempt times) are kept in growable typed columns.
 */

/**
 * Positions 0..n-1 ordered by `keys`, ascending; equal keys keep their order (stable). A natural
 * merge sort: the ascending runs already in the keys are merged pairwise, so keys in order cost
 * one pass, and nearly ordered ones (close times of connections made in order) a few. It runs
 * once per capture, mostly before V8 optimises it: few passes matter more than tight loops.
 */
export function orderOf(keys: Float64Array): Uint32Array {
  const n = keys.length;
  let from = new Uint32Array(n);
  for (let i = 0; i < n; i++) from[i] = i;
  // Run boundaries: runs[k] is where run k starts; the last entry is n.
  let runs: number[] = [0];
  for (let i = 1; i < n; i++) if (keys[i] < keys[i - 1]) runs.push(i);
  runs.push(n);
  if (runs.length <= 2) return from;
  let to = new Uint32Array(n);
  while (runs.length > 2) {
    const merged: number[] = [0];
    for (let r = 0; r + 1 < runs.length; r += 2) {
      const lo = runs[r];
      const mid = runs[r + 1];
      const hi = r + 2 < runs.length ? runs[r + 2] : mid;
      let i = lo;
      let j = mid;
      let k = lo;
      // The right run goes first only when strictly smaller: ties keep their order (stable).
      while (i < mid && j < hi) to[k++] = keys[from[j]] < keys[from[i]] ? from[j++] : from[i++];
      while (i < mid) to[k++] = from[i++];
      while (j < hi) to[k++] = from[j++];
      merged.push(hi);
    }
    if (merged[merged.length - 1] !== n) merged.push(n);
    runs = merged;
    [from, to] = [to, from];
  }
  return from;
}

/** `items` ordered by `keyOf`, ascending, stable; the same array when it is in order already. */
export function sortedByKey<T>(items: T[], keyOf: (item: T) => number): T[] {
  const keys = new Float64Array(items.length);
  let isSorted = true;
  for (let i = 0; i < items.length; i++) {
    keys[i] = keyOf(items[i]);
    if (i > 0 && keys[i] < keys[i - 1]) isSorted = false;
  }
  if (isSorted) return items;
  const order = orderOf(keys);
  const out = new Array<T>(items.length);
  for (let i = 0; i < order.length; i++) out[i] = items[order[i]];
  return out;
}

/** Numbers ascending, as a new Float64Array (native copy and sort: no loop that runs cold). */
export function sortedNumbers(values: ArrayLike<number>): Float64Array {
  return new Float64Array(values).sort();
}

/** A column of numbers that grows by doubling; `values.subarray(0, length)` are the numbers. */
export interface NumberColumn {
  values: Float64Array;
  length: number;
}

export function newNumberColumn(): NumberColumn {
  const c: NumberColumn = { values: new Float64Array(0), length: 0 };
  // Written a second time now, not first when the column grows: V8 treats a field as a constant
  // until then, and the change would throw away optimised code that reads it mid-capture.
  c.values = new Float64Array(1024);
  return c;
}

export function pushNumber(c: NumberColumn, x: number): void {
  if (c.length === c.values.length) {
    const bigger = new Float64Array(c.values.length * 2);
    bigger.set(c.values);
    c.values = bigger;
  }
  c.values[c.length++] = x;
}

/**
 * Orders two strings by UTF-16 code units. Not localeCompare: its first call loads ICU's collator
 * (~15 ms, a tenth of the diagnosis), and its order follows the machine's locale, so one capture
 * could give two reports.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
