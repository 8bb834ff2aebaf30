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

/** One series of a range vector during evaluation (no stale markers inside). */
export interface ISeries {
  labels: Labels;
  ts: number[];
  vs: number[];
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

/** A string key identifying a label set. */
export function labelsKey(labels: Labels): string {
  let key = '';
  for (const l of labels) key += `${l.name}\u0000${l.value}\u0001`;
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
