import { describe, expect, it } from 'vitest';
import { MAX_TIME_MS, MIN_TIME_MS, parseDurationParam, parseLimit, parseTime } from './params.js';

describe('parseTime', () => {
  const ok: [string, number][] = [
    ['0', 0],
    ['1435781451', 1435781451000],
    ['1435781451.781', 1435781451781],
    ['1435781451.7815', 1435781451782],
    ['-1.5', -1500],
    ['1e3', 1_000_000],
    ['2015-07-01T20:10:51.781Z', 1435781451781],
    ['2015-07-01T20:10:51Z', 1435781451000],
    ['2015-07-01T20:10:51.781999999Z', 1435781451781],
    ['2015-07-01T22:10:51+02:00', 1435781451000],
    ['2015-07-01T18:40:51-01:30', 1435781451000],
    ['-292273086-05-16T16:47:06Z', MIN_TIME_MS],
    ['292277025-08-18T07:12:54.999999999Z', MAX_TIME_MS],
  ];
  it.each(ok)('parses %s', (s, want) => {
    expect(parseTime(s)).toBe(want);
  });
  const bad = ['', 'now', '2015-07-01', '2015-07-01 20:10:51Z', '1h', 'NaN', '2015-13-01T00:00:00Z'];
  it.each(bad)('rejects %j', (s) => {
    expect(() => parseTime(s)).toThrow(`cannot parse ${JSON.stringify(s)} to a valid timestamp`);
  });
});

describe('parseDurationParam', () => {
  const ok: [string, number][] = [
    ['15', 15_000],
    ['0.5', 500],
    ['0.0005', 0],
    ['1m30s', 90_000],
    ['5m', 300_000],
    ['1d', 86_400_000],
    ['-10', -10_000],
    ['0', 0],
  ];
  it.each(ok)('parses %s', (s, want) => {
    expect(parseDurationParam(s)).toBe(want);
  });
  it.each(['x', '1.5m', '5 m', ''])('rejects %j', (s) => {
    expect(() => parseDurationParam(s)).toThrow(`cannot parse ${JSON.stringify(s)} to a valid duration`);
  });
  it('rejects float seconds that overflow int64 nanoseconds', () => {
    expect(() => parseDurationParam('1e12')).toThrow('It overflows int64');
  });
});

describe('parseLimit', () => {
  const cases: [string, number | string][] = [
    ['', Infinity],
    ['0', Infinity],
    ['5', 5],
    ['-1', 'limit must be non-negative'],
    ['x', 'cannot parse "x" to a valid limit'],
  ];
  it.each(cases)('limit=%j', (s, want) => {
    const form = new URLSearchParams(s === '' ? '' : `limit=${s}`);
    if (typeof want === 'number') expect(parseLimit(form)).toBe(want);
    else expect(() => parseLimit(form)).toThrow(want);
  });
});
