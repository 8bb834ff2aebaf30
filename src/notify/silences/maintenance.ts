import { AppError } from '../../base/errors.js';
import { cronMatchesDay, parseCron, type CronSchedule } from './cron.js';
import { allMatchEmpty, compileMatcher, type CompiledMatcher, type SilenceMatcher } from './matcher.js';
import {
  checkTimeZone,
  civilDate,
  localEpochDay,
  tzOffsetMs,
  zonedToUtc,
  type CivilDate,
} from './zoned-time.js';

/**
 * Recurring maintenance windows (what alertmanager#214 and #3339 ask for): matchers that mute
 * alerts during windows that repeat weekly, monthly or on a cron schedule, in a time zone.
 *
 * A window starts at each occurrence of the recurrence (a wall-clock time in `timeZone`, mapped to
 * an instant by the DST rule of zoned-time.ts) and lasts `durationMs` of real time, so a 2 h window
 * over a DST change is still 2 h long. `validFromMs`/`validUntilMs` clip the windows: the schedule
 * mutes nothing before `validFromMs` and from `validUntilMs` on.
 */

/** Day names, Sunday first as in cron. */
export const WEEKDAYS = [
  'sunday',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
] as const;

/** A day of the week. */
export type Weekday = (typeof WEEKDAYS)[number];

/** The n-th given weekday of a month; `nth` 1–5, or -1 for the last one. */
export interface NthWeekday {
  readonly nth: number;
  readonly weekday: Weekday;
}

/** When a maintenance window starts. `startTime` is local wall time `HH:MM` (24 h). */
export type Recurrence =
  | { readonly kind: 'weekly'; readonly weekdays: readonly Weekday[]; readonly startTime: string }
  | {
      readonly kind: 'monthly';
      /** Days of month 1–31 (months without the day skip it), or -1 … -31 counted from the end (-1 = last day). */
      readonly daysOfMonth?: readonly number[];
      /** E.g. `{ nth: 2, weekday: 'tuesday' }` for the second Tuesday. */
      readonly weekdaysOfMonth?: readonly NthWeekday[];
      readonly startTime: string;
    }
  | { readonly kind: 'cron'; readonly expression: string };

/** What a user states about a maintenance window. Times in ms since the epoch. */
export interface MaintenanceWindowSpec {
  readonly matchers: readonly SilenceMatcher[];
  readonly recurrence: Recurrence;
  /** How long each window lasts, ms of real time; > 0 and at most 31 days. */
  readonly durationMs: number;
  /** IANA time zone of the recurrence's wall times, e.g. `Asia/Tokyo`. */
  readonly timeZone: string;
  readonly validFromMs?: number;
  readonly validUntilMs?: number;
  readonly createdBy: string;
  readonly comment: string;
}

/** A stored maintenance window. */
export interface MaintenanceWindow extends MaintenanceWindowSpec {
  /** UUID v4. */
  readonly id: string;
  readonly updatedAtMs: number;
}

/** One occurrence of a window: [startMs, endMs). */
export interface WindowSpan {
  readonly startMs: number;
  readonly endMs: number;
}

const DAY_MS = 86_400_000;
const DAY_CACHE_SIZE = 8;
const MAX_DURATION_MS = 31 * DAY_MS;
// How far nextWindows looks ahead for a rare schedule (29 February on a Monday recurs every 28 years).
const MAX_SCAN_DAYS = 366 * 30;

/** A window's recurrence compiled for evaluation. Its answers never change; safe to share. */
export class MaintenanceSchedule {
  readonly #timeZone: string;
  readonly #durationMs: number;
  readonly #fromMs: number;
  readonly #untilMs: number;
  readonly #matchesDay: (d: CivilDate) => boolean;
  readonly #minutes: readonly number[];
  /** Starts of recently asked days: `mutes` asks about the same few days again and again. */
  readonly #dayCache = new Map<number, readonly number[]>();

  /** Compiles `spec`'s recurrence; throws AppError `bad_input` naming the field that is wrong. */
  constructor(
    spec: Pick<
      MaintenanceWindowSpec,
      'recurrence' | 'durationMs' | 'timeZone' | 'validFromMs' | 'validUntilMs'
    >,
  ) {
    checkTimeZone(spec.timeZone);
    if (!Number.isFinite(spec.durationMs) || spec.durationMs <= 0 || spec.durationMs > MAX_DURATION_MS) {
      throw new AppError('bad_input', `duration: must be > 0 and at most 31 days, got ${spec.durationMs} ms`);
    }
    if (
      spec.validFromMs !== undefined &&
      spec.validUntilMs !== undefined &&
      spec.validUntilMs <= spec.validFromMs
    ) {
      throw new AppError('bad_input', 'validUntil: must be after validFrom');
    }
    this.#timeZone = spec.timeZone;
    this.#durationMs = spec.durationMs;
    this.#fromMs = spec.validFromMs ?? -Infinity;
    this.#untilMs = spec.validUntilMs ?? Infinity;
    const r = spec.recurrence;
    switch (r.kind) {
      case 'weekly': {
        if (r.weekdays.length === 0)
          throw new AppError('bad_input', 'recurrence.weekdays: at least one weekday required');
        const days = new Set(r.weekdays.map((w, i) => weekdayIndex(w, `recurrence.weekdays[${i}]`)));
        this.#matchesDay = (d) => days.has(d.weekday);
        this.#minutes = [parseStartTime(r.startTime)];
        break;
      }
      case 'monthly': {
        const dom = r.daysOfMonth ?? [];
        const nth = r.weekdaysOfMonth ?? [];
        if (dom.length === 0 && nth.length === 0) {
          throw new AppError('bad_input', 'recurrence: monthly needs daysOfMonth or weekdaysOfMonth');
        }
        dom.forEach((n, i) => {
          if (!Number.isInteger(n) || n === 0 || n < -31 || n > 31) {
            throw new AppError('bad_input', `recurrence.daysOfMonth[${i}]: must be 1…31 or -1…-31, got ${n}`);
          }
        });
        const nthParsed = nth.map((w, i) => {
          if (!Number.isInteger(w.nth) || w.nth === 0 || w.nth < -1 || w.nth > 5) {
            throw new AppError(
              'bad_input',
              `recurrence.weekdaysOfMonth[${i}].nth: must be 1…5 or -1, got ${w.nth}`,
            );
          }
          return { nth: w.nth, weekday: weekdayIndex(w.weekday, `recurrence.weekdaysOfMonth[${i}].weekday`) };
        });
        this.#matchesDay = (d) =>
          dom.some((n) => (n > 0 ? d.day === n : d.day === d.daysInMonth + 1 + n)) ||
          nthParsed.some(
            (w) =>
              d.weekday === w.weekday &&
              (w.nth > 0 ? Math.ceil(d.day / 7) === w.nth : d.day + 7 > d.daysInMonth),
          );
        this.#minutes = [parseStartTime(r.startTime)];
        break;
      }
      case 'cron': {
        const cron: CronSchedule = parseCron(r.expression);
        this.#matchesDay = (d) => cronMatchesDay(cron, d);
        this.#minutes = cron.minutesOfDay;
        break;
      }
      default:
        throw new AppError(
          'bad_input',
          `recurrence.kind: must be weekly, monthly or cron, got ${JSON.stringify((r as { kind: unknown }).kind)}`,
        );
    }
  }

  /** The window in force at `atMs` (clipped to the validity range), or undefined. */
  activeAt(atMs: number): WindowSpan | undefined {
    if (atMs < this.#fromMs || atMs >= this.#untilMs) return undefined;
    // The latest start at or before atMs has the latest end; it decides.
    const lastDay = localEpochDay(this.#timeZone, atMs);
    const firstDay = localEpochDay(this.#timeZone, atMs - this.#durationMs) - 1;
    for (let day = lastDay; day >= firstDay; day--) {
      const starts = this.#startsOn(day);
      for (let i = starts.length - 1; i >= 0; i--) {
        const start = starts[i]!;
        if (start > atMs) continue;
        if (start + this.#durationMs <= atMs) return undefined;
        return this.#clip(start);
      }
    }
    return undefined;
  }

  /** Up to `n` windows that end after `fromMs` (the one in force included), in order, clipped. */
  nextWindows(fromMs: number, n: number): WindowSpan[] {
    const out: WindowSpan[] = [];
    if (n <= 0) return out;
    const begin = Math.max(fromMs, this.#fromMs);
    const firstDay = localEpochDay(this.#timeZone, begin - this.#durationMs) - 1;
    for (let day = firstDay; day < firstDay + MAX_SCAN_DAYS && out.length < n; day++) {
      for (const start of this.#startsOn(day)) {
        if (start >= this.#untilMs) return out;
        const span = this.#clip(start);
        if (span === undefined || span.endMs <= begin) continue;
        out.push(span);
        if (out.length >= n) break;
      }
    }
    return out;
  }

  #startsOn(day: number): readonly number[] {
    const cached = this.#dayCache.get(day);
    if (cached !== undefined) return cached;
    let starts: number[] = [];
    if (this.#matchesDay(civilDate(day))) {
      const wall = day * DAY_MS;
      // Offsets a day before and after the local day (zones are at most 14 h off UTC): equal means no DST change near it (the usual case),
      // so every start is the wall time minus one offset; otherwise each start is resolved alone.
      const before = tzOffsetMs(this.#timeZone, wall - DAY_MS);
      const after = tzOffsetMs(this.#timeZone, wall + 2 * DAY_MS);
      starts =
        before === after
          ? this.#minutes.map((m) => wall + m * 60_000 - before)
          : this.#minutes.map((m) => zonedToUtc(this.#timeZone, day, m));
      // DST can map two wall times onto one order or the same instant; keep them sorted and unique.
      starts.sort((a, b) => a - b);
      starts = starts.filter((t, i) => i === 0 || t !== starts[i - 1]);
    }
    if (this.#dayCache.size >= DAY_CACHE_SIZE) this.#dayCache.delete(this.#dayCache.keys().next().value!);
    this.#dayCache.set(day, starts);
    return starts;
  }

  #clip(start: number): WindowSpan | undefined {
    const startMs = Math.max(start, this.#fromMs);
    const endMs = Math.min(start + this.#durationMs, this.#untilMs);
    return endMs > startMs ? { startMs, endMs } : undefined;
  }
}

/** A window checked and compiled: what the store keeps in memory. */
export interface CompiledWindow {
  readonly window: MaintenanceWindow;
  readonly matchers: readonly CompiledMatcher[];
  readonly schedule: MaintenanceSchedule;
}

/**
 * Validates every part of `window` (matchers as a silence's, recurrence, duration, zone, validity)
 * and compiles it. Throws AppError `bad_input` naming the field.
 */
export function compileWindow(window: MaintenanceWindow): CompiledWindow {
  if (window.matchers.length === 0)
    throw new AppError('bad_input', 'matchers: at least one matcher required');
  const matchers = window.matchers.map((m, i) => compileMatcher(m, `matchers[${i}]`));
  if (allMatchEmpty(matchers)) {
    throw new AppError('bad_input', 'matchers: at least one matcher must not match the empty string');
  }
  if (window.createdBy === '') throw new AppError('bad_input', 'createdBy: must not be empty');
  const schedule = new MaintenanceSchedule(window);
  if (schedule.nextWindows(window.validFromMs ?? 0, 1).length === 0 && window.validUntilMs === undefined) {
    throw new AppError('bad_input', 'recurrence: never occurs');
  }
  return { window, matchers, schedule };
}

function weekdayIndex(w: string, what: string): number {
  const i = (WEEKDAYS as readonly string[]).indexOf(w.toLowerCase());
  if (i < 0)
    throw new AppError(
      'bad_input',
      `${what}: must be a weekday name (monday…sunday), got ${JSON.stringify(w)}`,
    );
  return i;
}

/** Minutes after midnight of `HH:MM`; throws AppError `bad_input` naming `recurrence.startTime`. */
export function parseStartTime(text: string): number {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (m === null) {
    throw new AppError(
      'bad_input',
      `recurrence.startTime: must be HH:MM (00:00–23:59), got ${JSON.stringify(text)}`,
    );
  }
  return Number(m[1]) * 60 + Number(m[2]);
}
