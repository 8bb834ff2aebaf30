import type { Label, Labels } from '../model/labels.js';
import type { MetricFamily, MetricSample, MetricType } from '../model/metric.js';

/**
 * Pieces shared by the exposition parsers (text 0.0.4 and OpenMetrics): the result types, number
 * parsing with Go's rules (what Prometheus accepts), and the grouping of samples into families.
 */

/** One problem found while parsing, with its 1-based line number in the input (0: not about a line). */
export interface ParseError {
  readonly line: number;
  readonly message: string;
}

/**
 * What a parser returns: the families it could read and every problem it found. A scrape treats
 * any error as a failed scrape (as Prometheus does); tools like the linter show all of them.
 */
export interface ParseResult {
  readonly families: MetricFamily[];
  readonly errors: ParseError[];
}

const decimalRe = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const infRe = /^[+-]?(?:inf|infinity)$/i;

/**
 * Parses a float the way Prometheus's text parser does (Go's strconv.ParseFloat without hex
 * floats or underscores): decimal with optional exponent, `NaN` and `[+-]Inf`/`Infinity` in any
 * case. Returns undefined when the text is not a number or overflows float64.
 */
export function parseGoFloat(text: string): number | undefined {
  if (decimalRe.test(text)) {
    const v = Number(text);
    // Go reports a range error where JavaScript silently yields Infinity.
    return Number.isFinite(v) ? v : undefined;
  }
  if (infRe.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (text.length === 3 && text.toLowerCase() === 'nan') return NaN;
  return undefined;
}

const INT64_MAX = 9223372036854775807n;

/**
 * Parses a decimal integer that must fit an int64 (Go's strconv.ParseInt base 10). `digitsOnly`
 * forbids a sign, as the text format's lexer does. Returns undefined otherwise.
 */
export function parseInt64(text: string, digitsOnly: boolean): number | undefined {
  if (!(digitsOnly ? /^\d+$/ : /^[+-]?\d+$/).test(text)) return undefined;
  if (text.length >= 19) {
    const big = BigInt(text);
    if (big > INT64_MAX || big < -INT64_MAX - 1n) return undefined;
  }
  return Number(text);
}

/**
 * Formats a float as Prometheus 3 normalizes `le` and `quantile` label values (its
 * formatOpenMetricsFloat: Go's %g shortest form, with `.0` added to integers): `1` → `1.0`,
 * `1e6` → `1e+06`, `0.25` → `0.25`, `Infinity` → `+Inf`.
 */
export function formatOpenMetricsFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return '0.0';
  // toExponential() without digits gives the shortest round-trip mantissa, like Go's 'g', -1;
  // Go switches to exponent form below 1e-4 and from 1e6 up (its shortest-%g precision is 6).
  const [mant = '', expText = '0'] = v.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const abs = Math.abs(exp);
    return `${mant}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  const s = mant.replace('.', '');
  const neg = s.startsWith('-');
  const digits = neg ? s.slice(1) : s;
  let out: string;
  if (exp < 0) {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length > exp + 1) {
    out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  } else {
    out = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  }
  return neg ? `-${out}` : out;
}

/** Suffixes a sample name may add to its family name, by family type. */
export const TYPE_SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  counter: ['_total', '_created', ''],
  gauge: [''],
  unknown: [''],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  gaugehistogram: ['_bucket', '_gcount', '_gsum'],
  summary: ['', '_count', '_sum', '_created'],
  info: ['_info'],
  stateset: [''],
};

const ALL_SUFFIXES = ['_total', '_created', '_bucket', '_count', '_sum', '_gcount', '_gsum', '_info'];

/** Whether a sample called `sampleName` belongs to a family `familyName` of type `type`. */
export function belongsToFamily(sampleName: string, familyName: string, type: MetricType): boolean {
  if (!sampleName.startsWith(familyName)) return false;
  const suffix = sampleName.slice(familyName.length);
  return TYPE_SUFFIXES[type].includes(suffix);
}

interface MutableFamily {
  name: string;
  type: MetricType;
  help: string;
  unit?: string;
  hasType: boolean;
  samples: MetricSample[];
}

/**
 * Groups samples into families in order of first appearance. Metadata lines open or update a
 * family; a sample joins the current family when its name fits that family's type, else an
 * earlier family it fits, else a new `unknown` family named after the sample.
 */
export class FamilyBuilder {
  readonly #families = new Map<string, MutableFamily>();
  #current: MutableFamily | undefined;

  /** The family called `name`, created (untyped, no help) if new; it becomes current. */
  family(name: string): MutableFamily {
    let f = this.#families.get(name);
    if (f === undefined) {
      f = { name, type: 'unknown', help: '', hasType: false, samples: [] };
      this.#families.set(name, f);
    }
    this.#current = f;
    return f;
  }

  /** Whether a family called `name` was seen. */
  has(name: string): boolean {
    return this.#families.has(name);
  }

  setType(name: string, type: MetricType): void {
    const f = this.family(name);
    f.type = type;
    f.hasType = true;
  }

  setHelp(name: string, help: string): void {
    this.family(name).help = help;
  }

  setUnit(name: string, unit: string): void {
    this.family(name).unit = unit;
  }

  /** The family a sample called `sampleName` goes to (see the class comment). */
  familyFor(sampleName: string): MutableFamily {
    const cur = this.#current;
    if (cur !== undefined && belongsToFamily(sampleName, cur.name, cur.type)) return cur;
    const exact = this.#families.get(sampleName);
    if (exact !== undefined && belongsToFamily(sampleName, exact.name, exact.type)) {
      this.#current = exact;
      return exact;
    }
    for (const suffix of ALL_SUFFIXES) {
      if (!sampleName.endsWith(suffix)) continue;
      const f = this.#families.get(sampleName.slice(0, -suffix.length));
      if (f !== undefined && belongsToFamily(sampleName, f.name, f.type)) {
        this.#current = f;
        return f;
      }
    }
    // A family known only by HELP (or by earlier untyped samples) takes the exact name.
    if (exact !== undefined) {
      this.#current = exact;
      return exact;
    }
    return this.family(sampleName);
  }

  add(sample: MetricSample): void {
    this.familyFor(sample.name).samples.push(sample);
  }

  /** The families, in order of first appearance, as immutable {@link MetricFamily} values. */
  build(): MetricFamily[] {
    const out: MetricFamily[] = [];
    for (const f of this.#families.values()) {
      const fam: MetricFamily =
        f.unit !== undefined
          ? { name: f.name, type: f.type, help: f.help, unit: f.unit, samples: f.samples }
          : { name: f.name, type: f.type, help: f.help, samples: f.samples };
      out.push(fam);
    }
    return out;
  }
}

/** A sample value with an optional timestamp, built without `timestampMs: undefined`. */
export function makeSample(name: string, labels: Labels, value: number, timestampMs?: number): MetricSample {
  return timestampMs === undefined ? { name, labels, value } : { name, labels, value, timestampMs };
}

/**
 * Turns parsed labels (names already known to be unique) into a {@link Labels} value: drops empty
 * values and sorts by name. Sorts in place; cheaper than sortLabels for the few labels a sample has.
 */
export function finishLabels(labels: Label[]): Labels {
  let n = 0;
  for (const l of labels) if (l.value !== '') labels[n++] = l;
  labels.length = n;
  for (let i = 1; i < n; i++) {
    const x = labels[i]!;
    let j = i - 1;
    while (j >= 0 && labels[j]!.name > x.name) {
      labels[j + 1] = labels[j]!;
      j--;
    }
    labels[j + 1] = x;
  }
  return labels;
}

const canonicalCache = new Map<string, string>();

/**
 * {@link formatOpenMetricsFloat} of a label value as written, or undefined when it is not a
 * number. Cached: the same `le` and `quantile` values come back in every scrape.
 */
export function canonicalFloatLabel(value: string): string | undefined {
  const hit = canonicalCache.get(value);
  if (hit !== undefined) return hit;
  const v = parseGoFloat(value);
  if (v === undefined) return undefined;
  const out = formatOpenMetricsFloat(v);
  if (canonicalCache.size >= 10_000) canonicalCache.clear();
  canonicalCache.set(value, out);
  return out;
}
