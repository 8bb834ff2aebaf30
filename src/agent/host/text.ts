import { AppError } from '../../base/errors.js';

/**
 * Small text helpers for /proc files: splitting on runs of blanks without regular expressions
 * and parsing numbers strictly. Every /proc parser in this folder builds on them.
 */

const SPACE = 0x20;
const TAB = 0x09;

/** The blank-separated fields of `line` (spaces and tabs), without empty fields. */
export function splitFields(line: string): string[] {
  const out: string[] = [];
  const n = line.length;
  let i = 0;
  while (i < n) {
    let c = line.charCodeAt(i);
    while (i < n && (c === SPACE || c === TAB)) c = line.charCodeAt(++i);
    if (i >= n) break;
    const start = i;
    while (i < n && c !== SPACE && c !== TAB) c = line.charCodeAt(++i);
    out.push(line.slice(start, i));
  }
  return out;
}

/** The non-empty lines of `text` (a trailing newline yields no extra line). */
export function splitLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    if (end > start) out.push(text.slice(start, end));
    if (nl === -1) return out;
    start = nl + 1;
  }
}

/**
 * A decimal number from a /proc field. Throws `bad_input` naming `what` and the text when it is
 * not a number (Number('') would silently be 0). Values past 2^53 lose precision exactly as
 * node_exporter's float64 conversion does.
 */
export function parseNumber(text: string | undefined, what: string): number {
  if (text === undefined || text === '') throw new AppError('bad_input', `${what}: missing value`);
  const v = Number(text);
  if (Number.isNaN(v)) throw new AppError('bad_input', `${what}: not a number: ${JSON.stringify(text)}`);
  return v;
}

const matchCache = new WeakMap<RegExp, Map<string, boolean>>();

/**
 * `re.test(key)`, remembered per regular expression: /proc field names are a small fixed set
 * per kernel, and testing the netstat/vmstat filters on every field of every collection was
 * the largest parsing cost. `re` must not be global or sticky (`test` would keep state).
 */
export function matchesCached(re: RegExp, key: string): boolean {
  let cache = matchCache.get(re);
  if (cache === undefined) {
    cache = new Map();
    matchCache.set(re, cache);
  }
  let hit = cache.get(key);
  if (hit === undefined) {
    hit = re.test(key);
    // Bound the cache so an unexpected stream of distinct keys cannot grow it without limit.
    if (cache.size < 4096) cache.set(key, hit);
  }
  return hit;
}
