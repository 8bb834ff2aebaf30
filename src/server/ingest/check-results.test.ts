import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../base/clock.js';
import type { CheckReportResult } from '../../model/check-report.js';
import { MemoryCheckResultStore, registerCheckResults } from './check-results.js';

const clock: Clock = { now: () => 5_000, sleep: () => Promise.resolve() };

function result(check: string, startedAt: number, status: CheckReportResult['status'] = 'OK') {
  return { check, status, message: `${check} ${status}`, started_at: startedAt };
}

async function setup() {
  const store = new MemoryCheckResultStore({ clock, dedupeWindow: 4 });
  const app = Fastify();
  registerCheckResults(app, { store, maxBodyBytes: 2048 });
  await app.ready();
  const post = (payload: unknown) =>
    app.inject({ method: 'POST', url: '/api/agent/v1/check-results', payload: payload as object });
  return { app, store, post };
}

describe('registerCheckResults', () => {
  it('stores the latest result per host and check', async () => {
    const { app, store, post } = await setup();
    const res = await post({
      host: 'web-1',
      results: [result('disk', 100), result('disk', 200, 'WARNING'), result('load', 100)],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accepted: 3, duplicates: 0, stale: 0 });
    expect(await store.latest('web-1', 'disk')).toMatchObject({
      status: 'WARNING',
      started_at: 200,
      host: 'web-1',
      received_at: 5_000,
    });
    expect((await store.list()).map((r) => `${r.host}/${r.check}`)).toEqual(['web-1/disk', 'web-1/load']);
    await app.close();
  });

  it('is idempotent on (host, check, started_at): a replay counts as duplicates', async () => {
    const { app, store, post } = await setup();
    const body = { host: 'web-1', results: [result('disk', 100), result('disk', 200)] };
    await post(body);
    const replay = await post(body);
    expect(replay.json()).toEqual({ accepted: 0, duplicates: 2, stale: 0 });
    // Another host's run with the same check and time is not a duplicate.
    expect((await post({ ...body, host: 'web-2' })).json()).toEqual({ accepted: 2, duplicates: 0, stale: 0 });
    expect((await store.latest('web-1', 'disk'))?.started_at).toBe(200);
    await app.close();
  });

  it('keeps an older, unseen result out of "latest" as stale', async () => {
    const { app, store, post } = await setup();
    await post({ host: 'h', results: [result('disk', 300, 'CRITICAL')] });
    expect((await post({ host: 'h', results: [result('disk', 250)] })).json()).toEqual({
      accepted: 0,
      duplicates: 0,
      stale: 1,
    });
    expect((await store.latest('h', 'disk'))?.status).toBe('CRITICAL');
    await app.close();
  });

  it('answers 400 listing every problem of an invalid body', async () => {
    const { app, post } = await setup();
    const res = await post({ host: '', results: [{ check: 'x', status: 'BAD', started_at: 1 }] });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: 'bad_input',
      message:
        'invalid check report: host: must be a non-empty string, got ""; results[0].status: must be one of OK, WARNING, CRITICAL, UNKNOWN, got "BAD"',
    });
    await app.close();
  });

  it('answers 400 for malformed JSON and 413 over the body limit', async () => {
    const { app } = await setup();
    const bad = await app.inject({
      method: 'POST',
      url: '/api/agent/v1/check-results',
      headers: { 'content-type': 'application/json' },
      payload: '{"host":',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'bad_input' });
    const big = await app.inject({
      method: 'POST',
      url: '/api/agent/v1/check-results',
      payload: { host: 'h', results: [{ ...result('x', 1), message: 'x'.repeat(4096) }] },
    });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toEqual({ error: 'limit', message: 'request body is over the limit of 2048 bytes' });
    await app.close();
  });
});
