import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nullLogger } from '../base/logger.js';
import { labelsFromRecord } from '../model/labels.js';
import { STALE_NAN, isStaleNaN } from '../model/sample.js';
import type { HeadBatch } from './head/head.js';
import { decodeRecord, encodeSamples, encodeSeries, encodeTombstones, HeadWal } from './head-wal.js';

describe('TSDB WAL records', () => {
  it.each([
    { name: 'empty', refs: [], ts: [], vs: [] },
    { name: 'one', refs: [7], ts: [1_700_000_000_000], vs: [1.5] },
    {
      name: 'refs and times going both ways',
      refs: [10, 3, 99],
      ts: [5000, -20, 7000],
      vs: [-0, Infinity, -1e300],
    },
  ])('round-trips a samples record: $name', ({ refs, ts, vs }) => {
    const d = decodeRecord(encodeSamples(refs, ts, Float64Array.from(vs), refs.length), 'test');
    expect(d).toEqual({ type: 'samples', refs, ts, vs: Float64Array.from(vs) });
  });

  it('keeps NaN payloads in samples records', () => {
    // Not Float64Array.from([...]): a plain array would canonicalize the NaN first.
    const vs = new Float64Array(2);
    vs[0] = NaN;
    vs[1] = STALE_NAN;
    const d = decodeRecord(encodeSamples([1, 1], [1, 2], vs, 2), 'test');
    if (d.type !== 'samples') throw new Error(d.type);
    expect([isStaleNaN(d.vs[0]!), isStaleNaN(d.vs[1]!)]).toEqual([false, true]);
  });

  it('round-trips series and tombstones records', () => {
    const labels = labelsFromRecord({ __name__: 'up', job: 'ノード', x: 'a\nb' });
    expect(decodeRecord(encodeSeries([{ ref: 3, labels }]), 'test')).toEqual({
      type: 'series',
      series: [{ ref: 3, labels }],
    });
    expect(decodeRecord(encodeTombstones([1, 9], -5, 50), 'test')).toEqual({
      type: 'tombstones',
      refs: [1, 9],
      interval: { minT: -5, maxT: 50 },
    });
  });

  it.each([
    ['an unknown type', Uint8Array.of(9), /unknown record type 9/],
    [
      'a truncated samples record',
      encodeSamples([1], [1], Float64Array.of(1), 1).subarray(0, 6),
      /truncated/,
    ],
  ])('rejects %s', (_name, bytes, err) => {
    expect(() => decodeRecord(bytes, 'wal record at 1:0')).toThrow(err);
  });
});

describe('HeadWal fsync policy', () => {
  const batch = (t: number): HeadBatch => ({
    newSeries: [],
    refs: [1],
    ts: [t],
    vs: Float64Array.of(t),
    length: 1,
  });

  it.each([
    ['at every commit', 0, 1],
    ['in the background within the interval', 20, 0],
  ])(
    'fsyncs %s, and the records are in the file when log resolves',
    async (_name, syncIntervalMs, syncsAtLog) => {
      const dir = await mkdtemp(join(tmpdir(), 'kanshi-head-wal-'));
      try {
        const wal = await HeadWal.open(dir, { logger: nullLogger, syncIntervalMs });
        const before = wal.syncCount;
        await wal.log(batch(1000));
        expect(wal.syncCount - before).toBe(syncsAtLog);
        const [segment] = await readdir(dir);
        expect((await stat(join(dir, segment!))).size).toBeGreaterThan(0);
        if (syncIntervalMs > 0) {
          await new Promise((r) => setTimeout(r, syncIntervalMs * 5));
          expect(wal.syncCount - before).toBe(1);
        }
        await wal.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it('refuses a negative interval', async () => {
    await expect(HeadWal.open('/nonexistent', { logger: nullLogger, syncIntervalMs: -1 })).rejects.toThrow(
      /sync interval must be >= 0 ms, got -1/,
    );
  });
});
