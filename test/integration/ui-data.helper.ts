/**
 * Generated data for the web UI's end-to-end test and benchmark: node_exporter-named series of
 * hosts over a time window, sent to a Kanshi server by remote_write, and check results sent by the
 * agent API. Deterministic: the values are functions of time and series index, no randomness.
 */
import { labelsFromRecord } from '../../src/model/labels.js';
import type { CheckReportResult } from '../../src/model/check-report.js';
import { encodeWriteRequest, type WriteRequest } from '../../src/remotewrite/write-request.js';

type TimeSeries = WriteRequest['timeseries'][number];

/** One generated series: labels and a value at time t (ms) and step index i. */
interface Gen {
  readonly labels: Record<string, string>;
  readonly value: (t: number, i: number) => number;
}

const GiB = 1024 ** 3;

/** The node_exporter series the host page draws, for one host. */
export function nodeSeries(host: string): Gen[] {
  const base = { instance: host, job: 'node' };
  const gens: Gen[] = [];
  const modes: [string, number][] = [
    ['user', 0.3],
    ['system', 0.1],
    ['iowait', 0.02],
    ['idle', 0.58],
  ];
  for (const cpu of ['0', '1']) {
    for (const [mode, share] of modes) {
      gens.push({
        labels: { ...base, __name__: 'node_cpu_seconds_total', cpu, mode },
        // A counter whose rate wobbles around `share` of a CPU.
        value: (t) => (t / 1000) * share + Math.sin(t / 600_000) * 60 * share,
      });
    }
  }
  const wave = (t: number, period: number) => Math.sin((t / period) * 2 * Math.PI);
  gens.push(
    { labels: { ...base, __name__: 'node_load1' }, value: (t) => 1.2 + wave(t, 1_800_000) },
    { labels: { ...base, __name__: 'node_load5' }, value: (t) => 1.1 + 0.6 * wave(t, 3_600_000) },
    { labels: { ...base, __name__: 'node_load15' }, value: (t) => 1 + 0.3 * wave(t, 7_200_000) },
    { labels: { ...base, __name__: 'node_memory_MemTotal_bytes' }, value: () => 8 * GiB },
    {
      labels: { ...base, __name__: 'node_memory_MemAvailable_bytes' },
      value: (t) => (4 + wave(t, 3_600_000)) * GiB,
    },
    { labels: { ...base, __name__: 'node_memory_Buffers_bytes' }, value: () => 0.2 * GiB },
    { labels: { ...base, __name__: 'node_memory_Cached_bytes' }, value: () => 2.5 * GiB },
    { labels: { ...base, __name__: 'node_memory_SwapTotal_bytes' }, value: () => 2 * GiB },
    { labels: { ...base, __name__: 'node_memory_SwapFree_bytes' }, value: () => 1.8 * GiB },
  );
  for (const [mountpoint, device, size] of [
    ['/', '/dev/sda1', 100 * GiB],
    ['/boot', '/dev/sda2', 1 * GiB],
  ] as const) {
    const fs = { ...base, mountpoint, device, fstype: 'ext4' };
    gens.push(
      { labels: { ...fs, __name__: 'node_filesystem_size_bytes' }, value: () => size },
      {
        labels: { ...fs, __name__: 'node_filesystem_avail_bytes' },
        value: (_t, i) => size * (0.6 - i * 1e-5),
      },
    );
  }
  gens.push({
    labels: { ...base, __name__: 'node_disk_io_time_seconds_total', device: 'sda' },
    value: (t) => (t / 1000) * 0.15,
  });
  for (const [name, perSec] of [
    ['node_network_receive_bytes_total', 120_000],
    ['node_network_transmit_bytes_total', 40_000],
    ['node_network_receive_errs_total', 0.01],
    ['node_network_transmit_errs_total', 0],
    ['node_network_receive_drop_total', 0.05],
    ['node_network_transmit_drop_total', 0],
  ] as const) {
    gens.push({ labels: { ...base, __name__: name, device: 'eth0' }, value: (t) => (t / 1000) * perSec });
  }
  for (const [name, perSec] of [
    ['node_pressure_cpu_waiting_seconds_total', 0.03],
    ['node_pressure_memory_waiting_seconds_total', 0.001],
    ['node_pressure_io_waiting_seconds_total', 0.02],
  ] as const) {
    gens.push({ labels: { ...base, __name__: name }, value: (t) => (t / 1000) * perSec });
  }
  return gens;
}

/** `count` extra gauge series `kanshi_bench_gauge{series="<i>"}` of one host, for the benchmark. */
export function benchSeries(host: string, count: number): Gen[] {
  return Array.from({ length: count }, (_, s) => ({
    labels: { __name__: 'kanshi_bench_gauge', instance: host, job: 'bench', series: String(s) },
    value: (t: number) => 50 + 40 * Math.sin(t / 3_600_000 + s),
  }));
}

/**
 * remote_write bodies for `gens` from `startMs` to `endMs` every `stepMs`, at most
 * `samplesPerBody` samples each, series in order of time within each body.
 */
export function writeBodies(
  gens: readonly Gen[],
  range: { startMs: number; endMs: number; stepMs: number },
  samplesPerBody = 200_000,
): Uint8Array[] {
  const times: number[] = [];
  for (let t = range.startMs; t <= range.endMs; t += range.stepMs) times.push(t);
  const bodies: Uint8Array[] = [];
  let batch: TimeSeries[] = [];
  let n = 0;
  const flush = () => {
    if (batch.length > 0) bodies.push(encodeWriteRequest({ timeseries: batch }));
    batch = [];
    n = 0;
  };
  // Chunks of time, each with every series, so each series' samples arrive in order.
  const perChunk = Math.max(1, Math.floor(samplesPerBody / Math.max(gens.length, 1)));
  for (let c = 0; c < times.length; c += perChunk) {
    const slice = times.slice(c, c + perChunk);
    for (const g of gens) {
      batch.push({
        labels: labelsFromRecord(g.labels),
        samples: slice.map((t, k) => ({ timestamp: t, value: g.value(t, c + k) })),
      });
      n += slice.length;
    }
    if (n >= samplesPerBody) flush();
  }
  flush();
  return bodies;
}

/** POSTs remote_write bodies to `url` in order; throws on a non-2xx answer. */
export async function remoteWrite(url: string, bodies: readonly Uint8Array[]): Promise<void> {
  for (const body of bodies) {
    const res = await fetch(`${url}/api/v1/write`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-protobuf',
        'content-encoding': 'snappy',
        'x-prometheus-remote-write-version': '0.1.0',
      },
      body,
    });
    if (!res.ok) throw new Error(`remote_write to ${url}: ${res.status} ${await res.text()}`);
  }
}

/** A check result as an agent sends it. */
export function checkResult(
  check: string,
  status: CheckReportResult['status'],
  message: string,
  startedAt: number,
  perfdata: CheckReportResult['perfdata'] = [],
): Partial<CheckReportResult> {
  return { check, status, message, long_output: '', perfdata, started_at: startedAt, duration_ms: 12 };
}

/** POSTs check results of `host` to the agent API of `url`. */
export async function sendChecks(
  url: string,
  host: string,
  results: readonly Partial<CheckReportResult>[],
): Promise<void> {
  const res = await fetch(`${url}/api/agent/v1/check-results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ host, results }),
  });
  if (!res.ok) throw new Error(`check results to ${url}: ${res.status} ${await res.text()}`);
}
