import type { Labels } from './labels.js';

/**
 * Metric families as the exposition formats carry them: what a collector, a plugin or a scrape
 * produces before the samples become series.
 */

/** Metric types of the text format 0.0.4 and OpenMetrics. */
export type MetricType =
  'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset' | 'unknown';

/** One sample of a family. `labels` exclude `__name__`; `name` may carry a suffix (`_bucket`). */
export interface MetricSample {
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
  /** Milliseconds since the epoch; absent means "the collection time". */
  readonly timestampMs?: number;
}

/** A named family of samples with its type and help. */
export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly unit?: string;
  readonly samples: readonly MetricSample[];
}
