import { AppError } from '../../base/errors.js';
import { anchoredRegex } from '../../storage/matcher.js';
import type { Matcher } from '../../storage/storage.js';

/**
 * Postings: sorted lists of series ids per label pair, and the set algebra that turns PromQL
 * matchers into the ids of matching series, as Prometheus's tsdb/querier.go PostingsForMatchers
 * does: positive matchers are intersected; matchers that also match the empty string (a series
 * without the label) become subtractions of the values they reject.
 */

/** Ascending, duplicate-free series ids. Never mutated once handed out. */
export type Postings = Uint32Array;

/** What {@link postingsForMatchers} needs from an index (the head's or a block's). */
export interface PostingsIndex {
  /** Ids of series with label `name`=`value`, ascending; empty when absent. */
  postings(name: string, value: string): Postings;
  /** The values label `name` takes (any order, no empty string). */
  labelValues(name: string): readonly string[];
  /** Ids of all series, ascending. */
  allPostings(): Postings;
}

const EMPTY: Postings = new Uint32Array(0);

/** The ids present in both lists. */
export function intersect(a: Postings, b: Postings): Postings {
  if (a.length === 0 || b.length === 0) return EMPTY;
  const out = new Uint32Array(Math.min(a.length, b.length));
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      out[n++] = x;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return out.subarray(0, n);
}

/** The ids present in any of the lists. */
export function union(lists: readonly Postings[]): Postings {
  if (lists.length === 0) return EMPTY;
  if (lists.length === 1) return lists[0]!;
  let total = 0;
  for (const l of lists) total += l.length;
  const all = new Uint32Array(total);
  let off = 0;
  for (const l of lists) {
    all.set(l, off);
    off += l.length;
  }
  all.sort();
  let n = 0;
  for (let i = 0; i < all.length; i++) if (n === 0 || all[n - 1] !== all[i]) all[n++] = all[i]!;
  return all.subarray(0, n);
}

/** The ids of `a` not in `b`. */
export function subtract(a: Postings, b: Postings): Postings {
  if (a.length === 0 || b.length === 0) return a;
  const out = new Uint32Array(a.length);
  let j = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    while (j < b.length && b[j]! < x) j++;
    if (j < b.length && b[j] === x) continue;
    out[n++] = x;
  }
  return out.subarray(0, n);
}

/** `a|b|c` made only of characters without a regex meaning: the literal alternatives. */
export function literalAlternatives(pattern: string): string[] | null {
  if (!/^[\w\- :/@,;=#%&'"<>`~!]*(\|[\w\- :/@,;=#%&'"<>`~!]*)*$/u.test(pattern)) return null;
  return pattern.split('|');
}

function regexFor(m: Matcher): RegExp {
  try {
    return anchoredRegex(m.value);
  } catch (err) {
    throw new AppError('bad_input', `invalid regex in matcher ${m.name}${m.type}"${m.value}"`, {
      cause: err,
    });
  }
}

/**
 * The values of `m.name` for which `want(value matches m)` holds, using the fast paths: exact
 * lookups for `=`/`!=` and literal alternations, `.*`/`.+` without running a regex.
 */
function valuesWhere(ix: PostingsIndex, m: Matcher, want: boolean): string[] {
  const positive = m.type === '=' || m.type === '=~';
  // `selects` is true when we want the values the pattern itself matches.
  const selects = positive === want;
  if (m.type === '=' || m.type === '!=') {
    if (selects) return m.value === '' ? [] : [m.value];
    return ix.labelValues(m.name).filter((v) => v !== m.value);
  }
  if (m.value === '.*' || m.value === '.+') {
    return selects ? [...ix.labelValues(m.name)] : [];
  }
  const lits = literalAlternatives(m.value);
  if (lits !== null) {
    if (selects) return lits.filter((v) => v !== '');
    const set = new Set(lits);
    return ix.labelValues(m.name).filter((v) => !set.has(v));
  }
  const re = regexFor(m);
  return ix.labelValues(m.name).filter((v) => re.test(v) === selects);
}

function postingsOf(ix: PostingsIndex, name: string, values: readonly string[]): Postings {
  return union(values.map((v) => ix.postings(name, v)));
}

/** Whether `m` matches a series that lacks its label (value ''). */
export function matchesEmpty(m: Matcher): boolean {
  switch (m.type) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return regexFor(m).test('');
    case '!~':
      return !regexFor(m).test('');
  }
}

/**
 * Ids of the series of `ix` that satisfy all matchers (Prometheus semantics: anchored regexes, an
 * absent label is ''). Throws AppError('bad_input') for an invalid regex.
 */
export function postingsForMatchers(ix: PostingsIndex, matchers: readonly Matcher[]): Postings {
  const its: Postings[] = [];
  const notIts: Postings[] = [];
  for (const m of matchers) {
    if (m.type === '=~' && m.value === '.*') continue;
    if (m.type === '!~' && m.value === '.*') return EMPTY;
    if (matchesEmpty(m)) {
      // Matches series without the label: subtract those whose value it rejects.
      notIts.push(postingsOf(ix, m.name, valuesWhere(ix, m, false)));
    } else {
      const p = postingsOf(ix, m.name, valuesWhere(ix, m, true));
      if (p.length === 0) return EMPTY;
      its.push(p);
    }
  }
  let result: Postings;
  if (its.length === 0) {
    result = ix.allPostings();
  } else {
    its.sort((a, b) => a.length - b.length);
    result = its[0]!;
    for (let i = 1; i < its.length && result.length > 0; i++) result = intersect(result, its[i]!);
  }
  for (const n of notIts) result = subtract(result, n);
  return result;
}

/**
 * The head's postings: label name → value → ascending ids, kept as growable arrays so adding a
 * series with a higher id than any before is an O(1) push. Ids must be added in ascending order.
 */
export class MemPostings implements PostingsIndex {
  readonly #m = new Map<string, Map<string, number[]>>();
  #all: number[] = [];
  #allCache: Postings | null = null;
  readonly #cache = new Map<string, Postings>();

  /** Adds series `id` (greater than every id added before) with its labels. */
  add(id: number, labels: readonly { name: string; value: string }[]): void {
    for (const l of labels) {
      let byValue = this.#m.get(l.name);
      if (byValue === undefined) {
        byValue = new Map();
        this.#m.set(l.name, byValue);
      }
      const ids = byValue.get(l.value);
      if (ids === undefined) byValue.set(l.value, [id]);
      else ids.push(id);
    }
    this.#all.push(id);
    this.#allCache = null;
    this.#cache.clear();
  }

  /** Adds series `id` in any order (WAL replay may see ids out of order). */
  addUnordered(id: number, labels: readonly { name: string; value: string }[]): void {
    const insert = (ids: number[]): void => {
      let lo = 0;
      let hi = ids.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ids[mid]! < id) lo = mid + 1;
        else hi = mid;
      }
      if (ids[lo] !== id) ids.splice(lo, 0, id);
    };
    for (const l of labels) {
      let byValue = this.#m.get(l.name);
      if (byValue === undefined) {
        byValue = new Map();
        this.#m.set(l.name, byValue);
      }
      const ids = byValue.get(l.value);
      if (ids === undefined) byValue.set(l.value, [id]);
      else insert(ids);
    }
    insert(this.#all);
    this.#allCache = null;
    this.#cache.clear();
  }

  /** Removes the ids in `deleted` everywhere. */
  delete(deleted: ReadonlySet<number>): void {
    if (deleted.size === 0) return;
    for (const [name, byValue] of this.#m) {
      for (const [value, ids] of byValue) {
        const kept = ids.filter((id) => !deleted.has(id));
        if (kept.length === 0) byValue.delete(value);
        else if (kept.length !== ids.length) byValue.set(value, kept);
      }
      if (byValue.size === 0) this.#m.delete(name);
    }
    this.#all = this.#all.filter((id) => !deleted.has(id));
    this.#allCache = null;
    this.#cache.clear();
  }

  postings(name: string, value: string): Postings {
    const ids = this.#m.get(name)?.get(value);
    if (ids === undefined) return EMPTY;
    const key = `${name}\u0000${value}`;
    let p = this.#cache.get(key);
    if (p === undefined || p.length !== ids.length) {
      p = Uint32Array.from(ids);
      if (this.#cache.size > 4096) this.#cache.clear();
      this.#cache.set(key, p);
    }
    return p;
  }

  labelValues(name: string): readonly string[] {
    const byValue = this.#m.get(name);
    return byValue === undefined ? [] : [...byValue.keys()];
  }

  /** Label names present, any order. */
  labelNames(): string[] {
    return [...this.#m.keys()];
  }

  allPostings(): Postings {
    this.#allCache ??= Uint32Array.from(this.#all);
    return this.#allCache;
  }

  /** Number of series ids per label pair, for cardinality statistics. */
  *pairs(): Generator<{ name: string; value: string; count: number }> {
    for (const [name, byValue] of this.#m)
      for (const [value, ids] of byValue) yield { name, value, count: ids.length };
  }
}
