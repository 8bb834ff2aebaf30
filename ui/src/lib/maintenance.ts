import { parseDurationMs, type SilenceMatcher } from './alerts.js';

/**
 * The maintenance-window form as data: what a person fills in, checked, and turned into the body
 * of `POST /api/kanshi/v1/maintenance-windows` (docs/silences.md). Pure.
 */

/** Weekday names as the API takes them, Monday first. */
export const WEEKDAYS = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;

/** A weekday name of the API. */
export type Weekday = (typeof WEEKDAYS)[number];

/** How a window repeats. */
export type RecurrenceKind = 'weekly' | 'monthly' | 'cron';

/** What the form holds, as typed. */
export interface MaintenanceDraft {
  readonly kind: RecurrenceKind;
  readonly weekdays: readonly Weekday[];
  /** Comma- or space-separated day numbers (`1, 15, -1`). */
  readonly daysOfMonth: string;
  /** `HH:MM` in the window's zone. */
  readonly startTime: string;
  /** A 5-field crontab line. */
  readonly expression: string;
  /** An IANA zone (`Asia/Tokyo`). */
  readonly timeZone: string;
  /** `2h`, `1d12h` (the silence form's durations). */
  readonly duration: string;
  readonly matchers: readonly SilenceMatcher[];
  readonly createdBy: string;
  readonly comment: string;
}

/** The body of a new window. */
export interface NewMaintenanceWindow {
  readonly matchers: readonly SilenceMatcher[];
  readonly recurrence:
    | { readonly kind: 'weekly'; readonly weekdays: readonly Weekday[]; readonly startTime: string }
    | { readonly kind: 'monthly'; readonly daysOfMonth: readonly number[]; readonly startTime: string }
    | { readonly kind: 'cron'; readonly expression: string };
  readonly duration: string;
  readonly timeZone: string;
  readonly createdBy: string;
  readonly comment: string;
}

/** Why a draft cannot be sent; each names a string `maintenance.<problem>` or `silence.<problem>`. */
export type DraftProblem =
  'needMatcher' | 'needWeekday' | 'badDays' | 'badTime' | 'needExpression' | 'badDuration' | 'needAuthor';

/** Day numbers from `1, 15 -1`: each 1…31 or -31…-1; undefined when any is not, or none given. */
export function parseDaysOfMonth(text: string): number[] | undefined {
  const parts = text.split(/[\s,]+/).filter((p) => p !== '');
  if (parts.length === 0) return undefined;
  const days: number[] = [];
  for (const p of parts) {
    if (!/^-?\d{1,2}$/.test(p)) return undefined;
    const n = Number(p);
    if (n === 0 || n > 31 || n < -31) return undefined;
    if (!days.includes(n)) days.push(n);
  }
  return days;
}

/** Whether `s` is a time of day `HH:MM` (00:00…23:59). */
export function isTimeOfDay(s: string): boolean {
  return /^([01]\d|2[0-3]):[0-5]\d$/.test(s);
}

/**
 * The request body of `draft`, or the first problem in form order. Matchers with an empty name
 * are left out; the server checks the rest (regexes, the zone, a cron that never fires).
 */
export function buildMaintenanceWindow(
  draft: MaintenanceDraft,
): { body: NewMaintenanceWindow } | { problem: DraftProblem } {
  const matchers = draft.matchers
    .filter((m) => m.name.trim() !== '')
    .map(({ name, value, isRegex, isEqual }) => ({ name: name.trim(), value, isRegex, isEqual }));
  if (matchers.length === 0) return { problem: 'needMatcher' };
  let recurrence: NewMaintenanceWindow['recurrence'];
  const startTime = draft.startTime.trim();
  switch (draft.kind) {
    case 'weekly':
      if (draft.weekdays.length === 0) return { problem: 'needWeekday' };
      if (!isTimeOfDay(startTime)) return { problem: 'badTime' };
      recurrence = {
        kind: 'weekly',
        weekdays: WEEKDAYS.filter((d) => draft.weekdays.includes(d)),
        startTime,
      };
      break;
    case 'monthly': {
      const daysOfMonth = parseDaysOfMonth(draft.daysOfMonth);
      if (daysOfMonth === undefined) return { problem: 'badDays' };
      if (!isTimeOfDay(startTime)) return { problem: 'badTime' };
      recurrence = { kind: 'monthly', daysOfMonth, startTime };
      break;
    }
    case 'cron': {
      const expression = draft.expression.trim().replace(/\s+/g, ' ');
      if (expression === '') return { problem: 'needExpression' };
      recurrence = { kind: 'cron', expression };
      break;
    }
  }
  if (parseDurationMs(draft.duration) === undefined) return { problem: 'badDuration' };
  if (draft.createdBy.trim() === '' || draft.comment.trim() === '') return { problem: 'needAuthor' };
  return {
    body: {
      matchers,
      recurrence,
      duration: draft.duration.trim(),
      timeZone: draft.timeZone.trim() || 'UTC',
      createdBy: draft.createdBy.trim(),
      comment: draft.comment.trim(),
    },
  };
}
