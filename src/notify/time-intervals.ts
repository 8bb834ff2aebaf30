import { z } from 'zod';
import { AppError, errorMessage } from '../base/errors.js';
import { zonedFormatter } from './silences/zoned-time.js';

/**
 * Alertmanager's time intervals (timeinterval/ in 0.25): `times`, `weekdays`, `days_of_month`
 * (negative days count from the month's end), `months`, `years` and a `location` (IANA zone, `UTC`
 * or `Local`). An interval contains an instant when every field it sets contains it; a named entry of
 * `time_intervals:` is active when any of its intervals contains the instant.
 */

/** Minutes since midnight, start inclusive, end exclusive (`end` may be 1440, i.e. `24:00`). */
export interface TimeRange {
  readonly startMinute: number;
  readonly endMinute: number;
}

/** An inclusive range of integers (weekdays 0 = Sunday, months 1–12, days ±1–31, years). */
export interface InclusiveRange {
  readonly begin: number;
  readonly end: number;
}

/** One parsed time interval; an absent field places no constraint. */
export interface TimeInterval {
  readonly times?: readonly TimeRange[];
  readonly weekdays?: readonly InclusiveRange[];
  readonly daysOfMonth?: readonly InclusiveRange[];
  readonly months?: readonly InclusiveRange[];
  readonly years?: readonly InclusiveRange[];
  /** IANA time zone the fields are read in; absent means UTC, as in Alertmanager. */
  readonly location?: string;
}

const weekdayNames = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const monthNames = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

const validTimeRe = /^((([01][0-9])|(2[0-3])):[0-5][0-9])$|(^24:00$)/;

function parseClock(text: string): number {
  if (!validTimeRe.test(text))
    throw new AppError('bad_input', `couldn't parse timestamp ${text}, invalid format`);
  const [h, m] = text.split(':');
  return Number(h) * 60 + Number(m);
}

function parseRange(text: string, member: (s: string) => number): InclusiveRange {
  const s = text.toLowerCase();
  if (s.includes(':')) {
    const parts = s.split(':');
    if (parts.length !== 2) throw new AppError('bad_input', `couldn't parse range ${s}, invalid format`);
    return { begin: member(parts[0]!), end: member(parts[1]!) };
  }
  const v = member(s);
  return { begin: v, end: v };
}

function parseInteger(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new AppError('bad_input', `${JSON.stringify(s)} is not an integer`);
  return Number(s);
}

/** `monday:friday` or `saturday` (case-insensitive). */
export function parseWeekdayRange(text: string): InclusiveRange {
  const r = parseRange(text, (s) => {
    const i = weekdayNames.indexOf(s);
    if (i < 0) throw new AppError('bad_input', `${s} is not a valid weekday`);
    return i;
  });
  if (r.begin > r.end) throw new AppError('bad_input', `start day cannot be before end day: ${text}`);
  return r;
}

/** `1:5`, `-3:-1`, `15` (days of the month; negative counts from the end, -1 = last day). */
export function parseDayOfMonthRange(text: string): InclusiveRange {
  const r = parseRange(text, parseInteger);
  for (const d of [r.begin, r.end]) {
    if (d === 0 || d < -31 || d > 31) {
      throw new AppError('bad_input', `${d} is not a valid day of the month: out of range`);
    }
  }
  if (r.begin < 0 && r.end > 0) {
    throw new AppError('bad_input', `end day must be negative if start day is negative: ${text}`);
  }
  const b = r.begin < 0 ? 28 + r.begin : r.begin;
  const e = r.end < 0 ? 28 + r.end : r.end;
  if (b > e) throw new AppError('bad_input', `end day ${r.end} is always before start day ${r.begin}`);
  return r;
}

/** `january:march`, `may`, `1:3` (months 1–12). */
export function parseMonthRange(text: string): InclusiveRange {
  const r = parseRange(text, (s) => {
    const i = monthNames.indexOf(s);
    if (i >= 0) return i + 1;
    if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 12) {
      throw new AppError('bad_input', `${s} is not a valid month`);
    }
    return Number(s);
  });
  if (r.begin > r.end) {
    throw new AppError(
      'bad_input',
      `end month ${monthNames[r.end - 1]!} is before start month ${monthNames[r.begin - 1]!}`,
    );
  }
  return r;
}

/** `2024:2026` or `2025`. */
export function parseYearRange(text: string): InclusiveRange {
  const r = parseRange(text, parseInteger);
  if (r.begin > r.end) throw new AppError('bad_input', `end year ${r.end} is before start year ${r.begin}`);
  return r;
}

/** `{start_time: "09:00", end_time: "17:00"}`: the end is exclusive and must be after the start. */
export function parseTimeRange(startTime: string, endTime: string): TimeRange {
  if (startTime === '' || endTime === '')
    throw new AppError('bad_input', 'both start and end times must be provided');
  const startMinute = parseClock(startTime);
  const endMinute = parseClock(endTime);
  if (startMinute >= endMinute) {
    throw new AppError(
      'bad_input',
      `start time cannot be equal or greater than end time: ${startTime}-${endTime}`,
    );
  }
  return { startMinute, endMinute };
}

/** The host's time zone, for Alertmanager's `location: Local`. */
export function localTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** A formatter for `zone` (`Local` is the host's zone); throws AppError('bad_input') for an unknown zone. */
function formatterFor(zone: string): Intl.DateTimeFormat {
  return zonedFormatter(zone === 'Local' ? localTimeZone() : zone);
}

/** Checks that `zone` is `Local`, `UTC` or an IANA zone this runtime knows (throws AppError). */
export function checkLocation(zone: string): void {
  formatterFor(zone);
}

interface CivilTime {
  year: number;
  month: number;
  day: number;
  weekday: number;
  minuteOfDay: number;
}

function civilTime(atMs: number, zone: string): CivilTime {
  const parts: Record<string, string> = {};
  for (const p of formatterFor(zone).formatToParts(atMs)) parts[p.type] = p.value;
  return {
    year: Number(parts['year']),
    month: Number(parts['month']),
    day: Number(parts['day']),
    weekday: weekdayNames.indexOf((parts['weekday'] ?? '').toLowerCase()),
    minuteOfDay: Number(parts['hour']) * 60 + Number(parts['minute']),
  };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function clamp(n: number, min: number, max: number): number {
  return n <= min ? min : n >= max ? max : n;
}

function inAny(ranges: readonly InclusiveRange[], v: number): boolean {
  return ranges.some((r) => v >= r.begin && v <= r.end);
}

/** Whether the interval contains the instant `atMs` (ms since the epoch), as `ContainsTime`. */
export function intervalContains(interval: TimeInterval, atMs: number): boolean {
  const t = civilTime(atMs, interval.location ?? 'UTC');
  if (
    interval.times &&
    !interval.times.some((r) => t.minuteOfDay >= r.startMinute && t.minuteOfDay < r.endMinute)
  ) {
    return false;
  }
  if (interval.daysOfMonth) {
    const dim = daysInMonth(t.year, t.month);
    const ok = interval.daysOfMonth.some((r) => {
      let begin = r.begin < 0 ? dim + r.begin + 1 : r.begin;
      let end = r.end < 0 ? dim + r.end + 1 : r.end;
      if (begin > dim) return false;
      begin = clamp(begin, -dim, dim);
      end = clamp(end, -dim, dim);
      return t.day >= begin && t.day <= end;
    });
    if (!ok) return false;
  }
  if (interval.months && !inAny(interval.months, t.month)) return false;
  if (interval.weekdays && !inAny(interval.weekdays, t.weekday)) return false;
  if (interval.years && !inAny(interval.years, t.year)) return false;
  return true;
}

/** Whether any of the intervals (one named `time_intervals` entry) contains `atMs`. */
export function isActive(intervals: readonly TimeInterval[], atMs: number): boolean {
  return intervals.some((i) => intervalContains(i, atMs));
}

function refineParse<T>(parse: (s: string) => T) {
  return z.union([z.string(), z.number()]).transform((v, ctx): T => {
    try {
      return parse(String(v));
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: errorMessage(e) });
      return z.NEVER;
    }
  });
}

/** One interval as Alertmanager's YAML writes it (`times`, `weekdays`, …), parsed to {@link TimeInterval}. */
export const timeIntervalSchema = z
  .strictObject({
    times: z
      .array(
        z.strictObject({ start_time: z.string(), end_time: z.string() }).transform((t, ctx): TimeRange => {
          try {
            return parseTimeRange(t.start_time, t.end_time);
          } catch (e) {
            ctx.addIssue({ code: 'custom', message: errorMessage(e) });
            return z.NEVER;
          }
        }),
      )
      .optional(),
    weekdays: z.array(refineParse(parseWeekdayRange)).optional(),
    days_of_month: z.array(refineParse(parseDayOfMonthRange)).optional(),
    months: z.array(refineParse(parseMonthRange)).optional(),
    years: z.array(refineParse(parseYearRange)).optional(),
    location: z
      .string()
      .refine(
        (zone) => {
          try {
            checkLocation(zone);
            return true;
          } catch {
            return false;
          }
        },
        { message: 'unknown time zone' },
      )
      .optional(),
  })
  .transform((y): TimeInterval => {
    const out: {
      times?: TimeRange[];
      weekdays?: InclusiveRange[];
      daysOfMonth?: InclusiveRange[];
      months?: InclusiveRange[];
      years?: InclusiveRange[];
      location?: string;
    } = {};
    if (y.times) out.times = y.times;
    if (y.weekdays) out.weekdays = y.weekdays;
    if (y.days_of_month) out.daysOfMonth = y.days_of_month;
    if (y.months) out.months = y.months;
    if (y.years) out.years = y.years;
    if (y.location !== undefined) out.location = y.location;
    return out;
  });

/** One entry of `time_intervals:` (or the legacy `mute_time_intervals:`). */
export const namedTimeIntervalSchema = z.strictObject({
  name: z.string().min(1),
  time_intervals: z.array(timeIntervalSchema).default([]),
});
