import { METRIC_NAME, sortLabels, type Label, type Labels } from '../model/labels.js';
import type { MetricFamily } from '../model/metric.js';
import { STALE_NAN } from '../model/sample.js';

/**
 * Turning what a collector produced (metric families) into series samples, and ending series that
 * disappeared with staleness markers, as Prometheus's scrape loop does, so a check removed from the
 * config or a filesystem unmounted stops showing within one interval instead of five minutes.
 */

/** One sample of one series, ready for an Appender or the send queue. */
export interface SeriesSample {
  readonly labels: Labels;
  /** ms since the epoch. */
  readonly t: number;
  readonly v: number;
}

/**
 * Flattens families into samples: each gets `__name__` and `extra` labels (which do not override
 * labels the sample has), and `atMs` unless it carries its own timestamp.
 */
export function familiesToSamples(
  families: readonly MetricFamily[],
  extra: readonly Label[],
  atMs: number,
): SeriesSample[] {
  const out: SeriesSample[] = [];
  for (const f of families) {
    for (const s of f.samples) {
      const labels: Label[] = [...extra, ...s.labels, { name: METRIC_NAME, value: s.name }];
      out.push({ labels: sortLabels(labels), t: s.timestampMs ?? atMs, v: s.value });
    }
  }
  return out;
}

/** A series' identity as a string, for sets and maps. */
export function seriesKey(labels: Labels): string {
  let key = '';
  for (const l of labels) key += `${l.name}\u0000${l.value}\u0001`;
  return key;
}

/**
 * Remembers which series one job produced last time. {@link markStale} returns a staleness marker
 * for every series that was there before and is not now.
 */
export class StalenessTracker {
  #previous = new Map<string, Labels>();

  /** Markers at `atMs` for the series that vanished since the last call; remembers `samples`. */
  markStale(samples: readonly SeriesSample[], atMs: number): SeriesSample[] {
    const current = new Map<string, Labels>();
    for (const s of samples) current.set(seriesKey(s.labels), s.labels);
    const stale: SeriesSample[] = [];
    for (const [key, labels] of this.#previous) {
      if (!current.has(key)) stale.push({ labels, t: atMs, v: STALE_NAN });
    }
    this.#previous = current;
    return stale;
  }

  /** Markers for every series still remembered (the job is going away). */
  endAll(atMs: number): SeriesSample[] {
    const out = [...this.#previous.values()].map((labels) => ({ labels, t: atMs, v: STALE_NAN }));
    this.#previous = new Map();
    return out;
  }
}
