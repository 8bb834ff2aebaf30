import { describe, expect, it } from 'vitest';
import { labelsFromRecord } from '../model/labels.js';
import { STALE_NAN, isStaleNaN } from '../model/sample.js';
import { MemoryStorage } from './memory-storage.js';

const up = (job: string) => labelsFromRecord({ __name__: 'up', job });

describe('MemoryStorage', () => {
  it('returns committed samples of matching series in label order, within the range', async () => {
    const s = new MemoryStorage();
    const app = s.appender();
    expect(app.append(up('b'), 1000, 1)).toBeNull();
    expect(app.append(up('a'), 1000, 0)).toBeNull();
    expect(app.append(up('a'), 2000, 1)).toBeNull();
    expect(app.append(up('a'), 3000, 1)).toBeNull();
    const before = await s.querier(0, 10_000).select([{ type: '=', name: '__name__', value: 'up' }]);
    expect(before).toHaveLength(0);
    await app.commit();

    const series = await s
      .querier(1500, 10_000)
      .select([{ type: '=~', name: 'job', value: 'a|b' }], { startMs: 0, endMs: 2500 });
    expect(series.map((x) => x.labels)).toEqual([up('a')]);
    const it0 = series[0]!.iterator();
    expect(it0.next()).toBe(true);
    expect([it0.atT(), it0.atV()]).toEqual([2000, 1]);
    expect(it0.next()).toBe(false);
  });

  it('rejects out-of-order samples and duplicates with another value', async () => {
    const s = new MemoryStorage();
    const app = s.appender();
    app.append(up('a'), 2000, 1);
    await app.commit();
    const app2 = s.appender();
    expect(app2.append(up('a'), 1000, 1)).toBe('out_of_order');
    expect(app2.append(up('a'), 2000, 2)).toBe('duplicate');
    expect(app2.append(up('a'), 2000, 1)).toBeNull();
  });

  it('keeps the staleness marker distinct from NaN', async () => {
    const s = new MemoryStorage();
    const app = s.appender();
    app.append(up('a'), 1000, NaN);
    app.append(up('a'), 2000, STALE_NAN);
    await app.commit();
    const [series] = await s.querier(0, 5000).select([{ type: '=', name: 'job', value: 'a' }]);
    const it0 = series!.iterator();
    it0.next();
    expect(isStaleNaN(it0.atV())).toBe(false);
    it0.next();
    expect(isStaleNaN(it0.atV())).toBe(true);
  });

  it('lists label names and values of matching series', async () => {
    const s = new MemoryStorage();
    const app = s.appender();
    app.append(labelsFromRecord({ __name__: 'x', a: '1' }), 1, 1);
    app.append(labelsFromRecord({ __name__: 'y', b: '2' }), 1, 1);
    await app.commit();
    const q = s.querier(0, 10);
    expect(await q.labelNames()).toEqual(['__name__', 'a', 'b']);
    expect(await q.labelValues('__name__', [{ type: '!=', name: 'a', value: '' }])).toEqual(['x']);
  });
});
