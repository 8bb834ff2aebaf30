import type { Labels } from '../model/labels.js';
import type { AppendRejection, Appender } from '../storage/storage.js';

/**
 * Samples of many series in columns. Values live in a Float64Array so that the staleness marker
 * (STALE_NAN, a NaN with a specific payload) survives: V8 may canonicalize NaNs kept in plain
 * arrays or object fields.
 */
export interface SampleBatch {
  readonly length: number;
  /** Full label sets, `__name__` included, sorted. */
  readonly labels: readonly Labels[];
  /** ms since the epoch. */
  readonly timestampsMs: Float64Array;
  readonly values: Float64Array;
}

/** Collects samples into a {@link SampleBatch}; grows as needed. Not for concurrent use. */
export class SampleBatchBuilder {
  #labels: Labels[] = [];
  #t = new Float64Array(64);
  #v = new Float64Array(64);

  get length(): number {
    return this.#labels.length;
  }

  add(labels: Labels, timestampMs: number, value: number): void {
    const n = this.#labels.length;
    if (n === this.#t.length) {
      const t = new Float64Array(n * 2);
      t.set(this.#t);
      this.#t = t;
      const v = new Float64Array(n * 2);
      v.set(this.#v);
      this.#v = v;
    }
    this.#labels.push(labels);
    this.#t[n] = timestampMs;
    this.#v[n] = value;
  }

  /** The batch so far; the builder must not be used afterwards. */
  build(): SampleBatch {
    const n = this.#labels.length;
    return {
      length: n,
      labels: this.#labels,
      timestampsMs: this.#t.subarray(0, n),
      values: this.#v.subarray(0, n),
    };
  }
}

/** What {@link appendBatch} did. */
export interface AppendOutcome {
  readonly appended: number;
  /** Rejected samples by reason (out of order, duplicate, …); absent reasons did not occur. */
  readonly rejected: Partial<Record<AppendRejection, number>>;
}

/**
 * Appends every sample of `batch` to `appender` (the caller commits or rolls back). Rejections are
 * counted, as Prometheus's scrape loop counts out-of-order and duplicate samples, not thrown.
 */
export function appendBatch(batch: SampleBatch, appender: Appender): AppendOutcome {
  let appended = 0;
  const rejected: Partial<Record<AppendRejection, number>> = {};
  for (let i = 0; i < batch.length; i++) {
    const r = appender.append(batch.labels[i]!, batch.timestampsMs[i]!, batch.values[i]!);
    if (r === null) appended++;
    else rejected[r] = (rejected[r] ?? 0) + 1;
  }
  return { appended, rejected };
}
