import { describe, expect, it } from 'vitest';
import { formatGoE, goTime } from './rules.js';

describe('formatGoE', () => {
  // Expected strings are what Go's strconv.FormatFloat(v, 'e', -1, 64) prints.
  const cases: [number, string][] = [
    [1, '1e+00'],
    [0, '0e+00'],
    [-0, '-0e+00'],
    [0.5, '5e-01'],
    [123.45, '1.2345e+02'],
    [-2.5e-7, '-2.5e-07'],
    [1e21, '1e+21'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [5e-324, '5e-324'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ];
  it.each(cases)('%s → %s', (v, want) => {
    expect(formatGoE(v)).toBe(want);
  });
});

describe('goTime', () => {
  const cases: [number | undefined, string][] = [
    [undefined, '0001-01-01T00:00:00Z'],
    [0, '1970-01-01T00:00:00Z'],
    [1_700_000_000_100, '2023-11-14T22:13:20.1Z'],
    [1_700_000_000_123, '2023-11-14T22:13:20.123Z'],
    [1_700_000_000_120, '2023-11-14T22:13:20.12Z'],
  ];
  it.each(cases)('%s → %s', (ms, want) => {
    expect(goTime(ms)).toBe(want);
  });
});
