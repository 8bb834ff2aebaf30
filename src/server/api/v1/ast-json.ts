import type { AtModifier, Expr, VectorSelector } from '../../../promql/index.js';
import { functionSignatures } from '../../../promql/index.js';
import { formatFloat } from './encode.js';

/**
 * The AST of `/api/v1/parse_query` as Prometheus 3 writes it (web/api/v1/translate_ast.go, the
 * version with `anchored`/`smoothed` selectors and `fillValues`): a JSON tree for the UI's tree
 * view, with Go's encoding of a map (keys in sorted order). Fields of features Kanshi does not
 * have (anchored and smoothed selectors, the fill modifier, aligned subqueries) are written with
 * the values Prometheus writes when they are off.
 */

/** A JSON value with object keys as Go writes a `map[string]any`: sorted. */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** `expr` as Prometheus's translateAST; `source` is the query text (to tell `{__name__="x"}` from `x`). */
export function translateAst(expr: Expr, source: string): Json {
  const t = (e: Expr | null): Json => (e === null ? null : translateAst(e, source));
  switch (expr.type) {
    case 'AggregateExpr':
      return {
        type: 'aggregation',
        op: expr.op,
        expr: t(expr.expr),
        param: t(expr.param),
        grouping: [...expr.grouping],
        without: expr.without,
      };
    case 'BinaryExpr': {
      const m = expr.matching;
      return {
        type: 'binaryExpr',
        op: expr.op,
        lhs: t(expr.lhs),
        rhs: t(expr.rhs),
        matching:
          m === null
            ? null
            : {
                card: m.card,
                labels: [...m.matchingLabels],
                on: m.on,
                include: [...m.include],
                fillValues: { lhs: null, rhs: null },
              },
        bool: expr.returnBool,
      };
    }
    case 'Call': {
      const sig = functionSignatures.get(expr.func);
      return {
        type: 'call',
        func: {
          name: expr.func,
          argTypes: sig ? [...sig.argTypes] : [],
          variadic: sig?.variadic ?? 0,
          returnType: sig?.returnType ?? 'vector',
        },
        args: expr.args.map((a) => t(a)),
      };
    }
    case 'MatrixSelector': {
      const vs = expr.vectorSelector;
      return {
        type: 'matrixSelector',
        ...selector(vs, source),
        range: expr.rangeMs,
        offset: vs.offsetMs,
        ...at(vs.at),
        anchored: false,
        smoothed: false,
      };
    }
    case 'SubqueryExpr':
      return {
        type: 'subquery',
        expr: t(expr.expr),
        range: expr.rangeMs,
        offset: expr.offsetMs,
        step: expr.stepMs,
        ...at(expr.at),
        alignEvalTime: false,
      };
    case 'NumberLiteral':
      return { type: 'numberLiteral', val: formatFloat(expr.value) };
    case 'ParenExpr':
      return { type: 'parenExpr', expr: t(expr.expr) };
    case 'StringLiteral':
      return { type: 'stringLiteral', val: expr.value };
    case 'UnaryExpr':
      return { type: 'unaryExpr', op: expr.op, expr: t(expr.expr) };
    case 'VectorSelector':
      return {
        type: 'vectorSelector',
        ...selector(expr, source),
        offset: expr.offsetMs,
        ...at(expr.at),
        anchored: false,
        smoothed: false,
      };
  }
}

/**
 * Name and matchers as Prometheus's parser holds them: a name written before the braces is
 * `name` and its matcher comes last; one written inside them (`{__name__="x"}`) leaves `name`
 * empty and the matchers in written order.
 */
function selector(vs: VectorSelector, source: string): { name: string; matchers: Json } {
  const out = (ms: VectorSelector['matchers']): Json =>
    ms.map((m) => ({ name: m.name, value: m.value, type: m.type }));
  const nameFirst = vs.matchers[0];
  const outside =
    source[vs.pos.start] !== '{' &&
    nameFirst !== undefined &&
    nameFirst.name === '__name__' &&
    nameFirst.type === '=' &&
    nameFirst.value === vs.name;
  if (!outside) return { name: '', matchers: out(vs.matchers) };
  return { name: vs.name, matchers: out([...vs.matchers.slice(1), nameFirst]) };
}

function at(a: AtModifier | null): { timestamp: number | null; startOrEnd: string | null } {
  if (a === null) return { timestamp: null, startOrEnd: null };
  return a.kind === 'time'
    ? { timestamp: a.timeMs, startOrEnd: null }
    : { timestamp: null, startOrEnd: a.kind };
}

/**
 * A string as Go's encoding/json writes it (Prometheus's API marshals with HTML escaping on):
 * `<`, `>`, `&`, U+2028 and U+2029 as \u escapes.
 */
export function goJsonString(s: string): string {
  return JSON.stringify(s).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** `value` as JSON with object keys sorted, as Go's encoding/json writes maps. */
export function stringifySorted(value: Json): string {
  if (typeof value === 'string') return goJsonString(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stringifySorted).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stringifySorted(value[k]!)}`).join(',')}}`;
}
