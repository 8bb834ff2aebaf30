/**
 * The contracts between the parts of the notification pipeline (Alertmanager's model, built in):
 *
 *   alert producers (alerting rules, check monitors, heartbeats, POST /api/v2/alerts)
 *     → AlertStore → Dispatcher (route tree, aggregation groups)
 *     → inhibition, silences and maintenance windows ({@link Silencer})
 *     → deduplication → {@link DeliverySink} (persistent queue, retries) → {@link Notifier} per integration.
 *
 * Every step records what it did in an {@link AlertHistory}. Times are ms since the epoch.
 */

/** Label names and values of an alert, as Alertmanager's `model.LabelSet`. */
export type LabelSet = Readonly<Record<string, string>>;

/** An alert as the pipeline holds it (Alertmanager's `types.Alert`). */
export interface NotifyAlert {
  /** Alertmanager's fingerprint of the label set, 16 lowercase hex digits. */
  readonly fingerprint: string;
  readonly labels: LabelSet;
  readonly annotations: LabelSet;
  readonly startsAtMs: number;
  /** When the alert ends (resolved if in the past); producers that send none get `resolve_timeout` added. */
  readonly endsAtMs: number;
  readonly generatorURL: string;
  /** When the pipeline last received this alert. */
  readonly updatedAtMs: number;
}

/** An alert in a notification, with its status at the time of the flush. */
export interface NotifiedAlert extends NotifyAlert {
  readonly status: 'firing' | 'resolved';
}

/** One flush of an aggregation group to one receiver (what the webhook payload v4 is made from). */
export interface Notification {
  /** Unique per flush; stable across retries and restarts (the delivery queue's key). */
  readonly id: string;
  readonly receiver: string;
  /** Alertmanager's group key, e.g. `{}/{severity="page"}:{alertname="X"}`. */
  readonly groupKey: string;
  readonly status: 'firing' | 'resolved';
  readonly groupLabels: LabelSet;
  readonly commonLabels: LabelSet;
  readonly commonAnnotations: LabelSet;
  /** Kanshi's external URL (links back to the UI). */
  readonly externalURL: string;
  readonly alerts: readonly NotifiedAlert[];
  /** Alerts left out by a receiver's `max_alerts`. */
  readonly truncatedAlerts: number;
  readonly createdAtMs: number;
}

/**
 * One integration of a receiver (one entry of `webhook_configs`, `email_configs`, …). `send` resolves once
 * the notification is delivered and rejects otherwise; it does not retry. The error says whether a retry
 * can help (an AppError with code `unavailable`/`timeout`/`io` can, `bad_input` cannot).
 */
export interface Notifier {
  /** e.g. `webhook`, `slack`, `email`, `alertmanager`, `exec`, `msteams`, `discord`. */
  readonly kind: string;
  /** Whether resolved notifications go to this integration (`send_resolved`). */
  readonly sendResolved: boolean;
  send(notification: Notification, signal: AbortSignal): Promise<void>;
}

/**
 * Where the dispatcher hands notifications. The implementation persists them before `enqueue` returns,
 * delivers them to every integration of the receiver with exponential backoff, survives restarts, and
 * delivers each notification to each integration at most once after it has succeeded.
 */
export interface DeliverySink {
  enqueue(notification: Notification): void;
}

/** Why an alert is muted right now. Empty lists and `maintenance: false` mean it is not. */
export interface MuteState {
  /** IDs of active silences matching the alert. */
  readonly silencedBy: readonly string[];
  /** IDs of active maintenance windows matching the alert (also listed in `silencedBy`). */
  readonly maintenanceBy: readonly string[];
}

/** Silences and maintenance windows, as the pipeline asks them. */
export interface Silencer {
  /** Which active silences and maintenance windows match `labels` at `atMs`. */
  mutes(labels: LabelSet, atMs: number): MuteState;
}

/** Kinds of event in an alert's timeline. */
export type AlertEventKind =
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

/** One event in an alert's timeline. */
export interface AlertEvent {
  readonly atMs: number;
  readonly fingerprint: string;
  readonly labels: LabelSet;
  readonly kind: AlertEventKind;
  /** Free detail: receiver and integration for `notified`, error for `notify_failed`, silence id, new level, … */
  readonly detail?: Readonly<Record<string, string>>;
}

/** Where the pipeline records timelines (SQLite in the server; in memory in tests). Must not throw. */
export interface AlertHistory {
  record(event: AlertEvent): void;
}

/** An {@link AlertHistory} that keeps nothing. */
export const nullAlertHistory: AlertHistory = { record: () => undefined };
