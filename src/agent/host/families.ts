import type { Label, Labels } from '../../model/labels.js';
import type { MetricFamily, MetricSample, MetricType } from '../../model/metric.js';

/**
 * Builders for the metric families host collectors emit. They skip the general sort in
 * `labelsFromRecord`: callers pass label names already in ascending order, and empty values are
 * dropped here so the {@link Labels} invariant (no empty values) holds.
 */

/** A label set from name/value pairs given in ascending name order; empty values are dropped. */
export function sortedLabels(...pairs: readonly (readonly [string, string])[]): Labels {
  const out: Label[] = [];
  for (const [name, value] of pairs) if (value !== '') out.push({ name, value });
  return out;
}

/** A one-label set (the most common shape: `device`, `collector`). */
export function oneLabel(name: string, value: string): Labels {
  return value === '' ? [] : [{ name, value }];
}

/** A sample of family `name` with `labels` (already valid) and `value`. */
export function sample(name: string, labels: Labels, value: number): MetricSample {
  return { name, labels, value };
}

/** A family whose samples all carry the family name. */
export function family(
  name: string,
  type: MetricType,
  help: string,
  samples: readonly MetricSample[],
): MetricFamily {
  return { name, type, help, samples };
}

/** A family with one unlabelled sample. */
export function scalar(name: string, type: MetricType, help: string, value: number): MetricFamily {
  return { name, type, help, samples: [{ name, labels: [], value }] };
}
