import { describe, expect, it } from 'vitest';
import { cronMatchesDay, parseCron } from './cron.js';
import { civilDate } from './zoned-time.js';

const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

describe('parseCron', () => {
  const times: { expr: string; minutes: number[] }[] = [
    { expr: '0 2 * * *', minutes: [120] },
    { expr: '30 1,13 * * *', minutes: [90, 13 * 60 + 30] },
    { expr: '*/20 3 * * *', minutes: [180, 200, 220] },
    { expr: '50/5 0 * * *', minutes: [50, 55] },
    { expr: '0 22-23 * * *', minutes: [22 * 60, 23 * 60] },
    { expr: '0 0-6/3 * * *', minutes: [0, 180, 360] },
    { expr: '@daily', minutes: [0] },
    { expr: '@HOURLY', minutes: Array.from({ length: 24 }, (_, h) => h * 60) },
  ];
  for (const c of times) {
    it(`fires at the right minutes for ${JSON.stringify(c.expr)}`, () => {
      expect(parseCron(c.expr).minutesOfDay).toEqual(c.minutes);
    });
  }

  const days: { expr: string; date: string; want: boolean }[] = [
    { expr: '0 2 * * 1-5', date: '2026-03-09', want: true }, // Monday
    { expr: '0 2 * * 1-5', date: '2026-03-08', want: false }, // Sunday
    { expr: '0 2 * * 7', date: '2026-03-08', want: true }, // 7 is Sunday too
    { expr: '0 2 * * sun', date: '2026-03-08', want: true },
    { expr: '0 2 * * MON-fri', date: '2026-03-14', want: false }, // Saturday
    { expr: '0 2 1 * *', date: '2026-03-01', want: true },
    { expr: '0 2 1 jan,jul *', date: '2026-03-01', want: false },
    { expr: '0 2 1 jan,jul *', date: '2026-07-01', want: true },
    // Both day fields restricted: either matches (Vixie cron).
    { expr: '0 2 13 * fri', date: '2026-03-06', want: true },
    { expr: '0 2 13 * fri', date: '2026-03-13', want: true },
    { expr: '0 2 13 * fri', date: '2026-03-12', want: false },
    // A star-step day of week counts as unrestricted.
    { expr: '0 2 13 * */1', date: '2026-03-12', want: false },
  ];
  for (const c of days) {
    it(`${c.want ? 'matches' : 'skips'} ${c.date} for ${JSON.stringify(c.expr)}`, () => {
      expect(cronMatchesDay(parseCron(c.expr), civilDate(day(c.date)))).toBe(c.want);
    });
  }

  const bad: { expr: string; error: RegExp }[] = [
    { expr: '0 2 * *', error: /want 5 fields.*got 4/ },
    { expr: '60 2 * * *', error: /minute "60": 60 is out of range 0-59/ },
    { expr: '0 24 * * *', error: /hour "24"/ },
    { expr: '0 2 0 * *', error: /day of month "0"/ },
    { expr: '0 2 * 13 *', error: /month "13"/ },
    { expr: '0 2 * * 8', error: /day of week "8"/ },
    { expr: '*/0 2 * * *', error: /invalid step "0"/ },
    { expr: '0 5-2 * * *', error: /backwards/ },
    { expr: '0 2 * * funday', error: /invalid value "funday"/ },
    { expr: '0 2,,3 * * *', error: /empty list item/ },
  ];
  for (const c of bad) {
    it(`rejects ${JSON.stringify(c.expr)}`, () => {
      expect(() => parseCron(c.expr)).toThrow(c.error);
    });
  }
});
