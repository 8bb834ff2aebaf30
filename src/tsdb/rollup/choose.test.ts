import { describe, expect, it } from 'vitest';
import type { SelectHints } from '../../storage/storage.js';
import { chooseResolution } from './choose.js';

const M = 60_000;
const H = 60 * M;
const RES = [5 * M, H];
const base = { startMs: 0, endMs: 100 * H };

describe('chooseResolution', () => {
  it.each<[string, SelectHints | undefined, number]>([
    ['no hints: raw', undefined, 0],
    [
      'rate at a 1 h step over 1 h: 1 h',
      { ...base, stepMs: H, evalStartMs: 10 * H, rangeMs: H, func: 'rate' },
      H,
    ],
    [
      'rate at a 1 h step over 5 m: 5 m',
      { ...base, stepMs: H, evalStartMs: 10 * H, rangeMs: 5 * M, func: 'rate' },
      5 * M,
    ],
    [
      'rate at a 30 m step: 5 m',
      { ...base, stepMs: 30 * M, evalStartMs: 10 * H, rangeMs: H, func: 'rate' },
      5 * M,
    ],
    ['a 1 m step: raw', { ...base, stepMs: M, evalStartMs: 10 * H, rangeMs: H, func: 'rate' }, 0],
    [
      'a step 5 m does not divide: raw',
      { ...base, stepMs: 7 * M, evalStartMs: 10 * H, rangeMs: H, func: 'rate' },
      0,
    ],
    [
      'start off the 1 h grid: 5 m',
      { ...base, stepMs: H, evalStartMs: 10 * H + 5 * M, rangeMs: H, func: 'rate' },
      5 * M,
    ],
    [
      'start off every grid: raw',
      { ...base, stepMs: H, evalStartMs: 10 * H + 1000, rangeMs: H, func: 'rate' },
      0,
    ],
    [
      'range not a multiple: raw',
      { ...base, stepMs: H, evalStartMs: 10 * H, rangeMs: 7 * M, func: 'rate' },
      0,
    ],
    [
      'range 90 m at a 1 h step: 5 m',
      { ...base, stepMs: H, evalStartMs: 10 * H, rangeMs: 90 * M, func: 'max_over_time' },
      5 * M,
    ],
    [
      'quantile_over_time: raw',
      { ...base, stepMs: H, evalStartMs: 10 * H, rangeMs: H, func: 'quantile_over_time' },
      0,
    ],
    ['plain selection at 1 h: 1 h (last)', { ...base, stepMs: H, evalStartMs: 10 * H }, H],
    ['instant query (no step): raw', { ...base, evalStartMs: 10 * H, rangeMs: H, func: 'rate' }, 0],
    [
      'forced raw',
      { ...base, stepMs: H, evalStartMs: 10 * H, rangeMs: H, func: 'rate', maxResolutionMs: 0 },
      0,
    ],
    [
      'capped at 5 m',
      { ...base, stepMs: H, evalStartMs: 10 * H, rangeMs: H, func: 'rate', maxResolutionMs: 5 * M },
      5 * M,
    ],
  ])('%s', (_name, hints, want) => {
    expect(chooseResolution(hints, RES)).toBe(want);
  });
});
