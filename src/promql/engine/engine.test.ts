import { describe, expect, it } from 'vitest';
import { AppError } from '../../base/errors.js';
import { labelsFromRecord } from '../../model/labels.js';
import { STALE_NAN } from '../../model/sample.js';
import { MemoryStorage } from '../../storage/memory-storage.js';
import type { Queryable, SelectHints } from '../../storage/storage.js';
import { Engine, TOO_MANY_SAMPLES } from './engine.js';

async function storageWith(series: Record<string, [number, number][]>): Promise<MemoryStorage> {
  const storage = new MemoryStorage();
  const app = storage.appender();
  for (const [name, points] of Object.entries(series)) {
    const [metric, job = 'a'] = name.split('/');
    // Values go through a Float64Array: V8 may canonicalize NaN payloads in plain arrays.
    const values = new Float64Array(points.map(([, v]) => v));
    points.forEach(([t], i) => app.append(labelsFromRecord({ __name__: metric!, job }), t, values[i]!));
  }
  await app.commit();
  return storage;
}

describe('Engine', () => {
  it('ends a series at a staleness marker and finds it again after', async () => {
    const storage = new MemoryStorage();
    const app = storage.appender();
    const up = labelsFromRecord({ __name__: 'up' });
    app.append(up, 0, 1);
    app.append(up, 10_000, STALE_NAN);
    app.append(up, 20_000, 2);
    await app.commit();
    const engine = new Engine(storage);
    const at = async (t: number): Promise<number[]> => {
      const r = await engine.instantQuery('up', t);
      return r.value.type === 'vector' ? r.value.vector.map((s) => s.v) : [];
    };
    expect(await at(5_000)).toEqual([1]);
    expect(await at(15_000)).toEqual([]);
    expect(await at(25_000)).toEqual([2]);
  });

  it('looks back exactly the lookback delta, left-open', async () => {
    const storage = await storageWith({ up: [[0, 1]] });
    const engine = new Engine(storage, { lookbackDeltaMs: 60_000 });
    const r1 = await engine.instantQuery('up', 59_999);
    const r2 = await engine.instantQuery('up', 60_000);
    expect(r1.value.type === 'vector' && r1.value.vector.length).toBe(1);
    expect(r2.value.type === 'vector' && r2.value.vector.length).toBe(0);
    const r3 = await engine.instantQuery('up', 100_000, { lookbackDeltaMs: 200_000 });
    expect(r3.value.type === 'vector' && r3.value.vector.length).toBe(1);
  });

  it('returns a range query as a matrix sorted by labels with a point per step', async () => {
    const storage = await storageWith({
      'x/b': [
        [0, 1],
        [60_000, 2],
      ],
      'x/a': [
        [0, 10],
        [60_000, 20],
      ],
    });
    const r = await new Engine(storage).rangeQuery('x * 2', { startMs: 0, endMs: 120_000, stepMs: 60_000 });
    expect(r.value.type).toBe('matrix');
    if (r.value.type !== 'matrix') return;
    expect(r.value.matrix.map((s) => s.labels.map((l) => `${l.name}=${l.value}`).join(','))).toEqual([
      'job=a',
      'job=b',
    ]);
    expect([...r.value.matrix[0]!.ts]).toEqual([0, 60_000, 120_000]);
    expect([...r.value.matrix[0]!.vs]).toEqual([20, 40, 40]);
    expect(r.value.matrix[0]!.vs).toBeInstanceOf(Float64Array);
  });

  it('fails with Prometheus’s text when a query loads more samples than allowed', async () => {
    const points: [number, number][] = [];
    for (let t = 0; t < 100_000; t += 1000) points.push([t, t]);
    const storage = await storageWith({ x: points });
    const engine = new Engine(storage, { maxSamples: 50 });
    await expect(engine.instantQuery('sum_over_time(x[100s])', 99_000)).rejects.toMatchObject({
      code: 'limit',
      message: TOO_MANY_SAMPLES,
    });
    await expect(engine.instantQuery('sum_over_time(x[10s])', 99_000)).resolves.toBeDefined();
  });

  it('rejects a canceled query with code canceled', async () => {
    const storage = await storageWith({ x: [[0, 1]] });
    const controller = new AbortController();
    controller.abort();
    await expect(
      new Engine(storage).instantQuery('x', 0, { signal: controller.signal }),
    ).rejects.toMatchObject({
      code: 'canceled',
    });
  });

  it('rejects many-to-many matching with Prometheus’s message', async () => {
    const storage = await storageWith({ 'a/x': [[0, 1]], 'a/y': [[0, 1]], 'b/x': [[0, 1]] });
    const err: unknown = await new Engine(storage).instantQuery('b + on() a', 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toMatch(
      /^found duplicate series for the match group \{\} on the right hand-side/,
    );
  });

  it('rejects a range query over a range vector', async () => {
    const storage = await storageWith({ x: [[0, 1]] });
    await expect(
      new Engine(storage).rangeQuery('x[5m]', { startMs: 0, endMs: 60_000, stepMs: 10_000 }),
    ).rejects.toThrow(
      'invalid expression type "range vector" for range query, must be Scalar or instant Vector',
    );
  });

  it('tells the store the span, step, range and function of each selector', async () => {
    const storage = await storageWith({ x: [[0, 1]] });
    const seen: SelectHints[] = [];
    const spy: Queryable = {
      querier: (mint, maxt) => {
        const q = storage.querier(mint, maxt);
        return {
          ...q,
          select: (matchers, hints, signal) => {
            if (hints) seen.push(hints);
            return q.select(matchers, hints, signal);
          },
        };
      },
    };
    await new Engine(spy).rangeQuery('rate(x[5m]) + x offset 1m', {
      startMs: 600_000,
      endMs: 1_200_000,
      stepMs: 60_000,
    });
    expect(seen).toContainEqual({
      startMs: 300_000,
      endMs: 1_200_000,
      stepMs: 60_000,
      evalStartMs: 600_000,
      rangeMs: 300_000,
      func: 'rate',
    });
    // The grid of evaluations is offset with the selector, so a store can check window alignment.
    expect(seen).toContainEqual({ startMs: 240_000, endMs: 1_140_000, stepMs: 60_000, evalStartMs: 540_000 });
  });
});
