import { errorMessage } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import type { CheckReportResult } from '../model/check-report.js';
import type { TimeSeries } from '../remotewrite/write-request.js';
import type { AgentSink } from './agent.js';
import type { SeriesSample } from './series.js';
import { seriesKey } from './series.js';
import type { DiskQueue } from './shipper/disk-queue.js';
import { checksBatch, metricsBatch } from './shipper/shipper.js';

/**
 * The sink of `kanshi agent`: every job run becomes one durable batch in the disk queue (a
 * remote_write request, or a check report), which the Shipper delivers in order. A batch is on
 * disk before the call resolves, so a crash of the agent loses at most the run in progress.
 */
export class ShippingSink implements AgentSink {
  readonly #queue: DiskQueue;
  readonly #log: Logger;

  constructor(queue: DiskQueue, logger: Logger) {
    this.#queue = queue;
    this.#log = logger;
  }

  async writeSamples(samples: readonly SeriesSample[]): Promise<void> {
    if (samples.length === 0) return;
    try {
      await this.#queue.enqueue(metricsBatch({ timeseries: groupBySeries(samples) }));
    } catch (e) {
      this.#log.error({ err: errorMessage(e), samples: samples.length }, 'cannot queue samples');
    }
  }

  async writeCheckResults(host: string, results: readonly CheckReportResult[]): Promise<void> {
    if (results.length === 0) return;
    try {
      await this.#queue.enqueue(checksBatch({ host, results }));
    } catch (e) {
      this.#log.error({ err: errorMessage(e), results: results.length }, 'cannot queue check results');
    }
  }
}

/** One remote_write time series per label set, samples in time order. */
export function groupBySeries(samples: readonly SeriesSample[]): TimeSeries[] {
  const bySeries = new Map<
    string,
    { labels: SeriesSample['labels']; samples: { value: number; timestamp: number }[] }
  >();
  for (const s of samples) {
    const key = seriesKey(s.labels);
    let ts = bySeries.get(key);
    if (!ts) {
      ts = { labels: s.labels, samples: [] };
      bySeries.set(key, ts);
    }
    ts.samples.push({ value: s.v, timestamp: s.t });
  }
  for (const ts of bySeries.values()) ts.samples.sort((a, b) => a.timestamp - b.timestamp);
  return [...bySeries.values()];
}
