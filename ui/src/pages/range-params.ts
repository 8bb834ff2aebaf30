import {
  absoluteRange,
  autoStepMs,
  DEFAULT_RANGE,
  formatDurationMs,
  isRelative,
  rateWindowMs,
  resolveRange,
  type TimeRange,
} from '../lib/time-range.js';
import { updateSearch, useSearchParams } from '../router.js';
import { useAsync } from '../use-async.js';

/** The page's time range from `?from=&to=` (default the last hour), and a setter that pushes it. */
export function useRangeParams(): { range: TimeRange; setRange: (r: TimeRange) => void; isLive: boolean } {
  const q = useSearchParams();
  const range = { from: q.get('from') ?? DEFAULT_RANGE.from, to: q.get('to') ?? DEFAULT_RANGE.to };
  return {
    range,
    isLive: isRelative(range),
    setRange: (r) => updateSearch({ from: r.from, to: r.to }),
  };
}

/** How often a page over a range ending now reloads its graphs, ms. */
export const GRAPH_REFRESH_MS = 30_000;

/** What {@link useGraphGrid} gives a page of graphs. */
export interface GraphGrid {
  readonly range: TimeRange;
  readonly setRange: (r: TimeRange) => void;
  /** The range resolved and aligned on the step (ms), so refreshes reuse one grid. */
  readonly grid: { readonly startMs: number; readonly endMs: number; readonly stepMs: number };
  /** The `rate()` window for the step, as PromQL (`2m`). */
  readonly rateWindow: string;
  /** Sets the dragged range (ms) as an absolute range. */
  readonly onZoom: (startMs: number, endMs: number) => void;
}

/**
 * The page's range as a query grid for graphs about `widthPx` wide; a range ending now is
 * re-resolved every {@link GRAPH_REFRESH_MS}, so "now" moves.
 */
export function useGraphGrid(widthPx: number): GraphGrid {
  const { range, setRange, isLive } = useRangeParams();
  const tick = useAsync(() => Promise.resolve(Date.now()), 'tick', {
    refreshMs: isLive ? GRAPH_REFRESH_MS : undefined,
  });
  const now = tick.data ?? Date.now();
  const resolved = resolveRange(range, now) ?? { startMs: now - 3_600_000, endMs: now };
  const stepMs = autoStepMs(resolved.endMs - resolved.startMs, widthPx);
  return {
    range,
    setRange,
    grid: {
      startMs: Math.floor(resolved.startMs / stepMs) * stepMs,
      endMs: Math.floor(resolved.endMs / stepMs) * stepMs,
      stepMs,
    },
    rateWindow: formatDurationMs(rateWindowMs(stepMs)),
    onZoom: (a, b) => setRange(absoluteRange(a, b)),
  };
}
