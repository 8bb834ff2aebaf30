import { describe, expect, it } from 'vitest';

import { meminfoFamilies, parseMeminfo } from './meminfo.js';

describe('parseMeminfo', () => {
  it.each([
    ['MemTotal:       24683620 kB', 'MemTotal_bytes', 24683620 * 1024],
    ['Active(anon):       1596 kB', 'Active_anon_bytes', 1596 * 1024],
    ['Inactive(file):   7 kB', 'Inactive_file_bytes', 7168],
    ['HugePages_Total:       0', 'HugePages_Total', 0],
    ['HugePages_Free:       12', 'HugePages_Free', 12],
    ['Hugepagesize:       2048 kB', 'Hugepagesize_bytes', 2097152],
    ['NFS_Unstable:          0 kB', 'NFS_Unstable_bytes', 0],
    ['DirectMap4k:       30720 kB', 'DirectMap4k_bytes', 31457280],
  ])('names %j as node_exporter does', (line, key, value) => {
    expect(parseMeminfo(`${line}\n`)).toEqual([{ key, value }]);
  });

  it('skips empty lines (seen on CentOS 6 kernels)', () => {
    expect(parseMeminfo('MemFree: 1 kB\n\n   \nBuffers: 2 kB\n').map((f) => f.key)).toEqual([
      'MemFree_bytes',
      'Buffers_bytes',
    ]);
  });

  it.each([['MemTotal: 1 kB extra'], ['MemTotal: lots kB'], ['MemTotal:']])('rejects %j', (line) => {
    expect(() => parseMeminfo(line)).toThrow();
  });
});

describe('meminfoFamilies', () => {
  it('makes gauges with node_exporter help, counters for _total keys', () => {
    const fams = meminfoFamilies([
      { key: 'MemTotal_bytes', value: 1024 },
      { key: 'Some_total', value: 3 },
    ]);
    expect(fams.map((f) => [f.name, f.type, f.help])).toEqual([
      ['node_memory_MemTotal_bytes', 'gauge', 'Memory information field MemTotal_bytes.'],
      ['node_memory_Some_total', 'counter', 'Memory information field Some_total.'],
    ]);
  });
});
