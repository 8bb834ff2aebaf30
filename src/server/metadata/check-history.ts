import { systemClock, type Clock } from '../../base/clock.js';
import type {
  CheckReportPerfDatum,
  CheckReportResponse,
  CheckReportResult,
} from '../../model/check-report.js';
import type { CheckStatus } from '../../model/check.js';
import type { CheckResultStore, StoredCheckResult } from '../ingest/check-results.js';
import type { MetadataDb } from './db.js';

/**
 * Check-result history in the metadata store (docs/metadata.md): every run of every check, the
 * latest per check for the status board, and availability over time windows for the UI and the
 * monthly report.
 */

/** Time a check spent in each state within a window, and the share of it that was OK. */
export interface Availability {
  /** The window actually measured: the query's, started no earlier than the check's first result and ended no later than now. */
  readonly fromMs: number;
  readonly toMs: number;
  readonly okMs: number;
  readonly warningMs: number;
  readonly criticalMs: number;
  readonly unknownMs: number;
  /** Time no result covered (the agent or check was silent for more than `maxGapIntervals` intervals). */
  readonly noDataMs: number;
  /** okMs / (toMs - fromMs); null when the window is empty (the check had no result before `toMs`). */
  readonly ratio: number | null;
  /** The check's interval as estimated from its last 101 results before the window's end (median spacing), ms. */
  readonly intervalMs: number;
  /** Results that started inside the window. */
  readonly results: number;
}

/** A window for {@link SqliteCheckResultStore.availability}: inclusive start, exclusive end, ms. */
export interface Window {
  readonly fromMs: number;
  readonly toMs: number;
}

/** The read side of check history (what the API and the reports use), besides {@link CheckResultStore}. */
export interface CheckHistoryReader {
  /** The latest result of every check (of `host` when given), sorted by host then check. */
  list(host?: string): Promise<StoredCheckResult[]>;
  /** Results of one check that started in [fromMs, toMs], oldest first, at most `limit`. */
  history(host: string, check: string, window: Window & { readonly limit?: number }): StoredCheckResult[];
  /** Availability of one check in each window, computed in one pass (docs/metadata.md). */
  availability(host: string, check: string, windows: readonly Window[]): Availability[];
}

/** Options of {@link SqliteCheckResultStore}. */
export interface SqliteCheckResultStoreOptions {
  readonly clock?: Clock;
  /** Results older than this are deleted by {@link SqliteCheckResultStore.prune} (the latest of each check is kept). Default 90 days. */
  readonly retentionMs?: number;
  /** A result covers at most this many estimated intervals after it starts; beyond, time is "no data". Default 3. */
  readonly maxGapIntervals?: number;
  /** The interval assumed for a check with a single result, ms. Default 60 000 (the agent's default). */
  readonly defaultIntervalMs?: number;
}

/** Default retention of check results: three months, enough for the last monthly report and 30-day availability. */
export const DEFAULT_CHECK_HISTORY_RETENTION_MS = 90 * 86_400_000;

/** How many results a history query returns when it sets no limit. */
export const DEFAULT_HISTORY_LIMIT = 10_000;

interface ResultRow {
  host: string;
  check_name: string;
  started_at: number;
  status: string;
  hard_status: string | null;
  message: string;
  long_output: string;
  duration_ms: number;
  attempt: number;
  memo: string;
  prevent_alert_auto_close: number;
  notification_interval_ms: number | null;
  perfdata: string;
  labels: string;
  received_at: number;
}

const COLUMNS = `host, check_name, started_at, status, hard_status, message, long_output, duration_ms, attempt,
  memo, prevent_alert_auto_close, notification_interval_ms, perfdata, labels, received_at`;

/**
 * A {@link CheckResultStore} over a {@link MetadataDb} it does not own, keeping every result.
 *
 * Classification is the memory store's: a run already stored (same host, check, started_at) is a
 * duplicate; a run older than the latest of its check is stale — kept in the history (it did run,
 * and a replay of it is then a duplicate) but not made the latest; anything else is accepted and
 * becomes the latest. One `put` is one transaction: when its promise resolves, the batch is on
 * disk (synchronous = FULL) and survives `kill -9` and power loss.
 */
export class SqliteCheckResultStore implements CheckResultStore, CheckHistoryReader {
  readonly #db: MetadataDb;
  readonly #clock: Clock;
  readonly #retentionMs: number;
  readonly #maxGapIntervals: number;
  readonly #defaultIntervalMs: number;
  /** Coverage of whole past UTC days per check, keyed by {@link dayKey}. */
  readonly #days = new Map<string, { intervalMs: number; coverage: Coverage }>();

  constructor(db: MetadataDb, options: SqliteCheckResultStoreOptions = {}) {
    this.#db = db;
    this.#clock = options.clock ?? systemClock;
    this.#retentionMs = options.retentionMs ?? DEFAULT_CHECK_HISTORY_RETENTION_MS;
    this.#maxGapIntervals = options.maxGapIntervals ?? 3;
    this.#defaultIntervalMs = options.defaultIntervalMs ?? 60_000;
  }

  put(host: string, results: readonly CheckReportResult[]): Promise<CheckReportResponse> {
    try {
      return Promise.resolve(this.#put(host, results));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  #put(host: string, results: readonly CheckReportResult[]): CheckReportResponse {
    const now = this.#clock.now();
    const insert = this.#db.statement(
      `INSERT OR IGNORE INTO check_results (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const latest = this.#db.statement(
      'SELECT started_at FROM check_latest WHERE host = ? AND check_name = ?',
    );
    const setLatest = this.#db.statement(
      `INSERT INTO check_latest (host, check_name, started_at) VALUES (?, ?, ?)
       ON CONFLICT (host, check_name) DO UPDATE SET started_at = excluded.started_at`,
    );
    return this.#db.transaction(() => {
      let accepted = 0;
      let duplicates = 0;
      let stale = 0;
      for (const r of results) {
        const changes = insert.run(
          host,
          r.check,
          r.started_at,
          r.status,
          r.hard_status,
          r.message,
          r.long_output,
          r.duration_ms,
          r.attempt,
          r.memo,
          r.prevent_alert_auto_close ? 1 : 0,
          r.notification_interval_ms,
          JSON.stringify(r.perfdata),
          JSON.stringify(r.labels),
          now,
        ).changes;
        if (changes === 0) {
          duplicates++;
          continue;
        }
        this.#days.delete(dayKey(host, r.check, Math.floor(r.started_at / DAY_MS) * DAY_MS));
        const current = latest.get(host, r.check) as { started_at: number } | undefined;
        if (current !== undefined && current.started_at > r.started_at) {
          stale++;
          continue;
        }
        setLatest.run(host, r.check, r.started_at);
        accepted++;
      }
      return { accepted, duplicates, stale };
    });
  }

  latest(host: string, check: string): Promise<StoredCheckResult | undefined> {
    const row = this.#db
      .statement(
        `SELECT r.* FROM check_latest l JOIN check_results r
         ON r.host = l.host AND r.check_name = l.check_name AND r.started_at = l.started_at
         WHERE l.host = ? AND l.check_name = ?`,
      )
      .get(host, check) as ResultRow | undefined;
    return Promise.resolve(row === undefined ? undefined : toResult(row));
  }

  list(host?: string): Promise<StoredCheckResult[]> {
    const sql = `SELECT r.* FROM check_latest l JOIN check_results r
      ON r.host = l.host AND r.check_name = l.check_name AND r.started_at = l.started_at`;
    const rows = (
      host === undefined
        ? this.#db.statement(`${sql} ORDER BY l.host, l.check_name`).all()
        : this.#db.statement(`${sql} WHERE l.host = ? ORDER BY l.host, l.check_name`).all(host)
    ) as ResultRow[];
    return Promise.resolve(rows.map(toResult));
  }

  history(host: string, check: string, window: Window & { readonly limit?: number }): StoredCheckResult[] {
    const rows = this.#db
      .statement(
        `SELECT * FROM check_results WHERE host = ? AND check_name = ? AND started_at >= ? AND started_at <= ?
         ORDER BY started_at LIMIT ?`,
      )
      .all(host, check, window.fromMs, window.toMs, window.limit ?? DEFAULT_HISTORY_LIMIT) as ResultRow[];
    return rows.map(toResult);
  }

  /**
   * Availability of one check in each of `windows` (docs/metadata.md). A result's status holds
   * from its start until the next result starts, but for at most `maxGapIntervals` × the check's
   * interval (the median spacing of its last 101 results); time no result covers is no data. A
   * window is cut to start at the check's first result (it did not exist before) and to end now.
   * ratio = OK time / window length, so no data counts against availability like UNKNOWN.
   *
   * Whole UTC days before now are summed once and kept in memory (until a result lands in that
   * day, the estimated interval changes, or retention runs), so a status board asking for 30 days
   * every few seconds reads only today's results.
   */
  availability(host: string, check: string, windows: readonly Window[]): Availability[] {
    if (windows.length === 0) return [];
    const now = this.#clock.now();
    const recent = this.#db
      .statement(
        `SELECT started_at FROM check_results WHERE host = ? AND check_name = ? AND started_at < ?
         ORDER BY started_at DESC LIMIT 101`,
      )
      .pluck()
      .all(host, check, now) as number[];
    const intervalMs = medianSpacing(recent, this.#defaultIntervalMs);
    const maxCoverMs = this.#maxGapIntervals * intervalMs;
    const first =
      (this.#db
        .statement(
          'SELECT started_at FROM check_results WHERE host = ? AND check_name = ? ORDER BY started_at LIMIT 1',
        )
        .pluck()
        .get(host, check) as number | undefined) ?? Infinity;
    // Windows ending at the same time share their last, partial day: compute each piece once.
    const pieces = new Map<string, Coverage>();
    const piece = (t: number, end: number): Coverage => {
      const key = `${t}:${end}`;
      let c = pieces.get(key);
      if (c === undefined) {
        c = this.#coverage(host, check, t, end, maxCoverMs, now);
        pieces.set(key, c);
      }
      return c;
    };
    return windows.map((w) => {
      const to = Math.max(Math.min(w.toMs, now), w.fromMs);
      const from = Math.min(Math.max(w.fromMs, first), to);
      const sum = emptyCoverage();
      for (let t = from; t < to;) {
        const dayStart = Math.floor(t / DAY_MS) * DAY_MS;
        const end = Math.min(dayStart + DAY_MS, to);
        const isWholeDay = t === dayStart && end === dayStart + DAY_MS && end <= now;
        addCoverage(
          sum,
          isWholeDay ? this.#dayCoverage(host, check, dayStart, intervalMs, maxCoverMs, now) : piece(t, end),
        );
        t = end;
      }
      const total = to - from;
      const covered = sum.OK + sum.WARNING + sum.CRITICAL + sum.UNKNOWN;
      return {
        fromMs: from,
        toMs: to,
        okMs: sum.OK,
        warningMs: sum.WARNING,
        criticalMs: sum.CRITICAL,
        unknownMs: sum.UNKNOWN,
        noDataMs: total - covered,
        ratio: total > 0 ? sum.OK / total : null,
        intervalMs,
        results: sum.results,
      };
    });
  }

  /** {@link #coverage} of one whole UTC day, from the cache when computed with the same interval. */
  #dayCoverage(
    host: string,
    check: string,
    dayStart: number,
    intervalMs: number,
    maxCoverMs: number,
    now: number,
  ): Coverage {
    const key = dayKey(host, check, dayStart);
    const cached = this.#days.get(key);
    if (cached !== undefined && cached.intervalMs === intervalMs) return cached.coverage;
    const coverage = this.#coverage(host, check, dayStart, dayStart + DAY_MS, maxCoverMs, now);
    if (this.#days.size >= MAX_CACHED_DAYS) this.#days.clear();
    this.#days.set(key, { intervalMs, coverage });
    return coverage;
  }

  /** Time in each status within [fromMs, toMs), and the results that started in it. */
  #coverage(
    host: string,
    check: string,
    fromMs: number,
    toMs: number,
    maxCoverMs: number,
    now: number,
  ): Coverage {
    // The last result before the range carries its status into it.
    const before = this.#db
      .statement(
        `SELECT started_at, status FROM check_results WHERE host = ? AND check_name = ? AND started_at < ?
         ORDER BY started_at DESC LIMIT 1`,
      )
      .raw()
      .get(host, check, fromMs) as [number, string] | undefined;
    const inside = this.#db
      .statement(
        `SELECT started_at, status FROM check_results WHERE host = ? AND check_name = ? AND started_at >= ? AND started_at < ?
         ORDER BY started_at`,
      )
      .raw()
      .all(host, check, fromMs, toMs) as [number, string][];
    const out = emptyCoverage();
    out.results = inside.length;
    const rows = before ? [before, ...inside] : inside;
    for (let i = 0; i < rows.length; i++) {
      const [start, status] = rows[i]!;
      const next = rows[i + 1]?.[0] ?? Infinity;
      const d = Math.min(next, start + maxCoverMs, now, toMs) - Math.max(start, fromMs);
      if (d > 0 && isStatus(status)) out[status] += d;
    }
    return out;
  }

  /**
   * Deletes results that started more than the retention before `nowMs`, keeping the latest of
   * every check (so the status board never loses a check that went quiet). Returns how many.
   */
  prune(nowMs: number): number {
    const cutoff = nowMs - this.#retentionMs;
    this.#days.clear();
    const del = this.#db.statement(
      'DELETE FROM check_results WHERE host = ? AND check_name = ? AND started_at < ?',
    );
    return this.#db.transaction(() => {
      let deleted = 0;
      const checks = this.#db.statement('SELECT host, check_name, started_at FROM check_latest').all() as {
        host: string;
        check_name: string;
        started_at: number;
      }[];
      for (const c of checks)
        deleted += del.run(c.host, c.check_name, Math.min(cutoff, c.started_at)).changes;
      return deleted;
    });
  }
}

const DAY_MS = 86_400_000;
/** Bound of the day cache (about 1 000 checks × 90 days); past it the cache starts over. */
const MAX_CACHED_DAYS = 100_000;

/** Milliseconds per status within a range, and how many results started in it. */
type Coverage = Record<CheckStatus, number> & { results: number };

function emptyCoverage(): Coverage {
  return { OK: 0, WARNING: 0, CRITICAL: 0, UNKNOWN: 0, results: 0 };
}

function addCoverage(sum: Coverage, c: Coverage): void {
  sum.OK += c.OK;
  sum.WARNING += c.WARNING;
  sum.CRITICAL += c.CRITICAL;
  sum.UNKNOWN += c.UNKNOWN;
  sum.results += c.results;
}

function isStatus(s: string): s is CheckStatus {
  return s === 'OK' || s === 'WARNING' || s === 'CRITICAL' || s === 'UNKNOWN';
}

function dayKey(host: string, check: string, dayStart: number): string {
  return `${host}\u0000${check}\u0000${dayStart}`;
}

/**
 * The lower median of the spacings between consecutive start times (given newest first), or
 * `fallback` with fewer than two. The median ignores outages and the odd late run.
 */
function medianSpacing(startsNewestFirst: readonly number[], fallback: number): number {
  const gaps: number[] = [];
  for (let i = 1; i < startsNewestFirst.length; i++)
    gaps.push(startsNewestFirst[i - 1]! - startsNewestFirst[i]!);
  if (gaps.length === 0) return fallback;
  gaps.sort((a, b) => a - b);
  return gaps[(gaps.length - 1) >> 1]!;
}

function toResult(row: ResultRow): StoredCheckResult {
  return {
    check: row.check_name,
    status: row.status as CheckStatus,
    message: row.message,
    long_output: row.long_output,
    perfdata: JSON.parse(row.perfdata) as CheckReportPerfDatum[],
    started_at: row.started_at,
    duration_ms: row.duration_ms,
    attempt: row.attempt,
    hard_status: row.hard_status as CheckStatus | null,
    memo: row.memo,
    prevent_alert_auto_close: row.prevent_alert_auto_close !== 0,
    notification_interval_ms: row.notification_interval_ms,
    labels: JSON.parse(row.labels) as Record<string, string>,
    host: row.host,
    received_at: row.received_at,
  };
}
