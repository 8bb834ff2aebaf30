import { family, sample, sortedLabels } from './families.js';
import type { HostSubCollector } from './source.js';
import type { MetricFamily } from '../../model/metric.js';

/**
 * node_exporter's `uname` collector, read from /proc/sys/kernel/* (the same strings uname(2)
 * returns in this UTS namespace) plus the machine architecture, which /proc does not expose.
 */

/** The uname(2) fields, as node_uname_info labels them. */
export interface Uname {
  readonly sysname: string;
  readonly release: string;
  readonly version: string;
  /** Hardware name as `uname -m` prints it (`x86_64`, `aarch64`). */
  readonly machine: string;
  readonly nodename: string;
  /** The NIS domain name; the kernel prints `(none)` when unset, and so does node_exporter. */
  readonly domainname: string;
}

/** The node_uname_info family (value 1, the information is in the labels). */
export function unameFamilies(u: Uname): MetricFamily[] {
  const labels = sortedLabels(
    ['domainname', u.domainname],
    ['machine', u.machine],
    ['nodename', u.nodename],
    ['release', u.release],
    ['sysname', u.sysname],
    ['version', u.version],
  );
  return [
    family('node_uname_info', 'gauge', 'Labeled system information as provided by the uname system call.', [
      sample('node_uname_info', labels, 1),
    ]),
  ];
}

/** Strips the one trailing newline /proc/sys files end with. */
function chomp(s: string): string {
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}

/** The `uname` collector; `machine` comes from the caller (Node's `os.machine()`). */
export function unameCollector(machine: string): HostSubCollector {
  return {
    name: 'uname',
    async collect(source) {
      const [sysname, release, version, nodename, domainname] = (
        await Promise.all(
          ['ostype', 'osrelease', 'version', 'hostname', 'domainname'].map((f) =>
            source.readProc(`sys/kernel/${f}`),
          ),
        )
      ).map(chomp) as [string, string, string, string, string];
      return unameFamilies({ sysname, release, version, machine, nodename, domainname });
    },
  };
}
