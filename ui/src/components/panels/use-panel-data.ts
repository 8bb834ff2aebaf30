import { queryInstant, queryRange, type Metric } from '../../api/prom.js';
import type { Panel } from '../../lib/dashboard-model.js';
import { planPanel, seriesLabel, type PanelQueryPlan } from '../../lib/dashboard-query.js';
import type { VarValues } from '../../lib/dashboard-vars.js';
import { alignMatrix, parseSampleValue } from '../../lib/series.js';
import { useAsync, type AsyncState } from '../../use-async.js';

/** What every panel is drawn against: the page's range, variables and refresh. */
export interface PanelContext {
  /** ms since the epoch. */
  readonly startMs: number;
  readonly endMs: number;
  readonly values: VarValues;
  /** Changes on every refresh, reloading the panel's data. */
  readonly refreshKey: number;
  /** Width of the dashboard's grid in px (the panel's share of it sets the step). */
  readonly gridWidthPx: number;
  /** A drag across a graph (ms); without it, dragging does nothing. */
  readonly onZoom?: (startMs: number, endMs: number) => void;
}

/** One series of a panel's range data. */
export interface PanelSeries {
  readonly label: string;
  readonly refId: string;
  readonly metric: Metric;
  /** At the data's `xs`; null is a gap. */
  readonly values: (number | null)[];
}

/** A panel's range data on one grid. */
export interface RangeData {
  /** Unix seconds. */
  readonly xs: number[];
  readonly series: PanelSeries[];
}

/** One row of a table panel: an instant sample. */
export interface InstantRow {
  readonly refId: string;
  readonly metric: Metric;
  readonly value: number | null;
}

function plan(panel: Panel, ctx: PanelContext): PanelQueryPlan {
  return planPanel(panel, {
    startMs: ctx.startMs,
    endMs: ctx.endMs,
    widthPx: Math.max(200, (ctx.gridWidthPx * panel.gridPos.w) / 24),
    values: ctx.values,
  });
}

/** The range data of `panel` (its queries on one step grid), reloaded when they change. */
export function useRangeData(panel: Panel, ctx: PanelContext): AsyncState<RangeData> {
  const p = plan(panel, ctx);
  const key = JSON.stringify([p.queries, p.startMs, p.endMs, p.stepMs, ctx.refreshKey]);
  return useAsync(async (signal) => {
    const r = { startMs: p.startMs, endMs: p.endMs, stepMs: p.stepMs };
    const results = await Promise.all(p.queries.map((q) => queryRange(q.expr, r, signal)));
    const all = results.flatMap((series, i) => series.map((s) => ({ s, q: p.queries[i] })));
    const data = alignMatrix(
      all.map((x) => x.s),
      r,
    );
    return {
      xs: data.xs,
      series: all.map(({ s, q }, i) => ({
        label: q ? seriesLabel(q, s.metric) : '',
        refId: q?.refId ?? '',
        metric: s.metric,
        values: data.ys[i] ?? [],
      })),
    };
  }, key);
}

/** The instant values of `panel`'s queries at the end of the range (table panels). */
export function useInstantData(panel: Panel, ctx: PanelContext): AsyncState<InstantRow[]> {
  const p = plan(panel, ctx);
  const key = JSON.stringify([p.queries, ctx.endMs, ctx.refreshKey]);
  return useAsync(async (signal) => {
    const results = await Promise.all(p.queries.map((q) => queryInstant(q.expr, ctx.endMs, signal)));
    return results.flatMap((r, i): InstantRow[] => {
      const refId = p.queries[i]?.refId ?? '';
      if (r.resultType === 'vector')
        return r.result.map((s) => ({ refId, metric: s.metric, value: parseSampleValue(s.value[1]) }));
      if (r.resultType === 'scalar') return [{ refId, metric: {}, value: parseSampleValue(r.result[1]) }];
      if (r.resultType === 'matrix')
        return r.result.map((s) => {
          const last = s.values[s.values.length - 1];
          return { refId, metric: s.metric, value: last ? parseSampleValue(last[1]) : null };
        });
      return [];
    });
  }, key);
}
