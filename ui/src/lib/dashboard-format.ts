import type { DashboardUnit, LegendCalc, Thresholds } from './dashboard-model.js';
import { formatSeconds, formatValue } from './units.js';

/**
 * Formatting for dashboard panels: Grafana's unit ids, a fixed number of decimals, threshold
 * colours and legend calculations. Locale-neutral like lib/units.ts. Pure.
 */

const SI = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
const IEC = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** Units scaled by a base (1000 SI or 1024 IEC prefixes), with their suffix. */
const SCALED: Partial<Record<DashboardUnit, readonly [1000 | 1024, string]>> = {
  bytes: [1024, 'B'],
  decbytes: [1000, 'B'],
  bits: [1024, 'b'],
  decbits: [1000, 'b'],
  bps: [1000, 'b/s'],
  Bps: [1000, 'B/s'],
  binBps: [1024, 'B/s'],
  hertz: [1000, 'Hz'],
};

/** Duration units: seconds per unit, and the suffix shown with fixed decimals. */
const DURATION: Partial<Record<DashboardUnit, readonly [number, string]>> = {
  s: [1, 's'],
  ms: [1e-3, 'ms'],
  us: [1e-6, 'µs'],
  ns: [1e-9, 'ns'],
  m: [60, 'min'],
  h: [3600, 'h'],
  d: [86400, 'd'],
};

/** Units shown as the number and a suffix. */
const SUFFIX: Partial<Record<DashboardUnit, string>> = {
  percent: '%',
  reqps: ' req/s',
  rps: ' rps',
  ops: ' ops',
  iops: ' iops',
  wps: ' wps',
  celsius: '°C',
};

/** `v` rounded to `decimals` places, or to 3 significant digits without trailing zeros. */
function num(v: number, decimals: number | undefined): string {
  if (decimals !== undefined) return v.toFixed(decimals);
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 100 && Number.isInteger(v)) return String(v);
  const d = Math.max(0, 2 - Math.floor(Math.log10(abs)));
  return String(Number(v.toFixed(Math.min(d, 12))));
}

function scaled(
  v: number,
  base: number,
  prefixes: readonly string[],
  suffix: string,
  decimals: number | undefined,
): string {
  let i = 0;
  let x = Math.abs(v);
  while (i < prefixes.length - 1 && Number(num(x, decimals)) >= base) {
    x /= base;
    i++;
  }
  const text = `${v < 0 ? '-' : ''}${num(x, decimals)}`;
  const unit = `${prefixes[i] ?? ''}${suffix}`;
  return unit === '' ? text : `${text} ${unit}`;
}

function special(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return undefined;
}

/** Seconds as `1d 2h`, `3h 5m`, `4m 10s`: the two largest parts (Grafana's dtdurations). */
function durationParts(seconds: number): string {
  let s = Math.round(Math.abs(seconds));
  if (s === 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of [
    ['y', 31_536_000],
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(s / size);
    if (n > 0) parts.push(`${n}${unit}`);
    s -= n * size;
  }
  return (seconds < 0 ? '-' : '') + parts.slice(0, 2).join(' ');
}

/**
 * `v` in Grafana unit `unit` (default `short`), with exactly `decimals` decimals when given.
 * Durations (`s`, `ms`, …) pick a readable unit; `percent` takes 0–100, `percentunit` 0–1;
 * `dateTimeAsIso` takes ms since the epoch.
 */
export function formatUnit(v: number, unit: DashboardUnit | undefined, decimals?: number): string {
  const sp = special(v);
  if (sp !== undefined) return sp;
  const u = unit ?? 'short';
  const sc = SCALED[u];
  if (sc) return scaled(v, sc[0], sc[0] === 1024 ? IEC : SI, sc[1], decimals);
  const du = DURATION[u];
  if (du) return decimals === undefined ? formatSeconds(v * du[0]) : `${v.toFixed(decimals)} ${du[1]}`;
  switch (u) {
    case 'none':
      return decimals === undefined ? formatValue(v, 'none') : v.toFixed(decimals);
    case 'short':
      return Math.abs(v) < 1000 ? num(v, decimals) : scaled(v, 1000, SI, '', decimals).replace(' ', '');
    case 'percentunit':
      return `${num(v * 100, decimals)}%`;
    case 'dtdurations':
      return durationParts(v);
    case 'dateTimeAsIso':
      return Number.isFinite(v) ? new Date(v).toISOString().replace('T', ' ').slice(0, 19) : String(v);
    default:
      return `${num(v, decimals)}${SUFFIX[u] ?? ''}`;
  }
}

/** Grafana's named colours (its classic palette), by base name. */
const NAMED: Readonly<Record<string, string>> = {
  green: '#73bf69',
  red: '#f2495c',
  orange: '#ff9830',
  yellow: '#fade2a',
  blue: '#5794f2',
  purple: '#b877d9',
  text: 'currentColor',
  transparent: 'transparent',
};

/**
 * A threshold colour as CSS: Grafana's names (`green`, `dark-red`, `semi-dark-orange`, … map to
 * their base colour), else the colour as written (`#ff0000`, `rgb(…)`, CSS names).
 */
export function cssColor(color: string): string {
  const c = color.trim();
  const base = c.replace(/^(super-light|light|semi-dark|dark)-/, '');
  return NAMED[base] ?? c;
}

/**
 * The colour `v` takes under `thresholds`: the step with the highest value at or below `v`
 * (the null step is the base). In `percentage` mode step values are percent of min..max (0..100
 * when unknown). Undefined without thresholds or for a non-finite value.
 */
export function thresholdColor(
  v: number,
  thresholds: Thresholds | undefined,
  range: { min?: number | undefined; max?: number | undefined } = {},
): string | undefined {
  if (!thresholds || thresholds.steps.length === 0 || !Number.isFinite(v)) return undefined;
  let x = v;
  if (thresholds.mode === 'percentage') {
    const min = range.min ?? 0;
    const max = range.max ?? 100;
    x = max === min ? 0 : ((v - min) / (max - min)) * 100;
  }
  let color: string | undefined;
  let best = -Infinity;
  for (const s of thresholds.steps) {
    const at = s.value ?? -Infinity;
    if (at <= x && at >= best) {
      best = at;
      color = s.color;
    }
  }
  return color === undefined ? undefined : cssColor(color);
}

/** The legend calculations of one series. */
export type CalcValues = Readonly<Record<LegendCalc, number | undefined>>;

/**
 * min, max, mean and last non-null value of `values`, over finite values only (NaN, ±Inf and
 * gaps are skipped); all undefined for a series without one.
 */
export function legendCalcs(values: readonly (number | null)[]): CalcValues {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let n = 0;
  let last: number | undefined;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    n++;
    last = v;
  }
  if (n === 0) return { min: undefined, max: undefined, avg: undefined, last: undefined };
  return { min, max, avg: sum / n, last };
}

/** The last non-null finite value of `values` (what stat, gauge and bar panels show). */
export function lastValue(values: readonly (number | null)[]): number | undefined {
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i];
    if (v !== null && v !== undefined && Number.isFinite(v)) return v;
  }
  return undefined;
}

/**
 * Where `v` sits between `min` and `max`, 0..1 (clamped), for gauges and bars. Without bounds,
 * 0..`fallbackMax` (the largest value shown, or 100 for percent units).
 */
export function fraction(
  v: number,
  min: number | undefined,
  max: number | undefined,
  fallbackMax: number,
): number {
  const lo = min ?? 0;
  const hi = max ?? fallbackMax;
  if (!(hi > lo)) return 0;
  return Math.min(1, Math.max(0, (v - lo) / (hi - lo)));
}

/** The default upper bound of a gauge or bar in `unit` when the panel sets none. */
export function defaultMax(unit: DashboardUnit | undefined, values: readonly number[]): number {
  if (unit === 'percent') return 100;
  if (unit === 'percentunit') return 1;
  const m = Math.max(0, ...values.filter(Number.isFinite));
  return m === 0 ? 1 : m;
}
