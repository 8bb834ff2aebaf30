import { describe, expect, it } from 'vitest';
import { labelsFromRecord } from '../../model/labels.js';
import { STALE_NAN } from '../../model/sample.js';
import { MemoryStorage } from '../../storage/memory-storage.js';
import type { Queryable, Series } from '../../storage/storage.js';
import { chooseResolution } from '../../tsdb/rollup/choose.js';
import { Windows } from '../../tsdb/rollup/windows.js';
import { SliceIterator } from '../../tsdb/iterators.js';
import { Engine } from './engine.js';
import type { Series as ResultSeries } from './values.js';

const M = 60_000;
const H = 60 * M;
const T0 = Date.UTC(2026, 0, 5);
const DAYS = 2;

/** A deterministic pseudo-random sequence (LCG), so the data are the same on every run. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

/**
 * Two counters with resets (one scraped off the window grid, one exactly on it, with a gap and a
 * staleness marker), and a gauge with negatives and a NaN.
 */
async function rawStorage(): Promise<MemoryStorage> {
  const s = new MemoryStorage();
  const app = s.appender();
  const r = rng(42);
  const ca = labelsFromRecord({ __name__: 'c_total', job: 'a' });
  const cb = labelsFromRecord({ __name__: 'c_total', job: 'b' });
  const g = labelsFromRecord({ __name__: 'g', job: 'a' });
  let va = 100;
  let vb = 0;
  const n = (DAYS * 24 * H) / 15_000;
  for (let i = 0; i < n; i++) {
    const t = T0 + i * 15_000;
    va = r() < 0.002 ? r() * 5 : va + Math.floor(r() * 10);
    app.append(ca, t + 1234, va);
    if (i % 3000 < 2900) {
      vb = r() < 0.003 ? 0 : vb + r() * 3;
      app.append(cb, t, vb);
    } else if (i % 3000 === 2900) {
      app.append(cb, t, STALE_NAN);
    }
    app.append(g, t + 7000, i === 5000 ? NaN : (r() - 0.4) * 100);
  }
  await app.commit();
  return s;
}

/**
 * A store that answers as the TSDB does from rollups: windows of the resolution the rule picks,
 * built from the raw samples, with the window's last samples as the series' samples.
 */
function rollupStore(raw: MemoryStorage, used: number[]): Queryable {
  return {
    querier: (mint, maxt) => {
      const q = raw.querier(mint, maxt);
      return {
        ...q,
        select: async (matchers, hints, signal) => {
          const res = chooseResolution(hints, [5 * M, H]);
          const series = await q.select(matchers, hints, signal);
          if (res === 0 || hints === undefined) return series;
          used.push(res);
          return series.map((s): Series => {
            const w = new Windows(res);
            w.addSamples(s.iterator(), hints.startMs, hints.endMs);
            const last = w.lastSamples();
            return {
              labels: s.labels,
              iterator: () => new SliceIterator(last.ts, last.vs),
              ...(hints.rangeMs !== undefined ? { rollup: w.records() } : {}),
            };
          });
        },
      };
    },
  };
}

function expectClose(got: readonly ResultSeries[], want: readonly ResultSeries[], what: string): void {
  expect(
    got.map((s) => s.labels),
    what,
  ).toEqual(want.map((s) => s.labels));
  got.forEach((s, k) => {
    const w = want[k]!;
    expect([...s.ts], what).toEqual([...w.ts]);
    s.vs.forEach((v, i) => {
      const x = w.vs[i]!;
      if (Number.isNaN(x)) expect(v, what).toBeNaN();
      else
        expect(Math.abs(v - x), `${what} at ${s.ts[i]}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(x)));
    });
  });
}

describe('range functions over rollups', () => {
  const queries = [
    'rate(c_total[1h])',
    'increase(c_total[3h])',
    'rate(c_total[5m])',
    'sum by (job) (increase(c_total[2h]))',
    'delta(g[1h])',
    'sum_over_time(g[1h])',
    'avg_over_time(g[3h])',
    'min_over_time(g[1h])',
    'max_over_time(c_total[90m])',
    'count_over_time(c_total[1h])',
    'last_over_time(c_total[1h])',
    'present_over_time(c_total[1h])',
    'c_total',
    'g offset 1h',
  ];
  const grids: [string, number][] = [
    ['1 h', H],
    ['15 m', 15 * M],
  ];

  for (const [gridName, step] of grids) {
    it.each(queries)(`equal raw data at a ${gridName} step: %s`, async (query) => {
      const raw = await rawStorage();
      const used: number[] = [];
      const range = { startMs: T0 + 4 * H, endMs: T0 + (DAYS * 24 - 1) * H, stepMs: step };
      const want = await new Engine(raw).rangeQuery(query, range);
      const got = await new Engine(rollupStore(raw, used)).rangeQuery(query, range);
      expect(used.length, 'rollups were read').toBeGreaterThan(0);
      if (want.value.type !== 'matrix' || got.value.type !== 'matrix') throw new Error('not a matrix');
      expect(want.value.matrix.length).toBeGreaterThan(0);
      expectClose(got.value.matrix, want.value.matrix, query);
      expect(got.infos).toEqual(want.infos);
    });
  }

  it('says that rate over a gauge may be wrong, as over raw data', async () => {
    const raw = await rawStorage();
    const range = { startMs: T0 + 4 * H, endMs: T0 + 8 * H, stepMs: H };
    const got = await new Engine(rollupStore(raw, [])).rangeQuery('rate(g[1h])', range);
    expect(got.infos).toEqual([
      'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "g"',
    ]);
  });

  it('reads raw samples when the query forces it', async () => {
    const raw = await rawStorage();
    const used: number[] = [];
    const range = { startMs: T0 + 4 * H, endMs: T0 + 8 * H, stepMs: H };
    await new Engine(rollupStore(raw, used)).rangeQuery('rate(c_total[1h])', range, { maxResolutionMs: 0 });
    expect(used).toEqual([]);
  });
});
