import type { Label } from '../model/labels.js';
import type { MetricType } from '../model/metric.js';
import {
  canonicalFloatLabel,
  FamilyBuilder,
  finishLabels,
  makeSample,
  parseGoFloat,
  parseInt64,
  type ParseError,
  type ParseResult,
} from './parse-common.js';

/**
 * A lenient parser for the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format), accepting
 * exactly what Prometheus's own scraper (model/textparse, PromParser) accepts. docs/exposition.md
 * lists the leniency rules; the notable ones:
 * - blank lines, whitespace around `{`, `}`, `=`, `,`, and a trailing comma in label sets are
 *   fine; so are labels separated by whitespace only; indenting a sample line is not;
 * - `# HELP` and `# TYPE` may come in any order, repeat (the last wins), or have no samples;
 *   any other `#` line is a comment (so `# EOF` is ignored);
 * - values are Go floats: decimal, exponent, `NaN`, `[+-]Inf` (any case); no hex, no `_`;
 * - timestamps are unsigned int64 milliseconds;
 * - label values may contain raw newlines and any `\x` escape; only `\\`, `\"`, `\n` are decoded;
 * - a NUL byte where a line starts ends the input (Prometheus treats it as end of file);
 * - CRLF line ends are rejected (the `\r` becomes part of the value), as in Prometheus.
 * On an error the rest of that line is skipped and parsing goes on, so every bad line is reported.
 */

export type { ParseError, ParseResult } from './parse-common.js';

/** Options of {@link parsePrometheusText}. */
export interface ParseTextOptions {
  /**
   * Rewrite `le` (histograms) and `quantile` (summaries) label values to Prometheus 3's canonical
   * float form (`1` → `1.0`), as Prometheus 3 stores them. Default true.
   */
  readonly normalizeFloatLabels?: boolean;
  /** Stop after this many errors (the result then ends early). Default 100. */
  readonly maxErrors?: number;
  /**
   * Reject U+FFFD in label values, quoted names and HELP as invalid UTF-8. Set it when the text
   * came from bytes that did not decode cleanly: Prometheus rejects invalid UTF-8 there but not
   * in comments. Default false.
   */
  readonly rejectReplacementChar?: boolean;
}

const TEXT_TYPES: Readonly<Record<string, MetricType>> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
  untyped: 'unknown',
};

/** Parses a text-format 0.0.4 exposition; never throws on bad input (see {@link ParseResult}). */
export function parsePrometheusText(text: string, options: ParseTextOptions = {}): ParseResult {
  return new TextParser(text, options).run();
}

const NL = 10;
const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const BACKSLASH = 92;

function isWs(c: number): boolean {
  return c === SPACE || c === TAB;
}
/** [a-zA-Z_:] */
function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
}
/** [a-zA-Z0-9_:] */
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}
/** [a-zA-Z_] */
function isLabelStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
/** [a-zA-Z0-9_] */
function isLabelChar(c: number): boolean {
  return isLabelStart(c) || (c >= 48 && c <= 57);
}

/** Decodes `\\`, `\"` and `\n`; any other backslash sequence is kept as written (Prometheus). */
export function unescapeLabelValue(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** Decodes `\\` and `\n` in HELP text; anything else is kept as written. */
export function unescapeHelp(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\([\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

class LineError extends Error {}

class TextParser {
  readonly #s: string;
  readonly #normalize: boolean;
  readonly #maxErrors: number;
  readonly #rejectFffd: boolean;
  readonly #fams = new FamilyBuilder();
  readonly #errors: ParseError[] = [];
  #i = 0;
  #line = 1;
  #lineCountedTo = 0;

  constructor(text: string, options: ParseTextOptions) {
    this.#s = text;
    this.#normalize = options.normalizeFloatLabels ?? true;
    this.#maxErrors = options.maxErrors ?? 100;
    this.#rejectFffd = options.rejectReplacementChar ?? false;
  }

  /** `s`, unless it holds a replacement character standing for invalid UTF-8. */
  #utf8(s: string, what: string): string {
    if (this.#rejectFffd && s.includes('\uFFFD')) this.#fail(`invalid UTF-8 in ${what} ${JSON.stringify(s)}`);
    return s;
  }

  run(): ParseResult {
    const s = this.#s;
    while (this.#i < s.length) {
      const start = this.#i;
      try {
        if (!this.#entry()) break;
      } catch (err) {
        if (!(err instanceof LineError)) throw err;
        this.#errors.push({ line: this.#lineAt(start), message: err.message });
        if (this.#errors.length >= this.#maxErrors) break;
        const nl = s.indexOf('\n', Math.max(this.#i, start));
        this.#i = nl === -1 ? s.length : nl + 1;
      }
    }
    return { families: this.#fams.build(), errors: this.#errors };
  }

  /** The 1-based line of position `pos`; positions are visited in increasing order. */
  #lineAt(pos: number): number {
    const s = this.#s;
    for (let j = this.#lineCountedTo; j < pos; j++) if (s.charCodeAt(j) === NL) this.#line++;
    this.#lineCountedTo = Math.max(this.#lineCountedTo, pos);
    return this.#line;
  }

  #fail(message: string): never {
    throw new LineError(message);
  }

  /** A quoted excerpt of the current line for messages. */
  #excerpt(from: number): string {
    const s = this.#s;
    let end = s.indexOf('\n', from);
    if (end === -1) end = s.length;
    const text = s.slice(from, Math.min(end, from + 80));
    return JSON.stringify(text);
  }

  #skipWs(): void {
    const s = this.#s;
    while (this.#i < s.length && isWs(s.charCodeAt(this.#i))) this.#i++;
  }

  #cur(): number {
    return this.#i < this.#s.length ? this.#s.charCodeAt(this.#i) : NL;
  }

  /** Reads one line (entry); false at a NUL that ends the input. */
  #entry(): boolean {
    const lineStart = this.#i;
    this.#skipWs();
    const c = this.#cur();
    if (c === 0) return false;
    if (c === NL) {
      this.#i++;
      return true;
    }
    if (c === 35 /* # */) {
      this.#comment();
      return true;
    }
    if (isNameStart(c) && this.#i > lineStart) {
      // Prometheus keeps the indentation as part of the name, which then fails validation
      // (Prometheus 2: "invalid metric name") or makes a series called "  a" (Prometheus 3).
      this.#fail(`invalid metric name: leading whitespace in ${this.#excerpt(lineStart)}`);
    }
    if (isNameStart(c) || c === 123 /* { */) {
      this.#sample(lineStart);
      return true;
    }
    return this.#fail(`expected a metric name, comment or blank line, got ${this.#excerpt(this.#i)}`);
  }

  #toEol(): string {
    const s = this.#s;
    let end = s.indexOf('\n', this.#i);
    if (end === -1) end = s.length;
    const out = s.slice(this.#i, end);
    this.#i = end < s.length ? end + 1 : end;
    return out;
  }

  #comment(): void {
    const s = this.#s;
    this.#i++; // '#'
    if (!isWs(this.#cur())) {
      this.#toEol();
      return;
    }
    this.#skipWs();
    let kind: 'HELP' | 'TYPE' | undefined;
    if (s.startsWith('HELP', this.#i)) kind = 'HELP';
    else if (s.startsWith('TYPE', this.#i)) kind = 'TYPE';
    if (kind === undefined || !isWs(s.charCodeAt(this.#i + 4))) {
      this.#toEol();
      return;
    }
    this.#i += 4;
    this.#skipWs();
    const name = this.#metaName(kind);
    // The text starts after exactly one separator character; whitespace alone means empty text.
    const rest = this.#toEol();
    const text = /^[ \t]*$/.test(rest) ? '' : rest.slice(1);
    if (kind === 'HELP') {
      this.#fams.setHelp(name, this.#utf8(unescapeHelp(text), 'help text'));
      return;
    }
    const type = TEXT_TYPES[text];
    if (type === undefined) this.#fail(`invalid metric type ${JSON.stringify(text)} for ${name}`);
    this.#fams.setType(name, type);
  }

  #metaName(kind: string): string {
    const s = this.#s;
    const c = this.#cur();
    if (c === QUOTE) return this.#utf8(unescapeLabelValue(this.#quoted('metric name')), 'metric name');
    if (!isNameStart(c)) this.#fail(`expected metric name after ${kind}, got ${this.#excerpt(this.#i)}`);
    const start = this.#i;
    while (this.#i < s.length && isNameChar(s.charCodeAt(this.#i))) this.#i++;
    return s.slice(start, this.#i);
  }

  /** A `"…"` string starting at the cursor, raw (escapes not decoded), without the quotes. */
  #quoted(what: string): string {
    const s = this.#s;
    const start = this.#i;
    let j = start + 1;
    for (;;) {
      if (j >= s.length) this.#fail(`unterminated ${what} ${this.#excerpt(start)}`);
      const c = s.charCodeAt(j);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        const d = s.charCodeAt(j + 1);
        if (Number.isNaN(d) || d === NL || d === 0)
          this.#fail(`bad escape in ${what} ${this.#excerpt(start)}`);
        j += 2;
        continue;
      }
      j++;
    }
    this.#i = j + 1;
    return s.slice(start + 1, j);
  }

  #sample(lineStart: number): void {
    const s = this.#s;
    let name: string | undefined;
    if (isNameStart(this.#cur())) {
      const start = this.#i;
      while (this.#i < s.length && isNameChar(s.charCodeAt(this.#i))) this.#i++;
      name = s.slice(start, this.#i);
      this.#skipWs();
    }
    const labels: Label[] = [];
    if (this.#cur() === 123 /* { */) {
      this.#i++;
      name = this.#labels(labels, name);
      this.#skipWs();
    }
    if (name === undefined) this.#fail(`metric name not set in ${this.#excerpt(lineStart)}`);
    // The value runs to the next space, tab, newline or brace.
    const vStart = this.#i;
    for (;;) {
      const c = this.#cur();
      if (c === SPACE || c === TAB || c === NL || c === 123 || c === 0) break;
      this.#i++;
    }
    if (this.#i === vStart) this.#fail(`expected value after metric in ${this.#excerpt(lineStart)}`);
    const valueText = s.slice(vStart, this.#i);
    const value = parseGoFloat(valueText);
    if (value === undefined) {
      this.#fail(`bad value ${JSON.stringify(valueText)} in ${this.#excerpt(lineStart)}`);
    }
    this.#skipWs();
    let timestampMs: number | undefined;
    let c = this.#cur();
    if (c >= 48 && c <= 57) {
      const tStart = this.#i;
      while (this.#i < s.length && (c = s.charCodeAt(this.#i)) >= 48 && c <= 57) this.#i++;
      const tText = s.slice(tStart, this.#i);
      timestampMs = parseInt64(tText, true);
      if (timestampMs === undefined) {
        this.#fail(`timestamp ${tText} out of range in ${this.#excerpt(lineStart)}`);
      }
      this.#skipWs();
      if (this.#cur() !== NL) {
        this.#fail(`expected end of line after timestamp in ${this.#excerpt(lineStart)}`);
      }
    } else if (c !== NL) {
      this.#fail(`expected timestamp or end of line after value in ${this.#excerpt(lineStart)}`);
    }
    this.#i++; // the newline (or past the end)
    const family = this.#fams.familyFor(name);
    if (this.#normalize) normalizeFloatLabels(labels, family.type);
    family.samples.push(makeSample(name, finishLabels(labels), value, timestampMs));
  }

  /** Parses a label set after `{`; returns the metric name (possibly given inside the braces). */
  #labels(out: Label[], name: string | undefined): string | undefined {
    const s = this.#s;
    for (;;) {
      this.#skipWs();
      const c = this.#cur();
      if (c === 125 /* } */) {
        this.#i++;
        return name;
      }
      let labelName: string;
      let isQuoted = false;
      if (isLabelStart(c)) {
        const start = this.#i;
        while (this.#i < s.length && isLabelChar(s.charCodeAt(this.#i))) this.#i++;
        labelName = s.slice(start, this.#i);
      } else if (c === QUOTE) {
        labelName = this.#utf8(unescapeLabelValue(this.#quoted('label name')), 'label name');
        isQuoted = true;
      } else {
        return this.#fail(`expected label name at ${this.#excerpt(this.#i)}`);
      }
      this.#skipWs();
      const d = this.#cur();
      if (isQuoted && (d === 44 /* , */ || d === 125)) {
        // `{"metric.name", a="b"}`: a quoted string alone is the metric name (UTF-8 names).
        if (name !== undefined) this.#fail(`metric name already set at ${this.#excerpt(this.#i)}`);
        name = labelName;
        if (d === 44) this.#i++;
        continue;
      }
      if (d !== 61 /* = */) this.#fail(`expected "=" after label ${labelName} at ${this.#excerpt(this.#i)}`);
      this.#i++;
      this.#skipWs();
      if (this.#cur() !== QUOTE)
        this.#fail(`expected label value for ${labelName} at ${this.#excerpt(this.#i)}`);
      const value = this.#utf8(unescapeLabelValue(this.#quoted('label value')), 'label value');
      if (labelName === '__name__' || out.some((l) => l.name === labelName)) {
        this.#fail(`label name ${JSON.stringify(labelName)} is not unique`);
      }
      out.push({ name: labelName, value });
      this.#skipWs();
      if (this.#cur() === 44) this.#i++;
    }
  }
}

/** Prometheus 3 rewrites `le`/`quantile` values to a canonical float string. */
function normalizeFloatLabels(labels: Label[], type: MetricType): void {
  const key = type === 'histogram' ? 'le' : type === 'summary' ? 'quantile' : undefined;
  if (key === undefined) return;
  for (let k = 0; k < labels.length; k++) {
    const l = labels[k]!;
    if (l.name !== key) continue;
    const v = canonicalFloatLabel(l.value);
    if (v !== undefined && v !== l.value) labels[k] = { name: key, value: v };
  }
}
