import type { FastifyInstance } from 'fastify';
import { AppError } from '../../base/errors.js';
import { systemClock, type Clock } from '../../base/clock.js';
import {
  checkRunKey,
  parseCheckReport,
  type CheckReportResponse,
  type CheckReportResult,
} from '../../model/check-report.js';

/**
 * The check-results agent API (docs/agent-api.md): `POST /api/agent/v1/check-results` with a
 * {@link CheckReport} JSON body. Idempotent on (host, check, started_at): an agent replaying its
 * queue after an outage gets `duplicates` counted, not double results.
 */

/** A stored result: what the agent sent plus the host and when the server received it. */
export interface StoredCheckResult extends CheckReportResult {
  readonly host: string;
  /** When the server stored it, ms since the epoch. */
  readonly received_at: number;
}

/**
 * Where check results live. Implementations keep the latest result per (host, check) and
 * recognize a replayed run (same host, check and started_at) as a duplicate. Methods may be
 * called concurrently; `put` applies a batch in order.
 */
export interface CheckResultStore {
  /** Stores `results` of `host`, classifying each as accepted, duplicate or stale. */
  put(host: string, results: readonly CheckReportResult[]): Promise<CheckReportResponse>;
  /** The latest result of one check, or undefined. */
  latest(host: string, check: string): Promise<StoredCheckResult | undefined>;
  /** The latest result of every check (of `host` when given), sorted by host then check. */
  list(host?: string): Promise<StoredCheckResult[]>;
}

/** Options of {@link MemoryCheckResultStore}. */
export interface MemoryCheckResultStoreOptions {
  readonly clock?: Clock;
  /** How many recent started_at values per check are remembered for deduplication. Default 1024. */
  readonly dedupeWindow?: number;
}

/**
 * An in-memory {@link CheckResultStore}: the latest result per (host, check), plus a bounded
 * window of recent run identities per check for deduplication. A result older than the latest of
 * its check and not in the window is `stale`. Lost on restart.
 */
export class MemoryCheckResultStore implements CheckResultStore {
  readonly #clock: Clock;
  readonly #window: number;
  readonly #latest = new Map<string, StoredCheckResult>();
  /** Recent run keys per (host, check), oldest first. */
  readonly #recent = new Map<string, Set<string>>();

  constructor(options: MemoryCheckResultStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#window = options.dedupeWindow ?? 1024;
  }

  put(host: string, results: readonly CheckReportResult[]): Promise<CheckReportResponse> {
    let accepted = 0;
    let duplicates = 0;
    let stale = 0;
    const now = this.#clock.now();
    for (const r of results) {
      const checkKey = `${host}\u0000${r.check}`;
      const runKey = checkRunKey(host, r.check, r.started_at);
      let recent = this.#recent.get(checkKey);
      if (!recent) {
        recent = new Set();
        this.#recent.set(checkKey, recent);
      }
      if (recent.has(runKey)) {
        duplicates++;
        continue;
      }
      recent.add(runKey);
      if (recent.size > this.#window) recent.delete(recent.values().next().value!);
      const current = this.#latest.get(checkKey);
      if (current && current.started_at > r.started_at) {
        stale++;
        continue;
      }
      this.#latest.set(checkKey, { ...r, host, received_at: now });
      accepted++;
    }
    return Promise.resolve({ accepted, duplicates, stale });
  }

  latest(host: string, check: string): Promise<StoredCheckResult | undefined> {
    return Promise.resolve(this.#latest.get(`${host}\u0000${check}`));
  }

  list(host?: string): Promise<StoredCheckResult[]> {
    const out = [...this.#latest.values()].filter((r) => host === undefined || r.host === host);
    out.sort((a, b) =>
      a.host !== b.host ? (a.host < b.host ? -1 : 1) : a.check < b.check ? -1 : a.check > b.check ? 1 : 0,
    );
    return Promise.resolve(out);
  }
}

/** Options of {@link registerCheckResults}. */
export interface CheckResultsOptions {
  readonly store: CheckResultStore;
  /** Largest JSON body accepted (bytes). Default 4 MiB. */
  readonly maxBodyBytes?: number;
}

/**
 * Mounts `POST /api/agent/v1/check-results` on `app`: 200 with {@link CheckReportResponse} once
 * stored; 400 `{ error: "bad_input", message }` listing every problem of an invalid body.
 */
export function registerCheckResults(app: FastifyInstance, opts: CheckResultsOptions): void {
  const bodyLimit = opts.maxBodyBytes ?? 4 * 1024 * 1024;
  void app.register((scope, _pluginOpts, done) => {
    scope.setErrorHandler((err: { code?: string; statusCode?: number; message: string }, _req, reply) => {
      const status = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500;
      const error = status === 413 ? 'limit' : status < 500 ? 'bad_input' : 'internal';
      const message = status === 413 ? `request body is over the limit of ${bodyLimit} bytes` : err.message;
      return reply.code(status).send({ error, message });
    });
    scope.post('/api/agent/v1/check-results', { bodyLimit }, async (req, reply) => {
      let report;
      try {
        report = parseCheckReport(req.body);
      } catch (err) {
        if (err instanceof AppError) return reply.code(400).send({ error: err.code, message: err.message });
        throw err;
      }
      const response = await opts.store.put(report.host, report.results);
      return reply.code(200).send(response);
    });
    done();
  });
}
