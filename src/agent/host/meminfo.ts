import { scalar } from './families.js';
import type { HostSubCollector } from './source.js';
import { parseNumber, splitFields, splitLines } from './text.js';
import { AppError } from '../../base/errors.js';
import type { MetricFamily } from '../../model/metric.js';

/**
 * /proc/meminfo, named as node_exporter's `meminfo` collector names it: `MemTotal: 123 kB`
 * becomes `MemTotal_bytes` = 123 × 1024, `Active(anon)` becomes `Active_anon`, and a field
 * without a unit (`HugePages_Total: 0`) keeps its name without a `_bytes` suffix.
 */

/** One /proc/meminfo field under its node_exporter key, in file order. */
export interface MeminfoField {
  /** The key without the `node_memory_` prefix, e.g. `MemTotal_bytes`, `HugePages_Total`. */
  readonly key: string;
  /** Bytes for fields given in kB, otherwise the number as printed. */
  readonly value: number;
}

/** Parses /proc/meminfo. Empty lines are skipped; a line with more than a unit throws `bad_input`. */
export function parseMeminfo(text: string): MeminfoField[] {
  const out: MeminfoField[] = [];
  for (const line of splitLines(text)) {
    const f = splitFields(line);
    if (f.length === 0) continue;
    const raw = f[0]!;
    let key = raw.endsWith(':') ? raw.slice(0, -1) : raw;
    const open = key.indexOf('(');
    if (open !== -1) {
      const close = key.lastIndexOf(')');
      if (close > open) key = `${key.slice(0, open)}_${key.slice(open + 1, close)}${key.slice(close + 1)}`;
    }
    let value = parseNumber(f[1], `proc meminfo ${raw}`);
    if (f.length === 3) {
      // The kernel prints every sized field in kB (KiB).
      value *= 1024;
      key += '_bytes';
    } else if (f.length !== 2) {
      throw new AppError('bad_input', `proc meminfo: invalid line ${JSON.stringify(line)}`);
    }
    out.push({ key, value });
  }
  return out;
}

/** The `meminfo` families: gauges, except keys ending in `_total` which are counters. */
export function meminfoFamilies(fields: readonly MeminfoField[]): MetricFamily[] {
  return fields.map((f) =>
    scalar(
      `node_memory_${f.key}`,
      f.key.endsWith('_total') ? 'counter' : 'gauge',
      `Memory information field ${f.key}.`,
      f.value,
    ),
  );
}

/** node_exporter's `meminfo` collector. */
export const meminfoCollector: HostSubCollector = {
  name: 'meminfo',
  async collect(source) {
    return meminfoFamilies(parseMeminfo(await source.readProc('meminfo')));
  },
};
