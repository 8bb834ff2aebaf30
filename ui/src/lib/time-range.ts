/**
 * Time ranges as the URL carries them: `from`/`to` are either relative to now (`now`, `now-6h`,
 * Grafana's syntax) or absolute (ms since the epoch). They are resolved to ms at query time, so
 * a shared link with `from=now-1h` shows the last hour whenever it is opened.
 */

/** A range as written in the URL. */
export interface TimeRange {
  readonly from: string;
  readonly to: string;
}

/** A resolved range, ms since the epoch, `startMs < endMs`. */
export interface ResolvedRange {
  readonly startMs: number;
  readonly endMs: number;
}

/** The relative choices the picker offers (durations back from now). */
export const RELATIVE_CHOICES: readonly string[] = [
  '5m',
  '15m',
  '1h',
  '2h',
  '3h',
  '6h',
  '12h',
  '24h',
  '2d',
  '7d',
  '30d',
];

/** The range pages start with. */
export const DEFAULT_RANGE: TimeRange = { from: 'now-1h', to: 'now' };

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/**
 * A Prometheus duration (`90s`, `1h30m`, `2d`) in ms, or undefined when `s` is not one. Units
 * must go from largest to smallest, each at most once, as in Prometheus.
 */
export function parseDurationMs(s: string): number | undefined {
  const re = /(\d+)(ms|[smhdwy])/gy;
  let total = 0;
  let lastUnit = Infinity;
  let n = 0;
  let end = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    end = re.lastIndex;
    const unit = UNIT_MS[m[2] ?? ''] ?? 0;
    if (unit >= lastUnit) return undefined;
    lastUnit = unit;
    total += Number(m[1]) * unit;
    n++;
  }
  if (n === 0 || end !== s.length) return undefined;
  return total;
}

/** A duration in ms as Prometheus writes it: `1h30m`, `15s`, `250ms`, `0s`. */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of [
    ['y', UNIT_MS.y],
    ['w', UNIT_MS.w],
    ['d', UNIT_MS.d],
    ['h', UNIT_MS.h],
    ['m', UNIT_MS.m],
    ['s', UNIT_MS.s],
    ['ms', 1],
  ] as const) {
    const size_ = size ?? 1;
    const n = Math.floor(rest / size_);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size_;
    }
  }
  return out;
}

/**
 * A `from`/`to` value in ms: `now`, `now-<duration>`, `now+<duration>`, digits (ms since the
 * epoch) or an ISO 8601 date-time. Undefined when it is none of these.
 */
export function parseTimeExpr(s: string, nowMs: number): number | undefined {
  const text = s.trim();
  if (text === 'now') return nowMs;
  const rel = /^now([+-])(.+)$/.exec(text);
  if (rel) {
    const d = parseDurationMs(rel[2] ?? '');
    return d === undefined ? undefined : rel[1] === '-' ? nowMs - d : nowMs + d;
  }
  if (/^\d+$/.test(text)) return Number(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** `range` in ms at `nowMs`, or undefined when a bound is invalid or start is not before end. */
export function resolveRange(range: TimeRange, nowMs: number): ResolvedRange | undefined {
  const startMs = parseTimeExpr(range.from, nowMs);
  const endMs = parseTimeExpr(range.to, nowMs);
  if (startMs === undefined || endMs === undefined || startMs >= endMs) return undefined;
  return { startMs, endMs };
}

/** Whether the range moves with the clock (its end is `now`), so pages refresh it live. */
export function isRelative(range: TimeRange): boolean {
  return range.to.trim() === 'now';
}

/** The relative range "last `duration`". */
export function lastRange(duration: string): TimeRange {
  return { from: `now-${duration}`, to: 'now' };
}

/** An absolute range, as from a drag to zoom. Bounds are rounded to whole ms. */
export function absoluteRange(startMs: number, endMs: number): TimeRange {
  return { from: String(Math.round(startMs)), to: String(Math.round(endMs)) };
}

/**
 * A range twice as long around the same middle (zoom out); a relative range keeps ending now.
 */
export function zoomOut(range: TimeRange, nowMs: number): TimeRange | undefined {
  const r = resolveRange(range, nowMs);
  if (!r) return undefined;
  const len = r.endMs - r.startMs;
  if (isRelative(range)) return { from: `now-${formatDurationMs(2 * len)}`, to: 'now' };
  const end = Math.min(nowMs, r.endMs + len / 2);
  return absoluteRange(end - 2 * len, end);
}

const NICE_STEPS_MS = [
  1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
  3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
];

/**
 * The step for a graph of `rangeMs` drawn `widthPx` wide: about one point per two pixels, at
 * least `minStepMs` (the scrape interval: finer steps only repeat samples), rounded up to a
 * step people recognise, and never over Prometheus's 11,000 points per series.
 */
export function autoStepMs(rangeMs: number, widthPx = 1200, minStepMs = 15_000): number {
  const wanted = Math.max(rangeMs / Math.max(widthPx / 2, 1), minStepMs, rangeMs / 11_000);
  for (const s of NICE_STEPS_MS) if (s >= wanted) return s;
  return Math.ceil(wanted / 86_400_000) * 86_400_000;
}

/**
 * The `rate()` window for a step, like Grafana's `$__rate_interval`: at least four scrape
 * intervals (so two samples are always in it even with one missed), and a step plus one
 * interval (so consecutive windows overlap and no sample is skipped).
 */
export function rateWindowMs(stepMs: number, scrapeIntervalMs = 15_000): number {
  return Math.max(4 * scrapeIntervalMs, stepMs + scrapeIntervalMs);
}

/** ms since the epoch as the value of an `<input type="datetime-local">` (local time, minutes). */
export function toDatetimeLocal(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The value of an `<input type="datetime-local">` in ms, or undefined when empty or invalid. */
export function fromDatetimeLocal(s: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(s)) return undefined;
  const ms = new Date(s).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}
