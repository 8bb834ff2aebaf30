import { describe, expect, it } from 'vitest';

import { netdevFamilies, parseNetDev } from './netdev.js';
import { labelsToRecord } from '../../model/labels.js';

const HEADER = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
`;

describe('parseNetDev', () => {
  it('reads every column of every interface', () => {
    const stats = parseNetDev(
      `${HEADER}    lo:   62599      61    0    0    0     0          0         0    62599      61    0    0    0     0       0          0
  eth0: 282240044    9306    1    2    3     4          5         6   621061    5086    7    8    9    10      11         12
`,
    );
    expect(stats.map((s) => s.device)).toEqual(['lo', 'eth0']);
    expect([...stats[1]!.values]).toEqual([
      282240044, 9306, 1, 2, 3, 4, 5, 6, 621061, 5086, 7, 8, 9, 10, 11, 12,
    ]);
  });

  it('accepts a counter glued to the colon (wide counters on old kernels)', () => {
    const [s] = parseNetDev(`${HEADER}eth1:1234567890123 1 0 0 0 0 0 0 5 1 0 0 0 0 0 0\n`);
    expect(s?.device).toBe('eth1');
    expect(s?.values[0]).toBe(1234567890123);
  });

  it.each([['eth0 1 2 3'], ['eth0: 1 2 3']])('rejects %j', (line) => {
    expect(() => parseNetDev(`${HEADER}${line}\n`)).toThrow();
  });
});

describe('netdevFamilies', () => {
  it('names counters node_network_<column>_total and skips lo by default', () => {
    const stats = parseNetDev(`${HEADER}lo: ${'1 '.repeat(16)}\neth0: ${'2 '.repeat(16)}\n`);
    const fams = netdevFamilies(stats);
    expect(fams).toHaveLength(16);
    const rx = fams.find((f) => f.name === 'node_network_receive_bytes_total')!;
    expect(rx.type).toBe('counter');
    expect(rx.help).toBe('Network device statistic receive_bytes.');
    expect(rx.samples.map((s) => [labelsToRecord(s.labels), s.value])).toEqual([[{ device: 'eth0' }, 2]]);
    expect(fams.map((f) => f.name)).toContain('node_network_transmit_colls_total');
  });
});
