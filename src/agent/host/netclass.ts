import { family, oneLabel, sample } from './families.js';
import type { HostSource, HostSubCollector } from './source.js';
import { parseNumber } from './text.js';
import type { MetricFamily, MetricSample } from '../../model/metric.js';

/**
 * A subset of node_exporter's `netclass` collector, from /sys/class/net/<device>/: whether the
 * interface is up (node-mixin's NodeNetworkInterfaceFlapping alert), its MTU, and its link speed
 * (what `rate(node_network_receive_bytes_total)` is a utilization of). An attribute the driver
 * does not support (EINVAL on read, e.g. speed of a virtual device) is skipped, as in
 * node_exporter; a speed of -1 (unknown) is exported as -125000, as node_exporter 1.5 does.
 */

/** The attributes read per interface; `undefined` when the driver does not expose one. */
export interface NetClassDevice {
  readonly device: string;
  /** RFC 2863 operational state: `up`, `down`, `unknown`, `dormant`, … */
  readonly operstate: string | undefined;
  /** Bytes. */
  readonly mtu: number | undefined;
  /** Mbit/s as the kernel prints it; -1 when unknown. */
  readonly speedMbps: number | undefined;
}

/** Parses the three attribute texts of one interface; an unparsable number counts as absent. */
export function parseNetClassDevice(
  device: string,
  operstate: string | undefined,
  mtu: string | undefined,
  speed: string | undefined,
): NetClassDevice {
  const num = (text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    try {
      return parseNumber(text.trim(), `sys class net ${device}`);
    } catch {
      return undefined;
    }
  };
  return { device, operstate: operstate?.trim(), mtu: num(mtu), speedMbps: num(speed) };
}

/** The netclass families; devices come in the order given. */
export function netclassFamilies(devices: readonly NetClassDevice[]): MetricFamily[] {
  const up: MetricSample[] = [];
  const mtu: MetricSample[] = [];
  const speed: MetricSample[] = [];
  for (const d of devices) {
    const l = oneLabel('device', d.device);
    if (d.operstate !== undefined) up.push(sample('node_network_up', l, d.operstate === 'up' ? 1 : 0));
    if (d.mtu !== undefined) mtu.push(sample('node_network_mtu_bytes', l, d.mtu));
    // Mbit/s to bytes/s, multiplying as node_exporter does.
    if (d.speedMbps !== undefined)
      speed.push(sample('node_network_speed_bytes', l, (d.speedMbps * 1000 * 1000) / 8));
  }
  return [
    family('node_network_mtu_bytes', 'gauge', 'Network device property: mtu_bytes', mtu),
    family('node_network_speed_bytes', 'gauge', 'Network device property: speed_bytes', speed),
    family('node_network_up', 'gauge', "Value is 1 if operstate is 'up', 0 otherwise.", up),
  ];
}

async function optional(source: HostSource, rel: string): Promise<string | undefined> {
  try {
    return await source.readSys(rel);
  } catch {
    // EINVAL (not supported by the driver), ENOENT (older kernel): the attribute is absent.
    return undefined;
  }
}

/** The netclass collector (subset), skipping interfaces `exclude` matches (default none). */
export function netclassCollector(exclude?: RegExp): HostSubCollector {
  return {
    name: 'netclass',
    async collect(source) {
      const names = (await source.listSys('class/net')).filter(
        (n) => exclude === undefined || !exclude.test(n),
      );
      names.sort();
      const devices = await Promise.all(
        names.map(async (n) => {
          const [operstate, mtu, speed] = await Promise.all([
            optional(source, `class/net/${n}/operstate`),
            optional(source, `class/net/${n}/mtu`),
            optional(source, `class/net/${n}/speed`),
          ]);
          return parseNetClassDevice(n, operstate, mtu, speed);
        }),
      );
      return netclassFamilies(devices);
    },
  };
}
