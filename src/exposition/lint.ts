import type { MetricFamily, MetricType } from '../model/metric.js';
import { belongsToFamily } from './parse-common.js';
import { formatOfContentType, parseExposition } from './parse-exposition.js';

/**
 * `kanshi lint metrics`: what is wrong with an exposition (errors: what Prometheus or a strict
 * OpenMetrics validator would reject, or a text-format parser such as promtool's would), and
 * advice in the spirit of `promtool check metrics` (warnings: naming and metadata conventions from
 * https://prometheus.io/docs/practices/naming/).
 */

/** One finding. `line` is 1-based, 0 when the finding is about a whole family. */
export interface LintProblem {
  readonly severity: 'error' | 'warning';
  /** A stable rule id (`parse`, `help`, `counter-total`, `base-unit`, …) for filtering. */
  readonly rule: string;
  readonly line: number;
  /** The metric family concerned, when there is one. */
  readonly metric?: string;
  readonly message: string;
}

/**
 * Lints an exposition. The format comes from `contentType` (`text/plain`,
 * `application/openmetrics-text`); without one it is guessed ({@link looksLikeOpenMetrics}). Problems on lines come first, by line, then those about whole families.
 */
export function lintMetrics(text: string, contentType?: string): LintProblem[] {
  const ct = contentType ?? (looksLikeOpenMetrics(text) ? 'application/openmetrics-text' : 'text/plain');
  const format = formatOfContentType(ct, 'text') ?? 'text';
  const problems: LintProblem[] = [];
  const parsed = parseExposition(text, ct, { strict: true, normalizeFloatLabels: false, maxErrors: 1000 });
  for (const e of parsed.errors)
    problems.push({ severity: 'error', rule: 'parse', line: e.line, message: e.message });
  if (format === 'text') problems.push(...textStructure(text));
  for (const f of parsed.families) problems.push(...advice(f, format === 'openmetrics'));
  // Findings on lines first, in line order; then those about whole families.
  const order = (p: LintProblem): number => (p.line === 0 ? Infinity : p.line);
  return problems.sort((a, b) => order(a) - order(b));
}

/**
 * Guesses the format of a file: OpenMetrics when it ends with `# EOF` and has something only
 * OpenMetrics has (UNIT, an OpenMetrics-only type, a counter family named without `_total`) or
 * does not parse as the text format. `# EOF` alone is not enough: in the text format it is a
 * comment, and Prometheus's own text test data ends with one.
 */
export function looksLikeOpenMetrics(text: string): boolean {
  if (!/(^|\n)# EOF\n?$/.test(text)) return false;
  if (/^# UNIT /m.test(text)) return true;
  if (/^# TYPE \S+ (info|stateset|gaugehistogram|unknown)$/m.test(text)) return true;
  for (const m of text.matchAll(/^# TYPE (\S+) counter$/gm)) if (!m[1]!.endsWith('_total')) return true;
  return parseExposition(text, 'text/plain', { maxErrors: 1 }).errors.length > 0;
}

/**
 * Rules the text format has that Prometheus's lenient parser does not enforce but the reference
 * parser (client_golang expfmt, used by promtool) does: one HELP and one TYPE per family, TYPE
 * before the samples, a family's samples together, no duplicate series.
 */
function textStructure(text: string): LintProblem[] {
  const out: LintProblem[] = [];
  const help = new Set<string>();
  const type = new Map<string, MetricType>();
  const withSamples = new Set<string>();
  const closed = new Set<string>();
  const series = new Set<string>();
  let current: string | undefined;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    const lineNo = n + 1;
    const meta = /^#[ \t]+(HELP|TYPE)[ \t]+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:[ \t]+(.*))?$/.exec(line);
    if (meta) {
      const [, kind, name = ''] = meta;
      if (name !== current) {
        if (current !== undefined && withSamples.has(current)) closed.add(current);
        current = name;
      }
      if (kind === 'HELP') {
        if (help.has(name)) out.push(err('duplicate-help', lineNo, name, `second HELP line for ${name}`));
        help.add(name);
      } else {
        if (type.has(name)) out.push(err('duplicate-type', lineNo, name, `second TYPE line for ${name}`));
        else if (withSamples.has(name))
          out.push(err('type-after-samples', lineNo, name, `TYPE for ${name} after its samples`));
        const t = (meta[3] ?? '').trim();
        type.set(name, t === 'untyped' ? 'unknown' : (t as MetricType));
      }
      continue;
    }
    const sample = /^[ \t]*([a-zA-Z_:][a-zA-Z0-9_:]*)[ \t]*(\{[^}]*\})?/.exec(line);
    if (!sample || line.startsWith('#')) continue;
    const name = sample[1]!;
    let family = name;
    if (current !== undefined && belongsToFamily(name, current, type.get(current) ?? 'unknown'))
      family = current;
    else {
      for (const [fam, t] of type) if (belongsToFamily(name, fam, t)) family = fam;
    }
    if (family !== current) {
      if (current !== undefined && withSamples.has(current)) closed.add(current);
      if (closed.has(family)) {
        out.push(
          err(
            'interleaved',
            lineNo,
            family,
            `samples of ${family} are not together (interleaved with other families)`,
          ),
        );
      }
      current = family;
    }
    withSamples.add(family);
    const key = `${name}${canonicalLabels(sample[2] ?? '')}`;
    if (series.has(key)) out.push(err('duplicate-series', lineNo, family, `duplicate series ${key}`));
    series.add(key);
  }
  return out;
}

/** A label set's text with labels sorted, so `{a="1",b="2"}` and `{b="2",a="1"}` compare equal. */
function canonicalLabels(braces: string): string {
  const pairs = [...braces.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:\\.|[^"\\])*)"/g)].map(
    (m) => `${m[1]}="${m[2]}"`,
  );
  return `{${pairs.sort().join(',')}}`;
}

function err(rule: string, line: number, metric: string, message: string): LintProblem {
  return { severity: 'error', rule, line, metric, message };
}

function warn(rule: string, metric: string, message: string): LintProblem {
  return { severity: 'warning', rule, line: 0, metric, message };
}

const BASE_UNITS: Readonly<Record<string, string>> = {
  amperes: 'amperes',
  bytes: 'bytes',
  celsius: 'celsius',
  grams: 'grams',
  joules: 'joules',
  kelvin: 'kelvin',
  meters: 'meters',
  metres: 'metres',
  seconds: 'seconds',
  volts: 'volts',
  minutes: 'seconds',
  hours: 'seconds',
  days: 'seconds',
  weeks: 'seconds',
  kelvins: 'kelvin',
  fahrenheit: 'celsius',
  rankine: 'celsius',
  inches: 'meters',
  yards: 'meters',
  miles: 'meters',
  bits: 'bytes',
  calories: 'joules',
  pounds: 'grams',
  ounces: 'grams',
};
const UNIT_PREFIXES = [
  'pico',
  'nano',
  'micro',
  'milli',
  'centi',
  'deci',
  'deca',
  'hecto',
  'kilo',
  'kibi',
  'mega',
  'mebi',
  'giga',
  'gibi',
  'tera',
  'tebi',
  'peta',
  'pebi',
];
const UNIT_ABBREVIATIONS = new Set([
  's',
  'ms',
  'us',
  'ns',
  'sec',
  'b',
  'kb',
  'mb',
  'gb',
  'tb',
  'pb',
  'm',
  'h',
  'd',
]);

/** promtool-style naming advice for one family. */
function advice(f: MetricFamily, isOpenMetrics: boolean): LintProblem[] {
  const out: LintProblem[] = [];
  const name = f.name;
  if (f.help === '') out.push(warn('help', name, `${name} has no HELP text`));

  // In OpenMetrics the family name never has _total; the samples do. In the text format a
  // family typed `counter` may still be named without it when its samples carry it.
  const counterNamedRight = isOpenMetrics
    ? true
    : f.samples.length > 0
      ? f.samples.every((s) => s.name.endsWith('_total') || s.name.endsWith('_created'))
      : name.endsWith('_total');
  if (f.type === 'counter' && !counterNamedRight) {
    out.push(warn('counter-total', name, `counter ${name} should have the suffix _total`));
  }
  if (f.type !== 'counter' && name.endsWith('_total')) {
    out.push(
      warn('total-not-counter', name, `${name} is a ${f.type}, not a counter, and should not end in _total`),
    );
  }
  const isHistogramLike = f.type === 'histogram' || f.type === 'gaugehistogram' || f.type === 'summary';
  if (!isHistogramLike) {
    for (const suffix of ['_count', '_sum', '_bucket']) {
      if (name.endsWith(suffix)) {
        out.push(
          warn(
            'reserved-suffix',
            name,
            `${name} is not a histogram or summary and should not end in ${suffix}`,
          ),
        );
      }
    }
  }
  const labelNames = new Set(f.samples.flatMap((s) => s.labels.map((l) => l.name)));
  if (f.type !== 'histogram' && f.type !== 'gaugehistogram' && labelNames.has('le')) {
    out.push(warn('reserved-label', name, `${name} is not a histogram and should not have the label "le"`));
  }
  if (f.type !== 'summary' && labelNames.has('quantile')) {
    out.push(
      warn('reserved-label', name, `${name} is not a summary and should not have the label "quantile"`),
    );
  }

  const parts = name.split('_');
  for (const part of parts) {
    for (const [unit, base] of Object.entries(BASE_UNITS)) {
      const prefixed = UNIT_PREFIXES.some((p) => part === p + unit);
      if ((prefixed || part === unit) && (prefixed || base !== unit)) {
        out.push(warn('base-unit', name, `${name}: use the base unit "${base}" instead of "${part}"`));
      }
    }
    if (UNIT_ABBREVIATIONS.has(part) && part !== parts[0]) {
      out.push(warn('unit-abbreviation', name, `${name}: write the unit out instead of "${part}"`));
    }
  }
  for (const t of ['counter', 'gauge', 'histogram', 'summary']) {
    if (name.includes(`_${t}_`) || name.endsWith(`_${t}`)) {
      out.push(warn('type-in-name', name, `${name} should not include its type "${t}" in the name`));
    }
  }
  if (name.includes(':')) out.push(warn('colon', name, `${name}: colons are reserved for recording rules`));
  if (/[a-z][A-Z]/.test(name))
    out.push(warn('camel-case', name, `${name} should be snake_case, not camelCase`));
  for (const l of labelNames) {
    if (/[A-Z]/.test(l))
      out.push(warn('label-case', name, `label "${l}" of ${name} should be lower snake_case`));
  }
  return out;
}
