import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../base/clock.js';
import { RecordingLogger } from '../base/logger.js';
import { labelsFromRecord, type Labels } from '../model/labels.js';
import { STALE_NAN, isStaleNaN } from '../model/sample.js';
import type { Matcher, Querier } from '../storage/storage.js';
import { decodeRecord } from './head-wal.js';
import { Backfiller } from './import/backfill.js';
import { TSDB, type TsdbOptions } from './tsdb.js';

const RANGE = 10_000;
const opts: TsdbOptions = { blockRangeMs: RANGE, oooWindowMs: 2_000, retentionMs: 10 * 24 * 3_600_000 };
const series = (i: number): Labels =>
  labelsFromRecord({ __name__: i % 2 === 0 ? 'even' : 'odd', instance: `host-${i}`, job: 'node' });
const all: Matcher[] = [{ type: '=', name: 'job', value: 'node' }];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kanshi-tsdb-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Appends `n` series × samples at `stepMs` from t0 (value = i * 1000 + t / stepMs), committing every `batch`. */
async function fill(db: TSDB, n: number, from: number, to: number, stepMs: number): Promise<number> {
  let count = 0;
  for (let t = from; t < to; t += stepMs) {
    const app = db.appender();
    for (let i = 0; i < n; i++) {
      expect(app.append(series(i), t, i * 1000 + t / stepMs)).toBeNull();
      count++;
    }
    await app.commit();
  }
  return count;
}

async function dump(q: Querier, matchers: Matcher[] = all): Promise<Map<string, [number, number][]>> {
  const out = new Map<string, [number, number][]>();
  for (const s of await q.select(matchers)) {
    const it = s.iterator();
    const xs: [number, number][] = [];
    while (it.next()) xs.push([it.atT(), it.atV()]);
    out.set(JSON.stringify(s.labels), xs);
  }
  q.close();
  return out;
}

function expected(n: number, from: number, to: number, stepMs: number): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  const ids = Array.from({ length: n }, (_, i) => i).sort((a, b) =>
    JSON.stringify(series(a)) < JSON.stringify(series(b)) ? -1 : 1,
  );
  for (const i of ids) {
    const xs: [number, number][] = [];
    for (let t = from; t < to; t += stepMs) xs.push([t, i * 1000 + t / stepMs]);
    out.set(JSON.stringify(series(i)), xs);
  }
  return out;
}

describe('TSDB', () => {
  it('cuts blocks from the head and answers queries across blocks and head', async () => {
    const db = await TSDB.open(dir, opts);
    await fill(db, 5, 0, 45_000, 1000);
    await db.compact();
    // Three 10 s blocks were cut ([0,30 s) while the head spanned more than 15 s), then compacted.
    const metas = db.blocks();
    expect(metas.map((m) => [m.minTime, m.maxTime, m.compaction.level])).toEqual([[0, 3 * RANGE, 2]]);
    expect(db.head.minValidTime).toBe(3 * RANGE);
    expect([...(await dump(db.querier(0, 1e9))).entries()]).toEqual([
      ...expected(5, 0, 45_000, 1000).entries(),
    ]);
    const part = await dump(db.querier(9_000, 11_000));
    expect([...part.values()][0]!.map((x) => x[0])).toEqual([9_000, 10_000, 11_000]);
    await db.close();
  });

  it('answers a querier opened before a compaction with all the data after it', async () => {
    const db = await TSDB.open(dir, opts);
    await db.compact();
    const q = db.querier(0, 1e9);
    await fill(db, 3, 0, 45_000, 1000);
    await db.compact();
    expect(db.blocks().length).toBeGreaterThan(0);
    expect([...(await dump(q)).entries()]).toEqual([...expected(3, 0, 45_000, 1000).entries()]);
    await db.close();
  });

  it('keeps every committed sample across close and open', async () => {
    const db = await TSDB.open(dir, opts);
    await fill(db, 3, 0, 25_000, 1000);
    await db.close();
    const db2 = await TSDB.open(dir, opts);
    expect([...(await dump(db2.querier(0, 1e9))).entries()]).toEqual([
      ...expected(3, 0, 25_000, 1000).entries(),
    ]);
    const app = db2.appender();
    expect(app.append(series(0), 24_000, 1)).toBe('duplicate');
    app.rollback();
    await db2.close();
  });

  it('replays the WAL after a crash (no close), deletions included', async () => {
    const db = await TSDB.open(dir, opts);
    await fill(db, 3, 0, 8_000, 1000);
    await db.deleteSeries([{ type: '=', name: 'instance', value: 'host-1' }], 2_000, 3_000);
    // The first store is abandoned, as after kill -9: nothing flushed at close.
    const db2 = await TSDB.open(dir, opts);
    const got = await dump(db2.querier(0, 1e9));
    const want = expected(3, 0, 8_000, 1000);
    const key = JSON.stringify(series(1));
    want.set(
      key,
      want.get(key)!.filter(([t]) => t < 2_000 || t > 3_000),
    );
    expect([...got.entries()]).toEqual([...want.entries()]);
    await db2.close();
    await db.close();
  });

  it('opens after a torn WAL tail, keeping the records before it', async () => {
    const db = await TSDB.open(dir, opts);
    await fill(db, 2, 0, 5_000, 1000);
    const walDir = join(dir, 'wal');
    const last = (await readdir(walDir)).sort().pop()!;
    await appendFile(join(walDir, last), Uint8Array.of(40, 0, 0, 0, 1, 2, 3));
    const log = new RecordingLogger();
    const db2 = await TSDB.open(dir, { ...opts, logger: log });
    expect([...(await dump(db2.querier(0, 1e9))).entries()]).toEqual([
      ...expected(2, 0, 5_000, 1000).entries(),
    ]);
    expect(log.records.some((r) => r.level === 'warn')).toBe(true);
    await db2.close();
    await db.close();
  });

  it('repairs a damaged middle WAL segment and replays every record outside the damage', async () => {
    const segOpts = { ...opts, walSegmentBytes: 1024 };
    const db = await TSDB.open(dir, segOpts);
    await fill(db, 3, 0, 8_000, 100);
    const walDir = join(dir, 'wal');
    const segs = (await readdir(walDir)).sort();
    expect(segs.length).toBeGreaterThanOrEqual(3);
    // Damage the third frame of the second segment: one payload byte flipped.
    const victim = join(walDir, segs[1]!);
    const bytes = new Uint8Array(await readFile(victim));
    const view = new DataView(bytes.buffer);
    const frames: [number, number][] = [];
    for (let pos = 0; pos < bytes.length; pos += 8 + view.getUint32(pos, true)) {
      frames.push([pos, pos + 8 + view.getUint32(pos, true)]);
    }
    expect(frames.length).toBeGreaterThan(3);
    const [damageAt] = frames[2]!;
    // The rule: the segment is cut at the damaged frame, so its records from there on are lost.
    const lost = new Set<number>();
    for (const [start, end] of frames.slice(2)) {
      const d = decodeRecord(bytes.subarray(start + 8, end), 'test');
      if (d.type === 'samples') for (const t of d.ts) lost.add(t);
    }
    expect(lost.size).toBeGreaterThan(0);
    bytes[damageAt + 12] = bytes[damageAt + 12]! ^ 0xff;
    await writeFile(victim, bytes);

    const log = new RecordingLogger();
    const db2 = await TSDB.open(dir, { ...segOpts, logger: log });
    const want = expected(3, 0, 8_000, 100);
    for (const [k, xs] of want)
      want.set(
        k,
        xs.filter(([t]) => !lost.has(t)),
      );
    expect([...(await dump(db2.querier(0, 1e9))).entries()]).toEqual([...want.entries()]);
    // Samples of the last segment are back: the replay went past the damage.
    expect(want.get(JSON.stringify(series(0)))!.at(-1)![0]).toBe(7_900);
    expect((await readFile(victim)).length).toBe(damageAt);
    const corruptions = db2.metricFamilies().find((f) => f.name === 'kanshi_tsdb_wal_corruptions_total')!
      .samples[0]!.value;
    expect(corruptions).toBe(1);
    expect(log.records.some((r) => r.level === 'error' && /damaged segment/.test(r.message))).toBe(true);
    await db2.close();
    // Repaired for good: the next open finds no damage and the same data.
    const db3 = await TSDB.open(dir, segOpts);
    expect([...(await dump(db3.querier(0, 1e9))).entries()]).toEqual([...want.entries()]);
    expect(
      db3.metricFamilies().find((f) => f.name === 'kanshi_tsdb_wal_corruptions_total')!.samples[0]!.value,
    ).toBe(0);
    await db3.close();
    await db.close();
  });

  it('takes live appends after an imported block that reaches up to now, and keeps both across cuts and reopen', async () => {
    const now = 25_000;
    const clock: Clock = { ...systemClock, now: () => now };
    const backfill = new Backfiller({ blockRangeMs: RANGE, nowMs: () => now });
    for (let t = 12_000; t <= now; t += 1000) backfill.add(series(0), t, t / 1000);
    const summary = await backfill.write(dir, () => {});
    // Aligned to the block range, the newest imported block ends past now.
    expect(Math.max(...summary.blocks.map((b) => b.maxTime))).toBeGreaterThan(now);
    const db = await TSDB.open(dir, { ...opts, clock });
    for (let t = now + 1000; t < 50_000; t += 1000) {
      const app = db.appender();
      expect(app.append(series(0), t, t / 1000)).toBeNull();
      await app.commit();
    }
    const want = new Map([
      [
        JSON.stringify(series(0)),
        Array.from({ length: (50_000 - 12_000) / 1000 }, (_, i): [number, number] => [
          12_000 + i * 1000,
          12 + i,
        ]),
      ],
    ]);
    expect([...(await dump(db.querier(0, 1e9))).entries()]).toEqual([...want.entries()]);
    // A head block cut over the imported range, and its compaction with the imported blocks.
    await db.compact();
    expect(db.blocks().some((b) => b.compaction.level > 1)).toBe(true);
    expect([...(await dump(db.querier(0, 1e9))).entries()]).toEqual([...want.entries()]);
    await db.close();
    const db2 = await TSDB.open(dir, { ...opts, clock });
    expect([...(await dump(db2.querier(0, 1e9))).entries()]).toEqual([...want.entries()]);
    await db2.close();
  });

  it('rejects new series over max_series with limit, keeps appending to existing ones, and counts it', async () => {
    const db = await TSDB.open(dir, { ...opts, maxSeries: 2 });
    const app = db.appender();
    expect([0, 1, 2, 3].map((i) => app.append(series(i), 1000, i))).toEqual([null, null, 'limit', 'limit']);
    await app.commit();
    const app2 = db.appender();
    // Existing series still take samples; a new one is still refused.
    expect(app2.append(series(1), 2000, 1)).toBeNull();
    expect(app2.append(series(4), 2000, 4)).toBe('limit');
    await app2.commit();
    const got = await dump(db.querier(0, 1e9));
    expect([...got.keys()].sort()).toEqual([JSON.stringify(series(0)), JSON.stringify(series(1))].sort());
    const families = db.metricFamilies();
    const rejected = families.find((f) => f.name === 'kanshi_tsdb_samples_rejected_total')!;
    expect(rejected.samples.find((s) => s.labels[0]?.value === 'limit')?.value).toBe(3);
    expect(families.find((f) => f.name === 'kanshi_tsdb_head_max_series')!.samples[0]!.value).toBe(2);
    expect(families.find((f) => f.name === 'kanshi_tsdb_head_series')!.samples[0]!.value).toBe(2);
    await db.close();
    // Replay restores every logged series even under a lower limit; new ones stay refused.
    const db2 = await TSDB.open(dir, { ...opts, maxSeries: 1 });
    expect(db2.stats().headSeries).toBe(2);
    const app3 = db2.appender();
    expect(app3.append(series(0), 3000, 0)).toBeNull();
    expect(app3.append(series(5), 3000, 5)).toBe('limit');
    await app3.commit();
    await db2.close();
    const db3 = await TSDB.open(dir, { ...opts, maxSeries: 0 });
    const app4 = db3.appender();
    expect(app4.append(series(5), 3000, 5)).toBeNull();
    app4.rollback();
    await db3.close();
  });

  it.each([-1, 1.5, NaN])('refuses max_series %s', async (maxSeries) => {
    await expect(TSDB.open(dir, { ...opts, maxSeries })).rejects.toThrow(/max series must be an integer/);
  });

  it('drops WAL segments once their samples are in blocks, and still replays the rest', async () => {
    const db = await TSDB.open(dir, { ...opts, walSegmentBytes: 2048 });
    await fill(db, 3, 0, 60_000, 1000);
    await db.compact();
    const segs = db.walSegments();
    expect(segs[0]).toBeGreaterThan(1);
    const db2 = await TSDB.open(dir, { ...opts, walSegmentBytes: 2048 });
    expect([...(await dump(db2.querier(0, 1e9))).entries()]).toEqual([
      ...expected(3, 0, 60_000, 1000).entries(),
    ]);
    await db2.close();
    await db.close();
  });

  it('without a WAL persists the head as a block at close', async () => {
    const db = await TSDB.open(dir, { ...opts, wal: false });
    await fill(db, 3, 0, 25_000, 1000);
    await db.close();
    const db2 = await TSDB.open(dir, { ...opts, wal: false });
    expect([...(await dump(db2.querier(0, 1e9))).entries()]).toEqual([
      ...expected(3, 0, 25_000, 1000).entries(),
    ]);
    const app = db2.appender();
    expect(app.append(series(0), 24_000, 1)).toBe('too_old');
    app.rollback();
    await db2.close();
  });

  it('keeps the staleness marker through a block', async () => {
    const db = await TSDB.open(dir, opts);
    const app = db.appender();
    app.append(series(0), 1000, NaN);
    app.append(series(0), 2000, STALE_NAN);
    await app.commit();
    await db.close();
    const db2 = await TSDB.open(dir, opts);
    const [s] = await db2.querier(0, 1e9).select(all);
    const it = s!.iterator();
    const got: boolean[] = [];
    while (it.next()) got.push(isStaleNaN(it.atV()));
    expect(got).toEqual([false, true]);
    await db2.close();
  });

  it('compacts adjacent blocks into a larger one without changing the data', async () => {
    const db = await TSDB.open(dir, opts);
    await fill(db, 4, 0, 75_000, 1000);
    await db.compact();
    const metas = db.blocks();
    expect(metas.some((m) => m.compaction.level > 1)).toBe(true);
    const big = metas.find((m) => m.compaction.level > 1)!;
    expect(big.maxTime - big.minTime).toBe(3 * RANGE);
    expect(big.compaction.sources).toHaveLength(3);
    expect([...(await dump(db.querier(0, 1e9))).entries()]).toEqual([
      ...expected(4, 0, 75_000, 1000).entries(),
    ]);
    const dirs = (await readdir(dir)).filter((n) => /^[0-9A-Z]{26}$/.test(n));
    expect(dirs.sort()).toEqual(metas.map((m) => m.ulid).sort());
    await db.close();
  });

  it('deletes blocks beyond the retention time and the size limit', async () => {
    const db = await TSDB.open(dir, { ...opts, retentionMs: 25_000 });
    await fill(db, 2, 0, 75_000, 1000);
    await db.compact();
    for (const m of db.blocks()) expect(m.maxTime).toBeGreaterThan(db.head.maxTime - 25_000);
    await db.close();

    const dir2 = join(dir, 'sized');
    const db2 = await TSDB.open(dir2, { ...opts, retentionMs: 1e12, maxBytes: 1 });
    await fill(db2, 2, 0, 45_000, 1000);
    await db2.compact();
    expect(db2.blocks()).toHaveLength(0);
    await db2.close();
  });

  it('hides deleted series in head and blocks, durably, and cleans the tombstones away', async () => {
    const db = await TSDB.open(dir, opts);
    await fill(db, 2, 0, 35_000, 1000);
    await db.compact();
    const odd: Matcher[] = [{ type: '=', name: '__name__', value: 'odd' }];
    await db.deleteSeries(odd, 5_000, 32_000);
    const times = async (d: TSDB) => [...(await dump(d.querier(0, 1e9), odd)).values()][0]!.map((x) => x[0]);
    const want = [0, 1000, 2000, 3000, 4000, 33_000, 34_000];
    expect(await times(db)).toEqual(want);
    await db.close();
    const db2 = await TSDB.open(dir, opts);
    expect(await times(db2)).toEqual(want);
    const before = db2.blocks().map((m) => m.ulid);
    await db2.cleanTombstones();
    expect(db2.blocks().map((m) => m.ulid)).not.toEqual(before);
    expect(await times(db2)).toEqual(want);
    expect(
      [...(await dump(db2.querier(0, 1e9), [{ type: '=', name: '__name__', value: 'even' }])).values()][0],
    ).toHaveLength(35);
    await db2.close();
  });

  it('moves a corrupt block aside and serves the rest', async () => {
    const db = await TSDB.open(dir, opts);
    await fill(db, 2, 0, 35_000, 1000);
    await db.compact();
    const victim = db.blocks()[0]!.ulid;
    await db.close();
    await writeFile(join(dir, victim, 'index'), 'garbage');
    const log = new RecordingLogger();
    const db2 = await TSDB.open(dir, { ...opts, logger: log });
    expect(db2.blocks().map((m) => m.ulid)).not.toContain(victim);
    expect(await readdir(join(dir, 'corrupted'))).toEqual([victim]);
    expect(log.records.some((r) => r.level === 'error' && r.fields.block === victim)).toBe(true);
    expect((await dump(db2.querier(0, 1e9))).size).toBe(2);
    await db2.close();
  });

  it('refuses a directory another live process holds, and takes over a dead one', async () => {
    await mkdir(dir, { recursive: true });
    // PID 1 is always alive; a huge PID is not.
    await writeFile(join(dir, 'lock'), '1\n');
    await expect(TSDB.open(dir, opts)).rejects.toThrow(/in use by process 1/);
    await writeFile(join(dir, 'lock'), '4194000\n');
    const db = await TSDB.open(dir, opts);
    await db.close();
    expect(await readdir(dir)).not.toContain('lock');
  });

  it('writes a snapshot that opens as a store with the same data', async () => {
    const db = await TSDB.open(dir, opts);
    await fill(db, 3, 0, 35_000, 1000);
    await db.compact();
    const snap = join(dir, 'snapshots', 'x');
    await db.snapshot(snap);
    const want = await dump(db.querier(0, 1e9));
    await db.close();
    const db2 = await TSDB.open(snap, opts);
    expect([...(await dump(db2.querier(0, 1e9))).entries()]).toEqual([...want.entries()]);
    await db2.close();
  });

  it('reports series, samples, bytes per sample and top cardinalities', async () => {
    const db = await TSDB.open(dir, opts);
    await fill(db, 6, 0, 35_000, 1000);
    await db.compact();
    const st = db.stats(2);
    expect(st.headSeries).toBe(6);
    expect(st.blocks).toBeGreaterThan(0);
    expect(st.bytesPerSample).toBeGreaterThan(0);
    expect(st.headBytesPerSample).toBeGreaterThan(0);
    expect(st.headBytesPerSample).toBeLessThan(16);
    expect(st.topMetrics).toEqual([
      { name: 'even', series: 3 },
      { name: 'odd', series: 3 },
    ]);
    expect(st.topLabelPairs[0]).toEqual({ name: 'job', value: 'node', series: 6 });
    expect(st.topLabelNames[0]).toEqual({ name: 'instance', values: 6 });
    await db.close();
  });

  it('lists label names and values across blocks and head', async () => {
    const db = await TSDB.open(dir, opts);
    await fill(db, 2, 0, 25_000, 1000);
    await db.compact();
    const app = db.appender();
    app.append(labelsFromRecord({ __name__: 'late', job: 'other', zone: 'a' }), 30_000, 1);
    await app.commit();
    const q = db.querier(0, 1e9);
    expect(await q.labelNames()).toEqual(['__name__', 'instance', 'job', 'zone']);
    expect(await q.labelValues('__name__')).toEqual(['even', 'late', 'odd']);
    expect(await q.labelValues('job', [{ type: '=', name: '__name__', value: 'late' }])).toEqual(['other']);
    q.close();
    await db.close();
  });
});
