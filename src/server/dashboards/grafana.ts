import { DASHBOARD_UNITS, LEGEND_CALCS, parseLabelValuesQuery, type DashboardUnit } from './model.js';

/**
 * Converts a Grafana dashboard JSON (schemaVersion 14 … 39: the old `graph`/`singlestat` panels and
 * the newer `timeseries`/`stat` ones) into the input of our dashboard model. The result is plain
 * data for `parseDashboard`; what could not be carried over is listed in `notConverted`, one line
 * per item naming the panel or variable, so an import never fails silently.
 */

/** The outcome of {@link convertGrafanaDashboard}. */
export interface GrafanaConversion {
  /** Input for `parseDashboard` (not yet validated). */
  readonly dashboard: Record<string, unknown>;
  /** Human-readable lines naming what was dropped or approximated. */
  readonly notConverted: readonly string[];
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * Whether `value` looks like a Grafana dashboard rather than ours: it has `schemaVersion`,
 * `templating`, or is wrapped as Grafana's API returns it (`{dashboard: {...}, meta: {...}}`).
 */
export function isGrafanaDashboard(value: unknown): boolean {
  if (!isObj(value)) return false;
  if (isObj(value.dashboard) && (isObj(value.meta) || 'schemaVersion' in value.dashboard)) return true;
  return 'schemaVersion' in value || 'templating' in value;
}

/** Grafana unit ids we do not have, mapped to the nearest of ours. */
const UNIT_ALIASES: Readonly<Record<string, DashboardUnit>> = {
  µs: 'us',
  dtdurationms: 'ms',
  dtdurations: 'dtdurations',
  kbytes: 'bytes',
  mbytes: 'bytes',
  gbytes: 'bytes',
  decbytes: 'decbytes',
  deckbytes: 'decbytes',
  KBs: 'Bps',
  MBs: 'Bps',
  pps: 'ops',
  opm: 'ops',
  'percent(0.0-1.0)': 'percentunit',
};

const KNOWN_UNITS: ReadonlySet<string> = new Set(DASHBOARD_UNITS);

function convertUnit(unit: string | undefined, where: string, notes: string[]): DashboardUnit | undefined {
  if (unit === undefined || unit === '') return undefined;
  if (KNOWN_UNITS.has(unit)) return unit as DashboardUnit;
  const alias = UNIT_ALIASES[unit];
  if (alias !== undefined) {
    if (!['kbytes', 'mbytes', 'gbytes', 'deckbytes', 'KBs', 'MBs', 'opm'].includes(unit)) return alias;
    notes.push(`${where}: unit "${unit}" shown as "${alias}" (values are not rescaled)`);
    return alias;
  }
  notes.push(`${where}: unit "${unit}" is not supported; shown as "short"`);
  return 'short';
}

/** Converts `value` (a Grafana dashboard, or Grafana's API wrapper around one). */
export function convertGrafanaDashboard(value: unknown): GrafanaConversion {
  const notes: string[] = [];
  const g: Obj = isObj(value) && isObj(value.dashboard) ? value.dashboard : isObj(value) ? value : {};
  const out: Obj = { title: str(g.title) ?? 'Imported dashboard' };
  const uid = str(g.uid);
  if (uid !== undefined && uid !== '') out.uid = uid;
  const description = str(g.description);
  if (description) out.description = description;
  out.tags = arr(g.tags).filter((t): t is string => typeof t === 'string');
  if (isObj(g.time) && str(g.time.from) && str(g.time.to)) out.time = { from: g.time.from, to: g.time.to };
  const refresh = str(g.refresh);
  if (refresh) out.refresh = refresh;
  if (arr(g.links).length > 0) notes.push(`dashboard links (${arr(g.links).length}) are not kept`);
  if (arr(isObj(g.annotations) ? g.annotations.list : undefined).some((a) => isObj(a) && a.builtIn !== 1))
    notes.push('annotations are not kept');

  out.variables = arr(isObj(g.templating) ? g.templating.list : undefined).flatMap((v) =>
    convertVariable(v, notes),
  );

  const panels: Obj[] = [];
  for (const p of arr(g.panels)) {
    if (!isObj(p)) continue;
    if (p.type === 'row') {
      // Rows are not kept: their panels are laid out where the row's gridPos put them.
      const title = str(p.title) ?? '';
      for (const child of arr(p.panels)) if (isObj(child)) pushPanel(child, panels, notes);
      if (title !== '') notes.push(`row "${title}": flattened (rows are not kept)`);
      continue;
    }
    pushPanel(p, panels, notes);
  }
  for (const r of arr(g.rows)) {
    // schemaVersion < 16: panels inside `rows`, without gridPos.
    if (isObj(r)) for (const p of arr(r.panels)) if (isObj(p)) pushPanel(p, panels, notes);
  }
  out.panels = panels;
  return { dashboard: out, notConverted: notes };
}

function convertVariable(v: unknown, notes: string[]): Obj[] {
  if (!isObj(v)) return [];
  const name = str(v.name) ?? '';
  const where = `variable "${name}"`;
  const common: Obj = { name };
  const label = str(v.label);
  if (label) common.label = label;
  if (typeof v.multi === 'boolean') common.multi = v.multi;
  if (typeof v.includeAll === 'boolean') common.includeAll = v.includeAll;
  if (isObj(v.current)) {
    const cur = v.current.value;
    if (typeof cur === 'string') common.current = cur;
    else if (Array.isArray(cur) && cur.every((c) => typeof c === 'string')) common.current = cur;
  }
  switch (v.type) {
    case 'query': {
      const q = str(v.definition) || (isObj(v.query) ? str(v.query.query) : str(v.query)) || '';
      if (!parseLabelValuesQuery(q)) {
        notes.push(`${where}: query ${JSON.stringify(q)} is not label_values(...); not kept`);
        return [];
      }
      const regex = str(v.regex);
      return [{ ...common, type: 'query', query: q.trim(), ...(regex ? { regex } : {}) }];
    }
    case 'custom': {
      const options = (str(v.query) ?? '')
        .split(/(?<!\\),/)
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (options.length === 0) {
        notes.push(`${where}: custom variable without values; not kept`);
        return [];
      }
      return [{ ...common, type: 'custom', options }];
    }
    case 'interval': {
      const options = (str(v.query) ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '' && s !== 'auto');
      if (options.length === 0) {
        notes.push(`${where}: interval variable without intervals; not kept`);
        return [];
      }
      return [{ ...common, type: 'interval', options, ...(v.auto === true ? { auto: true } : {}) }];
    }
    case 'datasource':
      // One Prometheus-compatible store answers every query: the data source choice has no meaning.
      notes.push(`${where}: data source variable dropped (Kanshi queries its own store)`);
      return [];
    default:
      notes.push(`${where}: ${JSON.stringify(v.type)} variables are not supported; not kept`);
      return [];
  }
}

const PANEL_TYPE: Readonly<Record<string, string>> = {
  graph: 'timeseries',
  timeseries: 'timeseries',
  stat: 'stat',
  singlestat: 'stat',
  gauge: 'gauge',
  bargauge: 'bar',
  barchart: 'bar',
  table: 'table',
  'table-old': 'table',
  text: 'text',
};

const LEGEND_CALC: Readonly<Record<string, (typeof LEGEND_CALCS)[number]>> = {
  min: 'min',
  max: 'max',
  mean: 'avg',
  avg: 'avg',
  last: 'last',
  lastNotNull: 'last',
  current: 'last',
};

function pushPanel(p: Obj, panels: Obj[], notes: string[]): void {
  const title = str(p.title) ?? '';
  const type = str(p.type) ?? '';
  const where = `panel "${title || `#${JSON.stringify(p.id ?? panels.length)}`}" (${type})`;
  const ours = PANEL_TYPE[type];
  if (ours === undefined) {
    notes.push(`${where}: panel type "${type}" is not supported; not kept`);
    return;
  }
  const out: Obj = { type: ours, title };
  if (typeof p.id === 'number' && Number.isInteger(p.id)) out.id = p.id;
  const description = str(p.description);
  if (description) out.description = description;
  out.gridPos = gridPos(p.gridPos, panels);

  const defaults = isObj(p.fieldConfig) && isObj(p.fieldConfig.defaults) ? p.fieldConfig.defaults : {};
  const custom = isObj(defaults.custom) ? defaults.custom : {};
  const options = isObj(p.options) ? p.options : {};

  if (ours === 'text') {
    const content = str(options.content) ?? str(p.content) ?? '';
    out.content = content;
    const mode = str(options.mode) ?? str(p.mode);
    out.mode = mode === 'html' ? 'html' : 'markdown';
    panels.push(out);
    return;
  }

  const targets: Obj[] = [];
  for (const t of arr(p.targets)) {
    if (!isObj(t)) continue;
    const expr = str(t.expr);
    if (expr === undefined || expr.trim() === '') {
      notes.push(`${where}: target ${str(t.refId) ?? ''} has no PromQL expr; not kept`);
      continue;
    }
    const target: Obj = { expr };
    const refId = str(t.refId);
    if (refId) target.refId = refId;
    const legendFormat = str(t.legendFormat);
    if (legendFormat) target.legendFormat = legendFormat;
    const interval = str(t.interval);
    if (interval && /^\d+(ms|s|m|h|d|w|y)$/.test(interval)) target.interval = interval;
    else if (interval) notes.push(`${where}: target interval "${interval}" not kept`);
    if (typeof t.step === 'number' && t.step > 0) target.step = `${t.step}s`;
    if (t.hide === true) target.hide = true;
    targets.push(target);
  }
  out.targets = targets;

  // Unit, range and decimals: fieldConfig (Grafana ≥ 7), else the old panel fields.
  const yaxis = arr(p.yaxes)[0];
  const oldUnit = type === 'graph' && isObj(yaxis) ? str(yaxis.format) : str(p.format);
  const unit = convertUnit(str(defaults.unit) ?? oldUnit, where, notes);
  if (unit !== undefined) out.unit = unit;
  const decimals = num(defaults.decimals) ?? num(p.decimals);
  if (decimals !== undefined) out.decimals = Math.max(0, Math.min(20, Math.round(decimals)));
  const min = num(defaults.min) ?? (isObj(yaxis) ? num(yaxis.min) : undefined);
  if (min !== undefined) out.min = min;
  const max = num(defaults.max) ?? (isObj(yaxis) ? num(yaxis.max) : undefined);
  if (max !== undefined) out.max = max;

  const thresholds = convertThresholds(p, defaults, where, notes);
  if (thresholds) out.thresholds = thresholds;

  if (ours === 'timeseries') {
    let style: 'lines' | 'area' | 'stacked' = 'lines';
    if (type === 'graph') {
      if (p.stack === true) style = 'stacked';
      else if ((num(p.fill) ?? 0) > 0 && p.lines !== false) style = 'area';
      if (isObj(p.legend)) {
        const calcs = (['min', 'max', 'avg', 'current'] as const).filter(
          (k) => isObj(p.legend) && p.legend[k] === true,
        );
        out.legend = {
          show: p.legend.show !== false,
          placement: p.legend.rightSide === true ? 'right' : 'bottom',
          calcs: dedupe(calcs.map((c) => LEGEND_CALC[c] ?? 'last')),
        };
      }
      if (arr(p.seriesOverrides).length > 0) notes.push(`${where}: series overrides not kept`);
    } else {
      const stacking = isObj(custom.stacking) ? str(custom.stacking.mode) : undefined;
      if (stacking !== undefined && stacking !== 'none') style = 'stacked';
      else if ((num(custom.fillOpacity) ?? 0) > 0) style = 'area';
      if (stacking === 'percent') notes.push(`${where}: 100% stacking shown as normal stacking`);
      if (isObj(options.legend)) {
        const lg = options.legend;
        const calcs: (typeof LEGEND_CALCS)[number][] = [];
        for (const c of arr(lg.calcs)) {
          const mapped = typeof c === 'string' ? LEGEND_CALC[c] : undefined;
          if (mapped) calcs.push(mapped);
          else notes.push(`${where}: legend calculation ${JSON.stringify(c)} not kept`);
        }
        out.legend = {
          show: lg.showLegend !== false && lg.displayMode !== 'hidden',
          placement: lg.placement === 'right' ? 'right' : 'bottom',
          calcs: dedupe(calcs),
        };
      }
    }
    out.style = style;
  }
  if (isObj(p.fieldConfig) && arr(p.fieldConfig.overrides).length > 0)
    notes.push(`${where}: field overrides not kept`);
  if (p.repeat !== undefined && p.repeat !== null && p.repeat !== '')
    notes.push(`${where}: repeat by ${JSON.stringify(p.repeat)} not kept`);
  if (arr(p.transformations).length > 0) notes.push(`${where}: transformations not kept`);
  panels.push(out);
}

function convertThresholds(p: Obj, defaults: Obj, where: string, notes: string[]): Obj | undefined {
  if (isObj(defaults.thresholds)) {
    const steps = arr(defaults.thresholds.steps).flatMap((s) => {
      if (!isObj(s)) return [];
      const color = str(s.color) ?? 'green';
      const value = s.value === null || s.value === undefined ? null : num(s.value);
      return value === undefined ? [] : [{ value, color }];
    });
    if (steps.length === 0) return undefined;
    if (steps[0]?.value !== null) steps.unshift({ value: null, color: 'green' });
    return { mode: defaults.thresholds.mode === 'percentage' ? 'percentage' : 'absolute', steps };
  }
  // singlestat / old gauge: "80,90" with colors [base, warn, crit].
  if (typeof p.thresholds === 'string' && p.thresholds.trim() !== '') {
    const colors = arr(p.colors).filter((c): c is string => typeof c === 'string');
    const values = p.thresholds.split(',').map((s) => num(s.trim()));
    if (values.some((v) => v === undefined)) {
      notes.push(`${where}: thresholds ${JSON.stringify(p.thresholds)} not understood; not kept`);
      return undefined;
    }
    const steps: Obj[] = [{ value: null, color: colors[0] ?? 'green' }];
    values.forEach((v, i) => steps.push({ value: v, color: colors[i + 1] ?? (i === 0 ? 'orange' : 'red') }));
    return { mode: 'absolute', steps };
  }
  if (Array.isArray(p.thresholds) && p.thresholds.length > 0)
    notes.push(`${where}: graph threshold lines not kept`);
  return undefined;
}

function gridPos(v: unknown, panels: readonly Obj[]): Obj {
  const clampInt = (n: number | undefined, lo: number, hi: number, dflt: number): number =>
    n === undefined ? dflt : Math.max(lo, Math.min(hi, Math.round(n)));
  if (isObj(v)) {
    const w = clampInt(num(v.w), 1, 24, 12);
    return {
      x: clampInt(num(v.x), 0, 24 - w, 0),
      y: clampInt(num(v.y), 0, 1e6, 0),
      w,
      h: clampInt(num(v.h), 1, 1000, 8),
    };
  }
  // Old row layout: stack the panels two per line.
  const i = panels.length;
  return { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 };
}

function dedupe<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
