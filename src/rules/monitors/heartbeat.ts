import { z } from 'zod';
import type { Clock } from '../../base/clock.js';
import { formatDuration } from '../../base/duration.js';
import { AppError } from '../../base/errors.js';
import { nullLogger, type Logger } from '../../base/logger.js';
import type { Labels } from '../../model/labels.js';
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
} from './monitor-alert.js';
import { MonitorSnapshot, type LoadReport } from './snapshot-file.js';
import type { InhibitRuleConfig } from './threshold.js';

/**
 * Host heartbeat (issue 5): every host an agent reports for is remembered with the time it last
 * reported; one silent for `afterMs` (default 5 min) opens a CRITICAL
 * `HostUnreachable{host, instance=host, severity="critical"}` alert, which resolves when the host reports again.
 * What counts as a report is the caller's call to {@link HeartbeatMonitor.seen}: the server calls it
 * for every check-results POST and for remote_write requests from a Kanshi agent (see
 * {@link agentHostsOfSeries}). Known hosts and open alerts survive a restart; after one, every host
 * gets `afterMs` from the start before it counts as silent (the server was away, not the hosts).
 */

/** The `alertname` of heartbeat alerts. */
export const HEARTBEAT_ALERTNAME = 'HostUnreachable';

/** Options of {@link HeartbeatMonitor}. Durations in ms. */
export interface HeartbeatOptions {
  readonly clock: Clock;
  readonly notify: MonitorNotifyFn;
  readonly history?: MonitorHistory;
  readonly logger?: Logger;
  /** Silence that makes a host unreachable. Default 300 000 (5 min). */
  readonly afterMs?: number;
  /** The JSON snapshot file; without one the state lives in memory only. */
  readonly snapshotPath?: string;
  /** How often open alerts are re-sent to keep them alive; `endsAt` is 4× this ahead. Default 60 000. */
  readonly resendIntervalMs?: number;
  /** Period of {@link HeartbeatMonitor.run}'s ticks. Default 15 000. */
  readonly tickMs?: number;
  /** Kanshi's external URL, the base of each alert's `generatorURL`. Default ''. */
  readonly externalURL?: string;
}

/** A known host as the API lists it. */
export interface HostView {
  readonly host: string;
  /** When it last reported, ms since the epoch. */
  readonly lastSeenMs: number;
  readonly isUnreachable: boolean;
}

interface HostState {
  lastSeenMs: number;
  alert: {
    openedAtMs: number;
    lastSentAtMs: number | undefined;
    acknowledged: Acknowledgement | null;
  } | null;
}

const snapshotSchema = z.strictObject({
  version: z.literal(1),
  hosts: z.array(
    z.strictObject({
      host: z.string(),
      lastSeenMs: z.number(),
      alert: z
        .strictObject({
          openedAtMs: z.number(),
          acknowledged: z.strictObject({ by: z.string(), comment: z.string(), atMs: z.number() }).nullable(),
        })
        .nullable(),
    }),
  ),
});

/** The id of a host's heartbeat alert. */
export function heartbeatAlertId(host: string): string {
  return fingerprintOf({ alertname: HEARTBEAT_ALERTNAME, host });
}

function heartbeatLabels(host: string): MonitorLabelSet {
  return { alertname: HEARTBEAT_ALERTNAME, host, instance: host, severity: 'critical' };
}

/**
 * The inhibit rule (Alertmanager syntax) docs/monitors.md recommends: while a host is unreachable,
 * its other alerts — check alerts and threshold/rule alerts on the agent's series, which all carry
 * `instance` = the host — are muted rather than piling up.
 */
export const HOST_UNREACHABLE_INHIBIT_RULE: InhibitRuleConfig = {
  source_matchers: [`alertname="${HEARTBEAT_ALERTNAME}"`],
  target_matchers: [`alertname!="${HEARTBEAT_ALERTNAME}"`],
  equal: ['instance'],
};

/**
 * The hosts a Kanshi agent's remote_write series speak for: the `instance` label of series whose
 * `job` is the agent's (`node` for host metrics, `kanshi` for checks, plugins and probes). Call it
 * only for requests from a Kanshi agent (User-Agent `kanshi-agent`): other senders' `instance`
 * labels are scrape targets, not agents.
 */
export function agentHostsOfSeries(series: Iterable<Labels>): Set<string> {
  const hosts = new Set<string>();
  for (const labels of series) {
    let job = '';
    let instance = '';
    for (const l of labels) {
      if (l.name === 'job') job = l.value;
      else if (l.name === 'instance') instance = l.value;
    }
    if (instance !== '' && (job === 'node' || job === 'kanshi')) hosts.add(instance);
  }
  return hosts;
}

/** See the module comment. Call {@link load} once before use; {@link flush} at shutdown. */
export class HeartbeatMonitor {
  readonly #o: HeartbeatOptions;
  readonly #log: Logger;
  readonly #out: MonitorOutput;
  readonly #hosts = new Map<string, HostState>();
  readonly #snap: MonitorSnapshot<typeof snapshotSchema>;
  readonly #afterMs: number;
  readonly #resendMs: number;
  /** Hosts are not silent before `afterMs` has passed since this instant (the start). */
  readonly #startedAtMs: number;

  constructor(options: HeartbeatOptions) {
    this.#o = options;
    this.#log = (options.logger ?? nullLogger).child({ component: 'heartbeat' });
    this.#out = new MonitorOutput({
      notify: options.notify,
      history: options.history,
      log: this.#log,
      source: 'heartbeat',
    });
    this.#afterMs = options.afterMs ?? 300_000;
    this.#resendMs = options.resendIntervalMs ?? 60_000;
    this.#startedAtMs = options.clock.now();
    this.#snap = new MonitorSnapshot({
      file: options.snapshotPath,
      schema: snapshotSchema,
      name: 'heartbeat',
      serialize: () => this.#snapshot(),
      log: this.#log,
    });
  }

  /** Restores known hosts and open alerts; a damaged snapshot is moved aside and reported. Never rejects. */
  load(): Promise<LoadReport> {
    return this.#snap.load(this.#o.clock.now(), (state) => {
      let n = 0;
      for (const h of state.hosts) {
        this.#hosts.set(h.host, {
          lastSeenMs: h.lastSeenMs,
          alert: h.alert && { ...h.alert, lastSentAtMs: undefined },
        });
        if (h.alert) n++;
      }
      this.#log.info(
        { file: this.#o.snapshotPath, hosts: this.#hosts.size, alerts: n },
        'heartbeat state restored',
      );
      return n;
    });
  }

  /**
   * Records a report from `host` at `atMs` (default now; an older time than the last known is
   * ignored). A new host is remembered; an unreachable one is resolved at once.
   */
  seen(host: string, atMs: number = this.#o.clock.now()): void {
    const h = this.#hosts.get(host);
    if (!h) {
      this.#hosts.set(host, { lastSeenMs: atMs, alert: null });
      this.#snap.markDirty();
      return;
    }
    if (atMs <= h.lastSeenMs) return;
    h.lastSeenMs = atMs;
    this.#snap.markDirty();
    if (h.alert) {
      const now = this.#o.clock.now();
      this.#event(host, 'resolved', now, { last_seen: new Date(atMs).toISOString() });
      this.#out.send([this.#alertOf(host, h, now, true)], 'resolved');
      h.alert = null;
    }
  }

  /** Known hosts, by name. */
  hosts(): HostView[] {
    return [...this.#hosts.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([host, h]) => ({ host, lastSeenMs: h.lastSeenMs, isUnreachable: h.alert !== null }));
  }

  /** Open heartbeat alerts, oldest first. */
  alerts(): MonitorAlertView[] {
    const out: MonitorAlertView[] = [];
    for (const [host, h] of this.#hosts) if (h.alert) out.push(this.#view(host, h));
    return out.sort((a, b) => a.openedAtMs - b.openedAtMs);
  }

  /** The open heartbeat alert `id`, or undefined. */
  get(id: string): MonitorAlertView | undefined {
    for (const [host, h] of this.#hosts)
      if (h.alert && heartbeatAlertId(host) === id) return this.#view(host, h);
    return undefined;
  }

  /**
   * Acknowledges open alert `id` (shown in the API; heartbeat alerts are not re-notified). Throws
   * AppError `not_found`, `conflict` (already acknowledged) or `io` (snapshot not written).
   */
  async acknowledge(id: string, by: string, comment: string): Promise<MonitorAlertView> {
    for (const [host, h] of this.#hosts) {
      if (!h.alert || heartbeatAlertId(host) !== id) continue;
      if (h.alert.acknowledged)
        throw new AppError(
          'conflict',
          `alert "${id}" is already acknowledged by "${h.alert.acknowledged.by}"`,
        );
      const now = this.#o.clock.now();
      h.alert.acknowledged = { by, comment, atMs: now };
      this.#event(host, 'acknowledged', now, { by, comment });
      await this.#snap.save();
      return this.#view(host, h);
    }
    throw new AppError('not_found', `no open heartbeat alert with id "${id}"`);
  }

  /**
   * Forgets `host` (removed on purpose): its open alert is closed and it is no longer watched until
   * it reports again. Returns false when the host is not known. Throws AppError `io` when the
   * snapshot cannot be written.
   */
  async forget(host: string, by: string): Promise<boolean> {
    const h = this.#hosts.get(host);
    if (!h) return false;
    if (h.alert) {
      const now = this.#o.clock.now();
      this.#event(host, 'closed', now, { by, comment: 'host forgotten' });
      this.#out.send([this.#alertOf(host, h, now, true)], 'closed');
    }
    this.#hosts.delete(host);
    await this.#snap.save();
    return true;
  }

  /** Opens alerts for hosts silent for `afterMs`, re-sends open ones, writes the snapshot when changed. */
  async tick(nowMs: number = this.#o.clock.now()): Promise<void> {
    const opened: NotifierAlert[] = [];
    const refresh: NotifierAlert[] = [];
    for (const [host, h] of this.#hosts) {
      if (h.alert) {
        if (h.alert.lastSentAtMs === undefined || nowMs - h.alert.lastSentAtMs >= this.#resendMs) {
          h.alert.lastSentAtMs = nowMs;
          refresh.push(this.#alertOf(host, h, nowMs, false));
        }
        continue;
      }
      if (nowMs - Math.max(h.lastSeenMs, this.#startedAtMs) < this.#afterMs) continue;
      h.alert = { openedAtMs: nowMs, lastSentAtMs: nowMs, acknowledged: null };
      this.#snap.markDirty();
      this.#event(host, 'opened', nowMs, {
        severity: 'critical',
        last_seen: new Date(h.lastSeenMs).toISOString(),
      });
      opened.push(this.#alertOf(host, h, nowMs, false));
    }
    if (opened.length > 0) this.#out.send(opened, 'opened');
    if (refresh.length > 0) this.#out.send(refresh, 'refresh');
    if (this.#snap.isDirty) await this.#snap.flushLogged();
  }

  /** Ticks every `tickMs` until `signal` aborts; resolves then. */
  async run(signal: AbortSignal): Promise<void> {
    const tickMs = this.#o.tickMs ?? 15_000;
    while (!signal.aborted) {
      try {
        await this.#o.clock.sleep(tickMs, signal);
      } catch {
        return;
      }
      await this.tick();
    }
  }

  /** Writes the snapshot. Rejects with AppError `io` when it cannot. */
  flush(): Promise<void> {
    return this.#snap.flush();
  }

  #alertOf(host: string, h: HostState, now: number, resolved: boolean): NotifierAlert {
    return {
      labels: heartbeatLabels(host),
      annotations: this.#annotations(host, h),
      startsAt: new Date(h.alert?.openedAtMs ?? now).toISOString(),
      endsAt: new Date(resolved ? now : now + 4 * this.#resendMs).toISOString(),
      generatorURL: `${this.#o.externalURL ?? ''}/api/kanshi/v1/checks?host=${encodeURIComponent(host)}`,
    };
  }

  #annotations(host: string, h: HostState): MonitorLabelSet {
    return {
      summary: `host ${host} is unreachable`,
      message: `no report from ${host} for ${formatDuration(this.#afterMs)} or more; last report at ${new Date(h.lastSeenMs).toISOString()}`,
    };
  }

  #view(host: string, h: HostState): MonitorAlertView {
    const a = h.alert!;
    return {
      id: heartbeatAlertId(host),
      source: 'heartbeat',
      host,
      severity: 'critical',
      status: 'UNREACHABLE',
      labels: heartbeatLabels(host),
      annotations: this.#annotations(host, h),
      openedAtMs: a.openedAtMs,
      levelChangedAtMs: a.openedAtMs,
      lastNotifiedAtMs: a.openedAtMs,
      acknowledged: a.acknowledged,
      recoveredAtMs: null,
      preventAutoClose: false,
    };
  }

  #event(host: string, kind: MonitorEventKind, atMs: number, detail: Readonly<Record<string, string>>): void {
    this.#out.record(heartbeatAlertId(host), heartbeatLabels(host), kind, atMs, detail);
  }

  #snapshot(): z.input<typeof snapshotSchema> {
    return {
      version: 1,
      hosts: [...this.#hosts.entries()].map(([host, h]) => ({
        host,
        lastSeenMs: h.lastSeenMs,
        alert: h.alert && { openedAtMs: h.alert.openedAtMs, acknowledged: h.alert.acknowledged },
      })),
    };
  }
}
