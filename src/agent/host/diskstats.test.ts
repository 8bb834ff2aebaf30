import { describe, expect, it } from 'vitest';

import { DEFAULT_DISKSTATS_EXCLUDE, diskstatsFamilies, parseDiskstats } from './diskstats.js';
import { labelsToRecord } from '../../model/labels.js';

const LINE_17 =
  ' 254       0 vda 39281 8105 1981354 13230 14441 22091 2368872 6523 0 8152 21743 4871 37 214200 904 2029 1084';
const LINE_15 = '   8       0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15';
const LINE_11 = '   8      16 sdb 1 2 3 4 5 6 7 8 9 10 11';
// Linux 2.6 printed partitions with four fields; node_exporter ignores such lines.
const LINE_4 = '   8       1 sda1 10 20 30 40';

describe('parseDiskstats', () => {
  it.each([
    [LINE_17, 'vda', 17],
    [LINE_15, 'sda', 15],
    [LINE_11, 'sdb', 11],
  ])('keeps every field of %j', (line, device, n) => {
    const [d] = parseDiskstats(line);
    expect(d?.device).toBe(device);
    expect(d?.fields.length).toBe(n);
  });

  it('skips lines with fewer than 11 fields', () => {
    expect(parseDiskstats(`${LINE_4}\n${LINE_11}\n`).map((d) => d.device)).toEqual(['sdb']);
  });

  it('rejects a malformed number', () => {
    expect(() => parseDiskstats('8 0 sda 1 2 3 x 5 6 7 8 9 10 11')).toThrow(/sda/);
  });
});

describe('diskstatsFamilies', () => {
  it('converts sectors to bytes and milliseconds to seconds', () => {
    const fams = diskstatsFamilies(parseDiskstats(LINE_17));
    const v = (name: string): number | undefined => fams.find((f) => f.name === name)?.samples[0]?.value;
    expect(v('node_disk_reads_completed_total')).toBe(39281);
    expect(v('node_disk_read_bytes_total')).toBe(1981354 * 512);
    expect(v('node_disk_read_time_seconds_total')).toBe(13230 * 0.001);
    expect(v('node_disk_written_bytes_total')).toBe(2368872 * 512);
    expect(v('node_disk_io_now')).toBe(0);
    expect(v('node_disk_io_time_seconds_total')).toBe(8152 * 0.001);
    expect(v('node_disk_io_time_weighted_seconds_total')).toBe(21743 * 0.001);
    // Discarded sectors stay sectors, as in node_exporter.
    expect(v('node_disk_discarded_sectors_total')).toBe(214200);
    expect(v('node_disk_flush_requests_total')).toBe(2029);
    expect(v('node_disk_flush_requests_time_seconds_total')).toBe(1.084);
  });

  it('emits only the families the kernel has fields for', () => {
    const names = (line: string): string[] => diskstatsFamilies(parseDiskstats(line)).map((f) => f.name);
    expect(names(LINE_11)).not.toContain('node_disk_discards_completed_total');
    expect(names(LINE_11)).toContain('node_disk_io_time_weighted_seconds_total');
    expect(names(LINE_15)).toContain('node_disk_discard_time_seconds_total');
    expect(names(LINE_15)).not.toContain('node_disk_flush_requests_total');
    expect(names(LINE_17)).toContain('node_disk_flush_requests_time_seconds_total');
  });

  it('labels node_disk_info with device, major and minor', () => {
    const info = diskstatsFamilies(parseDiskstats(LINE_17))[0]!;
    expect(info.name).toBe('node_disk_info');
    expect(labelsToRecord(info.samples[0]!.labels)).toEqual({ device: 'vda', major: '254', minor: '0' });
  });

  it.each([
    ['sda', false],
    ['sda1', true],
    ['vda', false],
    ['vdb12', true],
    ['xvda1', true],
    ['nvme0n1', false],
    ['nvme0n1p2', true],
    ['loop7', true],
    ['ram0', true],
    ['fd0', true],
    ['dm-0', false],
    ['md127', false],
    ['zram0', false],
  ])('default filter: %s excluded=%s', (device, excluded) => {
    expect(DEFAULT_DISKSTATS_EXCLUDE.test(device)).toBe(excluded);
  });
});
