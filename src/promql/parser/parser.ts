import type { Matcher, MatchType } from '../../storage/storage.js';
import {
  binaryPrecedence,
  isComparisonOp,
  isSetOp,
  type AggregateOp,
  type AtModifier,
  type BinaryOp,
  type Expr,
  type MatrixSelector,
  type SubqueryExpr,
  type ValueType,
  type VectorMatching,
  type VectorSelector,
} from './ast.js';
import { functionSignatures } from './function-signatures.js';
import { lex, type Token, type TokenKind } from './lexer.js';
import { ParseError } from './parse-error.js';
import { translateRe2 } from './regex.js';

const aggregateOps = new Set<string>([
  'sum',
  'avg',
  'count',
  'min',
  'max',
  'group',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'count_values',
  'quantile',
  'limitk',
  'limit_ratio',
]);

const paramAggregates = new Set<string>([
  'topk',
  'bottomk',
  'count_values',
  'quantile',
  'limitk',
  'limit_ratio',
]);

const keywordOps: Record<string, BinaryOp> = { and: 'and', or: 'or', unless: 'unless', atan2: 'atan2' };
const symbolOps = new Set<string>(['==', '!=', '<=', '<', '>=', '>', '+', '-', '*', '/', '%', '^']);

/** The name Prometheus's error messages give each value type. */
export function documentedType(t: ValueType): string {
  switch (t) {
    case 'scalar':
      return 'scalar';
    case 'vector':
      return 'instant vector';
    case 'matrix':
      return 'range vector';
    case 'string':
      return 'string';
  }
}

/** The type an expression evaluates to. */
export function typeOf(e: Expr): ValueType {
  switch (e.type) {
    case 'AggregateExpr':
    case 'VectorSelector':
      return 'vector';
    case 'BinaryExpr':
      return typeOf(e.lhs) === 'scalar' && typeOf(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'Call':
      return functionSignatures.get(e.func)?.returnType ?? 'vector';
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return 'matrix';
    case 'NumberLiteral':
      return 'scalar';
    case 'StringLiteral':
      return 'string';
    case 'ParenExpr':
    case 'UnaryExpr':
      return typeOf(e.expr);
  }
}

/**
 * Parses a PromQL expression into the AST Prometheus would build, type-checked as Prometheus's
 * `checkAST` does. Throws a {@link ParseError} (code `bad_input`) naming the position.
 */
export function parseExpr(input: string): Expr {
  return new Parser(input).parseTop();
}

/** Parses a metric selector (`up{job="x"}`) as the HTTP API's `match[]` takes; returns its matchers. */
export function parseMetricSelector(input: string): Matcher[] {
  const e = parseExpr(input);
  if (e.type !== 'VectorSelector') throw new ParseError('expected a vector selector', 0, input);
  return [...e.matchers];
}

class Parser {
  readonly #input: string;
  readonly #tokens: Token[];
  #i = 0;

  constructor(input: string) {
    this.#input = input;
    this.#tokens = lex(input);
  }

  parseTop(): Expr {
    if (this.#peek().kind === 'eof') throw this.#error('no expression found in input', 0);
    const e = this.#parseBinary(0);
    const t = this.#peek();
    if (t.kind !== 'eof') throw this.#unexpected(t, '');
    return e;
  }

  #peek(offset = 0): Token {
    return this.#tokens[Math.min(this.#i + offset, this.#tokens.length - 1)]!;
  }

  #next(): Token {
    const t = this.#peek();
    if (this.#i < this.#tokens.length - 1) this.#i++;
    return t;
  }

  #error(detail: string, pos: number): ParseError {
    return new ParseError(detail, pos, this.#input);
  }

  #unexpected(t: Token, context: string): ParseError {
    const what =
      t.kind === 'eof' ? 'end of input' : t.kind === 'ident' ? `identifier "${t.text}"` : `"${t.text}"`;
    return this.#error(`unexpected ${what}${context === '' ? '' : ` ${context}`}`, t.pos);
  }

  #expect(kind: TokenKind, context: string): Token {
    const t = this.#peek();
    if (t.kind !== kind) throw this.#unexpected(t, context);
    return this.#next();
  }

  #isKeyword(t: Token, word: string): boolean {
    return t.kind === 'ident' && t.text.toLowerCase() === word;
  }

  #peekBinaryOp(): BinaryOp | null {
    const t = this.#peek();
    if (t.kind === 'ident') return keywordOps[t.text.toLowerCase()] ?? null;
    if (symbolOps.has(t.kind)) return t.kind as BinaryOp;
    return null;
  }

  #parseBinary(minPrec: number): Expr {
    let lhs = this.#parseUnary();
    for (;;) {
      const op = this.#peekBinaryOp();
      if (op === null) return lhs;
      const prec = binaryPrecedence(op);
      if (prec < minPrec) return lhs;
      const opTok = this.#next();
      let returnBool = false;
      if (this.#isKeyword(this.#peek(), 'bool')) {
        this.#next();
        returnBool = true;
      }
      let matching: { on: boolean; labels: string[] } | null = null;
      let group: { card: 'many-to-one' | 'one-to-many'; include: string[] } | null = null;
      const m = this.#peek();
      if (this.#isKeyword(m, 'on') || this.#isKeyword(m, 'ignoring')) {
        this.#next();
        matching = { on: m.text.toLowerCase() === 'on', labels: this.#parseLabelList() };
        const g = this.#peek();
        if (this.#isKeyword(g, 'group_left') || this.#isKeyword(g, 'group_right')) {
          this.#next();
          const include = this.#peek().kind === '(' ? this.#parseLabelList() : [];
          group = { card: g.text.toLowerCase() === 'group_left' ? 'many-to-one' : 'one-to-many', include };
        }
      } else if (this.#isKeyword(m, 'group_left') || this.#isKeyword(m, 'group_right')) {
        throw this.#unexpected(m, 'in binary expression');
      }
      const rhs = this.#parseBinary(op === '^' ? prec : prec + 1);
      lhs = this.#makeBinary(op, lhs, rhs, returnBool, matching, group, opTok);
    }
  }

  #makeBinary(
    op: BinaryOp,
    lhs: Expr,
    rhs: Expr,
    returnBool: boolean,
    matching: { on: boolean; labels: string[] } | null,
    group: { card: 'many-to-one' | 'one-to-many'; include: string[] } | null,
    opTok: Token,
  ): Expr {
    const pos = { start: lhs.pos.start, end: rhs.pos.end };
    const lt = typeOf(lhs);
    const rt = typeOf(rhs);
    if (returnBool && !isComparisonOp(op))
      throw this.#error('bool modifier can only be used on comparison operators', opTok.pos);
    if (isComparisonOp(op) && !returnBool && lt === 'scalar' && rt === 'scalar')
      throw this.#error('comparisons between scalars must use BOOL modifier', opTok.pos);
    if ((lt !== 'scalar' && lt !== 'vector') || (rt !== 'scalar' && rt !== 'vector'))
      throw this.#error('binary expression must contain only scalar and instant vector types', pos.start);
    if (isSetOp(op) && (lt === 'scalar' || rt === 'scalar'))
      throw this.#error(`set operator "${op}" not allowed in binary scalar expression`, pos.start);
    if ((matching !== null || group !== null) && (lt !== 'vector' || rt !== 'vector'))
      throw this.#error('vector matching only allowed between instant vectors', pos.start);
    let vm: VectorMatching | null = null;
    if (lt === 'vector' && rt === 'vector') {
      if (group !== null && isSetOp(op))
        throw this.#error(`no grouping allowed for "${op}" operation`, pos.start);
      vm = {
        card: isSetOp(op) ? 'many-to-many' : (group?.card ?? 'one-to-one'),
        matchingLabels: matching?.labels ?? [],
        on: matching?.on ?? false,
        include: group?.include ?? [],
      };
      if (vm.on)
        for (const l of vm.include)
          if (vm.matchingLabels.includes(l))
            throw this.#error(`label "${l}" must not occur in ON and GROUP clause at once`, pos.start);
    }
    return { type: 'BinaryExpr', op, lhs, rhs, matching: vm, returnBool, pos };
  }

  #parseUnary(): Expr {
    const t = this.#peek();
    if (t.kind === '-' || t.kind === '+') {
      this.#next();
      const operand = this.#parseBinary(binaryPrecedence('^'));
      const pos = { start: t.pos, end: operand.pos.end };
      if (operand.type === 'NumberLiteral')
        return { type: 'NumberLiteral', value: t.kind === '-' ? -operand.value : operand.value, pos };
      const ot = typeOf(operand);
      if (ot !== 'scalar' && ot !== 'vector')
        throw this.#error(
          'unary expression only allowed on expressions of type scalar or instant vector',
          t.pos,
        );
      return { type: 'UnaryExpr', op: t.kind, expr: operand, pos };
    }
    return this.#parsePostfix(this.#parsePrimary());
  }

  #parsePrimary(): Expr {
    const t = this.#peek();
    switch (t.kind) {
      case 'number':
      case 'duration':
        this.#next();
        return { type: 'NumberLiteral', value: t.num, pos: { start: t.pos, end: t.end } };
      case 'string':
        this.#next();
        return { type: 'StringLiteral', value: t.str, pos: { start: t.pos, end: t.end } };
      case '(': {
        this.#next();
        const inner = this.#parseBinary(0);
        const close = this.#expect(')', 'in paren expression');
        return { type: 'ParenExpr', expr: inner, pos: { start: t.pos, end: close.end } };
      }
      case '{':
        return this.#parseSelector(null);
      case 'ident': {
        const lower = t.text.toLowerCase();
        const after = this.#peek(1);
        if (
          aggregateOps.has(lower) &&
          (after.kind === '(' || this.#isKeyword(after, 'by') || this.#isKeyword(after, 'without'))
        )
          return this.#parseAggregate();
        if (after.kind === '(') return this.#parseCall();
        if (
          lower in keywordOps ||
          ['bool', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'by', 'without'].includes(lower)
        )
          throw this.#unexpected(t, '');
        this.#next();
        return this.#parseSelector(t);
      }
      default:
        throw this.#unexpected(t, '');
    }
  }

  #parseCall(): Expr {
    const nameTok = this.#next();
    const sig = functionSignatures.get(nameTok.text);
    if (sig === undefined) throw this.#error(`unknown function with name "${nameTok.text}"`, nameTok.pos);
    this.#expect('(', '');
    const args: Expr[] = [];
    if (this.#peek().kind !== ')') {
      for (;;) {
        args.push(this.#parseBinary(0));
        if (this.#peek().kind === ',') {
          this.#next();
          if (this.#peek().kind === ')') break;
          continue;
        }
        break;
      }
    }
    const close = this.#expect(')', 'in function call');
    const pos = { start: nameTok.pos, end: close.end };
    const n = sig.argTypes.length;
    const name = sig.name;
    if (sig.variadic === 0) {
      if (args.length !== n)
        throw this.#error(`expected ${n} argument(s) in call to "${name}", got ${args.length}`, pos.start);
    } else {
      const min = n - (sig.variadic > 0 ? sig.variadic : 1);
      if (args.length < min)
        throw this.#error(
          `expected at least ${min} argument(s) in call to "${name}", got ${args.length}`,
          pos.start,
        );
      if (sig.variadic > 0 && args.length > n)
        throw this.#error(
          `expected at most ${n} argument(s) in call to "${name}", got ${args.length}`,
          pos.start,
        );
    }
    args.forEach((a, i) => {
      const want = sig.argTypes[Math.min(i, n - 1)]!;
      this.#checkType(a, want, `call to function "${name}"`);
    });
    return { type: 'Call', func: name, args, pos };
  }

  #checkType(e: Expr, want: ValueType, context: string): void {
    const got = typeOf(e);
    if (got !== want)
      throw this.#error(
        `expected type ${documentedType(want)} in ${context}, got ${documentedType(got)}`,
        e.pos.start,
      );
  }

  #parseAggregate(): Expr {
    const opTok = this.#next();
    const op = opTok.text.toLowerCase() as AggregateOp;
    let grouping: string[] = [];
    let without = false;
    let hasGrouping = false;
    if (this.#isKeyword(this.#peek(), 'by') || this.#isKeyword(this.#peek(), 'without')) {
      without = this.#next().text.toLowerCase() === 'without';
      grouping = this.#parseLabelList();
      hasGrouping = true;
    }
    this.#expect('(', 'in aggregation');
    const args: Expr[] = [];
    if (this.#peek().kind !== ')') {
      for (;;) {
        args.push(this.#parseBinary(0));
        if (this.#peek().kind === ',') {
          this.#next();
          if (this.#peek().kind === ')') break;
          continue;
        }
        break;
      }
    }
    const close = this.#expect(')', 'in aggregation');
    let end = close.end;
    if (this.#isKeyword(this.#peek(), 'by') || this.#isKeyword(this.#peek(), 'without')) {
      if (hasGrouping) throw this.#unexpected(this.#peek(), 'in aggregation');
      without = this.#next().text.toLowerCase() === 'without';
      grouping = this.#parseLabelList();
      end = this.#tokens[this.#i - 1]!.end;
    }
    const pos = { start: opTok.pos, end };
    const wantArgs = paramAggregates.has(op) ? 2 : 1;
    if (args.length !== wantArgs)
      throw this.#error(
        args.length === 0
          ? 'no arguments for aggregate expression provided'
          : `wrong number of arguments for aggregate expression provided, expected ${wantArgs}, got ${args.length}`,
        close.pos,
      );
    const param = wantArgs === 2 ? args[0]! : null;
    const expr = args[wantArgs - 1]!;
    this.#checkType(expr, 'vector', 'aggregation expression');
    if (param !== null)
      this.#checkType(param, op === 'count_values' ? 'string' : 'scalar', 'aggregation parameter');
    return { type: 'AggregateExpr', op, expr, param, grouping, without, pos };
  }

  /** `( a, b, "c" )`, trailing comma allowed. */
  #parseLabelList(): string[] {
    this.#expect('(', 'in grouping opts');
    const out: string[] = [];
    while (this.#peek().kind !== ')') {
      const t = this.#next();
      if (t.kind === 'ident') out.push(t.text);
      else if (t.kind === 'string') out.push(t.str);
      else throw this.#unexpected(t, 'in grouping opts, expected label');
      if (this.#peek().kind === ',') this.#next();
      else if (this.#peek().kind !== ')')
        throw this.#unexpected(this.#peek(), 'in grouping opts, expected "," or ")"');
    }
    this.#next();
    return out;
  }

  #parseSelector(nameTok: Token | null): VectorSelector {
    const matchers: Matcher[] = [];
    let name = nameTok?.text ?? '';
    const start = nameTok?.pos ?? this.#peek().pos;
    let end = nameTok?.end ?? start;
    if (nameTok !== null) matchers.push({ type: '=', name: '__name__', value: name });
    if (this.#peek().kind === '{') {
      this.#next();
      while (this.#peek().kind !== '}') {
        const lt = this.#next();
        let label: string;
        if (lt.kind === 'ident') label = lt.text;
        else if (lt.kind === 'string') {
          const k = this.#peek().kind;
          if (k === ',' || k === '}') {
            if (name !== '')
              throw this.#error(`metric name must not be set twice: "${name}" or "${lt.str}"`, lt.pos);
            name = lt.str;
            matchers.push({ type: '=', name: '__name__', value: name });
            if (k === ',') this.#next();
            continue;
          }
          label = lt.str;
        } else throw this.#unexpected(lt, 'in label matching, expected label');
        const opTok = this.#next();
        if (opTok.kind !== '=' && opTok.kind !== '!=' && opTok.kind !== '=~' && opTok.kind !== '!~')
          throw this.#unexpected(opTok, 'in label matching, expected label matching operator');
        const vt = this.#next();
        if (vt.kind !== 'string') throw this.#unexpected(vt, 'in label matching, expected string');
        const type: MatchType = opTok.kind;
        if (type === '=~' || type === '!~') {
          try {
            new RegExp(`^(?:${translateRe2(vt.str)})$`, 'su');
          } catch (err) {
            throw this.#error(`invalid regular expression in label matcher: ${String(err)}`, vt.pos);
          }
        }
        if (label === '__name__' && type === '=' && name !== '' && nameTok !== null)
          throw this.#error(`metric name must not be set twice: "${name}" or "${vt.str}"`, lt.pos);
        matchers.push({ type, name: label, value: vt.str });
        if (this.#peek().kind === ',') this.#next();
        else if (this.#peek().kind !== '}')
          throw this.#unexpected(this.#peek(), 'in label matching, expected "," or "}"');
      }
      end = this.#next().end;
    }
    const pos = { start, end };
    if (matchers.every((m) => matchesEmpty(m)))
      throw this.#error('vector selector must contain at least one non-empty matcher', start);
    if (name === '') {
      const eq = matchers.find((m) => m.name === '__name__' && m.type === '=');
      if (eq) name = eq.value;
    }
    return { type: 'VectorSelector', name, matchers, offsetMs: 0, at: null, pos };
  }

  #parsePostfix(e: Expr): Expr {
    for (;;) {
      const t = this.#peek();
      if (t.kind === '[') {
        e = this.#parseRange(e);
      } else if (this.#isKeyword(t, 'offset')) {
        this.#next();
        let sign = 1;
        if (this.#peek().kind === '-' || this.#peek().kind === '+') sign = this.#next().kind === '-' ? -1 : 1;
        const d = this.#next();
        if (d.kind !== 'duration' && d.kind !== 'number')
          throw this.#unexpected(d, 'in offset, expected duration');
        const offsetMs = sign * Math.round(d.num * 1000);
        e = this.#withModifier(e, t, (x) => {
          if (x.offsetMs !== 0) throw this.#error('offset may not be set multiple times', t.pos);
          return { ...x, offsetMs };
        });
      } else if (t.kind === '@') {
        this.#next();
        const at = this.#parseAt();
        e = this.#withModifier(e, t, (x) => {
          if (x.at !== null) throw this.#error('@ <timestamp> may not be set multiple times', t.pos);
          return { ...x, at };
        });
      } else {
        return e;
      }
    }
  }

  #parseAt(): AtModifier {
    const t = this.#next();
    if (this.#isKeyword(t, 'start') || this.#isKeyword(t, 'end')) {
      this.#expect('(', 'in @');
      this.#expect(')', 'in @');
      return { kind: t.text.toLowerCase() === 'start' ? 'start' : 'end' };
    }
    let sign = 1;
    let n = t;
    if (t.kind === '-' || t.kind === '+') {
      sign = t.kind === '-' ? -1 : 1;
      n = this.#next();
    }
    if (n.kind !== 'number' && n.kind !== 'duration') throw this.#unexpected(n, 'in @, expected timestamp');
    const v = sign * n.num;
    if (!Number.isFinite(v)) throw this.#error('timestamp out of bounds for @ modifier', n.pos);
    return { kind: 'time', timeMs: Math.round(v * 1000) };
  }

  #withModifier(e: Expr, t: Token, apply: <T extends VectorSelector | SubqueryExpr>(x: T) => T): Expr {
    const end = this.#tokens[this.#i - 1]!.end;
    switch (e.type) {
      case 'VectorSelector':
        return { ...apply(e), pos: { start: e.pos.start, end } };
      case 'MatrixSelector':
        return { ...e, vectorSelector: apply(e.vectorSelector), pos: { start: e.pos.start, end } };
      case 'SubqueryExpr':
        return { ...apply(e), pos: { start: e.pos.start, end } };
      default: {
        const what = t.kind === '@' ? '@ modifier' : 'offset modifier';
        throw this.#error(
          `${what} must be preceded by an instant vector selector or range vector selector or a subquery`,
          t.pos,
        );
      }
    }
  }

  #parseDurationTok(context: string): number {
    const d = this.#next();
    if (d.kind !== 'duration' && d.kind !== 'number') throw this.#unexpected(d, context);
    return Math.round(d.num * 1000);
  }

  #parseRange(e: Expr): Expr {
    const open = this.#next();
    const rangeMs = this.#parseDurationTok('in subquery or range selector, expected duration');
    if (this.#peek().kind === ':') {
      this.#next();
      let stepMs = 0;
      if (this.#peek().kind !== ']') stepMs = this.#parseDurationTok('in subquery, expected duration');
      const close = this.#expect(']', 'in subquery');
      const et = typeOf(e);
      if (et !== 'vector')
        throw this.#error(
          `subquery is only allowed on instant vector, got ${documentedType(et)} instead`,
          e.pos.start,
        );
      if (rangeMs <= 0) throw this.#error(`duration must be greater than 0`, open.pos);
      const sq: SubqueryExpr = {
        type: 'SubqueryExpr',
        expr: e,
        rangeMs,
        stepMs,
        offsetMs: 0,
        at: null,
        pos: { start: e.pos.start, end: close.end },
      };
      return sq;
    }
    const close = this.#expect(']', 'in range selector');
    if (e.type !== 'VectorSelector') throw this.#error('ranges only allowed for vector selectors', open.pos);
    if (e.offsetMs !== 0) throw this.#error('no offset modifiers allowed before range', open.pos);
    if (e.at !== null) throw this.#error('no @ modifiers allowed before range', open.pos);
    if (rangeMs <= 0) throw this.#error(`duration must be greater than 0`, open.pos);
    const ms: MatrixSelector = {
      type: 'MatrixSelector',
      vectorSelector: e,
      rangeMs,
      pos: { start: e.pos.start, end: close.end },
    };
    return ms;
  }
}

function matchesEmpty(m: Matcher): boolean {
  switch (m.type) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return new RegExp(`^(?:${translateRe2(m.value)})$`, 'su').test('');
    case '!~':
      return !new RegExp(`^(?:${translateRe2(m.value)})$`, 'su').test('');
  }
}
