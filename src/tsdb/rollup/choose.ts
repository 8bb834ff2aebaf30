import type { SelectHints } from '../../storage/storage.js';

/**
 * Which resolution a select reads (docs/promql.md "Rollups"): the rule, as a pure function of the
 * reader's hints, so it can be tested and documented on its own.
 */

/**
 * Range functions whose value over whole windows equals their value over the raw samples, computed
 * from a window's count, sum, min, max, first/last samples and counter resets
 * (src/promql/engine/rollup-eval.ts).
 */
export const ROLLUP_RANGE_FUNCTIONS: ReadonlySet<string> = new Set([
  'rate',
  'increase',
  'delta',
  'sum_over_time',
  'count_over_time',
  'avg_over_time',
  'min_over_time',
  'max_over_time',
  'last_over_time',
  'present_over_time',
]);

/**
 * Whether the selection described by `hints` can be answered from windows at all: a range selector
 * under one of {@link ROLLUP_RANGE_FUNCTIONS}, or an instant selector (which reads each window's
 * last sample).
 */
export function canUseRollups(hints: SelectHints): boolean {
  if (hints.rangeMs === undefined) return true;
  return hints.func !== undefined && ROLLUP_RANGE_FUNCTIONS.has(hints.func);
}

/**
 * The resolution (ms; 0 = raw) a select prefers: the coarsest of `resolutionsMs` that is at most
 * `maxResolutionMs`, at most the step and divides it, divides the first evaluation time (so every
 * evaluation falls on a window end), and, for a range selector, divides its range; and only when
 * the function can be answered from windows ({@link canUseRollups}). Otherwise raw. A store still
 * reads rollups where raw samples are gone, whatever this returns (except a forced 0).
 */
export function chooseResolution(hints: SelectHints | undefined, resolutionsMs: readonly number[]): number {
  if (hints === undefined || !canUseRollups(hints)) return 0;
  const { stepMs, evalStartMs, rangeMs } = hints;
  if (stepMs === undefined || evalStartMs === undefined) return 0;
  const max = hints.maxResolutionMs ?? Infinity;
  let best = 0;
  for (const r of resolutionsMs) {
    if (r <= best || r > max || r > stepMs || stepMs % r !== 0 || evalStartMs % r !== 0) continue;
    if (rangeMs !== undefined && (rangeMs < r || rangeMs % r !== 0)) continue;
    best = r;
  }
  return best;
}
