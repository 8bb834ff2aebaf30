import type { Metric } from '../api/prom.js';
import { activeTargets, type Panel } from './dashboard-model.js';
import { AUTO, builtinValues, substitute, type VarSelection, type VarValues } from './dashboard-vars.js';
import { legendFor } from './series.js';
import { autoStepMs, formatDurationMs, parseDurationMs, rateWindowMs } from './time-range.js';

/**
 * What a panel asks the query API: its expressions with every variable substituted, on one step
 * grid. Pure, so a dashboard's queries can be checked without a browser.
 */

/** One query of a panel, ready to send. */
export interface PlannedQuery {
  readonly refId: string;
  readonly expr: string;
  readonly legendFormat: string | undefined;
}

/** The queries of a panel and the grid they are evaluated on (ms, start and end on the step). */
export interface PanelQueryPlan {
  readonly startMs: number;
  readonly endMs: number;
  readonly stepMs: number;
  readonly queries: readonly PlannedQuery[];
  /** The variables as substituted, built-ins included (for legends and titles). */
  readonly values: VarValues;
}

/**
 * The plan of `panel` over [startMs, endMs] drawn `widthPx` wide: the step is the largest of its
 * targets' fixed `step`s, or derived from the width with the targets' `interval` as the lower
 * bound (15 s by default); `$__interval`, `$__rate_interval`, `$__range` and interval variables
 * set to `auto` follow it.
 */
export function planPanel(
  panel: Panel,
  opts: { startMs: number; endMs: number; widthPx: number; values: VarValues },
): PanelQueryPlan {
  const rangeMs = Math.max(1, opts.endMs - opts.startMs);
  const targets = activeTargets(panel);
  let stepMs = 0;
  for (const t of targets) {
    const fixed = t.step === undefined ? undefined : parseDurationMs(t.step);
    const min = t.interval === undefined ? undefined : parseDurationMs(t.interval);
    stepMs = Math.max(stepMs, fixed ?? autoStepMs(rangeMs, opts.widthPx, min ?? 15_000));
  }
  if (stepMs === 0) stepMs = autoStepMs(rangeMs, opts.widthPx);
  const values = new Map<string, VarSelection>(opts.values);
  for (const [name, sel] of values)
    if (sel.values.length === 1 && sel.values[0] === AUTO)
      values.set(name, { values: [formatDurationMs(stepMs)], isAll: false });
  for (const [k, v] of builtinValues({ stepMs, rateWindowMs: rateWindowMs(stepMs), rangeMs }))
    values.set(k, v);
  return {
    startMs: Math.floor(opts.startMs / stepMs) * stepMs,
    endMs: Math.floor(opts.endMs / stepMs) * stepMs,
    stepMs,
    queries: targets.map((t, i) => ({
      refId: t.refId ?? String.fromCharCode(65 + (i % 26)),
      expr: substitute(t.expr, values),
      legendFormat:
        t.legendFormat === undefined || t.legendFormat === ''
          ? undefined
          : substitute(t.legendFormat, values),
    })),
    values,
  };
}

/** The legend of a series: the `{{label}}` template, else the series name as PromQL writes it. */
export function seriesLabel(q: PlannedQuery, metric: Metric): string {
  return legendFor(q.legendFormat, metric);
}
