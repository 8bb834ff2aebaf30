import { errorMessage } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import type { CheckReportResult } from '../model/check-report.js';
import type { TimeSeries } from '../remotewrite/write-request.js';
import type { AgentSink } from './agent.js';
import type { SeriesSample } from './series.js';
import { seriesKey } from './series.js';
import type { DiskQueue } from './shipper/disk-queue.js';
import { checksBatch, metricsBatch } from './shipper/shipper.js';

/** Options of {@link ShippingSink}. */
export interface ShippingSinkOptions {
  /**
   * How long job runs are gathered into one batch before it is queued, ms. Default 5000, the
   * batch_send_deadline of Prometheus's remote-write queue; 0 queues every run on its own.
   */
  flushDelayMs?: number;
  /** Queue at once when this many samples are waiting. Default 10 000. */
  maxPendingSamples?: number;
}

/**
 * The sink of `kanshi agent`: the job runs of a short window ({@link ShippingSinkOptions}) become
 * one durable remote_write batch and one check report per host in the disk queue, which the
 * Shipper delivers in order. A call resolves once its data is on disk, so a crash of the agent
 * loses at most the runs whose calls have not resolved. Why a window: 50 checks a minute made
 * ~130 batches, each an fsync, a read, an HTTP request and a cursor fsync; that was the largest
 * part of the agent's CPU after forking.
 */
export class ShippingSink implements AgentSink {
  readonly #queue: DiskQueue;
  readonly #log: Logger;
  #flushDelayMs: number;
  readonly #maxPendingSamples: number;
  #samples: SeriesSample[] = [];
  #results = new Map<string, CheckReportResult[]>();
  #flush: { done: Promise<void>; timer: NodeJS.Timeout; fire: () => void } | undefined;
  /** Flushes run one at a time, so batches are queued in the order of the runs. */
  #chain: Promise<void> = Promise.resolve();

  constructor(queue: DiskQueue, logger: Logger, options: ShippingSinkOptions = {}) {
    this.#queue = queue;
    this.#log = logger;
    this.#flushDelayMs = options.flushDelayMs ?? 5000;
    this.#maxPendingSamples = options.maxPendingSamples ?? 10_000;
  }

  writeSamples(samples: readonly SeriesSample[]): Promise<void> {
    if (samples.length === 0) return Promise.resolve();
    for (const s of samples) this.#samples.push(s);
    return this.#scheduled(this.#flushDelayMs === 0 || this.#samples.length >= this.#maxPendingSamples);
  }

  writeCheckResults(host: string, results: readonly CheckReportResult[]): Promise<void> {
    if (results.length === 0) return Promise.resolve();
    let list = this.#results.get(host);
    if (!list) {
      list = [];
      this.#results.set(host, list);
    }
    for (const r of results) list.push(r);
    return this.#scheduled(this.#flushDelayMs === 0);
  }

  /** Queues what is waiting now; resolves when it is on disk. */
  flush(): Promise<void> {
    return this.#scheduled(true);
  }

  /** For shutdown: queues what is waiting and, from now on, every call at once. */
  stopGathering(): Promise<void> {
    this.#flushDelayMs = 0;
    return this.flush();
  }

  /** The pending flush (started now when `isNow`), which resolves when the data is on disk. */
  #scheduled(isNow: boolean): Promise<void> {
    if (this.#flush === undefined) {
      let fire!: () => void;
      const started = new Promise<void>((resolve) => (fire = resolve));
      const done = started.then(() => this.#runFlush());
      this.#flush = { done, fire, timer: setTimeout(fire, this.#flushDelayMs) };
    }
    if (isNow) this.#flush.fire();
    return this.#flush.done;
  }

  #runFlush(): Promise<void> {
    if (this.#flush) clearTimeout(this.#flush.timer);
    this.#flush = undefined;
    const samples = this.#samples;
    const results = this.#results;
    this.#samples = [];
    this.#results = new Map();
    const run = this.#chain.then(async () => {
      if (samples.length > 0) {
        try {
          await this.#queue.enqueue(metricsBatch({ timeseries: groupBySeries(samples) }));
        } catch (e) {
          this.#log.error({ err: errorMessage(e), samples: samples.length }, 'cannot queue samples');
        }
      }
      for (const [host, list] of results) {
        try {
          await this.#queue.enqueue(checksBatch({ host, results: list }));
        } catch (e) {
          this.#log.error({ err: errorMessage(e), results: list.length }, 'cannot queue check results');
        }
      }
    });
    this.#chain = run;
    return run;
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
