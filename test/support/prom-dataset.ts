import { labelsFromRecord, type Labels } from '../../src/model/labels.js';
import { STALE_NAN } from '../../src/model/sample.js';
import { encodeWriteRequest, type TimeSeries } from '../../src/remotewrite/write-request.js';
import { prng } from './prng.js';

/**
 * One deterministic data set for comparing Kanshi's PromQL with Prometheus's: counters with
 * resets, gauges with a NaN, classic histograms (`le` buckets, `_sum`, `_count`), an info metric
 * for joins, series that start late and series that end with a staleness marker, over several
 * jobs and instances. Every sample lies 1–999 ms off the whole second, so no sample ever sits on
 * a range boundary of a query evaluated at whole seconds: Prometheus 2.x's closed ranges and
 * 3.x's left-open ones then select the same samples.
 */

/** First sample time (ms); a multiple of 60 s so query times can be placed between subquery steps. */
export const DATASET_T0 = 1_699_999_980_000;
/** Sample interval (ms). */
export const DATASET_STEP_MS = 15_000;

/** A series with its samples; values in a Float64Array so STALE_NAN survives. */
export interface DatasetSeries {
  readonly labels: Labels;
  readonly ts: number[];
  readonly vs: Float64Array;
}

/** Options of {@link generateDataset}. */
export interface DatasetOptions {
  /** Samples per series; default 480 (2 h at 15 s). */
  readonly points?: number;
  /** Instances per job; default 5. */
  readonly instancesPerJob?: number;
  readonly seed?: number;
}

/** Builds the data set; same options, same data. */
export function generateDataset(options: DatasetOptions = {}): DatasetSeries[] {
  const points = options.points ?? 480;
  const perJob = options.instancesPerJob ?? 5;
  const rnd = prng(options.seed ?? 42);
  const out: DatasetSeries[] = [];
  const series = (
    record: Record<string, string>,
    value: (i: number, prev: number) => number,
    opts: { from?: number; to?: number; stale?: boolean } = {},
  ): void => {
    const from = opts.from ?? 0;
    const to = opts.to ?? points;
    const ts: number[] = [];
    const vs = new Float64Array(to - from + (opts.stale ? 1 : 0));
    let prev = 0;
    for (let i = from; i < to; i++) {
      ts.push(DATASET_T0 + i * DATASET_STEP_MS + 1 + Math.floor(rnd() * 999));
      prev = value(i, prev);
      vs[i - from] = prev;
    }
    if (opts.stale) {
      ts.push(DATASET_T0 + to * DATASET_STEP_MS + 1 + Math.floor(rnd() * 999));
      vs[to - from] = STALE_NAN;
    }
    out.push({ labels: labelsFromRecord(record), ts, vs });
  };

  const jobs = ['api', 'web', 'db'];
  for (const job of jobs) {
    for (let n = 0; n < perJob; n++) {
      const instance = `host-${n}:9100`;
      const base = { job, instance };
      for (const method of ['GET', 'POST']) {
        for (const code of ['200', '500']) {
          const rate = (code === '200' ? 20 : 1) * (method === 'GET' ? 3 : 1) * (1 + n / 3);
          const resetAt = 1 + Math.floor(rnd() * points * 2); // about half of them reset once
          // Counters start high: Prometheus 2.x and 3.x limit the extrapolation of rate() to the
          // counter's zero point in a different order, which only shows where a window covers a
          // series' first sample and that sample is small.
          series({ __name__: 'kanshi_http_requests_total', ...base, method, code }, (i, prev) =>
            i === 0
              ? 10_000 + Math.floor(rnd() * 1000)
              : i === resetAt
                ? Math.floor(rnd() * 5)
                : prev + Math.round(rate * (0.5 + rnd())),
          );
        }
      }
      series({ __name__: 'kanshi_cpu_temp_celsius', ...base }, (i) =>
        n === 1 && i === 200 ? NaN : 40 + 10 * Math.sin(i / 30 + n) + rnd() * 2,
      );
      series({ __name__: 'kanshi_up', ...base }, (i) => (n === 2 && i > 300 && i < 340 ? 0 : 1));
      series({ __name__: 'kanshi_build_info', ...base, version: n % 2 === 0 ? '1.0.0' : '1.1.0' }, () => 1);
      for (const queue of ['q0', 'q1', 'q2']) {
        const opts =
          queue === 'q2'
            ? { to: Math.floor(points * 0.6), stale: true }
            : queue === 'q1' && n === 0
              ? { from: Math.floor(points / 2) }
              : {};
        series({ __name__: 'kanshi_queue_length', ...base, queue }, () => Math.floor(rnd() * 100), opts);
      }
      // A classic histogram: cumulative bucket counters that grow together.
      const bounds = ['0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
      const counts = new Float64Array(points * bounds.length);
      const sums = new Float64Array(points);
      let sum = 5000;
      // High starting counts for the same reason as the counters above.
      const acc = Float64Array.from(bounds, (_, b) => 10_000 + 1000 * b);
      for (let i = 0; i < points; i++) {
        const obs = 5 + Math.floor(rnd() * 20);
        for (let k = 0; k < obs; k++) {
          const x = rnd() ** 2 * (job === 'db' ? 3 : 1.2);
          sum += x;
          for (let b = 0; b < bounds.length; b++)
            if (b === bounds.length - 1 || x <= Number(bounds[b])) acc[b]!++;
        }
        for (let b = 0; b < bounds.length; b++) counts[i * bounds.length + b] = acc[b]!;
        sums[i] = sum;
      }
      bounds.forEach((le, b) => {
        series(
          { __name__: 'kanshi_request_duration_seconds_bucket', ...base, le },
          (i) => counts[i * bounds.length + b]!,
        );
      });
      series({ __name__: 'kanshi_request_duration_seconds_sum', ...base }, (i) => sums[i]!);
      series(
        { __name__: 'kanshi_request_duration_seconds_count', ...base },
        (i) => counts[i * bounds.length + bounds.length - 1]!,
      );
    }
  }
  return out;
}

/**
 * The data set as snappy-compressed remote_write bodies, in time windows of `windowMs` across all
 * series, oldest first: Prometheus's head refuses samples older than half a block behind its
 * newest one, so every series must advance together.
 */
export function* remoteWriteBodies(data: readonly DatasetSeries[], windowMs: number): Generator<Uint8Array> {
  let minT = Infinity;
  let maxT = -Infinity;
  for (const s of data) {
    if (s.ts.length === 0) continue;
    minT = Math.min(minT, s.ts[0]!);
    maxT = Math.max(maxT, s.ts[s.ts.length - 1]!);
  }
  const cursor = new Array<number>(data.length).fill(0);
  for (let lo = minT; lo <= maxT; lo += windowMs) {
    const hi = lo + windowMs;
    const timeseries: TimeSeries[] = [];
    data.forEach((s, idx) => {
      const samples: { value: number; timestamp: number }[] = [];
      let i = cursor[idx]!;
      while (i < s.ts.length && s.ts[i]! < hi) {
        samples.push({ value: s.vs[i]!, timestamp: s.ts[i]! });
        i++;
      }
      cursor[idx] = i;
      if (samples.length > 0) timeseries.push({ labels: s.labels, samples });
    });
    if (timeseries.length > 0) yield encodeWriteRequest({ timeseries });
  }
}

/** POSTs every body to `<baseUrl>/api/v1/write`; throws on a non-2xx answer. */
export async function pushRemoteWrite(baseUrl: string, bodies: Iterable<Uint8Array>): Promise<number> {
  let n = 0;
  for (const body of bodies) {
    const res = await fetch(`${baseUrl}/api/v1/write`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-protobuf',
        'content-encoding': 'snappy',
        'x-prometheus-remote-write-version': '0.1.0',
      },
      body,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`remote write to ${baseUrl}: ${res.status} ${text}`);
    n++;
  }
  return n;
}
