import { errorMessage } from '../../base/errors.js';
import { nullLogger, type Logger } from '../../base/logger.js';
import type { AlertEvent, AlertEventKind, AlertHistory, LabelSet } from '../../notify/types.js';
import { matchesValue } from '../../storage/matcher.js';
import type { Matcher } from '../../storage/storage.js';
import type { MetadataDb } from './db.js';

/**
 * Alert history in the metadata store (docs/metadata.md): every event of every alert's timeline,
 * and the incidents (opened → resolved/closed intervals) derived from them, with the time each
 * spent in maintenance — what the monthly report and the UI's history read.
 */

/** Every {@link AlertEventKind}, in timeline order of a typical alert. */
export const ALERT_EVENT_KINDS: readonly AlertEventKind[] = [
  'opened',
  'level_changed',
  'notified',
  'notify_failed',
  'silenced',
  'inhibited',
  'maintenance',
  'acknowledged',
  'resolved',
  'closed',
];

/** Whether `s` is an {@link AlertEventKind}. */
export function isAlertEventKind(s: string): s is AlertEventKind {
  return (ALERT_EVENT_KINDS as readonly string[]).includes(s);
}

/** A query for events in a time range. */
export interface AlertEventQuery {
  /** Inclusive bounds, ms since the epoch. */
  readonly fromMs: number;
  readonly toMs: number;
  /** Only these kinds; all when absent or empty. */
  readonly kinds?: readonly AlertEventKind[];
  /** Matchers on the alert's labels (Prometheus semantics: a missing label is ''); all must match. */
  readonly matchers?: readonly Matcher[];
  /** When not empty, the labels must also satisfy at least one of these matcher sets (several `match[]`). */
  readonly anyOf?: readonly (readonly Matcher[])[];
  /** At most this many events, oldest first. Default {@link DEFAULT_EVENT_LIMIT}. */
  readonly limit?: number;
}

/** How many events a query returns when it sets no limit. */
export const DEFAULT_EVENT_LIMIT = 10_000;

/** A query for incidents overlapping a time range. */
export interface IncidentQuery {
  /** Inclusive bounds, ms since the epoch. */
  readonly fromMs: number;
  readonly toMs: number;
  /** Matchers on the alert's labels (as {@link AlertEventQuery.matchers}). */
  readonly matchers?: readonly Matcher[];
  /** As {@link AlertEventQuery.anyOf}. */
  readonly anyOf?: readonly (readonly Matcher[])[];
}

/** A half-open interval [startMs, endMs) in ms since the epoch. */
export interface TimeSpan {
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * One incident: an alert from its `opened` event to its first `resolved` or `closed` event after
 * that. A later `opened` starts a new incident.
 */
export interface Incident {
  readonly fingerprint: string;
  /** The labels recorded with the `opened` event. */
  readonly labels: LabelSet;
  readonly openedAtMs: number;
  /** When it was resolved or closed; null while still open. */
  readonly endedAtMs: number | null;
  readonly endKind: 'resolved' | 'closed' | null;
  /**
   * Time the alert spent in maintenance during the incident, clipped to the incident and to the
   * query's `toMs` (for an open incident); sorted, non-overlapping.
   */
  readonly maintenance: readonly TimeSpan[];
  /** Length of the incident's overlap with the query range, ms. */
  readonly durationInRangeMs: number;
  /** Length of the maintenance spans' overlap with the query range, ms. */
  readonly maintenanceInRangeMs: number;
}

/** The read side of the alert history (what the API and the reports use). */
export interface AlertHistoryReader {
  /** Events in [fromMs, toMs] matching the query, oldest first. */
  events(query: AlertEventQuery): AlertEvent[];
  /** Every event of one alert in [fromMs, toMs] (unbounded by default), oldest first. */
  timeline(fingerprint: string, fromMs?: number, toMs?: number): AlertEvent[];
  /** Whether any event of this alert is stored. */
  hasAlert(fingerprint: string): boolean;
  /** Incidents overlapping [fromMs, toMs], by opening time. */
  incidents(query: IncidentQuery): Incident[];
}

/** Options of {@link SqliteAlertHistory}. */
export interface SqliteAlertHistoryOptions {
  readonly logger?: Logger;
  /** Events (and ended incidents) older than this are deleted by {@link SqliteAlertHistory.prune}. Default 400 days. */
  readonly retentionMs?: number;
  /** Events kept in memory while the database refuses writes; beyond it the oldest are dropped. Default 100 000. */
  readonly maxPending?: number;
  /** Runs the flush after the current tick; default `setImmediate`. Tests pass their own. */
  readonly scheduleFlush?: (flush: () => void) => void;
}

/** Default retention of alert history: a year and a month, so last year's same month can be reported. */
export const DEFAULT_ALERT_HISTORY_RETENTION_MS = 400 * 86_400_000;

interface EventRow {
  at_ms: number;
  fingerprint: string;
  kind: string;
  labels: string;
  detail: string | null;
}

interface IncidentRow {
  fingerprint: string;
  labels: string;
  opened_at_ms: number;
  ended_at_ms: number | null;
  end_kind: string | null;
}

/** Label names the SQL prefilter can address with a plain JSON path. */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The {@link AlertHistory} the pipeline records into, over a {@link MetadataDb} it does not own.
 *
 * `record` never throws and does no I/O: it queues the event, and all events queued during one
 * tick of the event loop are written in one transaction right after it (one fsync per tick, not
 * per event, so a dispatcher flushing a group of 500 alerts does not stall the loop 500 times).
 * Reads flush first, so they see every recorded event. If the write fails (disk full, a lock held
 * elsewhere), the error is logged, the events stay queued and are retried with the next flush; past
 * `maxPending` the oldest are dropped and counted in {@link droppedTotal}. An event recorded in the
 * tick before a crash may be lost — history is an account, not the alert state itself.
 */
export class SqliteAlertHistory implements AlertHistory, AlertHistoryReader {
  readonly #db: MetadataDb;
  readonly #log: Logger;
  readonly #retentionMs: number;
  readonly #maxPending: number;
  readonly #schedule: (flush: () => void) => void;
  #pending: AlertEvent[] = [];
  #isScheduled = false;
  #dropped = 0;

  constructor(db: MetadataDb, options: SqliteAlertHistoryOptions = {}) {
    this.#db = db;
    this.#log = (options.logger ?? nullLogger).child({ component: 'alert-history' });
    this.#retentionMs = options.retentionMs ?? DEFAULT_ALERT_HISTORY_RETENTION_MS;
    this.#maxPending = options.maxPending ?? 100_000;
    this.#schedule = options.scheduleFlush ?? ((flush) => void setImmediate(flush));
  }

  /** Events dropped because the database refused writes for too long (or were invalid). */
  get droppedTotal(): number {
    return this.#dropped;
  }

  /** Events recorded but not yet written. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /** Queues `event` for the next flush. Never throws. */
  record(event: AlertEvent): void {
    if (!Number.isSafeInteger(event.atMs) || !isAlertEventKind(event.kind)) {
      this.#dropped++;
      this.#log.warn(
        { fingerprint: event.fingerprint, atMs: event.atMs, kind: event.kind },
        'alert event dropped: invalid time or kind',
      );
      return;
    }
    this.#pending.push(event);
    if (this.#pending.length > this.#maxPending) {
      this.#pending.shift();
      this.#dropped++;
    }
    if (!this.#isScheduled) {
      this.#isScheduled = true;
      this.#schedule(() => {
        this.#isScheduled = false;
        this.flush();
      });
    }
  }

  /**
   * Writes every queued event in one transaction and updates incidents. Returns whether the queue
   * is empty afterwards. Never throws.
   */
  flush(): boolean {
    if (this.#pending.length === 0) return true;
    if (this.#db.isClosed) return false;
    const batch = this.#pending;
    try {
      const insert = this.#db.statement(
        'INSERT INTO alert_events (at_ms, fingerprint, kind, labels, detail) VALUES (?, ?, ?, ?, ?)',
      );
      const open = this.#db.statement(
        `INSERT OR IGNORE INTO alert_incidents (fingerprint, labels, opened_at_ms) VALUES (?, ?, ?)`,
      );
      const end = this.#db.statement(
        `UPDATE alert_incidents SET ended_at_ms = ?, end_kind = ?
         WHERE fingerprint = ? AND ended_at_ms IS NULL AND opened_at_ms <= ?`,
      );
      this.#db.transaction(() => {
        for (const e of batch) {
          const labels = JSON.stringify(e.labels);
          insert.run(e.atMs, e.fingerprint, e.kind, labels, e.detail ? JSON.stringify(e.detail) : null);
          if (e.kind === 'opened') open.run(e.fingerprint, labels, e.atMs);
          else if (e.kind === 'resolved' || e.kind === 'closed')
            end.run(e.atMs, e.kind, e.fingerprint, e.atMs);
        }
      });
      this.#pending = [];
      return true;
    } catch (err) {
      this.#log.error(
        { err: errorMessage(err), pending: batch.length },
        'alert history write failed; will retry',
      );
      return false;
    }
  }

  events(query: AlertEventQuery): AlertEvent[] {
    this.flush();
    const limit = query.limit ?? DEFAULT_EVENT_LIMIT;
    const matchers = query.matchers ?? [];
    const params: (string | number)[] = [query.fromMs, query.toMs];
    let sql =
      'SELECT at_ms, fingerprint, kind, labels, detail FROM alert_events WHERE at_ms >= ? AND at_ms <= ?';
    if (query.kinds && query.kinds.length > 0) {
      sql += ' AND kind IN (SELECT value FROM json_each(?))';
      params.push(JSON.stringify(query.kinds));
    }
    // Equality matchers narrow the scan in SQL; every matcher is checked again below.
    for (const m of matchers) {
      if ((m.type === '=' || m.type === '!=') && PLAIN_NAME.test(m.name)) {
        sql += ` AND coalesce(json_extract(labels, ?), '') ${m.type} ?`;
        params.push(`$.${m.name}`, m.value);
      }
    }
    sql += ' ORDER BY at_ms, id';
    const out: AlertEvent[] = [];
    if (limit <= 0) return out;
    for (const row of this.#db.statement(sql).iterate(...params) as IterableIterator<EventRow>) {
      const event = toEvent(row);
      if (!matchesQuery(event.labels, query)) continue;
      out.push(event);
      if (out.length >= limit) break;
    }
    return out;
  }

  timeline(
    fingerprint: string,
    fromMs = Number.MIN_SAFE_INTEGER,
    toMs = Number.MAX_SAFE_INTEGER,
  ): AlertEvent[] {
    this.flush();
    const rows = this.#db
      .statement(
        `SELECT at_ms, fingerprint, kind, labels, detail FROM alert_events
         WHERE fingerprint = ? AND at_ms >= ? AND at_ms <= ? ORDER BY at_ms, id`,
      )
      .all(fingerprint, fromMs, toMs) as EventRow[];
    return rows.map(toEvent);
  }

  hasAlert(fingerprint: string): boolean {
    this.flush();
    return (
      this.#db.statement('SELECT 1 FROM alert_events WHERE fingerprint = ? LIMIT 1').get(fingerprint) !==
      undefined
    );
  }

  incidents(query: IncidentQuery): Incident[] {
    this.flush();
    const rows = this.#db
      .statement(
        `SELECT fingerprint, labels, opened_at_ms, ended_at_ms, end_kind FROM alert_incidents
         WHERE opened_at_ms <= ? AND (ended_at_ms IS NULL OR ended_at_ms >= ?)
         ORDER BY opened_at_ms, id`,
      )
      .all(query.toMs, query.fromMs) as IncidentRow[];
    const marks = this.#db.statement(
      `SELECT at_ms, kind, detail FROM alert_events
       WHERE fingerprint = ? AND at_ms >= ? AND at_ms <= ? AND kind IN ('maintenance', 'notified', 'silenced')
       ORDER BY at_ms, id`,
    );
    const out: Incident[] = [];
    for (const row of rows) {
      const labels = JSON.parse(row.labels) as LabelSet;
      if (!matchesQuery(labels, query)) continue;
      // An open incident is looked at up to the end of the query range.
      const endMs = row.ended_at_ms ?? Math.max(row.opened_at_ms, query.toMs);
      const events = marks.all(row.fingerprint, row.opened_at_ms, endMs) as Pick<
        EventRow,
        'at_ms' | 'kind' | 'detail'
      >[];
      const maintenance = maintenanceSpans(events, row.opened_at_ms, endMs);
      out.push({
        fingerprint: row.fingerprint,
        labels,
        openedAtMs: row.opened_at_ms,
        endedAtMs: row.ended_at_ms,
        endKind: row.end_kind === 'resolved' || row.end_kind === 'closed' ? row.end_kind : null,
        maintenance,
        durationInRangeMs: overlap({ startMs: row.opened_at_ms, endMs }, query.fromMs, query.toMs),
        maintenanceInRangeMs: maintenance.reduce((sum, s) => sum + overlap(s, query.fromMs, query.toMs), 0),
      });
    }
    return out;
  }

  /**
   * Deletes events older than the retention before `nowMs`, except those of an incident still
   * open (it keeps its whole timeline since it opened), and incidents that ended before it. Returns the
   * number of events deleted.
   */
  prune(nowMs: number): number {
    this.flush();
    const cutoff = nowMs - this.#retentionMs;
    return this.#db.transaction(() => {
      const events = this.#db
        .statement(
          `DELETE FROM alert_events WHERE at_ms < ? AND NOT EXISTS (
             SELECT 1 FROM alert_incidents i WHERE i.fingerprint = alert_events.fingerprint
             AND i.ended_at_ms IS NULL AND i.opened_at_ms <= alert_events.at_ms)`,
        )
        .run(cutoff).changes;
      this.#db
        .statement('DELETE FROM alert_incidents WHERE ended_at_ms IS NOT NULL AND ended_at_ms < ?')
        .run(cutoff);
      return events;
    });
  }
}

function toEvent(row: EventRow): AlertEvent {
  const base = {
    atMs: row.at_ms,
    fingerprint: row.fingerprint,
    labels: JSON.parse(row.labels) as LabelSet,
    kind: row.kind as AlertEventKind,
  };
  return row.detail === null ? base : { ...base, detail: JSON.parse(row.detail) as Record<string, string> };
}

function matchesQuery(labels: LabelSet, query: IncidentQuery): boolean {
  if (!matchesLabels(labels, query.matchers ?? [])) return false;
  return !query.anyOf || query.anyOf.length === 0 || query.anyOf.some((set) => matchesLabels(labels, set));
}

function matchesLabels(labels: LabelSet, matchers: readonly Matcher[]): boolean {
  for (const m of matchers) if (!matchesValue(m, labels[m.name] ?? '')) return false;
  return true;
}

/** Length of the overlap of `span` with [fromMs, toMs]. */
function overlap(span: TimeSpan, fromMs: number, toMs: number): number {
  return Math.max(0, Math.min(span.endMs, toMs) - Math.max(span.startMs, fromMs));
}

/**
 * Maintenance spans from an incident's `maintenance` and `notified` events (docs/metadata.md):
 * a `maintenance` event starts a span (detail `state: "ended"` ends it instead; detail `ends_at`,
 * ms since the epoch, caps it); a `notified` event ends a span, since nothing in maintenance is
 * notified, and so does `silenced`, which the pipeline records for a silence that is not a
 * maintenance window; the incident's end ends it.
 */
function maintenanceSpans(
  events: readonly Pick<EventRow, 'at_ms' | 'kind' | 'detail'>[],
  openedAtMs: number,
  endMs: number,
): TimeSpan[] {
  const spans: TimeSpan[] = [];
  let start: number | undefined;
  let cap = Infinity;
  const close = (at: number): void => {
    if (start === undefined) return;
    const end = Math.min(at, cap, endMs);
    if (end > start) spans.push({ startMs: start, endMs: end });
    start = undefined;
    cap = Infinity;
  };
  for (const e of events) {
    if (start !== undefined && cap <= e.at_ms) close(cap);
    const detail = e.detail === null ? {} : (JSON.parse(e.detail) as Record<string, string>);
    if (e.kind === 'notified' || e.kind === 'silenced') close(e.at_ms);
    else if (detail.state === 'ended') close(e.at_ms);
    else {
      const endsAt = detail.ends_at === undefined ? NaN : Number(detail.ends_at);
      if (start === undefined) start = Math.max(e.at_ms, openedAtMs);
      if (Number.isFinite(endsAt)) cap = endsAt;
    }
  }
  close(endMs);
  return spans;
}
