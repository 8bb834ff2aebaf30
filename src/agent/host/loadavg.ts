import { scalar } from './families.js';
import type { HostSubCollector } from './source.js';
import { parseNumber, splitFields } from './text.js';
import type { MetricFamily } from '../../model/metric.js';

/** /proc/loadavg: the 1, 5 and 15 minute load averages (node_exporter's `loadavg` collector). */

/** Load averages: runnable plus uninterruptible tasks, exponentially averaged. */
export interface Loadavg {
  readonly load1: number;
  readonly load5: number;
  readonly load15: number;
}

/** Parses /proc/loadavg (`0.10 0.20 0.30 1/123 4567`); throws `bad_input` when malformed. */
export function parseLoadavg(text: string): Loadavg {
  const f = splitFields(text.trim());
  return {
    load1: parseNumber(f[0], 'proc loadavg load1'),
    load5: parseNumber(f[1], 'proc loadavg load5'),
    load15: parseNumber(f[2], 'proc loadavg load15'),
  };
}

/** The `loadavg` families. */
export function loadavgFamilies(l: Loadavg): MetricFamily[] {
  return [
    scalar('node_load1', 'gauge', '1m load average.', l.load1),
    scalar('node_load5', 'gauge', '5m load average.', l.load5),
    scalar('node_load15', 'gauge', '15m load average.', l.load15),
  ];
}

/** node_exporter's `loadavg` collector. */
export const loadavgCollector: HostSubCollector = {
  name: 'loadavg',
  async collect(source) {
    return loadavgFamilies(parseLoadavg(await source.readProc('loadavg')));
  },
};
