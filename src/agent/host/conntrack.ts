import { scalar } from './families.js';
import { NoDataError, type HostSubCollector } from './source.js';
import { parseNumber, splitFields, splitLines } from './text.js';
import { AppError } from '../../base/errors.js';
import type { MetricFamily } from '../../model/metric.js';

/**
 * Connection tracking, as node_exporter's `conntrack` collector exports it: table use and limit
 * from /proc/sys/net/netfilter/nf_conntrack_{count,max}, and the per-CPU counters of
 * /proc/net/stat/nf_conntrack (hexadecimal) summed over CPUs. node-mixin alerts when the table
 * is nearly full (NodeHighNumberConntrackEntriesUsed).
 */

/** The /proc/net/stat/nf_conntrack columns node_exporter exports, with its help texts. */
const STAT_HELP: Readonly<Record<string, string>> = {
  drop: 'Number of packets dropped due to conntrack failure.',
  early_drop:
    'Number of dropped conntrack entries to make room for new ones, if maximum table size was reached.',
  found: 'Number of searched entries which were successful.',
  ignore: 'Number of packets seen which are already connected to a conntrack entry.',
  insert: 'Number of entries inserted into the list.',
  insert_failed: 'Number of entries for which list insertion was attempted but failed.',
  invalid: 'Number of packets seen which can not be tracked.',
  search_restart: 'Number of conntrack table lookups which had to be restarted due to hashtable resizes.',
};

/**
 * Parses /proc/net/stat/nf_conntrack (a header of column names, then one row of hexadecimal
 * numbers per CPU) into per-column sums over CPUs, in header order. Throws `bad_input` on a row
 * of the wrong width or a non-hex number.
 */
export function parseConntrackStat(text: string): Map<string, number> {
  const lines = splitLines(text);
  const header = splitFields(lines[0] ?? '');
  const sums = new Map<string, number>(header.map((h) => [h, 0]));
  for (let i = 1; i < lines.length; i++) {
    const row = splitFields(lines[i]!);
    if (row.length !== header.length) {
      throw new AppError(
        'bad_input',
        `proc nf_conntrack stat: row ${i} has ${row.length} columns, want ${header.length}`,
      );
    }
    for (let j = 0; j < row.length; j++) {
      const v = Number.parseInt(row[j]!, 16);
      if (!/^[0-9a-fA-F]+$/.test(row[j]!)) {
        throw new AppError('bad_input', `proc nf_conntrack stat: not hexadecimal: ${JSON.stringify(row[j])}`);
      }
      sums.set(header[j]!, sums.get(header[j]!)! + v);
    }
  }
  return sums;
}

/** The `conntrack` families; stat families only for columns the kernel prints. */
export function conntrackFamilies(
  count: number,
  max: number,
  stat: ReadonlyMap<string, number>,
): MetricFamily[] {
  const out = [
    scalar(
      'node_nf_conntrack_entries',
      'gauge',
      'Number of currently allocated flow entries for connection tracking.',
      count,
    ),
    scalar('node_nf_conntrack_entries_limit', 'gauge', 'Maximum size of connection tracking table.', max),
  ];
  for (const [column, help] of Object.entries(STAT_HELP)) {
    const v = stat.get(column);
    if (v !== undefined) out.push(scalar(`node_nf_conntrack_stat_${column}`, 'gauge', help, v));
  }
  return out;
}

/** node_exporter's `conntrack` collector; no data when netfilter conntrack is not loaded. */
export const conntrackCollector: HostSubCollector = {
  name: 'conntrack',
  async collect(source) {
    let count: string;
    let max: string;
    try {
      [count, max] = await Promise.all([
        source.readProc('sys/net/netfilter/nf_conntrack_count'),
        source.readProc('sys/net/netfilter/nf_conntrack_max'),
      ]);
    } catch (err) {
      if ((err as { code?: unknown } | null)?.code === 'ENOENT') {
        throw new NoDataError('connection tracking is not loaded (no nf_conntrack_count)');
      }
      throw err;
    }
    const stat = parseConntrackStat(await source.readProc('net/stat/nf_conntrack'));
    return conntrackFamilies(
      parseNumber(count.trim(), 'proc nf_conntrack_count'),
      parseNumber(max.trim(), 'proc nf_conntrack_max'),
      stat,
    );
  },
};
