import { describe, expect, it } from 'vitest';
import {
  absoluteRange,
  autoStepMs,
  formatDurationMs,
  fromDatetimeLocal,
  isRelative,
  parseDurationMs,
  parseTimeExpr,
  rateWindowMs,
  resolveRange,
  toDatetimeLocal,
  zoomOut,
} from './time-range.js';

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);

describe('parseDurationMs', () => {
  it.each([
    ['15s', 15_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    ['250ms', 250],
    ['1m30s500ms', 90_500],
    ['', undefined],
    ['5', undefined],
    ['1.5h', undefined],
    ['30m1h', undefined],
    ['1h1h', undefined],
    ['5x', undefined],
    ['-5m', undefined],
  ])('%j → %j', (s, want) => {
    expect(parseDurationMs(s)).toBe(want);
  });
});

describe('formatDurationMs', () => {
  it.each([
    [0, '0s'],
    [15_000, '15s'],
    [5_400_000, '1h30m'],
    [86_400_000, '1d'],
    [90_500, '1m30s500ms'],
  ])('%d → %s', (ms, want) => {
    expect(formatDurationMs(ms)).toBe(want);
    expect(parseDurationMs(want)).toBe(ms);
  });
});

describe('parseTimeExpr', () => {
  it.each([
    ['now', NOW],
    [' now ', NOW],
    ['now-1h', NOW - 3_600_000],
    ['now-1d12h', NOW - 129_600_000],
    ['now+5m', NOW + 300_000],
    ['1700000000000', 1_700_000_000_000],
    ['2026-11-27T11:00:00Z', NOW - 3_600_000],
    ['now-', undefined],
    ['now-1x', undefined],
    ['yesterday', undefined],
    ['2026-13-45T99:00:00Z', undefined],
  ])('%j → %j', (s, want) => {
    expect(parseTimeExpr(s, NOW)).toBe(want);
  });
});

describe('resolveRange', () => {
  it('resolves a relative range against now', () => {
    expect(resolveRange({ from: 'now-6h', to: 'now' }, NOW)).toEqual({
      startMs: NOW - 21_600_000,
      endMs: NOW,
    });
  });
  it('rejects an empty or reversed range and invalid bounds', () => {
    expect(resolveRange({ from: 'now', to: 'now' }, NOW)).toBeUndefined();
    expect(resolveRange({ from: 'now', to: 'now-1h' }, NOW)).toBeUndefined();
    expect(resolveRange({ from: 'bad', to: 'now' }, NOW)).toBeUndefined();
  });
  it('keeps an absolute range from a zoom as it is', () => {
    const r = absoluteRange(NOW - 1234.4, NOW);
    expect(r).toEqual({ from: String(NOW - 1234), to: String(NOW) });
    expect(isRelative(r)).toBe(false);
    expect(resolveRange(r, NOW + 1e9)).toEqual({ startMs: NOW - 1234, endMs: NOW });
  });
});

describe('zoomOut', () => {
  it('doubles a relative range and keeps it ending now', () => {
    expect(zoomOut({ from: 'now-1h', to: 'now' }, NOW)).toEqual({ from: 'now-2h', to: 'now' });
  });
  it('doubles an absolute range around its middle, not past now', () => {
    expect(zoomOut(absoluteRange(NOW - 7_200_000, NOW - 3_600_000), NOW)).toEqual(
      absoluteRange(NOW - 9_000_000, NOW - 1_800_000),
    );
    expect(zoomOut(absoluteRange(NOW - 3_600_000, NOW), NOW)).toEqual(absoluteRange(NOW - 7_200_000, NOW));
  });
});

describe('autoStepMs', () => {
  it.each([
    [300_000, 1200, 15_000, 15_000],
    [3_600_000, 1200, 15_000, 15_000],
    [21_600_000, 1200, 15_000, 60_000],
    [86_400_000, 1200, 15_000, 300_000],
    [30 * 86_400_000, 1200, 15_000, 7_200_000],
    [3_600_000, 1200, 1_000, 10_000],
    [3_600_000, 100_000, 1_000, 1_000],
  ])('range %d ms over %d px (min %d) → %d', (range, width, min, want) => {
    expect(autoStepMs(range, width, min)).toBe(want);
  });
  it('never asks for more than 11,000 points', () => {
    const range = 400 * 86_400_000;
    expect(range / autoStepMs(range, 1e9, 1)).toBeLessThanOrEqual(11_000);
  });
});

describe('rateWindowMs', () => {
  it.each([
    [15_000, 15_000, 60_000],
    [60_000, 15_000, 75_000],
    [300_000, 15_000, 315_000],
    [15_000, 60_000, 240_000],
  ])('step %d, scrape %d → %d', (step, scrape, want) => {
    expect(rateWindowMs(step, scrape)).toBe(want);
  });
});

describe('datetime-local', () => {
  it('round-trips a minute in local time', () => {
    const ms = new Date(2026, 0, 2, 3, 4).getTime();
    expect(toDatetimeLocal(ms)).toBe('2026-01-02T03:04');
    expect(fromDatetimeLocal(toDatetimeLocal(ms))).toBe(ms);
  });
  it.each(['', '2026-01-02', 'garbage'])('rejects %j', (s) => {
    expect(fromDatetimeLocal(s)).toBeUndefined();
  });
});
