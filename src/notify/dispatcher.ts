import type { Clock } from '../base/clock.js';
import { errorMessage } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import { isResolvedAt, type StoredAlert } from './alert-store.js';
import { compareLabelSets } from './label-set.js';
import { groupKeyFor, groupLabelsFor, type Route } from './route.js';
import type { LabelSet } from './types.js';

/**
 * Aggregation groups (Alertmanager 0.25 dispatch/dispatch.go). Every alert is routed; for each
 * matching route it joins the group of its `group_by` labels. A group's first flush comes
 * `group_wait` after it was created (at once if an alert in it started more than `group_wait` ago),
 * then one every `group_interval`; what a flush sends, if anything, is decided by the {@link FlushFn}
 * (inhibition, time intervals, silences, deduplication against `repeat_interval`). After a flush the
 * group drops the resolved alerts that were passed along and have not been updated since; empty groups
 * are removed every 30 s. Timers run on the injected Clock.
 *
 * Re-notification (Kanshi's addition for Mackerel's `notification_interval`, issue 5): {@link
 * Dispatcher.renotify} marks the groups holding some alerts; their next flush (on the usual timer) carries
 * those fingerprints in {@link FlushContext.renotify}, and the marks are cleared once a flush is handled.
 */

/** Everything a flush needs to know about its group. */
export interface FlushContext {
  readonly groupKey: string;
  readonly groupLabels: LabelSet;
  readonly route: Route;
  readonly receiver: string;
  /** The time of the flush (ms); alerts not resolved at this time have `endsAtMs` 0. */
  readonly nowMs: number;
  /**
   * Fingerprints of the group's alerts asked to be notified again ({@link Dispatcher.renotify}) since the
   * last handled flush; empty mostly. The FlushFn decides what to make of them.
   */
  readonly renotify: ReadonlySet<string>;
}

/**
 * Sends (or decides not to send) one flush. `alerts` are sorted as Alertmanager sorts them. Returns
 * true when the flush was handled (sent, deduplicated or muted), false when it failed and the group
 * must keep its resolved alerts for the next flush. Must not throw; a throw counts as false.
 */
export type FlushFn = (context: FlushContext, alerts: readonly StoredAlert[]) => boolean;

/** A read-only view of a group, for the API. */
export interface AggregationGroupView {
  readonly groupKey: string;
  readonly route: Route;
  readonly receiver: string;
  readonly labels: LabelSet;
  /** The group's alerts as stored (resolved ones until they are flushed). */
  readonly alerts: readonly StoredAlert[];
}

/** Options of a {@link Dispatcher}. */
export interface DispatcherOptions {
  readonly route: Route;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly flush: FlushFn;
  /** How often empty groups are removed (Alertmanager: 30 s). */
  readonly maintenanceIntervalMs?: number;
}

/** Alertmanager's `AlertSlice` order: by `job`, then `instance` (alerts with them first), then labels. */
export function compareAlerts(a: StoredAlert, b: StoredAlert): number {
  for (const key of ['job', 'instance']) {
    const x = a.labels[key];
    const y = b.labels[key];
    if (x === undefined && y === undefined) continue;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return compareLabelSets(a.labels, b.labels);
}

/**
 * A restartable one-shot timer on a Clock. `reset` cancels the pending wait and schedules `fire`
 * after `ms`; the promise of every wait is tracked so `close` can await them.
 */
class ClockTimer {
  #controller: AbortController | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly fire: () => void,
    private readonly track: (p: Promise<void>) => void,
  ) {}

  reset(ms: number): void {
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;
    const wait = ms <= 0 ? Promise.resolve() : this.clock.sleep(ms, controller.signal);
    this.track(
      wait.then(
        () => {
          if (this.#controller !== controller || controller.signal.aborted) return;
          this.#controller = undefined;
          this.fire();
        },
        () => undefined,
      ),
    );
  }

  stop(): void {
    this.#controller?.abort();
    this.#controller = undefined;
  }
}

class AggregationGroup {
  readonly alerts = new Map<string, StoredAlert>();
  /** Fingerprints asked to re-notify, cleared by a handled flush. */
  readonly renotify = new Set<string>();
  #hasFlushed = false;
  readonly #timer: ClockTimer;

  constructor(
    readonly groupKey: string,
    readonly labels: LabelSet,
    readonly route: Route,
    private readonly options: DispatcherOptions,
    track: (p: Promise<void>) => void,
  ) {
    this.#timer = new ClockTimer(options.clock, () => this.#onTimer(), track);
    this.#timer.reset(route.opts.groupWaitMs);
  }

  insert(alert: StoredAlert): void {
    this.alerts.set(alert.fingerprint, alert);
    // Flush at once when the group waited long enough for this alert already.
    if (!this.#hasFlushed && alert.startsAtMs + this.route.opts.groupWaitMs < this.options.clock.now()) {
      this.#timer.reset(0);
    }
  }

  get isEmpty(): boolean {
    return this.alerts.size === 0;
  }

  stop(): void {
    this.#timer.stop();
  }

  #onTimer(): void {
    this.#timer.reset(this.route.opts.groupIntervalMs);
    this.#hasFlushed = true;
    this.#flush();
  }

  #flush(): void {
    if (this.isEmpty) return;
    const nowMs = this.options.clock.now();
    const alerts = [...this.alerts.values()]
      .map((a) => (isResolvedAt(a, nowMs) ? a : { ...a, endsAtMs: 0 }))
      .sort(compareAlerts);
    // A snapshot: the flush function may not re-enter, but keep what it was shown exact anyway.
    const renotify = new Set(this.renotify);
    let ok = false;
    try {
      ok = this.options.flush(
        {
          groupKey: this.groupKey,
          groupLabels: this.labels,
          route: this.route,
          receiver: this.route.opts.receiver,
          nowMs,
          renotify,
        },
        alerts,
      );
    } catch (e) {
      this.options.logger.error({ groupKey: this.groupKey, err: errorMessage(e) }, 'flush failed');
    }
    if (!ok) return;
    for (const fp of renotify) this.renotify.delete(fp);
    for (const a of alerts) {
      if (a.endsAtMs === 0) continue;
      const current = this.alerts.get(a.fingerprint);
      // Only when it was not put again since this flush read it.
      if (current !== undefined && current.updatedAtMs === a.updatedAtMs) this.alerts.delete(a.fingerprint);
    }
  }
}

/** Routes alerts into aggregation groups and flushes them on their timers. */
export class Dispatcher {
  readonly #options: DispatcherOptions;
  /** Groups per route, by group key. */
  readonly #groups = new Map<Route, Map<string, AggregationGroup>>();
  readonly #pending = new Set<Promise<void>>();
  readonly #maintenance: AbortController = new AbortController();
  #closed = false;

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.#track(this.#maintain(options.maintenanceIntervalMs ?? 30_000));
  }

  /** Routes one alert (new or updated) into its groups. */
  process(alert: StoredAlert): void {
    if (this.#closed) return;
    for (const route of this.#options.route.match(alert.labels)) {
      const labels = groupLabelsFor(alert.labels, route);
      const key = groupKeyFor(route, labels);
      let byKey = this.#groups.get(route);
      if (byKey === undefined) {
        byKey = new Map();
        this.#groups.set(route, byKey);
      }
      let group = byKey.get(key);
      if (group === undefined) {
        group = new AggregationGroup(key, labels, route, this.#options, (p) => this.#track(p));
        byKey.set(key, group);
      }
      group.insert(alert);
    }
  }

  /**
   * Asks for the alerts with these fingerprints to be notified again: every group holding one of them is
   * marked, and its next flush (at its next `group_wait`/`group_interval` tick, not at once) gets them in
   * {@link FlushContext.renotify}. Fingerprints no group holds are ignored. Returns how many groups
   * were marked.
   */
  renotify(fingerprints: Iterable<string>): number {
    if (this.#closed) return 0;
    const wanted = new Set(fingerprints);
    let n = 0;
    for (const byKey of this.#groups.values()) {
      for (const g of byKey.values()) {
        let isMarked = false;
        for (const fp of wanted) {
          if (!g.alerts.has(fp)) continue;
          g.renotify.add(fp);
          isMarked = true;
        }
        if (isMarked) n++;
      }
    }
    return n;
  }

  /** Fingerprints asked to re-notify and not yet flushed, in any group (to carry them over a reload). */
  pendingRenotify(): string[] {
    const out = new Set<string>();
    for (const byKey of this.#groups.values())
      for (const g of byKey.values()) for (const fp of g.renotify) out.add(fp);
    return [...out];
  }

  /** Every group, for the API (`/api/v2/alerts/groups`). */
  groups(): AggregationGroupView[] {
    const out: AggregationGroupView[] = [];
    for (const [route, byKey] of this.#groups) {
      for (const g of byKey.values()) {
        out.push({
          groupKey: g.groupKey,
          route,
          receiver: route.opts.receiver,
          labels: g.labels,
          alerts: [...g.alerts.values()],
        });
      }
    }
    return out;
  }

  /** Number of aggregation groups. */
  get groupCount(): number {
    let n = 0;
    for (const byKey of this.#groups.values()) n += byKey.size;
    return n;
  }

  /** Stops every timer and waits for pending flushes; later alerts are ignored. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#maintenance.abort();
    for (const byKey of this.#groups.values()) for (const g of byKey.values()) g.stop();
    this.#groups.clear();
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Removes empty groups (Alertmanager's `doMaintenance`). */
  removeEmptyGroups(): void {
    for (const [route, byKey] of this.#groups) {
      for (const [key, g] of byKey) {
        if (g.isEmpty) {
          g.stop();
          byKey.delete(key);
        }
      }
      if (byKey.size === 0) this.#groups.delete(route);
    }
  }

  async #maintain(intervalMs: number): Promise<void> {
    const signal = this.#maintenance.signal;
    while (!signal.aborted) {
      try {
        await this.#options.clock.sleep(intervalMs, signal);
      } catch {
        return;
      }
      this.removeEmptyGroups();
    }
  }

  #track(p: Promise<void>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }
}
