import { systemClock, type Clock } from '../../base/clock.js';
import { errorMessage } from '../../base/errors.js';
import { nullLogger, type Logger } from '../../base/logger.js';
import { Registry, type Counter } from '../../exposition/registry.js';
import type { CheckReport } from '../../model/check-report.js';
import { encodeWriteRequest, type WriteRequest } from '../../remotewrite/write-request.js';
import type { DiskQueue, QueueBatch, QueuedBatch } from './disk-queue.js';
import type { PostFn, PostResponse } from './http-post.js';

/**
 * The agent's sender: takes batches from a {@link DiskQueue} in order and delivers them —
 * metrics with Prometheus remote_write 1.0, check results with the agent API
 * (docs/agent-api.md). One batch is in flight at a time, so the server sees batches in queue
 * order.
 *
 * Outcomes per attempt, as Prometheus's remote-write client treats them:
 * - 2xx: delivered; the queue's cursor moves past the batch (fsynced) before the next is sent.
 * - 5xx, 429, network error, timeout: retried with exponential backoff and full jitter between
 *   `minBackoffMs` and `maxBackoffMs` (a 429's Retry-After is honoured up to the cap), for as long
 *   as the batch stays in the queue (the queue's max_age / max_bytes bound that).
 * - other 4xx: the server will never take it; dropped with a logged reason and counted as
 *   `kanshi_agent_queue_dropped_total{reason="rejected"}`.
 */

/** Credentials added to every request. Never logged. */
export type ShipperAuth =
  | { readonly type: 'basic'; readonly username: string; readonly password: string }
  | { readonly type: 'bearer'; readonly token: string };

/** Options of {@link Shipper}. */
export interface ShipperOptions {
  readonly queue: DiskQueue;
  /** The remote_write endpoint, e.g. `http://kanshi:9800/api/v1/write`. */
  readonly remoteWriteUrl: string;
  /** The check-results endpoint, e.g. `http://kanshi:9800/api/agent/v1/check-results`. */
  readonly checkResultsUrl: string;
  readonly auth?: ShipperAuth;
  /** Extra headers on every request (e.g. `X-Scope-OrgID` for Mimir). */
  readonly headers?: Readonly<Record<string, string>>;
  /** First retry delay (ms); default 100. */
  readonly minBackoffMs?: number;
  /** Cap of the retry delay (ms); default 30 000. */
  readonly maxBackoffMs?: number;
  /** Deadline of one request (ms); default 30 000. */
  readonly timeoutMs?: number;
  /**
   * How long a request in flight may still finish after `run`'s signal aborted (ms); default
   * 5 000. Letting it finish avoids sending a batch twice when the server took it but the reply
   * was cut off by shutdown.
   */
  readonly shutdownGraceMs?: number;
  /** How requests are sent; default the global fetch (the agent passes httpPost). */
  readonly fetch?: PostFn;
  readonly clock?: Clock;
  /** Uniform random numbers in [0, 1) for jitter; default Math.random. */
  readonly random?: () => number;
  readonly logger?: Logger;
  readonly registry?: Registry;
}

/** What one delivery attempt came to. */
type Outcome =
  | { kind: 'ok' }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'drop'; reason: string };

/** A queue batch holding a remote_write request. */
export function metricsBatch(req: WriteRequest): QueueBatch {
  let count = 0;
  for (const ts of req.timeseries) count += ts.samples.length;
  return { kind: 'metrics', body: encodeWriteRequest(req), count };
}

/** A queue batch holding a check report. */
export function checksBatch(report: CheckReport): QueueBatch {
  return {
    kind: 'checks',
    body: new TextEncoder().encode(JSON.stringify(report)),
    count: report.results.length,
  };
}

/** Delivers queued batches; see the module comment. */
export class Shipper {
  readonly #o: ShipperOptions;
  readonly #fetch: PostFn;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #logger: Logger;
  readonly #minBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #timeoutMs: number;
  readonly #shutdownGraceMs: number;
  readonly #headers: Record<string, string>;
  readonly #m: { samplesSent: Counter; resultsSent: Counter; failures: Counter; retries: Counter };

  constructor(options: ShipperOptions) {
    this.#o = options;
    this.#fetch = options.fetch ?? fetch;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#logger = options.logger ?? nullLogger;
    this.#minBackoffMs = options.minBackoffMs ?? 100;
    this.#maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#shutdownGraceMs = options.shutdownGraceMs ?? 5_000;
    this.#headers = { ...options.headers };
    const auth = options.auth;
    if (auth?.type === 'basic') {
      this.#headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    } else if (auth?.type === 'bearer') {
      this.#headers.authorization = `Bearer ${auth.token}`;
    }
    const registry = options.registry ?? new Registry();
    this.#m = {
      samplesSent: registry.counter(
        'kanshi_agent_samples_sent_total',
        'Samples delivered with remote write.',
      ),
      resultsSent: registry.counter('kanshi_agent_check_results_sent_total', 'Check results delivered.'),
      failures: registry.counter(
        'kanshi_agent_send_failures_total',
        'Delivery attempts that failed, by batch kind and reason (network, http_5xx, http_429, http_4xx).',
      ),
      retries: registry.counter(
        'kanshi_agent_send_retries_total',
        'Delivery attempts retried after a failure.',
      ),
    };
  }

  /**
   * Sends until `signal` aborts; resolves then (a batch in flight stays in the queue and is sent
   * again by the next run). Never rejects for a delivery failure.
   */
  async run(signal: AbortSignal): Promise<void> {
    const queue = this.#o.queue;
    // Requests in flight are aborted only a grace period after shutdown began.
    const inFlight = new AbortController();
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = (): void => {
      graceTimer = setTimeout(() => inFlight.abort(signal.reason), this.#shutdownGraceMs);
    };
    if (signal.aborted) return;
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        const batch = await queue.peek();
        if (!batch) {
          try {
            await queue.wait(signal);
          } catch {
            return;
          }
          continue;
        }
        await this.#deliver(batch, signal, inFlight.signal);
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(graceTimer);
    }
  }

  async #deliver(batch: QueuedBatch, signal: AbortSignal, requestSignal: AbortSignal): Promise<void> {
    const queue = this.#o.queue;
    for (let attempt = 0; ; attempt++) {
      // A reply that arrived is acted on even when shutdown began meanwhile: a delivered batch
      // must be acknowledged, or the next run sends it twice.
      const outcome = await this.#attempt(batch, requestSignal);
      switch (outcome.kind) {
        case 'ok':
          await queue.ack(batch);
          if (batch.kind === 'metrics') this.#m.samplesSent.inc({}, batch.count);
          else this.#m.resultsSent.inc({}, batch.count);
          return;
        case 'drop':
          this.#m.failures.inc({ kind: batch.kind, reason: 'http_4xx' });
          this.#logger.error(
            { kind: batch.kind, count: batch.count, reason: outcome.reason },
            'shipper: server refused a batch; dropping it',
          );
          await queue.drop(batch, 'rejected');
          return;
        case 'retry': {
          if (signal.aborted) return;
          this.#m.failures.inc({ kind: batch.kind, reason: failureReason(outcome.reason) });
          const delay = this.#backoff(attempt, outcome.retryAfterMs);
          this.#logger.warn(
            { kind: batch.kind, attempt: attempt + 1, delayMs: delay, reason: outcome.reason },
            'shipper: delivery failed; retrying',
          );
          try {
            await this.#clock.sleep(delay, signal);
          } catch {
            return;
          }
          // The queue may have dropped it meanwhile (max_age / max_bytes).
          if (!queue.isPending(batch)) return;
          this.#m.retries.inc();
          break;
        }
      }
    }
  }

  /** Full jitter over an exponentially growing ceiling, at least a 429's Retry-After (capped). */
  #backoff(attempt: number, retryAfterMs?: number): number {
    const ceiling = Math.min(this.#maxBackoffMs, this.#minBackoffMs * 2 ** Math.min(attempt, 30));
    const jittered = ceiling / 2 + (this.#random() * ceiling) / 2;
    return Math.min(this.#maxBackoffMs, Math.max(jittered, retryAfterMs ?? 0));
  }

  async #attempt(batch: QueuedBatch, signal: AbortSignal): Promise<Outcome> {
    const isMetrics = batch.kind === 'metrics';
    const headers: Record<string, string> = isMetrics
      ? {
          'content-type': 'application/x-protobuf',
          'content-encoding': 'snappy',
          'x-prometheus-remote-write-version': '0.1.0',
          'user-agent': 'kanshi-agent',
          ...this.#headers,
        }
      : { 'content-type': 'application/json', 'user-agent': 'kanshi-agent', ...this.#headers };
    const url = isMetrics ? this.#o.remoteWriteUrl : this.#o.checkResultsUrl;
    let res: PostResponse;
    try {
      res = await this.#fetch(url, {
        method: 'POST',
        headers,
        body: batch.body,
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.#timeoutMs)]),
      });
    } catch (err) {
      return { kind: 'retry', reason: `network: ${errorMessage(err)}` };
    }
    // Read the body so the connection is released; keep a little of it for the log.
    let text = '';
    try {
      text = (await res.text()).slice(0, 256);
    } catch {
      // The status is what counts.
    }
    if (res.status >= 200 && res.status < 300) return { kind: 'ok' };
    const reason = `http ${res.status}${text ? `: ${text.trim()}` : ''}`;
    if (res.status === 429) {
      const after = Number(res.headers.get('retry-after'));
      return Number.isFinite(after) && after > 0
        ? { kind: 'retry', reason, retryAfterMs: after * 1000 }
        : { kind: 'retry', reason };
    }
    if (res.status >= 500) return { kind: 'retry', reason };
    return { kind: 'drop', reason };
  }
}

function failureReason(reason: string): string {
  if (reason.startsWith('network')) return 'network';
  if (reason.startsWith('http 429')) return 'http_429';
  return 'http_5xx';
}
