import { Buffer } from 'node:buffer';
import type { Clock } from '../../base/clock.js';
import type { Labels } from '../../model/labels.js';

/**
 * Validated label sets of the series a receiver has seen, keyed by the exact bytes their label
 * fields had on the wire. A sender repeats every series' labels in every request, byte for byte;
 * recognising them by those bytes skips building strings, validating, sorting and hashing them
 * again, and hands the store the same {@link Labels} object each time (the head then finds its
 * series by identity). The cache must only hold labels that passed the receiver's validation
 * under the limits it was created with.
 *
 * Entries live in two generations: a lookup that hits the older one moves the entry to the
 * current one, and the older generation is dropped when the current one is `generationMs` old or
 * holds `maxEntries`. A series not sent for one to two generations is forgotten, so memory stays
 * at most twice `maxEntries` entries (each about the label bytes plus 50 bytes). Single-threaded.
 */
export class WireLabelsCache {
  #cur = new Map<string, Labels>();
  #old = new Map<string, Labels>();
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

  /** The key of the bytes raw[start, end): one latin1 string (a byte per character). */
  static key(raw: Uint8Array, start: number, end: number): string {
    return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1', start, end);
  }

  /** The labels stored under `key`, or undefined. */
  get(key: string): Labels | undefined {
    const hit = this.#cur.get(key);
    if (hit !== undefined) return hit;
    const old = this.#old.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  /** Stores validated `labels` under `key`. */
  set(key: string, labels: Labels): void {
    if (this.#cur.size >= this.#maxEntries || this.#clock.now() - this.#genStartMs >= this.#generationMs) {
      this.rotate();
    }
    this.#cur.set(key, labels);
  }

  /** Starts a new generation, forgetting the entries not used during the last one. */
  rotate(): void {
    this.#old = this.#cur;
    this.#cur = new Map();
    this.#genStartMs = this.#clock.now();
  }

  /** Entries held (both generations; an entry may be counted twice). */
  get size(): number {
    return this.#cur.size + this.#old.size;
  }
}
