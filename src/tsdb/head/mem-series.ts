import { XorChunk, XorIterator } from '../../chunkenc/xor.js';
import type { Labels } from '../../model/labels.js';
import { isStaleNaN } from '../../model/sample.js';
import type { ChunkRef } from '../iterators.js';

/**
 * One series in the head: its closed chunks, the open chunk being appended to, and a small sorted
 * buffer of out-of-order samples. Owned by the {@link Head}; readers take {@link chunkSnapshot}s.
 */
export class MemSeries {
  /** The head's id for the series; also its WAL reference. */
  readonly ref: number;
  readonly labels: Labels;
  /** 53-bit hash of the labels (see hashLabels). */
  readonly hash: number;
  /** Closed chunks, oldest first, packed in one buffer; null before the first is closed. */
  sealed: SealedChunks | null = null;
  /** The chunk being appended to, or null before the first sample. */
  open: XorChunk | null = null;
  /** Time (ms) of the newest in-order sample; -Infinity when none. */
  maxT = -Infinity;
  /** Out-of-order samples, sorted by time; null when none. */
  ooo: OooBuffer | null = null;
  /** Whether a series record for it is in the WAL. */
  logged = false;
  /** Set once the head dropped the series; appenders holding it look it up again. */
  deleted = false;
  /** The appender batch that last appended to it, and the index of that sample in the batch. */
  batchId = 0;
  batchIdx = -1;
  /** The last appender batch that listed the series as new (for its series record). */
  listedBy = 0;
  /** Samples of open batches for this series: the head keeps it while any are pending. */
  pending = 0;

  constructor(ref: number, labels: Labels, hash: number) {
    this.ref = ref;
    this.labels = labels;
    this.hash = hash;
  }

  /** Appends an in-order sample (`t` > {@link maxT}), cutting a chunk every `samplesPerChunk`. */
  append(t: number, v: number, samplesPerChunk: number): boolean {
    let c = this.open;
    if (c === null || c.numSamples >= samplesPerChunk) {
      if (c !== null) {
        this.sealed ??= new SealedChunks();
        this.sealed.push(c.bytes(), c.minTime, c.maxTime);
      }
      c = new XorChunk(samplesPerChunk >= 120 ? 64 : 16);
      this.open = c;
    }
    c.append(t, v);
    this.maxT = t;
    return c.numSamples === 1;
  }

  /** Whether the newest in-order sample has exactly the bits of `v`. */
  lastValueIs(v: number): boolean {
    return this.open !== null && this.open.lastValueIs(v);
  }

  /** Oldest sample time (ms) held, in-order or out-of-order; Infinity when empty. */
  minTime(): number {
    let t = Infinity;
    if (this.sealed !== null && this.sealed.length > 0) t = this.sealed.minT(0);
    else if (this.open !== null && this.open.numSamples > 0) t = this.open.minTime;
    if (this.ooo !== null && this.ooo.length > 0) t = Math.min(t, this.ooo.ts[0]!);
    return t;
  }

  /** Whether the series holds no sample. */
  isEmpty(): boolean {
    return (
      (this.sealed === null || this.sealed.length === 0) &&
      (this.open === null || this.open.numSamples === 0) &&
      (this.ooo === null || this.ooo.length === 0)
    );
  }

  /** The in-order chunks as they are now; stable while the series keeps growing. */
  chunkSnapshot(): ChunkRef[] {
    const out = this.sealed === null ? [] : this.sealed.list();
    const c = this.open;
    if (c !== null && c.numSamples > 0) {
      out.push({ bytes: c.bytes(), numSamples: c.numSamples, minT: c.minTime, maxT: c.maxTime });
    }
    return out;
  }

  /**
   * Whether a sample at `t` is already stored: 'none', 'same' (the same value bits) or
   * 'different'. Decodes at most one chunk.
   */
  sampleAt(t: number, v: number): 'none' | 'same' | 'different' {
    if (this.ooo !== null) {
      const i = this.ooo.indexOf(t);
      if (i >= 0) return sameValue(this.ooo.vs[i]!, v) ? 'same' : 'different';
    }
    for (const c of this.chunkSnapshot()) {
      if (t < c.minT || t > c.maxT) continue;
      const found = valueAt(c, t);
      if (found === null) return 'none';
      return sameValue(found, v) ? 'same' : 'different';
    }
    return 'none';
  }

  /** Drops whole chunks and out-of-order samples older than `mint` (ms). */
  truncateBefore(mint: number): void {
    if (this.sealed !== null) {
      this.sealed.dropEndingBefore(mint);
      if (this.sealed.length === 0) this.sealed = null;
    }
    if (this.sealed === null && this.open !== null && this.open.numSamples > 0 && this.open.maxTime < mint) {
      this.open = null;
    }
    if (this.ooo !== null) {
      this.ooo.dropBefore(mint);
      if (this.ooo.length === 0) this.ooo = null;
    }
  }
}

/** The value at exactly `t` in a chunk, or null. */
function valueAt(c: ChunkRef, t: number): number | null {
  const it = new XorIterator(c.bytes, c.numSamples);
  if (!it.seek(t) || it.atT() !== t) return null;
  return it.atV();
}

/** Whether two sample values are the same for duplicate detection (bits, staleness kept apart). */
export function sameValue(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) {
    return Number.isNaN(a) && Number.isNaN(b) && isStaleNaN(a) === isStaleNaN(b);
  }
  return Object.is(a, b);
}

/** A sorted buffer of out-of-order samples; values in a Float64Array so NaN payloads survive. */
export class OooBuffer {
  ts: number[] = [];
  vs = new Float64Array(8);

  get length(): number {
    return this.ts.length;
  }

  /** Index of the sample at `t`, or -1. */
  indexOf(t: number): number {
    const i = this.#lowerBound(t);
    return i < this.ts.length && this.ts[i] === t ? i : -1;
  }

  #lowerBound(t: number): number {
    let lo = 0;
    let hi = this.ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Inserts a sample; false when one at `t` exists already. */
  insert(t: number, v: number): boolean {
    const i = this.#lowerBound(t);
    if (i < this.ts.length && this.ts[i] === t) return false;
    const n = this.ts.length;
    if (n === this.vs.length) {
      const grown = new Float64Array(n * 2);
      grown.set(this.vs);
      this.vs = grown;
    }
    this.vs.copyWithin(i + 1, i, n);
    this.vs[i] = v;
    this.ts.splice(i, 0, t);
    return true;
  }

  /** Drops samples older than `mint`. */
  dropBefore(mint: number): void {
    const i = this.#lowerBound(mint);
    if (i === 0) return;
    this.ts = this.ts.slice(i);
    this.vs = this.vs.slice(i, Math.max(i + 8, this.vs.length));
  }

  /** A copy of the samples within [minT, maxT]. */
  slice(minT: number, maxT: number): { ts: number[]; vs: Float64Array } {
    const from = this.#lowerBound(minT);
    const to = this.#lowerBound(maxT + 1);
    return { ts: this.ts.slice(from, to), vs: this.vs.slice(from, to) };
  }
}

/**
 * A series' closed chunks packed into one growing byte buffer with a small table of
 * (minT, maxT, offset, length): far fewer objects than one Uint8Array per chunk. Bytes once
 * written are never overwritten (growing or dropping copies into a new buffer), so views handed
 * out by {@link list} stay valid.
 */
export class SealedChunks {
  #buf = new Uint8Array(0);
  #used = 0;
  /** 4 numbers per chunk: minT, maxT, offset, byte length. */
  #meta = new Float64Array(8);
  #n = 0;

  /** Number of chunks. */
  get length(): number {
    return this.#n;
  }

  /** Bytes held (capacity). */
  get byteLength(): number {
    return this.#buf.length;
  }

  /** Bytes of encoded chunks. */
  get usedBytes(): number {
    return this.#used;
  }

  /** Appends an encoded chunk (copied). */
  push(bytes: Uint8Array, minT: number, maxT: number): void {
    if (this.#used + bytes.length > this.#buf.length) {
      const grown = new Uint8Array(Math.max(this.#used + bytes.length, Math.ceil(this.#buf.length * 1.5)));
      grown.set(this.#buf.subarray(0, this.#used));
      this.#buf = grown;
    }
    this.#buf.set(bytes, this.#used);
    if ((this.#n + 1) * 4 > this.#meta.length) {
      const grown = new Float64Array(this.#meta.length * 2);
      grown.set(this.#meta);
      this.#meta = grown;
    }
    const m = this.#n * 4;
    this.#meta[m] = minT;
    this.#meta[m + 1] = maxT;
    this.#meta[m + 2] = this.#used;
    this.#meta[m + 3] = bytes.length;
    this.#used += bytes.length;
    this.#n++;
  }

  /** First sample time (ms) of chunk `i`. */
  minT(i: number): number {
    return this.#meta[i * 4]!;
  }

  /** The chunks as views (valid for good). */
  list(): ChunkRef[] {
    const out: ChunkRef[] = new Array<ChunkRef>(this.#n);
    for (let i = 0; i < this.#n; i++) {
      const m = i * 4;
      const off = this.#meta[m + 2]!;
      const bytes = this.#buf.subarray(off, off + this.#meta[m + 3]!);
      out[i] = {
        bytes,
        numSamples: (bytes[0]! << 8) | bytes[1]!,
        minT: this.#meta[m]!,
        maxT: this.#meta[m + 1]!,
      };
    }
    return out;
  }

  /** Samples in all chunks. */
  numSamples(): number {
    let n = 0;
    for (let i = 0; i < this.#n; i++) {
      const off = this.#meta[i * 4 + 2]!;
      n += (this.#buf[off]! << 8) | this.#buf[off + 1]!;
    }
    return n;
  }

  /** Drops the leading chunks whose last sample is before `mint` (ms). */
  dropEndingBefore(mint: number): void {
    let drop = 0;
    while (drop < this.#n && this.#meta[drop * 4 + 1]! < mint) drop++;
    if (drop === 0) return;
    const from = drop < this.#n ? this.#meta[drop * 4 + 2]! : this.#used;
    this.#buf = this.#buf.slice(from, this.#used);
    this.#used -= from;
    const meta = new Float64Array(Math.max(8, (this.#n - drop) * 4));
    meta.set(this.#meta.subarray(drop * 4, this.#n * 4));
    for (let i = 0; i < this.#n - drop; i++) meta[i * 4 + 2] = meta[i * 4 + 2]! - from;
    this.#meta = meta;
    this.#n -= drop;
  }
}
