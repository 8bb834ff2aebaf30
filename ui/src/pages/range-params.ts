import { DEFAULT_RANGE, isRelative, type TimeRange } from '../lib/time-range.js';
import { updateSearch, useSearchParams } from '../router.js';

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
