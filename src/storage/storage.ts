import type { Labels } from '../model/labels.js';

/**
 * THE PORTS between the store and everything that writes or reads it (ARCHITECTURE.md "Seams").
 * Ingest, scrape, rules and the agent write through {@link Appendable}; PromQL, reports, anomaly
 * detection and the HTTP API read through {@link Queryable}. Implementations: the embedded TSDB,
 * a remote Prometheus-compatible backend, and {@link MemoryStorage} for tests.
 */

/** Why a sample was not accepted. Returned, never thrown: a rejected sample is an outcome. */
export type AppendRejection =
  | 'out_of_order' // older than the newest sample of its series, beyond the out-of-order window
  | 'too_old' // older than the head's minimum time
  | 'duplicate' // same timestamp, different value
  | 'limit' // a series or label limit
  | 'invalid'; // bad labels or name

/**
 * A batch of writes. Not safe for concurrent use: each writer takes its own from
 * {@link Appendable.appender}. Nothing is visible to readers before {@link commit}.
 */
export interface Appender {
  /**
   * Adds a sample to the batch. Synchronous and allocation-light; returns null when accepted
   * (to be committed) or the reason it was rejected. `t` is in ms since the epoch.
   */
  append(labels: Labels, t: number, v: number): AppendRejection | null;
  /** Makes the batch durable (in the WAL) and visible; after it resolves the write may be acknowledged. */
  commit(): Promise<void>;
  /** Drops the batch. */
  rollback(): void;
}

/** Something that hands out appenders. */
export interface Appendable {
  appender(): Appender;
}

/** The four matcher types of PromQL selectors. */
export type MatchType = '=' | '!=' | '=~' | '!~';

/**
 * A label matcher. Regexes are fully anchored (Prometheus semantics): `a=~"b"` matches only "b".
 * An absent label has the value ''.
 */
export interface Matcher {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
}

/** What a reader intends, so a store can choose resolution or skip work. All times in ms. */
export interface SelectHints {
  readonly startMs: number;
  readonly endMs: number;
  /** The query step (range queries), when known. */
  readonly stepMs?: number;
  /** The range of a range selector around it, when known. */
  readonly rangeMs?: number;
  /** The function applied to the selected data, when known (`rate`, `max_over_time`, …). */
  readonly func?: string;
  /**
   * The first evaluation time (offset applied) of the selector: evaluations fall on
   * `evalStartMs + k·stepMs`. With it a store can tell whether rollup windows align with every
   * evaluation (docs/promql.md "Rollups").
   */
  readonly evalStartMs?: number;
  /**
   * The coarsest rollup resolution the reader accepts (ms): 0 forces raw samples (the API's
   * `raw=true`); absent lets the store choose by its documented rule.
   */
  readonly maxResolutionMs?: number;
}

/**
 * Per-window aggregates of one series (rollups, docs/tsdb/block.md "Rollups"), parallel columns of
 * `length` records in time order. A record summarizes the non-stale samples of a window
 * `(t − resolution, t]` (or a single raw sample at `t`): `count` samples, their `sum`, `min`, `max`
 * (NaN only when all are NaN, as Prometheus's min/max_over_time), the first and last sample
 * (`firstT`/`firstV`, `lastT`/`lastV`, times in ms), and `resets`: the sum of the values before each
 * drop between consecutive samples inside the window, so the counter increase within it is
 * `lastV − firstV + resets`. Records with `count` 0 carry only a staleness marker and are skipped.
 * Owned by the reader; not written to after the store returns it.
 */
export interface RollupRecords {
  /** The coarsest window length among the records (ms). */
  readonly resolutionMs: number;
  readonly length: number;
  readonly t: Float64Array;
  readonly count: Float64Array;
  readonly sum: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly firstT: Float64Array;
  readonly firstV: Float64Array;
  readonly lastT: Float64Array;
  readonly lastV: Float64Array;
  readonly resets: Float64Array;
}

/**
 * Iterates one series' samples in time order. Synchronous: the I/O was done by
 * {@link Querier.select}. Read `atT()`/`atV()` only after `next()` or `seek()` returned true.
 */
export interface SampleIterator {
  /** Moves to the next sample; false at the end. */
  next(): boolean;
  /** Moves to the first sample with t >= `t` (never backwards); false if there is none. */
  seek(t: number): boolean;
  atT(): number;
  atV(): number;
}

/**
 * A series' samples read at once: parallel arrays, ascending by time, `ts` in ms. Values live in a
 * Float64Array so NaN payloads (the staleness marker) survive. The reader must not write to them:
 * they may be views of buffers the store or another reader shares.
 */
export interface SampleArrays {
  readonly ts: Float64Array;
  readonly vs: Float64Array;
}

/**
 * One selected series. `iterator()` may be called more than once; each starts at the beginning.
 * `readSamples()`, when a store offers it, returns exactly what a full pass of `iterator()` yields,
 * in one call (a bulk read: no per-sample calls); readers take it through
 * {@link readSeriesSamples}, which falls back to the iterator.
 */
export interface Series {
  readonly labels: Labels;
  iterator(): SampleIterator;
  readSamples?(): SampleArrays;
  /**
   * Present when the store answered from rollups (it chose them from {@link SelectHints}): the
   * window aggregates over the whole selected span, for the functions that can be computed from
   * them; `iterator()` then yields each window's last sample at its own time (and a staleness
   * marker where the window's data ended stale), which is what a plain selection reads.
   */
  readonly rollup?: RollupRecords;
}

/** Reads a fixed time range of one store. Close it when done; it may pin resources. */
export interface Querier {
  /** Series matching all matchers (at least one must not match ''), sorted by labels. */
  select(matchers: readonly Matcher[], hints?: SelectHints, signal?: AbortSignal): Promise<Series[]>;
  /** Label names present in series matching the matchers (all series when none), sorted. */
  labelNames(matchers?: readonly Matcher[], signal?: AbortSignal): Promise<string[]>;
  /** Values of `name` in series matching the matchers, sorted. */
  labelValues(name: string, matchers?: readonly Matcher[], signal?: AbortSignal): Promise<string[]>;
  close(): void;
}

/** Something that opens queriers over a time range [mintMs, maxtMs] (inclusive). */
export interface Queryable {
  querier(mintMs: number, maxtMs: number): Querier;
}

/** Both ports: what the server is handed for a tenant. */
export interface Storage extends Appendable, Queryable {
  close(): Promise<void>;
}
