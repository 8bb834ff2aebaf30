/**
 * Label sets, as Prometheus models them: a series is identified by its labels, `__name__` among
 * them. A {@link Labels} value is sorted by name with unique names and no empty values; build one
 * with {@link labelsFromRecord} or {@link sortLabels}, never by hand.
 */

/** One label. */
export interface Label {
  readonly name: string;
  readonly value: string;
}

/** A label set: sorted by name, names unique, no empty values. Immutable by convention. */
export type Labels = readonly Label[];

/** The label that carries the metric name. */
export const METRIC_NAME = '__name__';

/** Valid metric names ([a-zA-Z_:][a-zA-Z0-9_:]*), as the classic Prometheus data model has them. */
export const metricNameRe = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** Valid label names ([a-zA-Z_][a-zA-Z0-9_]*). */
export const labelNameRe = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Sorts labels by name and drops empty values; a later duplicate name wins. */
export function sortLabels(labels: Iterable<Label>): Labels {
  const byName = new Map<string, string>();
  for (const l of labels) byName.set(l.name, l.value);
  const out: Label[] = [];
  for (const [name, value] of byName) if (value !== '') out.push({ name, value });
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

/** A label set from a plain object (`{ __name__: 'up', job: 'node' }`). */
export function labelsFromRecord(record: Readonly<Record<string, string>>): Labels {
  return sortLabels(Object.entries(record).map(([name, value]) => ({ name, value })));
}

/** A plain object from a label set. */
export function labelsToRecord(labels: Labels): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) out[l.name] = l.value;
  return out;
}

/** The value of `name`, or '' when absent (Prometheus's convention). */
export function getLabel(labels: Labels, name: string): string {
  for (const l of labels) if (l.name === name) return l.value;
  return '';
}

/** Escapes a label value for the text exposition format and PromQL strings. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** `name{a="1",b="2"}` as Prometheus prints a series. */
export function formatSeries(labels: Labels): string {
  const name = getLabel(labels, METRIC_NAME);
  const rest = labels.filter((l) => l.name !== METRIC_NAME);
  if (rest.length === 0) return name === '' ? '{}' : name;
  return `${name}{${rest.map((l) => `${l.name}="${escapeLabelValue(l.value)}"`).join(', ')}}`;
}

/** Compares two label sets the way Prometheus orders series. */
export function compareLabels(a: Labels, b: Labels): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.name !== y.name) return x.name < y.name ? -1 : 1;
    if (x.value !== y.value) return x.value < y.value ? -1 : 1;
  }
  return a.length - b.length;
}
