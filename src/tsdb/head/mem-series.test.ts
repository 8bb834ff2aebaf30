import { describe, expect, it } from 'vitest';
import { XorChunk, XorIterator } from '../../chunkenc/xor.js';
import { SealedChunks } from './mem-series.js';

function chunk(from: number, n: number): XorChunk {
  const c = new XorChunk();
  for (let i = 0; i < n; i++) c.append(from + i, from + i);
  return c;
}

function times(bytes: Uint8Array): number[] {
  const it = new XorIterator(bytes);
  const out: number[] = [];
  while (it.next()) out.push(it.atT());
  return out;
}

describe('SealedChunks', () => {
  it('packs chunks, drops old ones, and keeps earlier views valid', () => {
    const sc = new SealedChunks();
    sc.push(chunk(0, 3).bytes(), 0, 2);
    const early = sc.list();
    sc.push(chunk(10, 2).bytes(), 10, 11);
    sc.push(chunk(20, 4).bytes(), 20, 23);
    expect(sc.length).toBe(3);
    expect(sc.numSamples()).toBe(9);
    expect(sc.list().map((c) => [c.minT, c.maxT, c.numSamples])).toEqual([
      [0, 2, 3],
      [10, 11, 2],
      [20, 23, 4],
    ]);
    const before = sc.list();
    sc.dropEndingBefore(12);
    expect(sc.list().map((c) => times(c.bytes))).toEqual([[20, 21, 22, 23]]);
    expect(sc.minT(0)).toBe(20);
    sc.push(chunk(30, 1).bytes(), 30, 30);
    expect(sc.list().map((c) => c.minT)).toEqual([20, 30]);
    expect(times(early[0]!.bytes)).toEqual([0, 1, 2]);
    expect(before.map((c) => times(c.bytes))).toEqual([
      [0, 1, 2],
      [10, 11],
      [20, 21, 22, 23],
    ]);
    sc.dropEndingBefore(100);
    expect(sc.length).toBe(0);
  });
});
