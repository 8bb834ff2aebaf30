import { describe, expect, it } from 'vitest';
import { civilDate, localEpochDay, tzOffsetMs, zonedToUtc } from './zoned-time.js';

const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
const H = 3_600_000;

describe('zonedToUtc', () => {
  const cases: { name: string; tz: string; date: string; time: number; want: string }[] = [
    {
      name: 'a plain day in Tokyo',
      tz: 'Asia/Tokyo',
      date: '2026-03-10',
      time: 2 * 60,
      want: '2026-03-09T17:00:00.000Z',
    },
    { name: 'UTC', tz: 'UTC', date: '2026-03-10', time: 90, want: '2026-03-10T01:30:00.000Z' },
    {
      name: 'winter in Berlin',
      tz: 'Europe/Berlin',
      date: '2026-01-15',
      time: 150,
      want: '2026-01-15T01:30:00.000Z',
    },
    {
      name: 'summer in Berlin',
      tz: 'Europe/Berlin',
      date: '2026-07-15',
      time: 150,
      want: '2026-07-15T00:30:00.000Z',
    },
    // 02:30 does not exist on 2026-03-29 in Berlin: it moves forward to 03:30 CEST.
    {
      name: 'a time in the spring gap',
      tz: 'Europe/Berlin',
      date: '2026-03-29',
      time: 150,
      want: '2026-03-29T01:30:00.000Z',
    },
    // 02:30 happens twice on 2026-10-25 in Berlin: the earlier one (CEST) is taken.
    {
      name: 'a time in the autumn overlap',
      tz: 'Europe/Berlin',
      date: '2026-10-25',
      time: 150,
      want: '2026-10-25T00:30:00.000Z',
    },
    {
      name: 'New York spring gap',
      tz: 'America/New_York',
      date: '2026-03-08',
      time: 150,
      want: '2026-03-08T07:30:00.000Z',
    },
    {
      name: 'New York overlap',
      tz: 'America/New_York',
      date: '2026-11-01',
      time: 90,
      want: '2026-11-01T05:30:00.000Z',
    },
    {
      name: 'half-hour zone',
      tz: 'Asia/Kolkata',
      date: '2026-05-01',
      time: 0,
      want: '2026-04-30T18:30:00.000Z',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(new Date(zonedToUtc(c.tz, day(c.date), c.time)).toISOString()).toBe(c.want);
    });
  }
});

describe('tzOffsetMs and localEpochDay', () => {
  it('reads the offset in and out of summer time', () => {
    expect(tzOffsetMs('Europe/Berlin', Date.parse('2026-01-01T00:00:00Z'))).toBe(1 * H);
    expect(tzOffsetMs('Europe/Berlin', Date.parse('2026-07-01T00:00:00Z'))).toBe(2 * H);
    expect(tzOffsetMs('Asia/Tokyo', Date.parse('2026-07-01T00:00:00Z'))).toBe(9 * H);
  });
  it('gives the local date, not the UTC one', () => {
    expect(localEpochDay('Asia/Tokyo', Date.parse('2026-03-09T16:00:00Z'))).toBe(day('2026-03-10'));
    expect(localEpochDay('America/New_York', Date.parse('2026-03-10T03:00:00Z'))).toBe(day('2026-03-09'));
  });
  it('rejects an unknown zone naming it', () => {
    expect(() => tzOffsetMs('Mars/Olympus', 0)).toThrow(/unknown time zone "Mars\/Olympus"/);
  });
});

describe('civilDate', () => {
  it('knows weekdays and month lengths', () => {
    expect(civilDate(day('2026-02-10'))).toEqual({
      year: 2026,
      month: 2,
      day: 10,
      weekday: 2,
      daysInMonth: 28,
    });
    expect(civilDate(day('2028-02-29')).daysInMonth).toBe(29);
  });
});
