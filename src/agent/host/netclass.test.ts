import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { HostCollector } from './host-collector.js';
import { netclassFamilies, parseNetClassDevice } from './netclass.js';
import { labelsToRecord } from '../../model/labels.js';
import type { MetricFamily } from '../../model/metric.js';

const sysPath = join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'sys');

function values(fams: MetricFamily[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of fams)
    for (const s of f.samples) out[`${s.name}/${labelsToRecord(s.labels).device}`] = s.value;
  return out;
}

describe('parseNetClassDevice', () => {
  it.each([
    [['eth0', 'up\n', '1400\n', '1000\n'], { operstate: 'up', mtu: 1400, speedMbps: 1000 }],
    [['eth0', 'up\n', '1400\n', '-1\n'], { operstate: 'up', mtu: 1400, speedMbps: -1 }],
    [['ifb0', 'down\n', '1500\n', undefined], { operstate: 'down', mtu: 1500, speedMbps: undefined }],
    [['x', undefined, 'garbage', undefined], { operstate: undefined, mtu: undefined, speedMbps: undefined }],
  ] as const)('parses %j', ([device, operstate, mtu, speed], want) => {
    expect(parseNetClassDevice(device, operstate, mtu, speed)).toEqual({ device, ...want });
  });
});

describe('netclassFamilies', () => {
  it('exports up, mtu and speed in bytes per second with node_exporter help texts', () => {
    const fams = netclassFamilies([
      { device: 'eth0', operstate: 'up', mtu: 9000, speedMbps: 10000 },
      { device: 'lo', operstate: 'unknown', mtu: 65536, speedMbps: undefined },
    ]);
    expect(values(fams)).toEqual({
      'node_network_mtu_bytes/eth0': 9000,
      'node_network_mtu_bytes/lo': 65536,
      'node_network_speed_bytes/eth0': 1_250_000_000,
      'node_network_up/eth0': 1,
      'node_network_up/lo': 0,
    });
    expect(fams.map((f) => f.help)).toEqual([
      'Network device property: mtu_bytes',
      'Network device property: speed_bytes',
      "Value is 1 if operstate is 'up', 0 otherwise.",
    ]);
  });
});

describe('netclass collector', () => {
  it('reads /sys/class/net of the snapshot, skipping attributes a driver lacks', async () => {
    const fams = await new HostCollector({ sysPath, enabled: ['netclass'] }).collect();
    expect(values(fams.filter((f) => !f.name.startsWith('node_scrape_')))).toEqual({
      'node_network_mtu_bytes/eth0': 1400,
      'node_network_mtu_bytes/ifb0': 1500,
      'node_network_mtu_bytes/lo': 65536,
      // speed -1 (unknown) is exported as node_exporter 1.5 does.
      'node_network_speed_bytes/eth0': -125000,
      'node_network_up/eth0': 1,
      'node_network_up/ifb0': 0,
      'node_network_up/lo': 0,
    });
  });

  it('skips devices the exclude pattern matches', async () => {
    const fams = await new HostCollector({
      sysPath,
      enabled: ['netclass'],
      netclassDeviceExclude: /^(lo|ifb\d+)$/,
    }).collect();
    expect(
      fams.find((f) => f.name === 'node_network_up')?.samples.map((s) => labelsToRecord(s.labels).device),
    ).toEqual(['eth0']);
  });
});
