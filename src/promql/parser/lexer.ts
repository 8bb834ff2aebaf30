import { ParseError } from './parse-error.js';

/** Token kinds: literals, identifiers (keywords included, decided by the parser) and punctuation. */
export type TokenKind =
  | 'ident'
  | 'number'
  | 'duration'
  | 'string'
  | 'eof'
  | '('
  | ')'
  | '{'
  | '}'
  | '['
  | ']'
  | ','
  | ':'
  | '='
  | '=~'
  | '!~'
  | '!='
  | '=='
  | '<'
  | '<='
  | '>'
  | '>='
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '^'
  | '@';

/** One token. `value` is the number (seconds for a duration) or the unquoted string. */
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly pos: number;
  readonly end: number;
  readonly num: number;
  readonly str: string;
}

const durationRe = /^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/;
const unitMs: Record<string, number> = {
  y: 365 * 24 * 3600_000,
  w: 7 * 24 * 3600_000,
  d: 24 * 3600_000,
  h: 3600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
};

/**
 * Parses a Prometheus duration (`1h30m`, `500ms`, units y w d h m s ms, largest first) into ms;
 * undefined when `text` is not one.
 */
export function parsePromDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (text === '' || !durationRe.test(text)) return undefined;
  let total = 0;
  for (const part of text.matchAll(/(\d+)(ms|[ywdhms])/g)) total += Number(part[1]) * unitMs[part[2]!]!;
  return total;
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isIdentStart = (c: string): boolean => /[a-zA-Z_:]/.test(c);
const isIdentChar = (c: string): boolean => /[a-zA-Z0-9_:]/.test(c);
const isWordChar = (c: string): boolean => /[a-zA-Z0-9_]/.test(c);

/** Splits a PromQL query into tokens; throws a {@link ParseError} on an invalid character or literal. */
export function lex(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let bracketDepth = 0;
  const push = (kind: TokenKind, start: number, end: number, num = 0, str = ''): void => {
    out.push({ kind, text: input.slice(start, end), pos: start, end, num, str });
  };
  while (i < input.length) {
    const c = input[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < input.length && input[i] !== '\n') i++;
      continue;
    }
    const start = i;
    if (c === ':' && bracketDepth > 0) {
      i++;
      push(':', start, i);
      continue;
    }
    if (c === '[') bracketDepth++;
    if (c === ']') bracketDepth = Math.max(0, bracketDepth - 1);
    if (isDigit(c) || (c === '.' && isDigit(input[i + 1] ?? ''))) {
      const hex = /^0[xX][0-9a-fA-F]+/.exec(input.slice(i));
      if (hex) {
        i += hex[0].length;
        push('number', start, i, parseInt(hex[0].slice(2), 16));
        continue;
      }
      const dur = /^(\d+(ms|[ywdhms]))+/.exec(input.slice(i));
      if (dur && !isWordChar(input[i + dur[0].length] ?? '') && input[i + dur[0].length] !== '.') {
        const ms = parsePromDuration(dur[0]);
        if (ms === undefined)
          throw new ParseError(`unexpected character in duration expression: "${dur[0]}"`, start, input);
        i += dur[0].length;
        push('duration', start, i, ms / 1000);
        continue;
      }
      const num = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(input.slice(i));
      i += num![0].length;
      if (isWordChar(input[i] ?? '') || input[i] === '.') {
        while (i < input.length && (isWordChar(input[i]!) || input[i] === '.')) i++;
        throw new ParseError(`bad number or duration syntax: "${input.slice(start, i)}"`, start, input);
      }
      push('number', start, i, Number(num![0]));
      continue;
    }
    if (isIdentStart(c)) {
      while (i < input.length && isIdentChar(input[i]!)) i++;
      const word = input.slice(start, i);
      const lower = word.toLowerCase();
      if (lower === 'inf') push('number', start, i, Infinity);
      else if (lower === 'nan') push('number', start, i, NaN);
      else push('ident', start, i);
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      const [value, end] = readString(input, i);
      i = end;
      push('string', start, i, 0, value);
      continue;
    }
    const two = input.slice(i, i + 2);
    if (two === '=~' || two === '!~' || two === '!=' || two === '==' || two === '<=' || two === '>=') {
      i += 2;
      push(two, start, i);
      continue;
    }
    if ('(){}[],:=<>+-*/%^@'.includes(c)) {
      i++;
      push(c as TokenKind, start, i);
      continue;
    }
    throw new ParseError(`unexpected character: '${c}'`, start, input);
  }
  push('eof', input.length, input.length);
  return out;
}

/** Reads a quoted string at `i` (Go escapes in "…" and '…', raw in `…`); returns value and end. */
function readString(input: string, i: number): [string, number] {
  const quote = input[i]!;
  const start = i;
  i++;
  let out = '';
  while (i < input.length) {
    const c = input[i]!;
    if (c === quote) return [out, i + 1];
    if (quote !== '`' && c === '\n') break;
    if (quote === '`' || c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = input[i + 1];
    i += 2;
    switch (e) {
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
      case '"':
      case "'":
        if (e !== '\\' && e !== quote) throw new ParseError(`unknown escape sequence '\\${e}'`, i - 2, input);
        out += e;
        break;
      case 'x':
      case 'u':
      case 'U': {
        const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = input.slice(i, i + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex))
          throw new ParseError(`invalid escape sequence '\\${e}${hex}'`, i - 2, input);
        i += n;
        const code = parseInt(hex, 16);
        if (e === 'x') out += decodeByteEscapes(code, input, i, (next) => (i = next));
        else out += String.fromCodePoint(code);
        break;
      }
      default:
        if (e !== undefined && /[0-7]/.test(e)) {
          const oct = input.slice(i - 1, i + 2);
          if (!/^[0-7]{3}$/.test(oct))
            throw new ParseError(`invalid escape sequence '\\${oct}'`, i - 2, input);
          i += 2;
          out += String.fromCharCode(parseInt(oct, 8));
          break;
        }
        throw new ParseError(`unknown escape sequence '\\${e ?? ''}'`, i - 2, input);
    }
  }
  throw new ParseError('unterminated quoted string', start, input);
}

/** `\xHH` escapes are bytes: gather a run of them and decode as UTF-8 when valid. */
function decodeByteEscapes(first: number, input: string, i: number, advance: (i: number) => void): string {
  const bytes = [first];
  let j = i;
  while (input[j] === '\\' && input[j + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(input.slice(j + 2, j + 4))) {
    bytes.push(parseInt(input.slice(j + 2, j + 4), 16));
    j += 4;
  }
  advance(j);
  // Invalid UTF-8 becomes U+FFFD, which no label name accepts (Go keeps the raw bytes).
  return new TextDecoder('utf-8').decode(new Uint8Array(bytes));
}
