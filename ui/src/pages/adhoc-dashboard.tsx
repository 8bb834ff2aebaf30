import { QueryPanel } from '../components/query-panel.js';
import { TimeRangePicker } from '../components/time-range-picker.js';
import { useI18n } from '../i18n/i18n-context.js';
import { legendFor } from '../lib/series.js';
import { absoluteRange, autoStepMs, resolveRange } from '../lib/time-range.js';
import type { Unit } from '../lib/units.js';
import { Link, useSearchParams } from '../router.js';
import { useRangeParams } from './range-params.js';

const UNITS: readonly Unit[] = ['none', 'short', 'percent', 'bytes', 'bytesPerSec', 'seconds', 'perSec'];

/**
 * An ad-hoc dashboard from the address: one graph per `q=<PromQL>` parameter, in order, with
 * `unit=` (one of the units of lib/units.ts) for all and `legend=` (a `{{label}}` template).
 * A set of graphs is shared by sharing the link; stored dashboards build on the same panel.
 */
export default function AdhocDashboardPage() {
  const { t } = useI18n();
  const q = useSearchParams();
  const exprs = q.getAll('q').filter((e) => e.trim() !== '');
  const unitParam = q.get('unit') ?? 'short';
  const unit: Unit = (UNITS as readonly string[]).includes(unitParam) ? (unitParam as Unit) : 'short';
  const legend = q.get('legend') ?? undefined;
  const { range, setRange } = useRangeParams();
  const now = Date.now();
  const resolved = resolveRange(range, now) ?? { startMs: now - 3_600_000, endMs: now };
  // Panels are about half the page wide.
  const stepMs = autoStepMs(resolved.endMs - resolved.startMs, Math.min(window.innerWidth / 2, 800));
  const r = {
    startMs: Math.floor(resolved.startMs / stepMs) * stepMs,
    endMs: Math.floor(resolved.endMs / stepMs) * stepMs,
    stepMs,
  };
  return (
    <>
      <header className="page-head">
        <h1>{t('adhoc.title')}</h1>
        <TimeRangePicker range={range} onChange={setRange} />
      </header>
      {exprs.length === 0 ? (
        <p className="empty">
          {t('adhoc.empty')} <Link to="/explore">{t('nav.explore')} →</Link>
        </p>
      ) : (
        <div className="panels">
          {exprs.map((expr, i) => (
            <QueryPanel
              key={`${i}|${expr}`}
              id={`q${i}`}
              title={expr}
              unit={unit}
              range={r}
              onZoom={(a, b) => setRange(absoluteRange(a, b))}
              queries={[{ expr, legend: (m) => legendFor(legend, m) }]}
            />
          ))}
        </div>
      )}
    </>
  );
}
