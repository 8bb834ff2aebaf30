import { describe, expect, it } from 'vitest';
import { XorChunk } from '../chunkenc/xor.js';
import { labelsFromRecord } from '../model/labels.js';
import { readIterator, readSeriesSamples } from '../storage/read-samples.js';
import type { SampleIterator } from '../storage/storage.js';
import {
  ChunksIterator,
  DeletedIterator,
  MergeIterator,
  SliceIterator,
  dropDeleted,
  mergeSeriesLists,
  readChunks,
  type ChunkRef,
} from './iterators.js';

function chunk(ts: number[]): ChunkRef {
  const c = new XorChunk();
  for (const t of ts) c.append(t, t / 10);
  return { bytes: c.seal(), numSamples: c.numSamples, minT: c.minTime, maxT: c.maxTime };
}

function drain(it: SampleIterator): number[] {
  const out: number[] = [];
  while (it.next()) out.push(it.atT());
  return out;
}

const slice = (ts: number[]) =>
  new SliceIterator(
    ts,
    Float64Array.from(ts, (t) => t / 10),
  );

describe('ChunksIterator', () => {
  const chunks = [chunk([10, 20, 30]), chunk([40, 50]), chunk([60, 70, 80])];

  it('iterates the samples of consecutive chunks within the range', () => {
    expect(drain(new ChunksIterator(chunks, 25, 65))).toEqual([30, 40, 50, 60]);
    expect(drain(new ChunksIterator(chunks, -Infinity, Infinity))).toEqual([10, 20, 30, 40, 50, 60, 70, 80]);
    expect(drain(new ChunksIterator(chunks, 81, 90))).toEqual([]);
  });

  it('seeks across chunks and never backwards', () => {
    const it = new ChunksIterator(chunks, 0, 75);
    expect(it.seek(45)).toBe(true);
    expect([it.atT(), it.atV()]).toEqual([50, 5]);
    expect(it.seek(15)).toBe(true);
    expect(it.atT()).toBe(50);
    expect(it.next()).toBe(true);
    expect(it.atT()).toBe(60);
    expect(it.seek(71)).toBe(false);
  });
});

describe('readChunks', () => {
  const chunks = [chunk([10, 20, 30]), chunk([40, 50]), chunk([60, 70, 80])];
  const ranges: [number, number][] = [
    [25, 65],
    [-Infinity, Infinity],
    [81, 90],
    [0, 5],
    [40, 50],
    [50, 50],
    [31, 39],
    [10, 80],
  ];
  for (const [minT, maxT] of ranges)
    it(`reads what ChunksIterator yields over [${minT}, ${maxT}]`, () => {
      const want = readIterator(new ChunksIterator(chunks, minT, maxT));
      const got = readChunks(chunks, minT, maxT);
      expect(Array.from(got.ts)).toEqual(Array.from(want.ts));
      expect(Array.from(got.vs)).toEqual(Array.from(want.vs));
    });
});

describe('dropDeleted', () => {
  it('drops what DeletedIterator hides', () => {
    const ts = [10, 20, 30, 40, 50];
    const deleted = [
      { minT: 15, maxT: 30 },
      { minT: 50, maxT: 50 },
    ];
    const got = dropDeleted({ ts: Float64Array.from(ts), vs: Float64Array.from(ts, (t) => t / 10) }, deleted);
    const want = readIterator(new DeletedIterator(slice(ts), deleted));
    expect(Array.from(got.ts)).toEqual(Array.from(want.ts));
    expect(Array.from(got.vs)).toEqual(Array.from(want.vs));
  });
});

describe('MergeIterator', () => {
  it('merges by time and lets the first source win on equal times', () => {
    const a = new SliceIterator([10, 30], Float64Array.from([1, 3]));
    const b = new SliceIterator([10, 20, 40], Float64Array.from([9, 2, 4]));
    const m = new MergeIterator([a, b]);
    const got: [number, number][] = [];
    while (m.next()) got.push([m.atT(), m.atV()]);
    expect(got).toEqual([
      [10, 1],
      [20, 2],
      [30, 3],
      [40, 4],
    ]);
  });

  it('seeks all sources', () => {
    const m = new MergeIterator([slice([10, 30, 50]), slice([20, 40])]);
    expect(m.seek(25)).toBe(true);
    expect(m.atT()).toBe(30);
    expect(drain(m)).toEqual([40, 50]);
  });
});

describe('DeletedIterator', () => {
  it('hides samples inside deleted intervals', () => {
    const it = new DeletedIterator(slice([10, 20, 30, 40, 50]), [
      { minT: 15, maxT: 30 },
      { minT: 50, maxT: 50 },
    ]);
    expect(drain(it)).toEqual([10, 40]);
    const it2 = new DeletedIterator(slice([10, 20, 30, 40]), [{ minT: 15, maxT: 30 }]);
    expect(it2.seek(12)).toBe(true);
    expect(it2.atT()).toBe(40);
  });
});

describe('mergeSeriesLists', () => {
  it('merges sorted lists and combines series with equal labels', () => {
    const a = labelsFromRecord({ __name__: 'a' });
    const b = labelsFromRecord({ __name__: 'b' });
    const c = labelsFromRecord({ __name__: 'c' });
    const merged = mergeSeriesLists([
      [
        { labels: a, iterator: () => slice([30]) },
        { labels: c, iterator: () => slice([1]) },
      ],
      [
        { labels: a, iterator: () => slice([10, 20]) },
        { labels: b, iterator: () => slice([5]) },
      ],
    ]);
    expect(merged.map((s) => s.labels)).toEqual([a, b, c]);
    expect(drain(merged[0]!.iterator())).toEqual([10, 20, 30]);
    expect(Array.from(readSeriesSamples(merged[0]!).ts)).toEqual([10, 20, 30]);
  });
});
