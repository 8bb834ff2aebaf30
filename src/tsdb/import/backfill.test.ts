import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { labelsFromRecord } from '../../model/labels.js';
import { isStaleNaN, STALE_NAN } from '../../model/sample.js';
import { TSDB } from '../tsdb.js';
import { Backfiller } from './backfill.js';

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % (2 * HOUR)); // a block boundary
const dirs: string[] = [];

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'kanshi-backfill-'));
  dirs.push(d);
  return d;
}

async function read(dir: string, job: string): Promise<{ t: number; v: number }[]> {
  const db = await TSDB.open(dir, { wal: false });
  const q = db.querier(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const out: { t: number; v: number }[] = [];
  for (const s of await q.select([{ type: '=', name: 'job', value: job }])) {
    const it = s.iterator();
    while (it.next()) out.push({ t: it.atT(), v: it.atV() });
  }
  q.close();
  await db.close();
  return out;
}

describe('Backfiller', () => {
  it('writes one block per aligned 2 h range and the store reads every sample back', async () => {
    const dir = await tmp();
    const b = new Backfiller();
    const want: { t: number; v: number }[] = [];
    // 5 h of 15 s samples starting 1 h into a range: blocks [0,2h) [2h,4h) [4h,6h) relative to T0.
    for (let t = T0 + HOUR; t < T0 + 6 * HOUR; t += 15_000) {
      b.add(labelsFromRecord({ __name__: 'up', job: 'a' }), t, t / 1000);
      b.add(labelsFromRecord({ __name__: 'up', job: 'b' }), t, 1);
      want.push({ t, v: t / 1000 });
    }
    const progress: number[] = [];
    const summary = await b.write(dir, (done, total) => progress.push(done / total));
    expect(summary.series).toBe(2);
    expect(summary.samples).toBe(want.length * 2);
    expect(summary.duplicates).toBe(0);
    expect(summary.minTimeMs).toBe(T0 + HOUR);
    expect(summary.blocks.map((m) => [m.minTime - T0, m.maxTime - T0])).toEqual([
      [0, 2 * HOUR],
      [2 * HOUR, 4 * HOUR],
      [4 * HOUR, 6 * HOUR],
    ]);
    expect(progress[progress.length - 1]).toBe(1);
    expect(await read(dir, 'a')).toEqual(want);
  });

  it('sorts samples given out of order, keeps the first of a timestamp and counts the rest', async () => {
    const dir = await tmp();
    const b = new Backfiller({ blockRangeMs: HOUR });
    const l = labelsFromRecord({ __name__: 'x', job: 'j' });
    for (const [t, v] of [
      [3000, 3],
      [1000, 1],
      [2000, 2],
      [1000, 99],
    ] as const)
      b.add(l, T0 + t, v);
    const summary = await b.write(dir);
    expect(summary.samples).toBe(3);
    expect(summary.duplicates).toBe(1);
    expect(await read(dir, 'j')).toEqual([
      { t: T0 + 1000, v: 1 },
      { t: T0 + 2000, v: 2 },
      { t: T0 + 3000, v: 3 },
    ]);
  });

  it('keeps the staleness marker bit for bit', async () => {
    const dir = await tmp();
    const b = new Backfiller();
    const l = labelsFromRecord({ __name__: 'x', job: 's' });
    b.add(l, T0, 1);
    b.add(l, T0 + 15_000, STALE_NAN);
    b.add(l, T0 + 30_000, NaN);
    await b.write(dir);
    const got = await read(dir, 's');
    expect(got.map((s) => isStaleNaN(s.v))).toEqual([false, true, false]);
    expect(Number.isNaN(got[2]!.v)).toBe(true);
  });

  it('adds blocks beside the ones a store already has', async () => {
    const dir = await tmp();
    const db = await TSDB.open(dir, { wal: false });
    const app = db.appender();
    app.append(labelsFromRecord({ __name__: 'x', job: 'live' }), T0 + 10 * HOUR, 7);
    await app.commit();
    await db.close();
    const b = new Backfiller();
    b.add(labelsFromRecord({ __name__: 'x', job: 'old' }), T0, 5);
    await b.write(dir);
    expect(await read(dir, 'old')).toEqual([{ t: T0, v: 5 }]);
    expect(await read(dir, 'live')).toEqual([{ t: T0 + 10 * HOUR, v: 7 }]);
  });

  it('writes nothing for no samples', async () => {
    const dir = await tmp();
    const summary = await new Backfiller().write(dir);
    expect(summary).toMatchObject({ series: 0, samples: 0, blocks: [] });
  });
});
