import { sortLabels, type Label, type Labels } from '../model/labels.js';
import type { MetricFamily, MetricSample, MetricType } from '../model/metric.js';
import {
  canonicalFloatLabel,
  finishLabels,
  parseGoFloat,
  type ParseError,
  type ParseResult,
} from './parse-common.js';

/**
 * A parser for the OpenMetrics 1.0 text format
 * (https://github.com/prometheus/OpenMetrics/blob/main/specification/OpenMetrics.md), with two modes:
 *
 * - lenient (default): what Prometheus's scraper (model/textparse, OpenMetricsParser) accepts. The
 *   syntax is checked strictly (single spaces, no blank lines or comments, `# EOF` last, valid TYPE
 *   words, a UNIT that is a suffix of the name), but the semantic rules are not (counter
 *   monotonicity, bucket order, grouping, repeated metadata). A trailing comma in a label set is
 *   rejected, as the specification and Prometheus 2 do (Prometheus 3 lets it pass).
 * - strict: a validator for the whole specification, gated by the OpenMetrics conformance suite
 *   (test/unit/openmetrics-conformance.test.ts). The linter uses it.
 *
 * Timestamps are seconds (floats) in the format and become milliseconds, truncated toward zero as
 * Prometheus does. Exemplars are parsed and kept on the sample ({@link OpenMetricsSample}).
 * `_created` samples are kept as samples unless `skipCreatedSeries` is set.
 */

/** An exemplar: a trace reference attached to a counter or bucket sample. */
export interface Exemplar {
  readonly labels: Labels;
  readonly value: number;
  /** Milliseconds since the epoch, when the exemplar carries a timestamp. */
  readonly timestampMs?: number;
}

/** A sample that may carry an exemplar. Every sample of an OpenMetrics parse result is one. */
export interface OpenMetricsSample extends MetricSample {
  readonly exemplar?: Exemplar;
}

/** The exemplar of a sample, when it has one (samples from any parser may be passed). */
export function exemplarOf(sample: MetricSample): Exemplar | undefined {
  return (sample as OpenMetricsSample).exemplar;
}

/** Options of {@link parseOpenMetrics}. */
export interface ParseOpenMetricsOptions {
  /** Validate the whole specification (see the module comment). Default false. */
  readonly strict?: boolean;
  /** Rewrite histogram `le` and summary `quantile` values as Prometheus 3 stores them. Default true. */
  readonly normalizeFloatLabels?: boolean;
  /** Drop `_created` samples (Prometheus does when it ingests created timestamps). Default false. */
  readonly skipCreatedSeries?: boolean;
  /** Stop after this many errors. Default 100. */
  readonly maxErrors?: number;
}

/** The longest exemplar label set, in code points of names and values together (spec). */
export const EXEMPLAR_MAX_LABEL_RUNES = 128;

const OM_TYPES: ReadonlySet<string> = new Set([
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
  'unknown',
]);

/** Sample names a family of each type owns, as suffixes of the family name. */
const OM_SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  counter: ['_total', '_created'],
  summary: ['', '_count', '_sum', '_created'],
  histogram: ['_count', '_sum', '_bucket', '_created'],
  gaugehistogram: ['_gcount', '_gsum', '_bucket'],
  info: ['_info'],
  gauge: [''],
  stateset: [''],
  unknown: [''],
};

const metricNameRe = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const unitRe = /^[a-zA-Z0-9_:]*$/;
const realNumberRe = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

class LineError extends Error {}

interface ParsedSample {
  name: string;
  labels: Label[];
  value: number;
  /** Seconds, as written (for ordering checks at full precision). */
  tsSeconds?: number;
  exemplar?: Exemplar;
}

interface Family {
  name: string;
  line: number;
  type?: MetricType;
  help?: string;
  unit?: string;
  allowed: Set<string>;
  samples: OpenMetricsSample[];
  /** Strict-mode state. */
  checks: { sample: ParsedSample; line: number }[];
  group?: string;
  groupTs?: number | undefined;
  seenGroups: Set<string>;
}

/**
 * Parses an OpenMetrics exposition. Bytes are decoded as UTF-8 and rejected when invalid; a string
 * is taken as already decoded. Never throws on bad input; see {@link ParseResult}.
 */
export function parseOpenMetrics(
  input: string | Uint8Array,
  options: ParseOpenMetricsOptions = {},
): ParseResult {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      return { families: [], errors: [{ line: 1, message: 'exposition is not valid utf-8' }] };
    }
  }
  return new OpenMetricsParser(text, options).run();
}

class OpenMetricsParser {
  readonly #text: string;
  readonly #strict: boolean;
  readonly #normalize: boolean;
  readonly #skipCreated: boolean;
  readonly #maxErrors: number;
  readonly #errors: ParseError[] = [];
  readonly #out = new Map<string, { fam: MetricFamily; samples: OpenMetricsSample[] }>();
  readonly #seenNames = new Set<string>();
  #cur: Family | undefined;

  constructor(text: string, options: ParseOpenMetricsOptions) {
    this.#text = text;
    this.#strict = options.strict ?? false;
    this.#normalize = options.normalizeFloatLabels ?? true;
    this.#skipCreated = options.skipCreatedSeries ?? false;
    this.#maxErrors = options.maxErrors ?? 100;
  }

  run(): ParseResult {
    const lines = this.#text.split('\n');
    let sawEof = false;
    for (let n = 0; n < lines.length; n++) {
      const line = lines[n]!;
      const lineNo = n + 1;
      if (sawEof) {
        // Only the final newline after `# EOF` may follow it.
        if (!(n === lines.length - 1 && line === '')) this.#error(lineNo, 'unexpected data after # EOF');
        break;
      }
      if (line === '# EOF') {
        sawEof = true;
        continue;
      }
      try {
        if (line === '') {
          if (n === lines.length - 1) continue; // end of input without # EOF; reported below
          throw new LineError('blank line');
        }
        if (line.startsWith('#')) this.#metadata(line, lineNo);
        else this.#sample(line, lineNo);
      } catch (err) {
        if (!(err instanceof LineError)) throw err;
        this.#error(lineNo, err.message);
      }
      if (this.#errors.length >= this.#maxErrors) break;
    }
    this.#finishFamily();
    if (!sawEof) this.#error(lines.length, 'exposition does not end with # EOF');
    const families: MetricFamily[] = [];
    for (const { fam, samples } of this.#out.values()) families.push({ ...fam, samples });
    return { families, errors: this.#errors.slice(0, this.#maxErrors) };
  }

  #error(line: number, message: string): void {
    this.#errors.push({ line, message });
  }

  // ---- metadata ---------------------------------------------------------------------------------

  #metadata(line: string, lineNo: number): void {
    const m = /^# (HELP|TYPE|UNIT) /.exec(line);
    if (m === null) throw new LineError(`invalid comment or metadata line ${JSON.stringify(line)}`);
    const kind = m[1] as 'HELP' | 'TYPE' | 'UNIT';
    let pos = m[0].length;
    let name: string;
    if (line[pos] === '"') {
      const q = readQuoted(line, pos, 'metric name');
      name = unescapeOm(q.raw);
      pos = q.end;
    } else {
      const start = pos;
      while (pos < line.length && isNameChar(line.charCodeAt(pos))) pos++;
      name = line.slice(start, pos);
      if (!metricNameRe.test(name))
        throw new LineError(`expected metric name after ${kind} in ${JSON.stringify(line)}`);
    }
    if (line[pos] !== ' ') throw new LineError(`expected a space and text after ${kind} ${name}`);
    const text = line.slice(pos + 1);

    let fam = this.#cur;
    if (fam !== undefined && fam.name === name && fam.samples.length + fam.checks.length > 0) {
      if (this.#strict) throw new LineError(`${kind} for ${name} after its samples`);
    }
    if (fam === undefined || fam.name !== name) {
      this.#finishFamily();
      fam = this.#startFamily(name, lineNo);
    }
    switch (kind) {
      case 'HELP':
        if (this.#strict && fam.help !== undefined) throw new LineError(`more than one HELP for ${name}`);
        fam.help = unescapeOm(text);
        break;
      case 'TYPE': {
        if (!OM_TYPES.has(text))
          throw new LineError(`invalid metric type ${JSON.stringify(text)} for ${name}`);
        if (this.#strict && fam.type !== undefined) throw new LineError(`more than one TYPE for ${name}`);
        const type = text as MetricType;
        fam.type = type;
        fam.allowed = new Set(OM_SUFFIXES[type].map((s) => name + s));
        break;
      }
      case 'UNIT':
        if (this.#strict && fam.unit !== undefined) throw new LineError(`more than one UNIT for ${name}`);
        if (!unitRe.test(text)) throw new LineError(`invalid unit ${JSON.stringify(text)} for ${name}`);
        if (text !== '' && !name.endsWith(`_${text}`)) {
          throw new LineError(`unit ${JSON.stringify(text)} is not a suffix of metric ${name}`);
        }
        fam.unit = text;
        break;
    }
  }

  #startFamily(name: string, line: number): Family {
    const fam: Family = {
      name,
      line,
      allowed: new Set([name]),
      samples: [],
      checks: [],
      seenGroups: new Set(),
    };
    this.#cur = fam;
    return fam;
  }

  /** Ends the current family: strict checks that need all of it, then output. */
  #finishFamily(): void {
    const fam = this.#cur;
    if (fam === undefined) return;
    this.#cur = undefined;
    const type = fam.type ?? 'unknown';
    if (this.#strict) {
      const at = fam.line;
      for (const suffix of new Set([...OM_SUFFIXES[type], ''])) {
        if (this.#seenNames.has(fam.name + suffix)) {
          this.#error(
            at,
            `metric family ${fam.name} clashes with an earlier family over ${fam.name + suffix}`,
          );
          break;
        }
      }
      if (fam.unit !== undefined && fam.unit !== '' && (type === 'info' || type === 'stateset')) {
        this.#error(at, `a ${type} family like ${fam.name} cannot have a unit`);
      }
      if (type === 'histogram' || type === 'gaugehistogram') this.#checkHistogram(fam);
    }
    for (const suffix of [...OM_SUFFIXES[type], '']) this.#seenNames.add(fam.name + suffix);

    const existing = this.#out.get(fam.name);
    if (existing !== undefined) {
      // Lenient mode: a family that comes back (interleaved) is merged into its first appearance.
      existing.samples.push(...fam.samples);
      return;
    }
    const base = { name: fam.name, type, help: fam.help ?? '', samples: [] };
    const out: MetricFamily = fam.unit !== undefined && fam.unit !== '' ? { ...base, unit: fam.unit } : base;
    this.#out.set(fam.name, { fam: out, samples: fam.samples });
  }

  // ---- samples ----------------------------------------------------------------------------------

  #sample(line: string, lineNo: number): void {
    const s = parseSampleLine(line);
    let fam = this.#cur;
    if (fam === undefined || !fam.allowed.has(s.name)) {
      this.#finishFamily();
      fam = this.#startFamily(s.name, lineNo);
      fam.type = 'unknown';
    }
    const type = fam.type ?? 'unknown';
    if (this.#strict) this.#checkSample(fam, type, s, lineNo);
    if (this.#skipCreated && s.name === `${fam.name}_created`) return;
    if (this.#normalize) {
      const key = type === 'histogram' ? 'le' : type === 'summary' ? 'quantile' : undefined;
      if (key !== undefined) {
        for (let k = 0; k < s.labels.length; k++) {
          const l = s.labels[k]!;
          if (l.name !== key) continue;
          const v = canonicalFloatLabel(l.value);
          if (v !== undefined && v !== l.value) s.labels[k] = { name: key, value: v };
        }
      }
    }
    const labels = finishLabels(s.labels);
    const sample: OpenMetricsSample = { name: s.name, labels, value: s.value };
    const withTs: OpenMetricsSample =
      s.tsSeconds === undefined ? sample : { ...sample, timestampMs: Math.trunc(s.tsSeconds * 1000) + 0 };
    fam.samples.push(s.exemplar === undefined ? withTs : { ...withTs, exemplar: s.exemplar });
  }

  /** Per-sample rules of the specification (strict mode). */
  #checkSample(fam: Family, type: MetricType, s: ParsedSample, lineNo: number): void {
    fam.checks.push({ sample: s, line: lineNo });
    const name = fam.name;
    const fail = (msg: string): never => {
      throw new LineError(msg);
    };
    const label = (n: string): string | undefined => s.labels.find((l) => l.name === n)?.value;

    if (type === 'stateset' && label(name) === undefined) fail(`stateset sample lacks the label ${name}`);
    if (s.name === `${name}_bucket`) {
      const le = label('le');
      const b = le === undefined || le === 'NaN' ? undefined : parseOmNumber(le);
      if (b === undefined || Number.isNaN(b)) fail(`invalid le label ${JSON.stringify(le ?? '')}`);
      if (!Number.isFinite(b) && le !== '+Inf' && le !== '-Inf')
        fail(`le ${JSON.stringify(le)} must be written +Inf`);
      if (!Number.isInteger(s.value)) fail(`bucket value ${s.value} is not an integer`);
    }
    if ((s.name === `${name}_count` || s.name === `${name}_gcount`) && !Number.isInteger(s.value)) {
      fail(`count value ${s.value} is not an integer`);
    }
    if (type === 'summary' && s.name === name) {
      const q = label('quantile');
      const v = q === undefined ? undefined : parseOmNumber(q);
      if (v === undefined || !(v >= 0 && v <= 1)) fail(`invalid quantile label ${JSON.stringify(q ?? '')}`);
    }

    // Grouping: the samples of one label group (a histogram's buckets and sums, …) are contiguous,
    // and within a group timestamps are all present or all absent and never go backwards.
    const g = groupKey(s, name, type);
    if (fam.group !== undefined && g !== fam.group && fam.seenGroups.has(g)) {
      fail(`samples of ${name} are not grouped: ${s.name}{${g}} comes back`);
    }
    if (fam.group !== undefined && g === fam.group) {
      if ((s.tsSeconds === undefined) !== (fam.groupTs === undefined)) {
        fail(`samples of one group of ${name} mix having and not having timestamps`);
      }
      if (
        fam.groupTs !== undefined &&
        s.tsSeconds !== undefined &&
        fam.groupTs > s.tsSeconds &&
        type !== 'info'
      ) {
        fail(`timestamps of ${name} go backwards`);
      }
    }
    fam.group = g;
    fam.groupTs = s.tsSeconds;
    fam.seenGroups.add(g);

    if (type === 'stateset' && s.value !== 0 && s.value !== 1)
      fail(`stateset value ${s.value} is not 0 or 1`);
    if (type === 'info' && s.value !== 1) fail(`info value ${s.value} is not 1`);
    if (type === 'summary' && s.name === name && s.value < 0) fail(`quantile value ${s.value} is negative`);
    const suffix = s.name.slice(name.length);
    const counterLike = ['_total', '_sum', '_count', '_bucket', '_gcount'].includes(suffix);
    if ((counterLike || suffix === '_gsum') && Number.isNaN(s.value)) fail(`${s.name} is NaN`);
    if (counterLike && s.value < 0) fail(`${s.name} is negative: ${s.value}`);
    if (s.exemplar !== undefined) {
      const ok =
        ((type === 'histogram' || type === 'gaugehistogram') && s.name.endsWith('_bucket')) ||
        (type === 'counter' && s.name.endsWith('_total'));
      if (!ok) fail(`exemplars are allowed only on counters' _total and histogram buckets, not on ${s.name}`);
      let runes = 0;
      for (const l of s.exemplar.labels) runes += [...l.name].length + [...l.value].length;
      if (runes > EXEMPLAR_MAX_LABEL_RUNES) {
        fail(`exemplar labels have ${runes} code points, more than ${EXEMPLAR_MAX_LABEL_RUNES}`);
      }
    }
  }

  /** Bucket rules, per run of samples with the same group and timestamp (strict mode). */
  #checkHistogram(fam: Family): void {
    const name = fam.name;
    interface Run {
      line: number;
      bucket?: number;
      value: number;
      count?: number;
      hasSum: boolean;
      hasGsum: boolean;
      negBuckets: boolean;
      negGsum: boolean;
    }
    let run: Run | undefined;
    let key: string | undefined;
    const finish = (r: Run): void => {
      const problem =
        r.bucket !== Infinity
          ? '+Inf bucket missing'
          : r.count !== undefined && r.value !== r.count
            ? `_count ${r.count} differs from the +Inf bucket ${r.value}`
            : r.hasSum && r.count === undefined
              ? '_count must be present if _sum is'
              : r.hasGsum && r.count === undefined
                ? '_gcount must be present if _gsum is'
                : !(r.hasSum || r.hasGsum) && r.count !== undefined
                  ? '_sum must be present if _count is'
                  : r.negBuckets && r.hasSum
                    ? '_sum is not allowed with negative buckets'
                    : !r.negBuckets && r.negGsum
                      ? 'negative _gsum needs negative buckets'
                      : undefined;
      if (problem !== undefined) this.#error(r.line, `histogram ${name}: ${problem}`);
    };
    for (const { sample: s, line } of fam.checks) {
      const suffix = s.name.slice(name.length);
      if (suffix === '') continue;
      const k = `${groupKey(s, name, 'histogram')}@${s.tsSeconds ?? ''}`;
      if (run === undefined || k !== key) {
        if (run !== undefined) finish(run);
        run = { line, value: 0, hasSum: false, hasGsum: false, negBuckets: false, negGsum: false };
      }
      key = k;
      if (suffix === '_bucket') {
        const le = s.labels.find((l) => l.name === 'le')?.value ?? '';
        const b = parseOmNumber(le) ?? NaN;
        if (b < 0) run.negBuckets = true;
        if (run.bucket !== undefined && !(b > run.bucket)) {
          this.#error(line, `histogram ${name}: buckets out of order at le=${le}`);
          return;
        }
        if (s.value < run.value) {
          this.#error(line, `histogram ${name}: bucket counts decrease at le=${le}`);
          return;
        }
        run.bucket = b;
        run.value = s.value;
      } else if (suffix === '_count' || suffix === '_gcount') {
        run.count = s.value;
      } else if (suffix === '_sum') {
        run.hasSum = true;
      } else if (suffix === '_gsum') {
        run.hasGsum = true;
        if (s.value < 0) run.negGsum = true;
      }
    }
    if (run !== undefined) finish(run);
  }
}

/** The label group a sample belongs to (its labels without the per-sample dimension). */
function groupKey(s: ParsedSample, name: string, type: MetricType): string {
  if (type === 'info') return '';
  let drop: string | undefined;
  if (type === 'summary' && s.name === name) drop = 'quantile';
  else if (type === 'stateset') drop = name;
  else if ((type === 'histogram' || type === 'gaugehistogram') && s.name === `${name}_bucket`) drop = 'le';
  return sortLabels(s.labels.filter((l) => l.name !== drop))
    .map((l) => `${l.name}=${JSON.stringify(l.value)}`)
    .join(',');
}

// ---- line syntax ----------------------------------------------------------------------------------

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}
function isLabelStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isLabelChar(c: number): boolean {
  return isLabelStart(c) || (c >= 48 && c <= 57);
}

/** Decodes `\\`, `\"`, `\n`; other backslash sequences are kept as written. */
function unescapeOm(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** A number as OpenMetrics writes values: Go-compatible floats (no hex, no `_`). */
function parseOmNumber(text: string): number | undefined {
  return parseGoFloat(text);
}

/** A `"…"` string at `pos`; returns the raw text between the quotes and the index after them. */
function readQuoted(line: string, pos: number, what: string): { raw: string; end: number } {
  let j = pos + 1;
  for (;;) {
    if (j >= line.length) throw new LineError(`unterminated ${what} in ${JSON.stringify(line)}`);
    const c = line.charCodeAt(j);
    if (c === 34) break;
    if (c === 92) {
      if (j + 1 >= line.length) throw new LineError(`unterminated ${what} in ${JSON.stringify(line)}`);
      j += 2;
      continue;
    }
    j++;
  }
  return { raw: line.slice(pos + 1, j), end: j + 1 };
}

/**
 * Parses `{…}` at `pos`. Returns the labels, a metric name given as a lone quoted string (when
 * `allowName`), and the index after `}`.
 */
function readLabels(
  line: string,
  pos: number,
  allowName: boolean,
): { labels: Label[]; name?: string; end: number } {
  const labels: Label[] = [];
  const seen = new Set<string>();
  let name: string | undefined;
  let i = pos + 1;
  if (line[i] === '}') return { labels, end: i + 1 };
  for (;;) {
    let labelName: string;
    let quoted = false;
    const c = line.charCodeAt(i);
    if (isLabelStart(c)) {
      const start = i;
      while (i < line.length && isLabelChar(line.charCodeAt(i))) i++;
      labelName = line.slice(start, i);
    } else if (c === 34) {
      const q = readQuoted(line, i, 'label name');
      labelName = unescapeOm(q.raw);
      i = q.end;
      quoted = true;
    } else {
      throw new LineError(`expected label name at ${JSON.stringify(line.slice(i, i + 20))}`);
    }
    if (quoted && allowName && (line[i] === ',' || line[i] === '}')) {
      if (name !== undefined) throw new LineError('metric name given twice in the label set');
      name = labelName;
    } else {
      if (line[i] !== '=') throw new LineError(`expected "=" after label name ${labelName}`);
      i++;
      if (line[i] !== '"') throw new LineError(`expected quoted label value for ${labelName}`);
      const q = readQuoted(line, i, 'label value');
      i = q.end;
      if (seen.has(labelName) || labelName === '__name__') {
        throw new LineError(`label name ${JSON.stringify(labelName)} is not unique`);
      }
      seen.add(labelName);
      labels.push({ name: labelName, value: unescapeOm(q.raw) });
    }
    if (line[i] === '}') return name === undefined ? { labels, end: i + 1 } : { labels, name, end: i + 1 };
    if (line[i] !== ',') throw new LineError(`expected "," or "}" after label ${labelName}`);
    i++;
    if (line[i] === '}') {
      throw new LineError('trailing comma in label set');
    }
  }
}

/** The next space-delimited token from `pos` (may be empty). */
function token(line: string, pos: number): { text: string; end: number } {
  let end = line.indexOf(' ', pos);
  if (end === -1) end = line.length;
  return { text: line.slice(pos, end), end };
}

function parseValue(text: string, what: string): number {
  if (text === '') throw new LineError(`missing ${what}`);
  const v = parseOmNumber(text);
  if (v === undefined) throw new LineError(`invalid ${what} ${JSON.stringify(text)}`);
  return v;
}

function parseTimestamp(text: string, what: string): number {
  if (text === '') throw new LineError(`missing ${what}`);
  if (!realNumberRe.test(text)) throw new LineError(`invalid ${what} ${JSON.stringify(text)}`);
  const v = Number(text);
  if (!Number.isFinite(v)) throw new LineError(`invalid ${what} ${JSON.stringify(text)}`);
  return v;
}

/** Parses `name[{labels}] value [timestamp] [# {labels} value [timestamp]]`. */
function parseSampleLine(line: string): ParsedSample {
  let i = 0;
  let name: string | undefined;
  if (isNameStart(line.charCodeAt(0))) {
    while (i < line.length && isNameChar(line.charCodeAt(i))) i++;
    name = line.slice(0, i);
  }
  let labels: Label[] = [];
  if (line[i] === '{') {
    const r = readLabels(line, i, true);
    if (r.name !== undefined) {
      if (name !== undefined) throw new LineError('metric name given twice');
      name = r.name;
    }
    labels = r.labels;
    i = r.end;
  }
  if (name === undefined) throw new LineError(`expected a metric name in ${JSON.stringify(line)}`);
  if (line[i] !== ' ') {
    throw new LineError(
      i >= line.length ? `missing value for ${name}` : `unexpected ${JSON.stringify(line[i])} after ${name}`,
    );
  }
  const v = token(line, i + 1);
  const value = parseValue(v.text, `value for ${name}`);
  i = v.end;
  const sample: ParsedSample = { name, labels, value };
  if (i >= line.length) return sample;
  i++; // the space
  if (line[i] !== '#') {
    const t = token(line, i);
    sample.tsSeconds = parseTimestamp(t.text, `timestamp for ${name}`);
    i = t.end;
    if (i >= line.length) return sample;
    i++;
    if (line[i] !== '#') throw new LineError(`unexpected text after the timestamp of ${name}`);
  }
  // Exemplar: `# {labels} value [timestamp]`.
  if (line[i + 1] !== ' ' || line[i + 2] !== '{') throw new LineError(`malformed exemplar for ${name}`);
  const r = readLabels(line, i + 2, false);
  i = r.end;
  if (line[i] !== ' ') throw new LineError(`expected a space after the exemplar labels of ${name}`);
  const ev = token(line, i + 1);
  const exValue = parseValue(ev.text, `exemplar value for ${name}`);
  i = ev.end;
  let exTs: number | undefined;
  if (i < line.length) {
    const et = token(line, i + 1);
    exTs = parseTimestamp(et.text, `exemplar timestamp for ${name}`);
    i = et.end;
    if (i < line.length) throw new LineError(`unexpected text after the exemplar of ${name}`);
  }
  const exLabels = sortLabels(r.labels);
  sample.exemplar =
    exTs === undefined
      ? { labels: exLabels, value: exValue }
      : { labels: exLabels, value: exValue, timestampMs: Math.trunc(exTs * 1000) + 0 };
  return sample;
}
