import {
  fsync,
  write,
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../base/clock.js';
import { AppError, errorMessage } from '../../base/errors.js';
import { nullLogger, type Logger } from '../../base/logger.js';
import type { Counter, Gauge, Histogram, Registry } from '../../exposition/registry.js';
import {
  nullAlertHistory,
  type AlertHistory,
  type DeliverySink,
  type Notification,
  type Notifier,
} from '../types.js';

/**
 * The persistent delivery queue between the dispatcher and the receivers' integrations.
 *
 * Durability: {@link DeliveryQueue.enqueue} appends the notification, with the integrations that owe
 * it, to a JSON-lines journal (`<dir>/queue.jsonl`) and fsyncs before it returns (synchronous I/O: the
 * {@link DeliverySink} contract has `enqueue` return only once the notification is durable). Each
 * integration's final outcome (delivered, or given up) is appended and fsynced as soon as it is known
 * (asynchronously; outcomes finishing together share one write and fsync), before that delivery task
 * ends, so a restart resumes exactly the owed deliveries. The one window
 * left is a crash between a receiver accepting a notification and the fsync of its outcome; then that
 * one notification is sent again after the restart (at-least-once, as Alertmanager).
 *
 * Delivery: every (notification, integration) pair retries with exponential backoff (base, max,
 * jitter) while the error is retryable (AppError `unavailable`, `timeout`, `io`) and the notification
 * is younger than `maxAgeMs`; then it is given up. At most `concurrency` sends run at once per
 * integration. Every attempt is recorded in the {@link AlertHistory} (`notified` / `notify_failed`
 * per alert, with receiver, integration, attempt and error) and counted in
 * `kanshi_notify_attempts_total{integration,result}` (result `success` or `failure`, integration the
 * kind: `webhook`, `email`, …) and timed in `kanshi_notify_latency_seconds{integration}`;
 * `kanshi_notify_queue_length` is the number of owed deliveries.
 *
 * Journal format: one JSON object per line, `{"op":"enqueue","n":<Notification>,"owed":[…]}` or
 * `{"op":"done","id":…,"integration":…,"outcome":"delivered"|"gave_up"}`. A torn last line (crash
 * mid-write) is cut off at open. The journal is rewritten with only the owed deliveries at open, and
 * truncated whenever nothing is owed any more.
 *
 * Concurrency: one process owns `dir`. Methods are called from the event loop; `close()` once.
 */

/** An integration the queue can deliver to, named within its receiver (`webhook[0]`, …). */
export interface QueueIntegration extends Notifier {
  readonly integration: string;
}

/** Options of {@link DeliveryQueue.open}. */
export interface DeliveryQueueOptions {
  /** The queue's directory; created when missing. */
  readonly dir: string;
  /**
   * The integrations of a receiver in the current configuration (consulted at every attempt, so a
   * reload takes effect); undefined for a receiver that no longer exists.
   */
  readonly integrations: (receiver: string) => readonly QueueIntegration[] | undefined;
  readonly clock?: Clock;
  readonly history?: AlertHistory;
  readonly registry?: Registry;
  readonly logger?: Logger;
  /** First retry delay in ms. Default 1 s. */
  readonly backoffBaseMs?: number;
  /** Longest retry delay in ms. Default 5 min. */
  readonly backoffMaxMs?: number;
  /** Relative jitter of each delay, 0..1. Default 0.2 (±20 %). */
  readonly backoffJitter?: number;
  /** Give a delivery up when the notification is older than this (ms since its createdAtMs). Default 24 h. */
  readonly maxAgeMs?: number;
  /** Deadline of one send in ms. Default 60 s. */
  readonly attemptTimeoutMs?: number;
  /** Sends at once per integration. Default 4. */
  readonly concurrency?: number;
  /** How long `close()` lets in-flight sends finish before aborting them (real ms). Default 10 s. */
  readonly closeTimeoutMs?: number;
  /** Rewrite the journal with only the owed deliveries once it passes this many bytes. Default 4 MiB. */
  readonly compactAfterBytes?: number;
  /** Uniform random in [0, 1) for jitter. Default Math.random. */
  readonly random?: () => number;
}

type JournalRecord =
  | { op: 'enqueue'; n: Notification; owed: string[] }
  | { op: 'done'; id: string; integration: string; outcome: 'delivered' | 'gave_up' };

interface Entry {
  readonly n: Notification;
  /** Size of its enqueue record in the journal, in bytes (set when it starts). */
  bytes?: number;
  /** Integrations that still owe this notification. */
  readonly owed: Set<string>;
}

const JOURNAL = 'queue.jsonl';
/** Journal bytes after which an empty queue truncates its journal. */
const TRUNCATE_AFTER_BYTES = 64 * 1024;
/** Journal bytes after which a non-empty queue rewrites it with only the owed deliveries. */
const COMPACT_AFTER_BYTES = 4 * 1024 * 1024;
/** How many completed notification ids are remembered to drop a repeated enqueue. */
const SEEN_IDS = 10_000;

/** Error codes after which a retry can help (see {@link Notifier}). */
const RETRYABLE = new Set(['unavailable', 'timeout', 'io']);

/** The delivery queue; see the file comment for its guarantees. */
export class DeliveryQueue implements DeliverySink {
  readonly #o: Required<Omit<DeliveryQueueOptions, 'registry'>>;
  #fd: number;
  readonly #entries = new Map<string, Entry>();
  readonly #seen = new Set<string>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #semaphores = new Map<string, Semaphore>();
  /** Aborts backoff sleeps and waits for a send slot (close). */
  readonly #stop = new AbortController();
  /** Aborts in-flight sends (close, after its grace). */
  readonly #abortSends = new AbortController();
  readonly #attempts: Counter | undefined;
  readonly #length: Gauge | undefined;
  readonly #latency: Histogram | undefined;
  #journalBytes = 0;
  /** Bytes of the enqueue records of owed notifications (what a compaction would keep, roughly). */
  #liveBytes = 0;
  /** Outcome records waiting for the next group commit, and who waits for them. */
  #commitBuffer: string[] = [];
  #commitWaiters: { resolve: () => void; reject: (e: Error) => void; onDurable: () => void }[] = [];
  #isCommitting = false;
  #isMaintenanceDue = false;
  /** Settles when the current group commit loop ends. */
  #commitIdle: Promise<void> = Promise.resolve();
  #owedCount = 0;
  #isClosed = false;
  /** Set once the journal is closed: its fd number may belong to another file by then. */
  #isFdClosed = false;

  private constructor(options: DeliveryQueueOptions, fd: number, journalBytes: number) {
    this.#o = {
      clock: systemClock,
      history: nullAlertHistory,
      logger: nullLogger,
      backoffBaseMs: 1000,
      backoffMaxMs: 300_000,
      backoffJitter: 0.2,
      maxAgeMs: 24 * 3600_000,
      attemptTimeoutMs: 60_000,
      concurrency: 4,
      closeTimeoutMs: 10_000,
      random: Math.random,
      compactAfterBytes: COMPACT_AFTER_BYTES,
      ...options,
    };
    this.#fd = fd;
    this.#journalBytes = journalBytes;
    // Every owed delivery listens on these two signals.
    setMaxListeners(0, this.#stop.signal, this.#abortSends.signal);
    this.#attempts = options.registry?.counter(
      'kanshi_notify_attempts_total',
      'Notification delivery attempts by integration kind and result (success, failure).',
    );
    this.#latency = options.registry?.histogram(
      'kanshi_notify_latency_seconds',
      'Duration of one send attempt by integration kind, successful or not.',
      [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    );
    this.#length = options.registry?.gauge(
      'kanshi_notify_queue_length',
      'Deliveries (notification × integration) not yet delivered nor given up.',
    );
  }

  /**
   * Opens (or creates) the queue in `options.dir`, reads back the owed deliveries, rewrites the journal
   * with only them, and starts delivering. Throws AppError 'io' when the directory cannot be used.
   */
  static open(options: DeliveryQueueOptions): DeliveryQueue {
    const logger = options.logger ?? nullLogger;
    const path = join(options.dir, JOURNAL);
    let pending: Entry[];
    let fd: number;
    let bytes: number;
    try {
      mkdirSync(options.dir, { recursive: true });
      pending = existsSync(path) ? readJournal(readFileSync(path, 'utf8'), logger) : [];
      bytes = writeSnapshot(options.dir, pending);
      fd = openSync(path, 'a');
    } catch (e) {
      throw new AppError('io', `open delivery queue ${options.dir}: ${errorMessage(e)}`, { cause: e });
    }
    const q = new DeliveryQueue(options, fd, bytes);
    for (const e of pending) q.#start(e);
    if (pending.length > 0)
      logger.info({ notifications: pending.length, deliveries: q.#owedCount }, 'delivery queue resumed');
    return q;
  }

  /**
   * Persists `notification` with every integration of its receiver that has something to send, then
   * schedules the deliveries. A notification id already queued or recently completed is ignored. A
   * receiver without integrations (or unknown) is recorded as `notify_failed` and not queued.
   * Throws AppError 'io' when the journal cannot be written (nothing is queued then), and 'canceled'
   * after close().
   */
  enqueue(notification: Notification): void {
    if (this.#isClosed)
      throw new AppError('canceled', `delivery queue closed: notification ${notification.id}`);
    if (this.#entries.has(notification.id) || this.#seen.has(notification.id)) return;
    const integrations = this.#o.integrations(notification.receiver);
    if (integrations === undefined) {
      this.#recordAll(notification, 'notify_failed', {
        receiver: notification.receiver,
        error: `unknown receiver ${notification.receiver}`,
      });
      return;
    }
    const owed = integrations
      .filter((i) => forIntegration(notification, i) !== undefined)
      .map((i) => i.integration);
    if (owed.length === 0) return;
    this.#append({ op: 'enqueue', n: notification, owed });
    this.#start({ n: notification, owed: new Set(owed) });
  }

  /** Deliveries not yet delivered nor given up. */
  get owedCount(): number {
    return this.#owedCount;
  }

  /**
   * Stops retrying, lets in-flight sends finish for up to `closeTimeoutMs` (then aborts them), records
   * their outcomes and closes the journal. Owed deliveries stay in the journal for the next open.
   */
  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#stop.abort(new AppError('canceled', 'delivery queue closing'));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#abortSends.abort(new AppError('canceled', 'delivery queue closed'));
        resolve();
      }, this.#o.closeTimeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.#tasks]), grace]);
    clearTimeout(timer);
    this.#abortSends.abort(new AppError('canceled', 'delivery queue closed'));
    // A notifier that ignores its signal is abandoned after one more grace period: its delivery
    // stays owed in the journal.
    const abandon = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#o.closeTimeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.#tasks]), abandon]);
    clearTimeout(timer);
    await this.#commitIdle;
    this.#isFdClosed = true;
    closeSync(this.#fd);
  }

  #start(e: Entry): void {
    this.#entries.set(e.n.id, e);
    e.bytes = Buffer.byteLength(JSON.stringify({ op: 'enqueue', n: e.n, owed: [...e.owed] }));
    this.#liveBytes += e.bytes;
    for (const integration of e.owed) {
      this.#setOwed(+1);
      const task: Promise<void> = this.#deliver(e, integration)
        .catch((err: unknown) => {
          this.#o.logger.error({ id: e.n.id, integration, err: errorMessage(err) }, 'delivery task failed');
        })
        .finally(() => this.#tasks.delete(task));
      this.#tasks.add(task);
    }
  }

  async #deliver(e: Entry, integration: string): Promise<void> {
    const { n } = e;
    const stop = this.#stop.signal;
    for (let attempt = 1; ; attempt++) {
      if (stop.aborted) return;
      const notifier = this.#o.integrations(n.receiver)?.find((i) => i.integration === integration);
      if (notifier === undefined) {
        await this.#finish(
          e,
          integration,
          'gave_up',
          attempt - 1,
          'integration no longer configured',
          undefined,
        );
        return;
      }
      const payload = forIntegration(n, notifier);
      if (payload === undefined) {
        // The integration's send_resolved changed by a reload: nothing left to send to it.
        await this.#finish(e, integration, 'delivered', attempt - 1, undefined, undefined);
        return;
      }
      const sem = this.#semaphore(`${n.receiver}\u0000${integration}`);
      try {
        await sem.acquire(stop);
      } catch {
        return; // closing
      }
      let error: unknown;
      try {
        const signal = AbortSignal.any([
          this.#abortSends.signal,
          AbortSignal.timeout(this.#o.attemptTimeoutMs),
        ]);
        const started = performance.now();
        try {
          await notifier.send(payload, signal);
        } finally {
          this.#latency?.observe((performance.now() - started) / 1000, { integration: notifier.kind });
        }
      } catch (err) {
        error = err ?? new Error('send rejected');
      } finally {
        sem.release();
      }
      if (error === undefined) {
        this.#attempts?.inc({ integration: notifier.kind, result: 'success' });
        await this.#finish(e, integration, 'delivered', attempt, undefined, payload);
        return;
      }
      if (this.#abortSends.signal.aborted) return; // aborted by close: stays owed, not an attempt
      this.#attempts?.inc({ integration: notifier.kind, result: 'failure' });
      const code = error instanceof AppError ? error.code : 'internal';
      const message = errorMessage(error);
      const age = this.#o.clock.now() - n.createdAtMs;
      const isFinal = !RETRYABLE.has(code) || age >= this.#o.maxAgeMs;
      if (isFinal) {
        await this.#finish(e, integration, 'gave_up', attempt, message, payload);
        return;
      }
      this.#recordAll(payload, 'notify_failed', {
        receiver: n.receiver,
        integration,
        attempt: String(attempt),
        error: message,
      });
      this.#o.logger.warn(
        { id: n.id, receiver: n.receiver, integration, attempt, err: message },
        'notify failed, will retry',
      );
      try {
        await this.#o.clock.sleep(this.#delay(attempt), stop);
      } catch {
        return; // closing
      }
    }
  }

  /** Backoff before retry number `attempt` (1-based): base·2^(attempt-1), capped, ± jitter. */
  #delay(attempt: number): number {
    const raw = Math.min(this.#o.backoffMaxMs, this.#o.backoffBaseMs * 2 ** Math.min(attempt - 1, 52));
    const j = this.#o.backoffJitter;
    return Math.max(0, Math.round(raw * (1 + j * (2 * this.#o.random() - 1))));
  }

  /**
   * Records the final outcome of one delivery durably (group commit: outcomes finishing together share
   * one write and fsync), then in history and memory. Resolves once it is on disk.
   */
  async #finish(
    e: Entry,
    integration: string,
    outcome: 'delivered' | 'gave_up',
    attempt: number,
    error: string | undefined,
    payload: Notification | undefined,
  ): Promise<void> {
    const { n } = e;
    // Memory follows the journal in the same synchronous step as the fsync's completion, so a
    // compaction never snapshots an outcome that is on disk as still owed.
    let isSettled = false;
    const settle = (): void => {
      if (isSettled) return;
      isSettled = true;
      this.#settle(e, integration);
    };
    try {
      await this.#commit({ op: 'done', id: n.id, integration, outcome }, settle);
    } catch (err) {
      // The outcome could not be made durable: a restart would retry this delivery once more.
      this.#o.logger.error(
        { id: n.id, integration, err: errorMessage(err) },
        'delivery queue journal write failed',
      );
    }
    settle();
    const detail: Record<string, string> = { receiver: n.receiver, integration, attempt: String(attempt) };
    if (outcome === 'delivered') {
      if (payload !== undefined) this.#recordAll(payload, 'notified', detail);
    } else {
      this.#recordAll(payload ?? n, 'notify_failed', {
        ...detail,
        error: error ?? 'gave up',
        gave_up: 'true',
      });
      this.#o.logger.error(
        { id: n.id, receiver: n.receiver, integration, attempt, err: error },
        'notify gave up',
      );
    }
    this.#maintain();
  }

  /** Forgets one finished delivery (and the notification once nothing is owed). */
  #settle(e: Entry, integration: string): void {
    e.owed.delete(integration);
    this.#setOwed(-1);
    if (e.owed.size > 0) return;
    this.#entries.delete(e.n.id);
    this.#liveBytes -= e.bytes ?? 0;
    this.#seen.add(e.n.id);
    if (this.#seen.size > SEEN_IDS) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
  }

  /**
   * Truncates the journal when nothing is owed, or compacts it once it is large and mostly records of
   * finished deliveries. Deferred while a group commit is writing (it would race the fd).
   */
  #maintain(): void {
    if (this.#isClosed || this.#isFdClosed) return;
    if (this.#isCommitting) {
      this.#isMaintenanceDue = true;
      return;
    }
    this.#isMaintenanceDue = false;
    if (this.#entries.size === 0) {
      if (this.#journalBytes > TRUNCATE_AFTER_BYTES) this.#truncate();
    } else if (this.#journalBytes > this.#o.compactAfterBytes && this.#journalBytes > 2 * this.#liveBytes) {
      this.#compact();
    }
  }

  /**
   * Appends `r` asynchronously with the records committed at the same time; resolves once fsynced.
   * `onDurable` runs synchronously right after the fsync, before anything else can run.
   */
  #commit(r: JournalRecord, onDurable: () => void): Promise<void> {
    if (this.#isFdClosed)
      return Promise.reject(new AppError('canceled', `delivery queue ${this.#o.dir} is closed`));
    return new Promise<void>((resolve, reject) => {
      this.#commitBuffer.push(`${JSON.stringify(r)}\n`);
      this.#commitWaiters.push({ resolve, reject, onDurable });
      if (!this.#isCommitting) {
        this.#isCommitting = true;
        this.#commitIdle = this.#commitLoop();
      }
    });
  }

  async #commitLoop(): Promise<void> {
    while (this.#commitBuffer.length > 0 && !this.#isFdClosed) {
      const text = this.#commitBuffer.join('');
      const waiters = this.#commitWaiters;
      this.#commitBuffer = [];
      this.#commitWaiters = [];
      const fd = this.#fd;
      try {
        const data = Buffer.from(text);
        await new Promise<void>((res, rej) =>
          write(fd, data, 0, data.length, null, (err) => (err ? rej(err) : res())),
        );
        await new Promise<void>((res, rej) => fsync(fd, (err) => (err ? rej(err) : res())));
        this.#journalBytes += data.length;
        for (const w of waiters) w.onDurable();
        for (const w of waiters) w.resolve();
      } catch (e) {
        const err = new AppError('io', `write delivery queue ${this.#o.dir}: ${errorMessage(e)}`, {
          cause: e,
        });
        for (const w of waiters) w.reject(err);
      }
    }
    for (const w of this.#commitWaiters.splice(0))
      w.reject(new AppError('canceled', 'delivery queue closed'));
    this.#commitBuffer = [];
    this.#isCommitting = false;
    if (this.#isMaintenanceDue) this.#maintain();
  }

  #recordAll(n: Notification, kind: 'notified' | 'notify_failed', detail: Record<string, string>): void {
    const atMs = this.#o.clock.now();
    for (const a of n.alerts) {
      this.#o.history.record({ atMs, fingerprint: a.fingerprint, labels: a.labels, kind, detail });
    }
  }

  #append(r: JournalRecord): void {
    const line = `${JSON.stringify(r)}\n`;
    if (this.#isFdClosed) throw new AppError('canceled', `delivery queue ${this.#o.dir} is closed`);
    try {
      writeSync(this.#fd, line);
      fsyncSync(this.#fd);
    } catch (e) {
      throw new AppError('io', `write delivery queue ${this.#o.dir}: ${errorMessage(e)}`, { cause: e });
    }
    this.#journalBytes += Buffer.byteLength(line);
  }

  /** Rewrites the journal with only the owed deliveries (atomically, by rename) and appends to it. */
  #compact(): void {
    if (this.#isFdClosed) return;
    try {
      const bytes = writeSnapshot(this.#o.dir, [...this.#entries.values()]);
      const fd = openSync(join(this.#o.dir, JOURNAL), 'a');
      closeSync(this.#fd);
      this.#fd = fd;
      this.#journalBytes = bytes;
    } catch (e) {
      // The old journal is still complete (the rename is atomic); the next finished delivery retries.
      this.#o.logger.warn({ err: errorMessage(e) }, 'delivery queue journal compaction failed');
    }
  }

  #truncate(): void {
    if (this.#isFdClosed) return;
    try {
      ftruncateSync(this.#fd, 0);
      fsyncSync(this.#fd);
      this.#journalBytes = 0;
    } catch (e) {
      this.#o.logger.warn({ err: errorMessage(e) }, 'delivery queue journal truncate failed');
    }
  }

  #setOwed(delta: number): void {
    this.#owedCount += delta;
    this.#length?.set(this.#owedCount);
  }

  #semaphore(key: string): Semaphore {
    let s = this.#semaphores.get(key);
    if (!s) {
      s = new Semaphore(this.#o.concurrency);
      this.#semaphores.set(key, s);
    }
    return s;
  }
}

/**
 * What `notifier` gets of `n`: everything when it sends resolved notifications; otherwise only the
 * firing alerts, and nothing (undefined) when none fire (Alertmanager's `send_resolved: false`).
 */
export function forIntegration(n: Notification, notifier: Notifier): Notification | undefined {
  if (notifier.sendResolved) return n;
  const firing = n.alerts.filter((a) => a.status === 'firing');
  if (firing.length === 0) return undefined;
  return firing.length === n.alerts.length ? n : { ...n, status: 'firing', alerts: firing };
}

/** Replays a journal into the owed entries, in enqueue order. A torn or corrupt line is skipped. */
function readJournal(text: string, logger: Logger): Entry[] {
  const entries = new Map<string, Entry>();
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line === '') return;
    let r: JournalRecord;
    try {
      r = JSON.parse(line) as JournalRecord;
    } catch {
      // Only the last line can be torn by a crash; anything else is damage worth a warning.
      if (i !== lines.length - 1)
        logger.warn({ line: i + 1 }, 'delivery queue journal: corrupt line skipped');
      return;
    }
    if (r.op === 'enqueue') {
      if (!entries.has(r.n.id)) entries.set(r.n.id, { n: r.n, owed: new Set(r.owed) });
    } else if (r.op === 'done') {
      entries.get(r.id)?.owed.delete(r.integration);
    }
  });
  return [...entries.values()].filter((e) => e.owed.size > 0);
}

/**
 * Writes `entries` (with what they still owe) as a new journal: a temporary file, fsync, rename over
 * the journal, fsync of the directory. Returns its size in bytes.
 */
function writeSnapshot(dir: string, entries: readonly Entry[]): number {
  const text = entries
    .map((e) => `${JSON.stringify({ op: 'enqueue', n: e.n, owed: [...e.owed] } satisfies JournalRecord)}\n`)
    .join('');
  const path = join(dir, JOURNAL);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDirSync(dir);
  return Buffer.byteLength(text);
}

function syncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A counting semaphore whose waiters are served in order. */
class Semaphore {
  #free: number;
  readonly #waiters: (() => void)[] = [];

  constructor(n: number) {
    this.#free = Math.max(1, n);
  }

  acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(grant);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(signal.reason as Error);
      };
      this.#waiters.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#free++;
  }
}
