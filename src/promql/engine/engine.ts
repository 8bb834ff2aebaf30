import { AppError } from '../../base/errors.js';
import {
  compareLabels,
  formatSeries,
  getLabel,
  METRIC_NAME,
  type Label,
  type Labels,
} from '../../model/labels.js';
import { isStaleNaN } from '../../model/sample.js';
import { readSeriesSamples } from '../../storage/read-samples.js';
import type {
  Matcher,
  Queryable,
  Querier,
  SelectHints,
  Series as StoredSeries,
} from '../../storage/storage.js';
import type {
  AggregateExpr,
  BinaryExpr,
  BinaryOp,
  Call,
  Expr,
  SubqueryExpr,
  VectorMatching,
  VectorSelector,
} from '../parser/ast.js';
import { isComparisonOp } from '../parser/ast.js';
import { documentedType, parseExpr, typeOf } from '../parser/parser.js';
import { translateRe2 } from '../parser/regex.js';
import { callFunction, type FnContext } from '../functions/functions.js';
import { aggregate } from '../functions/aggregate.js';
import type { QueryResult, QueryValue, Sample, Series } from './values.js';
import { evalRollupCall, isRollupFunction } from './rollup-eval.js';
import type { RollupRecords } from '../../storage/storage.js';
import { Annotations, labelsKey, type ISample, type IValue, type IMatrix, type ISeries } from './internal.js';

/** Engine-wide defaults; each query may override `lookbackDeltaMs`. */
export interface EngineOptions {
  /** How far back an instant selector looks for a sample (ms); default 5 minutes. */
  readonly lookbackDeltaMs?: number;
  /** Most samples a query may hold at once; default 50 million as Prometheus. */
  readonly maxSamples?: number;
  /** Step of a subquery written without one (`x[5m:]`), in ms; default 1 minute. */
  readonly noStepSubqueryIntervalMs?: number;
  /** Wall-clock budget of one query's evaluation (ms); default 2 minutes. */
  readonly timeoutMs?: number;
}

/** Per-query options. */
export interface QueryOptions {
  /** Cancels the query; it rejects with an AppError `canceled`. */
  readonly signal?: AbortSignal;
  readonly lookbackDeltaMs?: number;
  readonly timeoutMs?: number;
  /**
   * The coarsest rollup resolution the query may read (ms, passed to the store as
   * `SelectHints.maxResolutionMs`): 0 forces raw samples (the API's `raw=true`).
   */
  readonly maxResolutionMs?: number;
}

/** A range query's time grid, all in ms; `endMs` is inclusive when it lies on the grid. */
export interface RangeSpec {
  readonly startMs: number;
  readonly endMs: number;
  readonly stepMs: number;
}

/** The error Prometheus reports when a query holds more samples than allowed. */
export const TOO_MANY_SAMPLES = 'query processing would load too many samples into memory in query execution';

interface Loaded {
  readonly labels: Labels;
  readonly ts: Float64Array;
  readonly vs: Float64Array;
  /** The same samples without stale markers (what range selectors see); shared when there are none. */
  readonly fts: Float64Array;
  readonly fvs: Float64Array;
  /** Window aggregates when the store answered from rollups (see rollup-eval.ts). */
  readonly rollup?: RollupRecords;
}

/**
 * The PromQL engine over a {@link Queryable}: Prometheus 3.x semantics (left-open ranges,
 * delayed `__name__` removal, the 3.x functions). Stateless between queries and safe to share.
 * Failures reject with an {@link AppError}: `bad_input` for parse errors and evaluation errors
 * (Prometheus's `bad_data`/`execution`), `limit` for too many samples, `timeout`, `canceled`.
 */
export class Engine {
  readonly #queryable: Queryable;
  readonly #lookbackMs: number;
  readonly #maxSamples: number;
  readonly #subqueryStepMs: number;
  readonly #timeoutMs: number;

  constructor(queryable: Queryable, options: EngineOptions = {}) {
    this.#queryable = queryable;
    this.#lookbackMs = options.lookbackDeltaMs ?? 5 * 60_000;
    this.#maxSamples = options.maxSamples ?? 50_000_000;
    this.#subqueryStepMs = options.noStepSubqueryIntervalMs ?? 60_000;
    this.#timeoutMs = options.timeoutMs ?? 120_000;
  }

  /** Evaluates `query` at `timeMs`. */
  async instantQuery(query: string | Expr, timeMs: number, options: QueryOptions = {}): Promise<QueryResult> {
    const expr = typeof query === 'string' ? parseExpr(query) : query;
    const ev = await this.#prepare(expr, timeMs, timeMs, 0, options);
    try {
      const val = ev.evalTop(expr, timeMs);
      return { value: ev.finishInstant(val, timeMs), warnings: ev.annos.warnings(), infos: ev.annos.infos() };
    } finally {
      ev.close();
    }
  }

  /** Evaluates `query` at every step of `range`; the result is a matrix sorted by labels. */
  async rangeQuery(query: string | Expr, range: RangeSpec, options: QueryOptions = {}): Promise<QueryResult> {
    const expr = typeof query === 'string' ? parseExpr(query) : query;
    if (range.stepMs <= 0)
      throw new AppError(
        'bad_input',
        'zero or negative query resolution step widths are not accepted. Try a positive integer',
      );
    if (range.endMs < range.startMs)
      throw new AppError('bad_input', 'end timestamp must not be before start time');
    const t = typeOf(expr);
    if (t !== 'scalar' && t !== 'vector')
      throw new AppError(
        'bad_input',
        `invalid expression type "${documentedType(t)}" for range query, must be Scalar or instant Vector`,
      );
    const ev = await this.#prepare(expr, range.startMs, range.endMs, range.stepMs, options);
    if (containsSort(expr))
      ev.annos.warn('sort is ineffective for range queries since results are always ordered by labels');
    try {
      const bySeries = new Map<string, { labels: Labels; dropName: boolean; ts: number[]; vs: number[] }>();
      let points = 0;
      for (let ts = range.startMs; ts <= range.endMs; ts += range.stepMs) {
        ev.resetStepSamples(points);
        const val = ev.evalTop(expr, ts);
        const samples: ISample[] =
          val.kind === 'scalar'
            ? [{ labels: [], v: val.v, dropName: false }]
            : val.kind === 'vector'
              ? val.v
              : [];
        for (const s of samples) {
          const key = labelsKey(s.labels);
          let series = bySeries.get(key);
          if (!series) {
            series = { labels: s.labels, dropName: s.dropName, ts: [], vs: [] };
            bySeries.set(key, series);
          } else if (series.ts[series.ts.length - 1] === ts) {
            throw new AppError('bad_input', 'vector cannot contain metrics with the same labelset');
          }
          series.ts.push(ts);
          series.vs.push(s.v);
          points++;
        }
        ev.addSamples(samples.length);
      }
      const series: ISeries[] = [...bySeries.values()].map((s) => ({ ...s, lo: 0, hi: s.ts.length }));
      const matrix = cleanupMatrix(series);
      return {
        value: { type: 'matrix', matrix },
        warnings: ev.annos.warnings(),
        infos: ev.annos.infos(),
      };
    } finally {
      ev.close();
    }
  }

  async #prepare(
    expr: Expr,
    startMs: number,
    endMs: number,
    stepMs: number,
    options: QueryOptions,
  ): Promise<Evaluator> {
    const signal = options.signal;
    if (signal?.aborted) throw new AppError('canceled', 'query was canceled');
    const lookbackMs = options.lookbackDeltaMs ?? this.#lookbackMs;
    const ranges = new Map<VectorSelector, SelectorRange>();
    collectRanges(
      expr,
      startMs,
      endMs,
      { startMs, endMs, lookbackMs, subqueryStepMs: this.#subqueryStepMs, stepMs },
      ranges,
    );
    let mint = Infinity;
    let maxt = -Infinity;
    for (const r of ranges.values()) {
      mint = Math.min(mint, r.min);
      maxt = Math.max(maxt, r.max);
    }
    const querier = ranges.size > 0 ? this.#queryable.querier(mint, maxt) : null;
    const loaded = new Map<VectorSelector, Loaded[]>();
    try {
      for (const [vs, r] of ranges) {
        const matchers: Matcher[] = vs.matchers.map((m) =>
          m.type === '=~' || m.type === '!~' ? { ...m, value: translateRe2(m.value) } : m,
        );
        const hints: SelectHints = {
          startMs: r.min,
          endMs: r.max,
          ...(r.stepMs !== undefined ? { stepMs: r.stepMs, evalStartMs: r.evalStartMs } : {}),
          ...(r.rangeMs !== undefined ? { rangeMs: r.rangeMs } : {}),
          ...(r.func !== undefined ? { func: r.func } : {}),
          ...(options.maxResolutionMs !== undefined ? { maxResolutionMs: options.maxResolutionMs } : {}),
        };
        const series = await querier!.select(matchers, hints, signal);
        if (signal?.aborted) throw new AppError('canceled', 'query was canceled');
        loaded.set(
          vs,
          series.map((s) =>
            s.rollup !== undefined ? { ...materialize(s), rollup: s.rollup } : materialize(s),
          ),
        );
      }
    } catch (err) {
      querier?.close();
      throw err;
    }
    return new Evaluator({
      loaded,
      querier,
      startMs,
      endMs,
      stepMs,
      lookbackMs,
      subqueryStepMs: this.#subqueryStepMs,
      maxSamples: this.#maxSamples,
      deadline: now() + (options.timeoutMs ?? this.#timeoutMs),
      signal,
    });
  }
}

function now(): number {
  return performance.now();
}

/**
 * One selected series read whole (the store's bulk read when it has one), with a copy without
 * stale markers when it has any; the NaN scan runs only over series that hold a NaN.
 */
function materialize(s: StoredSeries): Loaded {
  const { ts, vs } = readSeriesSamples(s);
  const n = ts.length;
  let nans = 0;
  for (let i = 0; i < n; i++) {
    const v = vs[i]!;
    if (v !== v) nans++;
  }
  let stale = 0;
  if (nans > 0) for (let i = 0; i < n; i++) if (isStaleNaN(vs[i]!)) stale++;
  if (stale === 0) return { labels: s.labels, ts, vs, fts: ts, fvs: vs };
  const fts = new Float64Array(n - stale);
  const fvs = new Float64Array(n - stale);
  let j = 0;
  for (let i = 0; i < n; i++) {
    if (isStaleNaN(vs[i]!)) continue;
    fts[j] = ts[i]!;
    fvs[j] = vs[i]!;
    j++;
  }
  return { labels: s.labels, ts, vs, fts, fvs };
}

interface RangeCtx {
  startMs: number;
  endMs: number;
  lookbackMs: number;
  subqueryStepMs: number;
  /** The step of the evaluations in this part of the expression (0: one instant). */
  stepMs: number;
}

function atTime(at: VectorSelector['at'], ctx: { startMs: number; endMs: number }): number | null {
  if (at === null) return null;
  switch (at.kind) {
    case 'time':
      return at.timeMs;
    case 'start':
      return ctx.startMs;
    case 'end':
      return ctx.endMs;
  }
}

/** The span a selector's evaluations read, with what a store may use to pick a resolution. */
interface SelectorRange {
  min: number;
  max: number;
  rangeMs?: number;
  func?: string;
  /** The grid of its evaluations (offset applied), when it is evaluated at more than one time. */
  stepMs?: number;
  evalStartMs?: number;
}

/** Records, for every selector, the time span of samples its evaluations may read. */
function collectRanges(
  e: Expr,
  evalMin: number,
  evalMax: number,
  ctx: RangeCtx,
  out: Map<VectorSelector, SelectorRange>,
  func?: string,
): void {
  const addSel = (vs: VectorSelector, window: number, rangeMs?: number): void => {
    const at = atTime(vs.at, ctx);
    const lo = (at ?? evalMin) - vs.offsetMs - window;
    const hi = (at ?? evalMax) - vs.offsetMs;
    const prev = out.get(vs);
    const r: SelectorRange = prev
      ? { ...prev, min: Math.min(prev.min, lo), max: Math.max(prev.max, hi) }
      : { min: lo, max: hi };
    if (rangeMs !== undefined) r.rangeMs = rangeMs;
    if (func !== undefined) r.func = func;
    if (at === null && ctx.stepMs > 0 && prev === undefined) {
      r.stepMs = ctx.stepMs;
      r.evalStartMs = evalMin - vs.offsetMs;
    }
    out.set(vs, r);
  };
  switch (e.type) {
    case 'VectorSelector':
      addSel(e, ctx.lookbackMs);
      return;
    case 'MatrixSelector':
      addSel(e.vectorSelector, e.rangeMs, e.rangeMs);
      return;
    case 'SubqueryExpr': {
      const at = atTime(e.at, ctx);
      const lo = (at ?? evalMin) - e.offsetMs - e.rangeMs;
      const hi = (at ?? evalMax) - e.offsetMs;
      // Inner evaluations sit on multiples of the subquery's step (see Evaluator.subquery).
      const step = e.stepMs > 0 ? e.stepMs : ctx.subqueryStepMs;
      let first = step * Math.trunc(lo / step);
      if (first <= lo) first += step;
      collectRanges(e.expr, first, hi, { ...ctx, stepMs: step }, out);
      return;
    }
    case 'AggregateExpr':
      if (e.param) collectRanges(e.param, evalMin, evalMax, ctx, out);
      collectRanges(e.expr, evalMin, evalMax, ctx, out);
      return;
    case 'BinaryExpr':
      collectRanges(e.lhs, evalMin, evalMax, ctx, out);
      collectRanges(e.rhs, evalMin, evalMax, ctx, out);
      return;
    case 'Call':
      for (const a of e.args) collectRanges(a, evalMin, evalMax, ctx, out, e.func);
      return;
    case 'ParenExpr':
    case 'UnaryExpr':
      collectRanges(e.expr, evalMin, evalMax, ctx, out);
      return;
    case 'NumberLiteral':
    case 'StringLiteral':
      return;
  }
}

/** First index i with ts[i] >= t. */
function lowerBoundArr(ts: readonly number[], t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index i with ts[i] > t. */
function upperBoundArr(ts: readonly number[], t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index i with ts[i] > t. */
function upperBound(ts: Float64Array, t: number): number {
  return upperBoundFrom(ts, 0, t);
}

/** First index i >= from with ts[i] > t (ts ascending). */
function upperBoundFrom(ts: Float64Array, from: number, t: number): number {
  let lo = from;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * First index i >= from with ts[i] > t, given that every index before `from` is <= t: the
 * cursor of a window sliding forward. A few linear steps cover the usual advance of one query
 * step; a longer one falls back to a binary search of the rest.
 */
function advanceUpper(ts: Float64Array, from: number, t: number): number {
  const n = ts.length;
  let i = from;
  for (let k = 0; k < 8; k++) {
    if (i >= n || ts[i]! > t) return i;
    i++;
  }
  return upperBoundFrom(ts, i, t);
}

/**
 * Per-series positions of one selector at its last evaluation time, so the next (later) step
 * advances them instead of searching each series again: for an instant selector `hi` is the
 * first index after the sample in effect; for a range selector `lo`/`hi` bound the window.
 */
interface Cursors {
  refT: number;
  readonly lo: Int32Array;
  readonly hi: Int32Array;
}

function dropMetricName(labels: Labels): Labels {
  return labels.some((l) => l.name === METRIC_NAME || l.name === '__type__' || l.name === '__unit__')
    ? labels.filter((l) => l.name !== METRIC_NAME && l.name !== '__type__' && l.name !== '__unit__')
    : labels;
}

/** Applies delayed name removal to a range result and merges series that became equal. */
function cleanupMatrix(series: ISeries[]): Series[] {
  const groups = new Map<string, { labels: Labels; members: ISeries[] }>();
  for (const s of series) {
    const labels = s.dropName ? dropMetricName(s.labels) : s.labels;
    const key = labelsKey(labels);
    const g = groups.get(key);
    if (g) g.members.push(s);
    else groups.set(key, { labels, members: [s] });
  }
  const out: Series[] = [];
  for (const g of groups.values()) {
    if (g.members.length === 1) {
      const m = g.members[0]!;
      const ts = new Float64Array(m.hi - m.lo);
      const vs = new Float64Array(m.hi - m.lo);
      for (let i = m.lo; i < m.hi; i++) {
        ts[i - m.lo] = m.ts[i]!;
        vs[i - m.lo] = m.vs[i]!;
      }
      out.push({ labels: g.labels, ts, vs });
      continue;
    }
    const pts = new Map<number, number>();
    for (const m of g.members)
      for (let i = m.lo; i < m.hi; i++) {
        const t = m.ts[i]!;
        if (pts.has(t))
          throw new AppError('bad_input', 'vector cannot contain metrics with the same labelset');
        pts.set(t, m.vs[i]!);
      }
    const times = [...pts.keys()].sort((a, b) => a - b);
    out.push({
      labels: g.labels,
      ts: Float64Array.from(times),
      vs: Float64Array.from(times, (t) => pts.get(t)!),
    });
  }
  out.sort((a, b) => compareLabels(a.labels, b.labels));
  return out;
}

interface EvaluatorInit {
  loaded: Map<VectorSelector, Loaded[]>;
  querier: Querier | null;
  startMs: number;
  endMs: number;
  stepMs: number;
  lookbackMs: number;
  subqueryStepMs: number;
  maxSamples: number;
  deadline: number;
  signal: AbortSignal | undefined;
}

/** Evaluates one query over preloaded series, one instant at a time. */
class Evaluator {
  readonly annos = new Annotations();
  readonly #i: EvaluatorInit;
  #samples = 0;
  #base = 0;
  /** Per subquery node: its inner results so far, from firstT up to (excluding) nextT. */
  readonly #subqueries = new Map<
    SubqueryExpr,
    { firstT: number; nextT: number; series: Map<string, ISeries & { ts: number[]; vs: number[] }> }
  >();
  #ticks = 0;
  readonly #instantCursors = new Map<VectorSelector, Cursors>();
  readonly #rangeCursors = new Map<VectorSelector, Cursors>();

  constructor(init: EvaluatorInit) {
    this.#i = init;
  }

  close(): void {
    this.#i.querier?.close();
  }

  resetStepSamples(base: number): void {
    this.#base = base;
    this.#samples = base;
  }

  addSamples(n: number): void {
    this.#samples += n;
    if (this.#samples > this.#i.maxSamples) throw new AppError('limit', TOO_MANY_SAMPLES);
  }

  #check(): void {
    if ((++this.#ticks & 255) !== 0) return;
    if (this.#i.signal?.aborted)
      throw new AppError('canceled', 'query was canceled in expression evaluation');
    if (now() > this.#i.deadline) throw new AppError('timeout', 'query timed out in expression evaluation');
  }

  evalTop(e: Expr, t: number): IValue {
    this.#samples = this.#base;
    return this.eval(e, t);
  }

  finishInstant(val: IValue, t: number): QueryValue {
    switch (val.kind) {
      case 'scalar':
        return { type: 'scalar', t, v: val.v };
      case 'string':
        return { type: 'string', t, v: val.v };
      case 'vector': {
        const seen = new Set<string>();
        const vector: Sample[] = val.v.map((s) => {
          const labels = s.dropName ? dropMetricName(s.labels) : s.labels;
          const key = labelsKey(labels);
          if (seen.has(key))
            throw new AppError('bad_input', 'vector cannot contain metrics with the same labelset');
          seen.add(key);
          return { labels, t, v: s.v };
        });
        return { type: 'vector', vector };
      }
      case 'matrix':
        return { type: 'matrix', matrix: cleanupMatrix(val.m.series) };
    }
  }

  eval(e: Expr, t: number): IValue {
    this.#check();
    switch (e.type) {
      case 'NumberLiteral':
        return { kind: 'scalar', v: e.value };
      case 'StringLiteral':
        return { kind: 'string', v: e.value };
      case 'ParenExpr':
        return this.eval(e.expr, t);
      case 'UnaryExpr': {
        const v = this.eval(e.expr, t);
        if (e.op === '+') return v;
        if (v.kind === 'scalar') return { kind: 'scalar', v: -v.v };
        if (v.kind === 'vector')
          return { kind: 'vector', v: v.v.map((s) => ({ labels: s.labels, v: -s.v, dropName: true })) };
        throw new AppError('bad_input', 'unary minus on unsupported type');
      }
      case 'VectorSelector':
        return { kind: 'vector', v: this.vectorSelector(e, t) };
      case 'MatrixSelector':
        return { kind: 'matrix', m: this.matrixSelector(e.vectorSelector, e.rangeMs, t) };
      case 'SubqueryExpr':
        return { kind: 'matrix', m: this.subquery(e, t) };
      case 'BinaryExpr':
        return this.binary(e, t);
      case 'AggregateExpr':
        return this.aggregate(e, t);
      case 'Call':
        return this.call(e, t);
    }
  }

  /** The cursors of `vs`'s series moved to `refT` (forward from the last step, else searched). */
  #cursors(
    map: Map<VectorSelector, Cursors>,
    vs: VectorSelector,
    loaded: readonly Loaded[],
    refT: number,
    rangeMs: number,
    filtered: boolean,
  ): Cursors {
    let c = map.get(vs);
    if (c !== undefined && refT === c.refT) return c;
    const forward = c !== undefined && refT > c.refT;
    if (c === undefined) {
      c = { refT, lo: new Int32Array(loaded.length), hi: new Int32Array(loaded.length) };
      map.set(vs, c);
    }
    const { lo, hi } = c;
    for (let j = 0; j < loaded.length; j++) {
      const s = loaded[j]!;
      const ts = filtered ? s.fts : s.ts;
      if (forward) {
        lo[j] = advanceUpper(ts, lo[j]!, refT - rangeMs);
        hi[j] = advanceUpper(ts, hi[j]!, refT);
      } else {
        lo[j] = upperBound(ts, refT - rangeMs);
        hi[j] = upperBound(ts, refT);
      }
    }
    c.refT = refT;
    return c;
  }

  vectorSelector(vs: VectorSelector, t: number, keepTime = false): ISample[] {
    const at = atTime(vs.at, this.#i);
    const refT = (at ?? t) - vs.offsetMs;
    const floor = refT - this.#i.lookbackMs;
    const out: ISample[] = [];
    const loaded = this.#i.loaded.get(vs) ?? [];
    const cur = this.#cursors(this.#instantCursors, vs, loaded, refT, 0, false).hi;
    for (let j = 0; j < loaded.length; j++) {
      const s = loaded[j]!;
      const idx = cur[j]! - 1;
      if (idx < 0) continue;
      const st = s.ts[idx]!;
      if (st <= floor) continue;
      const v = s.vs[idx]!;
      if (isStaleNaN(v)) continue;
      out.push(
        keepTime ? { labels: s.labels, v, dropName: false, t: st } : { labels: s.labels, v, dropName: false },
      );
    }
    this.addSamples(out.length);
    return out;
  }

  matrixSelector(vs: VectorSelector, rangeMs: number, t: number): IMatrix {
    const at = atTime(vs.at, this.#i);
    const refT = (at ?? t) - vs.offsetMs;
    const series: ISeries[] = [];
    let n = 0;
    const loaded = this.#i.loaded.get(vs) ?? [];
    const cur = this.#cursors(this.#rangeCursors, vs, loaded, refT, rangeMs, true);
    for (let j = 0; j < loaded.length; j++) {
      const s = loaded[j]!;
      const lo = cur.lo[j]!;
      const hi = cur.hi[j]!;
      if (lo >= hi) continue;
      n += hi - lo;
      series.push({ labels: s.labels, ts: s.fts, vs: s.fvs, lo, hi, dropName: false });
    }
    this.addSamples(n);
    return { series, rangeMs, refT, selector: vs };
  }

  subquery(e: SubqueryExpr, t: number): IMatrix {
    const at = atTime(e.at, this.#i);
    const refT = (at ?? t) - e.offsetMs;
    const step = e.stepMs > 0 ? e.stepMs : this.#i.subqueryStepMs;
    const mint = refT - e.rangeMs;
    let start = step * Math.trunc(mint / step);
    if (start <= mint) start += step;
    // Inner steps sit on absolute multiples of the step, so consecutive outer evaluations share
    // most of them: the inner results are kept as growing series and each evaluation takes a
    // window, as for a range selector (Prometheus evaluates a subquery once over the whole range).
    let mat = this.#subqueries.get(e);
    if (!mat || start < mat.firstT) {
      mat = { firstT: start, nextT: start, series: new Map() };
      this.#subqueries.set(e, mat);
    }
    const saved = this.#samples;
    for (let ts = Math.max(mat.nextT, start); ts <= refT; ts += step) {
      const v = this.eval(e.expr, ts);
      const samples: ISample[] =
        v.kind === 'scalar' ? [{ labels: [], v: v.v, dropName: false }] : v.kind === 'vector' ? v.v : [];
      for (const s of samples) {
        const key = labelsKey(s.labels);
        let series = mat.series.get(key);
        if (!series) {
          series = { labels: s.labels, ts: [], vs: [], lo: 0, hi: 0, dropName: s.dropName };
          mat.series.set(key, series);
        } else if (series.ts[series.ts.length - 1] === ts) {
          throw new AppError('bad_input', 'vector cannot contain metrics with the same labelset');
        }
        series.ts.push(ts);
        series.vs.push(s.v);
      }
      mat.nextT = ts + step;
      this.#samples = saved;
      this.addSamples(0);
    }
    const series: ISeries[] = [];
    let n = 0;
    for (const s of mat.series.values()) {
      const lo = lowerBoundArr(s.ts, start);
      const hi = upperBoundArr(s.ts, refT);
      if (lo >= hi) continue;
      n += hi - lo;
      series.push({ labels: s.labels, ts: s.ts, vs: s.vs, lo, hi, dropName: s.dropName });
    }
    this.#samples = saved;
    this.addSamples(n);
    return { series, rangeMs: e.rangeMs, refT, selector: null };
  }

  binary(e: BinaryExpr, t: number): IValue {
    const lhs = this.eval(e.lhs, t);
    const rhs = this.eval(e.rhs, t);
    if (lhs.kind === 'scalar' && rhs.kind === 'scalar')
      return { kind: 'scalar', v: scalarBinop(e.op, lhs.v, rhs.v) };
    if (lhs.kind === 'vector' && rhs.kind === 'vector') {
      const m = e.matching!;
      switch (e.op) {
        case 'and':
          return { kind: 'vector', v: vectorAnd(lhs.v, rhs.v, m) };
        case 'or':
          return { kind: 'vector', v: vectorOr(lhs.v, rhs.v, m) };
        case 'unless':
          return { kind: 'vector', v: vectorUnless(lhs.v, rhs.v, m) };
        default:
          return { kind: 'vector', v: vectorBinop(e.op, lhs.v, rhs.v, m, e.returnBool) };
      }
    }
    if (lhs.kind === 'vector' && rhs.kind === 'scalar')
      return { kind: 'vector', v: vectorScalarBinop(e.op, lhs.v, rhs.v, false, e.returnBool) };
    if (lhs.kind === 'scalar' && rhs.kind === 'vector')
      return { kind: 'vector', v: vectorScalarBinop(e.op, rhs.v, lhs.v, true, e.returnBool) };
    throw new AppError('bad_input', 'binary expression must contain only scalar and instant vector types');
  }

  aggregate(e: AggregateExpr, t: number): IValue {
    let param: number | string | null = null;
    if (e.param !== null) {
      const p = this.eval(e.param, t);
      param = p.kind === 'scalar' || p.kind === 'string' ? p.v : null;
    }
    const input = this.eval(e.expr, t);
    if (input.kind !== 'vector') throw new AppError('bad_input', 'aggregation over a non-vector');
    return { kind: 'vector', v: aggregate(e, param, input.v, this.annos) };
  }

  /**
   * A range function over a selector the store answered from rollups, computed from the windows
   * (rollup-eval.ts); null when the call is not one (then it is evaluated over samples).
   */
  #rollupCall(e: Call, t: number): IValue | null {
    if (!isRollupFunction(e.func) || e.args.length !== 1) return null;
    const arg = unwrapParens(e.args[0]!);
    if (arg.type !== 'MatrixSelector') return null;
    const vs = arg.vectorSelector;
    const loaded = this.#i.loaded.get(vs) ?? [];
    if (loaded.length === 0 || loaded.some((s) => s.rollup === undefined)) return null;
    const refT = (atTime(vs.at, this.#i) ?? t) - vs.offsetMs;
    const { samples, read } = evalRollupCall(
      e.func,
      loaded as readonly (Loaded & { rollup: RollupRecords })[],
      refT,
      arg.rangeMs,
      this.annos,
    );
    this.addSamples(read);
    return { kind: 'vector', v: samples };
  }

  call(e: Call, t: number): IValue {
    const args: IValue[] = [];
    if (e.func === 'timestamp') {
      const arg = unwrapParens(e.args[0]!);
      if (arg.type === 'VectorSelector') {
        const samples = this.vectorSelector(arg, t, true);
        return {
          kind: 'vector',
          v: samples.map((s) => ({ labels: s.labels, v: s.t! / 1000, dropName: true })),
        };
      }
    }
    const fromRollups = this.#rollupCall(e, t);
    if (fromRollups !== null) return fromRollups;
    for (const a of e.args) args.push(this.eval(unwrapParens(a), t));
    const ctx: FnContext = {
      t,
      call: e,
      annos: this.annos,
      startMs: this.#i.startMs,
      endMs: this.#i.endMs,
      stepMs: this.#i.stepMs,
    };
    return callFunction(ctx, args);
  }
}

const sortFunctions = new Set(['sort', 'sort_desc', 'sort_by_label', 'sort_by_label_desc']);

function containsSort(e: Expr): boolean {
  switch (e.type) {
    case 'Call':
      return sortFunctions.has(e.func) || e.args.some(containsSort);
    case 'AggregateExpr':
      return containsSort(e.expr) || (e.param !== null && containsSort(e.param));
    case 'BinaryExpr':
      return containsSort(e.lhs) || containsSort(e.rhs);
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'SubqueryExpr':
      return containsSort(e.expr);
    case 'MatrixSelector':
    case 'VectorSelector':
    case 'NumberLiteral':
    case 'StringLiteral':
      return false;
  }
}

function unwrapParens(e: Expr): Expr {
  while (e.type === 'ParenExpr') e = e.expr;
  return e;
}

function scalarBinop(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '^':
      return goPow(l, r);
    case '%':
      return goMod(l, r);
    case '==':
      return l === r ? 1 : 0;
    case '!=':
      return l !== r ? 1 : 0;
    case '>':
      return l > r ? 1 : 0;
    case '<':
      return l < r ? 1 : 0;
    case '>=':
      return l >= r ? 1 : 0;
    case '<=':
      return l <= r ? 1 : 0;
    case 'atan2':
      return Math.atan2(l, r);
    case 'and':
    case 'or':
    case 'unless':
      throw new AppError('bad_input', `operator "${op}" not allowed for scalar operations`);
  }
}

/** Go's math.Pow differs from JS's `**` for 1^NaN and (-1)^±Inf (both 1 in Go). */
function goPow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && !Number.isFinite(y) && !Number.isNaN(y)) return 1;
  return x ** y;
}

/** Go's math.Mod: the result has the sign of x (JS `%` agrees, including ±0). */
function goMod(x: number, y: number): number {
  return x % y;
}

/** Value and "keep" of one element pair; comparisons return the left value. */
function elemBinop(op: BinaryOp, l: number, r: number): [number, boolean] {
  switch (op) {
    case '==':
      return [l, l === r];
    case '!=':
      return [l, l !== r];
    case '>':
      return [l, l > r];
    case '<':
      return [l, l < r];
    case '>=':
      return [l, l >= r];
    case '<=':
      return [l, l <= r];
    default:
      return [scalarBinop(op, l, r), true];
  }
}

function vectorScalarBinop(
  op: BinaryOp,
  vec: ISample[],
  scalar: number,
  swap: boolean,
  returnBool: boolean,
): ISample[] {
  const out: ISample[] = [];
  const cmp = isComparisonOp(op);
  for (const s of vec) {
    let [v, keep] = swap ? elemBinop(op, scalar, s.v) : elemBinop(op, s.v, scalar);
    if (cmp && swap) v = s.v;
    if (returnBool) {
      v = keep ? 1 : 0;
      keep = true;
    }
    if (!keep) continue;
    out.push({ labels: s.labels, v, dropName: s.dropName || !cmp || returnBool });
  }
  return out;
}

const signatureCache = new WeakMap<VectorMatching, (labels: Labels) => string>();

/** The join signature of a label set for a matching clause, cached per clause and label set. */
function signatureFn(m: VectorMatching): (labels: Labels) => string {
  let f = signatureCache.get(m);
  if (f === undefined) {
    const compute = computeSignatureFn(m);
    const cache = new WeakMap<Labels, string>();
    f = (labels) => {
      let sig = cache.get(labels);
      if (sig === undefined) {
        sig = compute(labels);
        cache.set(labels, sig);
      }
      return sig;
    };
    signatureCache.set(m, f);
  }
  return f;
}

function computeSignatureFn(m: VectorMatching): (labels: Labels) => string {
  if (m.on) {
    const names = [...m.matchingLabels].sort();
    return (labels) => {
      let key = '';
      for (const n of names) key += `${n}\u0000${getLabel(labels, n)}\u0001`;
      return key;
    };
  }
  const excluded = new Set([METRIC_NAME, ...m.matchingLabels]);
  return (labels) => {
    let key = '';
    for (const l of labels) if (!excluded.has(l.name)) key += `${l.name}\u0000${l.value}\u0001`;
    return key;
  };
}

function vectorAnd(lhs: ISample[], rhs: ISample[], m: VectorMatching): ISample[] {
  if (lhs.length === 0 || rhs.length === 0) return [];
  const sig = signatureFn(m);
  const right = new Set(rhs.map((s) => sig(s.labels)));
  return lhs.filter((s) => right.has(sig(s.labels)));
}

function vectorOr(lhs: ISample[], rhs: ISample[], m: VectorMatching): ISample[] {
  if (lhs.length === 0) return [...rhs];
  if (rhs.length === 0) return [...lhs];
  const sig = signatureFn(m);
  const left = new Set(lhs.map((s) => sig(s.labels)));
  return [...lhs, ...rhs.filter((s) => !left.has(sig(s.labels)))];
}

function vectorUnless(lhs: ISample[], rhs: ISample[], m: VectorMatching): ISample[] {
  if (lhs.length === 0 || rhs.length === 0) return [...lhs];
  const sig = signatureFn(m);
  const right = new Set(rhs.map((s) => sig(s.labels)));
  return lhs.filter((s) => !right.has(sig(s.labels)));
}

function matchLabels(labels: Labels, m: VectorMatching): Labels {
  if (m.on) return labels.filter((l) => m.matchingLabels.includes(l.name));
  return labels.filter((l) => l.name !== METRIC_NAME && !m.matchingLabels.includes(l.name));
}

const resultMetricCache = new WeakMap<
  VectorMatching,
  Map<BinaryOp, WeakMap<Labels, WeakMap<Labels, Labels>>>
>();

/** The labels of a binary operation's result, cached per clause and operand label sets. */
function resultMetric(lhs: Labels, rhs: Labels, op: BinaryOp, m: VectorMatching): Labels {
  let byOp = resultMetricCache.get(m);
  if (!byOp) {
    byOp = new Map();
    resultMetricCache.set(m, byOp);
  }
  let byLhs = byOp.get(op);
  if (!byLhs) {
    byLhs = new WeakMap();
    byOp.set(op, byLhs);
  }
  let byRhs = byLhs.get(lhs);
  if (!byRhs) {
    byRhs = new WeakMap();
    byLhs.set(lhs, byRhs);
  }
  let out = byRhs.get(rhs);
  if (!out) {
    out = computeResultMetric(lhs, rhs, op, m);
    byRhs.set(rhs, out);
  }
  return out;
}

function computeResultMetric(lhs: Labels, rhs: Labels, op: BinaryOp, m: VectorMatching): Labels {
  let out: Label[] = [...lhs];
  if (!isComparisonOp(op))
    out = out.filter((l) => l.name !== METRIC_NAME && l.name !== '__type__' && l.name !== '__unit__');
  if (m.card === 'one-to-one') {
    if (m.on) out = out.filter((l) => m.matchingLabels.includes(l.name));
    else out = out.filter((l) => !m.matchingLabels.includes(l.name));
  }
  for (const name of m.include) {
    const v = getLabel(rhs, name);
    out = out.filter((l) => l.name !== name);
    if (v !== '') out.push({ name, value: v });
  }
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

function vectorBinop(
  op: BinaryOp,
  lhs: ISample[],
  rhs: ISample[],
  m: VectorMatching,
  returnBool: boolean,
): ISample[] {
  if (lhs.length === 0 || rhs.length === 0) return [];
  const swap = m.card === 'one-to-many';
  if (swap) [lhs, rhs] = [rhs, lhs];
  const sig = signatureFn(m);
  const rightSigs = new Map<string, ISample>();
  for (const rs of rhs) {
    const key = sig(rs.labels);
    const dup = rightSigs.get(key);
    if (dup !== undefined) {
      const oneSide = swap ? 'left' : 'right';
      throw new AppError(
        'bad_input',
        `found duplicate series for the match group ${formatLabelSet(matchLabels(rs.labels, m))} on the ${oneSide} hand-side of the operation: [${formatLabelSet(dup.labels)}, ${formatLabelSet(rs.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
    rightSigs.set(key, rs);
  }
  const matched = new Map<string, Set<string> | null>();
  const out: ISample[] = [];
  for (const ls of lhs) {
    const key = sig(ls.labels);
    const rs = rightSigs.get(key);
    if (rs === undefined) continue;
    let [l, r] = [ls.v, rs.v];
    if (swap) [l, r] = [r, l];
    const [value, keep] = elemBinop(op, l, r);
    const v = returnBool ? (keep ? 1 : 0) : value;
    const metric = resultMetric(ls.labels, rs.labels, op, m);
    if (m.card === 'one-to-one') {
      if (matched.has(key))
        throw new AppError(
          'bad_input',
          'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)',
        );
      matched.set(key, null);
    } else {
      const mk = labelsKey(metric);
      let set = matched.get(key);
      if (!set) {
        set = new Set();
        matched.set(key, set);
      } else if (set.has(mk)) {
        throw new AppError(
          'bad_input',
          'multiple matches for labels: grouping labels must ensure unique matches',
        );
      }
      set.add(mk);
    }
    if (!keep && !returnBool) continue;
    out.push({ labels: metric, v, dropName: returnBool || (isComparisonOp(op) && ls.dropName) });
  }
  return out;
}

function formatLabelSet(labels: Labels): string {
  return `{${labels.map((l) => `${l.name}="${l.value}"`).join(', ')}}`;
}

export { formatSeries };
