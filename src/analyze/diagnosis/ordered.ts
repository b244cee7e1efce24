/**
 * \summary: ordering connections' facts by a number, without a comparator call per step.
 *
 * The diagnosis runs once, over every connection: `Array.prototype.sort` with a comparator calls
 * back into JavaScript for each comparison, and on the bench's 22,582 connections those sorts and
 * the small arrays they sorted cost more than the rest of the diagnosis. Keys go into a
 * Float64Array and a plain merge sort orders their positions (one loop, optimised quickly).
 */

/** Positions 0..n-1 ordered by `keys`, ascending; equal keys keep their order (stable). */
export function orderOf(keys: Float64Array): Uint32Array {
  const n = keys.length;
  let from = new Uint32Array(n);
  let to = new Uint32Array(n);
  for (let i = 0; i < n; i++) from[i] = i;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      // The right run goes first only when strictly smaller: ties keep their order (stable).
      while (i < mid && j < hi) to[k++] = keys[from[j]] < keys[from[i]] ? from[j++] : from[i++];
      while (i < mid) to[k++] = from[i++];
      while (j < hi) to[k++] = from[j++];
    }
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

/** Numbers ascending, as a Float64Array (native sort). */
export function sortedNumbers(values: readonly number[]): Float64Array {
  const sorted = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) sorted[i] = values[i];
  return sorted.sort();
}
