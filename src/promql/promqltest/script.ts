import { labelsFromRecord, type Labels } from '../../model/labels.js';
import { lex, parsePromDuration } from '../parser/lexer.js';

/**
 * Parser for Prometheus's PromQL test-script format (`load`, `clear`, `eval instant|range`,
 * `expect …`; see ../shared/testdata/promql/FORMAT.md). Environment-neutral: it takes text and
 * returns commands; running them is {@link ./runner.ts}'s job.
 */

/**
 * A value slot of a series line: a float, the stale marker, nothing, or a native histogram. The
 * marker is kept symbolic: V8 may canonicalize NaN payloads held in plain arrays.
 */
export type Slot = number | null | 'stale' | 'histogram';

/** `<series> <values>` from a load block or an expected result. */
export interface SeriesLine {
  readonly labels: Labels;
  readonly slots: readonly Slot[];
  /** True when the values use native-histogram notation `{{…}}` (not supported here). */
  readonly histogram: boolean;
}

/** One command of a script, with the 1-based line number where it starts. */
export type Command =
  | { readonly kind: 'clear'; readonly line: number }
  | {
      readonly kind: 'load';
      readonly line: number;
      readonly intervalMs: number;
      readonly nhcb: boolean;
      readonly series: readonly SeriesLine[];
    }
  | EvalCommand;

/** What an `expect warn|info` line asks for. */
export interface AnnotationExpectation {
  readonly kind: 'warn' | 'info' | 'no_warn' | 'no_info';
  readonly msg?: string;
  readonly regex?: string;
}

/** An `eval` command and its expectations. */
export interface EvalCommand {
  readonly kind: 'eval';
  readonly line: number;
  readonly expr: string;
  readonly instant: boolean;
  readonly atMs: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly stepMs: number;
  readonly fail: boolean;
  readonly failMsg?: string;
  readonly failRegex?: string;
  readonly ordered: boolean;
  readonly annotations: readonly AnnotationExpectation[];
  /** `expect range vector from … to … step …` of an instant query returning a matrix. */
  readonly rangeVector?: { readonly startMs: number; readonly endMs: number; readonly stepMs: number };
  readonly expectString?: string;
  readonly expectScalar?: number;
  readonly series: readonly SeriesLine[];
}

function duration(text: string, line: number): number {
  const ms = parsePromDuration(text);
  if (ms === undefined) throw new Error(`line ${line}: invalid duration ${JSON.stringify(text)}`);
  return ms;
}

const NUM = String.raw`(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[iI][nN][fF]|[nN][aA][nN])`;
const singleRe = new RegExp(`^([+-]?${NUM})$`);
const expandRe = new RegExp(`^([+-]?${NUM})(?:([+-])(${NUM}))?x(\\d+)$`);

function parseNum(s: string): number {
  const t = s.toLowerCase();
  if (t === 'inf' || t === '+inf') return Infinity;
  if (t === '-inf') return -Infinity;
  if (t === 'nan' || t === '+nan' || t === '-nan') return NaN;
  return Number(s);
}

/** Expands the value notation (`1 _x3 stale 0+10x5`) into slots. */
export function parseValues(text: string, line: number): { slots: Slot[]; histogram: boolean } {
  const slots: Slot[] = [];
  let histogram = false;
  for (const item of splitItems(text)) {
    if (item.startsWith('{{')) {
      histogram = true;
      const rep = /}}x(\d+)$/.exec(item);
      const n = rep ? Number(rep[1]) + 1 : 1;
      for (let i = 0; i < n; i++) slots.push('histogram');
      continue;
    }
    if (item === '_') {
      slots.push(null);
      continue;
    }
    const blank = /^_x(\d+)$/.exec(item);
    if (blank) {
      for (let i = 0; i < Number(blank[1]); i++) slots.push(null);
      continue;
    }
    if (item === 'stale') {
      slots.push('stale');
      continue;
    }
    const single = singleRe.exec(item);
    if (single) {
      slots.push(parseNum(single[1]!));
      continue;
    }
    const m = expandRe.exec(item);
    if (!m) throw new Error(`line ${line}: invalid value ${JSON.stringify(item)}`);
    const n = Number(m[4]);
    let v = parseNum(m[1]!);
    const step = m[2] === undefined ? 0 : (m[2] === '-' ? -1 : 1) * parseNum(m[3]!);
    for (let i = 0; i <= n; i++) {
      slots.push(v);
      v += step;
    }
  }
  return { slots, histogram };
}

/** Whitespace-separated items, keeping `{{ … }}` (and `{{…}}+{{…}}x3`) together. */
function splitItems(text: string): string[] {
  const items: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    let j = i;
    let depth = 0;
    while (j < text.length) {
      if (text.startsWith('{{', j)) {
        depth++;
        j += 2;
        continue;
      }
      if (text.startsWith('}}', j)) {
        depth--;
        j += 2;
        continue;
      }
      if (depth === 0 && /\s/.test(text[j]!)) break;
      j++;
    }
    items.push(text.slice(i, j));
    i = j;
  }
  return items;
}

/** Splits `name{a="b"} 1 2 3` into the series part and the values part. */
function splitSeriesLine(text: string): [string, string] {
  let i = 0;
  while (i < text.length && !/[\s{]/.test(text[i]!)) i++;
  if (text[i] === '{') {
    let quote: string | null = null;
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (quote !== null) {
        if (c === '\\' && quote !== '`') i++;
        else if (c === quote) quote = null;
      } else if (c === '"' || c === "'" || c === '`') quote = c;
      else if (c === '}') {
        i++;
        break;
      }
    }
  }
  return [text.slice(0, i), text.slice(i).trim()];
}

/** Parses the series notation (`name{a="b"}`, `{__name__="x"}`, `{"utf8.name"}`) into labels. */
export function parseSeriesLabels(text: string): Labels {
  const tokens = lex(text).filter((t) => t.kind !== 'eof');
  const record: Record<string, string> = {};
  let i = 0;
  if (tokens[0]?.kind === 'ident') {
    record['__name__'] = tokens[0].text;
    i = 1;
  } else if (tokens[0]?.kind === 'number') {
    // A keyword-like name that the lexer read as a number (`inf`, `nan`).
    record['__name__'] = tokens[0].text;
    i = 1;
  }
  if (tokens[i]?.kind === '{') {
    i++;
    while (i < tokens.length && tokens[i]!.kind !== '}') {
      const name = tokens[i]!;
      const label = name.kind === 'string' ? name.str : name.text;
      if (tokens[i + 1]?.kind === '=') {
        record[label] = tokens[i + 2]!.str;
        i += 3;
      } else {
        record['__name__'] = label;
        i += 1;
      }
      if (tokens[i]?.kind === ',') i++;
    }
  }
  return labelsFromRecord(record);
}

function parseSeriesLine(text: string, line: number): SeriesLine {
  const [series, values] = splitSeriesLine(text);
  const { slots, histogram } = parseValues(values, line);
  return { labels: parseSeriesLabels(series), slots, histogram };
}

const expectRe = /^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$/;

/** Parses a whole script; throws an Error naming the line on malformed input. */
export function parseScript(text: string): Command[] {
  const lines = text.split('\n').map((l) => {
    const t = l.trim();
    return t.startsWith('#') ? '' : t;
  });
  const commands: Command[] = [];
  let i = 0;
  while (i < lines.length) {
    const head = lines[i]!;
    const lineNo = i + 1;
    if (head === '') {
      i++;
      continue;
    }
    const word = head.split(/\s+/)[0]!.toLowerCase();
    if (word === 'clear') {
      commands.push({ kind: 'clear', line: lineNo });
      i++;
      continue;
    }
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && lines[j] !== '') body.push(lines[j++]!);
    i = j;
    if (word.startsWith('load')) {
      const parts = head.split(/\s+/);
      commands.push({
        kind: 'load',
        line: lineNo,
        intervalMs: duration(parts[1] ?? '', lineNo),
        nhcb: word === 'load_with_nhcb',
        series: body.map((b, k) => parseSeriesLine(b, lineNo + 1 + k)),
      });
      continue;
    }
    if (!word.startsWith('eval')) throw new Error(`line ${lineNo}: unknown command ${JSON.stringify(word)}`);
    commands.push(parseEval(head, body, lineNo));
  }
  return commands;
}

function parseEval(head: string, body: string[], lineNo: number): EvalCommand {
  const instantM = /^(eval(?:_fail|_warn|_info|_ordered)?)\s+instant\s+at\s+(\S+)\s+(.+)$/i.exec(head);
  const rangeM =
    /^(eval(?:_fail|_warn|_info)?)\s+range\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)\s+(.+)$/i.exec(head);
  if (!instantM && !rangeM) throw new Error(`line ${lineNo}: invalid eval command ${JSON.stringify(head)}`);
  const variant = (instantM?.[1] ?? rangeM![1]!).toLowerCase();
  let fail = variant === 'eval_fail';
  let failMsg: string | undefined;
  let failRegex: string | undefined;
  let ordered = variant === 'eval_ordered';
  const annotations: AnnotationExpectation[] = [];
  if (variant === 'eval_warn') annotations.push({ kind: 'warn' });
  if (variant === 'eval_info') annotations.push({ kind: 'info' });
  let rangeVector: EvalCommand['rangeVector'];
  let expectString: string | undefined;
  let expectScalar: number | undefined;
  const series: SeriesLine[] = [];
  for (const [k, b] of body.entries()) {
    const ln = lineNo + 1 + k;
    const em = expectRe.exec(b);
    if (em) {
      const kind = em[1]!;
      const mode = em[2];
      const arg = em[3]?.trim();
      if (kind === 'ordered') ordered = true;
      else if (kind === 'fail') {
        fail = true;
        if (mode === 'msg') failMsg = arg;
        if (mode === 'regex') failRegex = arg;
      } else {
        const a: AnnotationExpectation = {
          kind: kind as AnnotationExpectation['kind'],
          ...(mode === 'msg' && arg !== undefined ? { msg: arg } : {}),
          ...(mode === 'regex' && arg !== undefined ? { regex: arg } : {}),
        };
        annotations.push(a);
      }
      continue;
    }
    const rv = /^expect\s+range\s+vector\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)$/.exec(b);
    if (rv) {
      rangeVector = {
        startMs: duration(rv[1]!, ln),
        endMs: duration(rv[2]!, ln),
        stepMs: duration(rv[3]!, ln),
      };
      continue;
    }
    const sm = /^expect\s+string\s+(["`])(.*)\1$/.exec(b);
    if (sm) {
      expectString = sm[2]!;
      continue;
    }
    const fm = /^expected_fail_(message|regexp)\s+(.*)$/.exec(b);
    if (fm) {
      if (fm[1] === 'message') failMsg = fm[2]!.trim();
      else failRegex = fm[2]!.trim();
      continue;
    }
    if (singleRe.test(b)) {
      expectScalar = parseNum(b);
      continue;
    }
    series.push(parseSeriesLine(b, ln));
  }
  const base = {
    kind: 'eval' as const,
    line: lineNo,
    fail,
    ordered,
    annotations,
    series,
    ...(failMsg !== undefined ? { failMsg } : {}),
    ...(failRegex !== undefined ? { failRegex } : {}),
    ...(rangeVector !== undefined ? { rangeVector } : {}),
    ...(expectString !== undefined ? { expectString } : {}),
    ...(expectScalar !== undefined ? { expectScalar } : {}),
  };
  if (instantM) {
    const at = duration(instantM[2]!, lineNo);
    return { ...base, expr: instantM[3]!, instant: true, atMs: at, startMs: at, endMs: at, stepMs: 0 };
  }
  return {
    ...base,
    expr: rangeM![5]!,
    instant: false,
    atMs: 0,
    startMs: duration(rangeM![2]!, lineNo),
    endMs: duration(rangeM![3]!, lineNo),
    stepMs: duration(rangeM![4]!, lineNo),
  };
}
