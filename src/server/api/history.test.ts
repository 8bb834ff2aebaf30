import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../base/clock.js';
import type { CheckReportResult } from '../../model/check-report.js';
import type { CheckStatus } from '../../model/check.js';
import type { AlertEvent } from '../../notify/types.js';
import { SqliteAlertHistory } from '../metadata/alert-history.js';
import { SqliteCheckResultStore } from '../metadata/check-history.js';
import { MetadataDb } from '../metadata/db.js';
import { registerChecksApi } from './checks.js';
import { registerHistoryApi } from './history.js';
import { checkRun } from '../../../test/support/check-report.js';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;
const clock: Clock = { now: () => NOW, sleep: () => Promise.resolve() };
const FP_A = '0123456789abcdef';
const FP_B = 'fedcba9876543210';
const A = { alertname: 'HighLoad', host: 'web-1' };
const B = { alertname: 'DiskFull', host: 'db-1' };

function run(check: string, startedAt: number, status: CheckStatus = 'OK'): CheckReportResult {
  return checkRun(check, startedAt, { status, message: status, duration_ms: 1, hard_status: status });
}

async function setup() {
  const db = MetadataDb.open(':memory:');
  const alerts = new SqliteAlertHistory(db, { scheduleFlush: () => undefined });
  const checks = new SqliteCheckResultStore(db, { clock });
  const events: AlertEvent[] = [
    { atMs: NOW - 30 * HOUR, fingerprint: FP_A, labels: A, kind: 'opened' },
    { atMs: NOW - 2 * HOUR, fingerprint: FP_A, labels: A, kind: 'resolved' },
    { atMs: NOW - 2 * HOUR, fingerprint: FP_B, labels: B, kind: 'opened' },
    { atMs: NOW - HOUR, fingerprint: FP_B, labels: B, kind: 'notified', detail: { receiver: 'ops' } },
    { atMs: NOW - HOUR / 2, fingerprint: FP_B, labels: B, kind: 'maintenance', detail: { window: 'w' } },
  ];
  for (const e of events) alerts.record(e);
  // web-1/http: CRITICAL for the first of the last 4 hours, OK since; one run every 10 minutes.
  const runs: CheckReportResult[] = [];
  for (let t = NOW - 4 * HOUR; t < NOW; t += HOUR / 6)
    runs.push(run('http', t, t < NOW - 3 * HOUR ? 'CRITICAL' : 'OK'));
  await checks.put('web-1', runs);
  await checks.put('a/b', [run('x y', NOW - HOUR)]);
  await checks.put('availability', [run('c', NOW - HOUR)]);
  const app = Fastify();
  // Mounted beside the routes the server already has on the same prefix, as the server wires them.
  registerChecksApi(app, checks);
  registerHistoryApi(app, { alerts, checks, clock });
  await app.ready();
  const get = async (url: string) => {
    const res = await app.inject({ method: 'GET', url });
    return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
  };
  return { app, get };
}

const secs = (ms: number) => String(ms / 1000);

describe('registerHistoryApi', () => {
  it('lists alert events of the last 24 hours by default, filtered by kind and match[]', async () => {
    const { app, get } = await setup();
    const all = await get('/api/kanshi/v1/alerts/history');
    expect(all.status).toBe(200);
    expect(all.body.status).toBe('success');
    expect((all.body.data as { kind: string }[]).map((e) => e.kind)).toEqual([
      'resolved',
      'opened',
      'notified',
      'maintenance',
    ]);
    expect((all.body.data as unknown[])[2]).toEqual({
      at: NOW - HOUR,
      fingerprint: FP_B,
      kind: 'notified',
      labels: B,
      detail: { receiver: 'ops' },
    });
    const cases: [string, string[]][] = [
      [`start=${secs(NOW - 40 * HOUR)}&kind=opened`, [`${FP_A}:opened`, `${FP_B}:opened`]],
      ['kind=opened,resolved&kind=notified', [`${FP_A}:resolved`, `${FP_B}:opened`, `${FP_B}:notified`]],
      [`match[]=${encodeURIComponent('{host=~"web.*"}')}`, [`${FP_A}:resolved`]],
      // The metric name stands for alertname; several match[] are ORed.
      [
        `match[]=DiskFull&match[]=${encodeURIComponent('{host="web-1"}')}&kind=opened,resolved`,
        [`${FP_A}:resolved`, `${FP_B}:opened`],
      ],
      [`end=${new Date(NOW - 90 * 60_000).toISOString()}`, [`${FP_A}:resolved`, `${FP_B}:opened`]],
    ];
    for (const [query, want] of cases) {
      const res = await get(`/api/kanshi/v1/alerts/history?${query}`);
      expect(res.status, query).toBe(200);
      expect(
        (res.body.data as { fingerprint: string; kind: string }[]).map((e) => `${e.fingerprint}:${e.kind}`),
        query,
      ).toEqual(want);
    }
    await app.close();
  });

  it('warns when the limit cut the answer', async () => {
    const { app, get } = await setup();
    const res = await get('/api/kanshi/v1/alerts/history?limit=2');
    expect(res.body.data).toHaveLength(2);
    expect(res.body.warnings).toEqual(['result truncated at limit 2; narrow the range or raise limit']);
    await app.close();
  });

  it('answers 400 naming the parameter and the value', async () => {
    const { app, get } = await setup();
    const cases: [string, string][] = [
      ['start=yesterday', 'invalid parameter "start": cannot parse "yesterday" to a valid timestamp'],
      ['start=200&end=100', 'invalid parameter "end": end timestamp must not be before start time'],
      [
        'kind=opened,exploded',
        'invalid parameter "kind": unknown alert event kind "exploded"; want one of opened, level_changed, notified, notify_failed, silenced, inhibited, maintenance, acknowledged, resolved, closed',
      ],
      ['limit=0', 'invalid parameter "limit": must be an integer from 1 to 100000, got "0"'],
      ['limit=abc', 'invalid parameter "limit": must be an integer from 1 to 100000, got "abc"'],
    ];
    for (const [query, error] of cases) {
      const res = await get(`/api/kanshi/v1/alerts/history?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body, query).toEqual({ status: 'error', errorType: 'bad_data', error });
    }
    const badMatch = await get(`/api/kanshi/v1/alerts/history?match[]=${encodeURIComponent('{host=')}`);
    expect(badMatch.status).toBe(400);
    expect(badMatch.body.error).toMatch(/^invalid parameter "match\[\]": /);
    await app.close();
  });

  it('returns one alert timeline, 400 for a malformed fingerprint and 404 for an unknown one', async () => {
    const { app, get } = await setup();
    const res = await get(`/api/kanshi/v1/alerts/${FP_A}/timeline`);
    expect((res.body.data as { kind: string; at: number }[]).map((e) => [e.kind, e.at])).toEqual([
      ['opened', NOW - 30 * HOUR],
      ['resolved', NOW - 2 * HOUR],
    ]);
    const ranged = await get(`/api/kanshi/v1/alerts/${FP_A}/timeline?start=${secs(NOW - 3 * HOUR)}`);
    expect(ranged.body.data).toHaveLength(1);
    expect(await get('/api/kanshi/v1/alerts/XYZ/timeline')).toEqual({
      status: 400,
      body: {
        status: 'error',
        errorType: 'bad_data',
        error: 'invalid alert fingerprint "XYZ": want 16 lowercase hex digits',
      },
    });
    expect(await get('/api/kanshi/v1/alerts/1111111111111111/timeline')).toEqual({
      status: 404,
      body: { status: 'error', errorType: 'not_found', error: 'no history for alert 1111111111111111' },
    });
    await app.close();
  });

  it('returns incidents overlapping the range with their maintenance time', async () => {
    const { app, get } = await setup();
    const res = await get('/api/kanshi/v1/alerts/incidents');
    expect(res.body.data).toEqual([
      {
        fingerprint: FP_A,
        labels: A,
        opened_at: NOW - 30 * HOUR,
        ended_at: NOW - 2 * HOUR,
        end_kind: 'resolved',
        maintenance: [],
        duration_in_range_ms: 22 * HOUR,
        maintenance_in_range_ms: 0,
      },
      {
        fingerprint: FP_B,
        labels: B,
        opened_at: NOW - 2 * HOUR,
        ended_at: null,
        end_kind: null,
        maintenance: [{ start: NOW - HOUR / 2, end: NOW }],
        duration_in_range_ms: 2 * HOUR,
        maintenance_in_range_ms: HOUR / 2,
      },
    ]);
    await app.close();
  });

  it('returns the history of one check, names URL-decoded', async () => {
    const { app, get } = await setup();
    const res = await get(`/api/kanshi/v1/checks/web-1/http/history?start=${secs(NOW - HOUR)}`);
    expect(res.status).toBe(200);
    expect((res.body.data as { started_at: number }[]).map((r) => r.started_at)).toEqual(
      Array.from({ length: 6 }, (_, i) => NOW - HOUR + (i * HOUR) / 6),
    );
    const odd = await get(
      `/api/kanshi/v1/checks/${encodeURIComponent('a/b')}/${encodeURIComponent('x y')}/history`,
    );
    expect(odd.body.data).toMatchObject([{ host: 'a/b', check: 'x y' }]);
    const named = await get('/api/kanshi/v1/checks/availability/c/history');
    expect(named.body.data).toMatchObject([{ host: 'availability', check: 'c' }]);
    expect((await get('/api/kanshi/v1/checks/web-1/http/history?end=0&start=1')).status).toBe(400);
    await app.close();
  });

  it('leaves GET /api/kanshi/v1/checks to the latest-results route', async () => {
    const { app, get } = await setup();
    const res = await get('/api/kanshi/v1/checks?host=web-1');
    expect(res.body.data).toMatchObject([{ host: 'web-1', check: 'http', started_at: NOW - HOUR / 6 }]);
    await app.close();
  });

  it('returns every check with its availability per window', async () => {
    const { app, get } = await setup();
    const res = await get('/api/kanshi/v1/checks/availability?windows=2h,4h&host=web-1');
    expect(res.status).toBe(200);
    const [http] = res.body.data as {
      windows: Record<string, { ratio: number; critical_ms: number; from: number }>;
    }[];
    expect(res.body.data).toMatchObject([{ host: 'web-1', check: 'http', status: 'OK' }]);
    expect(Object.keys(http!.windows)).toEqual(['2h', '4h']);
    expect(http!.windows['2h']).toMatchObject({ ratio: 1, critical_ms: 0, from: NOW - 2 * HOUR });
    expect(http!.windows['4h']).toMatchObject({ ratio: 0.75, critical_ms: HOUR, interval_ms: HOUR / 6 });
    const all = await get('/api/kanshi/v1/checks/availability');
    expect(
      (all.body.data as { host: string; windows: object }[]).map((c) => [c.host, Object.keys(c.windows)]),
    ).toEqual([
      ['a/b', ['24h', '7d', '30d']],
      ['availability', ['24h', '7d', '30d']],
      ['web-1', ['24h', '7d', '30d']],
    ]);
    for (const [query, error] of [
      ['windows=1x', 'invalid parameter "windows": not a valid duration string: "1x"'],
      ['windows=0', 'invalid parameter "windows": a window must be longer than 0, got "0"'],
      [
        'windows=' + Array(11).fill('1h').join(','),
        'invalid parameter "windows": at most 10 windows, got 11',
      ],
    ]) {
      expect(await get(`/api/kanshi/v1/checks/availability?${query}`)).toEqual({
        status: 400,
        body: { status: 'error', errorType: 'bad_data', error },
      });
    }
    await app.close();
  });
});
