import { AppError } from '../../base/errors.js';
import { SAMPLES_PER_CHUNK } from '../../chunkenc/xor.js';
import { compareLabels, type Labels } from '../../model/labels.js';
import type { Appender, AppendRejection, Matcher, SampleIterator, Series } from '../../storage/storage.js';
import { MemPostings, postingsForMatchers } from '../index/postings.js';
import { mergeSampleArrays } from '../../storage/read-samples.js';
import {
  ChunksIterator,
  DeletedIterator,
  dropDeleted,
  MergeIterator,
  readChunks,
  SliceIterator,
  type Interval,
} from '../iterators.js';
import {
  brokenLabelLimit,
  hasLabelLimits,
  NO_LABEL_LIMITS,
  type LabelLimitName,
  type LabelLimits,
} from './label-limits.js';
import { MemSeries, OooBuffer, sameValue } from './mem-series.js';

/**
 * The head: the most recent samples in memory (Prometheus's tsdb/head.go). Series are found by a
 * hash of their labels with a collision check, indexed by {@link MemPostings}, and hold Gorilla
 * chunks plus a sorted buffer for out-of-order samples within the out-of-order window. Appends are
 * batched by a {@link HeadAppender} and become visible at commit, after the write-ahead hook.
 * Single-threaded by design (one Node event loop): no locks, but commits may interleave at their
 * await on the write-ahead hook, so every sample is validated again when it is applied.
 */

/** A committed batch as the write-ahead log sees it, before it becomes visible. */
export interface HeadBatch {
  /** Series first referenced by this batch and not yet logged: write their records first. */
  readonly newSeries: readonly MemSeries[];
  /** Sample i is (refs[i], ts[i], vs[i]) for i < length. */
  readonly refs: readonly number[];
  readonly ts: readonly number[];
  readonly vs: Float64Array;
  readonly length: number;
}

/** Options of a {@link Head}. Times in ms. */
export interface HeadOptions {
  /** How far behind the newest sample of the head an out-of-order sample may be; 0 disables. */
  readonly oooWindowMs: number;
  /** Samples per chunk (default 120, as Prometheus). */
  readonly samplesPerChunk?: number;
  /**
   * Most series the head holds (`storage.max_series`, per tenant: one head per tenant); an append
   * that would create one more is rejected with 'limit'. WAL replay is not limited. 0 or absent:
   * unlimited.
   */
  readonly maxSeries?: number;
  /**
   * Label limits checked when a series is created (Prometheus's `label_limit`,
   * `label_name_length_limit`, `label_value_length_limit`): a sample of a series over one is
   * rejected with 'limit' and counted per limit. Default: none.
   */
  readonly labelLimits?: LabelLimits;
  /** Called at commit before samples become visible; the batch is durable once it resolves. */
  readonly writeAhead?: (batch: HeadBatch) => Promise<void>;
}

/** Counters the head keeps; monotonic over the head's life. */
export interface HeadCounters {
  samplesAppended: number;
  oooSamplesAppended: number;
  seriesCreated: number;
  seriesRemoved: number;
  rejected: Record<AppendRejection, number>;
  /** Samples dropped at commit because concurrent commits made them invalid. */
  droppedAtCommit: number;
  /** Samples rejected with 'limit' because their new series broke a label limit, by limit. */
  labelLimits: Record<LabelLimitName, number>;
}

/** 53-bit hash of a label set (cyrb53 over names and values with separators). */
export function hashLabels(labels: Labels): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (const l of labels) {
    const n = l.name;
    for (let i = 0; i < n.length; i++) {
      const c = n.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    h1 = Math.imul(h1 ^ 0xff, 2654435761);
    h2 = Math.imul(h2 ^ 0xff, 1597334677);
    const v = l.value;
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    h1 = Math.imul(h1 ^ 0xfe, 2654435761);
    h2 = Math.imul(h2 ^ 0xfe, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

function labelsEqual(a: Labels, b: Labels): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.name !== b[i]!.name || a[i]!.value !== b[i]!.value) return false;
  }
  return true;
}

function validLabels(labels: Labels): boolean {
  if (labels.length === 0) return false;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l.name === '' || l.value === '') return false;
    if (i > 0 && labels[i - 1]!.name >= l.name) return false;
  }
  return true;
}

let nextBatchId = 1;

/** The in-memory head of the TSDB. */
export class Head {
  readonly #opts: Required<Omit<HeadOptions, 'writeAhead' | 'labelLimits'>>;
  readonly #writeAhead: HeadOptions['writeAhead'];
  readonly #byHash = new Map<number, MemSeries | MemSeries[]>();
  readonly #byRef = new Map<number, MemSeries>();
  /** Label arrays already resolved: callers that reuse them skip hashing. */
  #byLabels = new WeakMap<Labels, MemSeries>();
  readonly #postings = new MemPostings();
  /** Deleted intervals per series ref (tombstones), applied at query time and at compaction. */
  readonly #tombstones = new Map<number, Interval[]>();
  #nextRef = 1;
  #minTime = Infinity;
  #maxTime = -Infinity;
  /** Samples below this time (ms) belong to persisted blocks: appends there are too old. */
  #minValidTime = -Infinity;
  #numSamples = 0;
  /** What the head counts; read by stats and metrics. */
  readonly counters: HeadCounters = {
    samplesAppended: 0,
    oooSamplesAppended: 0,
    seriesCreated: 0,
    seriesRemoved: 0,
    rejected: { out_of_order: 0, too_old: 0, duplicate: 0, limit: 0, invalid: 0 },
    droppedAtCommit: 0,
    labelLimits: { label_limit: 0, label_name_length_limit: 0, label_value_length_limit: 0 },
  };
  readonly #labelLimits: LabelLimits;
  readonly #hasLabelLimits: boolean;

  constructor(options: HeadOptions) {
    this.#opts = {
      oooWindowMs: options.oooWindowMs,
      samplesPerChunk: options.samplesPerChunk ?? SAMPLES_PER_CHUNK,
      maxSeries: options.maxSeries ?? 0,
    };
    if (!(Number.isSafeInteger(this.#opts.maxSeries) && this.#opts.maxSeries >= 0)) {
      throw new AppError(
        'bad_input',
        `head: max series must be an integer >= 0, got ${this.#opts.maxSeries}`,
      );
    }
    this.#writeAhead = options.writeAhead;
    this.#labelLimits = options.labelLimits ?? NO_LABEL_LIMITS;
    this.#hasLabelLimits = hasLabelLimits(this.#labelLimits);
  }

  /** The label limits new series are checked against. */
  get labelLimits(): LabelLimits {
    return this.#labelLimits;
  }

  /**
   * The label limit a new series with `labels` would break, counted as a rejection; null when
   * within the limits (or none are set).
   */
  rejectByLabelLimits(labels: Labels): LabelLimitName | null {
    if (!this.#hasLabelLimits) return null;
    const broken = brokenLabelLimit(labels, this.#labelLimits);
    if (broken !== null) {
      this.counters.labelLimits[broken]++;
      this.counters.rejected.limit++;
    }
    return broken;
  }

  /** Oldest sample time (ms) in the head; Infinity when empty. */
  get minTime(): number {
    return this.#minTime;
  }

  /** Newest sample time (ms) in the head; -Infinity when empty. */
  get maxTime(): number {
    return this.#maxTime;
  }

  /** Samples older than this (ms) are rejected as too old (they belong to persisted blocks). */
  get minValidTime(): number {
    return this.#minValidTime;
  }

  /** Raises the minimum valid time, after the data below it was persisted in a block. */
  setMinValidTime(t: number): void {
    if (t > this.#minValidTime) this.#minValidTime = t;
  }

  /** Number of series in the head. */
  get numSeries(): number {
    return this.#byRef.size;
  }

  /** Number of samples held (approximate after truncation: whole chunks are counted). */
  get numSamples(): number {
    return this.#numSamples;
  }

  /** The series limit (0: unlimited). */
  get maxSeries(): number {
    return this.#opts.maxSeries;
  }

  /** Whether the head is at its series limit, so a new series would be rejected with 'limit'. */
  atSeriesLimit(): boolean {
    return this.#opts.maxSeries > 0 && this.#byRef.size >= this.#opts.maxSeries;
  }

  /** The out-of-order window (ms). */
  get oooWindowMs(): number {
    return this.#opts.oooWindowMs;
  }

  /** A new batch of writes. */
  appender(): HeadAppender {
    return new HeadAppender(this);
  }

  /** The series with these labels, or undefined. */
  lookup(labels: Labels): MemSeries | undefined {
    const cached = this.#byLabels.get(labels);
    if (cached !== undefined && !cached.deleted) return cached;
    const hash = hashLabels(labels);
    const e = this.#byHash.get(hash);
    let found: MemSeries | undefined;
    if (e === undefined) return undefined;
    if (e instanceof MemSeries) found = labelsEqual(e.labels, labels) ? e : undefined;
    else found = e.find((s) => labelsEqual(s.labels, labels));
    if (found !== undefined) this.#byLabels.set(labels, found);
    return found;
  }

  /** The series with these (valid, sorted) labels, created when absent; `ref` forces its id (WAL replay). */
  getOrCreate(labels: Labels, ref?: number): MemSeries {
    const existing = this.lookup(labels);
    if (existing !== undefined) {
      // Replay: the same labels logged under an older ref (the series was dropped and re-created).
      if (ref !== undefined && ref !== existing.ref) {
        this.#aliases.set(ref, existing);
        this.reserveRef(ref);
      }
      return existing;
    }
    const id = ref ?? this.#nextRef;
    if (id >= this.#nextRef) this.#nextRef = id + 1;
    const hash = hashLabels(labels);
    const s = new MemSeries(id, labels, hash);
    const e = this.#byHash.get(hash);
    if (e === undefined) this.#byHash.set(hash, s);
    else if (e instanceof MemSeries) this.#byHash.set(hash, [e, s]);
    else e.push(s);
    this.#byRef.set(id, s);
    this.#byLabels.set(labels, s);
    if (ref !== undefined && ref < this.#maxRefAdded) this.#postings.addUnordered(id, labels);
    else this.#postings.add(id, labels);
    this.#maxRefAdded = Math.max(this.#maxRefAdded, id);
    this.counters.seriesCreated++;
    return s;
  }

  #maxRefAdded = 0;
  /** Refs of the log that name a series living under another ref (see getOrCreate). */
  readonly #aliases = new Map<number, MemSeries>();

  /** Makes sure new series get ids above `ref` (WAL replay: a ref seen in the log is never reused). */
  reserveRef(ref: number): void {
    if (ref >= this.#nextRef) this.#nextRef = ref + 1;
  }

  /** The series with id `ref`. */
  seriesByRef(ref: number): MemSeries | undefined {
    return this.#byRef.get(ref);
  }

  /**
   * Checks a sample against the committed state and the pending batch `batchId` whose times are
   * `batchT` and values `batchV`. Returns null (accepted in order), 'ooo' (accepted out of
   * order), 'skip' (the same sample is stored or pending already) or the rejection.
   */
  check(
    s: MemSeries,
    t: number,
    v: number,
    batch: { id: number; ts: readonly number[]; vs: Float64Array },
  ): AppendRejection | null | 'skip' | 'ooo' {
    let last = s.maxT;
    let lastIsBatch = false;
    if (s.batchId === batch.id && s.batchIdx >= 0) {
      const bt = batch.ts[s.batchIdx]!;
      if (bt >= last) {
        last = bt;
        lastIsBatch = true;
      }
    }
    if (t > last) return t < this.#minValidTime ? 'too_old' : null;
    if (t === last) {
      const same = lastIsBatch ? sameValue(batch.vs[s.batchIdx]!, v) : s.lastValueIs(v);
      return same ? 'skip' : 'duplicate';
    }
    if (t < this.#minValidTime) return 'too_old';
    const window = this.#opts.oooWindowMs;
    if (window <= 0) return 'out_of_order';
    if (t < this.#maxTime - window) return 'too_old';
    const have = s.sampleAt(t, v);
    if (have === 'same') return 'skip';
    if (have === 'different') return 'duplicate';
    return 'ooo';
  }

  /**
   * Writes the batch ahead (WAL), then applies it. Throws AppError('conflict') when samples that
   * were valid at append time became invalid before commit (a concurrent commit wrote another
   * value at their time, or a block was cut over them): the caller must not acknowledge the
   * write; retrying it gets the exact rejection per sample.
   */
  async commitBatch(batch: HeadBatch): Promise<void> {
    if (batch.length === 0 && batch.newSeries.length === 0) return;
    const newSeries: MemSeries[] = [];
    for (const s of batch.newSeries) if (!s.logged) newSeries.push(s);
    const done = (async (): Promise<number> => {
      if (this.#writeAhead !== undefined) await this.#writeAhead({ ...batch, newSeries });
      for (const s of newSeries) s.logged = true;
      return this.applySamples(batch.refs, batch.ts, batch.vs, batch.length);
    })();
    this.#inflight.add(done);
    let dropped: number;
    try {
      dropped = await done;
    } finally {
      this.#inflight.delete(done);
    }
    if (dropped > 0) {
      throw new AppError(
        'conflict',
        `commit: ${dropped} of ${batch.length} samples became invalid before commit`,
      );
    }
  }

  readonly #inflight = new Set<Promise<unknown>>();

  /** Resolves when the commits in flight now have been applied (or failed). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#inflight]);
  }

  /** Applies samples to memory (commit, and WAL replay); returns how many were invalid and dropped. */
  applySamples(refs: readonly number[], ts: readonly number[], vs: Float64Array, length: number): number {
    let dropped = 0;
    const spc = this.#opts.samplesPerChunk;
    for (let i = 0; i < length; i++) {
      const s = this.#byRef.get(refs[i]!) ?? this.#aliases.get(refs[i]!);
      if (s === undefined || s.deleted) {
        dropped++;
        continue;
      }
      const t = ts[i]!;
      const v = vs[i]!;
      if (t < this.#minValidTime) {
        dropped++;
        continue;
      }
      if (t > s.maxT) {
        s.append(t, v, spc);
      } else if (t === s.maxT) {
        if (!s.lastValueIs(v)) dropped++;
        continue;
      } else {
        if (this.#opts.oooWindowMs <= 0 || t < this.#maxTime - this.#opts.oooWindowMs) {
          dropped++;
          continue;
        }
        const have = s.sampleAt(t, v);
        if (have === 'different') dropped++;
        if (have !== 'none') continue;
        s.ooo ??= new OooBuffer();
        s.ooo.insert(t, v);
        this.counters.oooSamplesAppended++;
      }
      this.#numSamples++;
      this.counters.samplesAppended++;
      if (t < this.#minTime) this.#minTime = t;
      if (t > this.#maxTime) this.#maxTime = t;
    }
    this.counters.droppedAtCommit += dropped;
    return dropped;
  }

  /** Ids of the series matching all matchers, ascending. */
  postingsFor(matchers: readonly Matcher[]): Uint32Array {
    return postingsForMatchers(this.#postings, matchers);
  }

  /** Series matching the matchers with samples in [mint, maxt] (ms), sorted by labels. */
  select(matchers: readonly Matcher[], mint: number, maxt: number): Series[] {
    const out: Series[] = [];
    for (const ref of this.postingsFor(matchers)) {
      const s = this.#byRef.get(ref);
      if (s === undefined) continue;
      const series = this.#seriesView(s, mint, maxt);
      if (series !== null) out.push(series);
    }
    out.sort((a, b) => compareLabels(a.labels, b.labels));
    return out;
  }

  #seriesView(s: MemSeries, mint: number, maxt: number): Series | null {
    const chunks = s.chunkSnapshot().filter((c) => c.maxT >= mint && c.minT <= maxt);
    const ooo = s.ooo !== null ? s.ooo.slice(mint, maxt) : null;
    if (chunks.length === 0 && (ooo === null || ooo.ts.length === 0)) return null;
    const deleted = this.#tombstones.get(s.ref);
    return {
      labels: s.labels,
      iterator: () => {
        let it: SampleIterator = new ChunksIterator(chunks, mint, maxt);
        if (ooo !== null && ooo.ts.length > 0)
          it = new MergeIterator([it, new SliceIterator(ooo.ts, ooo.vs)]);
        if (deleted !== undefined) it = new DeletedIterator(it, deleted);
        return it;
      },
      readSamples: () => {
        let a = readChunks(chunks, mint, maxt);
        if (ooo !== null && ooo.ts.length > 0)
          a = mergeSampleArrays([a, { ts: Float64Array.from(ooo.ts), vs: ooo.vs }]);
        return deleted === undefined ? a : dropDeleted(a, deleted);
      },
    };
  }

  /** Every series with samples in [mint, maxt] (ms), sorted by labels, tombstones applied. */
  seriesInRange(mint: number, maxt: number): Series[] {
    const out: Series[] = [];
    for (const s of this.#byRef.values()) {
      const v = this.#seriesView(s, mint, maxt);
      if (v !== null) out.push(v);
    }
    out.sort((a, b) => compareLabels(a.labels, b.labels));
    return out;
  }

  /** Label names of series matching the matchers (all when none), sorted. */
  labelNames(matchers: readonly Matcher[]): string[] {
    if (matchers.length === 0) return this.#postings.labelNames().sort();
    const names = new Set<string>();
    for (const ref of this.postingsFor(matchers)) {
      const s = this.#byRef.get(ref);
      if (s !== undefined) for (const l of s.labels) names.add(l.name);
    }
    return [...names].sort();
  }

  /** Values of label `name` among series matching the matchers (all when none), sorted. */
  labelValues(name: string, matchers: readonly Matcher[]): string[] {
    if (matchers.length === 0) return [...this.#postings.labelValues(name)].sort();
    const values = new Set<string>();
    for (const ref of this.postingsFor(matchers)) {
      const s = this.#byRef.get(ref);
      if (s === undefined) continue;
      for (const l of s.labels) if (l.name === name) values.add(l.value);
    }
    return [...values].sort();
  }

  /** Every series, in id order (for block writing and checkpoints). */
  allSeries(): IterableIterator<MemSeries> {
    return this.#byRef.values();
  }

  /** Marks [minT, maxT] (ms) of the series matching the matchers as deleted; returns their refs. */
  delete(matchers: readonly Matcher[], minT: number, maxT: number): number[] {
    const refs = [...this.postingsFor(matchers)];
    this.deleteRefs(refs, minT, maxT);
    return refs;
  }

  /** Marks [minT, maxT] (ms) of the series `refs` as deleted (WAL replay). */
  deleteRefs(refs: readonly number[], minT: number, maxT: number): void {
    for (const r of refs) {
      const s = this.#byRef.get(r) ?? this.#aliases.get(r);
      if (s === undefined || s.deleted) continue;
      const list = this.#tombstones.get(s.ref) ?? [];
      list.push({ minT, maxT });
      this.#tombstones.set(s.ref, list);
    }
  }

  /** Deleted intervals of series `ref`, if any. */
  tombstonesOf(ref: number): readonly Interval[] | undefined {
    return this.#tombstones.get(ref);
  }

  /**
   * Drops data older than `mint` (ms) after it was persisted, and series left empty. Raises the
   * minimum valid time to `mint`.
   */
  truncate(mint: number): void {
    this.setMinValidTime(mint);
    const removed = new Set<number>();
    let samples = 0;
    let minTime = Infinity;
    for (const s of this.#byRef.values()) {
      s.truncateBefore(mint);
      if (s.isEmpty() && s.pending === 0) {
        removed.add(s.ref);
        continue;
      }
      if (s.sealed !== null) samples += s.sealed.numSamples();
      if (s.open !== null) samples += s.open.numSamples;
      if (s.ooo !== null) samples += s.ooo.length;
      minTime = Math.min(minTime, s.minTime());
    }
    for (const ref of removed) {
      const s = this.#byRef.get(ref)!;
      s.deleted = true;
      this.#byRef.delete(ref);
      this.#tombstones.delete(ref);
      const e = this.#byHash.get(s.hash);
      if (e === s) this.#byHash.delete(s.hash);
      else if (Array.isArray(e)) {
        const rest = e.filter((x) => x !== s);
        if (rest.length === 1) this.#byHash.set(s.hash, rest[0]!);
        else this.#byHash.set(s.hash, rest);
      }
    }
    this.#postings.delete(removed);
    for (const [ref, s] of this.#aliases) if (s.deleted) this.#aliases.delete(ref);
    this.counters.seriesRemoved += removed.size;
    if (removed.size > 0) this.#byLabels = new WeakMap();
    this.#numSamples = samples;
    this.#minTime = minTime;
  }

  /** Bytes of encoded chunk data in the head (closed and open chunks; out-of-order buffers excluded). */
  chunkBytes(): number {
    let n = 0;
    for (const s of this.#byRef.values()) {
      if (s.sealed !== null) n += s.sealed.usedBytes;
      if (s.open !== null) n += s.open.bytes().length;
    }
    return n;
  }

  /** Series count per label pair, for cardinality statistics. */
  labelPairCounts(): Generator<{ name: string; value: string; count: number }> {
    return this.#postings.pairs();
  }
}

/**
 * A batch of writes to the {@link Head}. Samples are checked when appended (against the committed
 * state and this batch) and applied at {@link commit}, after the head's write-ahead hook.
 */
export class HeadAppender implements Appender {
  readonly #head: Head;
  readonly #id = nextBatchId++;
  #refs: number[] = [];
  #series: MemSeries[] = [];
  #ts: number[] = [];
  #vs = new Float64Array(64);
  #newSeries: MemSeries[] = [];

  constructor(head: Head) {
    this.#head = head;
  }

  append(labels: Labels, t: number, v: number): AppendRejection | null {
    const head = this.#head;
    let s = head.lookup(labels);
    if (s === undefined) {
      if (!validLabels(labels) || !Number.isSafeInteger(t)) {
        head.counters.rejected.invalid++;
        return 'invalid';
      }
      if (head.atSeriesLimit()) {
        head.counters.rejected.limit++;
        return 'limit';
      }
      if (head.rejectByLabelLimits(labels) !== null) return 'limit';
      s = head.getOrCreate(labels);
    } else if (!Number.isSafeInteger(t)) {
      head.counters.rejected.invalid++;
      return 'invalid';
    }
    if (!s.logged && s.listedBy !== this.#id) {
      s.listedBy = this.#id;
      this.#newSeries.push(s);
    }
    let r = head.check(s, t, v, { id: this.#id, ts: this.#ts, vs: this.#vs });
    if (r === 'ooo') r = this.#pendingAt(s.ref, t, v) ?? r;
    if (r === 'skip') return null;
    if (r !== null && r !== 'ooo') {
      head.counters.rejected[r]++;
      return r;
    }
    const n = this.#ts.length;
    if (n === this.#vs.length) {
      const grown = new Float64Array(n * 2);
      grown.set(this.#vs);
      this.#vs = grown;
    }
    this.#vs[n] = v;
    this.#ts.push(t);
    this.#refs.push(s.ref);
    this.#series.push(s);
    s.pending++;
    if (r === null) {
      s.batchId = this.#id;
      s.batchIdx = n;
    }
    return null;
  }

  /** An out-of-order sample already in this batch at the same time: 'skip' or 'duplicate'. */
  #pendingAt(ref: number, t: number, v: number): 'skip' | 'duplicate' | null {
    for (let i = this.#ts.length - 1; i >= 0; i--) {
      if (this.#ts[i] === t && this.#refs[i] === ref)
        return sameValue(this.#vs[i]!, v) ? 'skip' : 'duplicate';
    }
    return null;
  }

  async commit(): Promise<void> {
    const batch: HeadBatch = {
      newSeries: this.#newSeries,
      refs: this.#refs,
      ts: this.#ts,
      vs: this.#vs,
      length: this.#ts.length,
    };
    const series = this.#series;
    this.#reset();
    try {
      await this.#head.commitBatch(batch);
    } finally {
      release(series, this.#id);
    }
  }

  rollback(): void {
    release(this.#series, this.#id);
    this.#reset();
  }

  #reset(): void {
    this.#refs = [];
    this.#series = [];
    this.#ts = [];
    this.#vs = new Float64Array(64);
    this.#newSeries = [];
  }
}

function release(series: readonly MemSeries[], batchId: number): void {
  for (const s of series) {
    s.pending--;
    if (s.batchId === batchId) s.batchIdx = -1;
  }
}
