import type { Clock } from '../../base/clock.js';
import { errorMessage } from '../../base/errors.js';
import type { Logger } from '../../base/logger.js';

/**
 * Runs jobs on their intervals, each at a stable offset inside its interval (derived from its name,
 * as Prometheus spreads scrapes) so a hundred checks with the same interval do not fork at once.
 * A job never overlaps itself; at most `maxConcurrent` jobs run at a time.
 */

/** A unit of periodic work. `run` must not throw for expected failures; a throw is logged. */
export interface ScheduledJob {
  readonly key: string;
  /** Runs once. */
  run(signal: AbortSignal): Promise<void>;
  /** Milliseconds until the next run, asked after each run (checks retry faster while soft). */
  nextDelayMs(): number;
  /** The nominal interval, for the start offset. */
  readonly intervalMs: number;
}

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  clock: Clock;
  logger: Logger;
  /** Jobs running at once; the rest wait their turn. Default 8. */
  maxConcurrent?: number;
}

/** See the module comment. `run(signal)` resolves once every job loop has stopped. */
export class Scheduler {
  readonly #jobs: ScheduledJob[];
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #slots: Semaphore;

  constructor(jobs: readonly ScheduledJob[], options: SchedulerOptions) {
    this.#jobs = [...jobs];
    this.#clock = options.clock;
    this.#log = options.logger;
    this.#slots = new Semaphore(options.maxConcurrent ?? 8);
  }

  async run(signal: AbortSignal): Promise<void> {
    await Promise.all(this.#jobs.map((job) => this.#loop(job, signal)));
  }

  async #loop(job: ScheduledJob, signal: AbortSignal): Promise<void> {
    const offset = startOffsetMs(job.key, job.intervalMs, this.#clock.now());
    if (!(await this.#sleep(offset, signal))) return;
    while (!signal.aborted) {
      await this.#slots.acquire();
      try {
        if (signal.aborted) return;
        await job.run(signal);
      } catch (e) {
        this.#log.error({ job: job.key, err: errorMessage(e) }, 'job failed');
      } finally {
        this.#slots.release();
      }
      if (!(await this.#sleep(job.nextDelayMs(), signal))) return;
    }
  }

  /** Sleeps; false when the signal ended the sleep. */
  async #sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    try {
      await this.#clock.sleep(ms, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Where inside its interval a job starts: a hash of its key, so the spread is stable across restarts,
 * measured from now so the first run comes within one interval.
 */
export function startOffsetMs(key: string, intervalMs: number, nowMs: number): number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  const slot = (h >>> 0) % Math.max(1, intervalMs);
  return (slot - (nowMs % intervalMs) + intervalMs) % intervalMs;
}

/** A counting semaphore. */
class Semaphore {
  #free: number;
  readonly #waiters: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#free++;
  }
}
