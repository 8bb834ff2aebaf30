/**
 * Numeric helpers shared by PromQL functions and aggregations, with Prometheus's exact float
 * semantics (Kahan–Neumaier summation, quantile interpolation, Go's float formatting).
 */

/** One Kahan–Neumaier summation step: returns the new sum and compensation. */
export function kahanSumInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (!Number.isFinite(t) && !Number.isNaN(t)) c = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

/**
 * Prometheus's average of a sequence (avg and avg_over_time): a Kahan-compensated sum while it stays
 * finite, switching to an incremental mean once the sum would overflow. Start with the first value,
 * `add` the rest in order, then read {@link KahanMean.result}.
 */
export class KahanMean {
  #sum: number;
  #c = 0;
  #mean = 0;
  #count = 1;
  #isIncremental = false;

  constructor(first: number) {
    this.#sum = first;
  }

  add(f: number): void {
    const count = ++this.#count;
    if (!this.#isIncremental) {
      const [nv, nc] = kahanSumInc(f, this.#sum, this.#c);
      if (Number.isFinite(nv) || Number.isNaN(nv)) {
        this.#sum = nv;
        this.#c = nc;
        return;
      }
      this.#isIncremental = true;
      this.#mean = this.#sum / (count - 1);
      this.#c /= count - 1;
    }
    const q = (count - 1) / count;
    [this.#mean, this.#c] = kahanSumInc(f / count, q * this.#mean, q * this.#c);
  }

  result(): number {
    return this.#isIncremental ? this.#mean + this.#c : this.#sum / this.#count + this.#c / this.#count;
  }
}

/** Reused buffer of {@link quantile}: the values to sort, NaNs left out. */
let quantileScratch = new Float64Array(1024);

/**
 * The φ-quantile of `values[from..to)` with linear interpolation, as Prometheus's: the values in
 * ascending order with NaN before everything. `values` is not modified. The NaNs are counted and
 * the rest sorted as a Float64Array (a native numeric sort, several times faster than a
 * comparator over a plain array).
 */
export function quantile(q: number, values: ArrayLike<number>, from = 0, to = values.length): number {
  const n = to - from;
  if (n <= 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (quantileScratch.length < n) quantileScratch = new Float64Array(Math.max(n, quantileScratch.length * 2));
  let nans = 0;
  let k = 0;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    if (v !== v) nans++;
    else quantileScratch[k++] = v;
  }
  const sorted = quantileScratch.subarray(0, k);
  sorted.sort();
  const at = (i: number): number => (i < nans ? NaN : sorted[i - nans]!);
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return at(lower) * (1 - weight) + at(upper) * weight;
}

/** Ascending order with NaN before everything, as Prometheus's vectorByValueHeap. */
export function compareNaNFirst(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
  if (Number.isNaN(b)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Go's `strconv.FormatFloat(v, 'f', -1, 64)`: shortest round-trip digits, never an exponent. */
export function formatGoFloatF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, intDigit, frac = '', expStr] = m;
  const digits = intDigit! + frac;
  const exp = Number(expStr);
  if (exp >= 0) {
    const pointPos = 1 + exp;
    if (digits.length <= pointPos) return sign! + digits + '0'.repeat(pointPos - digits.length);
    return `${sign!}${digits.slice(0, pointPos)}.${digits.slice(pointPos)}`;
  }
  return `${sign!}0.${'0'.repeat(-exp - 1)}${digits}`;
}

/** Go's `strconv.FormatFloat(v, 'g', -1, 64)` as Prometheus prints values in messages. */
export function formatGoFloatG(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const exp = v === 0 ? 0 : Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= 21) {
    const s = v.toExponential();
    return s.replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return formatGoFloatF(v);
}

/**
 * Least-squares fit of (t - interceptTime in s, v) over indexes [lo, hi); returns slope and intercept, as Prometheus's
 * linearRegression (constant input yields slope 0 exactly).
 */
export function linearRegression(
  ts: ArrayLike<number>,
  vs: ArrayLike<number>,
  lo: number,
  hi: number,
  interceptTime: number,
): [number, number] {
  let n = 0;
  let sumX = 0;
  let cX = 0;
  let sumY = 0;
  let cY = 0;
  let sumXY = 0;
  let cXY = 0;
  let sumX2 = 0;
  let cX2 = 0;
  const initY = vs[lo]!;
  let constY = true;
  for (let i = lo; i < hi; i++) {
    const v = vs[i]!;
    if (constY && i > lo && v !== initY) constY = false;
    n++;
    const x = (ts[i]! - interceptTime) / 1000;
    [sumX, cX] = kahanSumInc(x, sumX, cX);
    [sumY, cY] = kahanSumInc(v, sumY, cY);
    [sumXY, cXY] = kahanSumInc(x * v, sumXY, cXY);
    [sumX2, cX2] = kahanSumInc(x * x, sumX2, cX2);
  }
  if (constY) {
    if (!Number.isFinite(initY) && !Number.isNaN(initY)) return [NaN, NaN];
    return [0, initY];
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return [slope, intercept];
}

/** A classic histogram bucket: upper bound `le` and cumulative count. */
export interface Bucket {
  upperBound: number;
  count: number;
}

/**
 * The q-quantile of classic buckets with Prometheus's rules (sorting, coalescing equal bounds,
 * forcing monotonicity, ignoring deltas below 1e-12 relative). Returns the value and whether
 * monotonicity had to be forced.
 */
export function bucketQuantile(q: number, buckets: Bucket[]): { value: number; forcedMonotonic: boolean } {
  if (Number.isNaN(q)) return { value: NaN, forcedMonotonic: false };
  if (q < 0) return { value: -Infinity, forcedMonotonic: false };
  if (q > 1) return { value: Infinity, forcedMonotonic: false };
  buckets.sort((a, b) => a.upperBound - b.upperBound);
  if (buckets.length === 0 || buckets[buckets.length - 1]!.upperBound !== Infinity)
    return { value: NaN, forcedMonotonic: false };
  buckets = coalesceBuckets(buckets);
  const forcedMonotonic = ensureMonotonic(buckets);
  if (buckets.length < 2) return { value: NaN, forcedMonotonic };
  const observations = buckets[buckets.length - 1]!.count;
  if (observations === 0) return { value: NaN, forcedMonotonic };
  let rank = q * observations;
  let b = 0;
  while (b < buckets.length - 1 && !(buckets[b]!.count >= rank)) b++;
  if (b === buckets.length - 1) return { value: buckets[buckets.length - 2]!.upperBound, forcedMonotonic };
  if (b === 0 && buckets[0]!.upperBound <= 0) return { value: buckets[0]!.upperBound, forcedMonotonic };
  let bucketStart = 0;
  const bucketEnd = buckets[b]!.upperBound;
  let count = buckets[b]!.count;
  if (b > 0) {
    bucketStart = buckets[b - 1]!.upperBound;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  return { value: bucketStart + (bucketEnd - bucketStart) * (rank / count), forcedMonotonic };
}

function coalesceBuckets(buckets: Bucket[]): Bucket[] {
  const out: Bucket[] = [];
  for (const b of buckets) {
    const last = out[out.length - 1];
    if (last !== undefined && last.upperBound === b.upperBound) last.count += b.count;
    else out.push({ upperBound: b.upperBound, count: b.count });
  }
  return out;
}

function almostEqual(a: number, b: number, epsilon: number): boolean {
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  const minNormal = 2.2250738585072014e-308;
  if (a === 0 || b === 0 || absSum < minNormal) return diff < epsilon * minNormal;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}

function ensureMonotonic(buckets: Bucket[]): boolean {
  let forced = false;
  let prev = buckets[0]!.count;
  for (let i = 1; i < buckets.length; i++) {
    const curr = buckets[i]!.count;
    if (curr === prev) continue;
    if (almostEqual(prev, curr, 1e-12)) {
      buckets[i]!.count = prev;
      continue;
    }
    if (curr < prev) {
      buckets[i]!.count = prev;
      forced = true;
      continue;
    }
    prev = curr;
  }
  return forced;
}

/**
 * The fraction of observations between `lower` and `upper` in classic buckets, interpolating
 * linearly inside a bucket (Prometheus's BucketFraction).
 */
export function bucketFraction(lower: number, upper: number, buckets: Bucket[]): number {
  buckets.sort((a, b) => a.upperBound - b.upperBound);
  if (buckets.length === 0 || buckets[buckets.length - 1]!.upperBound !== Infinity) return NaN;
  buckets = coalesceBuckets(buckets);
  ensureMonotonic(buckets);
  const total = buckets[buckets.length - 1]!.count;
  if (total === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return NaN;
  if (lower >= upper) return 0;
  // Observations at or below v; a bucket of infinite width contributes nothing to a partial range.
  const rankOf = (v: number): number => {
    if (v === -Infinity) return 0;
    if (v === Infinity) return total;
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i]!;
      if (v > b.upperBound) continue;
      const lowerCount = i === 0 ? 0 : buckets[i - 1]!.count;
      const lowerBound = i === 0 ? (b.upperBound <= 0 ? -Infinity : 0) : buckets[i - 1]!.upperBound;
      if (b.upperBound === Infinity) return lowerCount;
      if (lowerBound === -Infinity) return b.count;
      if (v <= lowerBound) return lowerCount;
      return lowerCount + ((b.count - lowerCount) * (v - lowerBound)) / (b.upperBound - lowerBound);
    }
    return total;
  };
  return (rankOf(upper) - rankOf(lower)) / total;
}
