import type { Metric } from '../api/prom.js';
import type { MessageKey } from '../i18n/en.js';
import type { Unit } from './units.js';

/**
 * The host page's USE dashboard, as data: each panel is a list of PromQL queries over
 * node_exporter's metric names (the agent emits the same names, docs/host-metrics.md), a unit,
 * and a legend per query. `$host` and `$rate` are replaced by {@link expandQuery}.
 */

/** One query of a panel. */
export interface PanelQuery {
  readonly expr: string;
  /** The legend of each series: a string key with `{device}`-style params from its labels. */
  readonly legend: { readonly key: MessageKey; readonly label?: string } | { readonly template: string };
}

/** One panel of the host page. */
export interface PanelDef {
  readonly id: string;
  readonly title: MessageKey;
  readonly unit: Unit;
  readonly stacked?: boolean;
  /** Hidden when every query is empty (pressure exists only on kernels with PSI). */
  readonly hideWhenEmpty?: boolean;
  readonly queries: readonly PanelQuery[];
}

const H = 'instance="$host"';

/** The USE panels in page order. */
export const USE_PANELS: readonly PanelDef[] = [
  {
    id: 'cpu',
    title: 'panel.cpu',
    unit: 'percent',
    stacked: true,
    queries: [
      {
        expr: `sum by (mode) (rate(node_cpu_seconds_total{${H},mode!="idle"}[$rate])) / scalar(count(node_cpu_seconds_total{${H},mode="idle"}))`,
        legend: { template: '{{mode}}' },
      },
    ],
  },
  {
    id: 'load',
    title: 'panel.load',
    unit: 'short',
    queries: [
      { expr: `node_load1{${H}}`, legend: { template: 'load1' } },
      { expr: `node_load5{${H}}`, legend: { template: 'load5' } },
      { expr: `node_load15{${H}}`, legend: { template: 'load15' } },
      { expr: `count(node_cpu_seconds_total{${H},mode="idle"})`, legend: { key: 'series.cores' } },
    ],
  },
  {
    id: 'memory',
    title: 'panel.memory',
    unit: 'bytes',
    queries: [
      {
        expr: `node_memory_MemTotal_bytes{${H}} - node_memory_MemAvailable_bytes{${H}}`,
        legend: { key: 'series.used' },
      },
      {
        expr: `node_memory_Buffers_bytes{${H}} + node_memory_Cached_bytes{${H}}`,
        legend: { key: 'series.cache' },
      },
      { expr: `node_memory_MemTotal_bytes{${H}}`, legend: { key: 'series.total' } },
    ],
  },
  {
    id: 'swap',
    title: 'panel.swap',
    unit: 'bytes',
    queries: [
      {
        expr: `node_memory_SwapTotal_bytes{${H}} - node_memory_SwapFree_bytes{${H}}`,
        legend: { key: 'series.used' },
      },
      { expr: `node_memory_SwapTotal_bytes{${H}}`, legend: { key: 'series.total' } },
    ],
  },
  {
    id: 'filesystem',
    title: 'panel.filesystem',
    unit: 'percent',
    queries: [
      {
        expr: `1 - node_filesystem_avail_bytes{${H},fstype!~"tmpfs|ramfs|squashfs|overlay"} / node_filesystem_size_bytes{${H},fstype!~"tmpfs|ramfs|squashfs|overlay"}`,
        legend: { template: '{{mountpoint}}' },
      },
    ],
  },
  {
    id: 'disk-io',
    title: 'panel.diskIo',
    unit: 'percent',
    queries: [
      { expr: `rate(node_disk_io_time_seconds_total{${H}}[$rate])`, legend: { template: '{{device}}' } },
    ],
  },
  {
    id: 'network',
    title: 'panel.network',
    unit: 'bytesPerSec',
    queries: [
      {
        expr: `rate(node_network_receive_bytes_total{${H},device!="lo"}[$rate])`,
        legend: { key: 'series.receive', label: 'device' },
      },
      {
        expr: `rate(node_network_transmit_bytes_total{${H},device!="lo"}[$rate])`,
        legend: { key: 'series.transmit', label: 'device' },
      },
    ],
  },
  {
    id: 'network-errors',
    title: 'panel.networkErrors',
    unit: 'perSec',
    queries: [
      {
        expr: `rate(node_network_receive_errs_total{${H},device!="lo"}[$rate])`,
        legend: { key: 'series.receiveErrors', label: 'device' },
      },
      {
        expr: `rate(node_network_transmit_errs_total{${H},device!="lo"}[$rate])`,
        legend: { key: 'series.transmitErrors', label: 'device' },
      },
      {
        expr: `rate(node_network_receive_drop_total{${H},device!="lo"}[$rate])`,
        legend: { key: 'series.receiveDrops', label: 'device' },
      },
      {
        expr: `rate(node_network_transmit_drop_total{${H},device!="lo"}[$rate])`,
        legend: { key: 'series.transmitDrops', label: 'device' },
      },
    ],
  },
  {
    id: 'pressure',
    title: 'panel.pressure',
    unit: 'percent',
    hideWhenEmpty: true,
    queries: [
      { expr: `rate(node_pressure_cpu_waiting_seconds_total{${H}}[$rate])`, legend: { template: 'cpu' } },
      {
        expr: `rate(node_pressure_memory_waiting_seconds_total{${H}}[$rate])`,
        legend: { template: 'memory' },
      },
      { expr: `rate(node_pressure_io_waiting_seconds_total{${H}}[$rate])`, legend: { template: 'io' } },
    ],
  },
];

/** A PromQL double-quoted string literal of `s`. */
export function promString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** `s` as an RE2 literal (inside a PromQL regex match, before string quoting). */
export function regexLiteral(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** `expr` with `$host` (inside its quotes) and `$rate` (a duration) filled in. */
export function expandQuery(expr: string, vars: { host: string; rateWindow: string }): string {
  return expr.replace(/"\$host"/g, promString(vars.host)).replace(/\$rate/g, vars.rateWindow);
}

/** The params of a keyed legend for a series: its `label` value as that param. */
export function legendParams(legend: { label?: string }, metric: Metric): Record<string, string> {
  return legend.label === undefined ? {} : { [legend.label]: metric[legend.label] ?? '' };
}

/** A graph of the host page built from what the host's series say (plugins, check perfdata). */
export interface SeriesGraph {
  /** Stable id: the panel's `data-panel`. */
  readonly id: string;
  readonly title: string;
  readonly unit: Unit;
  readonly stacked: boolean;
  readonly queries: readonly {
    readonly expr: string;
    /** The legend of one series of this query. */
    readonly legend: (metric: Metric) => string;
  }[];
}

/** Units `kanshi_plugin_graph_info` may name (src/checks/plugin-meta.ts graphUnitDisplay). */
const PLUGIN_UNITS: readonly Unit[] = ['short', 'percent', 'seconds', 'bytes', 'bytesPerSec', 'perSec'];

function isWildcardSegment(s: string): boolean {
  return s === '*' || s === '#';
}

/** A Mackerel name pattern (`custom.disk.#.used`) as an RE2 source matching whole names. */
export function mackerelPatternRegex(pattern: string): string {
  return pattern
    .split('.')
    .map((s) => (isWildcardSegment(s) ? '[-a-zA-Z0-9_]+' : regexLiteral(s)))
    .join('\\.');
}

/** `label` with `%1`…`%9` replaced by the wildcard segments of `mackerelName` under `pattern`. */
export function pluginLineLabel(label: string, pattern: string, mackerelName: string): string {
  const segs = pattern.split('.');
  const parts = mackerelName.split('.');
  const values = segs.flatMap((s, i) => (isWildcardSegment(s) ? [parts[i] ?? ''] : []));
  return label.replace(/%([1-9])/g, (all, d: string) => values[Number(d) - 1] ?? all);
}

function scaled(expr: string, scale: number): string {
  return scale === 1 || !Number.isFinite(scale) ? expr : `${expr} * ${scale}`;
}

function compareOrder(a: string, b: string): number {
  const [ga = 0, la = 0] = a.split('.').map(Number);
  const [gb = 0, lb = 0] = b.split('.').map(Number);
  return ga - gb || la - lb;
}

/**
 * The plugin graphs of `host`: one per graph definition of `info` (label sets of
 * `kanshi_plugin_graph_info{instance=host}`), titled, unit-formatted (values times `scale`) and
 * stacked (when every line is) as the plugin defined them, lines in definition order; then, for
 * `custom_*` series of `series` (label sets with `plugin` and `mackerel_name`) no definition
 * covers, one graph per plugin and Mackerel name without its last segment, as Mackerel does.
 */
export function pluginGraphs(
  host: string,
  info: readonly Metric[],
  series: readonly Metric[],
  undefinedTitle: (plugin: string, graph: string) => string,
): SeriesGraph[] {
  const h = `instance=${promString(host)}`;
  const graphs = new Map<string, Metric[]>();
  for (const i of info) {
    if (i.plugin === undefined || i.graph === undefined || i.metric === undefined || i.pattern === undefined)
      continue;
    const key = `${i.plugin}\u0000${i.graph}`;
    const lines = graphs.get(key) ?? [];
    // The same line seen under several label sets (another job) is drawn once.
    if (!lines.some((l) => l.pattern === i.pattern)) lines.push(i);
    graphs.set(key, lines);
  }
  const out: SeriesGraph[] = [];
  const covered: RegExp[] = [];
  const sortedGraphs = [...graphs.values()].map((lines) =>
    [...lines].sort((a, b) => compareOrder(a.order ?? '', b.order ?? '')),
  );
  sortedGraphs.sort(
    (a, b) =>
      compareOrder(a[0]?.order ?? '', b[0]?.order ?? '') ||
      (a[0]?.plugin ?? '').localeCompare(b[0]?.plugin ?? ''),
  );
  for (const lines of sortedGraphs) {
    const first = lines[0];
    if (!first) continue;
    const plugin = first.plugin ?? '';
    const unit = (PLUGIN_UNITS as readonly string[]).includes(first.unit ?? '')
      ? (first.unit as Unit)
      : 'short';
    const scale = Number(first.scale ?? '1');
    out.push({
      id: `plugin-${plugin}-${first.graph ?? ''}`,
      title: first.graph_label ?? first.graph ?? '',
      unit,
      stacked: lines.every((l) => l.stacked === 'true'),
      queries: lines.map((l) => {
        const pattern = l.pattern ?? '';
        const re = mackerelPatternRegex(pattern);
        covered.push(new RegExp(`^(?:${re})$`));
        return {
          expr: scaled(
            `${l.metric ?? ''}{${h},plugin=${promString(plugin)},mackerel_name=~${promString(re)}}`,
            scale,
          ),
          legend: (m: Metric) => pluginLineLabel(l.metric_label ?? '', pattern, m.mackerel_name ?? ''),
        };
      }),
    });
  }
  const rest = new Map<string, { plugin: string; prefix: string }>();
  for (const s of series) {
    const plugin = s.plugin;
    const name = s.mackerel_name;
    if (plugin === undefined || name === undefined) continue;
    if (covered.some((re) => re.test(name))) continue;
    const dot = name.lastIndexOf('.');
    const prefix = dot < 0 ? name : name.slice(0, dot);
    rest.set(`${plugin}\u0000${prefix}`, { plugin, prefix });
  }
  const restSorted = [...rest.values()].sort(
    (a, b) => a.plugin.localeCompare(b.plugin) || a.prefix.localeCompare(b.prefix),
  );
  for (const { plugin, prefix } of restSorted) {
    const re = `${mackerelPatternRegex(prefix)}\\.[-a-zA-Z0-9_]+`;
    out.push({
      id: `plugin-${plugin}-${prefix}`,
      title: undefinedTitle(plugin, prefix),
      unit: 'short',
      stacked: false,
      queries: [
        {
          expr: `{__name__=~"custom_.+",${h},plugin=${promString(plugin)},mackerel_name=~${promString(re)}}`,
          legend: (m: Metric) => (m.mackerel_name ?? '').slice(prefix.length + 1),
        },
      ],
    });
  }
  return out;
}

/** The selectors {@link pluginGraphs} reads the label sets of, for /api/v1/series. */
export function pluginSelectors(host: string): string[] {
  const h = `instance=${promString(host)}`;
  return [`kanshi_plugin_graph_info{${h}}`, `{__name__=~"custom_.+",${h},plugin!=""}`];
}

/** The selector of the perfdata series of `host`'s checks. */
export function perfdataSelector(host: string): string {
  return `kanshi_check_perfdata{instance=${promString(host)}}`;
}

const PERF_UNITS: Readonly<Record<string, { unit: Unit; scale: number }>> = {
  seconds: { unit: 'seconds', scale: 1 },
  bytes: { unit: 'bytes', scale: 1 },
  // Perfdata percent is 0–100 as printed; the UI's percent is a ratio.
  percent: { unit: 'percent', scale: 0.01 },
};

/**
 * The perfdata graphs of `host`'s checks from the label sets of `kanshi_check_perfdata`
 * (docs/checks.md): one graph per check and unit, a line per perfdata label, grouped by check
 * in check order. `title(check, unit)` names a graph.
 */
export function perfdataGraphs(
  host: string,
  series: readonly Metric[],
  title: (check: string, unit: string) => string,
): { check: string; graphs: SeriesGraph[] }[] {
  const byCheck = new Map<string, Set<string>>();
  for (const s of series) {
    if (s.check === undefined) continue;
    const units = byCheck.get(s.check) ?? new Set<string>();
    units.add(s.unit ?? '');
    byCheck.set(s.check, units);
  }
  return [...byCheck]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([check, units]) => ({
      check,
      graphs: [...units].sort().map((unit) => {
        const u = PERF_UNITS[unit] ?? { unit: 'short' as const, scale: 1 };
        const sel = `instance=${promString(host)},check=${promString(check)},unit=${promString(unit)}`;
        return {
          id: `perf-${check}-${unit}`,
          title: title(check, unit === '' ? '–' : unit),
          unit: u.unit,
          stacked: false,
          queries: [
            { expr: scaled(`kanshi_check_perfdata{${sel}}`, u.scale), legend: (m: Metric) => m.label ?? '' },
          ],
        };
      }),
    }));
}
