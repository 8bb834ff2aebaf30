import { z } from 'zod';
import { parseDuration } from '../../base/duration.js';

/**
 * The dashboard model (docs/dashboards.md): what a file in a dashboards folder holds, what the API
 * returns on export and accepts on create, update and import. Field names follow Grafana's
 * (`gridPos`, `legendFormat`, `targets`) so a Grafana user reads a file without a manual.
 */

/** Units the UI knows how to format; the ids are Grafana's. */
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

/** Panel types; `timeseries` draws lines, areas or stacked areas as its `style` says. */
export const PANEL_TYPES = ['timeseries', 'stat', 'gauge', 'bar', 'table', 'text'] as const;

/** Legend calculations shown beside each series. */
export const LEGEND_CALCS = ['min', 'max', 'avg', 'last'] as const;

/** A dashboard uid: 1–40 letters, digits, `-` or `_` (Grafana's limit), also used as file name. */
export const UID_RE = /^[A-Za-z0-9_-]{1,40}$/;

const duration = z.string().refine(
  (s) => {
    try {
      return parseDuration(s) > 0;
    } catch {
      return false;
    }
  },
  { message: 'must be a duration like 30s or 5m' },
);

const uid = z.string().regex(UID_RE, 'must be 1-40 letters, digits, "-" or "_"');

/** A PromQL query of a panel. */
export const targetSchema = z.strictObject({
  /** Grafana's refId (A, B, …); defaults by position when absent. */
  refId: z.string().min(1).optional(),
  expr: z.string().min(1),
  /** `{{label}}` template of the series name. */
  legendFormat: z.string().optional(),
  /** Query resolution step; the UI derives one from the width when absent. */
  step: duration.optional(),
  /** Lower bound of the derived step (Grafana's "min interval"). */
  interval: duration.optional(),
  hide: z.boolean().optional(),
});

/** Colour steps: a value at or above `value` takes `color`; the first step's value is null (base). */
export const thresholdsSchema = z.strictObject({
  mode: z.enum(['absolute', 'percentage']).default('absolute'),
  steps: z.array(z.strictObject({ value: z.number().nullable(), color: z.string().min(1) })).min(1),
});

const gridPosSchema = z.strictObject({
  x: z.number().int().min(0).max(23),
  y: z.number().int().min(0),
  w: z.number().int().min(1).max(24),
  h: z.number().int().min(1),
});

/** A panel. Fields that make no sense for its type (a legend on a text panel) are ignored. */
export const panelSchema = z.strictObject({
  id: z.number().int().optional(),
  type: z.enum(PANEL_TYPES),
  title: z.string().default(''),
  description: z.string().optional(),
  gridPos: gridPosSchema,
  targets: z.array(targetSchema).default([]),
  /** Time series only: how series are drawn. */
  style: z.enum(['lines', 'area', 'stacked']).optional(),
  unit: z.enum(DASHBOARD_UNITS).optional(),
  decimals: z.number().int().min(0).max(20).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  thresholds: thresholdsSchema.optional(),
  legend: z
    .strictObject({
      show: z.boolean().default(true),
      placement: z.enum(['bottom', 'right']).default('bottom'),
      calcs: z.array(z.enum(LEGEND_CALCS)).default([]),
    })
    .optional(),
  /** Text panels: the content and how to render it. */
  content: z.string().optional(),
  mode: z.enum(['markdown', 'html']).optional(),
});

const variableCommon = {
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name like instance'),
  label: z.string().optional(),
  multi: z.boolean().optional(),
  includeAll: z.boolean().optional(),
  /** The selected value(s) when the dashboard opens. */
  current: z.union([z.string(), z.array(z.string())]).optional(),
};

/** Template variables: label values from the store, a fixed list, or an interval. */
export const variableSchema = z.discriminatedUnion('type', [
  z.strictObject({
    ...variableCommon,
    type: z.literal('query'),
    /** `label_values(label)` or `label_values(metric_or_selector, label)`, as Grafana writes them. */
    query: z.string().refine((q) => parseLabelValuesQuery(q) !== undefined, {
      message: 'must be label_values(label) or label_values(selector, label)',
    }),
    /** Keep only values matching this regex (Grafana's `regex`, with or without slashes). */
    regex: z.string().optional(),
  }),
  z.strictObject({ ...variableCommon, type: z.literal('custom'), options: z.array(z.string()).min(1) }),
  z.strictObject({
    ...variableCommon,
    type: z.literal('interval'),
    options: z.array(duration).min(1),
    /** Offer `auto` (a step from the time range) as well. */
    auto: z.boolean().optional(),
  }),
]);

/** A whole dashboard as stored in a file (the uid may come from the file name instead). */
export const dashboardSchema = z.strictObject({
  uid: uid.optional(),
  title: z.string().min(1),
  description: z.string().optional(),
  tags: z.array(z.string()).default([]),
  /** Default time range, Grafana syntax (`now-6h` … `now`, or RFC 3339 times). */
  time: z
    .strictObject({ from: z.string().min(1), to: z.string().min(1) })
    .default({ from: 'now-6h', to: 'now' }),
  /** Auto-refresh interval; absent means off. */
  refresh: duration.optional(),
  variables: z.array(variableSchema).default([]),
  panels: z.array(panelSchema).default([]),
});

/** A dashboard after validation (defaults filled in). */
export type Dashboard = z.output<typeof dashboardSchema>;
/** A panel after validation. */
export type Panel = z.output<typeof panelSchema>;
/** A panel's query after validation. */
export type Target = z.output<typeof targetSchema>;
/** A template variable after validation. */
export type Variable = z.output<typeof variableSchema>;

/** What `label_values(…)` asks for: the values of `label`, on series matching `selector` if given. */
export interface LabelValuesQuery {
  readonly label: string;
  /** A metric name or series selector (`up{job="node"}`); absent for all series. */
  readonly selector?: string;
}

const LABEL_VALUES_RE = /^\s*label_values\s*\(\s*(?:(.*\S)\s*,\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/s;

/**
 * Parses Grafana's Prometheus `label_values(label)` / `label_values(selector, label)` variable query;
 * undefined for anything else (`query_result(…)`, `metrics(…)`, a bare PromQL expression).
 */
export function parseLabelValuesQuery(query: string): LabelValuesQuery | undefined {
  const m = LABEL_VALUES_RE.exec(query);
  if (!m) return undefined;
  const label = m[2] ?? '';
  return m[1] === undefined ? { label } : { label, selector: m[1] };
}

/** One problem of a dashboard, with the path of the offending field (`panels[2].unit`). */
export interface DashboardIssue {
  readonly path: string;
  readonly message: string;
}

/** The outcome of {@link parseDashboard}: the dashboard, or every problem at once. */
export type ParsedDashboard =
  | { readonly ok: true; readonly dashboard: Dashboard }
  | { readonly ok: false; readonly issues: readonly DashboardIssue[] };

/** Validates `value` (parsed JSON or YAML) as a dashboard; never throws. */
export function parseDashboard(value: unknown): ParsedDashboard {
  const r = dashboardSchema.safeParse(value);
  if (r.success) return { ok: true, dashboard: r.data };
  return {
    ok: false,
    issues: r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
  };
}

/** `["panels", 2, "unit"]` → `panels[2].unit`. */
export function formatPath(p: readonly PropertyKey[]): string {
  let out = '';
  for (const k of p) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out === '' ? String(k) : `.${String(k)}`;
  }
  return out;
}

/** The issues as one line: `panels[2].unit: Invalid option…; title: …`. */
export function issuesMessage(issues: readonly DashboardIssue[]): string {
  return issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; ');
}
