import { queryInstant, queryRange, type Metric } from '../api/prom.js';
import { fetchSeries } from '../api/series.js';
import { AsyncView } from '../components/async-view.js';
import { TimeRangePicker } from '../components/time-range-picker.js';
import type { MessageKey } from '../i18n/en.js';
import { useI18n } from '../i18n/i18n-context.js';
import { alignMatrix, parseSampleValue } from '../lib/series.js';
import {
  batchRedQueries,
  discoverServices,
  DISCOVERY_SELECTORS,
  exploreHref,
  RED_SIGNALS,
  redQuery,
  servicePath,
  type RedSignal,
  type Service,
} from '../lib/services.js';
import { formatValue, type Unit } from '../lib/units.js';
import { Link } from '../router.js';
import { useAsync } from '../use-async.js';
import { useGraphGrid } from './range-params.js';

const SIGNAL_UNIT: Readonly<Record<RedSignal, Unit>> = {
  rate: 'perSec',
  errors: 'percent',
  p50: 'seconds',
  p90: 'seconds',
  p99: 'seconds',
};

const SIGNAL_TITLE: Readonly<Record<RedSignal, MessageKey>> = {
  rate: 'services.rate',
  errors: 'services.errors',
  p50: 'services.p50',
  p90: 'services.p90',
  p99: 'services.p99',
};

/** One RED number of one job: the value at the range's end and the series over the range. */
interface Cell {
  readonly value: number | null;
  readonly points: readonly (number | null)[];
}

/** A tiny line of `points` (nulls are gaps), scaled to its own min and max; decorative. */
export function Sparkline({ points }: { points: readonly (number | null)[] }) {
  const w = 96;
  const h = 22;
  let min = Infinity;
  let max = -Infinity;
  for (const v of points) {
    if (v === null || !Number.isFinite(v)) continue;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  if (min === Infinity) return null;
  const span = max - min || 1;
  const dx = points.length > 1 ? w / (points.length - 1) : 0;
  let d = '';
  let isPenDown = false;
  points.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      isPenDown = false;
      return;
    }
    const x = (i * dx).toFixed(1);
    const y = (h - 1 - ((v - min) / span) * (h - 2)).toFixed(1);
    d += `${isPenDown ? 'L' : 'M'}${x} ${y}`;
    isPenDown = true;
  });
  return (
    <svg className="sparkline" width={w} height={h} viewBox={`0 0 ${w} ${h}`} aria-hidden="true">
      <path d={d} fill="none" stroke="currentColor" strokeWidth="1.25" />
    </svg>
  );
}

/** What the metrics of a service are, in words: the sources of its numbers. */
export function sourcesOf(s: Service): string {
  return [s.counter?.name, s.histogram && `${s.histogram.name}_bucket`].filter(Boolean).join(' · ');
}

/** The label sets the discovery reads, over the grid's range. */
export async function loadServices(
  grid: { startMs: number; endMs: number },
  signal: AbortSignal,
): Promise<Service[]> {
  const series: readonly Metric[] = await fetchSeries(DISCOVERY_SELECTORS, grid, signal);
  return discoverServices(series);
}

function RedTable({
  services,
  cells,
  window,
  atMs,
  range,
}: {
  services: readonly Service[];
  cells: ReadonlyMap<string, Cell>;
  window: string;
  atMs: number;
  range: { from: string; to: string };
}) {
  const { t, formatDateTime } = useI18n();
  return (
    <div className="table-wrap">
      <table className="services" data-time={atMs} data-window={window}>
        <caption className="muted small">{t('services.at', { time: formatDateTime(atMs), window })}</caption>
        <thead>
          <tr>
            <th scope="col">{t('services.job')}</th>
            {RED_SIGNALS.map((s) => (
              <th key={s} scope="col" className="num">
                {t(SIGNAL_TITLE[s])}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {services.map((s) => (
            <tr key={s.job} data-job={s.job}>
              <th scope="row">
                <Link to={`${servicePath(s.job)}?${new URLSearchParams(range).toString()}`}>{s.job}</Link>
                <div className="muted small labels">{sourcesOf(s)}</div>
              </th>
              {RED_SIGNALS.map((signal) => {
                const expr = redQuery(s, signal, window);
                if (expr === undefined) {
                  const why = signal === 'errors' ? 'services.noStatus' : 'services.noHistogram';
                  return (
                    <td key={signal} className="num muted" data-signal={signal} title={t(why)}>
                      –
                    </td>
                  );
                }
                const cell = cells.get(`${s.job}\u0000${signal}`);
                const value = cell?.value ?? null;
                return (
                  <td
                    key={signal}
                    className="num"
                    data-signal={signal}
                    data-expr={expr}
                    data-value={value === null ? '' : String(value)}
                  >
                    <a href={exploreHref(expr, range)} title={`${t('services.openExplore')}: ${expr}`}>
                      {value === null ? t('services.noData') : formatValue(value, SIGNAL_UNIT[signal])}
                    </a>
                    <Sparkline points={cell?.points ?? []} />
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * The Services page: every job that serves HTTP with its RED numbers at the end of the range
 * (rate, 5xx ratio, p50/p90/p99) and sparklines over the range; a job links to its Four Golden
 * Signals. The numbers come from one query per signal and shared metric (lib/services.ts).
 */
export default function ServicesPage() {
  const { t } = useI18n();
  const { range, setRange, grid, rateWindow } = useGraphGrid(200);
  const state = useAsync(async (signal) => {
    const services = await loadServices(grid, signal);
    const batches = batchRedQueries(services, rateWindow);
    const cells = new Map<string, { value: number | null; points: (number | null)[] }>();
    await Promise.all(
      batches.map(async (b) => {
        const [now, over] = await Promise.all([
          queryInstant(b.expr, grid.endMs, signal),
          queryRange(b.expr, grid, signal),
        ]);
        const aligned = alignMatrix(over, grid);
        for (const job of b.jobs) {
          const i = over.findIndex((m) => m.metric.job === job);
          const sample =
            now.resultType === 'vector' ? now.result.find((v) => v.metric.job === job) : undefined;
          cells.set(`${job}\u0000${b.signal}`, {
            value: sample === undefined ? null : parseSampleValue(sample.value[1]),
            points: i < 0 ? [] : (aligned.ys[i] ?? []),
          });
        }
      }),
    );
    return { services, cells };
  }, `services|${grid.startMs}|${grid.endMs}|${grid.stepMs}|${rateWindow}`);

  return (
    <>
      <header className="page-head">
        <h1>{t('services.title')}</h1>
        <TimeRangePicker range={range} onChange={setRange} />
      </header>
      <p className="muted small">{t('services.intro')}</p>
      <AsyncView state={state}>
        {(d) =>
          d.services.length === 0 ? (
            <div className="empty" data-testid="no-services">
              <p>{t('services.none')}</p>
              <p className="small">{t('services.noneHint')}</p>
            </div>
          ) : (
            <RedTable
              services={d.services}
              cells={d.cells}
              window={rateWindow}
              atMs={grid.endMs}
              range={range}
            />
          )
        }
      </AsyncView>
    </>
  );
}
