import { describe, expect, it } from 'vitest';
import type { DashboardUnit, Thresholds } from './dashboard-model.js';
import {
  cssColor,
  defaultMax,
  formatUnit,
  fraction,
  lastValue,
  legendCalcs,
  thresholdColor,
} from './dashboard-format.js';

describe('formatUnit', () => {
  it.each([
    [1234, 'short', undefined, '1.23k'],
    [0.5, 'short', undefined, '0.5'],
    [12, 'short', 2, '12.00'],
    [1536, 'bytes', undefined, '1.5 KiB'],
    [1500, 'decbytes', undefined, '1.5 kB'],
    [8 * 1024 ** 3, 'bytes', 1, '8.0 GiB'],
    [2000, 'bps', undefined, '2 kb/s'],
    [1024, 'binBps', undefined, '1 KiB/s'],
    [1e6, 'Bps', undefined, '1 MB/s'],
    [45.2, 'percent', undefined, '45.2%'],
    [0.452, 'percentunit', undefined, '45.2%'],
    [0.452, 'percentunit', 0, '45%'],
    [0.25, 's', undefined, '250 ms'],
    [90, 's', undefined, '1.5 min'],
    [250, 'ms', undefined, '250 ms'],
    [1500, 'us', undefined, '1.5 ms'],
    [90_061, 'dtdurations', undefined, '1d 1h'],
    [3, 'reqps', undefined, '3 req/s'],
    [21.5, 'celsius', undefined, '21.5°C'],
    [2.4e9, 'hertz', undefined, '2.4 GHz'],
    [0, 'dateTimeAsIso', undefined, '1970-01-01 00:00:00'],
    [NaN, 'bytes', undefined, 'NaN'],
    [Infinity, 'short', undefined, '+Inf'],
    [-2048, 'bytes', undefined, '-2 KiB'],
  ] as const)('%d %s (decimals %s) → %s', (v, unit, decimals, want) => {
    expect(formatUnit(v, unit as DashboardUnit, decimals)).toBe(want);
  });
});

describe('thresholdColor', () => {
  const abs: Thresholds = {
    mode: 'absolute',
    steps: [
      { value: null, color: 'green' },
      { value: 80, color: 'orange' },
      { value: 95, color: '#ff0000' },
    ],
  };
  const pct: Thresholds = {
    mode: 'percentage',
    steps: [
      { value: null, color: 'blue' },
      { value: 50, color: 'red' },
    ],
  };
  it.each([
    [10, abs, {}, cssColor('green')],
    [80, abs, {}, cssColor('orange')],
    [99, abs, {}, '#ff0000'],
    [NaN, abs, {}, undefined],
    [0.6, pct, { min: 0, max: 1 }, cssColor('red')],
    [0.4, pct, { min: 0, max: 1 }, cssColor('blue')],
    [60, pct, {}, cssColor('red')],
    [10, undefined, {}, undefined],
  ] as const)('%d → %s', (v, th, range, want) => {
    expect(thresholdColor(v, th, range)).toBe(want);
  });
  it('maps Grafana shades to their base colour and keeps CSS colours', () => {
    expect(cssColor('dark-red')).toBe(cssColor('red'));
    expect(cssColor('semi-dark-green')).toBe(cssColor('green'));
    expect(cssColor('rgb(1, 2, 3)')).toBe('rgb(1, 2, 3)');
  });
});

describe('legendCalcs', () => {
  it.each([
    [[1, null, 3, 2], { min: 1, max: 3, avg: 2, last: 2 }],
    [[null, NaN, 5, Infinity, null], { min: 5, max: 5, avg: 5, last: 5 }],
    [[null, null], { min: undefined, max: undefined, avg: undefined, last: undefined }],
    [[-1, -3], { min: -3, max: -1, avg: -2, last: -3 }],
  ])('%j → %j', (values, want) => {
    expect(legendCalcs(values)).toEqual(want);
  });
  it('finds the last finite value', () => {
    expect(lastValue([1, 2, null, NaN])).toBe(2);
    expect(lastValue([null])).toBeUndefined();
  });
});

describe('fraction and defaultMax', () => {
  it.each([
    [50, 0, 100, 1, 0.5],
    [150, 0, 100, 1, 1],
    [-5, 0, 100, 1, 0],
    [5, undefined, undefined, 10, 0.5],
    [5, 10, 10, 1, 0],
  ] as const)('%d in [%s, %s] (fallback %d) → %d', (v, min, max, fb, want) => {
    expect(fraction(v, min, max, fb)).toBe(want);
  });
  it('bounds percent units and otherwise takes the largest value', () => {
    expect(defaultMax('percent', [3])).toBe(100);
    expect(defaultMax('percentunit', [0.3])).toBe(1);
    expect(defaultMax('bytes', [3, 7, NaN])).toBe(7);
    expect(defaultMax(undefined, [])).toBe(1);
  });
});
