import { family, oneLabel, sample, sortedLabels } from './families.js';
import type { HostSubCollector } from './source.js';
import { parseNumber, splitFields, splitLines } from './text.js';
import type { MetricFamily, MetricSample, MetricType } from '../../model/metric.js';

/**
 * /proc/diskstats (https://docs.kernel.org/admin-guide/iostats.html), exported as
 * node_exporter's `diskstats` collector exports it. Kernels print 11 (≤ 4.17), 15 (4.18+,
 * discards) or 17 (5.5+, flushes) fields per device; a metric is emitted only for the fields
 * the line has. Sectors are 512 bytes whatever the device's block size; times are ms.
 */

/** node_exporter 1.5's default `--collector.diskstats.device-exclude` (partitions, ram, loop, fd). */
export const DEFAULT_DISKSTATS_EXCLUDE = /^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$/;

/** One /proc/diskstats line. `fields[i]` is the kernel's field i+1 (reads completed, …). */
export interface DiskStats {
  readonly major: string;
  readonly minor: string;
  readonly device: string;
  /** The raw numbers after the name, 11 to 17 (or more on future kernels). */
  readonly fields: Float64Array;
}

/** The minimum number of fields a line needs; node_exporter drops shorter (2.6 partition) lines. */
const MIN_FIELDS = 11;

/** Parses /proc/diskstats. Lines with fewer than 11 fields are skipped as node_exporter does. */
export function parseDiskstats(text: string): DiskStats[] {
  const out: DiskStats[] = [];
  for (const line of splitLines(text)) {
    const f = splitFields(line);
    if (f.length < 3 + MIN_FIELDS) continue;
    const device = f[2]!;
    const fields = new Float64Array(f.length - 3);
    for (let i = 3; i < f.length; i++) fields[i - 3] = parseNumber(f[i], `proc diskstats ${device}`);
    out.push({ major: f[0]!, minor: f[1]!, device, fields });
  }
  return out;
}

const SECTOR_BYTES = 512;
const MS = 0.001;

interface DiskMetric {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  /** Multiplier from the raw field to the exported unit. */
  readonly scale: number;
}

/** One entry per kernel field, in field order. */
const DISK_METRICS: readonly DiskMetric[] = [
  {
    name: 'reads_completed_total',
    type: 'counter',
    help: 'The total number of reads completed successfully.',
    scale: 1,
  },
  { name: 'reads_merged_total', type: 'counter', help: 'The total number of reads merged.', scale: 1 },
  {
    name: 'read_bytes_total',
    type: 'counter',
    help: 'The total number of bytes read successfully.',
    scale: SECTOR_BYTES,
  },
  {
    name: 'read_time_seconds_total',
    type: 'counter',
    help: 'The total number of seconds spent by all reads.',
    scale: MS,
  },
  {
    name: 'writes_completed_total',
    type: 'counter',
    help: 'The total number of writes completed successfully.',
    scale: 1,
  },
  { name: 'writes_merged_total', type: 'counter', help: 'The number of writes merged.', scale: 1 },
  {
    name: 'written_bytes_total',
    type: 'counter',
    help: 'The total number of bytes written successfully.',
    scale: SECTOR_BYTES,
  },
  {
    name: 'write_time_seconds_total',
    type: 'counter',
    help: 'This is the total number of seconds spent by all writes.',
    scale: MS,
  },
  { name: 'io_now', type: 'gauge', help: 'The number of I/Os currently in progress.', scale: 1 },
  { name: 'io_time_seconds_total', type: 'counter', help: 'Total seconds spent doing I/Os.', scale: MS },
  {
    name: 'io_time_weighted_seconds_total',
    type: 'counter',
    help: 'The weighted # of seconds spent doing I/Os.',
    scale: MS,
  },
  {
    name: 'discards_completed_total',
    type: 'counter',
    help: 'The total number of discards completed successfully.',
    scale: 1,
  },
  { name: 'discards_merged_total', type: 'counter', help: 'The total number of discards merged.', scale: 1 },
  {
    name: 'discarded_sectors_total',
    type: 'counter',
    help: 'The total number of sectors discarded successfully.',
    scale: 1,
  },
  {
    name: 'discard_time_seconds_total',
    type: 'counter',
    help: 'This is the total number of seconds spent by all discards.',
    scale: MS,
  },
  {
    name: 'flush_requests_total',
    type: 'counter',
    help: 'The total number of flush requests completed successfully',
    scale: 1,
  },
  {
    name: 'flush_requests_time_seconds_total',
    type: 'counter',
    help: 'This is the total number of seconds spent by all flush requests.',
    scale: MS,
  },
];

/**
 * The `diskstats` families for devices `exclude` does not match: node_disk_info plus one family
 * per field the kernel prints (a family is omitted when no device has that field).
 */
export function diskstatsFamilies(
  stats: readonly DiskStats[],
  exclude: RegExp = DEFAULT_DISKSTATS_EXCLUDE,
): MetricFamily[] {
  const kept = stats.filter((s) => !exclude.test(s.device));
  const out: MetricFamily[] = [
    family(
      'node_disk_info',
      'gauge',
      'Info of /sys/block/<block_device>.',
      kept.map((s) =>
        sample(
          'node_disk_info',
          sortedLabels(['device', s.device], ['major', s.major], ['minor', s.minor]),
          1,
        ),
      ),
    ),
  ];
  DISK_METRICS.forEach((m, i) => {
    const name = `node_disk_${m.name}`;
    const samples: MetricSample[] = [];
    for (const s of kept) {
      if (i < s.fields.length)
        samples.push(sample(name, oneLabel('device', s.device), s.fields[i]! * m.scale));
    }
    if (samples.length > 0) out.push(family(name, m.type, m.help, samples));
  });
  return out;
}

/** node_exporter's `diskstats` collector, skipping devices `exclude` matches. */
export function diskstatsCollector(exclude: RegExp = DEFAULT_DISKSTATS_EXCLUDE): HostSubCollector {
  return {
    name: 'diskstats',
    async collect(source) {
      return diskstatsFamilies(parseDiskstats(await source.readProc('diskstats')), exclude);
    },
  };
}
