import { useI18n } from '../../i18n/i18n-context.js';
import { defaultMax, formatUnit, fraction, lastValue, thresholdColor } from '../../lib/dashboard-format.js';
import type { Panel } from '../../lib/dashboard-model.js';
import { AsyncView } from '../async-view.js';
import { useRangeData, type PanelContext, type PanelSeries } from './use-panel-data.js';

/**
 * Panels that show one value per series, the last of the range: stat (big number with a
 * sparkline), gauge (an SVG arc) and bar (a bar gauge per series). Colours come from the panel's
 * thresholds (the base colour when it has none).
 */

interface Item {
  readonly label: string;
  readonly value: number | undefined;
  readonly text: string;
  readonly color: string;
  readonly series: PanelSeries;
}

function items(panel: Panel, series: readonly PanelSeries[]): { list: Item[]; max: number } {
  const values = series.map((s) => lastValue(s.values));
  const max =
    panel.max ??
    defaultMax(
      panel.unit,
      values.filter((v): v is number => v !== undefined),
    );
  const list = series.map((s, i) => {
    const value = values[i];
    return {
      label: s.label,
      value,
      text: value === undefined ? '—' : formatUnit(value, panel.unit, panel.decimals),
      color:
        (value === undefined
          ? undefined
          : thresholdColor(value, panel.thresholds, { min: panel.min ?? 0, max })) ?? 'var(--accent)',
      series: s,
    };
  });
  return { list, max };
}

/** A sparkline of `values` as an SVG path in a 100 × 30 box. */
function sparkPath(values: readonly (number | null)[]): string {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (finite.length < 2) return '';
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const span = hi - lo || 1;
  const n = Math.max(values.length - 1, 1);
  let d = '';
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) return;
    const x = (i / n) * 100;
    const y = 30 - ((v - lo) / span) * 28 - 1;
    d += `${d === '' ? 'M' : 'L'}${x.toFixed(2)},${y.toFixed(2)}`;
  });
  return d;
}

function Stat({ item, showLabel }: { item: Item; showLabel: boolean }) {
  const path = sparkPath(item.series.values);
  return (
    <div className="stat" data-series={item.label} data-value={item.value ?? ''}>
      {showLabel && <div className="stat-label">{item.label}</div>}
      <div className="stat-value" style={{ color: item.color }}>
        {item.text}
      </div>
      {path !== '' && (
        <svg className="sparkline" viewBox="0 0 100 30" preserveAspectRatio="none" aria-hidden="true">
          <path d={`${path}L100,30L0,30Z`} fill={item.color} fillOpacity="0.15" stroke="none" />
          <path
            d={path}
            fill="none"
            stroke={item.color}
            strokeWidth="1.5"
            vectorEffect="non-scaling-stroke"
          />
        </svg>
      )}
    </div>
  );
}

const START = (150 * Math.PI) / 180;
const SWEEP = (240 * Math.PI) / 180;

function arc(from: number, to: number): string {
  const r = 40;
  const p = (a: number) => `${(50 + r * Math.cos(a)).toFixed(2)},${(50 + r * Math.sin(a)).toFixed(2)}`;
  const a0 = START + SWEEP * from;
  const a1 = START + SWEEP * to;
  return `M${p(a0)}A${r},${r} 0 ${a1 - a0 > Math.PI ? 1 : 0} 1 ${p(a1)}`;
}

function Gauge({ item, f, showLabel }: { item: Item; f: number; showLabel: boolean }) {
  return (
    <figure className="gauge" data-series={item.label} data-value={item.value ?? ''}>
      <svg viewBox="0 0 100 88" role="img" aria-label={`${item.label} ${item.text}`}>
        <path d={arc(0, 1)} className="gauge-track" fill="none" strokeWidth="10" strokeLinecap="round" />
        {f > 0 && (
          <path d={arc(0, f)} fill="none" stroke={item.color} strokeWidth="10" strokeLinecap="round" />
        )}
        <text x="50" y="56" textAnchor="middle" className="gauge-text" fill={item.color}>
          {item.text}
        </text>
      </svg>
      {showLabel && <figcaption>{item.label}</figcaption>}
    </figure>
  );
}

function Bar({ item, f }: { item: Item; f: number }) {
  return (
    <div className="bar-row" data-series={item.label} data-value={item.value ?? ''}>
      <span className="bar-label">{item.label}</span>
      <span className="bar-track">
        <span className="bar-fill" style={{ width: `${(f * 100).toFixed(1)}%`, background: item.color }} />
      </span>
      <span className="bar-value num">{item.text}</span>
    </div>
  );
}

/** A stat, gauge or bar panel (`panel.type` says which). */
export function ValuePanel({ panel, ctx }: { panel: Panel; ctx: PanelContext }) {
  const { t } = useI18n();
  const state = useRangeData(panel, ctx);
  return (
    <AsyncView state={state}>
      {(d) => {
        if (d.series.length === 0) return <p className="empty">{t('common.noData')}</p>;
        const { list, max } = items(panel, d.series);
        const many = list.length > 1;
        const frac = (v: number | undefined) => (v === undefined ? 0 : fraction(v, panel.min, max, max));
        if (panel.type === 'gauge')
          return (
            <div className="gauges">
              {list.map((it, i) => (
                <Gauge key={i} item={it} f={frac(it.value)} showLabel={many} />
              ))}
            </div>
          );
        if (panel.type === 'bar')
          return (
            <div className="bars">
              {list.map((it, i) => (
                <Bar key={i} item={it} f={frac(it.value)} />
              ))}
            </div>
          );
        return (
          <div className="stats">
            {list.map((it, i) => (
              <Stat key={i} item={it} showLabel={many} />
            ))}
          </div>
        );
      }}
    </AsyncView>
  );
}
