import { family, oneLabel, sample } from './families.js';
import type { HostSubCollector } from './source.js';
import { parseNumber, splitFields, splitLines } from './text.js';
import { AppError } from '../../base/errors.js';
import type { MetricFamily, MetricSample } from '../../model/metric.js';

/**
 * /proc/net/dev: per-interface traffic counters, exported as node_exporter's `netdev` collector
 * exports them: `node_network_receive_bytes_total{device="eth0"}` and so on for every column.
 */

/** node_exporter's default `--collector.netdev.device-exclude`. */
export const DEFAULT_NETDEV_EXCLUDE = /^lo$/;

/** Column names of /proc/net/dev, receive side then transmit side, as node_exporter names them. */
export const NETDEV_COLUMNS = [
  'receive_bytes',
  'receive_packets',
  'receive_errs',
  'receive_drop',
  'receive_fifo',
  'receive_frame',
  'receive_compressed',
  'receive_multicast',
  'transmit_bytes',
  'transmit_packets',
  'transmit_errs',
  'transmit_drop',
  'transmit_fifo',
  'transmit_colls',
  'transmit_carrier',
  'transmit_compressed',
] as const;

/** Counters of one interface; `values[i]` belongs to `NETDEV_COLUMNS[i]`. */
export interface NetDevStats {
  readonly device: string;
  readonly values: Float64Array;
}

/**
 * Parses /proc/net/dev (two header lines, then `name: 16 numbers`). Throws `bad_input` on a line
 * without a colon or with a wrong number of columns.
 */
export function parseNetDev(text: string): NetDevStats[] {
  const out: NetDevStats[] = [];
  const lines = splitLines(text);
  for (let i = 2; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.lastIndexOf(':');
    if (colon === -1) throw new AppError('bad_input', `proc net dev: no colon in ${JSON.stringify(line)}`);
    const device = line.slice(0, colon).trim();
    const f = splitFields(line.slice(colon + 1));
    if (f.length !== NETDEV_COLUMNS.length) {
      throw new AppError(
        'bad_input',
        `proc net dev: ${device} has ${f.length} columns, want ${NETDEV_COLUMNS.length}`,
      );
    }
    const values = new Float64Array(f.length);
    for (let j = 0; j < f.length; j++) values[j] = parseNumber(f[j], `proc net dev ${device}`);
    out.push({ device, values });
  }
  return out;
}

/** The `netdev` families for interfaces `exclude` does not match; all counters. */
export function netdevFamilies(
  stats: readonly NetDevStats[],
  exclude: RegExp = DEFAULT_NETDEV_EXCLUDE,
): MetricFamily[] {
  const kept = stats.filter((s) => !exclude.test(s.device));
  return NETDEV_COLUMNS.map((col, j) => {
    const name = `node_network_${col}_total`;
    const samples: MetricSample[] = kept.map((s) => sample(name, oneLabel('device', s.device), s.values[j]!));
    return family(name, 'counter', `Network device statistic ${col}.`, samples);
  });
}

/** node_exporter's `netdev` collector (from /proc/net/dev), skipping devices `exclude` matches. */
export function netdevCollector(exclude: RegExp = DEFAULT_NETDEV_EXCLUDE): HostSubCollector {
  return {
    name: 'netdev',
    async collect(source) {
      return netdevFamilies(parseNetDev(await source.readProc('net/dev')), exclude);
    },
  };
}
