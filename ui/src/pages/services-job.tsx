import { AsyncView } from '../components/async-view.js';
import { QueryPanel } from '../components/query-panel.js';
import { TimeRangePicker } from '../components/time-range-picker.js';
import type { MessageKey } from '../i18n/en.js';
import { useI18n } from '../i18n/i18n-context.js';
import { legendFor } from '../lib/series.js';
import { exploreHref, goldenSignalPanels, type SignalPanel } from '../lib/services.js';
import { Link } from '../router.js';
import { useAsync } from '../use-async.js';
import { useGraphGrid, type GraphGrid } from './range-params.js';
import { loadServices, sourcesOf } from './services.js';

const SIGNALS: readonly { signal: SignalPanel['signal']; title: MessageKey; hint: MessageKey }[] = [
  { signal: 'latency', title: 'services.signal.latency', hint: 'services.noLatency' },
  { signal: 'traffic', title: 'services.signal.traffic', hint: 'services.noTraffic' },
  { signal: 'errors', title: 'services.signal.errors', hint: 'services.noErrors' },
  { signal: 'saturation', title: 'services.signal.saturation', hint: 'services.noData' },
];

/** A golden-signal graph with its queries as "open in Explore" links under it. */
function SignalGraph({ panel, grid }: { panel: SignalPanel; grid: GraphGrid }) {
  const { t } = useI18n();
  const title = t(`services.panel.${panel.id}` as MessageKey);
  return (
    <div className="service-panel">
      <QueryPanel
        id={panel.id}
        title={title}
        unit={panel.unit}
        range={grid.grid}
        onZoom={grid.onZoom}
        queries={panel.queries.map((q) => ({ expr: q.expr, legend: (m) => legendFor(q.legend, m) }))}
      />
      <ul className="plain small explore-links">
        {panel.queries.map((q) => (
          <li key={q.expr}>
            <a href={exploreHref(q.expr, grid.range)} title={q.expr} data-expr={q.expr}>
              {t('services.openExplore')}
              {panel.queries.length > 1 && ` (${q.legend})`}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * One service's Four Golden Signals: latency (p50/p90/p99), traffic by status, error ratio, and
 * saturation of its processes and of the hosts they run on. Each graph links its queries to
 * Explore; a signal the job has no metric for says why.
 */
export default function ServicePage({ job }: { job: string }) {
  const { t } = useI18n();
  const grid = useGraphGrid(Math.min(window.innerWidth / 2, 600));
  const state = useAsync(
    async (signal) => (await loadServices(grid.grid, signal)).find((s) => s.job === job),
    `service|${job}|${grid.grid.startMs}|${grid.grid.endMs}`,
  );
  const back = `/services?${new URLSearchParams({ ...grid.range }).toString()}`;
  return (
    <>
      <header className="page-head">
        <p className="crumb">
          <Link to={back}>← {t('services.back')}</Link>
        </p>
        <h1>{t('services.jobTitle', { job })}</h1>
        <TimeRangePicker range={grid.range} onChange={grid.setRange} />
      </header>
      <AsyncView state={state}>
        {(service) =>
          service === undefined ? (
            <p className="empty">{t('services.notFound', { job })}</p>
          ) : (
            <>
              <p className="muted small labels">{t('services.sources', { metrics: sourcesOf(service) })}</p>
              {SIGNALS.map(({ signal, title, hint }) => {
                const panels = goldenSignalPanels(service, grid.rateWindow).filter(
                  (p) => p.signal === signal,
                );
                const drawn = panels.filter((p) => p.queries.length > 0);
                return (
                  <section key={signal} aria-labelledby={`sig-${signal}`} data-signal={signal}>
                    <h2 id={`sig-${signal}`}>{t(title)}</h2>
                    {drawn.length === 0 ? (
                      <p className="empty">{t(hint)}</p>
                    ) : (
                      <div className="panels">
                        {drawn.map((p) => (
                          <SignalGraph key={p.id} panel={p} grid={grid} />
                        ))}
                      </div>
                    )}
                  </section>
                );
              })}
            </>
          )
        }
      </AsyncView>
    </>
  );
}
