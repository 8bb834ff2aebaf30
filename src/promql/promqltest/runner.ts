import { errorMessage } from '../../base/errors.js';
import { formatSeries, type Labels } from '../../model/labels.js';
import { isStaleNaN, STALE_NAN } from '../../model/sample.js';
import { MemoryStorage } from '../../storage/memory-storage.js';
import { Engine, type EngineOptions } from '../engine/engine.js';
import type { QueryResult, Series } from '../engine/values.js';
import { labelsKey } from '../engine/internal.js';
import type { Expr } from '../parser/ast.js';
import { parseExpr } from '../parser/parser.js';
import { parseScript, type EvalCommand, type SeriesLine, type Slot } from './script.js';

/** The outcome of one `eval` of a script. */
export interface CaseResult {
  readonly line: number;
  readonly expr: string;
  readonly status: 'pass' | 'fail' | 'skip';
  /** Why it failed or was skipped. */
  readonly message: string;
}

/** Engine settings the upstream scripts assume (FORMAT.md §1). */
export const conformanceEngineOptions: EngineOptions = {
  lookbackDeltaMs: 5 * 60_000,
  maxSamples: 10_000,
  noStepSubqueryIntervalMs: 60_000,
  timeoutMs: 100_000,
};

/**
 * Runs a PromQL test script against a fresh {@link MemoryStorage} and a new {@link Engine};
 * returns one result per `eval`. Native-histogram samples cannot be loaded: their series are
 * left out and evals that expect histogram results are skipped.
 */
export async function runScript(
  text: string,
  options: EngineOptions = conformanceEngineOptions,
  strict = false,
): Promise<CaseResult[]> {
  const commands = parseScript(text);
  let storage = new MemoryStorage();
  let engine = new Engine(storage, options);
  const results: CaseResult[] = [];
  for (const cmd of commands) {
    switch (cmd.kind) {
      case 'clear':
        storage = new MemoryStorage();
        engine = new Engine(storage, options);
        break;
      case 'load': {
        const app = storage.appender();
        const bySeries = new Map<string, SeriesLine>();
        for (const s of cmd.series) bySeries.set(labelsKey(s.labels), s);
        for (const s of bySeries.values())
          s.slots.forEach((v, i) => {
            if (typeof v === 'number') app.append(s.labels, i * cmd.intervalMs, v);
            else if (v === 'stale') app.append(s.labels, i * cmd.intervalMs, STALE_NAN);
          });
        await app.commit();
        break;
      }
      case 'eval':
        results.push(await runEval(engine, cmd, strict));
        break;
    }
  }
  return results;
}

async function runEval(engine: Engine, cmd: EvalCommand, strict: boolean): Promise<CaseResult> {
  const first = await runEvalOnce(engine, cmd);
  if (!strict || first.status !== 'pass' || !cmd.instant) return first;
  const atProblem = await checkAtInvariance(engine, cmd);
  if (atProblem !== null) return { line: cmd.line, expr: cmd.expr, status: 'fail', message: atProblem };
  if (cmd.fail) return first;
  if (cmd.ordered || cmd.rangeVector !== undefined || cmd.expectString !== undefined) return first;
  if (/\b(start|end|range|step)\(\)/.test(cmd.expr)) return first;
  // FORMAT.md §8.1: the same expression as a range query around t must agree at t.
  const base = { line: cmd.line, expr: cmd.expr };
  let r: QueryResult;
  try {
    r = await engine.rangeQuery(cmd.expr, {
      startMs: cmd.atMs - 60_000,
      endMs: cmd.atMs + 60_000,
      stepMs: 60_000,
    });
  } catch (err) {
    return { ...base, status: 'fail', message: `range-mode cross-check failed: ${errorMessage(err)}` };
  }
  if (r.value.type !== 'matrix')
    return { ...base, status: 'fail', message: 'range-mode cross-check: not a matrix' };
  const atT = new Map<string, number>();
  for (const s of r.value.matrix)
    for (let i = 0; i < s.ts.length; i++) if (s.ts[i] === cmd.atMs) atT.set(labelsKey(s.labels), s.vs[i]!);
  const expected: [string, number][] =
    cmd.expectScalar !== undefined
      ? [[labelsKey([]), cmd.expectScalar]]
      : cmd.series.map((e) => [labelsKey(e.labels), typeof e.slots[0] === 'number' ? e.slots[0] : NaN]);
  if (atT.size !== expected.length)
    return {
      ...base,
      status: 'fail',
      message: `range-mode cross-check: ${atT.size} series at t, want ${expected.length}`,
    };
  for (const [key, want] of expected) {
    const got = atT.get(key);
    if (got === undefined || !almostEqual(got, want))
      return { ...base, status: 'fail', message: `range-mode cross-check: ${key} got ${got}, want ${want}` };
  }
  return first;
}

/** Adds `@ t` to every selector without one (FORMAT.md §8.2). */
function pinAt(e: Expr, timeMs: number): Expr {
  const at = { kind: 'time' as const, timeMs };
  switch (e.type) {
    case 'VectorSelector':
      return e.at === null ? { ...e, at } : e;
    case 'MatrixSelector':
      return e.vectorSelector.at === null ? { ...e, vectorSelector: { ...e.vectorSelector, at } } : e;
    case 'SubqueryExpr':
      return e.at === null ? { ...e, at } : e;
    case 'ParenExpr':
    case 'UnaryExpr':
      return { ...e, expr: pinAt(e.expr, timeMs) };
    case 'BinaryExpr':
      return { ...e, lhs: pinAt(e.lhs, timeMs), rhs: pinAt(e.rhs, timeMs) };
    case 'AggregateExpr':
      return { ...e, expr: pinAt(e.expr, timeMs), param: e.param === null ? null : pinAt(e.param, timeMs) };
    case 'Call':
      return { ...e, args: e.args.map((a) => pinAt(a, timeMs)) };
    case 'NumberLiteral':
    case 'StringLiteral':
      return e;
  }
}

const timeDependent =
  /\b(time|timestamp|predict_linear|day_of_month|day_of_week|day_of_year|days_in_month|hour|minute|month|year|start|end|range|step)\(/;

/**
 * FORMAT.md §8.2: with every selector pinned to `@ t`, the query gives the same answer at other
 * evaluation times. Expressions with subqueries are left out (their inner selectors must move).
 */
async function checkAtInvariance(engine: Engine, cmd: EvalCommand): Promise<string | null> {
  if (timeDependent.test(cmd.expr) || cmd.ordered || cmd.expectString !== undefined) return null;
  let expr: Expr;
  try {
    expr = parseExpr(cmd.expr);
  } catch {
    return null;
  }
  if (/\[[^\]]*:[^\]]*\]/.test(cmd.expr)) return null;
  const t = cmd.atMs;
  const pinned = pinAt(expr, t);
  const times = t === 0 ? [-1000, 0, 1000] : [t, -10 * t, 0, Math.trunc(t / 5), 10 * t];
  for (const at of times) {
    const outcome = await runEvalOnce(engine, { ...cmd, atMs: at, startMs: at, endMs: at }, pinned);
    if (outcome.status !== 'pass') return `@ invariance at ${at}ms: ${outcome.message}`;
  }
  return null;
}

async function runEvalOnce(engine: Engine, cmd: EvalCommand, pinned?: Expr): Promise<CaseResult> {
  const base = { line: cmd.line, expr: cmd.expr };
  if (cmd.series.some((s) => s.histogram))
    return { ...base, status: 'skip', message: 'expects native histogram samples' };
  let result: QueryResult;
  try {
    result = cmd.instant
      ? await engine.instantQuery(pinned ?? cmd.expr, cmd.atMs)
      : await engine.rangeQuery(cmd.expr, { startMs: cmd.startMs, endMs: cmd.endMs, stepMs: cmd.stepMs });
  } catch (err) {
    if (cmd.fail) {
      const msg = errorMessage(err);
      if (cmd.failMsg !== undefined && msg !== cmd.failMsg && !msg.endsWith(cmd.failMsg))
        return { ...base, status: 'pass', message: `error text differs: got ${JSON.stringify(msg)}` };
      if (cmd.failRegex !== undefined && !new RegExp(cmd.failRegex).test(msg))
        return { ...base, status: 'pass', message: `error text differs: got ${JSON.stringify(msg)}` };
      return { ...base, status: 'pass', message: '' };
    }
    return { ...base, status: 'fail', message: `unexpected error: ${errorMessage(err)}` };
  }
  if (cmd.fail) return { ...base, status: 'fail', message: 'expected an error, got a result' };
  const problem = checkAnnotations(cmd, result) ?? checkValue(cmd, result);
  return problem === null
    ? { ...base, status: 'pass', message: '' }
    : { ...base, status: 'fail', message: problem };
}

function checkAnnotations(cmd: EvalCommand, r: QueryResult): string | null {
  for (const a of cmd.annotations) {
    const list = a.kind === 'warn' || a.kind === 'no_warn' ? r.warnings : r.infos;
    if (a.kind === 'no_warn' || a.kind === 'no_info') {
      if (list.length > 0) return `expected no ${a.kind.slice(3)} annotations, got ${JSON.stringify(list)}`;
    } else if (list.length === 0) {
      return `expected a ${a.kind} annotation, got none`;
    }
  }
  return null;
}

/** FORMAT.md §7: relative tolerance 1e-6, NaN equals NaN, stale equals only stale. */
export function almostEqual(a: number, e: number): boolean {
  if (isStaleNaN(a) || isStaleNaN(e)) return isStaleNaN(a) && isStaleNaN(e);
  if (Number.isNaN(a) && Number.isNaN(e)) return true;
  if (a === e) return true;
  const eps = 1e-6;
  const minNormal = 2.2250738585072014e-308;
  const absSum = Math.abs(a) + Math.abs(e);
  const diff = Math.abs(a - e);
  if (a === 0 || e === 0 || absSum < minNormal) return diff < eps * minNormal;
  return diff / Math.min(absSum, Number.MAX_VALUE) < eps;
}

function checkValue(cmd: EvalCommand, r: QueryResult): string | null {
  const v = r.value;
  if (cmd.expectString !== undefined) {
    if (v.type !== 'string') return `expected a string, got ${v.type}`;
    return v.v === cmd.expectString
      ? null
      : `expected string ${JSON.stringify(cmd.expectString)}, got ${JSON.stringify(v.v)}`;
  }
  if (cmd.expectScalar !== undefined) {
    if (!cmd.instant) {
      if (v.type !== 'matrix' || v.matrix.length !== 1) return `expected a scalar series, got ${describe(r)}`;
      const s = v.matrix[0]!;
      for (const x of s.vs)
        if (!almostEqual(x, cmd.expectScalar)) return `expected scalar ${cmd.expectScalar}, got ${x}`;
      return null;
    }
    if (v.type !== 'scalar') return `expected a scalar, got ${v.type}`;
    return almostEqual(v.v, cmd.expectScalar) ? null : `expected scalar ${cmd.expectScalar}, got ${v.v}`;
  }
  if (cmd.instant && cmd.rangeVector === undefined) {
    if (v.type !== 'vector') return `expected an instant vector, got ${v.type}`;
    const expected = new Map(cmd.series.map((s) => [labelsKey(s.labels), s]));
    if (v.vector.length !== expected.size)
      return `expected ${expected.size} series, got ${v.vector.length}: ${describe(r)}`;
    for (const [i, s] of v.vector.entries()) {
      const key = labelsKey(s.labels);
      const e = expected.get(key);
      if (!e) return `unexpected series ${formatSeries(s.labels)} in ${describe(r)}`;
      if (e.slots.length !== 1 || e.slots[0] === null) return `bad expectation for ${formatSeries(s.labels)}`;
      if (typeof e.slots[0] !== 'number' || !almostEqual(s.v, e.slots[0]))
        return `${formatSeries(s.labels)}: expected ${e.slots[0]}, got ${s.v}`;
      if (cmd.ordered && labelsKey(cmd.series[i]!.labels) !== key)
        return `expected ${formatSeries(cmd.series[i]!.labels)} at position ${i}, got ${formatSeries(s.labels)}`;
    }
    return null;
  }
  if (v.type !== 'matrix') return `expected a range vector, got ${v.type}`;
  const grid = cmd.rangeVector ?? { startMs: cmd.startMs, endMs: cmd.endMs, stepMs: cmd.stepMs };
  return compareMatrix(v.matrix, cmd.series, grid.startMs, grid.stepMs, grid.endMs, r);
}

function compareMatrix(
  actual: readonly Series[],
  expected: readonly SeriesLine[],
  start: number,
  step: number,
  end: number,
  r: QueryResult,
): string | null {
  const byKey = new Map(actual.map((s) => [labelsKey(s.labels), s]));
  const wanted = expected.filter((e) => e.slots.some((x) => x !== null));
  for (const e of expected) {
    const n = step > 0 ? Math.floor((end - start) / step) + 1 : 1;
    if (e.slots.length > n) return `expectation for ${formatSeries(e.labels)} lists more values than steps`;
  }
  if (byKey.size !== wanted.length)
    return `expected ${wanted.length} series, got ${byKey.size}: ${describe(r)}`;
  for (const e of wanted) {
    const s = byKey.get(labelsKey(e.labels));
    if (!s) return `missing series ${formatSeries(e.labels)} in ${describe(r)}`;
    const points = new Map<number, number>();
    for (let i = 0; i < s.ts.length; i++) points.set(s.ts[i]!, s.vs[i]!);
    const expectedPoints = new Map<number, Slot>();
    e.slots.forEach((x, i) => {
      if (x !== null) expectedPoints.set(start + i * step, x);
    });
    if (points.size !== expectedPoints.size)
      return `${formatSeries(e.labels)}: expected ${expectedPoints.size} points, got ${points.size} (${fmtPoints(s)})`;
    for (const [t, x] of expectedPoints) {
      const got = points.get(t);
      if (got === undefined) return `${formatSeries(e.labels)}: no point at ${t}ms (${fmtPoints(s)})`;
      if (typeof x !== 'number' || !almostEqual(got, x))
        return `${formatSeries(e.labels)} at ${t}ms: expected ${x}, got ${got}`;
    }
  }
  return null;
}

function fmtPoints(s: Series): string {
  const parts: string[] = [];
  for (let i = 0; i < s.ts.length; i++) parts.push(`${s.vs[i]}@${s.ts[i]}`);
  return parts.join(' ');
}

function describe(r: QueryResult): string {
  const v = r.value;
  switch (v.type) {
    case 'scalar':
    case 'string':
      return `${v.type} ${String(v.v)}`;
    case 'vector':
      return `[${v.vector.map((s) => `${fmtLabels(s.labels)} ${s.v}`).join(', ')}]`;
    case 'matrix':
      return `[${v.matrix.map((s) => `${fmtLabels(s.labels)} ${fmtPoints(s)}`).join(', ')}]`;
  }
}

function fmtLabels(labels: Labels): string {
  return formatSeries(labels);
}
