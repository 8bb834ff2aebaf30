import { describe, expect, it } from 'vitest';
import { nullLogger } from '../../../base/logger.js';
import { Registry } from '../../../exposition/registry.js';
import type { AlertInput, InvalidAlert } from '../../../notify/alert-store.js';
import type { AlertFilter, NotificationPipeline } from '../../../notify/pipeline.js';
import { Silences } from '../../../notify/silences/silences.js';
import type { GettableAlert, GettableAlertGroup } from '../../../notify/views.js';
import { FakeClock } from '../../../../test/support/fake-clock.js';
import { createHttpApp } from '../../http/app.js';
import { GO_ZERO_TIME_MS, parseDateTime } from './encode.js';
import { registerAlertmanagerApi, type AlertsView } from './index.js';

const NOW = Date.parse('2026-03-15T10:00:00Z');
const H = 3_600_000;

// The real pipeline is what the server hands the API.
const pipelineIsAView: NotificationPipeline extends AlertsView ? true : false = true;

/** A pipeline stand-in: returns canned alerts, records the filters asked and the alerts posted. */
class FakeAlerts implements AlertsView {
  readonly filters: AlertFilter[] = [];
  readonly posted: AlertInput[] = [];
  refuse: (a: AlertInput) => string | undefined = () => undefined;
  alerts(filter: AlertFilter): readonly GettableAlert[] {
    this.filters.push(filter);
    return [alertJson];
  }
  alertGroups(filter: AlertFilter): readonly GettableAlertGroup[] {
    this.filters.push(filter);
    return [{ alerts: [alertJson], labels: { alertname: 'A' }, receiver: { name: 'ops' } }];
  }
  put(alerts: readonly AlertInput[]): readonly InvalidAlert[] {
    const invalid: InvalidAlert[] = [];
    for (const [index, a] of alerts.entries()) {
      const reason = this.refuse(a);
      if (reason === undefined) this.posted.push(a);
      else invalid.push({ index, labels: a.labels, reason });
    }
    return invalid;
  }
}

const alertJson: GettableAlert = {
  annotations: {},
  endsAt: '2026-03-15T11:00:00.000Z',
  fingerprint: 'a1',
  receivers: [{ name: 'ops' }],
  startsAt: '2026-03-15T09:00:00.000Z',
  status: { inhibitedBy: [], silencedBy: [], state: 'active' },
  updatedAt: '2026-03-15T10:00:00.000Z',
  labels: { alertname: 'A', job: 'api' },
};

async function setup() {
  const clock = new FakeClock(NOW);
  const silences = await Silences.open({ clock });
  const alerts = new FakeAlerts();
  const app = createHttpApp({ logger: nullLogger, registry: new Registry(), isReady: () => true });
  registerAlertmanagerApi(app, {
    silences,
    alerts,
    clock,
    receivers: () => ['ops', 'web'],
    configYaml: () => 'route:\n  receiver: ops\n',
    startTimeMs: NOW - H,
    versionInfo: {
      version: '0.1.0',
      revision: 'abc',
      branch: 'main',
      buildUser: 'kanshi',
      buildDate: '20260101',
      goVersion: 'node20',
    },
  });
  await app.ready();
  return { app, clock, silences, alerts };
}

const silenceBody = {
  matchers: [
    { name: 'alertname', value: 'A', isRegex: false, isEqual: true },
    { name: 'job', value: 'api.*', isRegex: true },
  ],
  startsAt: '2026-03-15T10:00:00Z',
  endsAt: '2026-03-15T12:00:00.000+01:00',
  createdBy: 'me',
  comment: 'deploy',
};

describe('Alertmanager API v2: silences', () => {
  it('creates, reads, lists and expires a silence in Alertmanager shapes', async () => {
    const { app, clock } = await setup();
    const post = await app.inject({ method: 'POST', url: '/api/v2/silences', payload: silenceBody });
    expect(post.statusCode).toBe(200);
    const { silenceID } = post.json<{ silenceID: string }>();
    expect(silenceID).toMatch(/^[0-9a-f-]{36}$/);

    const get = await app.inject({ url: `/api/v2/silence/${silenceID}` });
    expect(get.json()).toEqual({
      id: silenceID,
      status: { state: 'active' },
      updatedAt: '2026-03-15T10:00:00.000Z',
      comment: 'deploy',
      createdBy: 'me',
      endsAt: '2026-03-15T11:00:00.000Z',
      matchers: [
        { isEqual: true, isRegex: false, name: 'alertname', value: 'A' },
        { isEqual: true, isRegex: true, name: 'job', value: 'api.*' },
      ],
      startsAt: '2026-03-15T10:00:00.000Z',
    });

    const list = await app.inject({ url: '/api/v2/silences?filter=alertname%3D%22A%22&filter=job%3D~api.*' });
    expect(list.json<{ id: string }[]>().map((s) => s.id)).toEqual([silenceID]);
    const none = await app.inject({ url: '/api/v2/silences?filter=alertname%3DB' });
    expect(none.json()).toEqual([]);

    await clock.advance(60_000);
    const del = await app.inject({ method: 'DELETE', url: `/api/v2/silence/${silenceID}` });
    expect(del.statusCode).toBe(200);
    await clock.advance(1);
    const after = await app.inject({ url: `/api/v2/silence/${silenceID}` });
    expect(after.json()).toMatchObject({ status: { state: 'expired' }, endsAt: '2026-03-15T10:01:00.000Z' });
  });

  it('updates a silence by id and replaces it when matchers change', async () => {
    const { app } = await setup();
    const { silenceID } = (
      await app.inject({ method: 'POST', url: '/api/v2/silences', payload: silenceBody })
    ).json<{
      silenceID: string;
    }>();
    const same = await app.inject({
      method: 'POST',
      url: '/api/v2/silences',
      payload: { ...silenceBody, id: silenceID, comment: 'longer', endsAt: '2026-03-15T14:00:00Z' },
    });
    expect(same.json()).toEqual({ silenceID });
    const changed = await app.inject({
      method: 'POST',
      url: '/api/v2/silences',
      payload: {
        ...silenceBody,
        id: silenceID,
        matchers: [{ name: 'alertname', value: 'B', isRegex: false }],
      },
    });
    expect(changed.json<{ silenceID: string }>().silenceID).not.toBe(silenceID);
    const unknown = await app.inject({
      method: 'POST',
      url: '/api/v2/silences',
      payload: { ...silenceBody, id: '00000000-0000-4000-8000-000000000000' },
    });
    expect([unknown.statusCode, unknown.json()]).toEqual([404, 'silence not found']);
  });

  const bad: { name: string; body: unknown; status: number; json: unknown }[] = [
    {
      name: 'empty matchers',
      body: { ...silenceBody, matchers: [] },
      status: 422,
      json: { code: 612, message: 'matchers in body should have at least 1 items' },
    },
    {
      name: 'no createdBy',
      body: { ...silenceBody, createdBy: undefined },
      status: 422,
      json: { code: 602, message: 'createdBy in body is required' },
    },
    {
      name: 'a matcher without isRegex',
      body: { ...silenceBody, matchers: [{ name: 'a', value: 'b' }] },
      status: 422,
      json: { code: 602, message: 'matchers.0.isRegex in body is required' },
    },
    {
      name: 'a bad time',
      body: { ...silenceBody, startsAt: 'yesterday' },
      status: 422,
      json: { code: 601, message: 'startsAt in body must be of type date-time: "yesterday"' },
    },
    {
      name: 'matchers matching everything',
      body: { ...silenceBody, matchers: [{ name: 'a', value: '', isRegex: false }] },
      status: 400,
      json: 'silence invalid: at least one matcher must not match the empty string',
    },
    {
      name: 'a bad regex',
      body: { ...silenceBody, matchers: [{ name: 'a', value: '(', isRegex: true }] },
      status: 400,
      json: 'silence invalid: invalid label matcher 0: invalid regular expression "("',
    },
    {
      name: 'end before start',
      body: { ...silenceBody, startsAt: '2026-03-15T13:00:00Z' },
      status: 400,
      json: 'Failed to create silence: start time must be before end time',
    },
    {
      name: 'an end in the past',
      body: { ...silenceBody, startsAt: '2026-03-15T08:00:00Z', endsAt: '2026-03-15T09:00:00Z' },
      status: 400,
      json: "Failed to create silence: end time can't be in the past",
    },
  ];
  for (const c of bad) {
    it(`answers ${c.status} to a silence with ${c.name}`, async () => {
      const { app, silences } = await setup();
      const res = await app.inject({ method: 'POST', url: '/api/v2/silences', payload: c.body as object });
      expect(res.statusCode).toBe(c.status);
      expect(res.json()).toEqual(c.json);
      expect(silences.query()).toEqual([]);
    });
  }

  it('answers a body that is not JSON with 400', async () => {
    const { app } = await setup();
    const res = await app.inject({
      method: 'POST',
      url: '/api/v2/silences',
      payload: 'nope',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 400 });
  });

  it('checks ids and filters as Alertmanager does', async () => {
    const { app } = await setup();
    const notUuid = await app.inject({ url: '/api/v2/silence/xyz' });
    expect([notUuid.statusCode, notUuid.json()]).toEqual([
      422,
      { code: 601, message: 'silenceID in path must be of type uuid: "xyz"' },
    ]);
    const missing = await app.inject({ url: '/api/v2/silence/00000000-0000-4000-8000-000000000000' });
    expect([missing.statusCode, missing.body]).toEqual([404, '']);
    const delMissing = await app.inject({
      method: 'DELETE',
      url: '/api/v2/silence/00000000-0000-4000-8000-000000000000',
    });
    expect([delMissing.statusCode, delMissing.json()]).toEqual([500, 'silence not found']);
    const badFilter = await app.inject({ url: '/api/v2/silences?filter=foo' });
    expect([badFilter.statusCode, badFilter.json()]).toEqual([400, 'bad matcher format: foo']);
  });
});

describe('Alertmanager API v2: alerts', () => {
  it('takes the NotificationPipeline as its view (checked by the type checker)', () => {
    expect(pipelineIsAView).toBe(true);
  });

  const all = { active: true, silenced: true, inhibited: true, unprocessed: true };
  const filters: { query: string; want: AlertFilter }[] = [
    { query: '', want: { matchers: [], ...all } },
    { query: '?silenced=false', want: { matchers: [], ...all, silenced: false } },
    {
      query: '?inhibited=0&unprocessed=no&active=false',
      want: { matchers: [], ...all, inhibited: false, unprocessed: false, active: false },
    },
    { query: '?active=TRUE&silenced=1', want: { matchers: [], ...all } },
    { query: '?receiver=we.', want: { matchers: [], ...all, receiver: 'we.' } },
    {
      query: '?filter=alertname%3DA&filter=job%3D~%22a.*%22&filter=env!~prod',
      want: {
        matchers: [
          { type: '=', name: 'alertname', value: 'A' },
          { type: '=~', name: 'job', value: 'a.*' },
          { type: '!~', name: 'env', value: 'prod' },
        ],
        ...all,
      },
    },
  ];
  for (const c of filters) {
    it(`asks the pipeline with the filter of ${JSON.stringify(c.query)}`, async () => {
      const { app, alerts } = await setup();
      const res = await app.inject({ url: `/api/v2/alerts${c.query}` });
      expect(res.json()).toEqual([alertJson]);
      const groups = await app.inject({ url: `/api/v2/alerts/groups${c.query}` });
      expect(groups.json()).toEqual([
        { alerts: [alertJson], labels: { alertname: 'A' }, receiver: { name: 'ops' } },
      ]);
      expect(alerts.filters).toEqual([c.want, c.want]);
    });
  }

  it('rejects a bad filter or receiver regex with 400', async () => {
    const { app } = await setup();
    const badFilter = await app.inject({ url: '/api/v2/alerts?filter=foo' });
    expect([badFilter.statusCode, badFilter.json()]).toEqual([400, 'bad matcher format: foo']);
    const badRe = await app.inject({ url: '/api/v2/alerts/groups?receiver=(' });
    expect(badRe.statusCode).toBe(400);
    expect(badRe.json()).toMatch(/^failed to parse receiver param: /);
  });

  it('hands posted alerts to the pipeline, leaving absent times to it', async () => {
    const { app, alerts } = await setup();
    const res = await app.inject({
      method: 'POST',
      url: '/api/v2/alerts',
      payload: [
        { labels: { alertname: 'X', job: 'a' }, annotations: { summary: 's' } },
        { labels: { alertname: 'Y' }, endsAt: '2026-03-15T09:00:00Z', generatorURL: 'http://g' },
        { labels: { alertname: 'Z' }, startsAt: '2026-03-15T09:00:00Z', endsAt: '2026-03-15T11:00:00Z' },
      ],
    });
    expect(res.statusCode).toBe(200);
    expect(alerts.posted).toEqual([
      { labels: { alertname: 'X', job: 'a' }, annotations: { summary: 's' }, generatorURL: '' },
      { labels: { alertname: 'Y' }, annotations: {}, endsAtMs: NOW - H, generatorURL: 'http://g' },
      {
        labels: { alertname: 'Z' },
        annotations: {},
        startsAtMs: NOW - H,
        endsAtMs: NOW + H,
        generatorURL: '',
      },
    ]);
  });

  it('reports the alerts the pipeline refuses and keeps the others', async () => {
    const { app, alerts } = await setup();
    alerts.refuse = (a) => (a.labels['alertname'] === 'bad' ? 'refused by the store' : undefined);
    const res = await app.inject({
      method: 'POST',
      url: '/api/v2/alerts',
      payload: [{ labels: { alertname: 'bad' } }, { labels: {} }, { labels: { alertname: 'good' } }],
    });
    expect([res.statusCode, res.json()]).toEqual([
      400,
      'at least one label pair required;refused by the store',
    ]);
    expect(alerts.posted.map((a) => a.labels['alertname'])).toEqual(['good']);
  });

  const badAlerts: { name: string; body: unknown; status: number; json: unknown }[] = [
    {
      name: 'no labels field',
      body: [{ annotations: {} }],
      status: 422,
      json: { code: 602, message: '0.labels in body is required' },
    },
    { name: 'empty labels', body: [{ labels: {} }], status: 400, json: 'at least one label pair required' },
    {
      name: 'a bad label name',
      body: [{ labels: { 'a-b': 'c' } }],
      status: 400,
      json: 'invalid label set: invalid name "a-b"',
    },
    {
      name: 'an end before the start',
      body: [{ labels: { a: 'b' }, startsAt: '2026-03-15T10:00:00Z', endsAt: '2026-03-15T09:00:00Z' }],
      status: 400,
      json: 'start time must be before end time',
    },
    {
      name: 'a label value of the wrong type',
      body: [{ labels: { a: 1 } }],
      status: 422,
      json: { code: 601, message: '0.labels.a in body must be of type string: "number"' },
    },
    {
      name: 'a body that is not an array',
      body: { labels: { a: 'b' } },
      status: 400,
      json: {
        code: 400,
        message: 'parsing alerts body from "" failed, because the body is not a JSON array',
      },
    },
  ];
  for (const c of badAlerts) {
    it(`answers ${c.status} to posted alerts with ${c.name}`, async () => {
      const { app, alerts } = await setup();
      const res = await app.inject({ method: 'POST', url: '/api/v2/alerts', payload: c.body as object });
      expect([res.statusCode, res.json()]).toEqual([c.status, c.json]);
      expect(alerts.posted).toEqual([]);
    });
  }
});

describe('Alertmanager API v2: status and receivers', () => {
  it('answers in Alertmanager shapes', async () => {
    const { app } = await setup();
    expect((await app.inject({ url: '/api/v2/status' })).json()).toEqual({
      cluster: { peers: [], status: 'disabled' },
      config: { original: 'route:\n  receiver: ops\n' },
      uptime: '2026-03-15T09:00:00.000Z',
      versionInfo: {
        version: '0.1.0',
        revision: 'abc',
        branch: 'main',
        buildUser: 'kanshi',
        buildDate: '20260101',
        goVersion: 'node20',
      },
    });
    expect((await app.inject({ url: '/api/v2/receivers' })).json()).toEqual([
      { name: 'ops' },
      { name: 'web' },
    ]);
  });
});

describe('Kanshi maintenance windows API', () => {
  const window = {
    matchers: [{ name: 'env', value: 'staging', isRegex: false }],
    recurrence: { kind: 'weekly', weekdays: ['sunday'], startTime: '19:00' },
    duration: '2h',
    timeZone: 'Asia/Tokyo',
    createdBy: 'ops',
    comment: 'patching',
  };

  it('creates, lists with next occurrences, replaces and deletes a window', async () => {
    const { app, silences } = await setup();
    // 2026-03-15 is a Sunday: 19:00 JST = 10:00 UTC, so the window is in force at NOW.
    const post = await app.inject({
      method: 'POST',
      url: '/api/kanshi/v1/maintenance-windows',
      payload: window,
    });
    expect(post.statusCode).toBe(200);
    const created = post.json<{ id: string }>();
    expect(created).toMatchObject({
      matchers: [{ name: 'env', value: 'staging', isRegex: false, isEqual: true }],
      recurrence: window.recurrence,
      duration: '2h',
      timeZone: 'Asia/Tokyo',
      createdBy: 'ops',
      comment: 'patching',
      updatedAt: '2026-03-15T10:00:00.000Z',
      status: { state: 'active', activeUntil: '2026-03-15T12:00:00.000Z' },
      nextWindows: [
        { startsAt: '2026-03-15T10:00:00.000Z', endsAt: '2026-03-15T12:00:00.000Z' },
        { startsAt: '2026-03-22T10:00:00.000Z', endsAt: '2026-03-22T12:00:00.000Z' },
        { startsAt: '2026-03-29T10:00:00.000Z', endsAt: '2026-03-29T12:00:00.000Z' },
      ],
    });
    expect(silences.mutes({ env: 'staging' }, NOW).maintenanceBy).toEqual([created.id]);

    const listed = (await app.inject({ url: '/api/kanshi/v1/maintenance-windows?next=1' })).json<
      { nextWindows: unknown[] }[]
    >();
    expect(listed).toHaveLength(1);
    expect(listed[0]?.nextWindows).toHaveLength(1);

    const put = await app.inject({
      method: 'PUT',
      url: `/api/kanshi/v1/maintenance-windows/${created.id}`,
      payload: { ...window, recurrence: { kind: 'cron', expression: '0 3 * * 1-5' } },
    });
    expect(put.json()).toMatchObject({ id: created.id, status: { state: 'scheduled' } });
    expect(
      (await app.inject({ url: `/api/kanshi/v1/maintenance-windows/${created.id}` })).json(),
    ).toMatchObject({
      nextWindows: [
        { startsAt: '2026-03-15T18:00:00.000Z' },
        { startsAt: '2026-03-16T18:00:00.000Z' },
        { startsAt: '2026-03-17T18:00:00.000Z' },
      ],
    });
    const del = await app.inject({
      method: 'DELETE',
      url: `/api/kanshi/v1/maintenance-windows/${created.id}`,
    });
    expect(del.statusCode).toBe(200);
    const gone = await app.inject({ url: `/api/kanshi/v1/maintenance-windows/${created.id}` });
    expect(gone.statusCode).toBe(404);
  });

  const bad: { name: string; patch: object; error: RegExp }[] = [
    {
      name: 'a bad duration',
      patch: { duration: 'two hours' },
      error: /^duration: not a valid duration, got "two hours"$/,
    },
    {
      name: 'an unknown kind',
      patch: { recurrence: { kind: 'yearly' } },
      error: /recurrence.kind: must be weekly, monthly or cron, got "yearly"/,
    },
    {
      name: 'a bad cron',
      patch: { recurrence: { kind: 'cron', expression: '* *' } },
      error: /cron expression "\* \*": want 5 fields/,
    },
    { name: 'a bad time zone', patch: { timeZone: 'Tokyo' }, error: /unknown time zone "Tokyo"/ },
    {
      name: 'a bad validFrom',
      patch: { validFrom: 'soon' },
      error: /validFrom: must be an RFC 3339 time, got "soon"/,
    },
    { name: 'no matchers', patch: { matchers: [] }, error: /matchers: at least one matcher required/ },
    { name: 'no author', patch: { createdBy: undefined }, error: /createdBy: required/ },
  ];
  for (const c of bad) {
    it(`answers 400 naming the field for ${c.name}`, async () => {
      const { app } = await setup();
      const res = await app.inject({
        method: 'POST',
        url: '/api/kanshi/v1/maintenance-windows',
        payload: { ...window, ...c.patch },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json<{ error: string }>().error).toMatch(c.error);
    });
  }
});

describe('parseDateTime', () => {
  const cases: { text: string; want: number | undefined }[] = [
    { text: '2026-03-15T10:00:00Z', want: NOW },
    { text: '2026-03-15T10:00:00.5Z', want: NOW + 500 },
    { text: '2026-03-15T10:00:00.123456789Z', want: NOW + 123 },
    { text: '2026-03-15T19:00:00+09:00', want: NOW },
    { text: '2026-03-15T05:30:00-04:30', want: NOW },
    { text: '0001-01-01T00:00:00Z', want: GO_ZERO_TIME_MS },
    { text: '2026-03-15', want: undefined },
    { text: 'now', want: undefined },
  ];
  for (const c of cases) {
    it(`parses ${c.text}`, () => {
      expect(parseDateTime(c.text)).toBe(c.want);
    });
  }
  it("treats Go's zero time in an optional field as absent", async () => {
    const { app, alerts } = await setup();
    await app.inject({
      method: 'POST',
      url: '/api/v2/alerts',
      payload: [{ labels: { a: 'b' }, startsAt: '0001-01-01T00:00:00Z', endsAt: '0001-01-01T00:00:00Z' }],
    });
    expect(alerts.posted).toEqual([{ labels: { a: 'b' }, annotations: {}, generatorURL: '' }]);
  });
});
