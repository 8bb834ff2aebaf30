import type { AggregateExpr, AtModifier, BinaryExpr, Expr, SubqueryExpr, VectorSelector } from './ast.js';
import { formatDuration } from './format.js';

/**
 * Prometheus 3's printing of an expression: `String()` of promql/parser/printer.go (label
 * matchers sorted and joined by ",", numbers as Go's `%v`, `by (a, b)`, `ignoring (x)`) and
 * `Prettify` of promql/parser/prettier.go, which `/api/v1/format_query` returns: a node whose
 * one-line form is longer than the line limit is split, its children indented two spaces per
 * level. Both are reproduced quirks and all (an unsplit subquery is not indented; an unsplit
 * selector is never broken inside its braces).
 */

/** Prometheus's `maxCharactersPerLine`. */
export const MAX_CHARACTERS_PER_LINE = 100;

/** Options of {@link prettify} and {@link exprString}. */
export interface PrintOptions {
  /** Lines longer than this (in UTF-8 bytes, as Go's len) are split; default 100. */
  readonly maxCharactersPerLine?: number;
  /**
   * The query text the tree was parsed from. With it, a selector whose metric name was written
   * inside the braces (`{__name__="x"}`) prints as Prometheus prints it, with the matcher.
   */
  readonly source?: string;
}

/** The one-line form of `e` as Prometheus 3's `String()` prints it. */
export function exprString(e: Expr, options: PrintOptions = {}): string {
  return new Printer(options).str(e);
}

/** `e` as Prometheus 3's `Prettify` prints it (what format_query returns). */
export function prettify(e: Expr, options: PrintOptions = {}): string {
  return new Printer(options).pretty(e, 0);
}

const encoder = new TextEncoder();
const LEGACY_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const LEGACY_METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Go's `fmt.Sprint(float64)` (`%v`, i.e. `%g` with the shortest digits): `1e+06`, `0.0001`, `1e-05`. */
export function goFloatString(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mantissa = '', expText = '0'] = v.toExponential().split('e');
  const exp = Number(expText);
  // strconv's 'g' with the shortest digits switches to an exponent below 1e-4 and from 1e6.
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    const abs = Math.abs(exp);
    return `${mantissa}e${sign}${abs < 10 ? '0' : ''}${abs}`;
  }
  return String(v);
}

/** Go's `strconv.Quote` for the ASCII control characters and the quote and backslash. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\u0007':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}

function labelName(name: string): string {
  return LEGACY_NAME.test(name) ? name : goQuote(name);
}

function offsetSuffix(offsetMs: number): string {
  if (offsetMs > 0) return ` offset ${formatDuration(offsetMs)}`;
  if (offsetMs < 0) return ` offset -${formatDuration(-offsetMs)}`;
  return '';
}

function atSuffix(at: AtModifier | null): string {
  if (at === null) return '';
  return at.kind === 'time' ? ` @ ${(at.timeMs / 1000).toFixed(3)}` : ` @ ${at.kind}()`;
}

function aggOpString(e: AggregateExpr): string {
  if (e.without) return `${e.op} without (${e.grouping.join(', ')}) `;
  if (e.grouping.length > 0) return `${e.op} by (${e.grouping.join(', ')}) `;
  return e.op;
}

function matchingString(e: BinaryExpr): string {
  const vm = e.matching;
  if (vm === null || (vm.matchingLabels.length === 0 && !vm.on)) return '';
  let out = ` ${vm.on ? 'on' : 'ignoring'} (${vm.matchingLabels.join(', ')})`;
  if (vm.card === 'many-to-one' || vm.card === 'one-to-many')
    out += ` group_${vm.card === 'many-to-one' ? 'left' : 'right'} (${vm.include.join(', ')})`;
  return out;
}

function subquerySuffix(e: SubqueryExpr): string {
  const step = e.stepMs !== 0 ? formatDuration(e.stepMs) : '';
  return `[${formatDuration(e.rangeMs)}:${step}]${atSuffix(e.at)}${offsetSuffix(e.offsetMs)}`;
}

function indent(level: number): string {
  return '  '.repeat(level);
}

class Printer {
  readonly #max: number;
  readonly #source: string | undefined;

  constructor(options: PrintOptions) {
    this.#max = options.maxCharactersPerLine ?? MAX_CHARACTERS_PER_LINE;
    this.#source = options.source;
  }

  /** The selector's name as Prometheus holds it: '' when written inside the braces. */
  #name(vs: VectorSelector): string {
    if (this.#source !== undefined && this.#source[vs.pos.start] === '{') return '';
    return vs.name;
  }

  #selector(vs: VectorSelector, withModifiers: boolean): string {
    const name = this.#name(vs);
    const parts: string[] = [];
    for (const m of vs.matchers) {
      if (m.name === '__name__' && m.type === '=' && m.value === name && name !== '') continue;
      parts.push(`${labelName(m.name)}${m.type}${goQuote(m.value)}`);
    }
    const mods = withModifiers ? atSuffix(vs.at) + offsetSuffix(vs.offsetMs) : '';
    const head = name === '' || LEGACY_METRIC.test(name) ? name : '';
    if (head === '' && name !== '') parts.push(goQuote(name));
    if (parts.length === 0) return head + mods;
    parts.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `${head}{${parts.join(',')}}${mods}`;
  }

  str(e: Expr): string {
    switch (e.type) {
      case 'AggregateExpr': {
        const param = e.param !== null ? `${this.str(e.param)}, ` : '';
        return `${aggOpString(e)}(${param}${this.str(e.expr)})`;
      }
      case 'BinaryExpr':
        return `${this.str(e.lhs)} ${e.op}${e.returnBool ? ' bool' : ''}${matchingString(e)} ${this.str(e.rhs)}`;
      case 'Call':
        return `${e.func}(${e.args.map((a) => this.str(a)).join(', ')})`;
      case 'MatrixSelector': {
        const vs = e.vectorSelector;
        return `${this.#selector(vs, false)}[${formatDuration(e.rangeMs)}]${atSuffix(vs.at)}${offsetSuffix(vs.offsetMs)}`;
      }
      case 'SubqueryExpr':
        return this.str(e.expr) + subquerySuffix(e);
      case 'NumberLiteral':
        return goFloatString(e.value);
      case 'ParenExpr':
        return `(${this.str(e.expr)})`;
      case 'StringLiteral':
        return goQuote(e.value);
      case 'UnaryExpr':
        return `${e.op}${this.str(e.expr)}`;
      case 'VectorSelector':
        return this.#selector(e, true);
    }
  }

  #needsSplit(e: Expr): boolean {
    const s = this.str(e);
    // Go's len counts UTF-8 bytes; only non-ASCII text needs the encoder.
    // eslint-disable-next-line no-control-regex
    const len = /^[\x00-\x7f]*$/.test(s) ? s.length : encoder.encode(s).length;
    return len > this.#max;
  }

  pretty(e: Expr, level: number): string {
    switch (e.type) {
      case 'AggregateExpr': {
        if (!this.#needsSplit(e)) return indent(level) + this.str(e);
        let s = `${indent(level)}${aggOpString(e)}(\n`;
        if (e.param !== null) s += `${this.pretty(e.param, level + 1)},\n`;
        return `${s}${this.pretty(e.expr, level + 1)}\n${indent(level)})`;
      }
      case 'BinaryExpr': {
        if (!this.#needsSplit(e)) return indent(level) + this.str(e);
        const op = `${e.op}${e.returnBool ? ' bool' : ''}${matchingString(e)}`;
        return `${this.pretty(e.lhs, level + 1)}\n${indent(level)}${op}\n${this.pretty(e.rhs, level + 1)}`;
      }
      case 'Call': {
        if (!this.#needsSplit(e)) return indent(level) + this.str(e);
        const args = e.args.map((a) => this.pretty(a, level + 1)).join(',\n');
        return `${indent(level)}${e.func}(\n${args}\n${indent(level)})`;
      }
      case 'ParenExpr':
        if (!this.#needsSplit(e)) return indent(level) + this.str(e);
        return `${indent(level)}(\n${this.pretty(e.expr, level + 1)}\n${indent(level)})`;
      case 'SubqueryExpr':
        // As Prometheus: an unsplit subquery is printed without its indent.
        if (!this.#needsSplit(e)) return this.str(e);
        return this.pretty(e.expr, level) + subquerySuffix(e);
      case 'UnaryExpr':
        return `${indent(level)}${e.op}${this.pretty(e.expr, level).trim()}`;
      case 'MatrixSelector':
      case 'VectorSelector':
      case 'NumberLiteral':
      case 'StringLiteral':
        return indent(level) + this.str(e);
    }
  }
}
