import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatValue, type Unit } from '../lib/units.js';
import { stack } from '../lib/series.js';
import { cssVar, useTheme } from '../theme.js';

/** One line of a chart. */
export interface ChartSeries {
  readonly label: string;
  /** Values at the chart's `xs`; null is a gap. */
  readonly values: readonly (number | null)[];
}

/** Props of {@link TimeChart}. */
export interface TimeChartProps {
  /** Accessible name of the chart. */
  readonly label: string;
  /** Unix seconds, ascending. */
  readonly xs: readonly number[];
  readonly series: readonly ChartSeries[];
  readonly unit: Unit;
  /** Draw series as areas stacked in order. */
  readonly stacked?: boolean;
  /** Fill the area under each line (without stacking). */
  readonly fill?: boolean;
  /** uPlot's own legend under the chart; default shown (dashboards draw their own). */
  readonly showLegend?: boolean;
  /** Formats axis and legend values instead of `unit` (dashboards' Grafana units). */
  readonly format?: (v: number) => string;
  readonly height?: number;
  /** Called with the dragged range in ms; without it, dragging does nothing. */
  readonly onZoom?: (startMs: number, endMs: number) => void;
}

function lastValue(values: readonly (number | null)[] | undefined): number | null {
  if (!values) return null;
  for (let i = values.length - 1; i >= 0; i--)
    if (values[i] !== null && values[i] !== undefined) return values[i] ?? null;
  return null;
}

/** Series colours, readable on both themes, in the order Grafana's classic palette goes. */
export const PALETTE = [
  '#3b82f6',
  '#22c55e',
  '#f59e0b',
  '#ef4444',
  '#a855f7',
  '#06b6d4',
  '#ec4899',
  '#84cc16',
  '#f97316',
  '#14b8a6',
  '#6366f1',
  '#eab308',
];

let colorCache: { theme: string; fg: string; grid: string } | null = null;

/**
 * The axis and grid colours of the current theme. Reading a CSS variable makes the browser bring
 * styles up to date, so the charts drawn in one go share one read (the cache lives until the
 * current task ends).
 */
function axisColors(theme: string): { fg: string; grid: string } {
  if (colorCache === null || colorCache.theme !== theme) {
    colorCache = { theme, fg: cssVar('--muted') || '#666', grid: cssVar('--grid') || '#8883' };
    setTimeout(() => {
      colorCache = null;
    }, 0);
  }
  return colorCache;
}

/**
 * A time-series chart drawn by uPlot: series legend with live values in `unit`, drag across to
 * zoom (through `onZoom`), sized to its container, redrawn when the theme changes. After each
 * draw, `data-points` on the container holds the number of points drawn (for tests and the
 * benchmark).
 */
export function TimeChart(props: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const zoom = useRef(props.onZoom);
  zoom.current = props.onZoom;
  const { resolved } = useTheme();
  const height = props.height ?? 220;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const { fg, grid } = axisColors(resolved);
    const original = props.series.map((s) => s.values);
    const drawn = props.stacked ? stack(original) : original.map((v) => [...v]);
    const custom = props.format;
    const fmt = custom ?? ((v: number) => formatValue(v, props.unit));
    let points = 0;
    for (const s of original) for (const v of s) if (v !== null) points++;
    const opts: uPlot.Options = {
      width: 200, // replaced by the measured width when the chart is built
      height,
      cursor: { drag: { x: true, y: false, setScale: false } },
      select: { show: true, left: 0, top: 0, width: 0, height: 0 },
      legend: { live: true, show: props.showLegend ?? true },
      scales: {
        x: { time: true },
        y: props.unit === 'percent' ? { range: (_u, _min, max) => [0, Math.max(1, max)] } : { auto: true },
      },
      axes: [
        { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } },
        {
          stroke: fg,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          // Wide enough for the longest tick label, so "7.45 GiB" is never cut.
          size: (_u, values) => Math.max(40, ...(values ?? []).map((v) => v.length * 7.2 + 18)),
          values: (_u, splits) => splits.map(fmt),
        },
      ],
      series: [
        {},
        ...props.series.map((s, i): uPlot.Series => {
          const color = PALETTE[i % PALETTE.length] ?? '#888';
          return {
            label: s.label,
            stroke: color,
            width: 1.5,
            ...((props.stacked || props.fill) && { fill: `${color}${props.stacked ? '66' : '33'}` }),
            points: { show: false },
            // Off the chart the legend shows the last value, as Grafana's "last" does.
            value: (_u, _v, si, idx) => {
              const raw = idx === null ? lastValue(original[si - 1]) : original[si - 1]?.[idx];
              return raw === null || raw === undefined ? '—' : fmt(raw);
            },
          };
        }),
      ],
      ...(props.stacked && {
        bands: props.series.slice(1).map((_s, i) => ({ series: [i + 2, i + 1] as [number, number] })),
      }),
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width > 4 && zoom.current) {
              const a = u.posToVal(u.select.left, 'x');
              const b = u.posToVal(u.select.left + u.select.width, 'x');
              zoom.current(a * 1000, b * 1000);
            }
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          },
        ],
        draw: [() => el.setAttribute('data-points', String(points))],
      },
    };
    const data = [Array.from(props.xs), ...drawn] as uPlot.AlignedData;
    el.removeAttribute('data-points');
    // Built at the first size notification, not here: reading the width now would force a layout
    // of the page for every chart (each one just changed it), while the browser measures all the
    // dashboard's charts in one layout before it notifies them.
    let chart: uPlot | null = null;
    const ro = new ResizeObserver((entries) => {
      const rect = entries[entries.length - 1]?.contentRect;
      const w = Math.max(Math.round(rect?.width ?? 0), 200);
      if (chart === null) chart = new uPlot({ ...opts, width: w }, data, el);
      else if (w !== chart.width) chart.setSize({ width: w, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      chart?.destroy();
    };
  }, [
    props.xs,
    props.series,
    props.unit,
    props.stacked,
    props.fill,
    props.showLegend,
    props.format,
    height,
    resolved,
  ]);

  return (
    <div
      className="chart"
      ref={box}
      role="figure"
      aria-label={props.label}
      data-series={props.series.length}
    />
  );
}
