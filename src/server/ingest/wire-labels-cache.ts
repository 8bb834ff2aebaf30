import { Buffer } from 'node:buffer';
import type { Clock } from '../../base/clock.js';
import type { Label, Labels } from '../../model/labels.js';

/**
 * Validated label sets of the series a receiver has seen, keyed by the exact bytes their label
 * fields had on the wire. A sender repeats every series' labels in every request, byte for byte;
 * recognising them by those bytes skips building strings, validating, sorting and hashing them
 * again, and hands the store the same {@link Labels} object each time (the head then finds its
 * series by identity). A lookup hashes the bytes in place and compares them with the stored key,
 * so it allocates nothing. The cache must only hold labels that passed the receiver's validation
 * under the limits it was created with.
 *
 * Entries live in two generations: a lookup that hits the older one moves the entry to the
 * current one, and the older generation is dropped when the current one is `generationMs` old or
 * holds `maxEntries`. A series not sent for one to two generations is forgotten, so memory stays
 * at most twice `maxEntries` entries (each about the label bytes plus 80 bytes). Single-threaded.
 */
export class WireLabelsCache {
  #cur = new Generation();
  #old = new Generation();
  /** Shared Label objects by name and value (see {@link set}). */
  #labels = new Map<string, Map<string, Label>>();
  #genStartMs: number;
  readonly #maxEntries: number;
  readonly #generationMs: number;
  readonly #clock: Clock;

  constructor(options: { clock: Clock; maxEntries?: number; generationMs?: number }) {
    this.#clock = options.clock;
    this.#maxEntries = options.maxEntries ?? 1 << 20;
    this.#generationMs = options.generationMs ?? 10 * 60_000;
    this.#genStartMs = this.#clock.now();
  }

  /** The labels stored for the bytes raw[start, end), or undefined. */
  get(raw: Uint8Array, start: number, end: number): Labels | undefined {
    const hash = hashBytes(raw, start, end);
    const hit = this.#cur.find(hash, raw, start, end);
    if (hit !== undefined) return hit.labels;
    const old = this.#old.find(hash, raw, start, end);
    if (old === undefined) return undefined;
    this.#maybeRotate();
    this.#cur.add(hash, old);
    return old.labels;
  }

  /**
   * Stores validated `labels` for the bytes raw[start, end) (copied) and returns the labels to use
   * from now on: equal to `labels`, made of the {@link Label} objects earlier series share (a
   * `job="node"` label is one object for every series that has it, not one per series).
   */
  set(raw: Uint8Array, start: number, end: number, labels: Labels): Labels {
    this.#maybeRotate();
    const shared = labels.map((l) => this.#shared(l));
    const key = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1', start, end);
    this.#cur.add(hashBytes(raw, start, end), { key, labels: shared });
    return shared;
  }

  /** The one Label object for `l`'s name and value. */
  #shared(l: Label): Label {
    let byValue = this.#labels.get(l.name);
    if (byValue === undefined) {
      byValue = new Map();
      this.#labels.set(l.name, byValue);
    }
    const have = byValue.get(l.value);
    if (have !== undefined) return have;
    byValue.set(l.value, l);
    return l;
  }

  #maybeRotate(): void {
    if (this.#cur.size >= this.#maxEntries || this.#clock.now() - this.#genStartMs >= this.#generationMs) {
      this.rotate();
    }
  }

  /** Starts a new generation, forgetting the entries not used during the last one. */
  rotate(): void {
    this.#old = this.#cur;
    this.#cur = new Generation();
    // Labels of series not seen any more are not kept alive; new series start sharing afresh.
    this.#labels = new Map();
    this.#genStartMs = this.#clock.now();
  }

  /** Entries held (both generations; an entry may be counted twice). */
  get size(): number {
    return this.#cur.size + this.#old.size;
  }
}

/** A stored key: the label bytes as a latin1 string (one character per byte). */
interface Entry {
  readonly key: string;
  readonly labels: Labels;
}

/** Entries by hash of their key bytes; colliding entries share an array. */
class Generation {
  readonly #byHash = new Map<number, Entry | Entry[]>();
  size = 0;

  find(hash: number, raw: Uint8Array, start: number, end: number): Entry | undefined {
    const e = this.#byHash.get(hash);
    if (e === undefined) return undefined;
    if (!Array.isArray(e)) return sameBytes(e.key, raw, start, end) ? e : undefined;
    for (const x of e) if (sameBytes(x.key, raw, start, end)) return x;
    return undefined;
  }

  add(hash: number, entry: Entry): void {
    const e = this.#byHash.get(hash);
    if (e === undefined) this.#byHash.set(hash, entry);
    else if (Array.isArray(e)) e.push(entry);
    else this.#byHash.set(hash, [e, entry]);
    this.size++;
  }
}

function sameBytes(key: string, raw: Uint8Array, start: number, end: number): boolean {
  if (key.length !== end - start) return false;
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) !== raw[start + i]) return false;
  return true;
}

/** FNV-1a of raw[start, end), folded to 30 bits so it stays a small integer (a cheap Map key). */
export function hashBytes(raw: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ raw[i]!, 0x01000193);
  return h & 0x3fffffff;
}
