import type { Labels } from '../model/labels.js';
import type { Matcher } from './storage.js';

/**
 * Matching labels against selector matchers with Prometheus's semantics: regexes are anchored at
 * both ends and use RE2 syntax (JavaScript's RegExp with the `s` flag is the closest: `.` matches
 * a newline, as in RE2's `(?s)` that Prometheus sets).
 */

const regexCache = new Map<string, RegExp>();

/** The anchored RegExp for a matcher's value; throws a SyntaxError for an invalid pattern. */
export function anchoredRegex(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    re = new RegExp(`^(?:${pattern})$`, 'su');
    if (regexCache.size > 10_000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

/** Whether `value` satisfies `m`. */
export function matchesValue(m: Matcher, value: string): boolean {
  switch (m.type) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return anchoredRegex(m.value).test(value);
    case '!~':
      return !anchoredRegex(m.value).test(value);
  }
}

/** Whether a label set satisfies every matcher (absent labels have the value ''). */
export function matchesAll(labels: Labels, matchers: readonly Matcher[]): boolean {
  for (const m of matchers) {
    let value = '';
    for (const l of labels) {
      if (l.name === m.name) {
        value = l.value;
        break;
      }
    }
    if (!matchesValue(m, value)) return false;
  }
  return true;
}
