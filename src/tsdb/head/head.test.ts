import { describe, expect, it } from 'vitest';
import { labelsFromRecord, type Labels } from '../../model/labels.js';
import { STALE_NAN, isStaleNaN } from '../../model/sample.js';
import type { Series } from '../../storage/storage.js';
import { Head, hashLabels, type HeadBatch } from './head.js';

const up = (job: string) => labelsFromRecord({ __name__: 'up', job });
const byJob = (job: string) => [{ type: '=' as const, name: 'job', value: job }];

function samples(s: Series | undefined): [number, number][] {
  const out: [number, number][] = [];
  if (s === undefined) return out;
  const it = s.iterator();
  while (it.next()) out.push([it.atT(), it.atV()]);
  return out;
}

describe('Head', () => {
  it('makes a batch visible only at commit, in chunks of the configured size', async () => {
    const head = new Head({ oooWindowMs: 0, samplesPerChunk: 4 });
    const app = head.appender();
    for (let i = 0; i < 10; i++) expect(app.append(up('a'), i * 1000, i)).toBeNull();
    expect(head.select(byJob('a'), 0, 1e9)).toHaveLength(0);
    await app.commit();
    const [s] = head.select(byJob('a'), 0, 1e9);
    expect(samples(s)).toEqual(Array.from({ length: 10 }, (_, i) => [i * 1000, i]));
    expect(samples(head.select(byJob('a'), 2500, 6000)[0])).toEqual([
      [3000, 3],
      [4000, 4],
      [5000, 5],
      [6000, 6],
    ]);
    expect(head.numSeries).toBe(1);
    expect(head.numSamples).toBe(10);
    expect([head.minTime, head.maxTime]).toEqual([0, 9000]);
  });

  it('finds series by label values, not by array identity', async () => {
    const head = new Head({ oooWindowMs: 0 });
    const app = head.appender();
    app.append(up('a'), 1, 1);
    app.append(labelsFromRecord({ job: 'a', __name__: 'up' }), 2, 2);
    await app.commit();
    expect(head.numSeries).toBe(1);
    expect(samples(head.select(byJob('a'), 0, 10)[0])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it('tells duplicates from repeated samples, in a batch and across commits', async () => {
    const head = new Head({ oooWindowMs: 0 });
    const app = head.appender();
    expect(app.append(up('a'), 1000, 1)).toBeNull();
    expect(app.append(up('a'), 1000, 1)).toBeNull();
    expect(app.append(up('a'), 1000, 2)).toBe('duplicate');
    await app.commit();
    const app2 = head.appender();
    expect(app2.append(up('a'), 1000, 1)).toBeNull();
    expect(app2.append(up('a'), 1000, 3)).toBe('duplicate');
    expect(app2.append(up('a'), 999, 3)).toBe('out_of_order');
    expect(app2.append(up('a'), 1000, -0)).toBe('duplicate');
    await app2.commit();
    expect(samples(head.select(byJob('a'), 0, 1e9)[0])).toEqual([[1000, 1]]);
    expect(head.counters.rejected.duplicate).toBe(3);
  });

  it('accepts out-of-order samples within the window and merges them at query time', async () => {
    const head = new Head({ oooWindowMs: 60_000 });
    const app = head.appender();
    for (const t of [100_000, 110_000, 120_000]) app.append(up('a'), t, t / 1000);
    await app.commit();
    const app2 = head.appender();
    expect(app2.append(up('a'), 105_000, 105)).toBeNull();
    expect(app2.append(up('a'), 61_000, 61)).toBeNull();
    expect(app2.append(up('a'), 59_000, 59)).toBe('too_old');
    expect(app2.append(up('a'), 110_000, 999)).toBe('duplicate');
    expect(app2.append(up('a'), 110_000, 110)).toBeNull();
    expect(app2.append(up('a'), 61_000, 61)).toBeNull();
    expect(app2.append(up('a'), 61_000, 62)).toBe('duplicate');
    await app2.commit();
    const app3 = head.appender();
    expect(app3.append(up('a'), 105_000, 1)).toBe('duplicate');
    app3.rollback();
    expect(samples(head.select(byJob('a'), 0, 1e9)[0])).toEqual([
      [61_000, 61],
      [100_000, 100],
      [105_000, 105],
      [110_000, 110],
      [120_000, 120],
    ]);
    expect(samples(head.select(byJob('a'), 104_000, 111_000)[0]).map((x) => x[0])).toEqual([
      105_000, 110_000,
    ]);
    expect(head.counters.oooSamplesAppended).toBe(2);
  });

  it('rejects samples below the minimum valid time as too old', async () => {
    const head = new Head({ oooWindowMs: 0 });
    head.setMinValidTime(5000);
    const app = head.appender();
    expect(app.append(up('a'), 4999, 1)).toBe('too_old');
    expect(app.append(up('a'), 5000, 1)).toBeNull();
    await app.commit();
  });

  it('rejects invalid label sets and timestamps', () => {
    const head = new Head({ oooWindowMs: 0 });
    const app = head.appender();
    expect(app.append([], 1, 1)).toBe('invalid');
    const unsorted: Labels = [
      { name: 'b', value: '1' },
      { name: 'a', value: '1' },
    ];
    expect(app.append(unsorted, 1, 1)).toBe('invalid');
    expect(app.append(up('a'), 1.5, 1)).toBe('invalid');
  });

  it('keeps the staleness marker bit-exact', async () => {
    const head = new Head({ oooWindowMs: 10_000 });
    const app = head.appender();
    app.append(up('a'), 1000, NaN);
    app.append(up('a'), 3000, STALE_NAN);
    await app.commit();
    const app2 = head.appender();
    app2.append(up('a'), 2000, STALE_NAN);
    await app2.commit();
    const it = head.select(byJob('a'), 0, 1e9)[0]!.iterator();
    const got: boolean[] = [];
    while (it.next()) got.push(isStaleNaN(it.atV()));
    expect(got).toEqual([false, true, true]);
  });

  it('writes the batch ahead with new series before applying it', async () => {
    const seen: HeadBatch[] = [];
    const visible: number[] = [];
    const head = new Head({
      oooWindowMs: 0,
      writeAhead: (b) => {
        seen.push({ ...b, refs: [...b.refs], ts: [...b.ts], vs: b.vs.slice(0, b.length) });
        visible.push(samples(head.select(byJob('a'), 0, 1e9)[0]).length);
        return Promise.resolve();
      },
    });
    const app = head.appender();
    app.append(up('a'), 1, 1);
    app.append(up('a'), 2, 2);
    await app.commit();
    const app2 = head.appender();
    app2.append(up('a'), 3, 3);
    await app2.commit();
    expect(seen.map((b) => b.newSeries.map((s) => s.labels))).toEqual([[up('a')], []]);
    expect(seen.map((b) => b.ts)).toEqual([[1, 2], [3]]);
    expect(visible).toEqual([0, 2]);
  });

  it('does not apply a batch whose write-ahead failed', async () => {
    const head = new Head({ oooWindowMs: 0, writeAhead: () => Promise.reject(new Error('disk full')) });
    const app = head.appender();
    app.append(up('a'), 1, 1);
    await expect(app.commit()).rejects.toThrow('disk full');
    expect(head.select(byJob('a'), 0, 1e9)).toHaveLength(0);
  });

  it('fails a commit whose samples another commit contradicted meanwhile, so it is not acknowledged', async () => {
    const head = new Head({ oooWindowMs: 0 });
    const a = head.appender();
    const b = head.appender();
    expect(a.append(up('a'), 1000, 1)).toBeNull();
    expect(b.append(up('a'), 1000, 2)).toBeNull();
    await a.commit();
    await expect(b.commit()).rejects.toThrow(/1 of 1 samples became invalid/);
    expect(samples(head.select(byJob('a'), 0, 1e9)[0])).toEqual([[1000, 1]]);
    const c = head.appender();
    expect(c.append(up('a'), 1000, 2)).toBe('duplicate');
  });

  it('drops persisted data and empty series on truncate, and hides deleted intervals', async () => {
    const head = new Head({ oooWindowMs: 0, samplesPerChunk: 2 });
    const app = head.appender();
    for (let i = 0; i < 6; i++) app.append(up('a'), i * 10, i);
    app.append(up('b'), 5, 1);
    await app.commit();
    head.truncate(25);
    expect(head.numSeries).toBe(1);
    expect(head.select(byJob('b'), 0, 1e9)).toHaveLength(0);
    expect(samples(head.select(byJob('a'), 0, 1e9)[0]).map((x) => x[0])).toEqual([20, 30, 40, 50]);
    const app2 = head.appender();
    expect(app2.append(up('b'), 20, 1)).toBe('too_old');
    app2.rollback();
    expect(head.delete(byJob('a'), 30, 40)).toHaveLength(1);
    expect(samples(head.select(byJob('a'), 0, 1e9)[0]).map((x) => x[0])).toEqual([20, 50]);
  });

  it('applies replayed samples logged under an older ref of the same labels', () => {
    const head = new Head({ oooWindowMs: 0 });
    head.getOrCreate(up('a'), 5);
    head.getOrCreate(up('a'), 9);
    expect(head.applySamples([9, 5], [1000, 2000], Float64Array.of(1, 2), 2)).toBe(0);
    expect(samples(head.select(byJob('a'), 0, 1e9)[0])).toEqual([
      [1000, 1],
      [2000, 2],
    ]);
    expect(head.getOrCreate(up('b')).ref).toBe(10);
  });

  it('lists label names and values, optionally under matchers', async () => {
    const head = new Head({ oooWindowMs: 0 });
    const app = head.appender();
    app.append(labelsFromRecord({ __name__: 'x', a: '1' }), 1, 1);
    app.append(labelsFromRecord({ __name__: 'y', b: '2' }), 1, 1);
    await app.commit();
    expect(head.labelNames([])).toEqual(['__name__', 'a', 'b']);
    expect(head.labelValues('__name__', [{ type: '!=', name: 'a', value: '' }])).toEqual(['x']);
  });

  it('hashes label sets so that names and values do not run into each other', () => {
    const a = hashLabels(labelsFromRecord({ ab: 'c' }));
    const b = hashLabels(labelsFromRecord({ a: 'bc' }));
    expect(a).not.toBe(b);
    expect(Number.isSafeInteger(a)).toBe(true);
  });
});
