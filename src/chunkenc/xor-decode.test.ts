import { describe, expect, it } from 'vitest';
import { STALE_NAN } from '../model/sample.js';
import { XorChunk, XorIterator } from './xor.js';
import { decodeXorInto } from './xor-decode.js';
import { prng } from '../../test/support/prng.js';

/** The 64 bits of each value, as hex, so NaN payloads are compared too. */
function bitsOf(vs: Float64Array): string[] {
  const dv = new DataView(vs.buffer, vs.byteOffset, vs.byteLength);
  return Array.from({ length: vs.length }, (_, i) => dv.getBigUint64(8 * i).toString(16));
}

function viaIterator(bytes: Uint8Array, n: number): { ts: number[]; vs: Float64Array } {
  const it = new XorIterator(bytes, n);
  const ts: number[] = [];
  const vs = new Float64Array(n);
  while (it.next()) {
    vs[ts.length] = it.atV();
    ts.push(it.atT());
  }
  return { ts, vs };
}

type Gen = (r: () => number, i: number) => [dt: number, v: number];

const cases: { name: string; start: number; n: number; gen: Gen }[] = [
  { name: 'a regular 15 s counter', start: 1_700_000_000_000, n: 120, gen: (_r, i) => [15_000, i * 3] },
  {
    name: 'jittered gauges with random floats',
    start: 1_700_000_000_123,
    n: 500,
    gen: (r) => [15_000 + Math.floor((r() - 0.5) * 2000), r() * 1e6],
  },
  {
    name: 'every delta-of-delta bucket (14, 17, 20 and 64 bits)',
    start: 0,
    n: 400,
    gen: (r, i) => [[1, 5000, 60_000, 900_000, 2 ** 40][i % 5]! + Math.floor(r() * 3), Math.round(r() * 10)],
  },
  {
    name: 'negative timestamps, stale markers, NaN, infinities and -0',
    start: -86_400_000,
    n: 300,
    gen: (r, i) => [
      1000 + (i % 7),
      [STALE_NAN, NaN, Infinity, -Infinity, -0, 0, r(), -r() * 1e300, 5e-324][i % 9]!,
    ],
  },
  { name: 'one sample', start: 42, n: 1, gen: () => [0, 1.5] },
  { name: 'two samples', start: 42, n: 2, gen: () => [7, 2.5] },
];

describe('decodeXorInto', () => {
  for (const c of cases)
    it(`decodes ${c.name} bit for bit as XorIterator does`, () => {
      const r = prng(c.n);
      const chunk = new XorChunk();
      let t = c.start;
      for (let i = 0; i < c.n; i++) {
        const [dt, v] = c.gen(r, i);
        if (i > 0) t += dt;
        chunk.append(t, v);
      }
      const bytes = chunk.seal();
      const want = viaIterator(bytes, c.n);
      const ts = new Float64Array(c.n + 3);
      const vs = new Float64Array(c.n + 3);
      expect(decodeXorInto(bytes, c.n, ts, vs, 2)).toBe(c.n + 2);
      expect(Array.from(ts.subarray(2, 2 + c.n))).toEqual(want.ts);
      expect(bitsOf(vs.subarray(2, 2 + c.n))).toEqual(bitsOf(want.vs));
    });

  it('decodes the samples present in a chunk still being written', () => {
    const chunk = new XorChunk();
    for (let i = 0; i < 10; i++) chunk.append(i * 10, i);
    const ts = new Float64Array(5);
    const vs = new Float64Array(5);
    decodeXorInto(chunk.bytes(), 5, ts, vs, 0);
    expect(Array.from(ts)).toEqual([0, 10, 20, 30, 40]);
    expect(Array.from(vs)).toEqual([0, 1, 2, 3, 4]);
  });

  it('throws when the chunk ends before its samples', () => {
    const chunk = new XorChunk();
    for (let i = 0; i < 50; i++) chunk.append(i * 1000 + (i % 3), i * 0.37);
    const cut = chunk.seal().subarray(0, 40);
    expect(() => decodeXorInto(cut, 50, new Float64Array(50), new Float64Array(50), 0)).toThrow(
      /past the end/,
    );
  });

  it('throws when the output has no room', () => {
    const chunk = new XorChunk();
    chunk.append(1, 1);
    chunk.append(2, 2);
    expect(() => decodeXorInto(chunk.seal(), 2, new Float64Array(1), new Float64Array(1), 0)).toThrow(
      /do not fit/,
    );
  });
});
