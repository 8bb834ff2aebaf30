import { compareLabels, type Labels } from '../model/labels.js';
import { isStaleNaN } from '../model/sample.js';
import { matchesAll } from './matcher.js';
import type {
  Appender,
  AppendRejection,
  Matcher,
  Querier,
  SampleIterator,
  Series,
  SelectHints,
  Storage,
} from './storage.js';

/**
 * An in-memory {@link Storage} for tests and tools: no durability, no limits. Samples of a series
 * must arrive in time order (an older one is `out_of_order`); the same timestamp with another
 * value is a `duplicate`, with the same value a no-op, as Prometheus's head behaves.
 */
export class MemoryStorage implements Storage {
  readonly #series = new Map<string, MemorySeries>();

  appender(): Appender {
    const pending: { labels: Labels; t: number; v: number }[] = [];
    const lastPending = new Map<string, number>();
    return {
      append: (labels, t, v): AppendRejection | null => {
        const key = seriesKey(labels);
        const s = this.#series.get(key);
        const lastT = lastPending.get(key) ?? (s && s.ts.length > 0 ? s.ts[s.ts.length - 1]! : -Infinity);
        if (t < lastT) return 'out_of_order';
        if (t === lastT) {
          const lastV = s && s.ts.length > 0 ? s.vs[s.ts.length - 1] : undefined;
          if (lastPending.has(key) || lastV === undefined) return 'duplicate';
          if (!Object.is(lastV, v) && !(isStaleNaN(lastV) && isStaleNaN(v))) return 'duplicate';
          return null;
        }
        pending.push({ labels, t, v });
        lastPending.set(key, t);
        return null;
      },
      commit: () => {
        for (const p of pending) {
          const key = seriesKey(p.labels);
          let s = this.#series.get(key);
          if (!s) {
            s = { labels: p.labels, ts: [], vs: new Float64Array(16) };
            this.#series.set(key, s);
          }
          if (s.ts.length === s.vs.length) {
            const grown = new Float64Array(s.vs.length * 2);
            grown.set(s.vs);
            s.vs = grown;
          }
          s.vs[s.ts.length] = p.v;
          s.ts.push(p.t);
        }
        pending.length = 0;
        lastPending.clear();
        return Promise.resolve();
      },
      rollback: () => {
        pending.length = 0;
        lastPending.clear();
      },
    };
  }

  querier(mintMs: number, maxtMs: number): Querier {
    const selectSync = (matchers: readonly Matcher[]): MemorySeries[] => {
      const out: MemorySeries[] = [];
      for (const s of this.#series.values()) if (matchesAll(s.labels, matchers)) out.push(s);
      out.sort((a, b) => compareLabels(a.labels, b.labels));
      return out;
    };
    return {
      select: (matchers: readonly Matcher[], hints?: SelectHints): Promise<Series[]> => {
        const lo = Math.max(mintMs, hints?.startMs ?? -Infinity);
        const hi = Math.min(maxtMs, hints?.endMs ?? Infinity);
        const result: Series[] = [];
        for (const s of selectSync(matchers)) {
          const from = lowerBound(s.ts, lo);
          const to = lowerBound(s.ts, hi + 1);
          if (from >= to) continue;
          const ts = s.ts.slice(from, to);
          const vs = s.vs.slice(from, to);
          result.push({
            labels: s.labels,
            iterator: () => new ArrayIterator(ts, vs),
            readSamples: () => ({ ts: Float64Array.from(ts), vs }),
          });
        }
        return Promise.resolve(result);
      },
      labelNames: (matchers = []) => {
        const names = new Set<string>();
        for (const s of selectSync(matchers)) for (const l of s.labels) names.add(l.name);
        return Promise.resolve([...names].sort());
      },
      labelValues: (name, matchers = []) => {
        const values = new Set<string>();
        for (const s of selectSync(matchers))
          for (const l of s.labels) if (l.name === name) values.add(l.value);
        return Promise.resolve([...values].sort());
      },
      close: () => {},
    };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface MemorySeries {
  labels: Labels;
  ts: number[];
  /**
   * Values in a typed array: V8 canonicalizes NaN payloads stored in plain arrays of numbers,
   * which would turn the staleness marker into an ordinary NaN.
   */
  vs: Float64Array;
}

function seriesKey(labels: Labels): string {
  let key = '';
  for (const l of labels) key += `${l.name}\u0000${l.value}\u0000`;
  return key;
}

/** First index whose value is >= t. */
function lowerBound(ts: readonly number[], t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A {@link SampleIterator} over two parallel arrays. */
export class ArrayIterator implements SampleIterator {
  readonly #ts: ArrayLike<number>;
  readonly #vs: Float64Array;
  #i = -1;

  constructor(ts: ArrayLike<number>, vs: Float64Array) {
    this.#ts = ts;
    this.#vs = vs;
  }

  next(): boolean {
    this.#i++;
    return this.#i < this.#ts.length;
  }

  seek(t: number): boolean {
    if (this.#i < 0) this.#i = 0;
    while (this.#i < this.#ts.length && this.#ts[this.#i]! < t) this.#i++;
    return this.#i < this.#ts.length;
  }

  atT(): number {
    return this.#ts[this.#i]!;
  }

  atV(): number {
    return this.#vs[this.#i]!;
  }
}
