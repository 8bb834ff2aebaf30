/**
 * The dashboard model as the UI reads and writes it: the JSON of `/api/kanshi/v1/dashboards`
 * (docs/dashboards.md; the server validates it with zod in src/server/dashboards/model.ts, which
 * the UI does not import). Field names are Grafana's. Pure: no DOM, no fetch.
 */

/** Unit ids (Grafana's) the server accepts and {@link formatUnit} formats. */
export const DASHBOARD_UNITS = [
  'short',
  'none',
  'bytes',
  'decbytes',
  'bits',
  'decbits',
  'bps',
  'Bps',
  'binBps',
  'percent',
  'percentunit',
  's',
  'ms',
  'us',
  'ns',
  'm',
  'h',
  'd',
  'dtdurations',
  'hertz',
  'reqps',
  'rps',
  'ops',
  'iops',
  'wps',
  'celsius',
  'dateTimeAsIso',
] as const;

/** One of {@link DASHBOARD_UNITS}. */
export type DashboardUnit = (typeof DASHBOARD_UNITS)[number];

/** Panel types, in the order the editor offers them. */
export const PANEL_TYPES = ['timeseries', 'stat', 'gauge', 'bar', 'table', 'text'] as const;
/** One of {@link PANEL_TYPES}. */
export type PanelType = (typeof PANEL_TYPES)[number];

/** How a time-series panel draws its series. */
export const PANEL_STYLES = ['lines', 'area', 'stacked'] as const;
/** One of {@link PANEL_STYLES}. */
export type PanelStyle = (typeof PANEL_STYLES)[number];

/** Legend calculations shown beside each series. */
export const LEGEND_CALCS = ['min', 'max', 'avg', 'last'] as const;
/** One of {@link LEGEND_CALCS}. */
export type LegendCalc = (typeof LEGEND_CALCS)[number];

/** A PromQL query of a panel. Durations are Prometheus durations (`30s`). */
export interface Target {
  refId?: string;
  expr: string;
  legendFormat?: string;
  step?: string;
  interval?: string;
  hide?: boolean;
}

/** One colour step: values at or above `value` take `color`; the first step's value is null. */
export interface ThresholdStep {
  value: number | null;
  color: string;
}

/** Threshold colours; `percentage` steps are percent of the panel's min..max. */
export interface Thresholds {
  mode: 'absolute' | 'percentage';
  steps: ThresholdStep[];
}

/** Position in the 24-column grid; `h` in grid rows. */
export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The legend of a panel. */
export interface Legend {
  show: boolean;
  placement: 'bottom' | 'right';
  calcs: LegendCalc[];
}

/** A panel; fields that do not apply to its type are ignored. */
export interface Panel {
  id?: number;
  type: PanelType;
  title: string;
  description?: string;
  gridPos: GridPos;
  targets: Target[];
  style?: PanelStyle;
  unit?: DashboardUnit;
  decimals?: number;
  min?: number;
  max?: number;
  thresholds?: Thresholds;
  legend?: Legend;
  content?: string;
  mode?: 'markdown' | 'html';
}

interface VariableCommon {
  name: string;
  label?: string;
  multi?: boolean;
  includeAll?: boolean;
  current?: string | string[];
}

/** A template variable: label values, a fixed list or an interval. */
export type Variable =
  | (VariableCommon & { type: 'query'; query: string; regex?: string })
  | (VariableCommon & { type: 'custom'; options: string[] })
  | (VariableCommon & { type: 'interval'; options: string[]; auto?: boolean });

/** A whole dashboard. */
export interface Dashboard {
  uid?: string;
  title: string;
  description?: string;
  tags: string[];
  time: { from: string; to: string };
  refresh?: string;
  variables: Variable[];
  panels: Panel[];
}

/** A new, empty dashboard titled `title`. */
export function emptyDashboard(title: string): Dashboard {
  return { title, tags: [], time: { from: 'now-6h', to: 'now' }, variables: [], panels: [] };
}

/** What `label_values(…)` asks for: the values of `label`, on series matching `selector` if given. */
export interface LabelValuesQuery {
  readonly label: string;
  readonly selector?: string;
}

const LABEL_VALUES_RE = /^\s*label_values\s*\(\s*(?:(.*\S)\s*,\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/s;

/**
 * Grafana's `label_values(label)` / `label_values(selector, label)`; undefined for anything else.
 * Same grammar as the server's parseLabelValuesQuery.
 */
export function parseLabelValuesQuery(query: string): LabelValuesQuery | undefined {
  const m = LABEL_VALUES_RE.exec(query);
  if (!m) return undefined;
  const label = m[2] ?? '';
  return m[1] === undefined ? { label } : { label, selector: m[1] };
}

/** Whether `s` is a unit id the server accepts. */
export function isDashboardUnit(s: string): s is DashboardUnit {
  return (DASHBOARD_UNITS as readonly string[]).includes(s);
}

/** The panel's targets that run (not hidden, with an expression). */
export function activeTargets(panel: Panel): Target[] {
  return panel.targets.filter((t) => t.hide !== true && t.expr.trim() !== '');
}
