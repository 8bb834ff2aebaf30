import type { Metric, MatrixSeries } from '../api/prom.js';

/**
 * Turning API results into what the charts draw: one shared x axis (unix seconds) and one value
 * array per series, `null` where a series has no sample at that step (a gap, not a zero).
 */

/** Chart data: `xs` in unix seconds, ascending; each of `ys` as long as `xs`. */
export interface AlignedData {
  readonly xs: number[];
  readonly ys: (number | null)[][];
}

/**
 * Aligns range-query series on the steps of [startMs, endMs] every `stepMs` (the timestamps
 * query_range returns). Samples off the grid go to the nearest step; non-numeric text is a gap.
 */
export function alignMatrix(
  series: readonly MatrixSeries[],
  range: { startMs: number; endMs: number; stepMs: number },
): AlignedData {
  const n = Math.floor((range.endMs - range.startMs) / range.stepMs) + 1;
  const xs = new Array<number>(n);
  for (let i = 0; i < n; i++) xs[i] = (range.startMs + i * range.stepMs) / 1000;
  const ys = series.map((s) => {
    const out = new Array<number | null>(n).fill(null);
    for (const [t, v] of s.values) {
      const i = Math.round((t * 1000 - range.startMs) / range.stepMs);
      if (i < 0 || i >= n) continue;
      out[i] = parseSampleValue(v);
    }
    return out;
  });
  return { xs, ys };
}

/** A sample value as Prometheus writes it (`1.5`, `NaN`, `+Inf`, `-Inf`), or null if not a number. */
export function parseSampleValue(v: string): number | null {
  if (v === '+Inf' || v === 'Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  if (v === 'NaN') return NaN;
  const x = Number(v);
  return v.trim() === '' || Number.isNaN(x) ? null : x;
}

/** `name{a="1", b="2"}`: a series as PromQL writes it, labels sorted, `__name__` in front. */
export function formatSeriesName(metric: Metric): string {
  const name = metric.__name__ ?? '';
  const labels = Object.keys(metric)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}=${JSON.stringify(metric[k])}`);
  if (labels.length === 0) return name === '' ? '{}' : name;
  return `${name}{${labels.join(', ')}}`;
}

/**
 * A legend from a template with `{{label}}` references (Grafana's and Prometheus's console
 * syntax); a missing label becomes empty. Without a template, the full series name.
 */
export function legendFor(template: string | undefined, metric: Metric): string {
  if (template === undefined) return formatSeriesName(metric);
  return template.replace(
    /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g,
    (_m, name: string) => metric[name] ?? '',
  );
}

/** The smallest and largest finite value of a series, and the last non-null one. */
export function seriesStats(
  ys: readonly (number | null)[],
): { min: number; max: number; last: number } | undefined {
  let min = Infinity;
  let max = -Infinity;
  let last: number | undefined;
  for (const v of ys) {
    if (v === null || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    last = v;
  }
  return last === undefined ? undefined : { min, max, last };
}

/**
 * Running sums of `ys` in order (for stacked areas): the i-th result is ys[0] + … + ys[i], a gap
 * counting as zero below a value and staying a gap where the series itself has none.
 */
export function stack(ys: readonly (readonly (number | null)[])[]): (number | null)[][] {
  const out: (number | null)[][] = [];
  let acc: number[] | undefined;
  for (const s of ys) {
    const base: number[] = acc ?? new Array<number>(s.length).fill(0);
    const next = base.slice();
    const row = s.map((v, i) => {
      if (v === null) return null;
      next[i] = (base[i] ?? 0) + v;
      return next[i] ?? null;
    });
    acc = next;
    out.push(row);
  }
  return out;
}
