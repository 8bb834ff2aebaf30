import type { Labels } from '../../model/labels.js';

/**
 * Query results, as Prometheus's `promql.Value`. Times are ms since the epoch. Matrix values live in
 * Float64Arrays, so NaN payloads survive (see model/sample.ts); results never contain stale markers.
 */

/** One element of an instant vector. `t` is the evaluation time. */
export interface Sample {
  readonly labels: Labels;
  readonly t: number;
  readonly v: number;
}

/** One series of a range vector: `ts[i]` (ms) and `vs[i]` are parallel, ascending by time. */
export interface Series {
  readonly labels: Labels;
  readonly ts: Float64Array;
  readonly vs: Float64Array;
}

/** A query's value: an instant vector, a range vector, a scalar or a string. */
export type QueryValue =
  | { readonly type: 'vector'; readonly vector: readonly Sample[] }
  | { readonly type: 'matrix'; readonly matrix: readonly Series[] }
  | { readonly type: 'scalar'; readonly t: number; readonly v: number }
  | { readonly type: 'string'; readonly t: number; readonly v: string };

/**
 * A query's outcome with its annotations. Warnings and infos read like Prometheus's
 * (`PromQL warning: …`, `PromQL info: …`) and never fail the query.
 */
export interface QueryResult {
  readonly value: QueryValue;
  readonly warnings: readonly string[];
  readonly infos: readonly string[];
}
