import { z } from 'zod';
import type { Clock } from '../../base/clock.js';
import { AppError } from '../../base/errors.js';
import { nullLogger, type Logger } from '../../base/logger.js';
import type { CheckStatus } from '../../model/check.js';
import type { CheckReportResult } from '../../model/check-report.js';
import { labelNameRe } from '../../model/labels.js';
import type { NotifierAlert } from '../group.js';
import {
  fingerprintOf,
  MonitorOutput,
  type Acknowledgement,
  type MonitorAlertView,
  type MonitorEventKind,
  type MonitorHistory,
  type MonitorLabelSet,
  type MonitorNotifyFn,
  type MonitorSeverity,
} from './monitor-alert.js';
import { MonitorSnapshot, type LoadReport } from './snapshot-file.js';

/**
 * Check monitors (issue 5, Mackerel's and Nagios's semantics): every check result an agent sends
 * is fed to {@link CheckMonitor.observe}. A check whose *hard* status is not OK opens an alert
 * `CheckFailed{host, instance=host, check, severity}` at its level (`instance` as on the agent's
 * series, so one inhibit rule mutes a silent host's alerts); a level change resolves the old severity and
 * fires the new one; OK resolves it unless `prevent_alert_auto_close`, where a person closes it.
 * See docs/monitors.md.
 */

/** How an UNKNOWN hard status is treated: as a warning, as critical, or not at all. */
export type UnknownAs = MonitorSeverity | 'ignore';

/** The `alertname` of check alerts: one name, so one inhibit rule and one route cover every check. */
export const CHECK_ALERTNAME = 'CheckFailed';

/** Labels a check's own labels may not override. */
const RESERVED = new Set(['alertname', 'host', 'instance', 'check', 'severity']);

/** Options of {@link CheckMonitor}. Durations in ms. */
export interface CheckMonitorOptions {
  readonly clock: Clock;
  /** Where alerts go (the notification pipeline's alert store). */
  readonly notify: MonitorNotifyFn;
  readonly history?: MonitorHistory;
  readonly logger?: Logger;
  /** The JSON snapshot file; without one the state lives in memory only. */
  readonly snapshotPath?: string;
  /** Default 'warning'. */
  readonly unknownAs?: UnknownAs;
  /** Results needed to confirm a problem when a result carries no `hard_status`. Default 1. */
  readonly defaultMaxCheckAttempts?: number;
  /** Re-notification interval when a result carries none; 0 = never. Default 0. */
  readonly defaultNotificationIntervalMs?: number;
  /** How often open alerts are re-sent to keep them alive; `endsAt` is 4× this ahead. Default 60 000. */
  readonly resendIntervalMs?: number;
  /** Period of {@link CheckMonitor.run}'s ticks. Default 15 000. */
  readonly tickMs?: number;
  /** Kanshi's external URL, the base of each alert's `generatorURL`. Default ''. */
  readonly externalURL?: string;
}

export type { LoadReport } from './snapshot-file.js';

/** Per (host, check): the newest run seen and the server-side soft/hard state. */
interface Track {
  lastStartedAt: number;
  status: CheckStatus;
  hardStatus: CheckStatus;
  soft: boolean;
  attempt: number;
  /** A person closed the alert while the check still failed at this level: do not reopen at it. */
  closedLevel: MonitorSeverity | null;
}

interface OpenAlert {
  readonly id: string;
  readonly host: string;
  readonly check: string;
  severity: MonitorSeverity;
  status: CheckStatus;
  labels: MonitorLabelSet;
  annotations: MonitorLabelSet;
  openedAtMs: number;
  levelChangedAtMs: number;
  lastNotifiedAtMs: number;
  /** Last hand-over to the pipeline; not persisted (everything is re-sent after a restart). */
  lastSentAtMs: number | undefined;
  notificationIntervalMs: number;
  preventAutoClose: boolean;
  acknowledged: Acknowledgement | null;
  recoveredAtMs: number | null;
}

const labelSet = z.record(z.string(), z.string());
const statusSchema = z.enum(['OK', 'WARNING', 'CRITICAL', 'UNKNOWN']);
const severitySchema = z.enum(['warning', 'critical']);
const ackSchema = z.strictObject({ by: z.string(), comment: z.string(), atMs: z.number() }).nullable();
const snapshotSchema = z.strictObject({
  version: z.literal(1),
  tracks: z.array(
    z.strictObject({
      host: z.string(),
      check: z.string(),
      lastStartedAt: z.number(),
      status: statusSchema,
      hardStatus: statusSchema,
      soft: z.boolean(),
      attempt: z.number().int().min(1),
      closedLevel: severitySchema.nullable(),
    }),
  ),
  alerts: z.array(
    z.strictObject({
      id: z.string(),
      host: z.string(),
      check: z.string(),
      severity: severitySchema,
      status: statusSchema,
      labels: labelSet,
      annotations: labelSet,
      openedAtMs: z.number(),
      levelChangedAtMs: z.number(),
      lastNotifiedAtMs: z.number(),
      notificationIntervalMs: z.number().min(0),
      preventAutoClose: z.boolean(),
      acknowledged: ackSchema,
      recoveredAtMs: z.number().nullable(),
    }),
  ),
});

const trackKey = (host: string, check: string): string => `${host}\u0000${check}`;

/** The id of a check's alert: the fingerprint of its identifying labels. */
export function checkAlertId(host: string, check: string): string {
  return fingerprintOf({ alertname: CHECK_ALERTNAME, host, check });
}

/**
 * See the module comment. Methods are called from one event loop; `observe`, `acknowledge`,
 * `close` and `forgetHost` change state synchronously and then wait for the snapshot. Call
 * {@link load} once before use and {@link close} at shutdown (after `run`'s signal aborted).
 */
export class CheckMonitor {
  readonly #o: CheckMonitorOptions;
  readonly #log: Logger;
  readonly #out: MonitorOutput;
  readonly #tracks = new Map<string, Track>();
  readonly #alerts = new Map<string, OpenAlert>();
  readonly #snap: MonitorSnapshot<typeof snapshotSchema>;
  readonly #resendMs: number;

  constructor(options: CheckMonitorOptions) {
    this.#o = options;
    this.#log = (options.logger ?? nullLogger).child({ component: 'check-monitor' });
    this.#out = new MonitorOutput({
      notify: options.notify,
      history: options.history,
      log: this.#log,
      source: 'check',
    });
    this.#resendMs = options.resendIntervalMs ?? 60_000;
    this.#snap = new MonitorSnapshot({
      file: options.snapshotPath,
      schema: snapshotSchema,
      name: 'check monitor',
      serialize: () => this.#snapshot(),
      log: this.#log,
    });
  }

  /**
   * Restores state from the snapshot file. A damaged file is moved aside, logged and reported in
   * the result; the monitor then starts empty. Never rejects.
   */
  load(): Promise<LoadReport> {
    return this.#snap.load(this.#o.clock.now(), (state) => {
      for (const t of state.tracks) {
        const { host, check, ...rest } = t;
        this.#tracks.set(trackKey(host, check), rest);
      }
      for (const a of state.alerts) this.#alerts.set(a.id, { ...a, lastSentAtMs: undefined });
      this.#log.info(
        { file: this.#o.snapshotPath, alerts: this.#alerts.size },
        'check monitor state restored',
      );
      return this.#alerts.size;
    });
  }

  /**
   * Applies the results of `host` in order. A result not newer than the newest seen for its check
   * (a replay) changes nothing. Resolves once a state change is in the snapshot; a failed snapshot
   * write is logged, never thrown (the ingest path must not fail because of it).
   */
  async observe(host: string, results: readonly CheckReportResult[]): Promise<void> {
    let changed = false;
    for (const r of results) changed = this.#apply(host, r) || changed;
    if (changed) await this.#snap.flushLogged();
  }

  /** Open alerts, oldest first. */
  alerts(): MonitorAlertView[] {
    return [...this.#alerts.values()].sort((a, b) => a.openedAtMs - b.openedAtMs).map(view);
  }

  /** The open alert `id`, or undefined. */
  get(id: string): MonitorAlertView | undefined {
    const a = this.#alerts.get(id);
    return a && view(a);
  }

  /**
   * Acknowledges open alert `id`: no more re-notifications until its level changes. Throws AppError
   * `not_found` for no such open alert, `conflict` when already acknowledged, `io` when the snapshot
   * cannot be written (the acknowledgement holds in memory).
   */
  async acknowledge(id: string, by: string, comment: string): Promise<MonitorAlertView> {
    const a = this.#alerts.get(id);
    if (!a) throw new AppError('not_found', `no open check alert with id "${id}"`);
    if (a.acknowledged)
      throw new AppError('conflict', `alert "${id}" is already acknowledged by "${a.acknowledged.by}"`);
    const now = this.#o.clock.now();
    a.acknowledged = { by, comment, atMs: now };
    this.#event(a, 'acknowledged', now, { by, comment });
    await this.#snap.save();
    return view(a);
  }

  /**
   * Closes open alert `id` by hand (the way out of `prevent_alert_auto_close`): sends it resolved.
   * While the check still fails at the same level it is not reopened; a level change or a new
   * failure after OK opens a new alert. Throws as {@link acknowledge} (`not_found`, `io`).
   */
  async close(id: string, by: string, comment: string): Promise<MonitorAlertView> {
    const a = this.#alerts.get(id);
    if (!a) throw new AppError('not_found', `no open check alert with id "${id}"`);
    const now = this.#o.clock.now();
    const track = this.#tracks.get(trackKey(a.host, a.check));
    if (track && a.recoveredAtMs === null) track.closedLevel = a.severity;
    this.#resolve(a, now, 'closed', { by, comment });
    await this.#snap.save();
    return view(a);
  }

  /** Forgets every check of `host` (a host removed on purpose), closing its open alerts. Returns how many checks were known. */
  async forgetHost(host: string, by: string): Promise<number> {
    const now = this.#o.clock.now();
    for (const a of [...this.#alerts.values()])
      if (a.host === host) this.#resolve(a, now, 'closed', { by, comment: 'host forgotten' });
    let n = 0;
    for (const key of [...this.#tracks.keys()])
      if (key.startsWith(`${host}\u0000`)) {
        this.#tracks.delete(key);
        n++;
      }
    if (n > 0) await this.#snap.flushLogged();
    return n;
  }

  /**
   * Re-sends open alerts: due re-notifications (`renotify`, not for acknowledged alerts) and
   * keep-alives (`refresh`, every resend interval); writes the snapshot when something changed.
   */
  async tick(nowMs: number = this.#o.clock.now()): Promise<void> {
    const renotify: NotifierAlert[] = [];
    const refresh: NotifierAlert[] = [];
    for (const a of this.#alerts.values()) {
      if (
        a.notificationIntervalMs > 0 &&
        a.acknowledged === null &&
        nowMs - a.lastNotifiedAtMs >= a.notificationIntervalMs
      ) {
        a.lastNotifiedAtMs = nowMs;
        a.lastSentAtMs = nowMs;
        renotify.push(this.#firing(a, nowMs));
        this.#snap.markDirty();
      } else if (a.lastSentAtMs === undefined || nowMs - a.lastSentAtMs >= this.#resendMs) {
        a.lastSentAtMs = nowMs;
        refresh.push(this.#firing(a, nowMs));
      }
    }
    if (renotify.length > 0) this.#out.send(renotify, 'renotify');
    if (refresh.length > 0) this.#out.send(refresh, 'refresh');
    if (this.#snap.isDirty) await this.#snap.flushLogged();
  }

  /** Ticks every `tickMs` until `signal` aborts; resolves then. */
  async run(signal: AbortSignal): Promise<void> {
    const tickMs = this.#o.tickMs ?? 15_000;
    while (!signal.aborted) {
      await this.tick();
      try {
        await this.#o.clock.sleep(tickMs, signal);
      } catch {
        return;
      }
    }
  }

  /** Writes the final snapshot. Rejects with AppError `io` when it cannot. */
  flush(): Promise<void> {
    return this.#snap.flush();
  }

  #apply(host: string, r: CheckReportResult): boolean {
    const key = trackKey(host, r.check);
    let track = this.#tracks.get(key);
    if (!track) {
      track = {
        lastStartedAt: -Infinity,
        status: 'OK',
        hardStatus: 'OK',
        soft: false,
        attempt: 1,
        closedLevel: null,
      };
      this.#tracks.set(key, track);
    }
    if (r.started_at <= track.lastStartedAt) return false;
    track.lastStartedAt = r.started_at;
    this.#snap.markDirty();
    this.#advance(track, r);
    const level = this.#levelOf(track.hardStatus);
    if (level === 'ignore') return false;
    const now = this.#o.clock.now();
    const id = checkAlertId(host, r.check);
    const alert = this.#alerts.get(id);
    if (level === 'ok') {
      track.closedLevel = null;
      if (!alert) return false;
      alert.status = 'OK';
      alert.preventAutoClose = r.prevent_alert_auto_close;
      if (alert.preventAutoClose) {
        if (alert.recoveredAtMs !== null) return false;
        alert.recoveredAtMs = now;
        return true;
      }
      this.#resolve(alert, now, 'resolved', {});
      return true;
    }
    if (track.closedLevel !== null) {
      if (track.closedLevel === level) return false;
      track.closedLevel = null;
    }
    const interval = r.notification_interval_ms ?? this.#o.defaultNotificationIntervalMs ?? 0;
    if (!alert) {
      const a: OpenAlert = {
        id,
        host,
        check: r.check,
        severity: level,
        status: track.hardStatus,
        labels: checkLabels(host, r, level),
        annotations: checkAnnotations(host, r, track.hardStatus),
        openedAtMs: now,
        levelChangedAtMs: now,
        lastNotifiedAtMs: now,
        lastSentAtMs: now,
        notificationIntervalMs: interval,
        preventAutoClose: r.prevent_alert_auto_close,
        acknowledged: null,
        recoveredAtMs: null,
      };
      this.#alerts.set(id, a);
      this.#event(a, 'opened', now, { severity: level, status: a.status });
      this.#out.send([this.#firing(a, now)], 'opened');
      return true;
    }
    alert.annotations = checkAnnotations(host, r, track.hardStatus);
    alert.notificationIntervalMs = interval;
    alert.preventAutoClose = r.prevent_alert_auto_close;
    const wasRecovered = alert.recoveredAtMs !== null;
    alert.recoveredAtMs = null;
    alert.status = track.hardStatus;
    if (alert.severity === level) return wasRecovered;
    const from = alert.severity;
    const old = this.#resolved(alert, now);
    alert.severity = level;
    alert.labels = checkLabels(host, r, level);
    alert.levelChangedAtMs = now;
    alert.lastNotifiedAtMs = now;
    alert.lastSentAtMs = now;
    alert.acknowledged = null;
    this.#event(alert, 'level_changed', now, { from, to: level, status: alert.status });
    this.#out.send([old, this.#firing(alert, now)], 'level_changed');
    return true;
  }

  /** Nagios's soft/hard state machine (src/checks/check-state.ts) on the server, for results without `hard_status`. */
  #advance(t: Track, r: CheckReportResult): void {
    if (r.hard_status !== null) {
      t.status = r.status;
      t.hardStatus = r.hard_status;
      t.soft = r.status !== 'OK' && r.hard_status !== r.status;
      t.attempt = r.attempt;
      return;
    }
    const max = Math.max(1, this.#o.defaultMaxCheckAttempts ?? 1);
    if (r.status === 'OK') {
      t.hardStatus = 'OK';
      t.soft = false;
      t.attempt = 1;
    } else if (t.status === 'OK') {
      t.attempt = 1;
      t.soft = max > 1;
    } else if (t.soft) {
      t.attempt = Math.min(t.attempt + 1, max);
      if (t.attempt >= max) t.soft = false;
    }
    if (!t.soft) t.hardStatus = r.status;
    t.status = r.status;
  }

  #levelOf(s: CheckStatus): MonitorSeverity | 'ok' | 'ignore' {
    switch (s) {
      case 'OK':
        return 'ok';
      case 'WARNING':
        return 'warning';
      case 'CRITICAL':
        return 'critical';
      case 'UNKNOWN':
        return this.#o.unknownAs ?? 'warning';
    }
  }

  #firing(a: OpenAlert, now: number): NotifierAlert {
    return {
      labels: a.labels,
      annotations: a.annotations,
      startsAt: new Date(a.levelChangedAtMs).toISOString(),
      endsAt: new Date(now + 4 * this.#resendMs).toISOString(),
      generatorURL: this.#generatorURL(a),
    };
  }

  #resolved(a: OpenAlert, now: number): NotifierAlert {
    return { ...this.#firing(a, now), endsAt: new Date(now).toISOString() };
  }

  #generatorURL(a: OpenAlert): string {
    return `${this.#o.externalURL ?? ''}/api/kanshi/v1/checks?host=${encodeURIComponent(a.host)}`;
  }

  #resolve(
    a: OpenAlert,
    now: number,
    kind: 'resolved' | 'closed',
    detail: Readonly<Record<string, string>>,
  ): void {
    this.#alerts.delete(a.id);
    this.#snap.markDirty();
    this.#event(a, kind, now, detail);
    this.#out.send([this.#resolved(a, now)], kind);
  }

  #event(a: OpenAlert, kind: MonitorEventKind, atMs: number, detail: Readonly<Record<string, string>>): void {
    this.#out.record(a.id, a.labels, kind, atMs, detail);
  }

  #snapshot(): z.input<typeof snapshotSchema> {
    return {
      version: 1,
      tracks: [...this.#tracks.entries()].map(([key, t]) => {
        const [host = '', check = ''] = key.split('\u0000');
        return { host, check, ...t, lastStartedAt: Number.isFinite(t.lastStartedAt) ? t.lastStartedAt : 0 };
      }),
      alerts: [...this.#alerts.values()].map((a) => {
        const { lastSentAtMs: _unsent, ...rest } = a;
        return rest;
      }),
    };
  }
}

function checkLabels(host: string, r: CheckReportResult, severity: MonitorSeverity): MonitorLabelSet {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.labels))
    if (!RESERVED.has(k) && labelNameRe.test(k) && v !== '') out[k] = v;
  return { ...out, alertname: CHECK_ALERTNAME, host, instance: host, check: r.check, severity };
}

function checkAnnotations(host: string, r: CheckReportResult, status: CheckStatus): MonitorLabelSet {
  const out: Record<string, string> = {
    summary: `check ${r.check} on ${host} is ${status}`,
    status,
    message: r.message,
  };
  if (r.long_output !== '') out.long_output = r.long_output;
  if (r.memo !== '') out.memo = r.memo;
  return out;
}

function view(a: OpenAlert): MonitorAlertView {
  return {
    id: a.id,
    source: 'check',
    host: a.host,
    check: a.check,
    severity: a.severity,
    status: a.status,
    labels: a.labels,
    annotations: a.annotations,
    openedAtMs: a.openedAtMs,
    levelChangedAtMs: a.levelChangedAtMs,
    lastNotifiedAtMs: a.lastNotifiedAtMs,
    acknowledged: a.acknowledged,
    recoveredAtMs: a.recoveredAtMs,
    preventAutoClose: a.preventAutoClose,
  };
}
