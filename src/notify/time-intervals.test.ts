import { describe, expect, it } from 'vitest';
import {
  intervalContains,
  isActive,
  parseDayOfMonthRange,
  parseMonthRange,
  parseTimeRange,
  parseWeekdayRange,
  parseYearRange,
  timeIntervalSchema,
  type TimeInterval,
} from './time-intervals.js';

const at = (iso: string): number => Date.parse(iso);

describe('range parsers', () => {
  const good: { name: string; parse: (s: string) => unknown; input: string; want: unknown }[] = [
    { name: 'weekday range', parse: parseWeekdayRange, input: 'monday:friday', want: { begin: 1, end: 5 } },
    { name: 'single weekday', parse: parseWeekdayRange, input: 'Saturday', want: { begin: 6, end: 6 } },
    { name: 'sunday', parse: parseWeekdayRange, input: 'sunday', want: { begin: 0, end: 0 } },
    { name: 'days', parse: parseDayOfMonthRange, input: '1:5', want: { begin: 1, end: 5 } },
    { name: 'negative days', parse: parseDayOfMonthRange, input: '-3:-1', want: { begin: -3, end: -1 } },
    {
      name: 'positive to negative',
      parse: parseDayOfMonthRange,
      input: '20:-1',
      want: { begin: 20, end: -1 },
    },
    { name: 'month names', parse: parseMonthRange, input: 'January:March', want: { begin: 1, end: 3 } },
    { name: 'month numbers', parse: parseMonthRange, input: '4:12', want: { begin: 4, end: 12 } },
    { name: 'years', parse: parseYearRange, input: '2024:2026', want: { begin: 2024, end: 2026 } },
    {
      name: 'time',
      parse: (s) => parseTimeRange(...(s.split('-') as [string, string])),
      input: '09:00-17:30',
      want: { startMinute: 540, endMinute: 1050 },
    },
    {
      name: 'until midnight',
      parse: (s) => parseTimeRange(...(s.split('-') as [string, string])),
      input: '22:00-24:00',
      want: { startMinute: 1320, endMinute: 1440 },
    },
  ];
  for (const c of good) {
    it(`parses ${c.name} ${c.input}`, () => {
      expect(c.parse(c.input)).toEqual(c.want);
    });
  }

  const bad: { name: string; parse: (s: string) => unknown; input: string; error: RegExp }[] = [
    {
      name: 'reversed weekdays',
      parse: parseWeekdayRange,
      input: 'friday:monday',
      error: /start day cannot be before end day/,
    },
    {
      name: 'unknown weekday',
      parse: parseWeekdayRange,
      input: 'funday',
      error: /funday is not a valid weekday/,
    },
    {
      name: 'three parts',
      parse: parseWeekdayRange,
      input: 'monday:tuesday:friday',
      error: /invalid format/,
    },
    { name: 'day 0', parse: parseDayOfMonthRange, input: '0:5', error: /0 is not a valid day of the month/ },
    {
      name: 'day 32',
      parse: parseDayOfMonthRange,
      input: '1:32',
      error: /32 is not a valid day of the month/,
    },
    {
      name: 'negative to positive',
      parse: parseDayOfMonthRange,
      input: '-5:5',
      error: /end day must be negative/,
    },
    {
      name: 'always before',
      parse: parseDayOfMonthRange,
      input: '-1:-5',
      error: /end day -5 is always before start day -1/,
    },
    {
      name: 'reversed months',
      parse: parseMonthRange,
      input: 'march:january',
      error: /end month january is before start month march/,
    },
    { name: 'month 13', parse: parseMonthRange, input: '13', error: /13 is not a valid month/ },
    {
      name: 'reversed years',
      parse: parseYearRange,
      input: '2026:2024',
      error: /end year 2024 is before start year 2026/,
    },
    {
      name: 'bad time',
      parse: (s) => parseTimeRange(s, '10:00'),
      input: '9:00',
      error: /couldn't parse timestamp 9:00/,
    },
    {
      name: 'equal times',
      parse: (s) => parseTimeRange(s, '10:00'),
      input: '10:00',
      error: /start time cannot be equal or greater/,
    },
    {
      name: '24:30',
      parse: (s) => parseTimeRange('10:00', s),
      input: '24:30',
      error: /couldn't parse timestamp 24:30/,
    },
  ];
  for (const c of bad) {
    it(`rejects ${c.name} ${c.input}`, () => {
      expect(() => c.parse(c.input)).toThrow(c.error);
    });
  }
});

describe('intervalContains', () => {
  const parse = (y: unknown): TimeInterval => timeIntervalSchema.parse(y);
  const cases: { name: string; interval: unknown; atIso: string; want: boolean }[] = [
    { name: 'empty interval is always', interval: {}, atIso: '2026-03-04T05:06:07Z', want: true },
    {
      name: 'inside business hours',
      interval: { times: [{ start_time: '09:00', end_time: '17:00' }] },
      atIso: '2026-03-04T09:00:00Z',
      want: true,
    },
    {
      name: 'end is exclusive',
      interval: { times: [{ start_time: '09:00', end_time: '17:00' }] },
      atIso: '2026-03-04T17:00:00Z',
      want: false,
    },
    {
      name: 'before start',
      interval: { times: [{ start_time: '09:00', end_time: '17:00' }] },
      atIso: '2026-03-04T08:59:59Z',
      want: false,
    },
    // 2026-03-04 is a Wednesday.
    {
      name: 'weekday in range',
      interval: { weekdays: ['monday:friday'] },
      atIso: '2026-03-04T12:00:00Z',
      want: true,
    },
    {
      name: 'weekend',
      interval: { weekdays: ['saturday', 'sunday'] },
      atIso: '2026-03-04T12:00:00Z',
      want: false,
    },
    { name: 'sunday', interval: { weekdays: ['sunday'] }, atIso: '2026-03-08T00:00:00Z', want: true },
    {
      name: 'last day of February',
      interval: { days_of_month: ['-1'] },
      atIso: '2026-02-28T10:00:00Z',
      want: true,
    },
    {
      name: 'not the last day',
      interval: { days_of_month: ['-1'] },
      atIso: '2026-02-27T10:00:00Z',
      want: false,
    },
    {
      name: 'last day in a leap year',
      interval: { days_of_month: ['-1'] },
      atIso: '2028-02-29T10:00:00Z',
      want: true,
    },
    {
      name: 'last three days of March',
      interval: { days_of_month: ['-3:-1'] },
      atIso: '2026-03-29T10:00:00Z',
      want: true,
    },
    {
      name: 'day 31 skipped in April',
      interval: { days_of_month: ['31'] },
      atIso: '2026-04-30T10:00:00Z',
      want: false,
    },
    {
      name: '25:31 clamped in February',
      interval: { days_of_month: ['25:31'] },
      atIso: '2026-02-28T10:00:00Z',
      want: true,
    },
    { name: 'months', interval: { months: ['january:march'] }, atIso: '2026-03-31T23:59:00Z', want: true },
    {
      name: 'outside months',
      interval: { months: ['january:march'] },
      atIso: '2026-04-01T00:00:00Z',
      want: false,
    },
    { name: 'years', interval: { years: ['2025:2026'] }, atIso: '2027-01-01T00:00:00Z', want: false },
    {
      name: 'all fields',
      interval: {
        times: [{ start_time: '00:00', end_time: '06:00' }],
        weekdays: ['wednesday'],
        days_of_month: ['1:7'],
        months: ['3'],
        years: ['2026'],
      },
      atIso: '2026-03-04T05:59:00Z',
      want: true,
    },
    // 2026-03-04T23:30Z is 2026-03-05 08:30 in Tokyo, a Thursday.
    {
      name: 'Tokyo morning',
      interval: {
        times: [{ start_time: '08:00', end_time: '09:00' }],
        weekdays: ['thursday'],
        location: 'Asia/Tokyo',
      },
      atIso: '2026-03-04T23:30:00Z',
      want: true,
    },
    {
      name: 'same instant in UTC',
      interval: { times: [{ start_time: '08:00', end_time: '09:00' }], weekdays: ['thursday'] },
      atIso: '2026-03-04T23:30:00Z',
      want: false,
    },
    // New York switches to daylight saving time on 2026-03-08: 13:30Z is 09:30 EDT.
    {
      name: 'New York after DST',
      interval: { times: [{ start_time: '09:00', end_time: '10:00' }], location: 'America/New_York' },
      atIso: '2026-03-09T13:30:00Z',
      want: true,
    },
    {
      name: 'New York before DST',
      interval: { times: [{ start_time: '09:00', end_time: '10:00' }], location: 'America/New_York' },
      atIso: '2026-03-06T13:30:00Z',
      want: false,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.atIso} → ${c.want}`, () => {
      expect(intervalContains(parse(c.interval), at(c.atIso))).toBe(c.want);
    });
  }

  it('isActive is true when any interval contains the instant', () => {
    const weekend = parse({ weekdays: ['saturday', 'sunday'] });
    const nights = parse({ times: [{ start_time: '22:00', end_time: '24:00' }] });
    expect(isActive([weekend, nights], at('2026-03-04T23:00:00Z'))).toBe(true);
    expect(isActive([weekend, nights], at('2026-03-04T12:00:00Z'))).toBe(false);
    expect(isActive([], at('2026-03-04T12:00:00Z'))).toBe(false);
  });

  it('rejects an unknown zone and bad fields with their paths', () => {
    const r = timeIntervalSchema.safeParse({ location: 'Mars/Olympus', weekdays: ['monday', 'noday'] });
    expect(r.success).toBe(false);
    const issues = r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues).toEqual(
      expect.arrayContaining(['location: unknown time zone', 'weekdays.1: noday is not a valid weekday']),
    );
  });
});
