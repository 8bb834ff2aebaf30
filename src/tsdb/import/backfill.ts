import { compareLabels, type Labels } from '../../model/labels.js';
import { ArrayIterator } from '../../storage/memory-storage.js';
import type { Series } from '../../storage/storage.js';
import { BLOCK_HINT_IMPORTED, type BlockMeta } from '../block/format.js';
import { writeBlock } from '../block/writer.js';

/**
 * Backfilling: samples collected in memory in any order, then written as immutable blocks
 * aligned to the block range, as `promtool tsdb create-blocks-from` does. The blocks land in a
 * store's directory next to its own and are picked up when the store next opens. Values are kept
 * in Float64Arrays so staleness markers survive bit for bit.
 */

const HOUR = 3_600_000;

/** Options of {@link Backfiller}. Times in ms. */
export interface BackfillOptions {
  /** Time range of each block written, aligned to multiples of it (default 2 h). */
  readonly blockRangeMs?: number;
  /** The time block ULIDs are made from (default: now). */
  readonly nowMs?: () => number;
}

/** What {@link Backfiller.write} did. */
export interface BackfillSummary {
  readonly series: number;
  /** Samples written (duplicates of a timestamp counted once). */
  readonly samples: number;
  /** Samples dropped because their series already had a sample at that timestamp. */
  readonly duplicates: number;
  readonly minTimeMs: number;
  readonly maxTimeMs: number;
  readonly blocks: readonly BlockMeta[];
}

/** One series' samples, growing by doubling. */
class SeriesBuffer {
  readonly labels: Labels;
  ts = new Float64Array(16);
  vs = new Float64Array(16);
  n = 0;
  isSorted = true;

  constructor(labels: Labels) {
    this.labels = labels;
  }

  add(t: number, v: number): void {
    if (this.n === this.ts.length) {
      const ts = new Float64Array(this.n * 2);
      const vs = new Float64Array(this.n * 2);
      ts.set(this.ts);
      vs.set(this.vs);
      this.ts = ts;
      this.vs = vs;
    }
    if (this.n > 0 && t <= this.ts[this.n - 1]!) this.isSorted = false;
    this.ts[this.n] = t;
    this.vs[this.n] = v;
    this.n++;
  }

  /** Sorts by time (stable: of several samples at one timestamp the first added wins); returns duplicates dropped. */
  finish(): number {
    if (this.isSorted) {
      this.ts = this.ts.subarray(0, this.n);
      this.vs = this.vs.subarray(0, this.n);
      return 0;
    }
    const order = Array.from({ length: this.n }, (_, i) => i);
    order.sort((a, b) => this.ts[a]! - this.ts[b]! || a - b);
    const ts = new Float64Array(this.n);
    const vs = new Float64Array(this.n);
    let k = 0;
    for (const i of order) {
      const t = this.ts[i]!;
      if (k > 0 && ts[k - 1] === t) continue;
      ts[k] = t;
      vs[k] = this.vs[i]!;
      k++;
    }
    const dropped = this.n - k;
    this.ts = ts.subarray(0, k);
    this.vs = vs.subarray(0, k);
    this.n = k;
    this.isSorted = true;
    return dropped;
  }
}

/**
 * Collects samples for a backfill and writes them as blocks. Not concurrent: call
 * {@link add} any number of times, then {@link write} once.
 */
export class Backfiller {
  readonly #series = new Map<string, SeriesBuffer>();
  readonly #rangeMs: number;
  readonly #nowMs: () => number;
  #samples = 0;

  constructor(options: BackfillOptions = {}) {
    this.#rangeMs = options.blockRangeMs ?? 2 * HOUR;
    this.#nowMs = options.nowMs ?? Date.now;
  }

  /** Samples added so far. */
  get samplesAdded(): number {
    return this.#samples;
  }

  /** Adds one sample; `labels` must be sorted (as labelsFromRecord makes them) and include `__name__`. */
  add(labels: Labels, tMs: number, v: number): void {
    const key = seriesKey(labels);
    let s = this.#series.get(key);
    if (s === undefined) {
      s = new SeriesBuffer(labels);
      this.#series.set(key, s);
    }
    s.add(tMs, v);
    this.#samples++;
  }

  /**
   * Writes one block per aligned range that holds samples into `dir` (an existing store's
   * directory, or a new one), calling `onProgress(samplesWritten, samplesTotal)` after each block.
   */
  async write(
    dir: string,
    onProgress: (done: number, total: number) => void = () => {},
  ): Promise<BackfillSummary> {
    let duplicates = 0;
    let minT = Infinity;
    let maxT = -Infinity;
    const all = [...this.#series.values()];
    for (const s of all) {
      duplicates += s.finish();
      if (s.n === 0) continue;
      minT = Math.min(minT, s.ts[0]!);
      maxT = Math.max(maxT, s.ts[s.n - 1]!);
    }
    all.sort((a, b) => compareLabels(a.labels, b.labels));
    const total = this.#samples - duplicates;
    const blocks: BlockMeta[] = [];
    let done = 0;
    if (all.length > 0) {
      const range = this.#rangeMs;
      // Cursor per series: the index of its first sample not written yet.
      const cursor = new Int32Array(all.length);
      for (let start = Math.floor(minT / range) * range; start <= maxT; start += range) {
        const end = start + range;
        const inRange: Series[] = [];
        for (let i = 0; i < all.length; i++) {
          const s = all[i]!;
          const from = cursor[i]!;
          let to = from;
          while (to < s.n && s.ts[to]! < end) to++;
          if (to === from) continue;
          cursor[i] = to;
          const ts = s.ts.subarray(from, to);
          const vs = s.vs.subarray(from, to);
          done += to - from;
          inRange.push({ labels: s.labels, iterator: () => new ArrayIterator(ts, vs) });
        }
        if (inRange.length === 0) continue;
        const meta = await writeBlock(dir, inRange, {
          minTime: start,
          maxTime: end,
          level: 1,
          nowMs: this.#nowMs(),
          hints: [BLOCK_HINT_IMPORTED],
        });
        if (meta !== null) blocks.push(meta);
        onProgress(done, total);
      }
    }
    return {
      series: all.length,
      samples: total,
      duplicates,
      minTimeMs: all.length > 0 ? minT : NaN,
      maxTimeMs: all.length > 0 ? maxT : NaN,
      blocks,
    };
  }
}

function seriesKey(labels: Labels): string {
  // Label names cannot hold `=`, and a JSON string ends unambiguously: one key per label set.
  let k = '';
  for (const l of labels) k += `${l.name}=${JSON.stringify(l.value)}`;
  return k;
}
