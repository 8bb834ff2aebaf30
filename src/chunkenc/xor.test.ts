import { describe, expect, it } from 'vitest';
import { STALE_NAN, isStaleNaN } from '../model/sample.js';
import { BitReader, BitWriter } from './bstream.js';
import { XorChunk, XorIterator } from './xor.js';
import { prng } from '../../test/support/prng.js';

const dv = new DataView(new ArrayBuffer(8));
function bits(v: number): bigint {
  dv.setFloat64(0, v);
  return dv.getBigUint64(0);
}
function fromBits(b: bigint): number {
  dv.setBigUint64(0, b);
  return dv.getFloat64(0);
}

function roundTrip(ts: readonly number[], vs: Float64Array): { ts: number[]; vs: bigint[] } {
  const c = new XorChunk();
  for (let i = 0; i < ts.length; i++) c.append(ts[i]!, vs[i]!);
  expect(c.numSamples).toBe(ts.length);
  const out = { ts: [] as number[], vs: [] as bigint[] };
  for (const it0 of [c.iterator(), new XorIterator(c.seal())]) {
    out.ts = [];
    out.vs = [];
    while (it0.next()) {
      out.ts.push(it0.atT());
      out.vs.push(bits(it0.atV()));
    }
    expect(out.ts).toEqual([...ts]);
    expect(out.vs).toEqual([...vs].map(bits));
  }
  return out;
}

describe('BitWriter and BitReader', () => {
  it('read back random widths and values', () => {
    const r = prng(7);
    const items: [number, number][] = [];
    const w = new BitWriter(1);
    for (let i = 0; i < 5000; i++) {
      const n = Math.floor(r() * 33);
      const v = n === 0 ? 0 : Math.floor(r() * 2 ** n);
      items.push([v, n]);
      if (n === 1 && r() < 0.5) w.writeBit(v);
      else w.writeBits(v, n);
    }
    const rd = new BitReader(w.bytes(), 0, w.bitLength);
    for (const [v, n] of items) expect(rd.readBits(n)).toBe(v);
    expect(() => rd.readBits(1)).toThrow(/past the end/);
  });
});

describe('XorChunk', () => {
  const cases: { name: string; ts: number[]; vs: number[] }[] = [
    { name: 'one sample', ts: [1_700_000_000_000], vs: [42] },
    { name: 'two samples', ts: [0, 15_000], vs: [1, 2] },
    { name: 'negative timestamps', ts: [-5000, -4000, -3000, 10], vs: [1, 1, 1, 1] },
    { name: 'equal timestamps (zero deltas)', ts: [1000, 1000, 1000, 2000], vs: [1, 2, 3, 4] },
    { name: 'equal deltas', ts: [0, 15, 30, 45, 60, 75], vs: [0, 0, 0, 0, 0, 0] },
    {
      name: 'huge deltas and delta-of-deltas in every bucket',
      ts: [0, 1, 8192, 8193, 8193 + 65_536 * 2, 1e6, 1e6 + 2 ** 40, 1e6 + 2 ** 40 + 1, 2 ** 52],
      vs: [1, 2, 3, 4, 5, 6, 7, 8, 9],
    },
    {
      name: 'special values',
      ts: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      vs: [NaN, STALE_NAN, Infinity, -Infinity, -0, 0, Number.MAX_VALUE, Number.MIN_VALUE, NaN, STALE_NAN],
    },
    {
      name: 'NaN payloads',
      ts: [10, 20, 30],
      vs: [fromBits(0x7ff8000000000001n), fromBits(0xfff0000000000abcn), fromBits(0x7ff0000000000002n)],
    },
  ];
  for (const c of cases) {
    it(`round-trips bit-exactly: ${c.name}`, () => {
      roundTrip(c.ts, Float64Array.from(c.vs));
    });
  }

  it('keeps the staleness marker distinct from an ordinary NaN', () => {
    const c = new XorChunk();
    c.append(1, NaN);
    c.append(2, STALE_NAN);
    c.append(3, 1);
    const it0 = c.iterator();
    it0.next();
    expect(isStaleNaN(it0.atV())).toBe(false);
    it0.next();
    expect(isStaleNaN(it0.atV())).toBe(true);
  });

  it('round-trips random series of many shapes (seeded)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const r = prng(seed);
      const n = 1 + Math.floor(r() * 300);
      const ts: number[] = [];
      const vs = new Float64Array(n);
      let t = Math.floor(r() * 2 ** 41) - 2 ** 40;
      const shape = seed % 5;
      let counter = 0;
      for (let i = 0; i < n; i++) {
        const jitter = r() < 0.2 ? Math.floor(r() * 2 ** Math.floor(r() * 44)) : Math.floor(r() * 5);
        t += 15_000 + jitter;
        ts.push(t);
        switch (shape) {
          case 0:
            vs[i] = r() * 1e6 - 5e5;
            break;
          case 1:
            counter += Math.floor(r() * 100);
            vs[i] = counter;
            break;
          case 2:
            vs[i] = Math.round(r() * 1000) / 100;
            break;
          case 3:
            dv.setUint32(0, Math.floor(r() * 2 ** 32));
            dv.setUint32(4, Math.floor(r() * 2 ** 32));
            vs[i] = dv.getFloat64(0);
            break;
          default:
            vs[i] = r() < 0.5 ? 1 : 0;
        }
      }
      roundTrip(ts, vs);
    }
  });

  it('seeks forward to the first sample at or after a time, never backwards', () => {
    const c = new XorChunk();
    for (let i = 0; i < 120; i++) c.append(i * 10, i);
    const it0 = c.iterator();
    expect(it0.seek(55)).toBe(true);
    expect([it0.atT(), it0.atV()]).toEqual([60, 6]);
    expect(it0.seek(10)).toBe(true);
    expect(it0.atT()).toBe(60);
    expect(it0.next()).toBe(true);
    expect(it0.atT()).toBe(70);
    expect(it0.seek(1190)).toBe(true);
    expect(it0.seek(1191)).toBe(false);
  });

  it('lets an earlier iterator see only the samples present when it was made', () => {
    const c = new XorChunk(2);
    c.append(1, 1);
    c.append(2, 2);
    const early = c.iterator();
    for (let i = 3; i < 100; i++) c.append(i, i * 1.5);
    let n = 0;
    while (early.next()) n++;
    expect(n).toBe(2);
  });

  it('rejects timestamps going backwards and appends after sealing', () => {
    const c = new XorChunk();
    c.append(10, 1);
    expect(() => c.append(5, 1)).toThrow(/before/);
    c.seal();
    expect(() => c.append(20, 1)).toThrow(/sealed/);
  });

  it('stores a node_exporter-like workload in well under 2 bytes a sample', () => {
    // Half the series of a node_exporter are constant (sizes, info, limits), a third are counters
    // with small integer increments, the rest gauges in pages; scrapes are regular with rare jitter.
    const r = prng(42);
    let bytes = 0;
    let samples = 0;
    for (let s = 0; s < 300; s++) {
      const c = new XorChunk();
      let v = Math.floor(r() * 1e9);
      const kind = s % 6;
      for (let i = 0; i < 120; i++) {
        const t = 1_700_000_000_000 + i * 15_000 + (r() < 0.01 ? Math.floor(r() * 3) : 0);
        if (kind === 3 || kind === 4) v += Math.floor(r() * 50);
        else if (kind === 5) v += 4096 * Math.floor(r() * 200 - 100);
        c.append(t, v);
      }
      bytes += c.seal().length;
      samples += c.numSamples;
    }
    expect(bytes / samples).toBeLessThan(2);
  });
});
