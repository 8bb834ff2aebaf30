import { randomUUID } from 'node:crypto';
import type { Clock } from '../../base/clock.js';
import { AppError, errorMessage } from '../../base/errors.js';
import { nullLogger, type Logger } from '../../base/logger.js';
import type { Counter, Registry } from '../../exposition/registry.js';
import { labelsFromRecord } from '../../model/labels.js';
import type { MetricFamily } from '../../model/metric.js';
import type { LabelSet, MuteState, Silencer } from '../types.js';
import {
  compileWindow,
  type CompiledWindow,
  type MaintenanceWindow,
  type MaintenanceWindowSpec,
} from './maintenance.js';
import {
  allMatchEmpty,
  compileMatcher,
  matchesLabelSet,
  silenceMatchesFilter,
  type CompiledMatcher,
  type SilenceMatcher,
} from './matcher.js';
import { silenceState, type Silence, type SilenceState } from './silence.js';
import { readSnapshot, writeSnapshot, type Snapshot } from './snapshot.js';

export { silenceState, type Silence, type SilenceState } from './silence.js';

/**
 * The silence store (Alertmanager's silence/silence.go semantics) and the maintenance windows beside
 * it, answering the pipeline's {@link Silencer} port for both.
 *
 * - A silence is pending before `startsAt`, active from `startsAt` to `endsAt` inclusive, expired
 *   after `endsAt`.
 * - Changing a silence keeps its id when history is not rewritten (same matchers; an active one keeps
 *   its start and does not end in the past; a pending one does not start in the past). Otherwise the
 *   old silence is expired and a new one with a new id replaces it.
 * - Silences expired longer than the retention (default 120 h) are dropped by {@link Silences.gc}.
 * - Every change is written to the snapshot file (JSON, temp file + fsync + rename) before the call
 *   resolves; the file is read by {@link Silences.open}. A damaged file is logged, renamed aside to
 *   `<file>.damaged-<ms>` and the store starts empty.
 *
 * Concurrency: one instance per snapshot file; methods are not reentrant across processes.
 */

/** What a client sends to create or change a silence. */
export interface SilenceInput {
  /** The silence to change; absent to create one. */
  readonly id?: string;
  readonly matchers: readonly SilenceMatcher[];
  /** Default now; a new silence never starts in the past. */
  readonly startsAtMs?: number;
  readonly endsAtMs: number;
  readonly createdBy: string;
  readonly comment: string;
}

/** Options of {@link Silences.open}. */
export interface SilencesOptions {
  readonly clock: Clock;
  readonly logger?: Logger;
  /** The snapshot file; none keeps everything in memory only. */
  readonly snapshotPath?: string;
  /** How long expired silences (and maintenance windows past `validUntil`) are kept, ms. Default 120 h. */
  readonly retentionMs?: number;
  /** Period of the GC in {@link Silences.run}, ms. Default 15 min as Alertmanager's maintenance. */
  readonly maintenanceIntervalMs?: number;
  /**
   * Receives `kanshi_silences{state}`, `kanshi_maintenance_windows{state}` (active/inactive) and
   * `kanshi_silences_snapshot_failures_total` when given.
   */
  readonly registry?: Registry;
}

interface StoredSilence {
  readonly silence: Silence;
  readonly matchers: readonly CompiledMatcher[];
}

const DEFAULT_RETENTION_MS = 120 * 3_600_000;

/** Silences and maintenance windows of one tenant. See the module comment for the rules. */
export class Silences implements Silencer {
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #path: string | undefined;
  readonly #retentionMs: number;
  readonly #intervalMs: number;
  readonly #silences = new Map<string, StoredSilence>();
  readonly #windows = new Map<string, CompiledWindow>();
  #writing: Promise<void> = Promise.resolve();
  readonly #snapshotFailures: Counter | undefined;

  private constructor(options: SilencesOptions) {
    this.#clock = options.clock;
    this.#log = (options.logger ?? nullLogger).child({ component: 'silences' });
    this.#path = options.snapshotPath;
    this.#retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.#intervalMs = options.maintenanceIntervalMs ?? 15 * 60_000;
    this.#snapshotFailures = options.registry?.counter(
      'kanshi_silences_snapshot_failures_total',
      'Writes of the silences snapshot file that failed.',
    );
    options.registry?.addCollector(() => this.#families());
  }

  #families(): MetricFamily[] {
    const now = this.#clock.now();
    const silences: Record<SilenceState, number> = { active: 0, pending: 0, expired: 0 };
    for (const { silence } of this.#silences.values()) silences[silenceState(silence, now)]++;
    let active = 0;
    for (const w of this.#windows.values()) if (w.schedule.activeAt(now) !== undefined) active++;
    const windows = { active, inactive: this.#windows.size - active };
    const gauge = (name: string, help: string, counts: Record<string, number>): MetricFamily => ({
      name,
      type: 'gauge',
      help,
      samples: Object.entries(counts).map(([state, value]) => ({
        name,
        labels: labelsFromRecord({ state }),
        value,
      })),
    });
    return [
      gauge('kanshi_silences', 'Silences kept, by state.', silences),
      gauge(
        'kanshi_maintenance_windows',
        'Maintenance windows, by whether one of their windows is in force.',
        windows,
      ),
    ];
  }

  /** Opens the store, loading the snapshot file when there is one. Never fails on a damaged file. */
  static async open(options: SilencesOptions): Promise<Silences> {
    const s = new Silences(options);
    if (s.#path !== undefined) {
      const snap = await readSnapshot(s.#path, s.#log, s.#clock.now());
      if (snap !== undefined) s.#load(snap);
    }
    return s;
  }

  #load(snap: Snapshot): void {
    for (const [i, sil] of snap.silences.entries()) {
      try {
        this.#silences.set(sil.id, { silence: sil, matchers: validateSilence(sil) });
      } catch (err) {
        this.#log.error(
          { index: i, id: sil.id, err: errorMessage(err) },
          'skipping an invalid silence in the snapshot',
        );
      }
    }
    for (const [i, w] of snap.maintenanceWindows.entries()) {
      try {
        this.#windows.set(w.id, compileWindow(w));
      } catch (err) {
        this.#log.error(
          { index: i, id: w.id, err: errorMessage(err) },
          'skipping an invalid maintenance window in the snapshot',
        );
      }
    }
  }

  // ---- the Silencer port ----

  /** Active silences and maintenance windows matching `labels` at `atMs`; ids sorted. */
  mutes(labels: LabelSet, atMs: number): MuteState {
    const silencedBy: string[] = [];
    const maintenanceBy: string[] = [];
    for (const { silence, matchers } of this.#silences.values()) {
      if (silenceState(silence, atMs) === 'active' && matchesLabelSet(labels, matchers))
        silencedBy.push(silence.id);
    }
    for (const w of this.#windows.values()) {
      if (matchesLabelSet(labels, w.matchers) && w.schedule.activeAt(atMs) !== undefined) {
        maintenanceBy.push(w.window.id);
      }
    }
    maintenanceBy.sort();
    silencedBy.push(...maintenanceBy);
    silencedBy.sort();
    return { silencedBy, maintenanceBy };
  }

  // ---- silences ----

  /** The silence with `id`, if kept. */
  get(id: string): Silence | undefined {
    return this.#silences.get(id)?.silence;
  }

  /**
   * Silences whose matchers include every `filter` matcher (same name, operator and value), in
   * Alertmanager's order: active by end, pending by start, expired by end descending.
   */
  query(filter: readonly SilenceMatcher[] = []): Silence[] {
    const now = this.#clock.now();
    const rank: Record<SilenceState, number> = { active: 0, pending: 1, expired: 2 };
    const out = [...this.#silences.values()]
      .map((s) => s.silence)
      .filter((s) => silenceMatchesFilter(s.matchers, filter));
    return out.sort((a, b) => {
      const sa = silenceState(a, now);
      const sb = silenceState(b, now);
      if (sa !== sb) return rank[sa] - rank[sb];
      if (sa === 'active') return a.endsAtMs - b.endsAtMs;
      if (sa === 'pending') return a.startsAtMs - b.startsAtMs;
      return b.endsAtMs - a.endsAtMs;
    });
  }

  /**
   * Creates or changes a silence and returns its id (a new id when the change would rewrite history).
   * Throws AppError `bad_input` (`silence invalid: …`) or `not_found` for an unknown id; rejects with
   * `io` when the snapshot cannot be written (the change stays in memory).
   */
  async set(input: SilenceInput): Promise<string> {
    const now = this.#clock.now();
    const startsAtMs = input.startsAtMs ?? now;
    const candidate: Silence = {
      id: input.id ?? '',
      matchers: input.matchers.map((m) => ({
        name: m.name,
        value: m.value,
        isRegex: m.isRegex,
        isEqual: m.isEqual,
      })),
      startsAtMs,
      endsAtMs: input.endsAtMs,
      updatedAtMs: now,
      createdBy: input.createdBy,
      comment: input.comment,
    };
    const matchers = validateSilence(candidate);
    const prev = input.id !== undefined && input.id !== '' ? this.#silences.get(input.id) : undefined;
    if (input.id !== undefined && input.id !== '' && prev === undefined) {
      throw new AppError('not_found', 'silence not found');
    }
    if (prev !== undefined && canUpdate(prev.silence, candidate, now)) {
      this.#silences.set(candidate.id, { silence: candidate, matchers });
      await this.#persist();
      return candidate.id;
    }
    const created: Silence = { ...candidate, id: randomUUID(), startsAtMs: Math.max(startsAtMs, now) };
    if (prev !== undefined && silenceState(prev.silence, now) !== 'expired') this.#expireNow(prev, now);
    this.#silences.set(created.id, { silence: created, matchers });
    await this.#persist();
    return created.id;
  }

  /** Expires the silence now (a pending one gets start = end = now). Idempotent; `not_found` if unknown. */
  async expire(id: string): Promise<void> {
    const stored = this.#silences.get(id);
    if (stored === undefined) throw new AppError('not_found', 'silence not found');
    const now = this.#clock.now();
    if (silenceState(stored.silence, now) === 'expired') return;
    this.#expireNow(stored, now);
    await this.#persist();
  }

  #expireNow(stored: StoredSilence, now: number): void {
    const s = stored.silence;
    const expired: Silence =
      silenceState(s, now) === 'pending'
        ? { ...s, startsAtMs: now, endsAtMs: now, updatedAtMs: now }
        : { ...s, endsAtMs: now, updatedAtMs: now };
    this.#silences.set(s.id, { silence: expired, matchers: stored.matchers });
  }

  // ---- maintenance windows ----

  /** All maintenance windows, by id. */
  listWindows(): MaintenanceWindow[] {
    return [...this.#windows.values()]
      .map((w) => w.window)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The window with `id` and its compiled schedule, if kept. */
  getWindow(id: string): CompiledWindow | undefined {
    return this.#windows.get(id);
  }

  /**
   * Creates a window (no `id`) or replaces one (`id` of a kept window, else `not_found`). Throws
   * AppError `bad_input` naming the field that is wrong. Resolves once persisted.
   */
  async putWindow(spec: MaintenanceWindowSpec, id?: string): Promise<MaintenanceWindow> {
    if (id !== undefined && !this.#windows.has(id))
      throw new AppError('not_found', 'maintenance window not found');
    const window: MaintenanceWindow = { ...spec, id: id ?? randomUUID(), updatedAtMs: this.#clock.now() };
    const compiled = compileWindow(window);
    this.#windows.set(window.id, compiled);
    await this.#persist();
    return window;
  }

  /** Deletes a window; `not_found` if unknown. */
  async deleteWindow(id: string): Promise<void> {
    if (!this.#windows.delete(id)) throw new AppError('not_found', 'maintenance window not found');
    await this.#persist();
  }

  // ---- lifecycle ----

  /** Drops silences expired longer than the retention and windows past `validUntil` + retention; returns how many. */
  async gc(): Promise<number> {
    const cutoff = this.#clock.now() - this.#retentionMs;
    let removed = 0;
    for (const [id, s] of this.#silences) {
      if (s.silence.endsAtMs < cutoff) {
        this.#silences.delete(id);
        removed++;
      }
    }
    for (const [id, w] of this.#windows) {
      if (w.window.validUntilMs !== undefined && w.window.validUntilMs < cutoff) {
        this.#windows.delete(id);
        removed++;
      }
    }
    if (removed > 0) await this.#persist();
    return removed;
  }

  /** Runs the GC every maintenance interval until `signal` aborts; resolves then. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.#clock.sleep(this.#intervalMs, signal);
      } catch {
        return;
      }
      try {
        const removed = await this.gc();
        if (removed > 0) this.#log.info({ removed }, 'garbage-collected silences');
      } catch (err) {
        this.#log.error({ err: errorMessage(err) }, 'silence maintenance failed');
      }
    }
  }

  /** Waits for pending snapshot writes. */
  async close(): Promise<void> {
    await this.#writing;
  }

  #persist(): Promise<void> {
    const path = this.#path;
    if (path === undefined) return Promise.resolve();
    const write = async (): Promise<void> => {
      // Snapshot at write time: the latest state wins, so writes never reorder.
      const snap: Snapshot = {
        silences: [...this.#silences.values()].map((s) => s.silence),
        maintenanceWindows: [...this.#windows.values()].map((w) => w.window),
      };
      try {
        await writeSnapshot(path, snap);
      } catch (err) {
        this.#snapshotFailures?.inc();
        this.#log.error({ path, err: errorMessage(err) }, 'writing the silences snapshot failed');
        throw new AppError('io', `write silences snapshot ${path}: ${errorMessage(err)}`, { cause: err });
      }
    };
    const next = this.#writing.then(write, write);
    this.#writing = next.catch(() => undefined);
    return next;
  }
}

/** Alertmanager's validateSilence: throws AppError `bad_input` with `silence invalid: …`. */
function validateSilence(s: Silence): CompiledMatcher[] {
  const fail = (why: string, cause?: unknown): never => {
    throw new AppError('bad_input', `silence invalid: ${why}`, { cause });
  };
  if (s.matchers.length === 0) fail('at least one matcher required');
  const compiled = s.matchers.map((m, i) => {
    try {
      return compileMatcher(m, `invalid label matcher ${i}`);
    } catch (err) {
      return fail(errorMessage(err), err);
    }
  });
  if (allMatchEmpty(compiled)) fail('at least one matcher must not match the empty string');
  if (!Number.isFinite(s.startsAtMs)) fail('invalid zero start timestamp');
  if (!Number.isFinite(s.endsAtMs)) fail('invalid zero end timestamp');
  if (s.endsAtMs < s.startsAtMs) fail('end time must not be before start time');
  return compiled;
}

/** Whether `prev` can become `next` without rewriting what was silenced when (Alertmanager's canUpdate). */
function canUpdate(prev: Silence, next: Silence, now: number): boolean {
  if (prev.matchers.length !== next.matchers.length) return false;
  for (let i = 0; i < prev.matchers.length; i++) {
    const a = prev.matchers[i]!;
    const b = next.matchers[i]!;
    if (a.name !== b.name || a.value !== b.value || a.isRegex !== b.isRegex || a.isEqual !== b.isEqual)
      return false;
  }
  switch (silenceState(prev, now)) {
    case 'active':
      return (
        Math.floor(next.startsAtMs / 1000) === Math.floor(prev.startsAtMs / 1000) && next.endsAtMs >= now
      );
    case 'pending':
      return next.startsAtMs >= now;
    case 'expired':
      return false;
  }
}
