import { AppError } from '../../base/errors.js';

/**
 * Wall-clock arithmetic in IANA time zones through `Intl`, for recurring maintenance windows.
 *
 * Days are counted as "epoch days" of the civil calendar (0 = 1970-01-01 in the zone's own calendar)
 * and times of day in minutes. Converting a local date and time to an instant follows Temporal's
 * `disambiguation: 'compatible'` (and cron's habit): a time skipped by a DST jump forward is moved
 * forward by the jump (02:30 on a spring-forward night in Berlin is 03:30 CEST); a time that occurs
 * twice when the clocks go back is the earlier of the two.
 */

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * A cached en-US formatter of the civil date and time in `timeZone` (an IANA name or `UTC`), for
 * `formatToParts`: era, year, month, day, weekday (long), 24-hour hour, minute and second. Throws
 * AppError `bad_input` for a zone this runtime does not know.
 */
export function zonedFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        weekday: 'long',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    } catch (err) {
      throw new AppError('bad_input', `unknown time zone ${JSON.stringify(timeZone)}`, { cause: err });
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws AppError `bad_input` unless `timeZone` is an IANA zone name (or `UTC`) this runtime knows. */
export function checkTimeZone(timeZone: string): void {
  if (timeZone === '') throw new AppError('bad_input', 'time zone is empty');
  zonedFormatter(timeZone);
}

/** The zone's offset from UTC at instant `utcMs`, in ms (Tokyo: +9 h). Whole seconds only. */
export function tzOffsetMs(timeZone: string, utcMs: number): number {
  const parts = zonedFormatter(timeZone).formatToParts(utcMs);
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let bc = false;
  for (const p of parts) {
    switch (p.type) {
      case 'year':
        year = Number(p.value);
        break;
      case 'month':
        month = Number(p.value);
        break;
      case 'day':
        day = Number(p.value);
        break;
      case 'hour':
        hour = Number(p.value);
        break;
      case 'minute':
        minute = Number(p.value);
        break;
      case 'second':
        second = Number(p.value);
        break;
      case 'era':
        bc = p.value.startsWith('B');
        break;
      default:
        break;
    }
  }
  const wall = Date.UTC(bc ? 1 - year : year, month - 1, day, hour, minute, second);
  return wall - Math.floor(utcMs / 1000) * 1000;
}

/** The local calendar day (epoch day) of instant `utcMs` in `timeZone`. */
export function localEpochDay(timeZone: string, utcMs: number): number {
  return Math.floor((utcMs + tzOffsetMs(timeZone, utcMs)) / DAY_MS);
}

/** The instant at which the wall clock of `timeZone` shows `minuteOfDay` on local day `epochDay`. */
export function zonedToUtc(timeZone: string, epochDay: number, minuteOfDay: number): number {
  const wall = epochDay * DAY_MS + minuteOfDay * 60_000;
  // Offsets a day before and after bracket any transition near `wall` (zones change at most twice a year).
  const before = tzOffsetMs(timeZone, wall - DAY_MS);
  const after = tzOffsetMs(timeZone, wall + DAY_MS);
  const candidates: number[] = [];
  for (const off of before === after ? [before] : [before, after]) {
    const t = wall - off;
    if (tzOffsetMs(timeZone, t) === off) candidates.push(t);
  }
  if (candidates.length > 0) return Math.min(...candidates);
  // In a gap: read the wall time with the offset in force before the jump, which lands after it.
  return wall - before;
}

/** A civil date. */
export interface CivilDate {
  readonly year: number;
  /** 1–12. */
  readonly month: number;
  /** 1–31. */
  readonly day: number;
  /** 0 = Sunday … 6 = Saturday. */
  readonly weekday: number;
  readonly daysInMonth: number;
}

/** The civil date of an epoch day. */
export function civilDate(epochDay: number): CivilDate {
  const d = new Date(epochDay * DAY_MS);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + 1;
  return {
    year,
    month,
    day: d.getUTCDate(),
    weekday: d.getUTCDay(),
    daysInMonth: new Date(Date.UTC(year, month, 0)).getUTCDate(),
  };
}
