import { parseLabelValuesQuery, type Variable } from './dashboard-model.js';

/**
 * Template variables of a dashboard (Grafana's semantics, for its Prometheus data source): the
 * values a variable offers, the selection kept in the URL as `var-<name>=<value>` (repeated for a
 * multi-select, `$__all` for "All"), and the substitution of `$name`, `${name}`, `${name:fmt}` and
 * `[[name]]` in expressions and titles. Pure.
 */

/** The value that stands for "All" in the URL and in a selection. */
export const ALL = '$__all';

/** The value that stands for the automatic interval of an `interval` variable. */
export const AUTO = '$__auto';

/** A variable's resolved selection: the values chosen, and whether that is "All". */
export interface VarSelection {
  readonly values: readonly string[];
  readonly isAll: boolean;
}

/** The selections of a dashboard's variables by name, plus the built-ins (`__interval` …). */
export type VarValues = ReadonlyMap<string, VarSelection>;

/**
 * A Grafana variable regex (`/web-.*\/i` or a bare pattern) as a RegExp; undefined when empty or
 * invalid (an invalid filter keeps every value rather than hiding them all).
 */
export function variableRegex(regex: string | undefined): RegExp | undefined {
  if (regex === undefined || regex.trim() === '') return undefined;
  const slashed = /^\/(.*)\/([gimsuy]*)$/s.exec(regex.trim());
  try {
    return slashed ? new RegExp(slashed[1] ?? '', (slashed[2] ?? '').replace('g', '')) : new RegExp(regex);
  } catch {
    return undefined;
  }
}

/**
 * The values of a query variable from the label values the API returned: filtered by its regex
 * (a capture group, when the regex has one, becomes the value, as in Grafana), deduplicated,
 * sorted.
 */
export function filterValues(values: readonly string[], regex: string | undefined): string[] {
  const re = variableRegex(regex);
  const out = new Set<string>();
  for (const v of values) {
    if (!re) {
      out.add(v);
      continue;
    }
    const m = re.exec(v);
    if (m) out.add(m[1] ?? m[0]);
  }
  return [...out].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** The fixed options of a custom or interval variable (with `auto` first when offered). */
export function staticOptions(v: Variable): string[] | undefined {
  if (v.type === 'custom') return [...v.options];
  if (v.type === 'interval') return v.auto ? [AUTO, ...v.options] : [...v.options];
  return undefined;
}

/**
 * The selection of `v` among `options`: the URL's values when any are offered (or "All"),
 * else the variable's `current`, else the first option. A single-select keeps one value.
 */
export function selectVariable(
  v: Variable,
  options: readonly string[],
  fromUrl: readonly string[],
): VarSelection {
  const pick = (wanted: readonly string[]): VarSelection | undefined => {
    if (wanted.includes(ALL) && v.includeAll) return { values: [...options], isAll: true };
    // Values no longer offered are kept when the options are unknown (the API failed).
    const ok = options.length === 0 ? [...wanted] : wanted.filter((w) => options.includes(w));
    if (ok.length === 0) return undefined;
    return { values: v.multi ? ok : ok.slice(0, 1), isAll: false };
  };
  const current = v.current === undefined ? [] : Array.isArray(v.current) ? v.current : [v.current];
  return (
    pick(fromUrl) ??
    pick(current) ??
    (options.length > 0
      ? { values: [options[0] ?? ''], isAll: false }
      : v.includeAll
        ? { values: [], isAll: true }
        : { values: [], isAll: false })
  );
}

/** Escapes regex metacharacters of a value for use inside a PromQL `=~"…"` string. */
export function escapeRegexValue(s: string): string {
  // Doubled backslashes: the value lands inside a PromQL string literal, which unescapes once.
  return s.replace(/[\\^$*+?.()|[\]{}]/g, '\\\\$&');
}

/**
 * The text a selection becomes in an expression, as Grafana's Prometheus data source writes it:
 * one value as is; several (or "All") as a regex alternation `(a|b)` of escaped values, for
 * `=~"$var"`. `format` is the `${var:format}` suffix: `raw`, `regex`, `pipe`, `csv`, `text`.
 */
export function formatSelection(sel: VarSelection, format?: string): string {
  const vs = sel.values;
  switch (format) {
    case 'csv':
    case 'text':
      return vs.join(',');
    case 'pipe':
      return vs.join('|');
    case 'raw':
      return vs.join(',');
    case 'regex':
      return vs.length === 1 ? escapeRegexValue(vs[0] ?? '') : `(${vs.map(escapeRegexValue).join('|')})`;
    default:
      if (vs.length === 1 && !sel.isAll) return vs[0] ?? '';
      if (vs.length === 0) return sel.isAll ? '.*' : '';
      return `(${vs.map(escapeRegexValue).join('|')})`;
  }
}

const REF_RE =
  /\$([A-Za-z_][A-Za-z0-9_]*)|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?\}|\[\[([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?\]\]/g;

/**
 * `text` with every reference to a known variable replaced by its selection; references to
 * unknown names stay as written (so a typo is visible in the query error, not silently empty).
 */
export function substitute(text: string, values: VarValues): string {
  return text.replace(REF_RE, (whole, a?: string, b?: string, fb?: string, c?: string, fc?: string) => {
    const name = a ?? b ?? c ?? '';
    const sel = values.get(name);
    if (!sel) return whole;
    return formatSelection(sel, fb ?? fc);
  });
}

/** The names of the variables `text` refers to (for ordering chained variables). */
export function referencedNames(text: string): string[] {
  return [...text.matchAll(REF_RE)].map((m) => m[1] ?? m[2] ?? m[4] ?? '');
}

/**
 * The built-in variables for a panel: `$__interval` (the step), `$__rate_interval`,
 * `$__range` and their `_ms`/`_s` forms, as durations Prometheus reads.
 */
export function builtinValues(opts: {
  stepMs: number;
  rateWindowMs: number;
  rangeMs: number;
}): Map<string, VarSelection> {
  const one = (s: string): VarSelection => ({ values: [s], isAll: false });
  const dur = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
  return new Map([
    ['__interval', one(dur(opts.stepMs))],
    ['__interval_ms', one(String(opts.stepMs))],
    ['__rate_interval', one(dur(opts.rateWindowMs))],
    ['__range', one(dur(opts.rangeMs))],
    ['__range_ms', one(String(opts.rangeMs))],
    ['__range_s', one(String(Math.round(opts.rangeMs / 1000)))],
  ]);
}

/** The label-values request a query variable makes after substitution, or undefined. */
export function labelValuesRequest(
  v: Variable,
  values: VarValues,
): { label: string; match?: string } | undefined {
  if (v.type !== 'query') return undefined;
  const q = parseLabelValuesQuery(v.query);
  if (!q) return undefined;
  return q.selector === undefined
    ? { label: q.label }
    : { label: q.label, match: substitute(q.selector, values) };
}

/** The URL parameter of variable `name`. */
export function varParam(name: string): string {
  return `var-${name}`;
}

/** The URL values of every variable: `var-<name>` parameters, repeated for multi-selects. */
export function urlSelections(search: URLSearchParams): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of search) {
    if (!k.startsWith('var-')) continue;
    const name = k.slice(4);
    out.set(name, [...(out.get(name) ?? []), v]);
  }
  return out;
}

/** `search` with variable `name` set to `values` (none removes it); other parameters kept. */
export function withVarSelection(search: string, name: string, values: readonly string[]): string {
  const q = new URLSearchParams(search);
  q.delete(varParam(name));
  for (const v of values) q.append(varParam(name), v);
  return q.toString();
}
