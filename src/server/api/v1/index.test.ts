import { describe, expect, it } from 'vitest';
import { AppError } from '../../../base/errors.js';
import { nullLogger } from '../../../base/logger.js';
import { Registry } from '../../../exposition/registry.js';
import { labelsFromRecord } from '../../../model/labels.js';
import { STALE_NAN } from '../../../model/sample.js';
import { Engine, type QueryOptions, type QueryResult } from '../../../promql/index.js';
import { MemoryStorage } from '../../../storage/memory-storage.js';
import { createHttpApp } from '../../http/app.js';
import { registerPrometheusApi, type PrometheusApiOptions, type QueryEngine } from './index.js';

const T0 = 1_700_000_000_000;

async function storageWithData(): Promise<MemoryStorage> {
  const storage = new MemoryStorage();
  const app = storage.appender();
  for (let i = 0; i <= 20; i++) {
    const t = T0 + i * 15_000;
    for (const inst of ['a:1', 'b:1']) {
      app.append(
        labelsFromRecord({ __name__: 'http_requests_total', job: 'api', instance: inst }),
        t,
        i * 10,
      );
    }
    app.append(
      labelsFromRecord({ __name__: 'temperature', job: 'node', room: 'x' }),
      t,
      i === 20 ? STALE_NAN : 21.5,
    );
  }
  await app.commit();
  return storage;
}

async function setup(over: Partial<PrometheusApiOptions> = {}) {
  const storage = await storageWithData();
  const registry = new Registry();
  const app = createHttpApp({ logger: nullLogger, registry, isReady: () => true });
  registerPrometheusApi(app, {
    queryable: storage,
    engine: new Engine(storage),
    registry,
    limits: { queryTimeoutMs: 10_000, maxConcurrentQueries: 2 },
    buildInfo: {
      version: '0.1.0',
      revision: 'r',
      branch: 'main',
      buildUser: 'u',
      buildDate: 'd',
      goVersion: 'node',
    },
    flags: { 'query.lookback-delta': '5m' },
    clock: { now: () => T0 + 300_000, sleep: () => Promise.resolve() },
    ...over,
  });
  await app.ready();
  return { app, registry };
}

type App = Awaited<ReturnType<typeof setup>>['app'];

async function get(app: App, url: string) {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, unknown>, raw: res.body };
}

describe('registerPrometheusApi /api/v1/query', () => {
  it('answers an instant query with Prometheus JSON', async () => {
    const { app } = await setup();
    const r = await get(
      app,
      `/api/v1/query?query=${encodeURIComponent('sum by (job) (http_requests_total)')}&time=${(T0 + 150_000) / 1000}`,
    );
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      status: 'success',
      data: {
        resultType: 'vector',
        result: [{ metric: { job: 'api' }, value: [(T0 + 150_000) / 1000, '200'] }],
      },
    });
  });

  it('defaults the time to the clock and takes POST form bodies', async () => {
    const { app } = await setup();
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/query',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'query=time()',
    });
    expect(JSON.parse(res.body)).toEqual({
      status: 'success',
      data: { resultType: 'scalar', result: [(T0 + 300_000) / 1000, String((T0 + 300_000) / 1000)] },
    });
  });

  it('does not return a series after its staleness marker', async () => {
    const { app } = await setup();
    const r = await get(app, `/api/v1/query?query=temperature&time=${(T0 + 300_000) / 1000}`);
    expect(r.body).toMatchObject({ data: { result: [] } });
  });

  const errors: [string, number, string, string][] = [
    ['query=sum(', 400, 'bad_data', 'invalid parameter "query": 1:5: parse error'],
    [
      'query=up&time=yesterday',
      400,
      'bad_data',
      'invalid parameter "time": Invalid time value for \'time\': cannot parse "yesterday" to a valid timestamp',
    ],
    [
      'query=up&timeout=x',
      400,
      'bad_data',
      'invalid parameter "timeout": cannot parse "x" to a valid duration',
    ],
    ['query=up&limit=-1', 400, 'bad_data', 'invalid parameter "limit": limit must be non-negative'],
    [
      `query=${encodeURIComponent('http_requests_total + on() http_requests_total')}&time=${T0 / 1000}`,
      422,
      'execution',
      'many-to-many matching not allowed',
    ],
  ];
  it.each(errors)('%s → %i %s', async (qs, status, errorType, message) => {
    const { app } = await setup();
    const r = await get(app, `/api/v1/query?${qs}`);
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ status: 'error', errorType });
    expect(r.body['error']).toContain(message);
  });

  it('truncates to limit with a warning', async () => {
    const { app } = await setup();
    const r = await get(app, `/api/v1/query?query=http_requests_total&time=${T0 / 1000}&limit=1`);
    expect((r.body['data'] as { result: unknown[] }).result).toHaveLength(1);
    expect(r.body['warnings']).toEqual(['results truncated due to limit']);
  });
});

describe('registerPrometheusApi /api/v1/query_range', () => {
  it('answers a range query as a matrix', async () => {
    const { app } = await setup();
    const r = await get(
      app,
      `/api/v1/query_range?query=${encodeURIComponent('rate(http_requests_total{instance="a:1"}[1m])')}&start=${(T0 + 60_000) / 1000}&end=${(T0 + 90_000) / 1000}&step=15s`,
    );
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          {
            metric: { instance: 'a:1', job: 'api' },
            values: [60, 75, 90].map((s) => [(T0 + s * 1000) / 1000, String(10 / 15)]),
          },
        ],
      },
    });
  });

  const errors: [string, number, string, string][] = [
    [
      'query=up&start=10&end=5&step=1',
      400,
      'bad_data',
      'invalid parameter "end": end timestamp must not be before start time',
    ],
    [
      'query=up&start=0&end=5&step=0',
      400,
      'bad_data',
      'zero or negative query resolution step widths are not accepted. Try a positive integer',
    ],
    [
      'query=up&start=0&end=5&step=x',
      400,
      'bad_data',
      'invalid parameter "step": cannot parse "x" to a valid duration',
    ],
    [
      'query=up&start=0&end=11001&step=1',
      400,
      'bad_data',
      'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
    ],
    [
      'query=up[5m]&start=0&end=5&step=1',
      400,
      'bad_data',
      'invalid expression type "range vector" for range query, must be Scalar or instant Vector',
    ],
    ['query=up&end=5&step=1', 400, 'bad_data', 'invalid parameter "start"'],
  ];
  it.each(errors)('%s → %i %s', async (qs, status, errorType, message) => {
    const { app } = await setup();
    const r = await get(app, `/api/v1/query_range?${qs}`);
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ status: 'error', errorType });
    expect(r.body['error']).toContain(message);
  });
});

describe('registerPrometheusApi raw parameter', () => {
  /** An engine that records the options each query was given. */
  function recordingEngine() {
    const seen: (QueryOptions | undefined)[] = [];
    const result: QueryResult = { value: { type: 'scalar', t: 0, v: 1 }, warnings: [], infos: [] };
    const engine: QueryEngine = {
      instantQuery: (_q, _t, o) => {
        seen.push(o);
        return Promise.resolve(result);
      },
      rangeQuery: (_q, _r, o) => {
        seen.push(o);
        return Promise.resolve({ ...result, value: { type: 'matrix', matrix: [] } });
      },
    };
    return { engine, seen };
  }

  it.each([
    ['/api/v1/query_range?query=up&start=0&end=3600&step=1h&raw=true', 0],
    ['/api/v1/query?query=up&time=0&raw=1', 0],
    ['/api/v1/query_range?query=up&start=0&end=3600&step=1h', undefined],
    ['/api/v1/query_range?query=up&start=0&end=3600&step=1h&raw=false', undefined],
  ])('%s reads rollups only when allowed (maxResolutionMs %s)', async (url, want) => {
    const { engine, seen } = recordingEngine();
    const { app } = await setup({ engine });
    const r = await get(app, url);
    expect(r.status).toBe(200);
    expect(seen[0]?.maxResolutionMs).toBe(want);
  });

  it('rejects a raw value that is not a boolean', async () => {
    const { engine } = recordingEngine();
    const { app } = await setup({ engine });
    const r = await get(app, '/api/v1/query_range?query=up&start=0&end=3600&step=1h&raw=maybe');
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      errorType: 'bad_data',
      error: 'invalid parameter "raw": cannot parse "maybe" to a boolean',
    });
  });
});

/** An engine whose queries wait until released or aborted. */
function blockingEngine() {
  const waiting: { resolve: () => void; signal: AbortSignal | undefined }[] = [];
  const result: QueryResult = { value: { type: 'scalar', t: 0, v: 1 }, warnings: [], infos: [] };
  const engine: QueryEngine = {
    instantQuery: (_q, _t, o) =>
      new Promise((resolve, reject) => {
        waiting.push({ resolve: () => resolve(result), signal: o?.signal });
        o?.signal?.addEventListener('abort', () => reject(new AppError('canceled', 'query was canceled')));
      }),
    rangeQuery: () => Promise.reject(new AppError('timeout', 'query timed out in expression evaluation')),
  };
  return { engine, waiting };
}

describe('registerPrometheusApi limits', () => {
  it('queues queries over the concurrency limit and refuses them once the queue is full', async () => {
    const { engine, waiting } = blockingEngine();
    const { app } = await setup({ engine, limits: { maxConcurrentQueries: 1, maxQueuedQueries: 1 } });
    const first = app.inject({ method: 'GET', url: '/api/v1/query?query=1' });
    const second = app.inject({ method: 'GET', url: '/api/v1/query?query=1' });
    while (waiting.length < 1) await new Promise((r) => setTimeout(r, 5));
    const third = await get(app, '/api/v1/query?query=1');
    expect(third.status).toBe(503);
    expect(third.body).toMatchObject({ errorType: 'unavailable' });
    expect(waiting).toHaveLength(1);
    waiting[0]!.resolve();
    while (waiting.length < 2) await new Promise((r) => setTimeout(r, 5));
    waiting[1]!.resolve();
    expect((await first).statusCode).toBe(200);
    expect((await second).statusCode).toBe(200);
  });

  it('times out a query that waits in the queue past its timeout', async () => {
    const { engine, waiting } = blockingEngine();
    const { app } = await setup({ engine, limits: { maxConcurrentQueries: 1 } });
    const first = app.inject({ method: 'GET', url: '/api/v1/query?query=1' });
    while (waiting.length < 1) await new Promise((r) => setTimeout(r, 5));
    const second = await get(app, '/api/v1/query?query=1&timeout=0.05');
    expect(second.status).toBe(503);
    expect(second.body).toEqual({
      status: 'error',
      errorType: 'timeout',
      error: 'query timed out in query queue',
    });
    waiting[0]!.resolve();
    expect((await first).statusCode).toBe(200);
  });

  it('maps engine timeouts to 503 timeout', async () => {
    const { engine } = blockingEngine();
    const { app } = await setup({ engine });
    const r = await get(app, '/api/v1/query_range?query=1&start=0&end=1&step=1');
    expect(r.status).toBe(503);
    expect(r.body).toEqual({
      status: 'error',
      errorType: 'timeout',
      error: 'query timed out in expression evaluation',
    });
  });

  it('cancels a query when its client goes away', async () => {
    const { engine, waiting } = blockingEngine();
    const { app } = await setup({ engine });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const controller = new AbortController();
      const pending = fetch(`http://127.0.0.1:${port}/api/v1/query?query=1`, {
        signal: controller.signal,
      }).catch(() => 'aborted');
      while (waiting.length < 1) await new Promise((r) => setTimeout(r, 5));
      expect(waiting[0]!.signal?.aborted).toBe(false);
      controller.abort();
      expect(await pending).toBe('aborted');
      for (let i = 0; i < 200 && !waiting[0]!.signal?.aborted; i++)
        await new Promise((r) => setTimeout(r, 5));
      expect(waiting[0]!.signal?.aborted).toBe(true);
    } finally {
      await app.close();
    }
  });
});

describe('registerPrometheusApi metadata endpoints', () => {
  it('lists series for match[] sets, deduplicated and sorted', async () => {
    const { app } = await setup();
    const r = await get(
      app,
      '/api/v1/series?match[]=http_requests_total{instance=~"a.*"}&match[]=temperature&match[]=http_requests_total{instance="a:1"}',
    );
    expect(r.body).toEqual({
      status: 'success',
      data: [
        { __name__: 'http_requests_total', instance: 'a:1', job: 'api' },
        { __name__: 'temperature', job: 'node', room: 'x' },
      ],
    });
    expect(await get(app, '/api/v1/series')).toMatchObject({
      status: 400,
      body: { errorType: 'bad_data', error: 'no match[] parameter provided' },
    });
    expect((await get(app, '/api/v1/series?match[]={job=""}')).status).toBe(400);
  });

  it('lists label names and values, with match[] and limit', async () => {
    const { app } = await setup();
    expect((await get(app, '/api/v1/labels')).body).toEqual({
      status: 'success',
      data: ['__name__', 'instance', 'job', 'room'],
    });
    expect((await get(app, '/api/v1/labels?match[]=temperature')).body['data']).toEqual([
      '__name__',
      'job',
      'room',
    ]);
    expect((await get(app, '/api/v1/label/job/values')).body['data']).toEqual(['api', 'node']);
    expect((await get(app, '/api/v1/label/__name__/values?limit=1')).body).toEqual({
      status: 'success',
      data: ['http_requests_total'],
      warnings: ['results truncated due to limit'],
    });
    expect((await get(app, '/api/v1/label/instance/values?match[]={job="api"}')).body['data']).toEqual([
      'a:1',
      'b:1',
    ]);
    expect((await get(app, '/api/v1/label/0bad/values')).body).toMatchObject({ errorType: 'bad_data' });
  });

  it('formats long queries over several lines and parses queries to a tree, by GET and POST', async () => {
    const { app } = await setup();
    const long =
      'sum by (job) (rate(http_requests_total{code=~"5..",job="api"}[5m])) / sum by (job) (rate(http_requests_total{job="api"}[5m]))';
    const formatted = await app.inject({
      method: 'POST',
      url: '/api/v1/format_query',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ query: long }).toString(),
    });
    expect(JSON.parse(formatted.body)).toEqual({
      status: 'success',
      data: '  sum by (job) (rate(http_requests_total{code=~"5..",job="api"}[5m]))\n/\n  sum by (job) (rate(http_requests_total{job="api"}[5m]))',
    });
    const tree = await get(app, `/api/v1/parse_query?query=${encodeURIComponent('-up offset 5m')}`);
    expect(tree.raw).toBe(
      '{"status":"success","data":{"expr":{"anchored":false,"matchers":[{"name":"__name__","type":"=","value":"up"}],"name":"up","offset":300000,"smoothed":false,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"op":"-","type":"unaryExpr"}}',
    );
    const bad = await get(app, '/api/v1/parse_query?query=sum(');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ status: 'error', errorType: 'bad_data' });
    expect(String(bad.body['error'])).toMatch(/^invalid parameter "query": /);
  });

  it('serves status, targets, metadata, exemplars and format_query shapes', async () => {
    const { app } = await setup();
    expect((await get(app, '/api/v1/status/buildinfo')).body['data']).toMatchObject({
      version: '0.1.0',
      goVersion: 'node',
    });
    expect((await get(app, '/api/v1/status/flags')).body['data']).toEqual({ 'query.lookback-delta': '5m' });
    expect((await get(app, '/api/v1/status/runtimeinfo')).body['data']).toMatchObject({
      reloadConfigSuccess: true,
    });
    expect((await get(app, '/api/v1/targets')).body).toEqual({
      status: 'success',
      data: { activeTargets: [], droppedTargets: [] },
    });
    expect((await get(app, '/api/v1/metadata')).body).toEqual({ status: 'success', data: {} });
    expect((await get(app, '/api/v1/query_exemplars?query=up')).body).toEqual({
      status: 'success',
      data: [],
    });
    expect(
      (await get(app, `/api/v1/format_query?query=${encodeURIComponent('sum(rate(x[5m]))by(job)')}`)).body,
    ).toEqual({
      status: 'success',
      data: 'sum by (job) (rate(x[5m]))',
    });
    const tsdb = (await get(app, '/api/v1/status/tsdb')).body['data'];
    expect(tsdb).toEqual({
      headStats: { numSeries: 3, numLabelPairs: 7, chunkCount: 0, minTime: T0, maxTime: T0 + 300_000 },
      seriesCountByMetricName: [
        { name: 'http_requests_total', value: 2 },
        { name: 'temperature', value: 1 },
      ],
      labelValueCountByLabelName: [
        { name: '__name__', value: 2 },
        { name: 'instance', value: 2 },
        { name: 'job', value: 2 },
        { name: 'room', value: 1 },
      ],
      memoryInBytesByLabelName: [
        { name: '__name__', value: 'http_requests_total'.length + 'temperature'.length },
        { name: 'job', value: 7 },
        { name: 'instance', value: 6 },
        { name: 'room', value: 1 },
      ],
      seriesCountByLabelValuePair: [
        { name: '__name__=http_requests_total', value: 2 },
        { name: 'job=api', value: 2 },
        { name: '__name__=temperature', value: 1 },
        { name: 'instance=a:1', value: 1 },
        { name: 'instance=b:1', value: 1 },
        { name: 'job=node', value: 1 },
        { name: 'room=x', value: 1 },
      ],
    });
  });

  it('counts queries by outcome in the registry', async () => {
    const { app, registry } = await setup();
    await get(app, '/api/v1/query?query=1');
    await get(
      app,
      `/api/v1/query?query=${encodeURIComponent('http_requests_total + on() http_requests_total')}&time=${T0 / 1000}`,
    );
    const fam = registry.collect().find((f) => f.name === 'kanshi_api_queries_total');
    const byOutcome = Object.fromEntries(
      (fam?.samples ?? []).map((s) => [s.labels.find((l) => l.name === 'outcome')?.value, s.value]),
    );
    expect(byOutcome).toEqual({ success: 1, execution: 1 });
  });
});
