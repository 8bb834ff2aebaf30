import type { Labels } from '../../model/labels.js';

/**
 * Label limits of the store itself, as Prometheus's scrape options `label_limit`,
 * `label_name_length_limit` and `label_value_length_limit` have them: checked when a series is
 * created, whoever writes it (remote write, scrape, rules, the agent). 0 means unlimited.
 * Lengths are in UTF-16 code units (what a JS string's length counts), which equals bytes for
 * ASCII names and values.
 */
export interface LabelLimits {
  /** Most labels a series may have, `__name__` included. */
  readonly labelLimit: number;
  /** Longest label name. */
  readonly labelNameLengthLimit: number;
  /** Longest label value. */
  readonly labelValueLengthLimit: number;
}

/** Which limit a label set breaks, by its Prometheus option name. */
export type LabelLimitName = 'label_limit' | 'label_name_length_limit' | 'label_value_length_limit';

/** No limits. */
export const NO_LABEL_LIMITS: LabelLimits = {
  labelLimit: 0,
  labelNameLengthLimit: 0,
  labelValueLengthLimit: 0,
};

/** Whether any limit is set. */
export function hasLabelLimits(limits: LabelLimits): boolean {
  return limits.labelLimit > 0 || limits.labelNameLengthLimit > 0 || limits.labelValueLengthLimit > 0;
}

/** The first limit `labels` break, or null when within all of them. */
export function brokenLabelLimit(labels: Labels, limits: LabelLimits): LabelLimitName | null {
  if (limits.labelLimit > 0 && labels.length > limits.labelLimit) return 'label_limit';
  for (const l of labels) {
    if (limits.labelNameLengthLimit > 0 && l.name.length > limits.labelNameLengthLimit)
      return 'label_name_length_limit';
    if (limits.labelValueLengthLimit > 0 && l.value.length > limits.labelValueLengthLimit)
      return 'label_value_length_limit';
  }
  return null;
}

/**
 * A message naming the limit `labels` break and the offending value, as Prometheus words it
 * (`label_limit exceeded (metric: up, number of labels: 31, limit: 30)`), or null when within.
 */
export function labelLimitMessage(labels: Labels, limits: LabelLimits): string | null {
  const broken = brokenLabelLimit(labels, limits);
  if (broken === null) return null;
  const metric = labels.find((l) => l.name === '__name__')?.value ?? '';
  switch (broken) {
    case 'label_limit':
      return `label_limit exceeded (metric: ${metric}, number of labels: ${labels.length}, limit: ${limits.labelLimit})`;
    case 'label_name_length_limit': {
      const l = labels.find((x) => x.name.length > limits.labelNameLengthLimit)!;
      return `label_name_length_limit exceeded (metric: ${metric}, label name: ${l.name.slice(0, 64)}, length: ${l.name.length}, limit: ${limits.labelNameLengthLimit})`;
    }
    case 'label_value_length_limit': {
      const l = labels.find((x) => x.value.length > limits.labelValueLengthLimit)!;
      return `label_value_length_limit exceeded (metric: ${metric}, label name: ${l.name}, value: ${JSON.stringify(l.value.slice(0, 64))}, length: ${l.value.length}, limit: ${limits.labelValueLengthLimit})`;
    }
  }
}
