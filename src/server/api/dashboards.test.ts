import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../base/clock.js';
import { nullLogger } from '../../base/logger.js';
import { Registry } from '../../exposition/registry.js';
import { DashboardStore } from '../dashboards/store.js';
import { createHttpApp } from '../http/app.js';
import { registerDashboardApi } from './dashboards.js';

const grafanaFixture = JSON.parse(
  readFileSync(
    path.join(
      path.dirname(fileURLToPath(import.meta.url)),
      '..',
      'dashboards',
      'testdata',
      'grafana-node-exporter.json',
    ),
    'utf8',
  ),
) as object;

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const URL = '/api/kanshi/v1/dashboards';
const BOARD = {
  uid: 'web',
  title: 'Web',
  tags: ['http'],
  refresh: '30s',
  variables: [
    { type: 'query', name: 'instance', query: 'label_values(up{job="web"}, instance)', multi: true },
  ],
  panels: [
    {
      type: 'timeseries',
      title: 'Requests',
      style: 'stacked',
      unit: 'reqps',
      gridPos: { x: 0, y: 0, w: 12, h: 8 },
      targets: [
        {
          expr: 'sum by (code) (rate(http_requests_total{instance=~"$instance"}[5m]))',
          legendFormat: '{{code}}',
          step: '30s',
        },
      ],
      legend: { calcs: ['max', 'last'] },
      thresholds: {
        steps: [
          { value: null, color: 'green' },
          { value: 100, color: 'red' },
        ],
      },
    },
    { type: 'text', title: 'Notes', gridPos: { x: 12, y: 0, w: 12, h: 8 }, content: '*hi*' },
  ],
};

async function setup(files: Record<string, string> = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'kanshi-dash-api-'));
  dirs.push(dir);
  for (const [n, t] of Object.entries(files)) await writeFile(path.join(dir, n), t);
  const store = new DashboardStore({ dirs: [dir], clock: systemClock, logger: nullLogger });
  await store.load();
  const app = createHttpApp({ logger: nullLogger, registry: new Registry(), isReady: () => true });
  registerDashboardApi(app, { store });
  await app.ready();
  return { dir, store, app };
}

describe('dashboard API', () => {
  it('lists files with their errors', async () => {
    const { app, dir } = await setup({ 'a.yaml': 'title: A\ntags: [x]\n', 'b.json': '{' });
    const res = await app.inject({ url: URL });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'success',
      data: [
        expect.objectContaining({
          uid: 'a',
          title: 'A',
          tags: ['x'],
          file: path.join(dir, 'a.yaml'),
          format: 'yaml',
          error: null,
        }),
        expect.objectContaining({
          uid: 'b',
          file: path.join(dir, 'b.json'),
          format: 'json',
          error: expect.stringMatching(/JSON syntax/) as string,
        }),
      ],
    });
  });

  it('creates, reads with an ETag, updates with If-Match, answers 409 for a stale version, deletes', async () => {
    const { app, dir } = await setup();
    const created = await app.inject({ method: 'POST', url: URL, payload: BOARD });
    expect(created.statusCode).toBe(201);
    expect(await readFile(path.join(dir, 'web.yaml'), 'utf8')).toContain('title: Web');
    expect((await app.inject({ method: 'POST', url: URL, payload: BOARD })).statusCode).toBe(409);

    const got = await app.inject({ url: `${URL}/web` });
    expect(got.statusCode).toBe(200);
    const etag = got.headers.etag as string;
    expect(got.json()).toMatchObject({
      data: { uid: 'web', version: etag.replaceAll('"', ''), dashboard: { title: 'Web' } },
    });

    const put = await app.inject({
      method: 'PUT',
      url: `${URL}/web`,
      headers: { 'if-match': etag },
      payload: { ...BOARD, title: 'Web v2' },
    });
    expect(put.statusCode).toBe(200);
    expect(put.headers.etag).not.toBe(etag);
    const stale = await app.inject({
      method: 'PUT',
      url: `${URL}/web`,
      headers: { 'if-match': etag },
      payload: BOARD,
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ status: 'error', errorType: 'conflict' });

    const bad = await app.inject({
      method: 'PUT',
      url: `${URL}/web`,
      payload: { ...BOARD, panels: [{ type: 'pie' }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ error: string }>().error).toMatch(/panels\[0\]\.type/);

    expect(
      (await app.inject({ method: 'DELETE', url: `${URL}/web`, headers: { 'if-match': etag } })).statusCode,
    ).toBe(409);
    expect((await app.inject({ method: 'DELETE', url: `${URL}/web` })).statusCode).toBe(200);
    expect((await app.inject({ url: `${URL}/web` })).statusCode).toBe(404);
    expect((await app.inject({ url: `${URL}/web/export` })).statusCode).toBe(404);
  });

  it('round-trips our model: export → import gives the same export', async () => {
    const { app } = await setup();
    await app.inject({ method: 'POST', url: `${URL}?format=json`, payload: BOARD });
    const first = await app.inject({ url: `${URL}/web/export` });
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-disposition']).toContain('web.json');
    expect((await app.inject({ method: 'DELETE', url: `${URL}/web` })).statusCode).toBe(200);
    const imported = await app.inject({
      method: 'POST',
      url: `${URL}/import`,
      payload: first.json<object>(),
    });
    expect(imported.statusCode).toBe(201);
    expect(imported.json()).toMatchObject({ data: { source: 'kanshi', not_converted: [] } });
    const second = await app.inject({ url: `${URL}/web/export` });
    expect(second.json()).toEqual(first.json());
  });

  it('imports a Grafana dashboard, lists what it dropped, and the export round-trips', async () => {
    const { app } = await setup();
    const res = await app.inject({
      method: 'POST',
      url: `${URL}/import`,
      payload: { dashboard: grafanaFixture, meta: {} },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json<{
      data: { uid: string; source: string; not_converted: string[]; dashboard: { panels: unknown[] } };
    }>();
    expect(body.data).toMatchObject({ uid: 'rYdddlPWk', source: 'grafana' });
    expect(body.data.dashboard.panels).toHaveLength(9);
    expect(body.data.not_converted).toContain(
      'panel "Disk heatmap" (heatmap): panel type "heatmap" is not supported; not kept',
    );
    expect(
      (await app.inject({ method: 'POST', url: `${URL}/import`, payload: grafanaFixture })).statusCode,
    ).toBe(409);

    const exported = await app.inject({ url: `${URL}/rYdddlPWk/export` });
    const again = await app.inject({
      method: 'POST',
      url: `${URL}/import?overwrite=true`,
      payload: exported.json<object>(),
    });
    expect(again.statusCode).toBe(201);
    expect((await app.inject({ url: `${URL}/rYdddlPWk/export` })).json()).toEqual(exported.json());
  });

  const badRequests: [string, string, string, unknown, number][] = [
    ['unknown format', 'POST', `${URL}?format=xml`, BOARD, 400],
    ['not an object', 'POST', URL, [1, 2], 400],
    ['import without title', 'POST', `${URL}/import`, { panels: [] }, 400],
    ['update of an unknown uid', 'PUT', `${URL}/nope`, BOARD, 404],
    ['delete of an unknown uid', 'DELETE', `${URL}/nope`, undefined, 404],
  ];
  it.each(badRequests)('answers %s with %i', async (_n, method, url, payload, status) => {
    const { app } = await setup();
    const res = await app.inject({
      method: method as 'POST',
      url,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    expect(res.statusCode).toBe(status);
  });
});
