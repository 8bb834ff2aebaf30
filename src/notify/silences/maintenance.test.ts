import { describe, expect, it } from 'vitest';
import {
  compileWindow,
  MaintenanceSchedule,
  type MaintenanceWindow,
  type Recurrence,
} from './maintenance.js';

const H = 3_600_000;
const t = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

function schedule(
  recurrence: Recurrence,
  durationMs: number,
  timeZone = 'Asia/Tokyo',
  extra = {},
): MaintenanceSchedule {
  return new MaintenanceSchedule({ recurrence, durationMs, timeZone, ...extra });
}

describe('MaintenanceSchedule weekly', () => {
  // Tuesdays and Thursdays 02:00–04:00 Tokyo time (17:00–19:00 UTC the day before).
  const s = schedule(
    { kind: 'weekly', weekdays: ['tuesday', 'Thursday' as 'thursday'], startTime: '02:00' },
    2 * H,
  );

  const cases: { at: string; active: boolean }[] = [
    { at: '2026-03-09T16:59:59Z', active: false }, // Tue 01:59:59 JST
    { at: '2026-03-09T17:00:00Z', active: true }, // Tue 02:00 JST
    { at: '2026-03-09T18:59:59Z', active: true },
    { at: '2026-03-09T19:00:00Z', active: false }, // end is exclusive
    { at: '2026-03-10T17:30:00Z', active: false }, // Wed
    { at: '2026-03-11T17:30:00Z', active: true }, // Thu
  ];
  for (const c of cases) {
    it(`is ${c.active ? '' : 'not '}active at ${c.at}`, () => {
      expect(s.activeAt(t(c.at)) !== undefined).toBe(c.active);
    });
  }

  it('lists the next windows, the one in force first', () => {
    expect(s.nextWindows(t('2026-03-09T18:00:00Z'), 3).map((w) => iso(w.startMs))).toEqual([
      '2026-03-09T17:00:00.000Z',
      '2026-03-11T17:00:00.000Z',
      '2026-03-16T17:00:00.000Z',
    ]);
  });

  it('finds a window that started days ago when it is long enough', () => {
    const long = schedule({ kind: 'weekly', weekdays: ['saturday'], startTime: '22:00' }, 50 * H, 'UTC');
    expect(long.activeAt(t('2026-03-16T23:00:00Z'))).toEqual({
      startMs: t('2026-03-14T22:00:00Z'),
      endMs: t('2026-03-17T00:00:00Z'),
    });
    expect(long.activeAt(t('2026-03-17T00:00:00Z'))).toBeUndefined();
  });
});

describe('MaintenanceSchedule monthly', () => {
  it('runs on the last day of each month', () => {
    const s = schedule({ kind: 'monthly', daysOfMonth: [-1], startTime: '23:00' }, H, 'UTC');
    expect(s.nextWindows(t('2026-01-15T00:00:00Z'), 3).map((w) => iso(w.startMs))).toEqual([
      '2026-01-31T23:00:00.000Z',
      '2026-02-28T23:00:00.000Z',
      '2026-03-31T23:00:00.000Z',
    ]);
  });

  it('skips months without the day', () => {
    const s = schedule({ kind: 'monthly', daysOfMonth: [31], startTime: '00:00' }, H, 'UTC');
    expect(s.nextWindows(t('2026-01-15T00:00:00Z'), 3).map((w) => iso(w.startMs))).toEqual([
      '2026-01-31T00:00:00.000Z',
      '2026-03-31T00:00:00.000Z',
      '2026-05-31T00:00:00.000Z',
    ]);
  });

  it('runs on the second Tuesday and the last Friday', () => {
    const s = schedule(
      {
        kind: 'monthly',
        weekdaysOfMonth: [
          { nth: 2, weekday: 'tuesday' },
          { nth: -1, weekday: 'friday' },
        ],
        startTime: '03:00',
      },
      H,
      'Asia/Tokyo',
    );
    expect(s.nextWindows(t('2026-03-01T00:00:00Z'), 4).map((w) => iso(w.startMs))).toEqual([
      '2026-03-09T18:00:00.000Z', // Tue 10 March 03:00 JST
      '2026-03-26T18:00:00.000Z', // Fri 27 March
      '2026-04-13T18:00:00.000Z', // Tue 14 April
      '2026-04-23T18:00:00.000Z', // Fri 24 April
    ]);
  });
});

describe('MaintenanceSchedule cron', () => {
  it('fires on weekdays at the cron times', () => {
    const s = schedule({ kind: 'cron', expression: '30 1,13 * * 1-5' }, 30 * 60_000, 'UTC');
    expect(s.nextWindows(t('2026-03-13T12:00:00Z'), 3).map((w) => iso(w.startMs))).toEqual([
      '2026-03-13T13:30:00.000Z',
      '2026-03-16T01:30:00.000Z',
      '2026-03-16T13:30:00.000Z',
    ]);
    expect(s.activeAt(t('2026-03-16T01:45:00Z'))).toBeDefined();
    expect(s.activeAt(t('2026-03-15T01:45:00Z'))).toBeUndefined();
  });

  it('finds a rare date years ahead', () => {
    const s = schedule({ kind: 'cron', expression: '0 0 29 2 *' }, H, 'UTC');
    expect(s.nextWindows(t('2026-03-01T00:00:00Z'), 1).map((w) => iso(w.startMs))).toEqual([
      '2028-02-29T00:00:00.000Z',
    ]);
  });
});

describe('MaintenanceSchedule across DST', () => {
  // Daily 02:30 Berlin for 2 h; 02:30 is skipped on 29 March 2026 and doubled on 25 October 2026.
  const s = schedule({ kind: 'cron', expression: '30 2 * * *' }, 2 * H, 'Europe/Berlin');

  it('moves a start in the spring gap forward and keeps the real duration', () => {
    const [w] = s.nextWindows(t('2026-03-29T00:00:00Z'), 1);
    expect(w).toEqual({ startMs: t('2026-03-29T01:30:00Z'), endMs: t('2026-03-29T03:30:00Z') });
  });

  it('starts once in the autumn overlap, at the first 02:30', () => {
    const ws = s.nextWindows(t('2026-10-24T12:00:00Z'), 2);
    expect(ws.map((w) => iso(w.startMs))).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  it('follows the local clock in summer and winter', () => {
    expect(s.activeAt(t('2026-07-01T00:30:00Z'))).toBeDefined(); // 02:30 CEST
    expect(s.activeAt(t('2026-01-10T01:30:00Z'))).toBeDefined(); // 02:30 CET
    expect(s.activeAt(t('2026-01-10T00:59:00Z'))).toBeUndefined();
  });
});

describe('MaintenanceSchedule at the edges of the zone table', () => {
  it('handles a zone 14 hours ahead of UTC', () => {
    const s = schedule({ kind: 'weekly', weekdays: ['monday'], startTime: '00:00' }, H, 'Pacific/Kiritimati');
    expect(s.nextWindows(t('2026-03-14T00:00:00Z'), 2).map((w) => iso(w.startMs))).toEqual([
      '2026-03-15T10:00:00.000Z',
      '2026-03-22T10:00:00.000Z',
    ]);
  });

  it('merges cron times that the spring jump maps onto the same instant', () => {
    const s = schedule({ kind: 'cron', expression: '*/30 1-3 * * *' }, 10 * 60_000, 'Europe/Berlin');
    expect(s.nextWindows(t('2026-03-28T23:00:00Z'), 5).map((w) => iso(w.startMs))).toEqual([
      '2026-03-29T00:00:00.000Z', // 01:00 CET
      '2026-03-29T00:30:00.000Z', // 01:30 CET
      '2026-03-29T01:00:00.000Z', // 02:00 (skipped) and 03:00 CEST
      '2026-03-29T01:30:00.000Z', // 02:30 (skipped) and 03:30 CEST
      '2026-03-29T23:00:00.000Z', // 01:00 CEST the next day
    ]);
  });
});

describe('MaintenanceSchedule validity', () => {
  it('clips windows to validFrom and validUntil', () => {
    const s = schedule({ kind: 'cron', expression: '0 0 * * *' }, 4 * H, 'UTC', {
      validFromMs: t('2026-03-10T02:00:00Z'),
      validUntilMs: t('2026-03-12T01:00:00Z'),
    });
    expect(s.activeAt(t('2026-03-10T01:00:00Z'))).toBeUndefined();
    expect(s.nextWindows(t('2026-03-01T00:00:00Z'), 5)).toEqual([
      { startMs: t('2026-03-10T02:00:00Z'), endMs: t('2026-03-10T04:00:00Z') },
      { startMs: t('2026-03-11T00:00:00Z'), endMs: t('2026-03-11T04:00:00Z') },
      { startMs: t('2026-03-12T00:00:00Z'), endMs: t('2026-03-12T01:00:00Z') },
    ]);
    expect(s.activeAt(t('2026-03-12T01:00:00Z'))).toBeUndefined();
  });
});

describe('compileWindow', () => {
  const base: MaintenanceWindow = {
    id: 'w1',
    matchers: [{ name: 'env', value: 'staging', isRegex: false, isEqual: true }],
    recurrence: { kind: 'weekly', weekdays: ['monday'], startTime: '02:00' },
    durationMs: H,
    timeZone: 'Asia/Tokyo',
    createdBy: 'ops',
    comment: 'patch night',
    updatedAtMs: 0,
  };
  const bad: { name: string; patch: Partial<MaintenanceWindow>; error: RegExp }[] = [
    { name: 'no matchers', patch: { matchers: [] }, error: /matchers: at least one matcher required/ },
    {
      name: 'matchers matching everything',
      patch: { matchers: [{ name: 'env', value: '.*', isRegex: true, isEqual: true }] },
      error: /must not match the empty string/,
    },
    {
      name: 'a bad label name',
      patch: { matchers: [{ name: 'a-b', value: 'x', isRegex: false, isEqual: true }] },
      error: /matchers\[0\]: invalid label name "a-b"/,
    },
    { name: 'a zero duration', patch: { durationMs: 0 }, error: /duration: must be > 0/ },
    {
      name: 'an unknown zone',
      patch: { timeZone: 'Asia/Nowhere' },
      error: /unknown time zone "Asia\/Nowhere"/,
    },
    {
      name: 'a bad start time',
      patch: { recurrence: { kind: 'weekly', weekdays: ['monday'], startTime: '25:00' } },
      error: /recurrence.startTime: must be HH:MM.*"25:00"/,
    },
    {
      name: 'a bad weekday',
      patch: { recurrence: { kind: 'weekly', weekdays: ['someday' as 'monday'], startTime: '01:00' } },
      error: /recurrence.weekdays\[0\]: must be a weekday name.*"someday"/,
    },
    {
      name: 'a monthly without days',
      patch: { recurrence: { kind: 'monthly', startTime: '01:00' } },
      error: /monthly needs daysOfMonth or weekdaysOfMonth/,
    },
    {
      name: 'a sixth Tuesday',
      patch: {
        recurrence: {
          kind: 'monthly',
          weekdaysOfMonth: [{ nth: 6, weekday: 'tuesday' }],
          startTime: '01:00',
        },
      },
      error: /weekdaysOfMonth\[0\].nth: must be 1…5 or -1, got 6/,
    },
    {
      name: 'a cron that never fires',
      patch: { recurrence: { kind: 'cron', expression: '0 0 31 2 *' } },
      error: /recurrence: never occurs/,
    },
    {
      name: 'validUntil before validFrom',
      patch: { validFromMs: 10, validUntilMs: 5 },
      error: /validUntil: must be after validFrom/,
    },
    { name: 'no author', patch: { createdBy: '' }, error: /createdBy: must not be empty/ },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => {
      expect(() => compileWindow({ ...base, ...c.patch })).toThrow(c.error);
    });
  }
  it('accepts a good window', () => {
    expect(compileWindow(base).matchers).toHaveLength(1);
  });
});
