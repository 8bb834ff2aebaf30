import { getLabel, METRIC_NAME, type Labels } from '../../model/labels.js';
import type { RollupRecords } from '../../storage/storage.js';
import { extrapolate } from '../functions/functions.js';
import type { Annotations, ISample } from './internal.js';

/**
 * Range functions over rollup windows (docs/promql.md "Rollups"): when a store answers a range
 * selector with {@link RollupRecords}, these compute the function from the windows whose ends lie
 * in the range `(refT − range, refT]`. With the range edges on window ends the result is the one
 * the raw samples give (the same arithmetic: counts and sums add, min/max with Prometheus's NaN
 * rule, rate/increase/delta from the first and last samples, the sample count and counter resets,
 * extrapolated as Prometheus's extrapolatedRate).
 */

type RollupFn = (
  r: RollupRecords,
  lo: number,
  hi: number,
  refT: number,
  rangeMs: number,
) => number | undefined;

const fns: Record<string, RollupFn> = {
  rate: (r, lo, hi, refT, rangeMs) => extrapolated(r, lo, hi, refT, rangeMs, true, true),
  increase: (r, lo, hi, refT, rangeMs) => extrapolated(r, lo, hi, refT, rangeMs, true, false),
  delta: (r, lo, hi, refT, rangeMs) => extrapolated(r, lo, hi, refT, rangeMs, false, false),
  count_over_time: (r, lo, hi) => count(r, lo, hi),
  sum_over_time: (r, lo, hi) => sum(r, lo, hi),
  avg_over_time: (r, lo, hi) => sum(r, lo, hi) / count(r, lo, hi),
  min_over_time: (r, lo, hi) => {
    let m = NaN;
    let first = true;
    for (let i = lo; i < hi; i++) {
      if (r.count[i] === 0) continue;
      const v = r.min[i]!;
      if (first || v < m || Number.isNaN(m)) m = v;
      first = false;
    }
    return m;
  },
  max_over_time: (r, lo, hi) => {
    let m = NaN;
    let first = true;
    for (let i = lo; i < hi; i++) {
      if (r.count[i] === 0) continue;
      const v = r.max[i]!;
      if (first || v > m || Number.isNaN(m)) m = v;
      first = false;
    }
    return m;
  },
  last_over_time: (r, lo, hi) => {
    for (let i = hi - 1; i >= lo; i--) if (r.count[i]! > 0) return r.lastV[i]!;
    return undefined;
  },
  present_over_time: () => 1,
};

/** Whether {@link evalRollupCall} can compute `func`. */
export function isRollupFunction(func: string): boolean {
  return Object.hasOwn(fns, func);
}

function count(r: RollupRecords, lo: number, hi: number): number {
  let n = 0;
  for (let i = lo; i < hi; i++) n += r.count[i]!;
  return n;
}

/** Kahan sum of the windows' sums (as Prometheus sums samples). */
function sum(r: RollupRecords, lo: number, hi: number): number {
  let s = 0;
  let c = 0;
  for (let i = lo; i < hi; i++) {
    if (r.count[i] === 0) continue;
    const v = r.sum[i]!;
    const t = s + v;
    if (Math.abs(s) >= Math.abs(v)) c += s - t + v;
    else c += v - t + s;
    s = t;
  }
  return s + c;
}

/** Prometheus's extrapolatedRate over the samples the windows [lo, hi) summarize. */
function extrapolated(
  r: RollupRecords,
  lo: number,
  hi: number,
  refT: number,
  rangeMs: number,
  isCounter: boolean,
  isRate: boolean,
): number | undefined {
  let first = -1;
  let last = -1;
  let n = 0;
  for (let i = lo; i < hi; i++) {
    if (r.count[i] === 0) continue;
    if (first < 0) first = i;
    last = i;
    n += r.count[i]!;
  }
  if (n < 2) return undefined;
  const firstT = r.firstT[first]!;
  const firstV = r.firstV[first]!;
  const lastT = r.lastT[last]!;
  let result = r.lastV[last]! - firstV;
  if (isCounter) {
    let prev = -1;
    for (let i = first; i <= last; i++) {
      if (r.count[i] === 0) continue;
      if (prev >= 0 && r.firstV[i]! < r.lastV[prev]!) result += r.lastV[prev]!;
      result += r.resets[i]!;
      prev = i;
    }
  }
  return extrapolate({
    result,
    firstT,
    firstV,
    lastT,
    n,
    rangeStart: refT - rangeMs,
    rangeEnd: refT,
    isCounter,
    isRate,
  });
}

/** First index with t[i] > x. */
function upper(t: Float64Array, x: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * `func` over each series' windows with ends in (refT − rangeMs, refT]; series without a window
 * there, or without a value (rate of fewer than two samples), are left out. Returns the samples
 * and how many windows were read (for the query's sample limit). Adds Prometheus's info for
 * rate/increase of a metric whose name does not look like a counter's.
 */
export function evalRollupCall(
  func: string,
  series: readonly { readonly labels: Labels; readonly rollup: RollupRecords }[],
  refT: number,
  rangeMs: number,
  annos: Annotations,
): { samples: ISample[]; read: number } {
  const f = fns[func]!;
  const dropName = func !== 'last_over_time';
  const samples: ISample[] = [];
  let read = 0;
  for (const s of series) {
    const r = s.rollup;
    const lo = upper(r.t, refT - rangeMs);
    const hi = upper(r.t, refT);
    let any = false;
    for (let i = lo; i < hi && !any; i++) any = r.count[i]! > 0;
    if (!any) continue;
    read += hi - lo;
    const v = f(r, lo, hi, refT, rangeMs);
    if (v === undefined) continue;
    samples.push({ labels: s.labels, v, dropName });
    if (func === 'rate' || func === 'increase') {
      const metric = getLabel(s.labels, METRIC_NAME);
      if (metric !== '' && !/(_total|_sum|_count|_bucket)$/.test(metric))
        annos.info(
          `metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "${metric}"`,
        );
    }
  }
  return { samples, read };
}
