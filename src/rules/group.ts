import type { Clock } from '../base/clock.js';
import { errorMessage } from '../base/errors.js';
import { nullLogger, type Logger } from '../base/logger.js';
import { Registry, type Counter, type Gauge } from '../exposition/registry.js';
import { labelsFromRecord, labelsToRecord, METRIC_NAME, type Labels } from '../model/labels.js';
import { STALE_NAN } from '../model/sample.js';
import type { QueryFn, Sample } from '../promql/index.js';
import type { Appendable } from '../storage/storage.js';
import type { RuleConfig, RuleGroupConfig } from './rule-file.js';
import { expandRuleTemplate, type TemplateSample } from './template.js';

/**
 * Rule groups evaluated as Prometheus's rules/manager.go, group.go, alerting.go and recording.go:
 * recording rules write their vector back through an Appendable (with staleness markers for series
 * that disappear); alerting rules go inactive → pending → firing → resolved, write `ALERTS` and
 * `ALERTS_FOR_STATE`, and hand firing and resolved alerts to a {@link NotifyFn}.
 */

/** An alert's state, as Prometheus's `rules.AlertState`. */
export type AlertState = 'inactive' | 'pending' | 'firing';

/** An active (or recently resolved) alert of an alerting rule. Times in ms since the epoch. */
export interface Alert {
  state: AlertState;
  readonly labels: Labels;
  annotations: Readonly<Record<string, string>>;
  /** The last value of the rule's expression for this alert. */
  value: number;
  activeAtMs: number;
  firedAtMs: number | undefined;
  resolvedAtMs: number | undefined;
  lastSentAtMs: number | undefined;
  validUntilMs: number | undefined;
  keepFiringSinceMs: number | undefined;
}

/** An alert as Alertmanager's API v2 receives it (`POST /api/v2/alerts`). Times are RFC 3339. */
export interface NotifierAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL: string;
}

/** Receives the alerts of one rule that need sending (firing, or resolved since last sent). Must not throw. */
export type NotifyFn = (expr: string, alerts: readonly NotifierAlert[]) => void;

/** Kanshi's rule metrics (`kanshi_rule_*`), registered once per manager. */
export class RuleMetrics {
  readonly evaluations: Counter;
  readonly evaluationFailures: Counter;
  readonly groupLastDuration: Gauge;
  readonly groupLastEvaluation: Gauge;
  readonly groupRules: Gauge;
  readonly groupInterval: Gauge;
  readonly missedIterations: Counter;

  constructor(registry: Registry = new Registry()) {
    this.evaluations = registry.counter('kanshi_rule_evaluations_total', 'Rule evaluations.');
    this.evaluationFailures = registry.counter(
      'kanshi_rule_evaluation_failures_total',
      'Rule evaluations that failed.',
    );
    this.groupLastDuration = registry.gauge(
      'kanshi_rule_group_last_duration_seconds',
      'Duration of the last evaluation of the group.',
    );
    this.groupLastEvaluation = registry.gauge(
      'kanshi_rule_group_last_evaluation_timestamp_seconds',
      'When the group was last evaluated.',
    );
    this.groupRules = registry.gauge('kanshi_rule_group_rules', 'Rules in the group.');
    this.groupInterval = registry.gauge(
      'kanshi_rule_group_interval_seconds',
      'The group evaluation interval.',
    );
    this.missedIterations = registry.counter(
      'kanshi_rule_group_iterations_missed_total',
      'Group evaluations skipped because the previous one ran long.',
    );
  }
}

/** What a group needs from its environment. */
export interface RuleGroupOptions {
  readonly queryFn: QueryFn;
  readonly appendable: Appendable;
  readonly clock: Clock;
  readonly notify?: NotifyFn;
  readonly externalLabels?: Readonly<Record<string, string>>;
  readonly externalURL?: string;
  /** Interval of groups that set none (global `evaluation_interval`), ms; default 1 minute. */
  readonly defaultIntervalMs?: number;
  /** Query offset of groups that set none (global `rule_query_offset`), ms; default 0. */
  readonly defaultQueryOffsetMs?: number;
  /** Least time between two sends of a firing alert, ms; default 1 minute as Prometheus. */
  readonly resendDelayMs?: number;
  /** How long a restart may last for `for` state to be restored (Prometheus `--rules.alert.for-outage-tolerance`), ms; default 1 h. */
  readonly outageToleranceMs?: number;
  /** Least `for` left after a restore (`--rules.alert.for-grace-period`), ms; default 10 min. */
  readonly forGracePeriodMs?: number;
  /** Whether to restore `for` state from ALERTS_FOR_STATE at the first evaluation; default true. */
  readonly restoreForState?: boolean;
  readonly metrics?: RuleMetrics;
  readonly logger?: Logger;
}

/** Resolved alerts stay this long so receivers see the resolution (Prometheus `resolvedRetention`). */
export const RESOLVED_RETENTION_MS = 15 * 60_000;

/** An alerting rule and its active alerts. Not safe for concurrent evaluation. */
export class AlertingRule {
  readonly config: RuleConfig;
  readonly name: string;
  /** Rule labels with the group's labels merged under them. */
  readonly labels: Readonly<Record<string, string>>;
  /** Active alerts by label-set key. */
  readonly active = new Map<string, Alert>();
  /** Whether `for` state has been restored (ALERTS are written only after). */
  restored = false;
  lastError: string | undefined;
  /** Evaluation instant of the last evaluation (ms since the epoch); undefined before the first. */
  lastEvalMs: number | undefined;
  /** How long the last evaluation took, ms. */
  lastDurationMs = 0;

  constructor(config: RuleConfig, groupLabels: Readonly<Record<string, string>>) {
    this.config = config;
    this.name = config.alert ?? '';
    this.labels = { ...groupLabels, ...config.labels };
  }

  /** Identity across reloads: same name, expression, labels, annotations and durations keep state. */
  get key(): string {
    return JSON.stringify([
      'alert',
      this.name,
      this.config.expr,
      this.labels,
      this.config.annotations,
      this.config.forMs,
      this.config.keepFiringForMs,
    ]);
  }

  /**
   * Evaluates at `tsMs` (query time `tsMs - queryOffsetMs`) and returns the ALERTS and
   * ALERTS_FOR_STATE samples to write. Throws on a query error or a duplicate label set.
   */
  async eval(tsMs: number, queryOffsetMs: number, limit: number, env: EvalEnv): Promise<Sample[]> {
    const qt = tsMs - queryOffsetMs;
    const res = await env.queryFn(this.config.expr, qt);
    const seen = new Set<string>();
    const fresh = new Map<string, Alert>();
    for (const s of res) {
      const l = labelsToRecord(s.labels);
      const data = {
        labels: l,
        externalLabels: env.externalLabels,
        externalURL: env.externalURL,
        value: s.v,
      };
      const q = env.templateQuery(qt);
      const lb: Record<string, string> = { ...l };
      delete lb[METRIC_NAME];
      for (const [k, v] of Object.entries(this.labels))
        lb[k] = await expandRuleTemplate(this.name, v, data, q);
      lb.alertname = this.name;
      const annotations: Record<string, string> = {};
      for (const [k, v] of Object.entries(this.config.annotations))
        annotations[k] = await expandRuleTemplate(this.name, v, data, q);
      const labels = labelsFromRecord(lb);
      const key = labelsKey(labels);
      if (seen.has(key))
        throw new Error('vector contains metrics with the same labelset after applying alert labels');
      seen.add(key);
      fresh.set(key, {
        state: 'pending',
        labels,
        annotations,
        value: s.v,
        activeAtMs: tsMs,
        firedAtMs: undefined,
        resolvedAtMs: undefined,
        lastSentAtMs: undefined,
        validUntilMs: undefined,
        keepFiringSinceMs: undefined,
      });
    }
    for (const [key, a] of fresh) {
      const old = this.active.get(key);
      if (old && old.state !== 'inactive') {
        old.value = a.value;
        old.annotations = a.annotations;
        continue;
      }
      this.active.set(key, a);
    }
    const out: Sample[] = [];
    let numActive = 0;
    for (const [key, a] of this.active) {
      if (!seen.has(key)) {
        let keepFiring = false;
        if (a.state === 'firing' && this.config.keepFiringForMs > 0) {
          a.keepFiringSinceMs ??= tsMs;
          if (tsMs - a.keepFiringSinceMs < this.config.keepFiringForMs) keepFiring = true;
        }
        if (
          a.state === 'pending' ||
          (a.resolvedAtMs !== undefined && tsMs - a.resolvedAtMs > RESOLVED_RETENTION_MS)
        ) {
          this.active.delete(key);
        }
        if (a.state !== 'inactive' && !keepFiring) {
          a.state = 'inactive';
          a.resolvedAtMs = tsMs;
        }
        if (!keepFiring) continue;
      } else {
        a.keepFiringSinceMs = undefined;
      }
      numActive++;
      if (a.state === 'pending' && tsMs - a.activeAtMs >= this.config.forMs) {
        a.state = 'firing';
        a.firedAtMs = tsMs;
      }
      if (this.restored) {
        out.push({ labels: alertSeries(a.labels, 'ALERTS', a.state), t: qt, v: 1 });
        out.push({ labels: alertSeries(a.labels, 'ALERTS_FOR_STATE'), t: qt, v: a.activeAtMs / 1000 });
      }
    }
    if (limit > 0 && numActive > limit) {
      this.active.clear();
      throw new Error(`exceeded limit of ${limit} with ${numActive} alerts`);
    }
    return out;
  }

  /** The alerts to send at `tsMs` (Prometheus `sendAlerts`), marking them sent. */
  alertsToSend(
    tsMs: number,
    resendDelayMs: number,
    intervalMs: number,
    externalURL: string,
  ): NotifierAlert[] {
    const out: NotifierAlert[] = [];
    for (const a of this.active.values()) {
      if (a.state === 'pending') continue;
      const resolvedSinceSent =
        a.resolvedAtMs !== undefined && (a.lastSentAtMs === undefined || a.resolvedAtMs > a.lastSentAtMs);
      if (!resolvedSinceSent && a.lastSentAtMs !== undefined && a.lastSentAtMs + resendDelayMs >= tsMs)
        continue;
      a.lastSentAtMs = tsMs;
      a.validUntilMs = tsMs + 4 * Math.max(resendDelayMs, intervalMs);
      out.push({
        labels: labelsToRecord(a.labels),
        annotations: { ...a.annotations },
        startsAt: new Date(a.firedAtMs ?? a.activeAtMs).toISOString(),
        endsAt: new Date(a.resolvedAtMs ?? a.validUntilMs).toISOString(),
        generatorURL: `${externalURL}/graph?g0.expr=${encodeURIComponent(this.config.expr)}&g0.tab=1`,
      });
    }
    return out;
  }
}

/** A recording rule and the series it wrote last time (for staleness markers). */
export class RecordingRule {
  readonly config: RuleConfig;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  lastError: string | undefined;
  /** Evaluation instant of the last evaluation (ms since the epoch); undefined before the first. */
  lastEvalMs: number | undefined;
  /** How long the last evaluation took, ms. */
  lastDurationMs = 0;

  constructor(config: RuleConfig, groupLabels: Readonly<Record<string, string>>) {
    this.config = config;
    this.name = config.record ?? '';
    this.labels = { ...groupLabels, ...config.labels };
  }

  get key(): string {
    return JSON.stringify(['record', this.name, this.config.expr, this.labels]);
  }

  /** Evaluates at `tsMs - queryOffsetMs`; returns the samples to write. Throws on a query error, duplicates or the limit. */
  async eval(tsMs: number, queryOffsetMs: number, limit: number, env: EvalEnv): Promise<Sample[]> {
    const qt = tsMs - queryOffsetMs;
    const res = await env.queryFn(this.config.expr, qt);
    const out: Sample[] = [];
    const seen = new Set<string>();
    for (const s of res) {
      const l = labelsToRecord(s.labels);
      l[METRIC_NAME] = this.name;
      for (const [k, v] of Object.entries(this.labels)) l[k] = v;
      const labels = labelsFromRecord(l);
      const key = labelsKey(labels);
      if (seen.has(key))
        throw new Error('vector contains metrics with the same labelset after applying rule labels');
      seen.add(key);
      out.push({ labels, t: qt, v: s.v });
    }
    if (limit > 0 && out.length > limit)
      throw new Error(`exceeded limit of ${limit} with ${out.length} series`);
    return out;
  }
}

/** Either kind of rule. */
export type Rule = AlertingRule | RecordingRule;

interface EvalEnv {
  readonly queryFn: QueryFn;
  readonly externalLabels: Readonly<Record<string, string>>;
  readonly externalURL: string;
  templateQuery(tMs: number): (expr: string) => Promise<TemplateSample[]>;
}

function labelsKey(labels: Labels): string {
  let k = '';
  for (const l of labels) k += `${l.name}\u0000${l.value}\u0001`;
  return k;
}

function alertSeries(labels: Labels, name: string, state?: AlertState): Labels {
  const r = labelsToRecord(labels);
  r[METRIC_NAME] = name;
  if (state !== undefined) r.alertstate = state;
  return labelsFromRecord(r);
}

/** A 64-bit FNV-1a of the group's name and file, for its evaluation offset within the interval. */
function groupHash(name: string, file: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const c of Buffer.from(`${name}\u00ff${file}`, 'utf8')) {
    h ^= BigInt(c);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

/**
 * One rule group: its rules evaluated in order at the group's interval. The evaluation instant is
 * aligned like Prometheus's `EvalTimestamp`: a fixed offset within the interval derived from a hash
 * of the group's name and file, so groups spread over the interval and restarts keep the phase.
 */
export class RuleGroup {
  readonly config: RuleGroupConfig;
  readonly rules: readonly Rule[];
  readonly intervalMs: number;
  readonly queryOffsetMs: number;
  readonly #opts: RuleGroupOptions;
  readonly #metrics: RuleMetrics;
  readonly #logger: Logger;
  /** Series each recording rule / alerting rule wrote in the previous evaluation, by rule index. */
  #prevSeries: Map<string, Labels>[] = [];
  #evaluatedOnce = false;
  lastEvalMs: number | undefined;
  lastDurationMs = 0;

  constructor(config: RuleGroupConfig, opts: RuleGroupOptions) {
    this.config = config;
    this.#opts = opts;
    this.#metrics = opts.metrics ?? new RuleMetrics();
    this.#logger = opts.logger ?? nullLogger;
    this.intervalMs = config.intervalMs ?? opts.defaultIntervalMs ?? 60_000;
    this.queryOffsetMs = config.queryOffsetMs ?? opts.defaultQueryOffsetMs ?? 0;
    this.rules = config.rules.map((r) =>
      r.alert !== undefined ? new AlertingRule(r, config.labels) : new RecordingRule(r, config.labels),
    );
    this.#prevSeries = this.rules.map(() => new Map<string, Labels>());
    if (opts.restoreForState === false)
      for (const r of this.rules) if (r instanceof AlertingRule) r.restored = true;
  }

  /** `file;name`, the group's identity in a manager. */
  get key(): string {
    return `${this.config.file};${this.config.name}`;
  }

  /** The aligned evaluation instant at or before `nowMs`. */
  evalTimestamp(nowMs: number): number {
    const offset = Number(groupHash(this.config.name, this.config.file) % BigInt(this.intervalMs));
    const adj = nowMs - offset;
    return adj - (((adj % this.intervalMs) + this.intervalMs) % this.intervalMs) + offset;
  }

  /** Takes over alert state and staleness tracking of unchanged rules from `old` (reload). */
  copyState(old: RuleGroup): void {
    const byKey = new Map<string, number>();
    old.rules.forEach((r, i) => byKey.set(r.key, i));
    this.rules.forEach((r, i) => {
      const j = byKey.get(r.key);
      if (j === undefined) return;
      const o = old.rules[j];
      if (r instanceof AlertingRule && o instanceof AlertingRule) {
        for (const [k, a] of o.active) r.active.set(k, a);
        r.restored = o.restored;
      }
      if (o) {
        r.lastError = o.lastError;
        r.lastEvalMs = o.lastEvalMs;
        r.lastDurationMs = o.lastDurationMs;
      }
      this.#prevSeries[i] = old.#prevSeries[j] ?? new Map<string, Labels>();
      byKey.delete(r.key);
    });
    this.#evaluatedOnce = old.#evaluatedOnce;
    this.lastEvalMs = old.lastEvalMs;
    this.lastDurationMs = old.lastDurationMs;
  }

  /** Evaluates every rule at `tsMs` and writes the results; rule errors are counted and logged, never thrown. */
  async evaluate(tsMs: number): Promise<void> {
    const start = this.#opts.clock.now();
    const env: EvalEnv = {
      queryFn: this.#opts.queryFn,
      externalLabels: this.#opts.externalLabels ?? {},
      externalURL: this.#opts.externalURL ?? '',
      templateQuery: (t) => async (expr) =>
        (await this.#opts.queryFn(expr, t)).map((s) => ({
          Labels: new Map(Object.entries(labelsToRecord(s.labels))),
          Value: s.v,
        })),
    };
    const gl = { rule_group: this.key };
    for (const [i, rule] of this.rules.entries()) {
      this.#metrics.evaluations.inc(gl);
      const ruleStart = this.#opts.clock.now();
      rule.lastEvalMs = tsMs;
      let samples: Sample[];
      try {
        samples = await rule.eval(tsMs, this.queryOffsetMs, this.config.limit, env);
        rule.lastError = undefined;
        rule.lastDurationMs = this.#opts.clock.now() - ruleStart;
      } catch (e) {
        rule.lastDurationMs = this.#opts.clock.now() - ruleStart;
        rule.lastError = errorMessage(e);
        this.#metrics.evaluationFailures.inc(gl);
        this.#logger.warn(
          { group: this.config.name, rule: rule.name, err: rule.lastError },
          'rule evaluation failed',
        );
        samples = [];
        // Prometheus keeps the previous series on error (no staleness), so skip the write.
        continue;
      }
      if (rule instanceof AlertingRule && this.#opts.notify) {
        const alerts = rule.alertsToSend(
          tsMs,
          this.#opts.resendDelayMs ?? 60_000,
          this.intervalMs,
          env.externalURL,
        );
        if (alerts.length > 0) this.#opts.notify(rule.config.expr, alerts);
      }
      const app = this.#opts.appendable.appender();
      const cur = new Map<string, Labels>();
      for (const s of samples) {
        cur.set(labelsKey(s.labels), s.labels);
        const rej = app.append(s.labels, s.t, s.v);
        if (rej !== null) this.#logger.warn({ rule: rule.name, reason: rej }, 'rule result rejected');
      }
      const prev = this.#prevSeries[i] ?? new Map<string, Labels>();
      for (const [k, l] of prev) if (!cur.has(k)) app.append(l, tsMs - this.queryOffsetMs, STALE_NAN);
      this.#prevSeries[i] = cur;
      await app.commit();
    }
    if (!this.#evaluatedOnce) {
      this.#evaluatedOnce = true;
      if (this.#opts.restoreForState !== false) await this.#restoreForState(tsMs);
    }
    this.lastEvalMs = tsMs;
    this.lastDurationMs = this.#opts.clock.now() - start;
    this.#metrics.groupLastDuration.set(this.lastDurationMs / 1000, gl);
    this.#metrics.groupLastEvaluation.set(tsMs / 1000, gl);
    this.#metrics.groupRules.set(this.rules.length, gl);
    this.#metrics.groupInterval.set(this.intervalMs / 1000, gl);
  }

  /**
   * Prometheus's `RestoreForState`: for each pending/firing alert with `for` > grace period, reads
   * the last ALERTS_FOR_STATE sample within the outage tolerance and moves `activeAt` so the `for`
   * timer continues where it stopped (counting the downtime as pending time only up to the grace).
   */
  async #restoreForState(tsMs: number): Promise<void> {
    const tolerance = this.#opts.outageToleranceMs ?? 3_600_000;
    const grace = this.#opts.forGracePeriodMs ?? 600_000;
    for (const rule of this.rules) {
      if (!(rule instanceof AlertingRule)) continue;
      try {
        if (rule.config.forMs >= grace) {
          for (const a of rule.active.values()) {
            const sel = `ALERTS_FOR_STATE{${a.labels.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(',')}}`;
            const window = `${Math.max(1, Math.round((tolerance + rule.config.forMs) / 1000))}s`;
            const [last] = await this.#opts.queryFn(`last_over_time(${sel}[${window}])`, tsMs);
            const [at] = await this.#opts.queryFn(
              `max_over_time(timestamp(${sel})[${window}:${Math.max(1, this.intervalMs / 1000)}s])`,
              tsMs,
            );
            if (!last || !at) continue;
            const downAtMs = at.v * 1000;
            if (tsMs - downAtMs > tolerance) continue;
            let restoredActiveAtMs = last.v * 1000;
            const remaining = rule.config.forMs - (downAtMs - restoredActiveAtMs);
            if (remaining <= 0) {
              // It was firing when we went down; the next evaluation fires it again if still true.
            } else if (remaining < grace) {
              restoredActiveAtMs = tsMs + grace - rule.config.forMs;
            } else {
              restoredActiveAtMs += tsMs - downAtMs;
            }
            a.activeAtMs = restoredActiveAtMs;
          }
        }
      } catch (e) {
        this.#logger.warn({ rule: rule.name, err: errorMessage(e) }, 'restoring alert state failed');
      }
      rule.restored = true;
    }
  }

  /** Evaluates at every aligned instant until `signal` aborts; resolves then. */
  async run(signal: AbortSignal): Promise<void> {
    const clock = this.#opts.clock;
    let next = this.evalTimestamp(clock.now()) + this.intervalMs;
    while (!signal.aborted) {
      try {
        await clock.sleep(Math.max(0, next - clock.now()), signal);
      } catch {
        return;
      }
      await this.evaluate(next);
      const now = clock.now();
      let after = next + this.intervalMs;
      if (after <= now) {
        const missed = Math.floor((now - next) / this.intervalMs);
        this.#metrics.missedIterations.inc({ rule_group: this.key }, missed);
        after = next + (missed + 1) * this.intervalMs;
      }
      next = after;
    }
  }

  /** Writes staleness markers for every series the group wrote last (the group is being removed). */
  async markStale(tsMs: number): Promise<void> {
    const app = this.#opts.appendable.appender();
    for (const prev of this.#prevSeries) for (const l of prev.values()) app.append(l, tsMs, STALE_NAN);
    await app.commit();
  }
}

/**
 * All rule groups of a configuration. `applyConfig` swaps in a new set of groups, keeping the alert
 * state of unchanged rules; each group runs its own loop until {@link close}.
 */
export class RuleManager {
  readonly #opts: RuleGroupOptions;
  readonly metrics: RuleMetrics;
  #groups = new Map<string, { group: RuleGroup; stop: AbortController; done: Promise<void> }>();

  constructor(opts: RuleGroupOptions, registry?: Registry) {
    this.metrics = opts.metrics ?? new RuleMetrics(registry);
    this.#opts = { ...opts, metrics: this.metrics };
  }

  /** The running groups, in file and name order. */
  get groups(): RuleGroup[] {
    return [...this.#groups.values()].map((g) => g.group).sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  /** Replaces the groups with `configs`; unchanged rules keep their alerts, removed groups mark their series stale. */
  async applyConfig(configs: readonly RuleGroupConfig[]): Promise<void> {
    const next = new Map<string, { group: RuleGroup; stop: AbortController; done: Promise<void> }>();
    for (const c of configs) {
      const group = new RuleGroup(c, this.#opts);
      const old = this.#groups.get(group.key);
      if (old) {
        old.stop.abort();
        await old.done;
        group.copyState(old.group);
      }
      const stop = new AbortController();
      next.set(group.key, { group, stop, done: group.run(stop.signal) });
    }
    for (const [key, old] of this.#groups) {
      if (next.has(key)) continue;
      old.stop.abort();
      await old.done;
      await old.group.markStale(this.#opts.clock.now());
    }
    this.#groups = next;
  }

  /** Stops every group loop; resolves when they have stopped. */
  async close(): Promise<void> {
    for (const g of this.#groups.values()) g.stop.abort();
    await Promise.all([...this.#groups.values()].map((g) => g.done));
    this.#groups.clear();
  }
}
