import { randomUUID } from 'node:crypto';
import type { Clock } from '../base/clock.js';
import { errorMessage } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import { Registry, type Counter } from '../exposition/registry.js';
import {
  AlertStore,
  isResolvedAt,
  type AlertInput,
  type InvalidAlert,
  type StoredAlert,
} from './alert-store.js';
import { receiverSendsResolved, type NotificationsConfig } from './config.js';
import { compareAlerts, Dispatcher, type FlushContext } from './dispatcher.js';
import { Inhibitor } from './inhibit.js';
import { commonLabels } from './label-set.js';
import { compileRegex, matchesLabels, type Matcher } from './matchers.js';
import {
  loadNotificationLog,
  needsUpdate,
  NotificationLog,
  saveNotificationLog,
} from './notification-log.js';
import { buildRouteTree, type Route } from './route.js';
import { isActive } from './time-intervals.js';
import {
  nullAlertHistory,
  type AlertEventKind,
  type AlertHistory,
  type DeliverySink,
  type Notification,
  type NotifiedAlert,
  type Silencer,
} from './types.js';
import {
  compareGroups,
  toGettableAlert,
  type AlertStatus,
  type GettableAlert,
  type GettableAlertGroup,
} from './views.js';

/**
 * The notification pipeline, Alertmanager 0.25's model built in: alerts go into the {@link AlertStore},
 * the {@link Dispatcher} groups them per route, and each flush runs Alertmanager's stages for its
 * receiver: inhibition → active time intervals → mute time intervals → silences and maintenance
 * windows (the {@link Silencer}) → deduplication against the notification log → a {@link Notification}
 * handed to the {@link DeliverySink}. Muting and alert openings/resolutions are recorded in the
 * {@link AlertHistory}; delivery records `notified`/`notify_failed` itself.
 *
 * Per-alert re-notification ({@link NotificationPipeline.renotify}, for check monitors'
 * `notification_interval`) lets one flush of a group skip the deduplication stage; every other stage
 * still applies.
 *
 * Lifecycle: construct, `put` alerts, `applyConfig` on reload (alerts and the notification log are
 * kept), `close` on shutdown. Not re-entrant; every method is synchronous except `applyConfig` and
 * `close`, which also wait for the old timers to stop.
 */

/** Options of a {@link NotificationPipeline}. */
export interface NotificationPipelineOptions {
  /** The parsed `notifications:` section. */
  readonly config: NotificationsConfig;
  readonly silencer: Silencer;
  readonly sink: DeliverySink;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly history?: AlertHistory;
  /** Where `kanshi_notify_*` metrics go; a private registry when absent. */
  readonly registry?: Registry;
  /** Kanshi's external URL, put into every notification. */
  readonly externalURL?: string;
  /** How often resolved alerts and old notification-log entries are dropped (default 30 min). */
  readonly gcIntervalMs?: number;
  /** Notification IDs; a random UUID by default. */
  readonly newId?: () => string;
  /** The notification log to start from (see {@link NotificationPipeline.open}); empty by default. */
  readonly notificationLog?: NotificationLog;
  /** Where the notification log is saved after every notification; nowhere by default. */
  readonly notificationLogPath?: string;
}

/** Which alerts `alerts()` and `alertGroups()` return (the API v2 query parameters); all default true. */
export interface AlertFilter {
  readonly matchers?: readonly Matcher[];
  readonly active?: boolean;
  readonly silenced?: boolean;
  readonly inhibited?: boolean;
  readonly unprocessed?: boolean;
  /** A regex (anchored) that one of the alert's receivers must match. */
  readonly receiver?: string;
}

interface Metrics {
  received: Counter;
  invalid: Counter;
  notifications: Counter;
  muted: Counter;
  notificationsFailed: Counter;
  renotifications: Counter;
}

/** The composed pipeline. */
export class NotificationPipeline {
  readonly #options: NotificationPipelineOptions;
  readonly #store: AlertStore;
  readonly #log: NotificationLog;
  #saving: Promise<void> | undefined;
  #isLogDirty = false;
  readonly #history: AlertHistory;
  readonly #metrics: Metrics;
  readonly #gc = new AbortController();
  readonly #gcDone: Promise<void>;
  readonly #unsubscribe: () => void;
  /** Fingerprints recorded as opened and not yet as resolved. */
  readonly #open = new Set<string>();
  /** The last mute recorded per fingerprint (`kind:ids`), so each change is recorded once. */
  readonly #lastMute = new Map<string, string>();
  #config: NotificationsConfig;
  #route: Route;
  #inhibitor: Inhibitor;
  #dispatcher: Dispatcher;
  #sendsResolved = new Map<string, boolean>();
  #closed = false;

  constructor(options: NotificationPipelineOptions) {
    this.#options = options;
    this.#history = options.history ?? nullAlertHistory;
    this.#log = options.notificationLog ?? new NotificationLog();
    this.#config = options.config;
    this.#store = new AlertStore({
      clock: options.clock,
      resolveTimeoutMs: options.config.global.resolve_timeout,
    });
    const registry = options.registry ?? new Registry();
    this.#metrics = {
      received: registry.counter(
        'kanshi_notify_alerts_received_total',
        'Alerts received, by status (firing, resolved).',
      ),
      invalid: registry.counter('kanshi_notify_alerts_invalid_total', 'Alerts refused as invalid.'),
      notifications: registry.counter(
        'kanshi_notify_notifications_total',
        'Notifications handed to delivery, by receiver.',
      ),
      notificationsFailed: registry.counter(
        'kanshi_notify_notifications_failed_total',
        'Notifications the delivery queue refused, by receiver.',
      ),
      renotifications: registry.counter(
        'kanshi_notify_renotifications_total',
        'Notifications sent because a producer asked to re-notify one of their alerts, by receiver.',
      ),
      muted: registry.counter(
        'kanshi_notify_alerts_muted_total',
        'Alerts left out of a flush, by reason (inhibited, silenced, maintenance, time_interval).',
      ),
    };
    registry.addCollector(() => this.#collect());
    this.#route = buildRouteTree(options.config.route);
    this.#inhibitor = new Inhibitor(options.config.inhibitRules);
    this.#sendsResolved = sendsResolvedByReceiver(options.config);
    this.#dispatcher = this.#newDispatcher();
    this.#unsubscribe = this.#store.subscribe((e) => {
      if (e.kind === 'deleted') {
        this.#inhibitor.forget(e.alert.fingerprint);
        this.#noteOpenState(e.alert, this.#options.clock.now(), true);
        this.#lastMute.delete(e.alert.fingerprint);
        return;
      }
      this.#inhibitor.observe(e.alert);
      this.#noteOpenState(e.alert, e.alert.updatedAtMs, false);
      this.#dispatcher.process(e.alert);
    });
    this.#gcDone = this.#gcLoop(options.gcIntervalMs ?? 30 * 60_000);
  }

  /**
   * A pipeline whose notification log is loaded from, and saved to, `options.notificationLogPath`
   * (Alertmanager's `nflog` file), so a restart does not notify again what was already sent.
   */
  static async open(options: NotificationPipelineOptions): Promise<NotificationPipeline> {
    if (options.notificationLogPath === undefined || options.notificationLog !== undefined) {
      return new NotificationPipeline(options);
    }
    const notificationLog = await loadNotificationLog(options.notificationLogPath, options.logger);
    return new NotificationPipeline({ ...options, notificationLog });
  }

  /** The alert store (read it; put through {@link put}). */
  get store(): AlertStore {
    return this.#store;
  }

  /** Takes alerts from a producer; returns the refused ones with their reasons (the rest are stored). */
  put(alerts: readonly AlertInput[]): InvalidAlert[] {
    if (this.#closed) return [];
    const invalid = this.#store.put(alerts);
    const now = this.#options.clock.now();
    for (const [i, a] of alerts.entries()) {
      if (invalid.some((x) => x.index === i)) continue;
      const ends = a.endsAtMs ?? 0;
      this.#metrics.received.inc({ status: ends > 0 && ends <= now ? 'resolved' : 'firing' });
    }
    if (invalid.length > 0) this.#metrics.invalid.inc({}, invalid.length);
    return invalid;
  }

  /**
   * Asks for the stored alerts with these fingerprints (Alertmanager's, as `fingerprint` in label-set.ts computes
   * them) to be notified again although the notification log has them, as a check monitor's
   * `notification_interval` asks (Mackerel semantics; the route's `repeat_interval` is per group).
   * Every aggregation group holding one of them is marked; its next flush, at its next `group_wait` or
   * `group_interval` tick, skips deduplication when one of the marked alerts is still firing and left
   * after inhibition, time intervals and silences/maintenance — the whole group is then sent, as every
   * notification is, and logged as usual (so `repeat_interval` counts from it). A muted or resolved
   * alert sends nothing and its request is dropped, not deferred. Call it after `put`ting the alerts.
   * Unknown fingerprints are ignored. Returns how many groups were marked.
   */
  renotify(fingerprints: readonly string[]): number {
    if (this.#closed || fingerprints.length === 0) return 0;
    return this.#dispatcher.renotify(fingerprints);
  }

  /**
   * Switches to a new configuration (routes, inhibit rules, time intervals, receivers' send_resolved,
   * resolve_timeout). Stored alerts are routed again into new groups; the notification log is kept,
   * so nothing already sent is sent again before its repeat interval.
   */
  async applyConfig(config: NotificationsConfig): Promise<void> {
    if (this.#closed) return;
    const old = this.#dispatcher;
    this.#config = config;
    this.#store.setResolveTimeout(config.global.resolve_timeout);
    this.#route = buildRouteTree(config.route);
    this.#inhibitor = new Inhibitor(config.inhibitRules);
    this.#sendsResolved = sendsResolvedByReceiver(config);
    this.#dispatcher = this.#newDispatcher();
    const alerts = this.#store.list();
    for (const a of alerts) this.#inhibitor.observe(a);
    for (const a of alerts) this.#dispatcher.process(a);
    // Re-notifications asked for and not yet flushed go to the new groups of the same alerts.
    this.#dispatcher.renotify(old.pendingRenotify());
    await old.close();
  }

  /** The current status of a stored alert (computed now, as Alertmanager's API does). */
  alertStatus(fingerprint: string): AlertStatus | undefined {
    const a = this.#store.get(fingerprint);
    return a === undefined ? undefined : this.#statusOf(a, this.#options.clock.now());
  }

  /** `GET /api/v2/alerts`: unresolved alerts passing the filter, sorted by fingerprint. */
  alerts(filter: AlertFilter = {}): GettableAlert[] {
    const now = this.#options.clock.now();
    const out: GettableAlert[] = [];
    const receiverRe = filter.receiver !== undefined ? compileRegex(filter.receiver) : undefined;
    for (const a of this.#store.list()) {
      const receivers = this.#route.match(a.labels).map((r) => r.opts.receiver);
      if (receiverRe !== undefined && !receivers.some((r) => receiverRe.test(r))) continue;
      const status = this.#filtered(a, now, filter);
      if (status === undefined) continue;
      out.push(toGettableAlert(a, status, receivers));
    }
    return out.sort((x, y) => (x.fingerprint < y.fingerprint ? -1 : x.fingerprint > y.fingerprint ? 1 : 0));
  }

  /** `GET /api/v2/alerts/groups`: the aggregation groups with their unresolved alerts passing the filter. */
  alertGroups(filter: AlertFilter = {}): GettableAlertGroup[] {
    const now = this.#options.clock.now();
    const receiverRe = filter.receiver !== undefined ? compileRegex(filter.receiver) : undefined;
    const receiversOf = new Map<string, string[]>();
    const groups: {
      labels: Record<string, string>;
      receiver: string;
      alerts: StoredAlert[];
      statuses: AlertStatus[];
    }[] = [];
    for (const g of this.#dispatcher.groups()) {
      if (receiverRe !== undefined && !receiverRe.test(g.receiver)) continue;
      const kept: StoredAlert[] = [];
      const statuses: AlertStatus[] = [];
      for (const a of [...g.alerts].sort(compareAlerts)) {
        const status = this.#filtered(a, now, filter);
        if (status === undefined) continue;
        kept.push(a);
        statuses.push(status);
        const rs = receiversOf.get(a.fingerprint) ?? [];
        rs.push(g.receiver);
        receiversOf.set(a.fingerprint, rs);
      }
      if (kept.length > 0)
        groups.push({ labels: { ...g.labels }, receiver: g.receiver, alerts: kept, statuses });
    }
    return groups
      .map((g) => ({
        alerts: g.alerts.map((a, i) =>
          toGettableAlert(a, g.statuses[i]!, [...(receiversOf.get(a.fingerprint) ?? [])].sort()),
        ),
        labels: g.labels,
        receiver: { name: g.receiver },
      }))
      .sort(compareGroups);
  }

  /** Stops the timers and waits for them; later puts are ignored. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#gc.abort();
    await Promise.all([this.#dispatcher.close(), this.#gcDone]);
    await this.#saving;
  }

  #newDispatcher(): Dispatcher {
    return new Dispatcher({
      route: this.#route,
      clock: this.#options.clock,
      logger: this.#options.logger,
      flush: (ctx, alerts) => this.#flush(ctx, alerts),
    });
  }

  /** The status of `a` at `now`, or undefined when the filter leaves it out (resolved alerts always). */
  #filtered(a: StoredAlert, now: number, filter: AlertFilter): AlertStatus | undefined {
    if (isResolvedAt(a, now)) return undefined;
    if (filter.matchers !== undefined && !matchesLabels(filter.matchers, a.labels)) return undefined;
    const status = this.#statusOf(a, now);
    if (filter.active === false && status.state === 'active') return undefined;
    if (filter.unprocessed === false && status.state === 'unprocessed') return undefined;
    if (filter.silenced === false && status.silencedBy.length > 0) return undefined;
    if (filter.inhibited === false && status.inhibitedBy.length > 0) return undefined;
    return status;
  }

  #statusOf(a: StoredAlert, now: number): AlertStatus {
    const inhibitedBy = this.#inhibitor.inhibitedBy(a.labels, now);
    const silencedBy = [...this.#options.silencer.mutes(a.labels, now).silencedBy];
    const suppressed = inhibitedBy.length > 0 || silencedBy.length > 0;
    return { state: suppressed ? 'suppressed' : 'active', silencedBy, inhibitedBy };
  }

  /** One flush of one group: Alertmanager's receiver stages. */
  #flush(ctx: FlushContext, alerts: readonly StoredAlert[]): boolean {
    const now = ctx.nowMs;
    for (const a of alerts) this.#noteOpenState(a, now, false);

    const notInhibited = alerts.filter((a) => {
      const by = this.#inhibitor.inhibitedBy(a.labels, now);
      if (by.length === 0) return true;
      this.#noteMute(a, now, 'inhibited', { inhibitedBy: by.join(',') });
      return false;
    });

    const { activeTimeIntervals, muteTimeIntervals } = ctx.route.opts;
    const intervals = this.#config.timeIntervals;
    if (
      activeTimeIntervals.length > 0 &&
      !activeTimeIntervals.some((n) => isActive(intervals[n] ?? [], now))
    ) {
      this.#metrics.muted.inc({ reason: 'time_interval' }, notInhibited.length);
      return true;
    }
    if (muteTimeIntervals.some((n) => isActive(intervals[n] ?? [], now))) {
      this.#metrics.muted.inc({ reason: 'time_interval' }, notInhibited.length);
      return true;
    }

    const remaining = notInhibited.filter((a) => {
      const m = this.#options.silencer.mutes(a.labels, now);
      if (m.silencedBy.length === 0) {
        this.#lastMute.delete(a.fingerprint);
        return true;
      }
      if (m.maintenanceBy.length > 0)
        this.#noteMute(a, now, 'maintenance', { maintenanceBy: m.maintenanceBy.join(',') });
      else this.#noteMute(a, now, 'silenced', { silencedBy: m.silencedBy.join(',') });
      return false;
    });

    const firing = new Set<string>();
    const resolved = new Set<string>();
    for (const a of remaining) (a.endsAtMs === 0 ? firing : resolved).add(a.fingerprint);
    const entry = this.#log.get(ctx.groupKey, ctx.receiver);
    const sendResolved = this.#sendsResolved.get(ctx.receiver) ?? false;
    const isRenotify = ctx.renotify.size > 0 && [...firing].some((fp) => ctx.renotify.has(fp));
    if (
      !isRenotify &&
      !needsUpdate(entry, firing, resolved, {
        sendResolved,
        repeatIntervalMs: ctx.route.opts.repeatIntervalMs,
        nowMs: now,
      })
    ) {
      return true;
    }

    const notified: NotifiedAlert[] = remaining.map((a) => ({
      fingerprint: a.fingerprint,
      labels: a.labels,
      annotations: a.annotations,
      startsAtMs: a.startsAtMs,
      endsAtMs: a.endsAtMs,
      generatorURL: a.generatorURL,
      updatedAtMs: a.updatedAtMs,
      status: a.endsAtMs === 0 ? 'firing' : 'resolved',
    }));
    const notification: Notification = {
      id: this.#options.newId?.() ?? randomUUID(),
      receiver: ctx.receiver,
      groupKey: ctx.groupKey,
      status: firing.size > 0 ? 'firing' : 'resolved',
      groupLabels: ctx.groupLabels,
      commonLabels: commonLabels(notified.map((a) => a.labels)),
      commonAnnotations: commonLabels(notified.map((a) => a.annotations)),
      externalURL: this.#options.externalURL ?? '',
      alerts: notified,
      truncatedAlerts: 0,
      createdAtMs: now,
    };
    try {
      this.#options.sink.enqueue(notification);
    } catch (e) {
      this.#metrics.notificationsFailed.inc({ receiver: ctx.receiver });
      this.#options.logger.error(
        { receiver: ctx.receiver, groupKey: ctx.groupKey, err: errorMessage(e) },
        'delivery queue refused a notification',
      );
      return false;
    }
    this.#log.log(ctx.groupKey, ctx.receiver, { firing, resolved, atMs: now });
    this.#saveLog();
    this.#metrics.notifications.inc({ receiver: ctx.receiver });
    if (isRenotify) this.#metrics.renotifications.inc({ receiver: ctx.receiver });
    return true;
  }

  /** Saves the notification log in the background, one write at a time, the last state last. */
  #saveLog(): void {
    const file = this.#options.notificationLogPath;
    if (file === undefined) return;
    this.#isLogDirty = true;
    if (this.#saving !== undefined) return;
    this.#saving = (async () => {
      while (this.#isLogDirty) {
        this.#isLogDirty = false;
        try {
          await saveNotificationLog(file, this.#log);
        } catch (e) {
          this.#options.logger.error(
            { path: file, err: errorMessage(e) },
            'cannot save the notification log',
          );
        }
      }
      this.#saving = undefined;
    })();
  }

  /** Records `opened` when an alert starts firing and `resolved` when it stops (or is deleted). */
  #noteOpenState(a: StoredAlert, now: number, deleted: boolean): void {
    const firing = !deleted && !(a.endsAtMs > 0 && a.endsAtMs <= now);
    const open = this.#open.has(a.fingerprint);
    if (firing && !open) {
      this.#open.add(a.fingerprint);
      this.#record(a, a.startsAtMs, 'opened');
    } else if (!firing && open) {
      this.#open.delete(a.fingerprint);
      this.#record(a, a.endsAtMs > 0 && a.endsAtMs <= now ? a.endsAtMs : now, 'resolved');
    }
  }

  #noteMute(a: StoredAlert, now: number, kind: AlertEventKind, detail: Record<string, string>): void {
    this.#metrics.muted.inc({ reason: kind });
    const key = `${kind}:${Object.values(detail).join(',')}`;
    if (this.#lastMute.get(a.fingerprint) === key) return;
    this.#lastMute.set(a.fingerprint, key);
    this.#record(a, now, kind, detail);
  }

  #record(a: StoredAlert, atMs: number, kind: AlertEventKind, detail?: Record<string, string>): void {
    try {
      this.#history.record({
        atMs,
        fingerprint: a.fingerprint,
        labels: a.labels,
        kind,
        ...(detail !== undefined ? { detail } : {}),
      });
    } catch (e) {
      this.#options.logger.warn({ err: errorMessage(e) }, 'alert history refused an event');
    }
  }

  #collect() {
    const now = this.#options.clock.now();
    const counts = { active: 0, suppressed: 0, unprocessed: 0 };
    for (const a of this.#store.list()) {
      if (isResolvedAt(a, now)) continue;
      counts[this.#statusOf(a, now).state]++;
    }
    return [
      {
        name: 'kanshi_notify_alerts',
        type: 'gauge' as const,
        help: 'Unresolved alerts by state (active, suppressed, unprocessed).',
        samples: (['active', 'suppressed', 'unprocessed'] as const).map((state) => ({
          name: 'kanshi_notify_alerts',
          labels: [{ name: 'state', value: state }],
          value: counts[state],
        })),
      },
      {
        name: 'kanshi_notify_aggregation_groups',
        type: 'gauge' as const,
        help: 'Aggregation groups the dispatcher holds.',
        samples: [
          { name: 'kanshi_notify_aggregation_groups', labels: [], value: this.#dispatcher.groupCount },
        ],
      },
    ];
  }

  async #gcLoop(intervalMs: number): Promise<void> {
    const signal = this.#gc.signal;
    while (!signal.aborted) {
      try {
        await this.#options.clock.sleep(intervalMs, signal);
      } catch {
        return;
      }
      this.#store.gc();
      this.#log.gc(this.#options.clock.now());
    }
  }
}

function sendsResolvedByReceiver(config: NotificationsConfig): Map<string, boolean> {
  return new Map(config.receivers.map((r) => [r.name, receiverSendsResolved(r)]));
}
