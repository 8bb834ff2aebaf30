import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../base/clock.js';
import type { CheckReportResult } from '../../model/check-report.js';
import type { CheckStatus } from '../../model/check.js';
import {
  MemoryCheckResultStore,
  registerCheckResults,
  type CheckResultStore,
} from '../ingest/check-results.js';
import { SqliteCheckResultStore } from './check-history.js';
import { MetadataDb } from './db.js';
import { prng } from '../../../test/support/prng.js';
import { checkRun } from '../../../test/support/check-report.js';

const clock: Clock = { now: () => 5_000, sleep: () => Promise.resolve() };

function result(check: string, startedAt: number, status: CheckStatus = 'OK'): CheckReportResult {
  return checkRun(check, startedAt, { status, duration_ms: 12.5 });
}

/** The behaviour every CheckResultStore shares, run against the memory store and this one. */
const stores: [string, () => CheckResultStore][] = [
  ['MemoryCheckResultStore', () => new MemoryCheckResultStore({ clock, dedupeWindow: 4 })],
  ['SqliteCheckResultStore', () => new SqliteCheckResultStore(MetadataDb.open(':memory:'), { clock })],
];

describe.each(stores)('%s through the agent API', (_name, make) => {
  async function setup() {
    const store = make();
    const app = Fastify();
    registerCheckResults(app, { store, maxBodyBytes: 2048 });
    await app.ready();
    const post = (payload: unknown) =>
      app.inject({ method: 'POST', url: '/api/agent/v1/check-results', payload: payload as object });
    return { app, store, post };
  }
  const wire = (check: string, startedAt: number, status: CheckStatus = 'OK') => ({
    check,
    status,
    message: `${check} ${status}`,
    started_at: startedAt,
  });

  it('stores the latest result per host and check', async () => {
    const { app, store, post } = await setup();
    const res = await post({
      host: 'web-1',
      results: [wire('disk', 100), wire('disk', 200, 'WARNING'), wire('load', 100)],
    });
    expect(res.json()).toEqual({ accepted: 3, duplicates: 0, stale: 0 });
    expect(await store.latest('web-1', 'disk')).toEqual({
      ...result('disk', 200, 'WARNING'),
      duration_ms: 0,
      host: 'web-1',
      received_at: 5_000,
    });
    expect((await store.list()).map((r) => `${r.host}/${r.check}`)).toEqual(['web-1/disk', 'web-1/load']);
    expect(await store.latest('web-1', 'nope')).toBeUndefined();
    await app.close();
  });

  it('is idempotent on (host, check, started_at): a replay counts as duplicates', async () => {
    const { app, store, post } = await setup();
    const body = { host: 'web-1', results: [wire('disk', 100), wire('disk', 200)] };
    await post(body);
    expect((await post(body)).json()).toEqual({ accepted: 0, duplicates: 2, stale: 0 });
    expect((await post({ ...body, host: 'web-2' })).json()).toEqual({ accepted: 2, duplicates: 0, stale: 0 });
    expect((await store.latest('web-1', 'disk'))?.started_at).toBe(200);
    await app.close();
  });

  it('keeps an older, unseen result out of "latest" as stale, and its replay is a duplicate', async () => {
    const { app, store, post } = await setup();
    await post({ host: 'h', results: [wire('disk', 300, 'CRITICAL')] });
    expect((await post({ host: 'h', results: [wire('disk', 250)] })).json()).toEqual({
      accepted: 0,
      duplicates: 0,
      stale: 1,
    });
    expect((await post({ host: 'h', results: [wire('disk', 250)] })).json()).toEqual({
      accepted: 0,
      duplicates: 1,
      stale: 0,
    });
    expect((await store.latest('h', 'disk'))?.status).toBe('CRITICAL');
    await app.close();
  });

  it('lists by host, sorted by host then check', async () => {
    const { app, store, post } = await setup();
    await post({ host: 'b', results: [wire('z', 1), wire('a', 1)] });
    await post({ host: 'a', results: [wire('m', 1)] });
    expect((await store.list()).map((r) => `${r.host}/${r.check}`)).toEqual(['a/m', 'b/a', 'b/z']);
    expect((await store.list('b')).map((r) => r.check)).toEqual(['a', 'z']);
    await app.close();
  });
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SqliteCheckResultStore', () => {
  it('keeps every field of every run, across a reopen', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kanshi-check-history-'));
    dirs.push(dir);
    const full: CheckReportResult = {
      ...result('http', 1_000, 'WARNING'),
      long_output: 'line 2\nline 3',
      perfdata: [{ label: 'time', value: 0.25, unit: 's', warn: '1', crit: '2', min: 0 }],
      attempt: 2,
      hard_status: 'OK',
      memo: 'メモ',
      prevent_alert_auto_close: true,
      notification_interval_ms: 600_000,
      labels: { service: 'api' },
    };
    let db = MetadataDb.openInDir(dir);
    await new SqliteCheckResultStore(db, { clock }).put('web-1', [full, result('http', 2_000)]);
    db.close();
    db = MetadataDb.openInDir(dir);
    const store = new SqliteCheckResultStore(db, { clock });
    expect(store.history('web-1', 'http', { fromMs: 0, toMs: 10_000 })).toEqual([
      { ...full, host: 'web-1', received_at: 5_000 },
      { ...result('http', 2_000), host: 'web-1', received_at: 5_000 },
    ]);
    expect(store.history('web-1', 'http', { fromMs: 1_500, toMs: 10_000 }).map((r) => r.started_at)).toEqual([
      2_000,
    ]);
    expect(store.history('web-1', 'http', { fromMs: 0, toMs: 10_000, limit: 1 })).toHaveLength(1);
    db.close();
  });

  it('prunes results past retention but keeps the latest of every check', async () => {
    const db = MetadataDb.open(':memory:');
    const store = new SqliteCheckResultStore(db, { clock, retentionMs: 1_000 });
    await store.put('h', [result('a', 100), result('a', 200), result('a', 5_000), result('b', 100)]);
    expect(store.prune(5_500)).toBe(2);
    expect(store.history('h', 'a', { fromMs: 0, toMs: 10_000 }).map((r) => r.started_at)).toEqual([5_000]);
    expect((await store.list()).map((r) => `${r.check}@${r.started_at}`)).toEqual(['a@5000', 'b@100']);
  });
});

describe('SqliteCheckResultStore.availability', () => {
  const MIN = 60_000;
  /** A store at `nowMs` holding `runs` of check h/c: [minute, status]. */
  async function withRuns(runs: [number, CheckStatus][], nowMs: number) {
    const store = new SqliteCheckResultStore(MetadataDb.open(':memory:'), {
      clock: { now: () => nowMs, sleep: () => Promise.resolve() },
      maxGapIntervals: 3,
    });
    await store.put(
      'h',
      runs.map(([m, s]) => result('c', m * MIN, s)),
    );
    return store;
  }
  const win = (fromMin: number, toMin: number) => ({ fromMs: fromMin * MIN, toMs: toMin * MIN });

  const cases: {
    name: string;
    runs: [number, CheckStatus][];
    nowMin: number;
    window: [number, number];
    want: {
      ok: number;
      warning?: number;
      critical?: number;
      unknown?: number;
      noData?: number;
      ratio: number | null;
      from?: number;
      to?: number;
    };
  }[] = [
    {
      name: 'all OK, one result a minute',
      runs: Array.from({ length: 11 }, (_, i) => [i, 'OK'] as [number, CheckStatus]),
      nowMin: 10,
      window: [0, 10],
      want: { ok: 10, ratio: 1 },
    },
    {
      name: 'time-weighted: a status holds until the next result',
      runs: [
        [0, 'OK'],
        [1, 'CRITICAL'],
        [2, 'CRITICAL'],
        [3, 'OK'],
        [4, 'OK'],
        [5, 'WARNING'],
        [6, 'OK'],
        [7, 'OK'],
        [8, 'UNKNOWN'],
        [9, 'OK'],
        [10, 'OK'],
      ],
      nowMin: 10,
      window: [0, 10],
      want: { ok: 6, critical: 2, warning: 1, unknown: 1, ratio: 0.6 },
    },
    {
      name: 'the result before the window carries into it',
      runs: [
        [0, 'CRITICAL'],
        [1, 'CRITICAL'],
        [2, 'CRITICAL'],
        [5, 'OK'],
        [6, 'OK'],
      ],
      nowMin: 6,
      window: [4, 6],
      // 2 -> 5 is longer than 3 intervals: CRITICAL holds 2..5, then OK.
      want: { ok: 1, critical: 1, ratio: 0.5 },
    },
    {
      name: 'a gap longer than 3 intervals is no data',
      runs: [
        [0, 'OK'],
        [1, 'OK'],
        [2, 'OK'],
        [10, 'OK'],
        [11, 'OK'],
        [12, 'OK'],
      ],
      nowMin: 12,
      window: [0, 12],
      // 2 covers 2..5; 5..10 has no result.
      want: { ok: 7, noData: 5, ratio: 7 / 12 },
    },
    {
      name: 'a check that went silent: its last result covers 3 intervals, then no data until now',
      runs: [
        [0, 'OK'],
        [1, 'OK'],
        [2, 'OK'],
      ],
      nowMin: 10,
      window: [0, 10],
      want: { ok: 5, noData: 5, ratio: 0.5 },
    },
    {
      name: 'the window starts at the first result and ends now',
      runs: [
        [5, 'OK'],
        [6, 'WARNING'],
        [7, 'OK'],
      ],
      nowMin: 8,
      window: [0, 20],
      want: { ok: 2, warning: 1, ratio: 2 / 3, from: 5, to: 8 },
    },
    {
      name: 'a window before the first result is empty',
      runs: [
        [5, 'OK'],
        [6, 'OK'],
      ],
      nowMin: 8,
      window: [0, 4],
      want: { ok: 0, ratio: null, from: 4, to: 4 },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const store = await withRuns(c.runs, c.nowMin * MIN);
      const [got] = store.availability('h', 'c', [win(...c.window)]);
      expect(got).toMatchObject({
        okMs: c.want.ok * MIN,
        warningMs: (c.want.warning ?? 0) * MIN,
        criticalMs: (c.want.critical ?? 0) * MIN,
        unknownMs: (c.want.unknown ?? 0) * MIN,
        noDataMs: (c.want.noData ?? 0) * MIN,
        fromMs: (c.want.from ?? c.window[0]) * MIN,
        toMs: (c.want.to ?? c.window[1]) * MIN,
        intervalMs: MIN,
      });
      if (c.want.ratio === null) expect(got!.ratio).toBeNull();
      else expect(got!.ratio).toBeCloseTo(c.want.ratio, 12);
    });
  }

  it('answers several windows from one read, and nothing for an unknown check', async () => {
    const store = await withRuns(
      [
        [0, 'CRITICAL'],
        [1, 'OK'],
        [2, 'OK'],
        [3, 'OK'],
      ],
      4 * MIN,
    );
    const [day, hour] = store.availability('h', 'c', [win(0, 4), win(2, 4)]);
    expect([day!.ratio, hour!.ratio, day!.results, hour!.results]).toEqual([0.75, 1, 4, 2]);
    expect(store.availability('h', 'nope', [win(0, 4)])[0]).toMatchObject({ ratio: null, okMs: 0 });
    expect(store.availability('h', 'c', [])).toEqual([]);
  });
});

describe('SqliteCheckResultStore.availability over days', () => {
  const DAY = 86_400_000;
  const HOUR = 3_600_000;
  const T0 = 20_000 * DAY; // a UTC midnight

  it('sums spans across midnight exactly', async () => {
    const store = new SqliteCheckResultStore(MetadataDb.open(':memory:'), {
      clock: { now: () => T0 + 3 * DAY, sleep: () => Promise.resolve() },
    });
    const runs: CheckReportResult[] = [];
    for (let t = T0; t < T0 + 3 * DAY; t += 10 * 60_000) {
      const critical = t >= T0 + DAY - HOUR && t < T0 + DAY + HOUR;
      runs.push(result('c', t, critical ? 'CRITICAL' : 'OK'));
    }
    await store.put('h', runs);
    for (let i = 0; i < 2; i++) {
      // The second time whole days come from the cache.
      const [all, crossing] = store.availability('h', 'c', [
        { fromMs: T0, toMs: T0 + 3 * DAY },
        { fromMs: T0 + DAY - 90 * 60_000, toMs: T0 + DAY + 30 * 60_000 },
      ]);
      expect(all).toMatchObject({ criticalMs: 2 * HOUR, okMs: 70 * HOUR, noDataMs: 0, results: 432 });
      expect(crossing).toMatchObject({ criticalMs: 90 * 60_000, okMs: 30 * 60_000, results: 12 });
    }
  });

  it('answers as a store without cache after every kind of write', async () => {
    const rand = prng(12_345);
    const statuses: CheckStatus[] = ['OK', 'OK', 'OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];
    let now = T0;
    const clock: Clock = { now: () => now, sleep: () => Promise.resolve() };
    const db = MetadataDb.open(':memory:');
    const cached = new SqliteCheckResultStore(db, { clock });
    const windows = () => [
      { fromMs: now - 3 * DAY, toMs: now },
      { fromMs: now - DAY - 5 * HOUR, toMs: now - 2 * HOUR },
      { fromMs: T0, toMs: now },
    ];
    for (let step = 0; step < 60; step++) {
      now += Math.floor(rand() * 4 * HOUR);
      const runs: CheckReportResult[] = [];
      for (let i = 0; i < 5; i++) {
        // Mostly recent runs, some late ones landing in days already summed, gaps now and then.
        const back = rand() < 0.2 ? Math.floor(rand() * 2 * DAY) : Math.floor(rand() * HOUR);
        runs.push(result('c', Math.max(T0, now - back), statuses[Math.floor(rand() * statuses.length)]));
      }
      await cached.put('h', runs);
      const fresh = new SqliteCheckResultStore(db, { clock });
      expect(cached.availability('h', 'c', windows()), `step ${step}`).toEqual(
        fresh.availability('h', 'c', windows()),
      );
    }
  });
});
