import type { Labels } from '../model/labels.js';
import { STALE_NAN } from '../model/sample.js';
import { SampleBatchBuilder, type SampleBatch } from './sample-batch.js';

/**
 * What one scrape loop remembers between scrapes of one target: the series it saw last time, so
 * that the next scrape can end vanished series with staleness markers (STALE_NAN) and count the
 * series that are new (`scrape_series_added`), as Prometheus's scrape cache does.
 * One instance per target; not for concurrent scrapes of the same target.
 */
export class ScrapeLoopState {
  /** Series of the last scrape by key; `tracked` is false for those with their own timestamps. */
  #previous = new Map<string, { labels: Labels; tracked: boolean }>();
  #report: Labels[] = [];

  /** How many series the last scrape produced. */
  get seriesCount(): number {
    return this.#previous.size;
  }

  /**
   * Records the series of the scrape just made (key → labels and whether staleness applies) and
   * returns how many are new and the labels of tracked series that vanished. A failed scrape
   * passes an empty map: every tracked series then goes stale, as in Prometheus.
   */
  observe(current: ReadonlyMap<string, { labels: Labels; tracked: boolean }>): {
    added: number;
    vanished: Labels[];
  } {
    let added = 0;
    for (const key of current.keys()) if (!this.#previous.has(key)) added++;
    const vanished: Labels[] = [];
    for (const [key, prev] of this.#previous) {
      if (prev.tracked && !current.has(key)) vanished.push(prev.labels);
    }
    this.#previous = new Map(current);
    return { added, vanished };
  }

  /** Remembers the labels of the report series (`up`, …) last written, for {@link endOfRun}. */
  setReportSeries(labels: readonly Labels[]): void {
    this.#report = [...labels];
  }

  /**
   * Staleness markers at `timestampMs` for every tracked series of the last scrape and the report
   * series, as Prometheus writes when a target goes away or its loop stops. Resets the state.
   */
  endOfRun(timestampMs: number): SampleBatch {
    const b = new SampleBatchBuilder();
    for (const { labels, tracked } of this.#previous.values())
      if (tracked) b.add(labels, timestampMs, STALE_NAN);
    for (const labels of this.#report) b.add(labels, timestampMs, STALE_NAN);
    this.#previous = new Map();
    this.#report = [];
    return b.build();
  }
}

/** A series' identity as a string, for maps and sets. */
export function labelsKey(labels: Labels): string {
  let key = '';
  for (const l of labels) key += `${l.name}\u0000${l.value}\u0001`;
  return key;
}
