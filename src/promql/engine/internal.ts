import type { Labels } from '../../model/labels.js';
import type { VectorSelector } from '../parser/ast.js';

/**
 * The evaluator's working values (not exported from the package). A sample carries `dropName`:
 * Prometheus 3.x removes `__name__` only at the end of evaluation ("delayed name removal"), so
 * `label_replace` and `by (__name__)` still see it.
 */

/** One element of an instant vector during evaluation; `t` only for `timestamp()` of a selector. */
export interface ISample {
  labels: Labels;
  v: number;
  dropName: boolean;
  t?: number;
}

/**
 * One series of a range vector during evaluation (no stale markers inside). For a range selector
 * these are views into the loaded data: never write to them.
 */
export interface ISeries {
  labels: Labels;
  ts: ArrayLike<number>;
  vs: ArrayLike<number>;
  /** The series' points are indexes [lo, hi) of ts/vs (views without allocation). */
  lo: number;
  hi: number;
  dropName: boolean;
}

/** A range vector with the window it was read over: (refT - rangeMs, refT]. */
export interface IMatrix {
  series: ISeries[];
  rangeMs: number;
  refT: number;
  /** The selector for a matrix selector; null for a subquery. */
  selector: VectorSelector | null;
}

/** An evaluated value at one instant. */
export type IValue =
  | { kind: 'vector'; v: ISample[] }
  | { kind: 'scalar'; v: number }
  | { kind: 'string'; v: string }
  | { kind: 'matrix'; m: IMatrix };

const keyCache = new WeakMap<Labels, string>();

/** A string key identifying a label set; cached per label-set object (label sets are immutable). */
export function labelsKey(labels: Labels): string {
  let key = keyCache.get(labels);
  if (key === undefined) {
    key = '';
    for (const l of labels) key += `${l.name}\u0000${l.value}\u0001`;
    keyCache.set(labels, key);
  }
  return key;
}

/** Warnings and infos of one query, deduplicated, in Prometheus's wording. */
export class Annotations {
  readonly #warnings = new Set<string>();
  readonly #infos = new Set<string>();

  warn(text: string): void {
    this.#warnings.add(`PromQL warning: ${text}`);
  }

  info(text: string): void {
    this.#infos.add(`PromQL info: ${text}`);
  }

  warnings(): string[] {
    return [...this.#warnings];
  }

  infos(): string[] {
    return [...this.#infos];
  }
}
