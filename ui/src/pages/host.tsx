import { fetchChecks, queryRange } from '../api/prom.js';
import { AsyncView } from '../components/async-view.js';
import { TimeChart, type ChartSeries } from '../components/time-chart.js';
import { TimeRangePicker } from '../components/time-range-picker.js';
import { useI18n } from '../i18n/i18n-context.js';
import { expandQuery, legendParams, USE_PANELS, type PanelDef } from '../lib/host-panels.js';
import { alignMatrix, legendFor } from '../lib/series.js';
import {
  absoluteRange,
  autoStepMs,
  formatDurationMs,
  rateWindowMs,
  resolveRange,
} from '../lib/time-range.js';
import { Link } from '../router.js';
import { useAsync } from '../use-async.js';
import { ChecksTable } from './overview.js';
import { useRangeParams } from './range-params.js';

/** How often a page over a range ending now reloads its graphs, ms. */
const GRAPH_REFRESH_MS = 30_000;

function Panel({
  def,
  host,
  range,
  onZoom,
}: {
  def: PanelDef;
  host: string;
  range: { startMs: number; endMs: number; stepMs: number };
  onZoom: (a: number, b: number) => void;
}) {
  const { t, lang } = useI18n();
  const rateWindow = formatDurationMs(rateWindowMs(range.stepMs));
  const state = useAsync(async (signal) => {
    const results = await Promise.all(
      def.queries.map((q) => queryRange(expandQuery(q.expr, { host, rateWindow }), range, signal)),
    );
    const all = results.flatMap((series, i) => series.map((s) => ({ s, q: def.queries[i] })));
    const data = alignMatrix(
      all.map((x) => x.s),
      range,
    );
    const series: ChartSeries[] = all.map(({ s, q }, i) => ({
      label:
        q === undefined
          ? ''
          : 'template' in q.legend
            ? legendFor(q.legend.template, s.metric)
            : t(q.legend.key, legendParams(q.legend, s.metric)),
      values: data.ys[i] ?? [],
    }));
    return { xs: data.xs, series };
  }, `${def.id}|${host}|${range.startMs}|${range.endMs}|${range.stepMs}|${lang}`);
  if (def.hideWhenEmpty && state.data?.series.length === 0) return null;
  return (
    <section className="panel" data-panel={def.id} aria-labelledby={`panel-${def.id}`}>
      <h3 id={`panel-${def.id}`}>{t(def.title)}</h3>
      <AsyncView state={state}>
        {(d) =>
          d.series.length === 0 ? (
            <p className="empty">{t('common.noData')}</p>
          ) : (
            <TimeChart
              label={t(def.title)}
              xs={d.xs}
              series={d.series}
              unit={def.unit}
              stacked={def.stacked ?? false}
              onZoom={onZoom}
            />
          )
        }
      </AsyncView>
    </section>
  );
}

/** The host page: the USE dashboard of one host and its checks. */
export default function HostPage({ host }: { host: string }) {
  const { t } = useI18n();
  const { range, setRange, isLive } = useRangeParams();
  // Re-resolve a live range on each refresh tick, so "now" moves.
  const tick = useAsync(() => Promise.resolve(Date.now()), 'tick', {
    refreshMs: isLive ? GRAPH_REFRESH_MS : undefined,
  });
  const now = tick.data ?? Date.now();
  const resolved = resolveRange(range, now) ?? { startMs: now - 3_600_000, endMs: now };
  const width = Math.min(window.innerWidth, 900);
  const stepMs = autoStepMs(resolved.endMs - resolved.startMs, width);
  // Align the range on the step, so refreshes reuse the same grid and query results cache well.
  const startMs = Math.floor(resolved.startMs / stepMs) * stepMs;
  const endMs = Math.floor(resolved.endMs / stepMs) * stepMs;
  const r = { startMs, endMs, stepMs };
  const checks = useAsync((signal) => fetchChecks(host, signal), `checks|${host}`, { refreshMs: 15_000 });
  const onZoom = (a: number, b: number) => setRange(absoluteRange(a, b));

  return (
    <>
      <header className="page-head">
        <p className="crumb">
          <Link to="/hosts">← {t('host.back')}</Link>
        </p>
        <h1>{t('host.title', { host })}</h1>
      </header>
      <section aria-labelledby="host-checks">
        <h2 id="host-checks">{t('host.checks')}</h2>
        <AsyncView state={checks}>
          {(data) =>
            data.length === 0 ? (
              <p className="empty">{t('host.noChecks')}</p>
            ) : (
              <ChecksTable checks={data} showHost={false} />
            )
          }
        </AsyncView>
      </section>
      <section aria-labelledby="host-metrics">
        <div className="section-head">
          <h2 id="host-metrics">{t('host.metrics')}</h2>
          <TimeRangePicker range={range} onChange={setRange} />
        </div>
        <p className="muted small">{t('range.zoomHint')}</p>
        <div className="panels">
          {USE_PANELS.map((p) => (
            <Panel key={p.id} def={p} host={host} range={r} onZoom={onZoom} />
          ))}
        </div>
      </section>
    </>
  );
}
