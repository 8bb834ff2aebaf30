import { AppError } from '../../base/errors.js';
import { labelNameRe } from '../../model/labels.js';
import { translateRe2 } from '../../promql/parser/regex.js';
import { anchoredRegex, matchesValue } from '../../storage/matcher.js';
import type { Matcher } from '../../storage/storage.js';
import type { LabelSet } from '../types.js';

/**
 * Silence matchers as Alertmanager's API v2 writes them (`{name, value, isRegex, isEqual}`), their
 * validation (label name, RE2 regex) and matching against alert label sets. Regexes are Go RE2,
 * anchored at both ends, translated once to JavaScript by the PromQL translator.
 */

/** One matcher of a silence or maintenance window, the API v2 `Matcher` shape. */
export interface SilenceMatcher {
  readonly name: string;
  readonly value: string;
  readonly isRegex: boolean;
  /** `false` negates the match (`!=`, `!~`); Alertmanager defaults it to `true`. */
  readonly isEqual: boolean;
}

/** The selector operator of a matcher (`=`, `!=`, `=~`, `!~`). */
export function matcherType(m: SilenceMatcher): Matcher['type'] {
  if (m.isRegex) return m.isEqual ? '=~' : '!~';
  return m.isEqual ? '=' : '!=';
}

/** The matcher as it is written in a selector, e.g. `job=~"api.*"`. */
export function formatMatcher(m: SilenceMatcher): string {
  return `${m.name}${matcherType(m)}${JSON.stringify(m.value)}`;
}

/** A matcher prepared for repeated matching: regexes already translated and compiled. */
export interface CompiledMatcher {
  readonly name: string;
  readonly storage: Matcher;
}

/**
 * Validates and compiles `m`; throws AppError `bad_input` naming the matcher's index (`what`, e.g.
 * `matchers[2]`) and the offending name or pattern. `allowAnyName` skips the label-name check, for
 * query filters that Alertmanager parses more leniently than it stores silences.
 */
export function compileMatcher(
  m: SilenceMatcher,
  what: string,
  options: { allowAnyName?: boolean } = {},
): CompiledMatcher {
  if (options.allowAnyName !== true && !labelNameRe.test(m.name)) {
    throw new AppError('bad_input', `${what}: invalid label name ${JSON.stringify(m.name)}`);
  }
  const type = matcherType(m);
  let value = m.value;
  if (m.isRegex) {
    value = translateRe2(m.value);
    try {
      anchoredRegex(value);
    } catch (err) {
      throw new AppError('bad_input', `${what}: invalid regular expression ${JSON.stringify(m.value)}`, {
        cause: err,
      });
    }
  }
  return { name: m.name, storage: { type, name: m.name, value } };
}

/** Whether `labels` satisfy every compiled matcher (an absent label has the value ''). */
export function matchesLabelSet(labels: LabelSet, matchers: readonly CompiledMatcher[]): boolean {
  for (const m of matchers) {
    if (!matchesValue(m.storage, labels[m.name] ?? '')) return false;
  }
  return true;
}

/** Whether every matcher matches the empty string (a silence made of those would mute everything). */
export function allMatchEmpty(matchers: readonly CompiledMatcher[]): boolean {
  return matchers.every((m) => matchesValue(m.storage, ''));
}

// Alertmanager's labels.ParseMatcher: `name op value`, the value optionally double-quoted.
const matcherRe = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*(.*?)\s*$/su;

/**
 * Parses one matcher as amtool and `?filter=` send it (`alertname="Foo"`, `job=~api.*`, `env!=prod`).
 * Throws AppError `bad_input` with Alertmanager's message `bad matcher format: …`.
 */
export function parseMatcher(text: string): SilenceMatcher {
  const m = matcherRe.exec(text);
  if (m === null) throw new AppError('bad_input', `bad matcher format: ${text}`);
  const [, name = '', op = '', raw = ''] = m;
  let value = raw;
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) {
    value = unquote(raw.slice(1, -1), text);
  }
  const matcher: SilenceMatcher = { name, value, isRegex: op.endsWith('~'), isEqual: !op.startsWith('!') };
  if (matcher.isRegex) {
    try {
      anchoredRegex(translateRe2(value));
    } catch (err) {
      throw new AppError(
        'bad_input',
        `matcher ${text}: invalid regular expression ${JSON.stringify(value)}`,
        {
          cause: err,
        },
      );
    }
  }
  return matcher;
}

/** Parses a list of filter parameters, also accepting a `{a="b",c=~"d"}` selector in one parameter. */
export function parseMatchers(texts: readonly string[]): SilenceMatcher[] {
  const out: SilenceMatcher[] = [];
  for (const text of texts) {
    const t = text.trim();
    if (t.startsWith('{') && t.endsWith('}')) {
      for (const part of splitSelector(t.slice(1, -1))) out.push(parseMatcher(part));
    } else {
      out.push(parseMatcher(text));
    }
  }
  return out;
}

/**
 * Whether the silence's matchers include every filter matcher with the same name, operator and
 * value: Alertmanager's rule for `GET /api/v2/silences?filter=` (a filter does not evaluate regexes).
 */
export function silenceMatchesFilter(
  silenceMatchers: readonly SilenceMatcher[],
  filter: readonly SilenceMatcher[],
): boolean {
  return filter.every((f) =>
    silenceMatchers.some(
      (m) => m.name === f.name && m.value === f.value && matcherType(m) === matcherType(f),
    ),
  );
}

function unquote(body: string, text: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      if (c === '"') throw new AppError('bad_input', `bad matcher format: ${text}`);
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === 'n') out += '\n';
    else if (e === 't') out += '\t';
    else if (e === '\\' || e === '"') out += e;
    else throw new AppError('bad_input', `bad matcher format: ${text}`);
  }
  return out;
}

/** Splits `a="x,y", b=~c` at the commas outside quotes. */
function splitSelector(body: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let inQuote = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (inQuote && c === '\\') {
      cur += c + (body[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') inQuote = !inQuote;
    if (c === ',' && !inQuote) {
      if (cur.trim() !== '') parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim() !== '') parts.push(cur);
  return parts;
}
