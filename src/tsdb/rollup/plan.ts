/**
 * Which source answers each part of a query's time range: the sources are listed in preference
 * order with the time they cover (half-open [from, to) intervals of raw sample time, ms), and each
 * part of [lo, hi] goes to the first source covering it.
 */

/** A source of data: 'raw' (head and raw blocks) or a rollup resolution in ms. */
export type Source = 'raw' | number;

/** What a source covers: half-open intervals [from, to) in ms. */
export interface Coverage {
  readonly source: Source;
  readonly intervals: readonly (readonly [number, number])[];
}

/** A part [from, to) of the queried range and the source that answers it. */
export interface Segment {
  readonly from: number;
  readonly to: number;
  readonly source: Source;
}

/**
 * Splits [lo, hi] (inclusive) into segments by the first source in `preference` that covers each
 * part, in time order, adjacent parts of one source joined; parts no source covers are left out.
 */
export function planSegments(lo: number, hi: number, preference: readonly Coverage[]): Segment[] {
  const end = hi + 1;
  const cuts = new Set<number>([lo, end]);
  for (const c of preference)
    for (const [a, b] of c.intervals) {
      if (a > lo && a < end) cuts.add(a);
      if (b > lo && b < end) cuts.add(b);
    }
  const points = [...cuts].sort((a, b) => a - b);
  const out: Segment[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]!;
    const b = points[i + 1]!;
    const c = preference.find((p) => p.intervals.some(([x, y]) => x <= a && y >= b));
    if (c === undefined) continue;
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.source === c.source && prev.to === a)
      out[out.length - 1] = { ...prev, to: b };
    else out.push({ from: a, to: b, source: c.source });
  }
  return out;
}
