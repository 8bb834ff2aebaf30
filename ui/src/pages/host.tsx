import { fetchChecks } from '../api/prom.js';
import { AsyncView } from '../components/async-view.js';
import { QueryPanel } from '../components/query-panel.js';
import { TimeRangePicker } from '../components/time-range-picker.js';
import { useI18n } from '../i18n/i18n-context.js';
import { expandQuery, legendParams, USE_PANELS } from '../lib/host-panels.js';
import { legendFor } from '../lib/series.js';
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
  const rateWindow = formatDurationMs(rateWindowMs(stepMs));
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
            <QueryPanel
              key={p.id}
              id={p.id}
              title={t(p.title)}
              unit={p.unit}
              stacked={p.stacked ?? false}
              hideWhenEmpty={p.hideWhenEmpty ?? false}
              range={r}
              onZoom={onZoom}
              queries={p.queries.map((q) => ({
                expr: expandQuery(q.expr, { host, rateWindow }),
                legend: (metric) =>
                  'template' in q.legend
                    ? legendFor(q.legend.template, metric)
                    : t(q.legend.key, legendParams(q.legend, metric)),
              }))}
            />
          ))}
        </div>
      </section>
    </>
  );
}
