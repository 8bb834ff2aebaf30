import { errorMessage } from '../../base/errors.js';
import type { Logger } from '../../base/logger.js';
import type { NotifierAlert } from '../group.js';

/**
 * What the check monitor and the host heartbeat share: the alert they keep open, how they hand it
 * to the notification pipeline, and the timeline events they record. The rules layer sits below
 * notify, so the event and history types are structural copies of src/notify/types.ts's
 * `AlertEvent`/`AlertHistory`: the server passes its `AlertHistory` where a {@link MonitorHistory}
 * is asked for.
 */

/** Label names and values, as Alertmanager's `model.LabelSet`. */
export type MonitorLabelSet = Readonly<Record<string, string>>;

/** Kinds of timeline event; the same strings as notify's `AlertEventKind`. */
export type MonitorEventKind =
  | 'opened'
  | 'level_changed'
  | 'notified'
  | 'notify_failed'
  | 'silenced'
  | 'inhibited'
  | 'maintenance'
  | 'acknowledged'
  | 'resolved'
  | 'closed';

/** One timeline event; the shape of notify's `AlertEvent`. Times are ms since the epoch. */
export interface MonitorEvent {
  readonly atMs: number;
  /** Alertmanager's fingerprint of the alert's label set (severity included). */
  readonly fingerprint: string;
  readonly labels: MonitorLabelSet;
  readonly kind: MonitorEventKind;
  /** Always carries `monitor_id` (the stable id of the monitor alert) and `source`. */
  readonly detail?: Readonly<Record<string, string>>;
}

/** Where monitors record timelines: notify's `AlertHistory` fits. Must not throw. */
export interface MonitorHistory {
  record(event: MonitorEvent): void;
}

/** A {@link MonitorHistory} that keeps nothing. */
export const nullMonitorHistory: MonitorHistory = { record: () => undefined };

/** Options of {@link MonitorOutput}. */
export interface MonitorOutputOptions {
  readonly notify: MonitorNotifyFn;
  /** Default {@link nullMonitorHistory}. */
  readonly history?: MonitorHistory | undefined;
  readonly log: Logger;
  /** The `source` detail of every event, also the monitor's name in log messages. */
  readonly source: MonitorAlertView['source'];
}

/**
 * Where a monitor's alerts and events go: hands alerts to the pipeline and records timeline
 * events, logging a failure of either instead of throwing (a monitor's state change must not fail
 * because a consumer did).
 */
export class MonitorOutput {
  readonly #o: MonitorOutputOptions;
  readonly #history: MonitorHistory;

  constructor(options: MonitorOutputOptions) {
    this.#o = options;
    this.#history = options.history ?? nullMonitorHistory;
  }

  /** Hands `alerts` over for `reason`. */
  send(alerts: readonly NotifierAlert[], reason: MonitorSendReason): void {
    try {
      this.#o.notify(alerts, reason);
    } catch (e) {
      this.#o.log.error({ err: errorMessage(e), reason }, `handing ${this.#o.source} alerts over failed`);
    }
  }

  /**
   * Records a `kind` event at `atMs` (ms since the epoch) of the alert with `labels` (its
   * fingerprint is computed here) and monitor id `monitorId`; `detail` gets `monitor_id` and `source`.
   */
  record(
    monitorId: string,
    labels: MonitorLabelSet,
    kind: MonitorEventKind,
    atMs: number,
    detail: Readonly<Record<string, string>>,
  ): void {
    try {
      this.#history.record({
        atMs,
        fingerprint: fingerprintOf(labels),
        labels,
        kind,
        detail: { ...detail, monitor_id: monitorId, source: this.#o.source },
      });
    } catch (e) {
      this.#o.log.error({ err: errorMessage(e), kind }, `recording a ${this.#o.source} alert event failed`);
    }
  }
}

/**
 * Why a batch of alerts is handed over. `refresh` only keeps open alerts alive in the pipeline
 * (their `endsAt` moves forward, as Prometheus resends firing alerts); the other reasons are news a
 * person should hear of: `renotify` is a due `notification_interval` re-notification.
 */
export type MonitorSendReason = 'opened' | 'level_changed' | 'renotify' | 'refresh' | 'resolved' | 'closed';

/**
 * Receives alerts in Alertmanager's API v2 postable shape: firing ones with `endsAt` in the future,
 * resolved ones with `endsAt` = the resolution time. Called synchronously; must not throw.
 */
export type MonitorNotifyFn = (alerts: readonly NotifierAlert[], reason: MonitorSendReason) => void;

/** Alert severities a monitor opens alerts at (the `severity` label). */
export type MonitorSeverity = 'warning' | 'critical';

/** Who acknowledged an alert, and when (ms since the epoch). */
export interface Acknowledgement {
  readonly by: string;
  readonly comment: string;
  readonly atMs: number;
}

/** An open monitor alert as the API lists it. Times are ms since the epoch. */
export interface MonitorAlertView {
  /** Stable across level changes: the fingerprint of the identifying labels (severity left out). */
  readonly id: string;
  readonly source: 'check' | 'heartbeat';
  readonly host: string;
  /** The check's name; absent for heartbeat alerts. */
  readonly check?: string;
  readonly severity: MonitorSeverity;
  /** The latest status of the check (OK once recovered while `prevent_alert_auto_close` keeps it open). */
  readonly status: string;
  readonly labels: MonitorLabelSet;
  readonly annotations: MonitorLabelSet;
  readonly openedAtMs: number;
  readonly levelChangedAtMs: number;
  readonly lastNotifiedAtMs: number;
  readonly acknowledged: Acknowledgement | null;
  /** When the check recovered while the alert is kept open; null while still failing. */
  readonly recoveredAtMs: number | null;
  readonly preventAutoClose: boolean;
}

const OFFSET64 = 0xcbf29ce484222325n;
const PRIME64 = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

/**
 * Alertmanager's fingerprint of a label set (prometheus/common `LabelSet.Fingerprint`): FNV-1a 64
 * over the names in byte order, each name and value followed by the separator byte 0xff; 16
 * lowercase hex digits.
 */
export function fingerprintOf(labels: MonitorLabelSet): string {
  const enc = new TextEncoder();
  let h = OFFSET64;
  const add = (b: number): void => {
    h ^= BigInt(b);
    h = (h * PRIME64) & MASK64;
  };
  const names = Object.keys(labels).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    for (const b of enc.encode(name)) add(b);
    add(0xff);
    for (const b of enc.encode(labels[name] ?? '')) add(b);
    add(0xff);
  }
  return h.toString(16).padStart(16, '0');
}

/**
 * `history` without the `opened` and `resolved` events, for a server whose notification pipeline
 * records those itself (per fingerprint) when the monitor's alerts reach it: the monitor then adds
 * only what the pipeline cannot know (level changes, acknowledgements, closes by hand).
 */
export function monitorOnlyEvents(history: MonitorHistory): MonitorHistory {
  return {
    record: (e) => {
      if (e.kind !== 'opened' && e.kind !== 'resolved') history.record(e);
    },
  };
}
