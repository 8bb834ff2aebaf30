import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../test/support/fake-clock.js';
import { parseCheckReport, type CheckReportResult } from '../../model/check-report.js';
import type { NotifierAlert } from '../../rules/group.js';
import { CheckMonitor, checkAlertId } from '../../rules/monitors/check-monitor.js';
import { HeartbeatMonitor, heartbeatAlertId } from '../../rules/monitors/heartbeat.js';
import { fingerprint } from '../../notify/label-set.js';
import { nullAlertHistory, type AlertEvent, type AlertHistory } from '../../notify/types.js';
import {
  fingerprintOf,
  monitorOnlyEvents,
  type MonitorHistory,
  type MonitorSendReason,
} from '../../rules/monitors/monitor-alert.js';
import { MemoryCheckResultStore, registerCheckResults } from '../ingest/check-results.js';
import { labelsFromRecord } from '../../model/labels.js';
import {
  heartbeatOnRemoteWrite,
  monitoredCheckResults,
  pipelineNotifyFn,
  registerMonitorApi,
  toAlertInput,
} from './monitors.js';
import { RecordingLogger } from '../../base/logger.js';
import type { AlertInput } from '../../notify/alert-store.js';
import { stringify } from 'yaml';
import { nullLogger } from '../../base/logger.js';
import { parseYamlConfig } from '../../config/load-yaml.js';
import { notificationsConfig } from '../../notify/config.js';
import { NotificationPipeline } from '../../notify/pipeline.js';
import type { Notification } from '../../notify/types.js';
import { monitorsConfig } from '../../rules/monitors/config.js';
import { Monitors } from '../../rules/monitors/monitors.js';

const MIN = 60_000;

function result(check: string, status: CheckReportResult['status'], startedAt: number) {
  return { check, status, message: `${check} ${status}`, started_at: startedAt, hard_status: status };
}

/** A result with every field, as the ingest route hands it on. */
const full = (r: ReturnType<typeof result>): readonly CheckReportResult[] =>
  parseCheckReport({ host: 'web-1', results: [r] }).results;

async function setup() {
  const clock = new FakeClock();
  const sent: { reason: MonitorSendReason; alerts: readonly NotifierAlert[] }[] = [];
  const notify = (alerts: readonly NotifierAlert[], reason: MonitorSendReason): void => {
    sent.push({ reason, alerts });
  };
  const checks = new CheckMonitor({ clock, notify });
  const heartbeat = new HeartbeatMonitor({ clock, notify });
  const app = Fastify();
  const store = monitoredCheckResults(new MemoryCheckResultStore({ clock }), { checks, heartbeat });
  registerCheckResults(app, { store });
  registerMonitorApi(app, { checks, heartbeat });
  await app.ready();
  const report = async (host: string, ...results: ReturnType<typeof result>[]) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/agent/v1/check-results',
      payload: { host, results },
    });
    expect(res.statusCode).toBe(200);
  };
  const post = (url: string, payload?: unknown) =>
    app.inject({
      method: 'POST',
      url,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  return { clock, sent, checks, heartbeat, app, report, post };
}

describe('monitor API', () => {
  it('lists open check and heartbeat alerts, filtered by host and source', async () => {
    const s = await setup();
    await s.report('web-1', result('disk', 'CRITICAL', s.clock.now()));
    await s.report('web-2', result('load', 'OK', s.clock.now()));
    await s.clock.advance(6 * MIN);
    await s.heartbeat.tick();
    await s.report('web-1', result('disk', 'CRITICAL', s.clock.now()));

    const all = (await s.app.inject('/api/kanshi/v1/monitors/alerts')).json<{
      status: string;
      data: { id: string; source: string; host: string }[];
    }>();
    expect(all.status).toBe('success');
    expect(all.data.map((a) => [a.source, a.host, a.id])).toEqual([
      ['check', 'web-1', checkAlertId('web-1', 'disk')],
      ['heartbeat', 'web-2', heartbeatAlertId('web-2')],
    ]);
    const web2 = (await s.app.inject('/api/kanshi/v1/monitors/alerts?host=web-2')).json<{
      data: unknown[];
    }>();
    expect(web2.data).toHaveLength(1);
    const checksOnly = (await s.app.inject('/api/kanshi/v1/monitors/alerts?source=check')).json<{
      data: { source: string }[];
    }>();
    expect(checksOnly.data.map((a) => a.source)).toEqual(['check']);
    const bad = await s.app.inject('/api/kanshi/v1/monitors/alerts?source=rules');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({
      status: 'error',
      errorType: 'bad_input',
      error: 'source must be check or heartbeat, got "rules"',
    });
  });

  it('shows an alert in snake_case with ms times', async () => {
    const s = await setup();
    await s.report('web-1', result('disk', 'WARNING', s.clock.now()));
    const [a] = (await s.app.inject('/api/kanshi/v1/monitors/alerts')).json<{ data: unknown[] }>().data;
    expect(a).toEqual({
      id: checkAlertId('web-1', 'disk'),
      source: 'check',
      host: 'web-1',
      check: 'disk',
      severity: 'warning',
      status: 'WARNING',
      labels: {
        alertname: 'CheckFailed',
        host: 'web-1',
        instance: 'web-1',
        check: 'disk',
        severity: 'warning',
      },
      annotations: { summary: 'check disk on web-1 is WARNING', status: 'WARNING', message: 'disk WARNING' },
      opened_at: s.clock.now(),
      level_changed_at: s.clock.now(),
      last_notified_at: s.clock.now(),
      acknowledged: null,
      recovered_at: null,
      prevent_alert_auto_close: false,
    });
  });

  it('acknowledges and closes alerts', async () => {
    const s = await setup();
    await s.report('web-1', result('disk', 'CRITICAL', s.clock.now()));
    const id = checkAlertId('web-1', 'disk');
    const ack = await s.post(`/api/kanshi/v1/monitors/alerts/${id}/acknowledge`, {
      by: 'alice',
      comment: 'on it',
    });
    expect(ack.statusCode).toBe(200);
    expect(ack.json<{ data: { acknowledged: unknown } }>().data.acknowledged).toEqual({
      by: 'alice',
      comment: 'on it',
      at: s.clock.now(),
    });
    const again = await s.post(`/api/kanshi/v1/monitors/alerts/${id}/acknowledge`, { by: 'bob' });
    expect(again.statusCode).toBe(409);
    const closed = await s.post(`/api/kanshi/v1/monitors/alerts/${id}/close`, { by: 'alice' });
    expect(closed.statusCode).toBe(200);
    expect(s.sent.map((x) => x.reason)).toEqual(['opened', 'closed']);
    const gone = await s.post(`/api/kanshi/v1/monitors/alerts/${id}/close`, { by: 'alice' });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toEqual({
      status: 'error',
      errorType: 'not_found',
      error: `no open alert with id "${id}"`,
    });
  });

  const id = checkAlertId('web-1', 'disk');
  it.each([
    [
      'a malformed id',
      'not-an-id',
      { by: 'a' },
      400,
      'alert id must be 16 lowercase hex digits, got "not-an-id"',
    ],
    ['no body', id, undefined, 400, 'acknowledge needs a JSON body {"by": "<who>", "comment": "<why>"}'],
    ['no by', id, { comment: 'x' }, 400, 'by: must be a non-empty string naming who does it, got undefined'],
    ['a blank by', id, { by: '  ' }, 400, 'by: must be a non-empty string naming who does it, got "  "'],
    ['a bad comment', id, { by: 'a', comment: 3 }, 400, 'comment: must be a string, got 3'],
    ['an unknown field', id, { by: 'a', who: 'b' }, 400, 'unknown field "who" in the body'],
    ['an unknown id', 'ffffffffffffffff', { by: 'a' }, 404, 'no open alert with id "ffffffffffffffff"'],
  ])('acknowledge with %s is %d', async (_what, alertId, body, code, message) => {
    const s = await setup();
    await s.report('web-1', result('disk', 'CRITICAL', s.clock.now()));
    const res = await s.post(`/api/kanshi/v1/monitors/alerts/${alertId}/acknowledge`, body);
    expect(res.statusCode).toBe(code);
    expect(res.json<{ error: string }>().error).toBe(message);
  });

  it('refuses to close a heartbeat alert by hand but acknowledges it', async () => {
    const s = await setup();
    await s.report('web-1', result('disk', 'OK', s.clock.now()));
    await s.clock.advance(6 * MIN);
    await s.heartbeat.tick();
    const hid = heartbeatAlertId('web-1');
    const res = await s.post(`/api/kanshi/v1/monitors/alerts/${hid}/close`, { by: 'alice' });
    expect(res.statusCode).toBe(409);
    expect(res.json<{ error: string }>().error).toContain('DELETE /api/kanshi/v1/hosts/{host}');
    expect((await s.post(`/api/kanshi/v1/monitors/alerts/${hid}/acknowledge`, { by: 'a' })).statusCode).toBe(
      200,
    );
  });

  it('forgets a host: its heartbeat and check alerts close, and it is unknown afterwards', async () => {
    const s = await setup();
    await s.report('web-1', result('disk', 'CRITICAL', s.clock.now()));
    await s.clock.advance(6 * MIN);
    await s.heartbeat.tick();
    const res = await s.app.inject({ method: 'DELETE', url: '/api/kanshi/v1/hosts/web-1?by=alice' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'success',
      data: { host: 'web-1', checks_forgotten: 1, heartbeat: true },
    });
    expect(s.checks.alerts()).toEqual([]);
    expect(s.heartbeat.hosts()).toEqual([]);
    const again = await s.app.inject({ method: 'DELETE', url: '/api/kanshi/v1/hosts/web-1' });
    expect(again.statusCode).toBe(404);
    expect(again.json<{ error: string }>().error).toBe('no known host "web-1"');
  });

  it('feeds the monitors only after the store took the batch, and ignores replays', async () => {
    const s = await setup();
    const t = s.clock.now();
    await s.report('web-1', result('disk', 'CRITICAL', t));
    await s.report('web-1', result('disk', 'CRITICAL', t));
    await s.report('web-1', result('disk', 'OK', t - 1));
    expect(s.sent.map((x) => x.reason)).toEqual(['opened']);
    expect(s.heartbeat.hosts().map((h) => h.host)).toEqual(['web-1']);
  });
});

describe('monitors and the notification pipeline', () => {
  it('take the pipeline AlertHistory as their history', () => {
    const history: AlertHistory = nullAlertHistory;
    const asMonitor: MonitorHistory = history;
    expect(asMonitor).toBe(history);
  });

  it('leave opened and resolved to the pipeline with monitorOnlyEvents', async () => {
    const clock = new FakeClock();
    const events: AlertEvent[] = [];
    const checks = new CheckMonitor({
      clock,
      notify: () => undefined,
      history: monitorOnlyEvents({ record: (e) => events.push(e) }),
    });
    await checks.observe('web-1', full(result('disk', 'WARNING', 1)));
    await checks.observe('web-1', full(result('disk', 'CRITICAL', 2)));
    await checks.acknowledge(checkAlertId('web-1', 'disk'), 'alice', '');
    await checks.observe('web-1', full(result('disk', 'OK', 3)));
    expect(events.map((e) => e.kind)).toEqual(['level_changed', 'acknowledged']);
  });

  it.each([
    [{}],
    [{ alertname: 'CheckFailed', host: 'web-1', instance: 'web-1', check: 'disk', severity: 'warning' }],
    [{ a: 'ü', b: '', zz: 'x\u00ff', A: '1' }],
  ])('compute the same fingerprint as notify for %o', (labels) => {
    expect(fingerprintOf(labels)).toBe(fingerprint(labels));
  });
});

describe('adaptors', () => {
  it('hands monitor alerts to the pipeline with ms times and logs refused ones', () => {
    const put: AlertInput[][] = [];
    const renotified: string[][] = [];
    const logger = new RecordingLogger();
    const notify = pipelineNotifyFn(
      {
        put: (alerts) => {
          put.push([...alerts]);
          return [{ index: 0, labels: alerts[0]!.labels, reason: 'bad' }];
        },
        renotify: (fps) => renotified.push([...fps]),
      },
      logger,
    );
    const a = {
      labels: { alertname: 'CheckFailed' },
      annotations: { summary: 's' },
      startsAt: '2023-11-14T22:13:20.000Z',
      endsAt: '2023-11-14T22:17:20.000Z',
      generatorURL: 'http://k/x',
    };
    notify([a], 'opened');
    expect(put).toEqual([[toAlertInput(a)]]);
    expect(toAlertInput(a)).toEqual({
      labels: a.labels,
      annotations: a.annotations,
      startsAtMs: 1_700_000_000_000,
      endsAtMs: 1_700_000_240_000,
      generatorURL: 'http://k/x',
    });
    expect(logger.records.map((r) => r.message)).toEqual(['pipeline refused a monitor alert']);
    expect(renotified).toEqual([]);
  });

  it.each<[MonitorSendReason, number]>([
    ['renotify', 1],
    ['opened', 0],
    ['level_changed', 0],
    ['refresh', 0],
    ['resolved', 0],
    ['closed', 0],
  ])('on %s asks the pipeline to re-notify %i time(s), for the alerts it stored', (reason, want) => {
    const renotified: string[][] = [];
    const notify = pipelineNotifyFn(
      {
        // The first alert is refused; the second is stored.
        put: (alerts) => [{ index: 0, labels: alerts[0]!.labels, reason: 'bad' }],
        renotify: (fps) => renotified.push([...fps]),
      },
      nullLogger,
    );
    const a = (labels: Record<string, string>) => ({
      labels,
      annotations: {},
      startsAt: '2023-11-14T22:13:20.000Z',
      endsAt: '2023-11-14T22:17:20.000Z',
      generatorURL: '',
    });
    notify([a({ alertname: 'Bad' }), a({ alertname: 'CheckFailed', host: 'web-1', empty: '' })], reason);
    // The store drops empty label values before fingerprinting; the adaptor must agree with it.
    const want1 = [[fingerprint({ alertname: 'CheckFailed', host: 'web-1' })]];
    expect(renotified).toEqual(want === 1 ? want1 : []);
  });

  it.each([
    ['kanshi-agent', ['web-1']],
    ['kanshi-agent/0.1.0', ['web-1']],
    ['Prometheus/2.42.0', []],
    [undefined, []],
  ])('counts remote_write series from %s as reports', (userAgent, want) => {
    const seen: string[] = [];
    const onWrite = heartbeatOnRemoteWrite({ seen: (h) => void seen.push(h) });
    onWrite(
      [
        labelsFromRecord({ __name__: 'node_load1', job: 'node', instance: 'web-1' }),
        labelsFromRecord({ __name__: 'up', job: 'mysql', instance: 'db:9104' }),
      ],
      userAgent,
    );
    expect(seen).toEqual(want);
  });
});

describe('monitors wired to the notification pipeline', () => {
  it('re-notify an open check alert every notification_interval, however long repeat_interval', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const sent: Notification[] = [];
    const yaml = stringify({
      route: {
        receiver: 'ops',
        group_by: ['alertname', 'host'],
        group_wait: '30s',
        group_interval: '1m',
        repeat_interval: '24h',
      },
      receivers: [{ name: 'ops', webhook_configs: [{ url: 'http://127.0.0.1:9/hook' }] }],
    });
    const { config } = parseYamlConfig(yaml, 'kanshi.yml', notificationsConfig);
    const silenced = new Set<string>();
    const pipeline = new NotificationPipeline({
      config: config!,
      silencer: {
        mutes: (labels) => {
          const ids = silenced.has(labels.host ?? '') ? ['s1'] : [];
          return { silencedBy: ids, maintenanceBy: [] };
        },
      },
      sink: { enqueue: (n) => sent.push(n) },
      clock,
      logger: nullLogger,
    });
    const checks = new CheckMonitor({
      clock,
      notify: pipelineNotifyFn(pipeline, nullLogger),
      defaultNotificationIntervalMs: 10 * MIN,
      tickMs: 15_000,
    });
    const stop = new AbortController();
    const running = checks.run(stop.signal);
    await checks.observe('web-1', full(result('disk', 'CRITICAL', clock.now())));
    await checks.observe('web-2', full(result('disk', 'CRITICAL', clock.now())));
    await clock.advance(5 * MIN);
    // A group whose every alert is silenced hands an empty notification over (the delivery queue sends
    // it only to integrations with send_resolved); leave those out.
    const at = () =>
      sent
        .filter((n) => n.alerts.length > 0)
        .map((n) => `${n.alerts.map((a) => a.labels.host).join(',')}@${(n.createdAtMs - t0) / 1000}`);
    expect(at()).toEqual(['web-1@30', 'web-2@30']);
    // web-2 is silenced: its re-notifications are dropped; web-1's go out at the group's next tick.
    silenced.add('web-2');
    await clock.advance(31 * MIN);
    expect(at()).toEqual(['web-1@30', 'web-2@30', 'web-1@630', 'web-1@1230', 'web-1@1830']);
    // Acknowledged: no more re-notifications (repeat_interval is a day).
    await checks.acknowledge(checkAlertId('web-1', 'disk'), 'alice', '');
    await clock.advance(30 * MIN);
    expect(at()).toHaveLength(5);
    stop.abort();
    await running;
    await pipeline.close();
  });

  it('deliver check alerts, and the inhibit rules they bring mute a silent host', async () => {
    const clock = new FakeClock();
    const sent: Notification[] = [];
    const events: AlertEvent[] = [];
    // The pipeline needs the monitors' inhibit rules, the monitors need the pipeline: close the loop late.
    const late: { pipeline?: NotificationPipeline } = {};
    const monitors = await Monitors.open({
      config: monitorsConfig.parse({
        thresholds: [{ name: 'HighLoad', metric: 'node_load1', operator: '>', warning: 4, critical: 8 }],
      }),
      clock,
      notify: (alerts, reason) => pipelineNotifyFn(late.pipeline!, nullLogger)(alerts, reason),
      history: monitorOnlyEvents({ record: (e) => events.push(e) }),
    });
    const yaml = stringify({
      route: { receiver: 'ops', group_by: ['alertname'], group_wait: '30s' },
      receivers: [{ name: 'ops', webhook_configs: [{ url: 'http://127.0.0.1:9/hook' }] }],
      inhibit_rules: monitors.inhibitRules,
    });
    const { config, diagnostics } = parseYamlConfig(yaml, 'kanshi.yml', notificationsConfig);
    expect(diagnostics).toEqual([]);
    const pipeline = new NotificationPipeline({
      config: config!,
      silencer: { mutes: () => ({ silencedBy: [], maintenanceBy: [] }) },
      sink: { enqueue: (n) => sent.push(n) },
      history: { record: (e) => events.push(e) },
      clock,
      logger: nullLogger,
    });
    late.pipeline = pipeline;
    const store = monitoredCheckResults(new MemoryCheckResultStore({ clock }), monitors);
    const stop = new AbortController();
    const running = monitors.run(stop.signal);
    await store.put('web-1', full(result('disk', 'CRITICAL', clock.now())));
    await store.put('web-2', full(result('disk', 'WARNING', clock.now())));
    await clock.advance(30_000);
    expect(sent.map((n) => n.alerts.map((a) => `${a.labels.host}:${a.labels.severity}`))).toEqual([
      ['web-1:critical', 'web-2:warning'],
    ]);

    // web-1 falls silent: HostUnreachable mutes its check alert.
    await clock.advance(3 * MIN);
    await store.put('web-2', full(result('disk', 'WARNING', clock.now())));
    await clock.advance(2.5 * MIN);
    const states = Object.fromEntries(
      pipeline.alerts().map((a) => [`${a.labels.alertname}/${a.labels.host}`, a.status.state]),
    );
    expect(states).toEqual({
      'CheckFailed/web-1': 'suppressed',
      'CheckFailed/web-2': 'active',
      'HostUnreachable/web-1': 'active',
    });
    expect(
      events.filter((e) => e.kind === 'opened').map((e) => `${e.labels.alertname}/${e.labels.host}`),
    ).toEqual(['CheckFailed/web-1', 'CheckFailed/web-2', 'HostUnreachable/web-1']);
    stop.abort();
    await running;
    await monitors.close();
    await pipeline.close();
  });
});
