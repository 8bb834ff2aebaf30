/**
 * Kanshi's PromQL: parse, print and evaluate queries with Prometheus 3.x semantics. This is the
 * package's public surface; everything else under src/promql is internal.
 */

import { AppError } from '../base/errors.js';
import type { Engine, QueryOptions } from './engine/engine.js';
import type { Sample } from './engine/values.js';

export type {
  AggregateExpr,
  BinaryExpr,
  Call,
  Expr,
  MatrixSelector,
  NumberLiteral,
  ParenExpr,
  StringLiteral,
  SubqueryExpr,
  UnaryExpr,
  ValueType,
  VectorMatching,
  VectorSelector,
} from './parser/ast.js';
export { parseExpr, parseMetricSelector, typeOf, documentedType } from './parser/parser.js';
export { formatExpr, formatDuration } from './parser/format.js';
export { exprString, prettify, MAX_CHARACTERS_PER_LINE, type PrintOptions } from './parser/prettier.js';
export { functionSignatures, type FunctionSignature } from './parser/function-signatures.js';
export type { AtModifier } from './parser/ast.js';
export { ParseError } from './parser/parse-error.js';
export { parsePromDuration } from './parser/lexer.js';
export {
  Engine,
  TOO_MANY_SAMPLES,
  type EngineOptions,
  type QueryOptions,
  type RangeSpec,
} from './engine/engine.js';
export type { QueryResult, QueryValue, Sample, Series } from './engine/values.js';

/**
 * All a rule evaluator knows of PromQL (ARCHITECTURE.md "Seams"): an expression and a time (ms)
 * in, an instant vector out. A scalar result becomes a one-element vector without labels.
 */
export type QueryFn = (expr: string, timeMs: number, signal?: AbortSignal) => Promise<Sample[]>;

/** A {@link QueryFn} over an engine. Rejects for a string or range-vector result. */
export function queryFnFor(engine: Engine): QueryFn {
  return async (expr, timeMs, signal) => {
    const options: QueryOptions = signal === undefined ? {} : { signal };
    const { value } = await engine.instantQuery(expr, timeMs, options);
    switch (value.type) {
      case 'vector':
        return [...value.vector];
      case 'scalar':
        return [{ labels: [], t: value.t, v: value.v }];
      case 'matrix':
      case 'string':
        throw new AppError(
          'bad_input',
          `rule expression must be a vector or scalar, got ${value.type}: ${expr}`,
        );
    }
  };
}
