import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostCollector } from '../../src/agent/host/host-collector.js';
import { parsePrometheusText } from '../../src/exposition/parse-text.js';
import { labelsToRecord } from '../../src/model/labels.js';
import type { MetricFamily } from '../../src/model/metric.js';

/**
 * Runs Debian's prometheus-node-exporter (default flags) on a loopback port, scrapes it while
 * HostCollector collects on the same machine, and requires node_exporter compatibility: every
 * family we emit exists there with the same type, help and label names; the required metrics
 * exist on both sides; constants are equal and counters close. CI installs the
 * `prometheus-node-exporter` package.
 */

const BIN = '/usr/bin/prometheus-node-exporter';

/** The metric names the host-metrics issue requires (pressure only where the kernel has PSI). */
const REQUIRED = [
  'node_cpu_seconds_total',
  'node_load1',
  'node_load5',
  'node_load15',
  'node_memory_MemTotal_bytes',
  'node_memory_MemAvailable_bytes',
  'node_memory_Active_anon_bytes',
  'node_memory_HugePages_Total',
  'node_filesystem_size_bytes',
  'node_filesystem_avail_bytes',
  'node_filesystem_free_bytes',
  'node_filesystem_files',
  'node_filesystem_files_free',
  'node_filesystem_readonly',
  'node_filesystem_device_error',
  'node_disk_reads_completed_total',
  'node_disk_writes_completed_total',
  'node_disk_read_bytes_total',
  'node_disk_written_bytes_total',
  'node_disk_read_time_seconds_total',
  'node_disk_write_time_seconds_total',
  'node_disk_io_time_seconds_total',
  'node_disk_io_time_weighted_seconds_total',
  'node_disk_io_now',
  'node_network_receive_bytes_total',
  'node_network_receive_packets_total',
  'node_network_receive_errs_total',
  'node_network_receive_drop_total',
  'node_network_transmit_bytes_total',
  'node_network_transmit_packets_total',
  'node_network_transmit_errs_total',
  'node_network_transmit_drop_total',
  'node_boot_time_seconds',
  'node_context_switches_total',
  'node_forks_total',
  'node_intr_total',
  'node_procs_running',
  'node_procs_blocked',
  'node_filefd_allocated',
  'node_filefd_maximum',
  'node_uname_info',
  'node_time_seconds',
  'node_scrape_collector_success',
  'node_scrape_collector_duration_seconds',
];

const PRESSURE = [
  'node_pressure_cpu_waiting_seconds_total',
  'node_pressure_io_waiting_seconds_total',
  'node_pressure_io_stalled_seconds_total',
  'node_pressure_memory_waiting_seconds_total',
  'node_pressure_memory_stalled_seconds_total',
];

/** Whether the kernel has PSI: the files exist and read (psi=0 kernels fail with EOPNOTSUPP). */
function hasPsi(): boolean {
  try {
    readFileSync('/proc/pressure/cpu');
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`scrape ${url}: status ${res.status}`);
  return res.text();
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`node exporter exited with ${child.exitCode}`);
    try {
      await scrape(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`node exporter did not answer on ${url}`);
}

function byName(families: readonly MetricFamily[]): Map<string, MetricFamily> {
  return new Map(families.map((f) => [f.name, f]));
}

/** The sorted label-name sets of a family, e.g. ["cpu,mode"]. */
function labelNameSets(f: MetricFamily | undefined): string[] {
  if (f === undefined) return [];
  return [...new Set(f.samples.map((s) => s.labels.map((l) => l.name).join(',')))].sort();
}

/** Sample values keyed by their labels. */
function values(f: MetricFamily | undefined): Map<string, number> {
  return new Map((f?.samples ?? []).map((s) => [JSON.stringify(labelsToRecord(s.labels)), s.value]));
}

function single(f: MetricFamily | undefined): number {
  const v = f?.samples[0]?.value;
  if (v === undefined) throw new Error(`no sample in ${f?.name ?? 'a missing family'}`);
  return v;
}

describe('HostCollector against prometheus-node-exporter', () => {
  let child: ChildProcess | undefined;
  let theirs = new Map<string, MetricFamily>();
  let ours = new Map<string, MetricFamily>();

  beforeAll(async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: install the prometheus-node-exporter package`);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/metrics`;
    child = spawn(BIN, [`--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    await waitReady(url, child);
    // Collect at the same moment so counters can be compared.
    const [text, fams] = await Promise.all([scrape(url), new HostCollector().collect()]);
    const parsed = parsePrometheusText(text);
    expect(parsed.errors).toEqual([]);
    theirs = byName(parsed.families);
    ours = byName(fams);
  });

  afterAll(() => {
    child?.kill('SIGTERM');
  });

  it('emits every required metric, as node_exporter does', () => {
    const required = hasPsi() ? [...REQUIRED, ...PRESSURE] : REQUIRED;
    // Both sides must agree on every name; all must exist, except filesystem metrics on a host
    // (a container) where no mount passes node_exporter's default filters.
    const disagree = required.filter((n) => ours.has(n) !== theirs.has(n));
    const absent = required.filter((n) => !theirs.has(n) && !n.startsWith('node_filesystem_'));
    expect({ disagree, absent }).toEqual({ disagree: [], absent: [] });
  });

  it('emits only families node_exporter has, with its type, help and label names', () => {
    for (const [name, f] of ours) {
      const t = theirs.get(name);
      expect({ name, type: t?.type, help: t?.help }).toEqual({ name, type: f.type, help: f.help });
      if (name === 'node_scrape_collector_success' || name === 'node_scrape_collector_duration_seconds')
        continue;
      expect({ name, labels: labelNameSets(f) }).toEqual({ name, labels: labelNameSets(t) });
    }
  });

  it('reports the same node_memory_*, node_vmstat_* and node_netstat_* fields', () => {
    for (const prefix of ['node_memory_', 'node_vmstat_', 'node_netstat_']) {
      const names = (m: Map<string, MetricFamily>): string[] =>
        [...m.keys()].filter((n) => n.startsWith(prefix)).sort();
      expect(names(ours)).toEqual(names(theirs));
    }
  });

  it('sees the same CPUs, modes, disks, network devices and filesystems', () => {
    for (const name of [
      'node_cpu_seconds_total',
      'node_cpu_guest_seconds_total',
      'node_disk_reads_completed_total',
      'node_disk_info',
      'node_network_receive_bytes_total',
      'node_filesystem_size_bytes',
      'node_filesystem_device_error',
    ]) {
      // node_disk_info carries udev labels node_exporter leaves empty without udev: compare devices.
      const keys = (f: MetricFamily | undefined): string[] =>
        (f?.samples ?? [])
          .map((s) => {
            const l = labelsToRecord(s.labels);
            return name === 'node_disk_info' ? `${l.device} ${l.major}:${l.minor}` : JSON.stringify(l);
          })
          .sort();
      expect({ name, keys: keys(ours.get(name)) }).toEqual({ name, keys: keys(theirs.get(name)) });
    }
  });

  it('agrees on constants', () => {
    for (const name of ['node_memory_MemTotal_bytes', 'node_memory_SwapTotal_bytes', 'node_filefd_maximum']) {
      expect({ name, v: single(ours.get(name)) }).toEqual({ name, v: single(theirs.get(name)) });
    }
    expect(
      Math.abs(single(ours.get('node_boot_time_seconds')) - single(theirs.get('node_boot_time_seconds'))),
    ).toBeLessThanOrEqual(1);
    expect(values(ours.get('node_filesystem_size_bytes'))).toEqual(
      values(theirs.get('node_filesystem_size_bytes')),
    );
    expect(values(ours.get('node_filesystem_readonly'))).toEqual(
      values(theirs.get('node_filesystem_readonly')),
    );
    expect(values(ours.get('node_uname_info'))).toEqual(values(theirs.get('node_uname_info')));
    for (const name of ['node_network_up', 'node_network_mtu_bytes', 'node_network_speed_bytes']) {
      expect({ name, v: values(ours.get(name)) }).toEqual({ name, v: values(theirs.get(name)) });
    }
  });

  it('has counters close to node_exporter collected at the same moment', () => {
    const close = (name: string, tolerance: (v: number) => number): void => {
      const want = values(theirs.get(name));
      const got = values(ours.get(name));
      expect(got.size).toBe(want.size);
      for (const [k, v] of want) {
        const o = got.get(k);
        expect({ name, k, within: o !== undefined && Math.abs(o - v) <= tolerance(v) }).toEqual({
          name,
          k,
          within: true,
        });
      }
    };
    close('node_cpu_seconds_total', () => 3);
    close('node_network_receive_bytes_total', (v) => Math.max(64 * 1024, v * 0.01));
    close('node_network_transmit_bytes_total', (v) => Math.max(64 * 1024, v * 0.01));
    close('node_disk_reads_completed_total', (v) => Math.max(100, v * 0.01));
    close('node_context_switches_total', (v) => Math.max(50_000, v * 0.05));
    close('node_time_seconds', () => 5);
  });
});
