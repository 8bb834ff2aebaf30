import type { Clock } from '../base/clock.js';
import { labelNameRe } from '../model/labels.js';
import { fingerprint } from './label-set.js';
import type { LabelSet, NotifyAlert } from './types.js';

/**
 * The alerts the pipeline knows, by fingerprint (Alertmanager 0.25's provider/mem with the API's
 * defaulting): `put` fills in missing `startsAt`/`endsAt` (`resolve_timeout`), validates, merges with
 * the stored alert when their activity overlaps, stores and tells subscribers. `gc` drops resolved
 * alerts. Single-threaded: listeners run synchronously inside `put` and `gc`.
 */

/** An alert as producers send it (POST /api/v2/alerts, rules, check monitors). Times in ms. */
export interface AlertInput {
  readonly labels: LabelSet;
  readonly annotations?: LabelSet;
  /** Absent or 0: now (or `endsAtMs` when only that is given). */
  readonly startsAtMs?: number;
  /** Absent or 0: now + resolve_timeout, refreshed by every re-send. */
  readonly endsAtMs?: number;
  readonly generatorURL?: string;
}

/** A stored alert: a {@link NotifyAlert} plus whether its `endsAtMs` came from `resolve_timeout`. */
export interface StoredAlert extends NotifyAlert {
  /** True when the producer sent no end time (Alertmanager's `Alert.Timeout`). */
  readonly timeout: boolean;
}

/** What happened in the store, as subscribers see it. */
export type AlertStoreEvent =
  | { readonly kind: 'put'; readonly alert: StoredAlert; readonly previous: StoredAlert | undefined }
  | { readonly kind: 'deleted'; readonly alert: StoredAlert };

/** An input `put` refused, with Alertmanager's reason. */
export interface InvalidAlert {
  readonly index: number;
  readonly labels: LabelSet;
  readonly reason: string;
}

/** Whether the alert is resolved at `atMs` (an end time at or before it). */
export function isResolvedAt(alert: NotifyAlert, atMs: number): boolean {
  return alert.endsAtMs > 0 && alert.endsAtMs <= atMs;
}

/**
 * Alertmanager's `Alert.Merge`: the younger alert (later `updatedAtMs`) wins, keeping the earliest
 * start; when it is resolved, the later of two explicit resolved ends; when it is firing, the older
 * alert's later end unless that end was only a resolve timeout.
 */
export function mergeAlerts(a: StoredAlert, b: StoredAlert, nowMs: number): StoredAlert {
  if (b.updatedAtMs < a.updatedAtMs) return mergeAlerts(b, a, nowMs);
  let startsAtMs = b.startsAtMs;
  let endsAtMs = b.endsAtMs;
  if (a.startsAtMs < b.startsAtMs) startsAtMs = a.startsAtMs;
  if (isResolvedAt(b, nowMs)) {
    if (isResolvedAt(a, nowMs) && a.endsAtMs > b.endsAtMs) endsAtMs = a.endsAtMs;
  } else if (a.endsAtMs > b.endsAtMs && !a.timeout) {
    endsAtMs = a.endsAtMs;
  }
  return { ...b, startsAtMs, endsAtMs };
}

function validate(
  labels: LabelSet,
  annotations: LabelSet,
  startsAtMs: number,
  endsAtMs: number,
): string | undefined {
  if (!(startsAtMs > 0)) return 'start time missing';
  if (endsAtMs > 0 && endsAtMs < startsAtMs) return 'start time must be before end time';
  for (const name of Object.keys(labels)) {
    if (!labelNameRe.test(name)) return `invalid label set: invalid name "${name}"`;
  }
  if (Object.keys(labels).length === 0) return 'at least one label pair required';
  for (const name of Object.keys(annotations)) {
    if (!labelNameRe.test(name)) return `invalid annotations: invalid name "${name}"`;
  }
  return undefined;
}

/** Options of an {@link AlertStore}. */
export interface AlertStoreOptions {
  readonly clock: Clock;
  /** `global.resolve_timeout` in ms. */
  readonly resolveTimeoutMs: number;
}

/** Alerts by fingerprint. */
export class AlertStore {
  readonly #clock: Clock;
  #resolveTimeoutMs: number;
  readonly #alerts = new Map<string, StoredAlert>();
  readonly #listeners = new Set<(e: AlertStoreEvent) => void>();

  constructor(options: AlertStoreOptions) {
    this.#clock = options.clock;
    this.#resolveTimeoutMs = options.resolveTimeoutMs;
  }

  /** Changes `resolve_timeout` for alerts put from now on (a config reload). */
  setResolveTimeout(ms: number): void {
    this.#resolveTimeoutMs = ms;
  }

  /**
   * Defaults, validates and stores the alerts; returns the ones refused (Alertmanager answers 400 with
   * their reasons but still stores the valid ones). Empty label values are dropped first.
   */
  put(inputs: readonly AlertInput[]): InvalidAlert[] {
    const now = this.#clock.now();
    const invalid: InvalidAlert[] = [];
    for (const [index, input] of inputs.entries()) {
      const labels = dropEmpty(input.labels);
      const annotations = dropEmpty(input.annotations ?? {});
      let startsAtMs = input.startsAtMs ?? 0;
      let endsAtMs = input.endsAtMs ?? 0;
      if (!(startsAtMs > 0)) startsAtMs = endsAtMs > 0 ? endsAtMs : now;
      let timeout = false;
      if (!(endsAtMs > 0)) {
        timeout = true;
        endsAtMs = now + this.#resolveTimeoutMs;
      }
      const reason = validate(labels, annotations, startsAtMs, endsAtMs);
      if (reason !== undefined) {
        invalid.push({ index, labels, reason });
        continue;
      }
      let alert: StoredAlert = {
        fingerprint: fingerprint(labels),
        labels,
        annotations,
        startsAtMs,
        endsAtMs,
        generatorURL: input.generatorURL ?? '',
        updatedAtMs: now,
        timeout,
      };
      const previous = this.#alerts.get(alert.fingerprint);
      if (previous !== undefined) {
        // Merge only when the activity ranges overlap; otherwise the new alert replaces the old one.
        if (
          (alert.endsAtMs > previous.startsAtMs && alert.endsAtMs < previous.endsAtMs) ||
          (alert.startsAtMs > previous.startsAtMs && alert.startsAtMs < previous.endsAtMs)
        ) {
          alert = mergeAlerts(previous, alert, now);
        }
      }
      this.#alerts.set(alert.fingerprint, alert);
      this.#emit({ kind: 'put', alert, previous });
    }
    return invalid;
  }

  /** The alert with this fingerprint, if stored. */
  get(fingerprint: string): StoredAlert | undefined {
    return this.#alerts.get(fingerprint);
  }

  /** Every stored alert, resolved ones included until `gc`. */
  list(): StoredAlert[] {
    return [...this.#alerts.values()];
  }

  get size(): number {
    return this.#alerts.size;
  }

  /** Deletes the alerts resolved at now and returns them (Alertmanager runs this every 30 minutes). */
  gc(): StoredAlert[] {
    const now = this.#clock.now();
    const deleted: StoredAlert[] = [];
    for (const [fp, alert] of this.#alerts) {
      if (isResolvedAt(alert, now)) {
        this.#alerts.delete(fp);
        deleted.push(alert);
      }
    }
    for (const alert of deleted) this.#emit({ kind: 'deleted', alert });
    return deleted;
  }

  /** Calls `listener` on every put and deletion until the returned function is called. */
  subscribe(listener: (event: AlertStoreEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: AlertStoreEvent): void {
    for (const l of this.#listeners) l(event);
  }
}

function dropEmpty(set: LabelSet): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(set)) if (v !== '') out[k] = v;
  return out;
}
