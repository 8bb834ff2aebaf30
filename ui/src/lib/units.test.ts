import { describe, expect, it } from 'vitest';
import { formatValue, type Unit } from './units.js';

describe('formatValue', () => {
  it.each([
    [0, 'bytes', '0 B'],
    [512, 'bytes', '512 B'],
    [1024, 'bytes', '1 KiB'],
    [1536, 'bytes', '1.5 KiB'],
    [1048575, 'bytes', '1 MiB'],
    [8 * 1024 ** 3, 'bytes', '8 GiB'],
    [-2048, 'bytes', '-2 KiB'],
    [123456789, 'bytesPerSec', '118 MiB/s'],
    [0.1234, 'percent', '12.3%'],
    [1, 'percent', '100%'],
    [0.000123, 'percent', '0.0123%'],
    [0, 'seconds', '0 s'],
    [0.0000042, 'seconds', '4.2 µs'],
    [0.25, 'seconds', '250 ms'],
    [42, 'seconds', '42 s'],
    [90, 'seconds', '1.5 min'],
    [7200, 'seconds', '2 h'],
    [172800, 'seconds', '2 d'],
    [999, 'short', '999'],
    [1500, 'short', '1.5k'],
    [2_500_000, 'short', '2.5M'],
    [0.5, 'short', '0.5'],
    [2500, 'perSec', '2.5k/s'],
    [0.02, 'perSec', '0.02/s'],
    [3.14159265, 'none', '3.14159'],
    [123456789, 'none', '123456789'],
    [NaN, 'bytes', 'NaN'],
    [Infinity, 'seconds', '+Inf'],
    [-Infinity, 'percent', '-Inf'],
  ] as [number, Unit, string][])('%d %s → %s', (v, unit, want) => {
    expect(formatValue(v, unit)).toBe(want);
  });
});
