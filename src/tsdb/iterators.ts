import { XorIterator } from '../chunkenc/xor.js';
import { decodeXorInto } from '../chunkenc/xor-decode.js';
import { compareLabels } from '../model/labels.js';
import { mergeSampleArrays, readSeriesSamples } from '../storage/read-samples.js';
import type { SampleArrays, SampleIterator, Series } from '../storage/storage.js';

/**
 * Sample iterators the TSDB composes its query results from: over a list of chunks bounded to a
 * time range, over plain arrays, merged across sources (head, out-of-order buffer, blocks), and
 * with deleted intervals (tombstones) cut out.
 */

/** A chunk as a reader needs it: encoded bytes, the samples to read, and its time bounds (ms). */
export interface ChunkRef {
  readonly bytes: Uint8Array;
  readonly numSamples: number;
  readonly minT: number;
  readonly maxT: number;
}

/** Iterates the samples of consecutive, time-ordered chunks that lie within [minT, maxT]. */
export class ChunksIterator implements SampleIterator {
  readonly #chunks: readonly ChunkRef[];
  readonly #minT: number;
  readonly #maxT: number;
  #ci = -1;
  #cur: XorIterator | null = null;
  #done = false;

  constructor(chunks: readonly ChunkRef[], minT: number, maxT: number) {
    this.#chunks = chunks;
    this.#minT = minT;
    this.#maxT = maxT;
  }

  #nextChunk(): boolean {
    for (;;) {
      this.#ci++;
      const c = this.#chunks[this.#ci];
      if (c === undefined || c.minT > this.#maxT) {
        this.#done = true;
        this.#cur = null;
        return false;
      }
      if (c.maxT < this.#minT || c.numSamples === 0) continue;
      this.#cur = new XorIterator(c.bytes, c.numSamples);
      return true;
    }
  }

  next(): boolean {
    if (this.#done) return false;
    for (;;) {
      if (this.#cur === null && !this.#nextChunk()) return false;
      const it = this.#cur!;
      if (it.next()) {
        const t = it.atT();
        if (t < this.#minT) continue;
        if (t > this.#maxT) {
          this.#done = true;
          return false;
        }
        this.#positioned = true;
        return true;
      }
      this.#cur = null;
      this.#positioned = false;
    }
  }

  seek(t: number): boolean {
    if (this.#done) return false;
    if (this.#cur !== null && this.#positioned && this.#cur.atT() >= t) return true;
    if (this.#cur === null || this.#chunks[this.#ci]!.maxT < t) {
      do {
        if (!this.#nextChunk()) return false;
      } while (this.#chunks[this.#ci]!.maxT < t);
      this.#positioned = false;
    }
    const it = this.#cur!;
    if (!it.seek(Math.max(t, this.#minT))) {
      this.#cur = null;
      this.#positioned = false;
      return this.next();
    }
    if (it.atT() > this.#maxT) {
      this.#done = true;
      return false;
    }
    this.#positioned = true;
    return true;
  }

  /** Whether the current chunk iterator stands on an emitted sample. */
  #positioned = false;

  atT(): number {
    return this.#cur!.atT();
  }

  atV(): number {
    return this.#cur!.atV();
  }
}

/**
 * The samples {@link ChunksIterator} yields for the same arguments, decoded at once into fresh
 * arrays (sized by the chunks' sample counts; the result may be a view of a slightly larger one).
 */
export function readChunks(chunks: readonly ChunkRef[], minT: number, maxT: number): SampleArrays {
  let total = 0;
  for (const c of chunks) {
    if (c.minT > maxT) break;
    if (c.maxT >= minT) total += c.numSamples;
  }
  const ts = new Float64Array(total);
  const vs = new Float64Array(total);
  let n = 0;
  for (const c of chunks) {
    if (c.minT > maxT) break;
    if (c.maxT < minT || c.numSamples === 0) continue;
    n = decodeXorInto(c.bytes, c.numSamples, ts, vs, n);
  }
  // As the iterator: skip samples before minT, stop at the first after maxT.
  let from = 0;
  while (from < n && ts[from]! < minT) from++;
  let w = from;
  let r = from;
  for (; r < n; r++) {
    const t = ts[r]!;
    if (t > maxT) break;
    if (t < minT) continue;
    if (w !== r) {
      ts[w] = t;
      vs[w] = vs[r]!;
    }
    w++;
  }
  return from === 0 && w === total ? { ts, vs } : { ts: ts.subarray(from, w), vs: vs.subarray(from, w) };
}

/** Iterates two parallel arrays (times ascending) restricted to [minT, maxT]. */
export class SliceIterator implements SampleIterator {
  readonly #ts: ArrayLike<number>;
  readonly #vs: Float64Array;
  #i: number;
  readonly #end: number;

  constructor(ts: ArrayLike<number>, vs: Float64Array, minT = -Infinity, maxT = Infinity) {
    this.#ts = ts;
    this.#vs = vs;
    let lo = 0;
    let hi = ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ts[mid]! < minT) lo = mid + 1;
      else hi = mid;
    }
    this.#i = lo - 1;
    let end = lo;
    while (end < ts.length && ts[end]! <= maxT) end++;
    this.#end = end;
  }

  next(): boolean {
    if (this.#i >= this.#end) return false;
    this.#i++;
    return this.#i < this.#end;
  }

  seek(t: number): boolean {
    if (this.#i < 0) this.#i = 0;
    while (this.#i < this.#end && this.#ts[this.#i]! < t) this.#i++;
    return this.#i < this.#end;
  }

  atT(): number {
    return this.#ts[this.#i]!;
  }

  atV(): number {
    return this.#vs[this.#i]!;
  }
}

/**
 * Merges iterators by time. When several have a sample at the same time, the one listed first
 * wins (sources are listed newest first, so a re-written sample shadows an older copy).
 */
export class MergeIterator implements SampleIterator {
  readonly #its: SampleIterator[];
  /** Whether each iterator has a current sample not yet emitted. */
  readonly #ok: boolean[];
  #started = false;
  #cur = -1;

  constructor(its: readonly SampleIterator[]) {
    this.#its = [...its];
    this.#ok = its.map(() => false);
  }

  #pick(): boolean {
    let best = -1;
    let bestT = Infinity;
    for (let i = 0; i < this.#its.length; i++) {
      if (!this.#ok[i]) continue;
      const t = this.#its[i]!.atT();
      if (t < bestT) {
        bestT = t;
        best = i;
      }
    }
    this.#cur = best;
    return best >= 0;
  }

  next(): boolean {
    if (!this.#started) {
      this.#started = true;
      for (let i = 0; i < this.#its.length; i++) this.#ok[i] = this.#its[i]!.next();
      return this.#pick();
    }
    if (this.#cur < 0) return false;
    const t = this.#its[this.#cur]!.atT();
    for (let i = 0; i < this.#its.length; i++) {
      if (this.#ok[i] && this.#its[i]!.atT() === t) this.#ok[i] = this.#its[i]!.next();
    }
    return this.#pick();
  }

  seek(t: number): boolean {
    if (this.#started && this.#cur >= 0 && this.#its[this.#cur]!.atT() >= t) return true;
    if (this.#started && this.#cur < 0) return false;
    this.#started = true;
    for (let i = 0; i < this.#its.length; i++) {
      const it = this.#its[i]!;
      if (this.#ok[i] && it.atT() >= t) continue;
      this.#ok[i] = it.seek(t);
    }
    return this.#pick();
  }

  atT(): number {
    return this.#its[this.#cur]!.atT();
  }

  atV(): number {
    return this.#its[this.#cur]!.atV();
  }
}

/** A closed time interval [minT, maxT] in ms. */
export interface Interval {
  readonly minT: number;
  readonly maxT: number;
}

/** Skips the samples inside any of the (deleted) intervals. */
export class DeletedIterator implements SampleIterator {
  readonly #it: SampleIterator;
  readonly #del: readonly Interval[];

  constructor(it: SampleIterator, deleted: readonly Interval[]) {
    this.#it = it;
    this.#del = deleted;
  }

  #isDeleted(t: number): boolean {
    for (const d of this.#del) if (t >= d.minT && t <= d.maxT) return true;
    return false;
  }

  next(): boolean {
    while (this.#it.next()) if (!this.#isDeleted(this.#it.atT())) return true;
    return false;
  }

  seek(t: number): boolean {
    if (!this.#it.seek(t)) return false;
    if (!this.#isDeleted(this.#it.atT())) return true;
    return this.next();
  }

  atT(): number {
    return this.#it.atT();
  }

  atV(): number {
    return this.#it.atV();
  }
}

/** The samples of `a` outside every deleted interval, as {@link DeletedIterator} yields them. */
export function dropDeleted(a: SampleArrays, deleted: readonly Interval[]): SampleArrays {
  const n = a.ts.length;
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  let w = 0;
  outer: for (let i = 0; i < n; i++) {
    const t = a.ts[i]!;
    for (const d of deleted) if (t >= d.minT && t <= d.maxT) continue outer;
    ts[w] = t;
    vs[w++] = a.vs[i]!;
  }
  return { ts: ts.subarray(0, w), vs: vs.subarray(0, w) };
}

/**
 * Merges label-sorted series lists from several sources (listed newest first) into one sorted
 * list; series with equal labels are combined with a {@link MergeIterator}.
 */
export function mergeSeriesLists(lists: readonly (readonly Series[])[]): Series[] {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 0) return [];
  if (nonEmpty.length === 1) return [...nonEmpty[0]!];
  const all: { s: Series; src: number }[] = [];
  nonEmpty.forEach((l, src) => {
    for (const s of l) all.push({ s, src });
  });
  all.sort((a, b) => compareLabels(a.s.labels, b.s.labels) || a.src - b.src);
  const out: Series[] = [];
  for (let i = 0; i < all.length;) {
    let j = i + 1;
    while (j < all.length && compareLabels(all[i]!.s.labels, all[j]!.s.labels) === 0) j++;
    if (j === i + 1) out.push(all[i]!.s);
    else {
      const group = all.slice(i, j).map((x) => x.s);
      out.push({
        labels: group[0]!.labels,
        iterator: () => new MergeIterator(group.map((g) => g.iterator())),
        readSamples: () => mergeSampleArrays(group.map(readSeriesSamples)),
      });
    }
    i = j;
  }
  return out;
}
