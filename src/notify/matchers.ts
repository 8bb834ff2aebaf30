import { AppError } from '../base/errors.js';
import { escapeLabelValue, labelNameRe } from '../model/labels.js';
import { translateRe2 } from '../promql/parser/regex.js';
import { anchoredRegex } from '../storage/matcher.js';
import type { MatchType, Matcher } from '../storage/storage.js';
import { compareStrings } from './label-set.js';
import type { LabelSet } from './types.js';

/**
 * Alertmanager's label matchers (pkg/labels in 0.25): the `matchers:` strings of routes, inhibit rules
 * and silences (`foo="bar"`, `foo!=bar`, `foo=~"a|b"`, `foo!~x`, optionally in braces and
 * comma-separated), the legacy `match:`/`match_re:` maps, matching against an alert's label set and
 * the printed form that goes into route keys. Regexes are RE2, anchored at both ends.
 */

export type { Matcher } from '../storage/storage.js';

const matcherRe = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*([\s\S]*?)\s*$/;

/** The anchored RegExp for an RE2 pattern; throws AppError('bad_input') when it does not compile. */
export function compileRegex(pattern: string): RegExp {
  try {
    return anchoredRegex(translateRe2(pattern));
  } catch (e) {
    throw new AppError('bad_input', `invalid regular expression ${JSON.stringify(pattern)}`, { cause: e });
  }
}

/** A matcher after checking its name and compiling its regex (throws AppError('bad_input')). */
export function newMatcher(type: MatchType, name: string, value: string): Matcher {
  if (type === '=~' || type === '!~') compileRegex(value);
  return { type, name, value };
}

/**
 * One matcher, `name op value`, where a value in double quotes may contain `\"`, `\\` and `\n`
 * escapes (a backslash before anything else stays literal). Throws AppError('bad_input').
 */
export function parseMatcher(text: string): Matcher {
  const m = matcherRe.exec(text);
  if (m === null) throw new AppError('bad_input', `bad matcher format: ${text}`);
  const name = m[1]!;
  const type = m[2]! as MatchType;
  let raw = m[3]!;
  let expectClosingQuote = false;
  if (raw.startsWith('"')) {
    raw = raw.slice(1);
    expectClosingQuote = true;
  }
  let value = '';
  let escaped = false;
  const chars = [...raw];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const last = i === chars.length - 1;
    if (escaped) {
      escaped = false;
      if (c === 'n') value += '\n';
      else if (c === '"' || c === '\\') value += c;
      else value += `\\${c}`;
      continue;
    }
    if (c === '\\') {
      if (!last) escaped = true;
      else value += '\\';
      continue;
    }
    if (c === '"') {
      if (!expectClosingQuote || !last) {
        throw new AppError('bad_input', `matcher value contains unescaped double quote: ${m[3]!}`);
      }
      expectClosingQuote = false;
      continue;
    }
    value += c;
  }
  if (expectClosingQuote) {
    throw new AppError('bad_input', `matcher value contains unescaped double quote: ${m[3]!}`);
  }
  return newMatcher(type, name, value);
}

/**
 * A list of matchers as amtool and the `matchers:` config accept it: optional surrounding braces,
 * matchers separated by commas outside double quotes. An empty string gives no matchers.
 */
export function parseMatchers(text: string): Matcher[] {
  let s = text;
  if (s.startsWith('{')) s = s.slice(1);
  if (s.endsWith('}')) s = s.slice(0, -1);
  const tokens: string[] = [];
  let token = '';
  let inQuotes = false;
  let escaped = false;
  for (const c of s) {
    if (c === ',' && !inQuotes) {
      tokens.push(token);
      token = '';
      continue;
    }
    if (c === '"') {
      if (!escaped) inQuotes = !inQuotes;
      else escaped = false;
    } else if (c === '\\') {
      escaped = !escaped;
    } else {
      escaped = false;
    }
    token += c;
  }
  if (token.trim() !== '') tokens.push(token.trim());
  return tokens.map(parseMatcher);
}

/**
 * Matchers from the legacy `match:` (equality) and `match_re:` (regex, stored anchored as Alertmanager
 * does) maps of routes and inhibit rules.
 */
export function legacyMatchers(
  match: Readonly<Record<string, string>> = {},
  matchRe: Readonly<Record<string, string>> = {},
): Matcher[] {
  const out: Matcher[] = [];
  for (const [name, value] of Object.entries(match)) out.push(newLegacy('=', name, value));
  // Alertmanager keeps a legacy regex as it compiled it, anchored: the value (and so the route key)
  // is `^(?:value)$`.
  for (const [name, value] of Object.entries(matchRe)) {
    compileRegex(value);
    out.push(newLegacy('=~', name, `^(?:${value})$`));
  }
  return out;
}

function newLegacy(type: MatchType, name: string, value: string): Matcher {
  if (!labelNameRe.test(name)) throw new AppError('bad_input', `invalid label name ${JSON.stringify(name)}`);
  return newMatcher(type, name, value);
}

const typeOrder: Record<MatchType, number> = { '=': 0, '!=': 1, '=~': 2, '!~': 3 };

/** Alertmanager's matcher order: by name, then value, then type (=, !=, =~, !~). */
export function compareMatchers(a: Matcher, b: Matcher): number {
  return (
    compareStrings(a.name, b.name) ||
    compareStrings(a.value, b.value) ||
    typeOrder[a.type] - typeOrder[b.type]
  );
}

/** `name="value"` with the value quoted and escaped (Alertmanager's `Matcher.String`). */
export function matcherString(m: Matcher): string {
  return `${m.name}${m.type}"${escapeLabelValue(m.value)}"`;
}

/** `{a="1",b=~"x"}`: Alertmanager's `Matchers.String`, the pieces of a route key. */
export function matchersString(ms: readonly Matcher[]): string {
  return `{${ms.map(matcherString).join(',')}}`;
}

/** Whether one matcher accepts the alert's labels (an absent label has the value ''). */
export function matcherMatches(m: Matcher, labels: LabelSet): boolean {
  const v = labels[m.name] ?? '';
  switch (m.type) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return compileRegex(m.value).test(v);
    case '!~':
      return !compileRegex(m.value).test(v);
  }
}

/** Whether every matcher accepts the labels (true for no matchers). */
export function matchesLabels(ms: readonly Matcher[], labels: LabelSet): boolean {
  for (const m of ms) if (!matcherMatches(m, labels)) return false;
  return true;
}
