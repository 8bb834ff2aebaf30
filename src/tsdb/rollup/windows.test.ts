import { describe, expect, it } from 'vitest';
import { isStaleNaN, STALE_NAN } from '../../model/sample.js';
import { SliceIterator } from '../iterators.js';
import { decodeRollupChunk, encodeRollupChunk } from './chunk.js';
import { NOT_STALE, windowEnd, Windows } from './windows.js';

const M = 60_000;

/**
 * Windows of 5 minutes built from (t in minutes, v) samples; 'stale' is the staleness marker (a
 * plain array would not keep its NaN payload).
 */
function build(samples: [number, number | 'stale'][], res = 5 * M): Windows {
  const w = new Windows(res);
  for (const [t, v] of samples) w.addSample(t * M, v === 'stale' ? STALE_NAN : v);
  return w;
}

function row(w: Windows, i: number): Record<string, number> {
  return {
    t: w.t[i]! / M,
    count: w.count[i]!,
    sum: w.sum[i]!,
    min: w.min[i]!,
    max: w.max[i]!,
    firstT: w.firstT[i]! / M,
    firstV: w.firstV[i]!,
    lastT: w.lastT[i]! / M,
    lastV: w.lastV[i]!,
    resets: w.resets[i]!,
  };
}

describe('windowEnd', () => {
  it.each([
    [1, 5],
    [5, 5],
    [6, 10],
    [0, 0],
    [-1, 0],
  ])('puts minute %d in the window ending at minute %d (windows are (e - r, e])', (t, e) => {
    expect(windowEnd(t * M, 5 * M)).toBe(e * M);
  });
});

describe('Windows', () => {
  it('aggregates a counter with a reset into golden per-window values', () => {
    // Window (0, 5]: 10, 20, 5 (reset after 20), 8; window (5, 10]: 12, 3 (reset after 12).
    const w = build([
      [1, 10],
      [2, 20],
      [3, 5],
      [5, 8],
      [6, 12],
      [9, 3],
    ]);
    expect(w.length).toBe(2);
    expect(row(w, 0)).toEqual({
      t: 5,
      count: 4,
      sum: 43,
      min: 5,
      max: 20,
      firstT: 1,
      firstV: 10,
      lastT: 5,
      lastV: 8,
      resets: 20,
    });
    expect(row(w, 1)).toEqual({
      t: 10,
      count: 2,
      sum: 15,
      min: 3,
      max: 12,
      firstT: 6,
      firstV: 12,
      lastT: 9,
      lastV: 3,
      resets: 12,
    });
    // Increase within a window: last - first + resets.
    expect(w.lastV[0]! - w.firstV[0]! + w.resets[0]!).toBe(18);
  });

  it('follows Prometheus for NaN: min and max are NaN only when every value is', () => {
    const w = build([
      [1, NaN],
      [2, 4],
      [3, NaN],
      [6, NaN],
    ]);
    expect([w.min[0], w.max[0], w.count[0]]).toEqual([4, 4, 3]);
    expect(Number.isNaN(w.sum[0]!)).toBe(true);
    expect(Number.isNaN(w.min[1]!)).toBe(true);
  });

  it('leaves staleness markers out of the aggregates and remembers one that ends a window', () => {
    const w = build([
      [1, 1],
      [2, 'stale'],
      [3, 2],
      [4, 'stale'],
      [7, 'stale'],
    ]);
    expect(row(w, 0)).toMatchObject({ count: 2, sum: 3, lastV: 2 });
    expect(w.staleT[0]).toBe(4 * M);
    expect(w.count[1]).toBe(0);
    expect(w.staleT[1]).toBe(7 * M);
    const last = w.lastSamples();
    expect([...last.ts].map((t) => t / M)).toEqual([3, 4, 7]);
    expect(last.vs[0]).toBe(2);
    expect(isStaleNaN(last.vs[1]!)).toBe(true);
    expect(isStaleNaN(last.vs[2]!)).toBe(true);
  });

  it('combines the parts of a window read from two blocks into the window of all samples', () => {
    const samples: [number, number][] = [
      [1, 10],
      [2, 20],
      [3, 5],
      [4, 2],
      [5, 8],
    ];
    const whole = build(samples);
    const a = build(samples.slice(0, 2));
    const b = build(samples.slice(2));
    const joined = new Windows(5 * M);
    joined.addWindows(a);
    joined.addWindows(b);
    expect(joined.length).toBe(1);
    expect(row(joined, 0)).toEqual(row(whole, 0));
    expect(joined.staleT[0]).toBe(NOT_STALE);
  });

  it('adds only the samples of an iterator within [minT, maxT]', () => {
    const w = new Windows(5 * M);
    const ts = Float64Array.from([1, 2, 3, 4].map((m) => m * M));
    w.addSamples(new SliceIterator(ts, Float64Array.from([1, 2, 3, 4])), 2 * M, 3 * M);
    expect(row(w, 0)).toMatchObject({ count: 2, sum: 5, firstT: 2, lastT: 3 });
  });
});

describe('rollup chunk', () => {
  it('round-trips every column bit-exactly, relative times included', () => {
    const w = build([
      [1, 10],
      [2, 20],
      [3, 5],
      [6, 12],
      [8, 'stale'],
      [11, NaN],
      [16, 0.1],
    ]);
    const bytes = encodeRollupChunk(w, 0, w.length);
    expect((bytes[0]! << 8) | bytes[1]!).toBe(w.length);
    const back = new Windows(5 * M);
    decodeRollupChunk(bytes, back, 'test');
    expect(back.length).toBe(w.length);
    for (let i = 0; i < w.length; i++) {
      expect(row(back, i)).toEqual(row(w, i));
      expect(back.staleT[i]).toBe(w.staleT[i]);
    }
  });
});
