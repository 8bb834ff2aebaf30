import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { labelsFromRecord } from '../model/labels.js';
import { TSDB } from './tsdb.js';

const RANGE = 10_000;
const s = labelsFromRecord({ __name__: 'm', job: 'agent' });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kanshi-tsdb-ooo-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function samples(db: TSDB): Promise<[number, number][]> {
  const q = db.querier(-Infinity, Infinity);
  const [series] = await q.select([{ type: '=', name: 'job', value: 'agent' }]);
  const out: [number, number][] = [];
  const it = series!.iterator();
  while (it.next()) out.push([it.atT(), it.atV()]);
  return out;
}

describe('TSDB out-of-order window', () => {
  it('keeps a window longer than half a block range in the head, so samples within it are taken and persisted', async () => {
    const db = await TSDB.open(dir, { blockRangeMs: RANGE, oooWindowMs: 8_000, wal: false });
    for (let t = 0; t <= 36_000; t += 1000) {
      const app = db.appender();
      expect(app.append(s, t, t)).toBeNull();
      await app.commit();
    }
    await db.compact();
    expect(db.blocks().length).toBeGreaterThan(0);
    // 7.5 s behind the newest sample (36 s): within the 8 s window, although more than half a block range.
    const app = db.appender();
    expect(app.append(s, 28_500, -1)).toBeNull();
    expect(app.append(s, 27_500, -2)).toBe('too_old');
    await app.commit();
    expect((await samples(db)).filter(([t]) => t === 28_500)).toEqual([[28_500, -1]]);
    // Cut the head past it: the block keeps it.
    for (let t = 37_000; t <= 60_000; t += 1000) {
      const a = db.appender();
      a.append(s, t, t);
      await a.commit();
    }
    await db.compact();
    expect(db.head.minValidTime).toBeGreaterThan(28_500);
    const all = await samples(db);
    expect(all.filter(([t]) => t === 28_500)).toEqual([[28_500, -1]]);
    expect(all).toHaveLength(62);
    await db.close();
  });

  it('counts rejected out-of-order samples under Prometheus-like names', async () => {
    const db = await TSDB.open(dir, { blockRangeMs: RANGE, oooWindowMs: 0, wal: false });
    const app = db.appender();
    app.append(s, 5000, 1);
    await app.commit();
    const late = db.appender();
    expect(late.append(s, 4000, 1)).toBe('out_of_order');
    await late.commit();
    const value = (name: string) => db.metricFamilies().find((f) => f.name === name)?.samples[0]?.value;
    expect(value('kanshi_tsdb_out_of_order_samples_total')).toBe(1);
    expect(value('kanshi_tsdb_too_old_samples_total')).toBe(0);
    await db.close();
  });
});
