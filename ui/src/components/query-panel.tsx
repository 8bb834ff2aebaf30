import type { Metric } from '../api/prom.js';
import { queryRange } from '../api/prom.js';
import { useI18n } from '../i18n/i18n-context.js';
import { alignMatrix } from '../lib/series.js';
import type { Unit } from '../lib/units.js';
import { useAsync } from '../use-async.js';
import { AsyncView } from './async-view.js';
import { TimeChart, type ChartSeries } from './time-chart.js';

/** One query of a {@link QueryPanel}: PromQL and the legend of each series it returns. */
export interface PanelQuerySpec {
  readonly expr: string;
  readonly legend: (metric: Metric) => string;
}

/** Props of {@link QueryPanel}. */
export interface QueryPanelProps {
  /** Stable id: the `data-panel` attribute and the heading's id. */
  readonly id: string;
  readonly title: string;
  readonly queries: readonly PanelQuerySpec[];
  readonly unit: Unit;
  readonly stacked?: boolean;
  /** Hidden when every query returns nothing. */
  readonly hideWhenEmpty?: boolean;
  /** ms; the grid the queries are evaluated on. */
  readonly range: { readonly startMs: number; readonly endMs: number; readonly stepMs: number };
  readonly onZoom: (startMs: number, endMs: number) => void;
}

/**
 * A titled graph of one or more range queries, reloaded when its queries or range change. The
 * building block of the host page and of dashboards.
 */
export function QueryPanel(props: QueryPanelProps) {
  const { t, lang } = useI18n();
  const { range, queries } = props;
  const state = useAsync(
    async (signal) => {
      const results = await Promise.all(queries.map((q) => queryRange(q.expr, range, signal)));
      const all = results.flatMap((series, i) => series.map((s) => ({ s, q: queries[i] })));
      const data = alignMatrix(
        all.map((x) => x.s),
        range,
      );
      const series: ChartSeries[] = all.map(({ s, q }, i) => ({
        label: q?.legend(s.metric) ?? '',
        values: data.ys[i] ?? [],
      }));
      return { xs: data.xs, series };
    },
    `${queries.map((q) => q.expr).join('\u0000')}|${range.startMs}|${range.endMs}|${range.stepMs}|${lang}`,
  );
  if (props.hideWhenEmpty && state.data?.series.length === 0) return null;
  return (
    <section className="panel" data-panel={props.id} aria-labelledby={`panel-${props.id}`}>
      <h3 id={`panel-${props.id}`}>{props.title}</h3>
      <AsyncView state={state}>
        {(d) =>
          d.series.length === 0 ? (
            <p className="empty">{t('common.noData')}</p>
          ) : (
            <TimeChart
              label={props.title}
              xs={d.xs}
              series={d.series}
              unit={props.unit}
              stacked={props.stacked ?? false}
              onZoom={props.onZoom}
            />
          )
        }
      </AsyncView>
    </section>
  );
}
