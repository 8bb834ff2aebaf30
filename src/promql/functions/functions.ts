import { AppError } from '../../base/errors.js';
import { getLabel, labelNameRe, METRIC_NAME, type Label, type Labels } from '../../model/labels.js';
import type { Call, Expr } from '../parser/ast.js';
import { translateRe2 } from '../parser/regex.js';
import {
  Annotations,
  labelsKey,
  type IMatrix,
  type ISample,
  type ISeries,
  type IValue,
} from '../engine/internal.js';
import {
  bucketFraction,
  bucketQuantile,
  formatGoFloatG,
  KahanMean,
  kahanSumInc,
  linearRegression,
  quantile,
  type Bucket,
} from './math.js';

/** What a function sees besides its arguments. Times in ms. */
export interface FnContext {
  /** The evaluation time. */
  readonly t: number;
  readonly call: Call;
  readonly annos: Annotations;
  readonly startMs: number;
  readonly endMs: number;
  /** The range query's step; 0 for an instant query. */
  readonly stepMs: number;
}

const vec = (v: ISample[]): IValue => ({ kind: 'vector', v });

function vectorArg(args: IValue[], i: number): ISample[] {
  const a = args[i];
  if (a?.kind !== 'vector') throw new AppError('internal', `argument ${i} is not an instant vector`);
  return a.v;
}

function scalarArg(args: IValue[], i: number): number {
  const a = args[i];
  if (a?.kind !== 'scalar') throw new AppError('internal', `argument ${i} is not a scalar`);
  return a.v;
}

function stringArg(args: IValue[], i: number): string {
  const a = args[i];
  if (a?.kind !== 'string') throw new AppError('internal', `argument ${i} is not a string`);
  return a.v;
}

function matrixArg(args: IValue[], i: number): IMatrix {
  const a = args[i];
  if (a?.kind !== 'matrix') throw new AppError('internal', `argument ${i} is not a range vector`);
  return a.m;
}

function mapValues(args: IValue[], f: (v: number) => number): IValue {
  return vec(vectorArg(args, 0).map((s) => ({ labels: s.labels, v: f(s.v), dropName: true })));
}

const simple: Record<string, (v: number) => number> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  sqrt: Math.sqrt,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  deg: (v) => (v * 180) / Math.PI,
  rad: (v) => (v * Math.PI) / 180,
  sgn: (v) => (v < 0 ? -1 : v > 0 ? 1 : v),
};

type DatePart = (d: Date) => number;
const dateFns: Record<string, DatePart> = {
  day_of_month: (d) => d.getUTCDate(),
  day_of_week: (d) => d.getUTCDay(),
  day_of_year: (d) => {
    const start = Date.UTC(d.getUTCFullYear(), 0, 1);
    return Math.floor((d.getTime() - start) / 86_400_000) + 1;
  },
  days_in_month: (d) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate(),
  hour: (d) => d.getUTCHours(),
  minute: (d) => d.getUTCMinutes(),
  month: (d) => d.getUTCMonth() + 1,
  year: (d) => d.getUTCFullYear(),
};

type RangeFn = (s: ISeries, m: IMatrix, ctx: FnContext, args: IValue[]) => number | undefined;

/** The values of a series window as a fresh array (for sorting). */
function windowValues(s: ISeries): number[] {
  const out: number[] = [];
  for (let i = s.lo; i < s.hi; i++) out.push(s.vs[i]!);
  return out;
}

/** Range-vector functions evaluated per series window [lo, hi); undefined means no output. */
const rangeFns: Record<string, RangeFn> = {
  rate: (s, m) => extrapolatedRate(s, m, true, true),
  increase: (s, m) => extrapolatedRate(s, m, true, false),
  delta: (s, m) => extrapolatedRate(s, m, false, false),
  irate: (s) => instantValue(s, true),
  idelta: (s) => instantValue(s, false),
  avg_over_time: (s) => avgOf(s),
  sum_over_time: (s) => {
    let sum = 0;
    let c = 0;
    for (let i = s.lo; i < s.hi; i++) [sum, c] = kahanSumInc(s.vs[i]!, sum, c);
    return sum + c;
  },
  count_over_time: (s) => s.hi - s.lo,
  min_over_time: (s) => {
    let r = s.vs[s.lo]!;
    for (let i = s.lo; i < s.hi; i++) {
      const v = s.vs[i]!;
      if (v < r || Number.isNaN(r)) r = v;
    }
    return r;
  },
  max_over_time: (s) => {
    let r = s.vs[s.lo]!;
    for (let i = s.lo; i < s.hi; i++) {
      const v = s.vs[i]!;
      if (v > r || Number.isNaN(r)) r = v;
    }
    return r;
  },
  last_over_time: (s) => s.vs[s.hi - 1],
  first_over_time: (s) => s.vs[s.lo],
  present_over_time: () => 1,
  ts_of_last_over_time: (s) => s.ts[s.hi - 1]! / 1000,
  ts_of_first_over_time: (s) => s.ts[s.lo]! / 1000,
  ts_of_max_over_time: (s) => {
    let r = s.vs[s.lo]!;
    let t = s.ts[s.lo]!;
    for (let i = s.lo; i < s.hi; i++) {
      const v = s.vs[i]!;
      if (v >= r || Number.isNaN(r)) {
        r = v;
        t = s.ts[i]!;
      }
    }
    return t / 1000;
  },
  ts_of_min_over_time: (s) => {
    let r = s.vs[s.lo]!;
    let t = s.ts[s.lo]!;
    for (let i = s.lo; i < s.hi; i++) {
      const v = s.vs[i]!;
      if (v <= r || Number.isNaN(r)) {
        r = v;
        t = s.ts[i]!;
      }
    }
    return t / 1000;
  },
  stddev_over_time: (s) => Math.sqrt(varianceOf(s)),
  stdvar_over_time: (s) => varianceOf(s),
  mad_over_time: (s) => {
    const values = windowValues(s);
    if (values.some((v) => Number.isNaN(v))) return NaN;
    const median = quantile(0.5, values);
    return quantile(
      0.5,
      values.map((v) => Math.abs(v - median)),
    );
  },
  quantile_over_time: (s, _m, _ctx, args) => quantile(scalarArg(args, 0), s.vs, s.lo, s.hi),
  changes: (s) => {
    let n = 0;
    for (let i = s.lo + 1; i < s.hi; i++) {
      const a = s.vs[i - 1]!;
      const b = s.vs[i]!;
      if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) n++;
    }
    return n;
  },
  resets: (s) => {
    let n = 0;
    for (let i = s.lo + 1; i < s.hi; i++) if (s.vs[i]! < s.vs[i - 1]!) n++;
    return n;
  },
  deriv: (s) => {
    if (s.hi - s.lo < 2) return undefined;
    return linearRegression(s.ts, s.vs, s.lo, s.hi, s.ts[s.lo]!)[0];
  },
  predict_linear: (s, _m, ctx, args) => {
    if (s.hi - s.lo < 2) return undefined;
    const [slope, intercept] = linearRegression(s.ts, s.vs, s.lo, s.hi, ctx.t);
    return slope * scalarArg(args, 1) + intercept;
  },
  double_exponential_smoothing: (s, _m, _ctx, args) => {
    const sf = scalarArg(args, 1);
    const tf = scalarArg(args, 2);
    if (!(sf > 0 && sf < 1))
      throw new AppError(
        'bad_input',
        `invalid smoothing factor. Expected: 0 < sf < 1, got: ${sf.toFixed(6)}`,
      );
    if (!(tf > 0 && tf < 1))
      throw new AppError('bad_input', `invalid trend factor. Expected: 0 < tf < 1, got: ${tf.toFixed(6)}`);
    const n = s.hi - s.lo;
    if (n < 2) return undefined;
    const v = (i: number): number => s.vs[s.lo + i]!;
    let s0 = 0;
    let s1 = v(0);
    let b = v(1) - v(0);
    for (let i = 1; i < n; i++) {
      const x = sf * v(i);
      if (i - 1 !== 0) b = tf * (s1 - s0) + (1 - tf) * b;
      const y = (1 - sf) * (s1 + b);
      s0 = s1;
      s1 = x + y;
    }
    return s1;
  },
};

function avgOf(s: ISeries): number {
  if (s.hi - s.lo === 1) return s.vs[s.lo]!;
  const mean = new KahanMean(s.vs[s.lo]!);
  for (let i = s.lo + 1; i < s.hi; i++) mean.add(s.vs[i]!);
  return mean.result();
}

function varianceOf(s: ISeries): number {
  let count = 0;
  let mean = 0;
  let cMean = 0;
  let aux = 0;
  let cAux = 0;
  for (let i = s.lo; i < s.hi; i++) {
    const v = s.vs[i]!;
    count++;
    const delta = v - (mean + cMean);
    [mean, cMean] = kahanSumInc(delta / count, mean, cMean);
    [aux, cAux] = kahanSumInc(delta * (v - (mean + cMean)), aux, cAux);
  }
  return (aux + cAux) / count;
}

/** rate/increase/delta with Prometheus's extrapolation to the window edges. */
function extrapolatedRate(s: ISeries, m: IMatrix, isCounter: boolean, isRate: boolean): number | undefined {
  const n = s.hi - s.lo;
  if (n < 2) return undefined;
  const rangeStart = m.refT - m.rangeMs;
  const rangeEnd = m.refT;
  const firstT = s.ts[s.lo]!;
  const lastT = s.ts[s.hi - 1]!;
  const firstV = s.vs[s.lo]!;
  let result = s.vs[s.hi - 1]! - firstV;
  if (isCounter) {
    let last = firstV;
    for (let i = s.lo; i < s.hi; i++) {
      const v = s.vs[i]!;
      if (v < last) result += last;
      last = v;
    }
  }
  return extrapolate({ result, firstT, firstV, lastT, n, rangeStart, rangeEnd, isCounter, isRate });
}

/**
 * Prometheus's extrapolation of rate/increase/delta to the edges of the range (rangeStart, rangeEnd]
 * (ms): `result` is the last minus the first of the `n` samples (counter resets added), `firstT`/
 * `lastT` their times. Shared with the evaluation over rollup windows (engine/rollup-eval.ts).
 */
export function extrapolate(x: {
  result: number;
  firstT: number;
  firstV: number;
  lastT: number;
  n: number;
  rangeStart: number;
  rangeEnd: number;
  isCounter: boolean;
  isRate: boolean;
}): number {
  const { result, firstT, firstV, lastT, n, rangeStart, rangeEnd, isCounter, isRate } = x;
  let durationToStart = (firstT - rangeStart) / 1000;
  let durationToEnd = (rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (n - 1);
  const threshold = averageDurationBetweenSamples * 1.1;
  if (durationToStart >= threshold) durationToStart = averageDurationBetweenSamples / 2;
  if (isCounter && result > 0 && firstV >= 0) {
    const durationToZero = sampledInterval * (firstV / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= threshold) durationToEnd = averageDurationBetweenSamples / 2;
  let factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (isRate) factor /= (rangeEnd - rangeStart) / 1000;
  return result * factor;
}

function instantValue(s: ISeries, isRate: boolean): number | undefined {
  if (s.hi - s.lo < 2) return undefined;
  const last = s.vs[s.hi - 1]!;
  const prev = s.vs[s.hi - 2]!;
  let result = isRate && last < prev ? last : last - prev;
  const interval = s.ts[s.hi - 1]! - s.ts[s.hi - 2]!;
  if (interval === 0) return undefined;
  if (isRate) result /= interval / 1000;
  return result;
}

const keepsName = new Set(['last_over_time', 'first_over_time']);

/** Per label set (immutable): its metric name when that does not look like a counter's, else null. */
const notCounterCache = new WeakMap<Labels, string | null>();

/** Checked once per series rather than once per series and step. */
function notCounterName(labels: Labels): string | null {
  let r = notCounterCache.get(labels);
  if (r === undefined) {
    const metric = getLabel(labels, METRIC_NAME);
    r = metric !== '' && !/(_total|_sum|_count|_bucket)$/.test(metric) ? metric : null;
    notCounterCache.set(labels, r);
  }
  return r;
}

function evalRangeFn(name: string, ctx: FnContext, args: IValue[]): IValue {
  const f = rangeFns[name]!;
  const matrixIdx = args.findIndex((a) => a.kind === 'matrix');
  const m = matrixArg(args, matrixIdx);
  if (name === 'quantile_over_time') {
    const q = scalarArg(args, 0);
    if (Number.isNaN(q) || q < 0 || q > 1)
      ctx.annos.warn(`quantile value should be between 0 and 1, got ${formatGoFloatG(q)}`);
  }
  const out: ISample[] = [];
  const dropName = !keepsName.has(name);
  for (const s of m.series) {
    if (s.hi <= s.lo) continue;
    const v = f(s, m, ctx, args);
    if (v === undefined) continue;
    out.push({ labels: s.labels, v, dropName: dropName || s.dropName });
    if ((name === 'rate' || name === 'increase') && m.selector !== null) {
      const metric = notCounterName(s.labels);
      if (metric !== null)
        ctx.annos.info(
          `metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "${metric}"`,
        );
    }
  }
  return vec(out);
}

/** Labels `absent()` reports: the equality matchers of the selector argument, except duplicates. */
function absentLabels(arg: Expr): Labels {
  let e = arg;
  while (e.type === 'ParenExpr') e = e.expr;
  const vs = e.type === 'VectorSelector' ? e : e.type === 'MatrixSelector' ? e.vectorSelector : null;
  if (vs === null) return [];
  const set = new Map<string, string>();
  const has = new Set<string>();
  for (const m of vs.matchers) {
    if (m.name === METRIC_NAME) continue;
    if (m.type === '=' && !has.has(m.name)) {
      set.set(m.name, m.value);
      has.add(m.name);
    } else {
      set.delete(m.name);
    }
  }
  const out: Label[] = [...set].map(([name, value]) => ({ name, value })).filter((l) => l.value !== '');
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

/** Go regexp's Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`; unknown groups expand to ''. */
function expandTemplate(template: string, match: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$' || i + 1 >= template.length) {
      out += c;
      continue;
    }
    if (template[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string;
    let end: number;
    if (template[i + 1] === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close < 0 ? '' : template.slice(i + 2, close);
      if (close < 0 || !/^[a-zA-Z0-9_]+$/.test(inner)) {
        out += c;
        continue;
      }
      name = inner;
      end = close;
    } else {
      const mm = /^[a-zA-Z0-9_]+/.exec(template.slice(i + 1));
      if (!mm) {
        out += c;
        continue;
      }
      name = mm[0];
      end = i + mm[0].length;
    }
    if (/^\d+$/.test(name)) {
      const idx = Number(name);
      out += idx < match.length ? (match[idx] ?? '') : '';
    } else {
      out += match.groups?.[name] ?? '';
    }
    i = end;
  }
  return out;
}

function setLabel(labels: Labels, name: string, value: string): Labels {
  const out = labels.filter((l) => l.name !== name);
  if (value !== '') out.push({ name, value });
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

function isValidLabelName(name: string): boolean {
  return labelNameRe.test(name) || (name !== '' && !name.includes('\uFFFD'));
}

function labelReplace(args: IValue[]): IValue {
  const input = vectorArg(args, 0);
  const dst = stringArg(args, 1);
  const repl = stringArg(args, 2);
  const src = stringArg(args, 3);
  const regexStr = stringArg(args, 4);
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${translateRe2(regexStr)})$`, 'su');
  } catch {
    throw new AppError('bad_input', `invalid regular expression in label_replace(): ${regexStr}`);
  }
  if (!isValidLabelName(dst))
    throw new AppError('bad_input', `invalid destination label name in label_replace(): ${dst}`);
  const out: ISample[] = [];
  for (const s of input) {
    const m = re.exec(getLabel(s.labels, src));
    if (!m) {
      out.push(s);
      continue;
    }
    const value = expandTemplate(repl, m);
    out.push({
      labels: setLabel(s.labels, dst, value),
      v: s.v,
      dropName: dst === METRIC_NAME ? false : s.dropName,
    });
  }
  return vec(out);
}

function labelJoin(args: IValue[]): IValue {
  const input = vectorArg(args, 0);
  const dst = stringArg(args, 1);
  const sep = stringArg(args, 2);
  const srcs: string[] = [];
  for (let i = 3; i < args.length; i++) {
    const src = stringArg(args, i);
    if (!isValidLabelName(src))
      throw new AppError('bad_input', `invalid source label name in label_join(): ${src}`);
    srcs.push(src);
  }
  if (!isValidLabelName(dst))
    throw new AppError('bad_input', `invalid destination label name in label_join(): ${dst}`);
  return vec(
    input.map((s) => ({
      labels: setLabel(s.labels, dst, srcs.map((n) => getLabel(s.labels, n)).join(sep)),
      v: s.v,
      dropName: dst === METRIC_NAME ? false : s.dropName,
    })),
  );
}

/** Natural-order comparison (digit runs compared as numbers), as Prometheus's sort_by_label. */
function naturalCompare(a: string, b: string): number {
  const re = /(\d+|\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = BigInt(x);
      const ny = BigInt(y);
      if (nx !== ny) return nx < ny ? -1 : 1;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

function sortByLabel(args: IValue[], desc: boolean): IValue {
  const input = [...vectorArg(args, 0)];
  const names: string[] = [];
  for (let i = 1; i < args.length; i++) names.push(stringArg(args, i));
  input.sort((x, y) => {
    for (const n of names) {
      const c = naturalCompare(getLabel(x.labels, n), getLabel(y.labels, n));
      if (c !== 0) return desc ? -c : c;
    }
    const lx = labelsKey(x.labels);
    const ly = labelsKey(y.labels);
    const c = lx < ly ? -1 : lx > ly ? 1 : 0;
    return desc ? -c : c;
  });
  return vec(input);
}

function histogramQuantile(ctx: FnContext, args: IValue[]): IValue {
  const q = scalarArg(args, 0);
  const input = vectorArg(args, 1);
  if (Number.isNaN(q) || q < 0 || q > 1)
    ctx.annos.warn(`quantile value should be between 0 and 1, got ${formatGoFloatG(q)}`);
  const groups = bucketGroups(ctx, input);
  const out: ISample[] = [];
  for (const g of groups.values()) {
    const { value, forcedMonotonic } = bucketQuantile(q, g.buckets);
    if (forcedMonotonic)
      ctx.annos.info(
        `input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name "${g.name}"`,
      );
    out.push({ labels: g.labels, v: value, dropName: true });
  }
  return vec(out);
}

function bucketGroups(
  ctx: FnContext,
  input: ISample[],
): Map<string, { labels: Labels; name: string; buckets: Bucket[] }> {
  const groups = new Map<string, { labels: Labels; name: string; buckets: Bucket[] }>();
  for (const s of input) {
    const le = getLabel(s.labels, 'le');
    const upper = parseGoFloat(le);
    if (upper === undefined) {
      ctx.annos.warn(
        `bucket label "le" is missing or has a malformed value of "${le}" for metric name "${getLabel(s.labels, METRIC_NAME)}"`,
      );
      continue;
    }
    const rest = s.labels.filter((l) => l.name !== 'le');
    const key = labelsKey(rest);
    let g = groups.get(key);
    if (!g) {
      g = {
        labels: rest.filter((l) => l.name !== METRIC_NAME),
        name: getLabel(s.labels, METRIC_NAME),
        buckets: [],
      };
      groups.set(key, g);
    }
    g.buckets.push({ upperBound: upper, count: s.v });
  }
  return groups;
}

/** Go's strconv.ParseFloat for what `le` labels hold; undefined when it is not a number. */
export function parseGoFloat(s: string): number | undefined {
  const t = s.trim() === s ? s : '';
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(t)) return Number.parseInt(t, 16);
  return undefined;
}

function histogramFraction(ctx: FnContext, args: IValue[]): IValue {
  const lower = scalarArg(args, 0);
  const upper = scalarArg(args, 1);
  const groups = bucketGroups(ctx, vectorArg(args, 2));
  return vec(
    [...groups.values()].map((g) => ({
      labels: g.labels,
      v: bucketFraction(lower, upper, g.buckets),
      dropName: true,
    })),
  );
}

/** Calls a PromQL function with evaluated arguments (strings unwrapped, ranges as matrices). */
export function callFunction(ctx: FnContext, args: IValue[]): IValue {
  const name = ctx.call.func;
  const fn = simple[name];
  if (fn !== undefined) return mapValues(args, fn);
  if (name in rangeFns) return evalRangeFn(name, ctx, args);
  const dateFn = dateFns[name];
  if (dateFn !== undefined) {
    const input: ISample[] =
      args.length === 0 ? [{ labels: [], v: ctx.t / 1000, dropName: false }] : vectorArg(args, 0);
    return vec(
      input.map((s) => ({
        labels: s.labels,
        v: Number.isFinite(s.v) ? dateFn(new Date(Math.trunc(s.v) * 1000)) : NaN,
        dropName: true,
      })),
    );
  }
  switch (name) {
    case 'time':
      return { kind: 'scalar', v: ctx.t / 1000 };
    case 'start':
      return { kind: 'scalar', v: ctx.startMs / 1000 };
    case 'end':
      return { kind: 'scalar', v: ctx.endMs / 1000 };
    case 'range':
      return { kind: 'scalar', v: (ctx.endMs - ctx.startMs) / 1000 };
    case 'step':
      return { kind: 'scalar', v: ctx.stepMs / 1000 };
    case 'min_of':
      return { kind: 'scalar', v: goMin(scalarArg(args, 0), scalarArg(args, 1)) };
    case 'max_of':
      return { kind: 'scalar', v: goMax(scalarArg(args, 0), scalarArg(args, 1)) };
    case 'pi':
      return { kind: 'scalar', v: Math.PI };
    case 'vector':
      return vec([{ labels: [], v: scalarArg(args, 0), dropName: false }]);
    case 'scalar': {
      const v = vectorArg(args, 0);
      return { kind: 'scalar', v: v.length === 1 ? v[0]!.v : NaN };
    }
    case 'timestamp':
      return mapValues(args, () => ctx.t / 1000);
    case 'absent':
      return vectorArg(args, 0).length > 0
        ? vec([])
        : vec([{ labels: absentLabels(ctx.call.args[0]!), v: 1, dropName: false }]);
    case 'absent_over_time': {
      const m = matrixArg(args, 0);
      return m.series.some((s) => s.hi > s.lo)
        ? vec([])
        : vec([{ labels: absentLabels(ctx.call.args[0]!), v: 1, dropName: false }]);
    }
    case 'clamp': {
      const min = scalarArg(args, 1);
      const max = scalarArg(args, 2);
      if (max < min) return vec([]);
      return mapValues(args, (v) => goMax(min, goMin(max, v)));
    }
    case 'clamp_max': {
      const max = scalarArg(args, 1);
      return mapValues(args, (v) => goMin(max, v));
    }
    case 'clamp_min': {
      const min = scalarArg(args, 1);
      return mapValues(args, (v) => goMax(min, v));
    }
    case 'round': {
      const toNearest = args.length > 1 ? scalarArg(args, 1) : 1;
      const inv = 1 / toNearest;
      return mapValues(args, (v) => Math.floor(v * inv + 0.5) / inv);
    }
    case 'sort':
      return vec(
        [...vectorArg(args, 0)].sort((a, b) => {
          if (Number.isNaN(a.v)) return Number.isNaN(b.v) ? 0 : 1;
          if (Number.isNaN(b.v)) return -1;
          return a.v - b.v;
        }),
      );
    case 'sort_desc':
      return vec(
        [...vectorArg(args, 0)].sort((a, b) => {
          if (Number.isNaN(a.v)) return Number.isNaN(b.v) ? 0 : 1;
          if (Number.isNaN(b.v)) return -1;
          return b.v - a.v;
        }),
      );
    case 'sort_by_label':
      return sortByLabel(args, false);
    case 'sort_by_label_desc':
      return sortByLabel(args, true);
    case 'label_replace':
      return labelReplace(args);
    case 'label_join':
      return labelJoin(args);
    case 'histogram_quantile':
      return histogramQuantile(ctx, args);
    case 'histogram_fraction':
      return histogramFraction(ctx, args);
    case 'histogram_count':
    case 'histogram_sum':
    case 'histogram_avg':
    case 'histogram_stddev':
    case 'histogram_stdvar':
      // Native histograms only; float samples are ignored.
      return vec([]);
    default:
      throw new AppError('bad_input', `function "${name}" is not implemented`);
  }
}

function goMax(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  return Math.max(a, b);
}

function goMin(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  return Math.min(a, b);
}
