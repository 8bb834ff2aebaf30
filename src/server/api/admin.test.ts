import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nullLogger } from '../../base/logger.js';
import { Registry } from '../../exposition/registry.js';
import { labelsFromRecord } from '../../model/labels.js';
import { TSDB } from '../../tsdb/tsdb.js';
import { createHttpApp } from '../http/app.js';
import { registerAdminApi, snapshotName } from './admin.js';

const T0 = 1_700_000_000_000;
const dirs: string[] = [];
const dbs: TSDB[] = [];

afterEach(async () => {
  for (const db of dbs.splice(0)) await db.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function setup() {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'kanshi-admin-'));
  dirs.push(dataDir);
  const tsdb = await TSDB.open(path.join(dataDir, 'tenants', 'default'), { wal: false });
  dbs.push(tsdb);
  const app = tsdb.appender();
  for (let i = 0; i < 10; i++) {
    for (const job of ['api', 'db']) {
      app.append(labelsFromRecord({ __name__: 'up', job }), T0 + i * 15_000, i);
    }
  }
  await app.commit();
  const http = createHttpApp({ logger: nullLogger, registry: new Registry(), isReady: () => true });
  registerAdminApi(http, {
    tsdb,
    dataDir,
    clock: { now: () => Date.UTC(2026, 10, 27, 8, 5, 9, 123), sleep: () => Promise.resolve() },
    random63: () => 0x1234abcdn,
  });
  await http.ready();
  return { http, tsdb, dataDir };
}

async function samples(tsdb: TSDB, job: string): Promise<number[]> {
  const q = tsdb.querier(0, Number.MAX_SAFE_INTEGER);
  const got = await q.select([{ type: '=', name: 'job', value: job }]);
  const out: number[] = [];
  for (const s of got) {
    const it = s.iterator();
    while (it.next()) out.push(it.atV());
  }
  q.close();
  return out;
}

describe('snapshotName', () => {
  it('formats the UTC time and 16 hex digits as Prometheus does', () => {
    expect(snapshotName(Date.UTC(2026, 0, 2, 3, 4, 5, 999), 0xfn)).toBe('20260102T030405Z-000000000000000f');
    expect(snapshotName(0, (1n << 63n) - 1n)).toBe('19700101T000000Z-7fffffffffffffff');
  });
});

describe('registerAdminApi', () => {
  it('writes a snapshot with the head under <data>/snapshots/<name> and returns the name', async () => {
    const { http, dataDir } = await setup();
    const res = await http.inject({ method: 'POST', url: '/api/v1/admin/tsdb/snapshot' });
    expect(res.statusCode).toBe(200);
    const name = '20261127T080509Z-000000001234abcd';
    expect(res.json()).toEqual({ status: 'success', data: { name } });
    const snap = path.join(dataDir, 'snapshots', name);
    const blocks = await readdir(snap);
    expect(blocks).toHaveLength(1);
    // The snapshot opens as a store holding what was written.
    const copy = await TSDB.open(snap, { wal: false });
    dbs.push(copy);
    expect(await samples(copy, 'api')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('leaves the head out with skip_head=true (PUT, form body)', async () => {
    const { http, dataDir } = await setup();
    const res = await http.inject({
      method: 'PUT',
      url: '/api/v1/admin/tsdb/snapshot',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'skip_head=true',
    });
    expect(res.statusCode).toBe(200);
    const { data } = res.json<{ data: { name: string } }>();
    expect(await readdir(path.join(dataDir, 'snapshots', data.name))).toEqual([]);
  });

  it('rejects a skip_head that is not a Go boolean', async () => {
    const { http } = await setup();
    const res = await http.inject({ method: 'POST', url: '/api/v1/admin/tsdb/snapshot?skip_head=yes' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      status: 'error',
      errorType: 'bad_data',
      error:
        'invalid parameter "skip_head": unable to parse boolean: strconv.ParseBool: parsing "yes": invalid syntax',
    });
  });

  it('deletes the matching series in [start, end] and answers 204', async () => {
    const { http, tsdb } = await setup();
    const res = await http.inject({
      method: 'POST',
      url: `/api/v1/admin/tsdb/delete_series?match[]=up{job="api"}&start=${T0 / 1000 + 30}&end=${T0 / 1000 + 60}`,
    });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(await samples(tsdb, 'api')).toEqual([0, 1, 5, 6, 7, 8, 9]);
    expect(await samples(tsdb, 'db')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('deletes over all time without start and end, with regex matchers', async () => {
    const { http, tsdb } = await setup();
    const res = await http.inject({
      method: 'PUT',
      url: '/api/v1/admin/tsdb/delete_series',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ 'match[]': '{job=~"d.*"}' }).toString(),
    });
    expect(res.statusCode).toBe(204);
    expect(await samples(tsdb, 'db')).toEqual([]);
    expect(await samples(tsdb, 'api')).toHaveLength(10);
  });

  it.each([
    ['', 'no match[] parameter provided'],
    ['match[]=up{', 'invalid parameter "match[]": '],
    [
      'match[]=up&start=yesterday',
      `invalid parameter "start": Invalid time value for 'start': cannot parse "yesterday" to a valid timestamp`,
    ],
    [
      'match[]=up&end=x',
      `invalid parameter "end": Invalid time value for 'end': cannot parse "x" to a valid timestamp`,
    ],
  ])('rejects delete_series with %j as bad_data', async (query, message) => {
    const { http, tsdb } = await setup();
    const res = await http.inject({ method: 'POST', url: `/api/v1/admin/tsdb/delete_series?${query}` });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ status: string; errorType: string; error: string }>();
    expect(body.status).toBe('error');
    expect(body.errorType).toBe('bad_data');
    expect(body.error.startsWith(message)).toBe(true);
    expect(await samples(tsdb, 'api')).toHaveLength(10);
  });

  it('cleans tombstones from blocks and answers 204', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'kanshi-admin-'));
    dirs.push(dataDir);
    const dbDir = path.join(dataDir, 'db');
    // Persist the data as a block first (closing a WAL-less store cuts its head).
    const first = await TSDB.open(dbDir, { wal: false });
    const app = first.appender();
    for (let i = 0; i < 10; i++)
      app.append(labelsFromRecord({ __name__: 'up', job: 'api' }), T0 + i * 1000, i);
    await app.commit();
    await first.close();
    const tsdb = await TSDB.open(dbDir, { wal: false });
    dbs.push(tsdb);
    const http = createHttpApp({ logger: nullLogger, registry: new Registry(), isReady: () => true });
    registerAdminApi(http, { tsdb, dataDir });
    await http.ready();
    const before = tsdb.blocks().map((b) => b.ulid);
    expect(before).toHaveLength(1);
    const del = await http.inject({
      method: 'POST',
      url: `/api/v1/admin/tsdb/delete_series?match[]=up&end=${(T0 + 4000) / 1000}`,
    });
    expect(del.statusCode).toBe(204);
    const res = await http.inject({ method: 'POST', url: '/api/v1/admin/tsdb/clean_tombstones' });
    expect(res.statusCode).toBe(204);
    const after = tsdb.blocks();
    expect(after.map((b) => b.ulid)).not.toEqual(before);
    expect(after[0]?.stats.numSamples).toBe(5);
    expect(await samples(tsdb, 'api')).toEqual([5, 6, 7, 8, 9]);
  });

  it('reports a failing store as internal with a 500', async () => {
    const http = createHttpApp({ logger: nullLogger, registry: new Registry(), isReady: () => true });
    const fail = () => Promise.reject(new Error('disk on fire'));
    registerAdminApi(http, {
      tsdb: { snapshot: fail, deleteSeries: fail, cleanTombstones: fail },
      dataDir: '/nonexistent',
    });
    await http.ready();
    const snap = await http.inject({ method: 'POST', url: '/api/v1/admin/tsdb/snapshot' });
    expect(snap.statusCode).toBe(500);
    expect(snap.json()).toEqual({
      status: 'error',
      errorType: 'internal',
      error: 'create snapshot: disk on fire',
    });
    const clean = await http.inject({ method: 'PUT', url: '/api/v1/admin/tsdb/clean_tombstones' });
    expect(clean.statusCode).toBe(500);
    expect(clean.json<{ error: string }>().error).toBe('disk on fire');
  });

  it('answers GET with 404 as the routes are POST and PUT only', async () => {
    const { http } = await setup();
    const res = await http.inject({ method: 'GET', url: '/api/v1/admin/tsdb/snapshot' });
    expect(res.statusCode).toBe(404);
  });
});
