import { describe, expect, it } from 'vitest';
import { labelsFromRecord } from '../model/labels.js';
import { STALE_NAN, isStaleNaN } from '../model/sample.js';
import { ArrayIterator } from './memory-storage.js';
import { mergeSampleArrays, readIterator, readSeriesSamples } from './read-samples.js';
import type { SampleArrays } from './storage.js';

const arrays = (pts: [number, number][]): SampleArrays => ({
  ts: Float64Array.from(pts, (p) => p[0]),
  vs: Float64Array.from(pts, (p) => p[1]),
});
const points = (a: SampleArrays): [number, number][] => Array.from(a.ts, (t, i) => [t, a.vs[i]!]);

describe('mergeSampleArrays', () => {
  const cases: { name: string; parts: [number, number][][]; want: [number, number][] }[] = [
    { name: 'nothing', parts: [], want: [] },
    { name: 'empty parts', parts: [[], []], want: [] },
    { name: 'one part', parts: [[[1, 1]]], want: [[1, 1]] },
    {
      name: 'interleaved parts, the first winning equal times',
      parts: [
        [
          [10, 1],
          [30, 3],
        ],
        [
          [10, 9],
          [20, 2],
          [40, 4],
        ],
      ],
      want: [
        [10, 1],
        [20, 2],
        [30, 3],
        [40, 4],
      ],
    },
    {
      name: 'three parts',
      parts: [
        [[5, 1]],
        [
          [5, 2],
          [6, 2],
        ],
        [
          [1, 3],
          [6, 3],
          [7, 3],
        ],
      ],
      want: [
        [1, 3],
        [5, 1],
        [6, 2],
        [7, 3],
      ],
    },
    {
      name: 'disjoint parts listed newest first',
      parts: [
        [
          [30, 3],
          [40, 4],
        ],
        [[20, 2]],
        [
          [1, 1],
          [10, 1],
        ],
      ],
      want: [
        [1, 1],
        [10, 1],
        [20, 2],
        [30, 3],
        [40, 4],
      ],
    },
    {
      name: 'parts touching at one time (the first listed wins)',
      parts: [
        [
          [20, 9],
          [30, 3],
        ],
        [
          [10, 1],
          [20, 2],
        ],
      ],
      want: [
        [10, 1],
        [20, 9],
        [30, 3],
      ],
    },
    {
      name: 'disjoint runs around one overlap (newest first wins inside it)',
      parts: [
        [[50, 5]],
        [
          [30, 9],
          [40, 4],
        ],
        [
          [20, 2],
          [30, 3],
        ],
        [[1, 1]],
      ],
      want: [
        [1, 1],
        [20, 2],
        [30, 9],
        [40, 4],
        [50, 5],
      ],
    },
  ];
  for (const c of cases)
    it(`merges ${c.name}`, () => {
      expect(points(mergeSampleArrays(c.parts.map(arrays)))).toEqual(c.want);
    });

  it('keeps the staleness marker', () => {
    // Set element-wise: a plain array literal would canonicalize the marker's NaN payload.
    const vs = new Float64Array(2);
    vs[0] = STALE_NAN;
    vs[1] = 1;
    const a = { ts: Float64Array.from([1, 3]), vs };
    const m = mergeSampleArrays([a, arrays([[2, 2]])]);
    expect(isStaleNaN(m.vs[0]!)).toBe(true);
  });
});

describe('readSeriesSamples', () => {
  it('reads through the iterator when the series has no bulk read', () => {
    const ts = Array.from({ length: 3000 }, (_, i) => i * 15);
    const vs = Float64Array.from(ts, (t) => t / 3);
    vs[7] = STALE_NAN;
    const got = readSeriesSamples({
      labels: labelsFromRecord({}),
      iterator: () => new ArrayIterator(ts, vs),
    });
    expect(Array.from(got.ts)).toEqual(ts);
    expect(isStaleNaN(got.vs[7]!)).toBe(true);
    expect(got.vs[2999]).toBe(ts[2999]! / 3);
  });

  it('prefers the bulk read', () => {
    const bulk = arrays([[1, 2]]);
    const series = {
      labels: labelsFromRecord({}),
      iterator: () => new ArrayIterator([], new Float64Array(0)),
      readSamples: () => bulk,
    };
    expect(readSeriesSamples(series)).toBe(bulk);
    expect(readIterator(series.iterator()).ts.length).toBe(0);
  });
});
