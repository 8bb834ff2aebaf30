import { describe, expect, it } from 'vitest';
import {
  buildMaintenanceWindow,
  isTimeOfDay,
  parseDaysOfMonth,
  type MaintenanceDraft,
} from './maintenance.js';

const draft: MaintenanceDraft = {
  kind: 'weekly',
  weekdays: ['sunday', 'tuesday'],
  daysOfMonth: '',
  startTime: '03:00',
  expression: '',
  timeZone: 'Asia/Tokyo',
  duration: '2h',
  matchers: [
    { name: 'env', value: 'staging', isRegex: false, isEqual: true },
    { name: ' ', value: 'ignored', isRegex: false, isEqual: true },
  ],
  createdBy: ' ops ',
  comment: 'weekly patching',
};

describe('parseDaysOfMonth', () => {
  it.each<[string, number[] | undefined]>([
    ['1', [1]],
    ['1, 15 -1', [1, 15, -1]],
    ['31,31', [31]],
    ['', undefined],
    ['0', undefined],
    ['32', undefined],
    ['-32', undefined],
    ['1.5', undefined],
    ['first', undefined],
  ])('%j → %j', (text, want) => {
    expect(parseDaysOfMonth(text)).toEqual(want);
  });
});

describe('isTimeOfDay', () => {
  it.each([
    ['03:00', true],
    ['23:59', true],
    ['24:00', false],
    ['3:00', false],
    ['12:60', false],
  ])('%s → %s', (s, want) => {
    expect(isTimeOfDay(s)).toBe(want);
  });
});

describe('buildMaintenanceWindow', () => {
  it('builds a weekly window, weekdays in week order, blank matchers and spaces dropped', () => {
    expect(buildMaintenanceWindow(draft)).toEqual({
      body: {
        matchers: [{ name: 'env', value: 'staging', isRegex: false, isEqual: true }],
        recurrence: { kind: 'weekly', weekdays: ['tuesday', 'sunday'], startTime: '03:00' },
        duration: '2h',
        timeZone: 'Asia/Tokyo',
        createdBy: 'ops',
        comment: 'weekly patching',
      },
    });
  });

  it('builds monthly and cron recurrences', () => {
    expect(buildMaintenanceWindow({ ...draft, kind: 'monthly', daysOfMonth: '1 -1' })).toMatchObject({
      body: { recurrence: { kind: 'monthly', daysOfMonth: [1, -1], startTime: '03:00' } },
    });
    expect(buildMaintenanceWindow({ ...draft, kind: 'cron', expression: ' 30  1 * * 1-5 ' })).toMatchObject({
      body: { recurrence: { kind: 'cron', expression: '30 1 * * 1-5' } },
    });
  });

  it.each<[string, Partial<MaintenanceDraft>, string]>([
    ['no matcher', { matchers: [] }, 'needMatcher'],
    ['no weekday', { weekdays: [] }, 'needWeekday'],
    ['a bad start time', { startTime: '3 am' }, 'badTime'],
    ['bad days', { kind: 'monthly', daysOfMonth: '40' }, 'badDays'],
    ['no cron expression', { kind: 'cron', expression: ' ' }, 'needExpression'],
    ['a bad duration', { duration: '2 hours' }, 'badDuration'],
    ['no author', { createdBy: '' }, 'needAuthor'],
    ['no comment', { comment: ' ' }, 'needAuthor'],
  ])('refuses %s', (_name, change, problem) => {
    expect(buildMaintenanceWindow({ ...draft, ...change })).toEqual({ problem });
  });
});
