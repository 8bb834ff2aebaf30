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

/** `expr` with `$host` (inside its quotes) and `$rate` (a duration) filled in. */
export function expandQuery(expr: string, vars: { host: string; rateWindow: string }): string {
  return expr.replace(/"\$host"/g, promString(vars.host)).replace(/\$rate/g, vars.rateWindow);
}

/** The params of a keyed legend for a series: its `label` value as that param. */
export function legendParams(legend: { label?: string }, metric: Metric): Record<string, string> {
  return legend.label === undefined ? {} : { [legend.label]: metric[legend.label] ?? '' };
}
