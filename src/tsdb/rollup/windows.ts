import { isStaleNaN, STALE_NAN } from '../../model/sample.js';
import type { RollupRecords, SampleIterator } from '../../storage/storage.js';

/**
 * Rollup windows (docs/tsdb/block.md "Rollups"): the aggregates of a series' samples per window
 * `(e − r, e]` of a resolution `r`, window ends `e` on multiples of `r` since the epoch, so that a
 * left-open query range `(T − R, T]` with `T` and `R` multiples of `r` covers whole windows.
 * Columns are Float64Arrays (values bit-exact). A window's data may arrive in parts (the blocks
 * of a time range end at `[minT, maxT)`, windows at `(e − r, e]`): parts of one window are
 * combined with {@link combine}, which is the same arithmetic a query uses over several windows.
 */

/** The rollup resolutions Kanshi builds, finest first (ms): 5 minutes and 1 hour. */
export const ROLLUP_RESOLUTIONS_MS: readonly number[] = [300_000, 3_600_000];

/** The end of the window of resolution `resolutionMs` holding time `t` (ms): windows are `(e − r, e]`. */
export function windowEnd(t: number, resolutionMs: number): number {
  // `+ 0` turns -0 (times just below 0) into 0.
  return Math.ceil(t / resolutionMs) * resolutionMs + 0;
}

/** `staleT` of a window whose last sample is not a staleness marker. */
export const NOT_STALE = Infinity;

const COLUMNS = [
  't',
  'count',
  'sum',
  'min',
  'max',
  'firstT',
  'firstV',
  'lastT',
  'lastV',
  'resets',
  'staleT',
] as const;

/** The name of one column of {@link Windows}. */
export type WindowColumn = (typeof COLUMNS)[number];

/** All column names, in the order of the on-disk rollup chunk (docs/tsdb/block.md). */
export const WINDOW_COLUMNS: readonly WindowColumn[] = COLUMNS;

/**
 * A growable list of windows in time order, one Float64Array per column ({@link RollupRecords}
 * plus `staleT`: the time of a staleness marker that ended the window's data, or
 * {@link NOT_STALE}). Owned by its creator; the columns are reallocated as it grows, so take them
 * with {@link records} only when done.
 */
export class Windows implements RollupRecords {
  readonly resolutionMs: number;
  length = 0;
  t: Float64Array;
  count: Float64Array;
  sum: Float64Array;
  min: Float64Array;
  max: Float64Array;
  firstT: Float64Array;
  firstV: Float64Array;
  lastT: Float64Array;
  lastV: Float64Array;
  resets: Float64Array;
  staleT: Float64Array;

  constructor(resolutionMs: number, capacity = 16) {
    this.resolutionMs = resolutionMs;
    // One buffer for all columns: a typed array's own backing store costs more than its bytes.
    const c = Math.max(1, capacity);
    const buf = new Float64Array(c * COLUMNS.length);
    const col = (k: number): Float64Array => buf.subarray(k * c, (k + 1) * c);
    this.t = col(0);
    this.count = col(1);
    this.sum = col(2);
    this.min = col(3);
    this.max = col(4);
    this.firstT = col(5);
    this.firstV = col(6);
    this.lastT = col(7);
    this.lastV = col(8);
    this.resets = col(9);
    this.staleT = col(10);
  }

  /** Makes room for at least `n` windows. */
  reserve(n: number): void {
    if (n <= this.t.length) return;
    let c = this.t.length * 2;
    while (c < n) c *= 2;
    const buf = new Float64Array(c * COLUMNS.length);
    COLUMNS.forEach((name, k) => {
      const next = buf.subarray(k * c, (k + 1) * c);
      next.set(this[name].subarray(0, this.length));
      this[name] = next;
    });
  }

  #grow(): void {
    this.reserve(this.t.length * 2);
  }

  /** Appends an empty window ending at `t`; returns its index. */
  #open(t: number): number {
    if (this.length === this.t.length) this.#grow();
    const i = this.length++;
    this.t[i] = t;
    this.count[i] = 0;
    this.sum[i] = 0;
    this.min[i] = NaN;
    this.max[i] = NaN;
    this.firstT[i] = NaN;
    this.firstV[i] = NaN;
    this.lastT[i] = NaN;
    this.lastV[i] = NaN;
    this.resets[i] = 0;
    this.staleT[i] = NOT_STALE;
    return i;
  }

  /**
   * Adds one raw sample (times ascending) to the window that holds it at this resolution;
   * `resolutionMs` 0 makes every sample its own record (`t` = the sample's time).
   */
  addSample(t: number, v: number): void {
    const e = this.resolutionMs > 0 ? windowEnd(t, this.resolutionMs) : t;
    const n = this.length;
    const i = n > 0 && this.t[n - 1] === e ? n - 1 : this.#open(e);
    if (isStaleNaN(v)) {
      this.staleT[i] = t;
      return;
    }
    this.staleT[i] = NOT_STALE;
    const c = this.count[i]!;
    if (c === 0) {
      this.firstT[i] = t;
      this.firstV[i] = v;
      this.min[i] = v;
      this.max[i] = v;
      this.sum[i] = v;
    } else {
      const last = this.lastV[i]!;
      if (v < last) this.resets[i]! += last;
      // Prometheus's min/max_over_time: NaN only loses to a number.
      if (v < this.min[i]! || Number.isNaN(this.min[i]!)) this.min[i] = v;
      if (v > this.max[i]! || Number.isNaN(this.max[i]!)) this.max[i] = v;
      this.sum[i]! += v;
    }
    this.lastT[i] = t;
    this.lastV[i] = v;
    this.count[i] = c + 1;
  }

  /** Adds every sample of `it` within [minT, maxT]. */
  addSamples(it: SampleIterator, minT: number, maxT: number): void {
    if (!it.seek(minT)) return;
    do {
      const t = it.atT();
      if (t > maxT) return;
      this.addSample(t, it.atV());
    } while (it.next());
  }

  /**
   * Appends window `i` of `src` (later than every window here but possibly the same window,
   * whose parts are then combined).
   */
  addWindow(src: Windows, i: number): void {
    const t = src.t[i]!;
    const n = this.length;
    if (n > 0 && this.t[n - 1] === t) {
      combine(this, n - 1, src, i);
      return;
    }
    if (this.length === this.t.length) this.#grow();
    const j = this.length++;
    this.t[j] = t;
    this.count[j] = src.count[i]!;
    this.sum[j] = src.sum[i]!;
    this.min[j] = src.min[i]!;
    this.max[j] = src.max[i]!;
    this.firstT[j] = src.firstT[i]!;
    this.firstV[j] = src.firstV[i]!;
    this.lastT[j] = src.lastT[i]!;
    this.lastV[j] = src.lastV[i]!;
    this.resets[j] = src.resets[i]!;
    this.staleT[j] = src.staleT[i]!;
  }

  /**
   * Appends all windows of `src` with `t` in [minT, maxT] (see {@link addWindow}): the first may
   * combine with the last one here, the rest are copied column by column in bulk.
   */
  addWindows(src: Windows, minT = -Infinity, maxT = Infinity): void {
    let from = 0;
    while (from < src.length && src.t[from]! < minT) from++;
    let to = src.length;
    while (to > from && src.t[to - 1]! > maxT) to--;
    if (from >= to) return;
    if (this.length > 0 && this.t[this.length - 1] === src.t[from]) {
      combine(this, this.length - 1, src, from);
      from++;
    }
    const n = to - from;
    if (n === 0) return;
    this.reserve(this.length + n);
    for (const name of COLUMNS) this[name].set(src[name].subarray(from, to), this.length);
    this.length += n;
  }

  /** Removes the windows that end at or before `t` (ms). */
  dropThrough(t: number): void {
    let k = 0;
    while (k < this.length && this.t[k]! <= t) k++;
    if (k === 0) return;
    for (const name of COLUMNS) this[name].copyWithin(0, k, this.length);
    this.length -= k;
  }

  /** The windows as records trimmed to their length (columns copied out; `staleT` dropped). */
  records(): RollupRecords {
    const n = this.length;
    return {
      resolutionMs: this.resolutionMs,
      length: n,
      t: this.t.slice(0, n),
      count: this.count.slice(0, n),
      sum: this.sum.slice(0, n),
      min: this.min.slice(0, n),
      max: this.max.slice(0, n),
      firstT: this.firstT.slice(0, n),
      firstV: this.firstV.slice(0, n),
      lastT: this.lastT.slice(0, n),
      lastV: this.lastV.slice(0, n),
      resets: this.resets.slice(0, n),
    };
  }

  /**
   * The samples a plain selection sees: each window's last sample at its time, then the
   * staleness marker that ended it, if any. Values in a Float64Array (the marker survives).
   */
  lastSamples(): { ts: Float64Array; vs: Float64Array } {
    let n = 0;
    for (let i = 0; i < this.length; i++) {
      if (this.count[i]! > 0) n++;
      if (this.staleT[i] !== NOT_STALE) n++;
    }
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    let k = 0;
    for (let i = 0; i < this.length; i++) {
      if (this.count[i]! > 0) {
        ts[k] = this.lastT[i]!;
        vs[k++] = this.lastV[i]!;
      }
      if (this.staleT[i] !== NOT_STALE) {
        ts[k] = this.staleT[i]!;
        vs[k++] = STALE_NAN;
      }
    }
    return { ts, vs };
  }
}

/**
 * Combines window `j` of `b` (later) into window `i` of `a` (earlier), as if `a`'s window held both
 * parts' samples: counts and sums add, the first sample is `a`'s, the last `b`'s, and a drop from
 * `a`'s last to `b`'s first value is one more counter reset.
 */
export function combine(a: Windows, i: number, b: Windows, j: number): void {
  const bc = b.count[j]!;
  a.staleT[i] = b.staleT[j]!;
  if (bc === 0) return;
  const ac = a.count[i]!;
  if (ac === 0) {
    for (const name of COLUMNS) if (name !== 't' && name !== 'staleT') a[name][i] = b[name][j]!;
    return;
  }
  const last = a.lastV[i]!;
  const first = b.firstV[j]!;
  a.resets[i] = a.resets[i]! + b.resets[j]! + (first < last ? last : 0);
  const bmin = b.min[j]!;
  const bmax = b.max[j]!;
  if (bmin < a.min[i]! || Number.isNaN(a.min[i]!)) a.min[i] = bmin;
  if (bmax > a.max[i]! || Number.isNaN(a.max[i]!)) a.max[i] = bmax;
  a.sum[i] = a.sum[i]! + b.sum[j]!;
  a.count[i] = ac + bc;
  a.lastT[i] = b.lastT[j]!;
  a.lastV[i] = b.lastV[j]!;
}
