import { fetchChecks } from '../api/prom.js';
import { fetchSeries } from '../api/series.js';
import { AsyncView } from '../components/async-view.js';
import { QueryPanel } from '../components/query-panel.js';
import { TimeRangePicker } from '../components/time-range-picker.js';
import { useI18n } from '../i18n/i18n-context.js';
import {
  expandQuery,
  legendParams,
  perfdataGraphs,
  perfdataSelector,
  pluginGraphs,
  pluginSelectors,
  USE_PANELS,
  type SeriesGraph,
} from '../lib/host-panels.js';
import { legendFor } from '../lib/series.js';
import { Link } from '../router.js';
import { useAsync } from '../use-async.js';
import { ChecksTable } from './overview.js';
import { useGraphGrid, type GraphGrid } from './range-params.js';

function GraphPanels({ graphs, grid }: { graphs: readonly SeriesGraph[]; grid: GraphGrid }) {
  return (
    <div className="panels">
      {graphs.map((g) => (
        <QueryPanel
          key={g.id}
          id={g.id}
          title={g.title}
          unit={g.unit}
          stacked={g.stacked}
          range={grid.grid}
          onZoom={grid.onZoom}
          queries={g.queries}
        />
      ))}
    </div>
  );
}

/**
 * The host page: its checks, the USE dashboard, its metric plugins' graphs as their graph
 * definitions describe them (kanshi_plugin_graph_info), and its checks' perfdata graphs.
 */
export default function HostPage({ host }: { host: string }) {
  const { t } = useI18n();
  const grid = useGraphGrid(Math.min(window.innerWidth, 900));
  const { startMs, endMs } = grid.grid;
  const checks = useAsync((signal) => fetchChecks(host, signal), `checks|${host}`, { refreshMs: 15_000 });
  // What the host's series say: which plugin graphs and perfdata exist in the range.
  const described = useAsync(
    async (signal) => {
      const [plugin, perf] = await Promise.all([
        fetchSeries(pluginSelectors(host), grid.grid, signal),
        fetchSeries([perfdataSelector(host)], grid.grid, signal),
      ]);
      const info = plugin.filter((m) => m.__name__ === 'kanshi_plugin_graph_info');
      const data = plugin.filter((m) => m.__name__ !== 'kanshi_plugin_graph_info');
      return {
        plugins: pluginGraphs(host, info, data, (p, g) => t('host.pluginUndefined', { plugin: p, graph: g })),
        perfdata: perfdataGraphs(host, perf, (check, unit) => t('host.checkGraph', { check, unit })),
      };
    },
    `described|${host}|${startMs}|${endMs}|${t('host.pluginUndefined')}`,
  );

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
          <TimeRangePicker range={grid.range} onChange={grid.setRange} />
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
              range={grid.grid}
              onZoom={grid.onZoom}
              queries={p.queries.map((q) => ({
                expr: expandQuery(q.expr, { host, rateWindow: grid.rateWindow }),
                legend: (metric) =>
                  'template' in q.legend
                    ? legendFor(q.legend.template, metric)
                    : t(q.legend.key, legendParams(q.legend, metric)),
              }))}
            />
          ))}
        </div>
      </section>
      <section aria-labelledby="host-plugins" data-testid="plugin-graphs">
        <h2 id="host-plugins">{t('host.plugins')}</h2>
        <AsyncView state={described}>
          {(d) =>
            d.plugins.length === 0 ? (
              <p className="empty">{t('host.noPlugins')}</p>
            ) : (
              <>
                <p className="muted small">{t('host.pluginsHint')}</p>
                <GraphPanels graphs={d.plugins} grid={grid} />
              </>
            )
          }
        </AsyncView>
      </section>
      <section aria-labelledby="host-perfdata" data-testid="perfdata-graphs">
        <h2 id="host-perfdata">{t('host.checkGraphs')}</h2>
        <AsyncView state={described}>
          {(d) =>
            d.perfdata.length === 0 ? (
              <p className="empty">{t('host.noCheckGraphs')}</p>
            ) : (
              d.perfdata.map((c) => (
                <section key={c.check} aria-label={c.check} data-check-graphs={c.check}>
                  <h3>{c.check}</h3>
                  <GraphPanels graphs={c.graphs} grid={grid} />
                </section>
              ))
            )
          }
        </AsyncView>
      </section>
    </>
  );
}
