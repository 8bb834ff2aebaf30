import { ApiError } from './params.js';

/**
 * Bounds how many queries evaluate at once (Prometheus's `--query.max-concurrency`): up to
 * `maxConcurrent` run, up to `maxQueued` more wait in FIFO order, and any beyond are refused at
 * once with an `unavailable` error so a flood of dashboards cannot build an unbounded backlog.
 * A waiting query leaves the queue when its signal aborts (`canceled`) or its deadline passes
 * (`timeout`, "query timed out in query queue", as Prometheus words it). Single-threaded use only.
 */
export class QueryLimiter {
  readonly #maxConcurrent: number;
  readonly #maxQueued: number;
  #active = 0;
  readonly #queue: { grant: () => void }[] = [];

  constructor(options: { maxConcurrent: number; maxQueued: number }) {
    if (!(options.maxConcurrent >= 1))
      throw new ApiError('internal', `max concurrent queries must be >= 1, got ${options.maxConcurrent}`);
    this.#maxConcurrent = options.maxConcurrent;
    this.#maxQueued = Math.max(0, options.maxQueued);
  }

  /** Queries evaluating now. */
  get active(): number {
    return this.#active;
  }

  /** Queries waiting for a slot. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Waits for a slot; resolves with the function that returns it (call it exactly once, in a
   * `finally`). Rejects with an {@link ApiError} `unavailable`, `canceled` or `timeout`.
   */
  acquire(signal: AbortSignal, timeoutMs: number): Promise<() => void> {
    if (signal.aborted) return Promise.reject(new ApiError('canceled', 'query was canceled in query queue'));
    if (this.#active < this.#maxConcurrent) {
      this.#active++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#queue.length >= this.#maxQueued) {
      return Promise.reject(
        new ApiError(
          'unavailable',
          `too many concurrent queries: ${this.#active} running and ${this.#queue.length} queued`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const entry = {
        grant: (): void => {
          cleanup();
          this.#active++;
          resolve(this.#releaser());
        },
      };
      const leave = (err: ApiError): void => {
        const i = this.#queue.indexOf(entry);
        if (i >= 0) this.#queue.splice(i, 1);
        cleanup();
        reject(err);
      };
      const onAbort = (): void => leave(new ApiError('canceled', 'query was canceled in query queue'));
      const timer = setTimeout(
        () => leave(new ApiError('timeout', 'query timed out in query queue')),
        timeoutMs,
      );
      const cleanup = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(entry);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active--;
      const next = this.#queue.shift();
      if (next) next.grant();
    };
  }
}
