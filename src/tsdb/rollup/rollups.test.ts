import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { labelsFromRecord } from '../../model/labels.js';
import type { Matcher, RollupRecords, SelectHints } from '../../storage/storage.js';
import { TSDB, type TsdbOptions } from '../tsdb.js';
import { Windows } from './windows.js';

const M = 60_000;
const H = 60 * M;
const D = 24 * H;
/** On a 54 h boundary, so compaction groups start with the data. */
const T0 = Math.ceil(Date.UTC(2026, 0, 5) / (54 * H)) * 54 * H;
const DAYS = 3;
const END = T0 + DAYS * D;
const all: Matcher[] = [{ type: '=~', name: 'job', value: '.+' }];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kanshi-rollup-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Three days at a 1 m interval, committed an hour at a time: a counter with resets off the window
 * grid, and a gauge exactly on it. Integer values, so sums are exact in any order.
 */
async function fill(db: TSDB): Promise<void> {
  const c = labelsFromRecord({ __name__: 'c_total', job: 'a' });
  const g = labelsFromRecord({ __name__: 'g', job: 'b' });
  let v = 0;
  for (let h = 0; h < DAYS * 24; h++) {
    const app = db.appender();
    for (let m = 0; m < 60; m++) {
      const i = h * 60 + m;
      const t = T0 + i * M;
      v = i % 997 === 0 ? 3 : v + (i % 7);
      expect(app.append(c, t + 1500, v)).toBeNull();
      expect(app.append(g, t, (i * 37) % 101)).toBeNull();
    }
    await app.commit();
  }
  await db.compact();
}

const opts: TsdbOptions = { wal: false, retentionMs: 30 * D };

/** Hints of a range query of `rate(x[range])` at `stepMs` from `fromMs`. */
function rateHints(fromMs: number, toMs: number, stepMs: number, rangeMs: number): SelectHints {
  return { startMs: fromMs - rangeMs, endMs: toMs, stepMs, evalStartMs: fromMs, rangeMs, func: 'rate' };
}

async function records(db: TSDB, hints: SelectHints): Promise<Map<string, RollupRecords>> {
  const q = db.querier(hints.startMs, hints.endMs);
  const out = new Map<string, RollupRecords>();
  for (const s of await q.select(all, hints)) {
    if (s.rollup === undefined) throw new Error(`no rollup for ${JSON.stringify(s.labels)}`);
    out.set(JSON.stringify(s.labels), s.rollup);
  }
  q.close();
  return out;
}

/** The windows of `res` computed from the raw samples the store still has. */
async function fromRaw(db: TSDB, lo: number, hi: number, res: number): Promise<Map<string, RollupRecords>> {
  const q = db.querier(lo, hi);
  const out = new Map<string, RollupRecords>();
  for (const s of await q.select(all, { startMs: lo, endMs: hi, maxResolutionMs: 0 })) {
    const w = new Windows(res);
    w.addSamples(s.iterator(), lo, hi);
    w.dropThrough(lo);
    out.set(JSON.stringify(s.labels), w.records());
  }
  q.close();
  return out;
}

describe('TSDB rollups', { timeout: 60_000 }, () => {
  it('writes 5 m and 1 h rollup blocks from raw blocks of 18 h or more, read as the aggregate of the raw data', async () => {
    const db = await TSDB.open(dir, opts);
    await fill(db);
    const fives = db.rollupBlocks(5 * M);
    const hours = db.rollupBlocks(H);
    expect(fives.length).toBeGreaterThan(0);
    expect(hours.length).toBeGreaterThan(0);
    // Rollups start at raw blocks of 18 h or more (here 54 h, as raw compaction reaches it first).
    for (const m of hours) expect(m.maxTime - m.minTime).toBeGreaterThanOrEqual(18 * H);
    for (const m of [...fives, ...hours]) expect(m.resolution).toBeDefined();
    // Over rollup blocks, smaller raw blocks and the head: the same windows as from raw samples.
    for (const res of [5 * M, H]) {
      const hints = rateHints(T0 + 2 * H, END - H, H, res);
      const got = await records(db, hints);
      expect(got.size).toBe(2);
      expect([...got.values()][0]!.resolutionMs).toBe(res);
      expect(got).toEqual(await fromRaw(db, hints.startMs, hints.endMs, res));
    }
    await db.close();
  });

  it('compacts rollup blocks into ×3 ranges when raw blocks stay smaller', async () => {
    // Raw retention 7 d keeps raw blocks at 6 h: rollups are written from those and compacted alone.
    const db = await TSDB.open(dir, { ...opts, retentionMs: 7 * D });
    await fill(db);
    expect(Math.max(...db.blocks().map((m) => m.maxTime - m.minTime))).toBe(6 * H);
    const spans = db.rollupBlocks(H).map((m) => (m.maxTime - m.minTime) / H);
    expect(spans).toContain(54);
    const hints = rateHints(T0 + 2 * H, END - H, H, H);
    expect(await records(db, hints)).toEqual(await fromRaw(db, hints.startMs, hints.endMs, H));
    await db.close();
  });

  it('keeps rollups across a restart and copies them into snapshots', async () => {
    const db = await TSDB.open(dir, opts);
    await fill(db);
    const hints = rateHints(T0 + 2 * H, T0 + 50 * H, H, H);
    const before = await records(db, hints);
    const ulids = db.rollupBlocks().map((m) => m.ulid);
    await db.snapshot(join(dir, 'snapshots', 's1'));
    await db.close();
    const snap = await readdir(join(dir, 'snapshots', 's1'));
    for (const u of ulids) expect(snap).toContain(u);
    const reopened = await TSDB.open(dir, opts);
    expect(reopened.rollupBlocks().map((m) => m.ulid)).toEqual(ulids);
    expect(await records(reopened, hints)).toEqual(before);
    await reopened.close();
  });

  it('deletes whole windows that hold deleted samples', async () => {
    const db = await TSDB.open(dir, opts);
    await fill(db);
    const from = T0 + 10 * H + 30 * M;
    const to = T0 + 11 * H;
    await db.deleteSeries([{ type: '=', name: 'job', value: 'a' }], from, to);
    for (const res of [5 * M, H]) {
      const r = (await records(db, rateHints(T0 + 2 * H, T0 + 20 * H, H, res))).get(
        JSON.stringify(labelsFromRecord({ __name__: 'c_total', job: 'a' })),
      )!;
      const ends = [...r.t];
      expect(ends.some((t) => t >= from && t <= to + res - 1)).toBe(false);
      expect(ends.some((t) => t > to + res - 1)).toBe(true);
    }
    await db.cleanTombstones();
    const r = (await records(db, rateHints(T0 + 2 * H, T0 + 20 * H, H, H))).get(
      JSON.stringify(labelsFromRecord({ __name__: 'c_total', job: 'a' })),
    )!;
    expect([...r.t].includes(T0 + 11 * H)).toBe(false);
    await db.close();
  });

  it('drops each resolution at its own retention', async () => {
    const db = await TSDB.open(dir, { ...opts, retention5mMs: D });
    await fill(db);
    const newest = END - M + 1500;
    const fives = db.rollupBlocks(5 * M);
    expect(fives.length).toBeGreaterThan(0);
    for (const m of fives) expect(m.maxTime).toBeGreaterThan(newest - D);
    expect(Math.min(...db.rollupBlocks(H).map((m) => m.minTime))).toBeLessThan(T0 + D);
    await db.close();
  });

  it('answers from rollups where raw blocks are gone, whatever the step', async () => {
    const db = await TSDB.open(dir, { ...opts, retentionMs: D });
    await fill(db);
    const oldest = Math.min(...db.blocks().map((b) => b.minTime));
    expect(oldest).toBeGreaterThan(T0 + D);
    expect(Math.min(...db.rollupBlocks().map((m) => m.minTime))).toBeLessThan(oldest);
    // A plain selection with no hints still sees the old part, as each window's last sample.
    const q = db.querier(T0, END);
    const [c] = await q.select([{ type: '=', name: '__name__', value: 'c_total' }]);
    const it = c!.iterator();
    expect(it.next()).toBe(true);
    expect(it.atT()).toBeLessThan(oldest);
    // Forced raw: only what raw blocks and the head hold.
    const [raw] = await q.select([{ type: '=', name: '__name__', value: 'c_total' }], {
      startMs: T0,
      endMs: END,
      maxResolutionMs: 0,
    });
    const rit = raw!.iterator();
    expect(rit.next()).toBe(true);
    expect(rit.atT()).toBeGreaterThanOrEqual(oldest);
    q.close();
    await db.close();
  });

  it('records the resolution in meta.json', async () => {
    const db = await TSDB.open(dir, opts);
    await fill(db);
    const m = db.rollupBlocks(H)[0]!;
    const meta = JSON.parse(await readFile(join(dir, m.ulid, 'meta.json'), 'utf8')) as { resolution: number };
    expect(meta.resolution).toBe(H);
    await db.close();
  });
});
