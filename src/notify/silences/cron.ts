import { AppError } from '../../base/errors.js';
import type { CivilDate } from './zoned-time.js';

/**
 * Five-field cron expressions (`minute hour day-of-month month day-of-week`) as crontab(5) writes
 * them: `*`, lists, ranges, steps (`*\/15`, `1-5/2`, `10/5`), month and weekday names, `7` for
 * Sunday, `?` for `*`, and the macros `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`,
 * `@midnight`, `@hourly`. As in Vixie cron, when both day fields are restricted a day matches if
 * either does. Times are wall-clock times; the caller maps them to instants in a time zone.
 *
 * Written here rather than taken from croner/cron-parser so that cron, weekly and monthly windows
 * share one day-by-day evaluation with one DST rule (see zoned-time.ts).
 */

/** A parsed cron expression. Arrays are indexed by the field's value. */
export interface CronSchedule {
  readonly expression: string;
  /** Minutes of the day (0–1439) at which it fires on a matching day, ascending. */
  readonly minutesOfDay: readonly number[];
  readonly daysOfMonth: readonly boolean[];
  readonly months: readonly boolean[];
  readonly weekdays: readonly boolean[];
  readonly isDayOfMonthStar: boolean;
  readonly isWeekdayStar: boolean;
}

const macros: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const monthNames = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const dayNames = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldSpec {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  readonly namesStart?: number;
}

const fields: readonly FieldSpec[] = [
  { label: 'minute', min: 0, max: 59 },
  { label: 'hour', min: 0, max: 23 },
  { label: 'day of month', min: 1, max: 31 },
  { label: 'month', min: 1, max: 12, names: monthNames, namesStart: 1 },
  { label: 'day of week', min: 0, max: 7, names: dayNames, namesStart: 0 },
];

/** Parses a cron expression; throws AppError `bad_input` naming the field and the expression. */
export function parseCron(expression: string): CronSchedule {
  const text = macros[expression.trim().toLowerCase()] ?? expression;
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 5) {
    throw new AppError(
      'bad_input',
      `cron expression ${JSON.stringify(expression)}: want 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`,
    );
  }
  const sets = parts.map((p, i) => parseField(p, fields[i]!, expression));
  const [minutes, hours, dom, months, dow] = sets as [boolean[], boolean[], boolean[], boolean[], boolean[]];
  if (dow[7] === true) dow[0] = true;
  const minutesOfDay: number[] = [];
  for (let h = 0; h < 24; h++) {
    if (hours[h] !== true) continue;
    for (let m = 0; m < 60; m++) if (minutes[m] === true) minutesOfDay.push(h * 60 + m);
  }
  return {
    expression,
    minutesOfDay,
    daysOfMonth: dom,
    months,
    weekdays: dow.slice(0, 7),
    isDayOfMonthStar: isStar(parts[2]!),
    isWeekdayStar: isStar(parts[4]!),
  };
}

/** Whether the schedule fires on `date` (at the times in `minutesOfDay`). */
export function cronMatchesDay(s: CronSchedule, date: CivilDate): boolean {
  if (s.months[date.month] !== true) return false;
  const domOk = s.daysOfMonth[date.day] === true;
  const dowOk = s.weekdays[date.weekday] === true;
  if (s.isDayOfMonthStar || s.isWeekdayStar) return domOk && dowOk;
  return domOk || dowOk;
}

function isStar(field: string): boolean {
  return field === '*' || field === '?' || field.startsWith('*/');
}

function parseField(field: string, spec: FieldSpec, expression: string): boolean[] {
  const set = new Array<boolean>(spec.max + 1).fill(false);
  const fail = (why: string): never => {
    throw new AppError(
      'bad_input',
      `cron expression ${JSON.stringify(expression)}: ${spec.label} ${JSON.stringify(field)}: ${why}`,
    );
  };
  for (const item of field.split(',')) {
    if (item === '') fail('empty list item');
    const [range = '', stepText, extra] = item.split('/');
    if (extra !== undefined) fail('more than one step');
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) fail(`invalid step ${JSON.stringify(stepText)}`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      lo = spec.min;
      hi = spec.max === 7 ? 6 : spec.max;
    } else {
      const [a = '', b, more] = range.split('-');
      if (more !== undefined) fail('invalid range');
      lo = value(a, spec, fail);
      // `10/5` means 10 to the maximum in steps of 5, as in Vixie cron.
      hi = b !== undefined ? value(b, spec, fail) : stepText !== undefined ? spec.max : lo;
      if (hi < lo) fail(`range ${lo}-${hi} is backwards`);
    }
    for (let v = lo; v <= hi; v += step) set[v] = true;
  }
  return set;
}

function value(text: string, spec: FieldSpec, fail: (why: string) => never): number {
  const lower = text.toLowerCase();
  const named = spec.names?.indexOf(lower) ?? -1;
  if (named >= 0) return named + (spec.namesStart ?? 0);
  if (!/^\d+$/.test(text)) return fail(`invalid value ${JSON.stringify(text)}`);
  const n = Number(text);
  if (n < spec.min || n > spec.max) return fail(`${n} is out of range ${spec.min}-${spec.max}`);
  return n;
}
