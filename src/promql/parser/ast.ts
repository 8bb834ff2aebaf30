/**
 * The PromQL abstract syntax tree, with exactly the shape of Prometheus's `promql/parser` AST:
 * `offset` and `@` belong to the selector or subquery they follow, a matrix selector wraps a vector
 * selector, and unary minus on a number literal folds into the literal. Nodes are plain immutable
 * objects discriminated by `type`; switch over them exhaustively.
 */

import type { Matcher } from '../../storage/storage.js';

/** A half-open span of character offsets [start, end) into the query text. */
export interface PosRange {
  readonly start: number;
  readonly end: number;
}

/** The four types a PromQL expression can evaluate to, named as Prometheus names them. */
export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

/** Binary operators, from lowest to highest precedence group (see {@link binaryPrecedence}). */
export type BinaryOp =
  | 'or'
  | 'and'
  | 'unless'
  | '=='
  | '!='
  | '<='
  | '<'
  | '>='
  | '>'
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | 'atan2'
  | '^';

/** Aggregation operators. */
export type AggregateOp =
  | 'sum'
  | 'avg'
  | 'count'
  | 'min'
  | 'max'
  | 'group'
  | 'stddev'
  | 'stdvar'
  | 'topk'
  | 'bottomk'
  | 'count_values'
  | 'quantile'
  | 'limitk'
  | 'limit_ratio';

/** How series of two vectors are paired in a binary operation. */
export type Cardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

/** The `on`/`ignoring` and `group_left`/`group_right` clause of a binary operation. */
export interface VectorMatching {
  readonly card: Cardinality;
  /** Labels of `on(...)` or `ignoring(...)`. */
  readonly matchingLabels: readonly string[];
  /** True for `on`, false for `ignoring` (or no clause). */
  readonly on: boolean;
  /** Extra labels copied from the "one" side: `group_left(a, b)`. */
  readonly include: readonly string[];
}

/** `sum by (job) (x)` and friends. `param` is the k, quantile, label or ratio argument. */
export interface AggregateExpr {
  readonly type: 'AggregateExpr';
  readonly op: AggregateOp;
  readonly expr: Expr;
  readonly param: Expr | null;
  readonly grouping: readonly string[];
  readonly without: boolean;
  readonly pos: PosRange;
}

/** `lhs op rhs`. `matching` is null when at least one side is a scalar. */
export interface BinaryExpr {
  readonly type: 'BinaryExpr';
  readonly op: BinaryOp;
  readonly lhs: Expr;
  readonly rhs: Expr;
  readonly matching: VectorMatching | null;
  /** The `bool` modifier of comparisons. */
  readonly returnBool: boolean;
  readonly pos: PosRange;
}

/** A function call. */
export interface Call {
  readonly type: 'Call';
  readonly func: string;
  readonly args: readonly Expr[];
  readonly pos: PosRange;
}

/** What `@` refers to: a fixed time, or the query's start or end. */
export type AtModifier =
  { readonly kind: 'time'; readonly timeMs: number } | { readonly kind: 'start' } | { readonly kind: 'end' };

/** `name{matchers} offset d @ t`. The name, when given, is also among the matchers. */
export interface VectorSelector {
  readonly type: 'VectorSelector';
  readonly name: string;
  readonly matchers: readonly Matcher[];
  /** Offset in ms; negative moves forward in time. */
  readonly offsetMs: number;
  readonly at: AtModifier | null;
  readonly pos: PosRange;
}

/** `selector[range]`. Offset and `@` live on the inner vector selector, as in Prometheus. */
export interface MatrixSelector {
  readonly type: 'MatrixSelector';
  readonly vectorSelector: VectorSelector;
  readonly rangeMs: number;
  readonly pos: PosRange;
}

/** `expr[range:step] offset d @ t`; `stepMs` 0 means the engine's default resolution. */
export interface SubqueryExpr {
  readonly type: 'SubqueryExpr';
  readonly expr: Expr;
  readonly rangeMs: number;
  readonly stepMs: number;
  readonly offsetMs: number;
  readonly at: AtModifier | null;
  readonly pos: PosRange;
}

/** A float literal (also Inf, NaN, hex, and durations used as numbers, in seconds). */
export interface NumberLiteral {
  readonly type: 'NumberLiteral';
  readonly value: number;
  readonly pos: PosRange;
}

/** A string literal, unquoted. */
export interface StringLiteral {
  readonly type: 'StringLiteral';
  readonly value: string;
  readonly pos: PosRange;
}

/** `( expr )`. */
export interface ParenExpr {
  readonly type: 'ParenExpr';
  readonly expr: Expr;
  readonly pos: PosRange;
}

/** `-expr` or `+expr` (a number literal operand is folded instead). */
export interface UnaryExpr {
  readonly type: 'UnaryExpr';
  readonly op: '-' | '+';
  readonly expr: Expr;
  readonly pos: PosRange;
}

/** Any PromQL expression. */
export type Expr =
  | AggregateExpr
  | BinaryExpr
  | Call
  | MatrixSelector
  | SubqueryExpr
  | NumberLiteral
  | StringLiteral
  | ParenExpr
  | UnaryExpr
  | VectorSelector;

/** Whether a binary operator compares (and so filters, or returns 0/1 with `bool`). */
export function isComparisonOp(op: BinaryOp): boolean {
  return op === '==' || op === '!=' || op === '<=' || op === '<' || op === '>=' || op === '>';
}

/** Whether a binary operator is one of the set operators `and`, `or`, `unless`. */
export function isSetOp(op: BinaryOp): boolean {
  return op === 'and' || op === 'or' || op === 'unless';
}

/** Precedence of a binary operator: higher binds tighter. `^` is the only right-associative one. */
export function binaryPrecedence(op: BinaryOp): number {
  switch (op) {
    case 'or':
      return 1;
    case 'and':
    case 'unless':
      return 2;
    case '==':
    case '!=':
    case '<=':
    case '<':
    case '>=':
    case '>':
      return 3;
    case '+':
    case '-':
      return 4;
    case '*':
    case '/':
    case '%':
    case 'atan2':
      return 5;
    case '^':
      return 6;
  }
}
