import { sortLabels, type Label } from '../model/labels.js';
import type { MetricFamily, MetricSample } from '../model/metric.js';

/**
 * Kanshi's own instruments (`kanshi_<subsystem>_<name>_<unit>[_total]`), collected into metric
 * families for a `/metrics` endpoint. A registry is passed down, never global.
 */

type LabelValues = Readonly<Record<string, string>>;

interface Instrument {
  collect(): MetricFamily;
}

/** Holds instruments and renders them as families. */
export class Registry {
  readonly #instruments = new Map<string, Instrument>();
  readonly #collectors: (() => MetricFamily[])[] = [];

  counter(name: string, help: string): Counter {
    return this.#register(name, new Counter(name, help));
  }

  gauge(name: string, help: string): Gauge {
    return this.#register(name, new Gauge(name, help));
  }

  /** A histogram with upper bounds `buckets` (seconds for durations); +Inf is implied. */
  histogram(name: string, help: string, buckets: readonly number[] = DEFAULT_BUCKETS): Histogram {
    return this.#register(name, new Histogram(name, help, buckets));
  }

  /** Adds a callback that produces families at collection time (gauges read from elsewhere). */
  addCollector(collect: () => MetricFamily[]): void {
    this.#collectors.push(collect);
  }

  collect(): MetricFamily[] {
    const out = [...this.#instruments.values()].map((i) => i.collect());
    for (const c of this.#collectors) out.push(...c());
    return out;
  }

  #register<T extends Instrument>(name: string, instrument: T): T {
    const existing = this.#instruments.get(name);
    if (existing) return existing as T;
    this.#instruments.set(name, instrument);
    return instrument;
  }
}

/** Prometheus client libraries' default buckets, in seconds. */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function keyOf(labels: LabelValues): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function toLabels(labels: LabelValues, extra?: Label): Label[] {
  const out = Object.entries(labels).map(([name, value]) => ({ name, value }));
  if (extra) out.push(extra);
  return [...sortLabels(out)];
}

/** A monotonically increasing count. */
export class Counter implements Instrument {
  readonly #values = new Map<string, { labels: LabelValues; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: LabelValues = {}, by = 1): void {
    const key = keyOf(labels);
    const cur = this.#values.get(key);
    if (cur) cur.value += by;
    else this.#values.set(key, { labels, value: by });
  }

  get(labels: LabelValues = {}): number {
    return this.#values.get(keyOf(labels))?.value ?? 0;
  }

  collect(): MetricFamily {
    const samples: MetricSample[] = [...this.#values.values()].map((e) => ({
      name: this.name,
      labels: toLabels(e.labels),
      value: e.value,
    }));
    return { name: this.name, type: 'counter', help: this.help, samples };
  }
}

/** A value that goes up and down. */
export class Gauge implements Instrument {
  readonly #values = new Map<string, { labels: LabelValues; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  set(value: number, labels: LabelValues = {}): void {
    this.#values.set(keyOf(labels), { labels, value });
  }

  get(labels: LabelValues = {}): number | undefined {
    return this.#values.get(keyOf(labels))?.value;
  }

  delete(labels: LabelValues = {}): void {
    this.#values.delete(keyOf(labels));
  }

  collect(): MetricFamily {
    const samples: MetricSample[] = [...this.#values.values()].map((e) => ({
      name: this.name,
      labels: toLabels(e.labels),
      value: e.value,
    }));
    return { name: this.name, type: 'gauge', help: this.help, samples };
  }
}

/** Observations counted into cumulative buckets, with their sum and count. */
export class Histogram implements Instrument {
  readonly #series = new Map<string, { labels: LabelValues; counts: number[]; sum: number; count: number }>();
  readonly #buckets: readonly number[];

  constructor(
    readonly name: string,
    readonly help: string,
    buckets: readonly number[],
  ) {
    this.#buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(value: number, labels: LabelValues = {}): void {
    const key = keyOf(labels);
    let s = this.#series.get(key);
    if (!s) {
      s = { labels, counts: this.#buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    for (let i = 0; i < this.#buckets.length; i++) if (value <= this.#buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  collect(): MetricFamily {
    const samples: MetricSample[] = [];
    for (const s of this.#series.values()) {
      this.#buckets.forEach((le, i) => {
        samples.push({
          name: `${this.name}_bucket`,
          labels: toLabels(s.labels, { name: 'le', value: String(le) }),
          value: s.counts[i]!,
        });
      });
      samples.push({
        name: `${this.name}_bucket`,
        labels: toLabels(s.labels, { name: 'le', value: '+Inf' }),
        value: s.count,
      });
      samples.push({ name: `${this.name}_sum`, labels: toLabels(s.labels), value: s.sum });
      samples.push({ name: `${this.name}_count`, labels: toLabels(s.labels), value: s.count });
    }
    return { name: this.name, type: 'histogram', help: this.help, samples };
  }
}
