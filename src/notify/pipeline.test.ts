import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { nullLogger } from '../base/logger.js';
import { parseYamlConfig } from '../config/load-yaml.js';
import { Registry } from '../exposition/registry.js';
import { notificationsConfig, type NotificationsConfig } from './config.js';
import { fingerprint } from './label-set.js';
import { parseMatchers } from './matchers.js';
import { NotificationPipeline } from './pipeline.js';
import type { AlertEvent, LabelSet, MuteState, Notification, Silencer } from './types.js';

// 2026-03-04T10:00:00Z, a Wednesday.
const T0 = Date.parse('2026-03-04T10:00:00Z');
const S = 1000;
const M = 60 * S;

function config(yaml: string): NotificationsConfig {
  const { config, diagnostics } = parseYamlConfig(yaml, 'am.yml', notificationsConfig);
  if (config === undefined) throw new Error(JSON.stringify(diagnostics));
  return config;
}

const BASE = `
route:
  receiver: ops
  group_by: [alertname]
  group_wait: 30s
  group_interval: 1m
  repeat_interval: 10m
receivers:
  - name: ops
    webhook_configs: [{ url: "http://127.0.0.1:9/hook" }]
  - name: quiet
    email_configs: [{ to: "a@example.org" }]
`;

/** A Silencer muting label sets matching a silence's matchers; maintenance windows likewise. */
class FakeSilencer implements Silencer {
  silences: { id: string; matchers: string; maintenance?: boolean }[] = [];
  mutes(labels: LabelSet): MuteState {
    const hits = this.silences.filter((s) => {
      const ms = parseMatchers(s.matchers);
      return ms.every((m) => (m.type === '=' ? (labels[m.name] ?? '') === m.value : true));
    });
    return {
      silencedBy: hits.map((s) => s.id),
      maintenanceBy: hits.filter((s) => s.maintenance).map((s) => s.id),
    };
  }
}

function setup(yaml = BASE) {
  const clock = new FakeClock(T0);
  const sent: Notification[] = [];
  const events: AlertEvent[] = [];
  const silencer = new FakeSilencer();
  const registry = new Registry();
  let n = 0;
  const pipeline = new NotificationPipeline({
    config: config(yaml),
    silencer,
    sink: { enqueue: (x) => sent.push(x) },
    history: { record: (e) => events.push(e) },
    clock,
    logger: nullLogger,
    registry,
    externalURL: 'http://kanshi.example:9800',
    newId: () => `n${++n}`,
  });
  /** What was sent, compactly: receiver, status and each alert's alertname/instance:status. */
  const summary = () =>
    sent.map((x) => ({
      at: (x.createdAtMs - T0) / S,
      receiver: x.receiver,
      status: x.status,
      alerts: x.alerts.map((a) => `${a.labels['alertname']!}${a.labels['i'] ?? ''}:${a.status}`),
    }));
  return { clock, sent, events, silencer, registry, pipeline, summary };
}

describe('NotificationPipeline timing', () => {
  it('waits group_wait for the first notification, then group_interval for changes', async () => {
    const { clock, pipeline, sent, summary } = setup();
    pipeline.put([{ labels: { alertname: 'A', i: '1' } }]);
    await clock.advance(29 * S);
    expect(sent).toEqual([]);
    await clock.advance(1 * S);
    expect(summary()).toEqual([{ at: 30, receiver: 'ops', status: 'firing', alerts: ['A1:firing'] }]);
    // A second alert of the same group waits for the next group_interval tick (30 s + 1 m).
    await clock.advance(10 * S);
    pipeline.put([{ labels: { alertname: 'A', i: '2' } }]);
    await clock.advance(49 * S);
    expect(sent).toHaveLength(1);
    await clock.advance(1 * S);
    expect(summary()[1]).toEqual({
      at: 90,
      receiver: 'ops',
      status: 'firing',
      alerts: ['A1:firing', 'A2:firing'],
    });
    await pipeline.close();
  });

  it('repeats an unchanged notification after repeat_interval, on a group_interval tick', async () => {
    const { clock, pipeline, summary } = setup();
    pipeline.put([{ labels: { alertname: 'A' }, endsAtMs: T0 + 60 * M }]);
    await clock.advance(30 * M);
    // Sent at 30 s; the 10 m repeat falls due after 630 s, the next tick is 690 s (30 s + 11 × 1 m).
    expect(summary().map((x) => x.at)).toEqual([30, 690, 1350]);
    await pipeline.close();
  });

  it('flushes at once a new group whose alert started more than group_wait ago', async () => {
    const { clock, pipeline, summary } = setup();
    pipeline.put([{ labels: { alertname: 'Old' }, startsAtMs: T0 - 10 * M }]);
    await clock.advance(0);
    expect(summary()).toEqual([{ at: 0, receiver: 'ops', status: 'firing', alerts: ['Old:firing'] }]);
    await pipeline.close();
  });

  it('sends the resolution with send_resolved and then forgets the group', async () => {
    const { clock, pipeline, summary } = setup();
    pipeline.put([{ labels: { alertname: 'A', i: '1' } }, { labels: { alertname: 'A', i: '2' } }]);
    await clock.advance(30 * S);
    pipeline.put([{ labels: { alertname: 'A', i: '1' }, endsAtMs: T0 + 40 * S }]);
    await clock.advance(60 * S);
    pipeline.put([{ labels: { alertname: 'A', i: '2' }, endsAtMs: T0 + 100 * S }]);
    await clock.advance(60 * S);
    expect(summary()).toEqual([
      { at: 30, receiver: 'ops', status: 'firing', alerts: ['A1:firing', 'A2:firing'] },
      { at: 90, receiver: 'ops', status: 'firing', alerts: ['A1:resolved', 'A2:firing'] },
      { at: 150, receiver: 'ops', status: 'resolved', alerts: ['A2:resolved'] },
    ]);
    await clock.advance(20 * M);
    expect(summary()).toHaveLength(3);
    expect(pipeline.alertGroups()).toEqual([]);
    await pipeline.close();
  });

  it('without send_resolved, notifies only when everything resolved', async () => {
    const { clock, pipeline, summary } = setup(BASE.replace('receiver: ops', 'receiver: quiet'));
    pipeline.put([{ labels: { alertname: 'A', i: '1' } }, { labels: { alertname: 'A', i: '2' } }]);
    await clock.advance(30 * S);
    pipeline.put([{ labels: { alertname: 'A', i: '1' }, endsAtMs: T0 + 40 * S }]);
    await clock.advance(60 * S);
    expect(summary()).toHaveLength(1);
    pipeline.put([{ labels: { alertname: 'A', i: '2' }, endsAtMs: T0 + 100 * S }]);
    await clock.advance(60 * S);
    expect(summary()[1]).toEqual({ at: 150, receiver: 'quiet', status: 'resolved', alerts: ['A2:resolved'] });
    await pipeline.close();
  });

  it('resolves an alert that is not re-sent within resolve_timeout', async () => {
    const { clock, pipeline, summary, events } = setup(`${BASE}global: { resolve_timeout: 2m }\n`);
    pipeline.put([{ labels: { alertname: 'A' } }]);
    await clock.advance(3 * M);
    expect(summary()).toEqual([
      { at: 30, receiver: 'ops', status: 'firing', alerts: ['A:firing'] },
      { at: 150, receiver: 'ops', status: 'resolved', alerts: ['A:resolved'] },
    ]);
    expect(events.map((e) => [e.kind, (e.atMs - T0) / S])).toEqual([
      ['opened', 0],
      ['resolved', 120],
    ]);
    await pipeline.close();
  });
});

describe('NotificationPipeline routing and muting', () => {
  it('sends one notification per matching route, with group keys as Alertmanager forms them', async () => {
    const { clock, pipeline, sent } = setup(`
route:
  receiver: ops
  group_by: [alertname]
  group_wait: 10s
  routes:
    - { receiver: quiet, matchers: [team="db"], continue: true, group_by: [alertname, instance] }
    - { receiver: ops, matchers: [severity="page"] }
receivers: [{ name: ops, webhook_configs: [{ url: "http://127.0.0.1:9/" }] }, { name: quiet }]
`);
    pipeline.put([
      {
        labels: { alertname: 'Down', team: 'db', severity: 'page', instance: 'h1' },
        annotations: { s: 'x' },
      },
    ]);
    await clock.advance(10 * S);
    expect(sent.map((n) => [n.receiver, n.groupKey])).toEqual([
      ['quiet', '{}/{team="db"}:{alertname="Down", instance="h1"}'],
      ['ops', '{}/{severity="page"}:{alertname="Down"}'],
    ]);
    expect(sent[1]).toEqual({
      id: 'n2',
      receiver: 'ops',
      groupKey: '{}/{severity="page"}:{alertname="Down"}',
      status: 'firing',
      groupLabels: { alertname: 'Down' },
      commonLabels: { alertname: 'Down', team: 'db', severity: 'page', instance: 'h1' },
      commonAnnotations: { s: 'x' },
      externalURL: 'http://kanshi.example:9800',
      alerts: [
        {
          fingerprint: fingerprint({ alertname: 'Down', team: 'db', severity: 'page', instance: 'h1' }),
          labels: { alertname: 'Down', team: 'db', severity: 'page', instance: 'h1' },
          annotations: { s: 'x' },
          startsAtMs: T0,
          endsAtMs: 0,
          generatorURL: '',
          updatedAtMs: T0,
          status: 'firing',
        },
      ],
      truncatedAlerts: 0,
      createdAtMs: T0 + 10 * S,
    });
    await pipeline.close();
  });

  it('leaves out inhibited alerts and records the inhibition once', async () => {
    const { clock, pipeline, summary, events } = setup(`${BASE}
inhibit_rules:
  - { source_matchers: [severity="critical"], target_matchers: [severity="warning"], equal: [alertname] }
`);
    pipeline.put([
      { labels: { alertname: 'A', i: '1', severity: 'critical' } },
      { labels: { alertname: 'A', i: '2', severity: 'warning' } },
    ]);
    await clock.advance(3 * M);
    expect(summary()).toEqual([{ at: 30, receiver: 'ops', status: 'firing', alerts: ['A1:firing'] }]);
    const critical = fingerprint({ alertname: 'A', i: '1', severity: 'critical' });
    expect(events.filter((e) => e.kind === 'inhibited')).toEqual([
      {
        atMs: T0 + 30 * S,
        fingerprint: fingerprint({ alertname: 'A', i: '2', severity: 'warning' }),
        labels: { alertname: 'A', i: '2', severity: 'warning' },
        kind: 'inhibited',
        detail: { inhibitedBy: critical },
      },
    ]);
    const warning = pipeline.alertStatus(fingerprint({ alertname: 'A', i: '2', severity: 'warning' }));
    expect(warning).toEqual({ state: 'suppressed', silencedBy: [], inhibitedBy: [critical] });
    await pipeline.close();
  });

  it('leaves out silenced alerts and alerts in maintenance, and records which', async () => {
    const { clock, pipeline, summary, events, silencer } = setup();
    silencer.silences = [
      { id: 's1', matchers: 'i="1"' },
      { id: 'mw1', matchers: 'i="2"', maintenance: true },
    ];
    pipeline.put([
      { labels: { alertname: 'A', i: '1' } },
      { labels: { alertname: 'A', i: '2' } },
      { labels: { alertname: 'A', i: '3' } },
    ]);
    await clock.advance(30 * S);
    expect(summary()).toEqual([{ at: 30, receiver: 'ops', status: 'firing', alerts: ['A3:firing'] }]);
    expect(events.filter((e) => e.kind !== 'opened').map((e) => [e.kind, e.labels['i'], e.detail])).toEqual([
      ['silenced', '1', { silencedBy: 's1' }],
      ['maintenance', '2', { maintenanceBy: 'mw1' }],
    ]);
    // The silence ends: the alert is new to the receiver and is sent at the next tick.
    silencer.silences = [];
    await clock.advance(60 * S);
    expect(summary()[1]).toEqual({
      at: 90,
      receiver: 'ops',
      status: 'firing',
      alerts: ['A1:firing', 'A2:firing', 'A3:firing'],
    });
    await pipeline.close();
  });

  const intervals = `
time_intervals:
  - name: weekend
    time_intervals: [{ weekdays: [saturday, sunday] }]
  - name: office
    time_intervals: [{ times: [{ start_time: "09:00", end_time: "10:00" }] }]
`;
  const timeCases: { name: string; route: string; want: number }[] = [
    { name: 'mute interval not active', route: 'mute_time_intervals: [weekend]', want: 1 },
    { name: 'mute interval active', route: 'mute_time_intervals: [office]', want: 0 },
    { name: 'active interval active', route: 'active_time_intervals: [weekend, office]', want: 1 },
    { name: 'active interval not active', route: 'active_time_intervals: [weekend]', want: 0 },
  ];
  // The flush is at 10:00:30; "office" is 09:00–10:00, so move it to cover the flush.
  for (const c of timeCases) {
    it(`${c.name}: ${c.want} notification(s)`, async () => {
      const yaml = `${BASE}${intervals.replace('"10:00"', '"11:00"')}`.replace(
        'repeat_interval: 10m',
        `repeat_interval: 10m\n  routes: [{ matchers: [x="1"], ${c.route} }]`,
      );
      const { clock, pipeline, sent } = setup(yaml);
      pipeline.put([{ labels: { alertname: 'A', x: '1' } }]);
      await clock.advance(30 * S);
      expect(sent.length).toBe(c.want);
      await pipeline.close();
    });
  }

  it('keeps alerts and the notification log across applyConfig', async () => {
    const { clock, pipeline, summary } = setup();
    pipeline.put([{ labels: { alertname: 'A' }, endsAtMs: T0 + 60 * M }]);
    await clock.advance(30 * S);
    await pipeline.applyConfig(config(BASE.replace('repeat_interval: 10m', 'repeat_interval: 20m')));
    await clock.advance(10 * M);
    expect(summary().map((x) => x.at)).toEqual([30]);
    pipeline.put([{ labels: { alertname: 'B' } }]);
    await clock.advance(1 * M);
    expect(summary().map((x) => x.alerts)).toEqual([['A:firing'], ['B:firing']]);
    await pipeline.close();
  });
});

describe('NotificationPipeline reload', () => {
  it('routes stored alerts by the new tree after applyConfig', async () => {
    const { clock, pipeline, summary } = setup();
    pipeline.put([{ labels: { alertname: 'A', team: 'db' }, endsAtMs: T0 + 60 * M }]);
    await clock.advance(30 * S);
    await pipeline.applyConfig(
      config(
        BASE.replace(
          'repeat_interval: 10m',
          'repeat_interval: 10m\n  routes: [{ receiver: quiet, matchers: [team="db"] }]',
        ),
      ),
    );
    // The new group was created at 30 s for an alert that started at 0 s: not yet past group_wait, so it waits.
    await clock.advance(29 * S);
    expect(summary()).toHaveLength(1);
    await clock.advance(1 * S);
    expect(summary().map((x) => [x.at, x.receiver])).toEqual([
      [30, 'ops'],
      [60, 'quiet'],
    ]);
    expect(pipeline.alerts()[0]?.receivers).toEqual([{ name: 'quiet' }]);
    await pipeline.close();
  });
});

describe('NotificationPipeline API views and metrics', () => {
  it('lists alerts and groups in the Alertmanager API v2 shape', async () => {
    const { clock, pipeline, silencer } = setup();
    silencer.silences = [{ id: 's1', matchers: 'job="api"' }];
    pipeline.put([
      {
        labels: { alertname: 'HighLatency', instance: 'a:9090', job: 'api' },
        generatorURL: 'http://prom/graph',
      },
      { labels: { alertname: 'X', a: 'b' } },
      { labels: { alertname: 'Gone' }, endsAtMs: T0 - 1 },
    ]);
    await clock.advance(1 * S);
    const latency = {
      annotations: {},
      endsAt: '2026-03-04T10:05:00.000Z',
      fingerprint: '8392bc2beab615c5',
      receivers: [{ name: 'ops' }],
      startsAt: '2026-03-04T10:00:00.000Z',
      status: { state: 'suppressed', silencedBy: ['s1'], inhibitedBy: [] },
      updatedAt: '2026-03-04T10:00:00.000Z',
      generatorURL: 'http://prom/graph',
      labels: { alertname: 'HighLatency', instance: 'a:9090', job: 'api' },
    };
    const x = {
      annotations: {},
      endsAt: '2026-03-04T10:05:00.000Z',
      fingerprint: fingerprint({ alertname: 'X', a: 'b' }),
      receivers: [{ name: 'ops' }],
      startsAt: '2026-03-04T10:00:00.000Z',
      status: { state: 'active', silencedBy: [], inhibitedBy: [] },
      updatedAt: '2026-03-04T10:00:00.000Z',
      labels: { alertname: 'X', a: 'b' },
    };
    expect(pipeline.alerts()).toEqual([x, latency].sort((p, q) => (p.fingerprint < q.fingerprint ? -1 : 1)));
    expect(pipeline.alerts({ silenced: false })).toEqual([x]);
    expect(pipeline.alerts({ matchers: parseMatchers('job="api"') })).toEqual([latency]);
    expect(pipeline.alerts({ receiver: 'nobody' })).toEqual([]);
    expect(pipeline.alertGroups()).toEqual([
      { alerts: [latency], labels: { alertname: 'HighLatency' }, receiver: { name: 'ops' } },
      { alerts: [x], labels: { alertname: 'X' }, receiver: { name: 'ops' } },
    ]);
    await pipeline.close();
  });

  it('counts alerts, groups and notifications', async () => {
    const { clock, pipeline, registry } = setup();
    expect(
      pipeline.put([
        { labels: { alertname: 'A' } },
        { labels: {} },
        { labels: { alertname: 'B' }, endsAtMs: T0 },
      ]),
    ).toHaveLength(1);
    await clock.advance(30 * S);
    const values = Object.fromEntries(
      registry
        .collect()
        .flatMap((f) => f.samples)
        .map((s) => [`${s.name}{${s.labels.map((l) => `${l.name}=${l.value}`).join(',')}}`, s.value]),
    );
    expect(values).toMatchObject({
      'kanshi_notify_alerts_received_total{status=firing}': 1,
      'kanshi_notify_alerts_received_total{status=resolved}': 1,
      'kanshi_notify_alerts_invalid_total{}': 1,
      'kanshi_notify_notifications_total{receiver=ops}': 1,
      'kanshi_notify_alerts{state=active}': 1,
      'kanshi_notify_alerts{state=suppressed}': 0,
      'kanshi_notify_aggregation_groups{}': 2,
    });
    await pipeline.close();
  });

  it('stops sending after close', async () => {
    const { clock, pipeline, sent } = setup();
    pipeline.put([{ labels: { alertname: 'A' } }]);
    await pipeline.close();
    await clock.advance(10 * M);
    expect(sent).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});

describe('NotificationPipeline renotify', () => {
  const A = { alertname: 'A' };
  const fpA = fingerprint(A);

  it('sends an open alert once more at the next group_interval tick, then repeats from there', async () => {
    const { clock, pipeline, summary, registry } = setup();
    pipeline.put([{ labels: A, endsAtMs: T0 + 60 * M }]);
    await clock.advance(2 * M);
    expect(summary().map((x) => x.at)).toEqual([30]);
    expect(pipeline.renotify([fpA])).toBe(1);
    // Ticks are at 30 s + k × 1 m: the request at 120 s is sent at 150 s, not at once.
    await clock.advance(29 * S);
    expect(summary()).toHaveLength(1);
    await clock.advance(1 * S);
    expect(summary()[1]).toEqual({ at: 150, receiver: 'ops', status: 'firing', alerts: ['A:firing'] });
    // Once only; the 10 m repeat_interval now counts from 150 s (due after 750 s, next tick 810 s).
    await clock.advance(12 * M);
    expect(summary().map((x) => x.at)).toEqual([30, 150, 810]);
    const renotified = registry
      .collect()
      .flatMap((f) => f.samples)
      .filter((x) => x.name === 'kanshi_notify_renotifications_total');
    expect(renotified.map((x) => [x.labels, x.value])).toEqual([[[{ name: 'receiver', value: 'ops' }], 1]]);
    await pipeline.close();
  });

  it('re-sends only the groups holding the alerts asked for', async () => {
    const { clock, pipeline, summary } = setup();
    pipeline.put([
      { labels: A, endsAtMs: T0 + 60 * M },
      { labels: { alertname: 'B' }, endsAtMs: T0 + 60 * M },
    ]);
    await clock.advance(2 * M);
    expect(summary().map((x) => x.alerts)).toEqual([['A:firing'], ['B:firing']]);
    pipeline.renotify([fpA]);
    await clock.advance(3 * M);
    expect(summary().map((x) => [x.at, x.alerts])).toEqual([
      [30, ['A:firing']],
      [30, ['B:firing']],
      [150, ['A:firing']],
    ]);
    await pipeline.close();
  });

  it('sends the whole group of the alert, as every notification', async () => {
    const { clock, pipeline, summary } = setup();
    pipeline.put([
      { labels: { alertname: 'A', i: '1' }, endsAtMs: T0 + 60 * M },
      { labels: { alertname: 'A', i: '2' }, endsAtMs: T0 + 60 * M },
    ]);
    await clock.advance(2 * M);
    pipeline.renotify([fingerprint({ alertname: 'A', i: '2' })]);
    await clock.advance(1 * M);
    expect(summary().map((x) => [x.at, x.alerts])).toEqual([
      [30, ['A1:firing', 'A2:firing']],
      [150, ['A1:firing', 'A2:firing']],
    ]);
    await pipeline.close();
  });

  const muted: {
    name: string;
    yaml?: string;
    silences?: FakeSilencer['silences'];
    put?: { labels: LabelSet; endsAtMs?: number }[];
  }[] = [
    { name: 'silenced', silences: [{ id: 's1', matchers: 'i="1"' }] },
    { name: 'in maintenance', silences: [{ id: 'mw1', matchers: 'i="1"', maintenance: true }] },
    {
      name: 'inhibited',
      yaml: `${BASE}
inhibit_rules:
  - { source_matchers: [severity="critical"], target_matchers: [i="1"] }
`,
      put: [{ labels: { alertname: 'C', severity: 'critical' }, endsAtMs: T0 + 60 * M }],
    },
    { name: 'resolved', put: [{ labels: { alertname: 'A', i: '1' }, endsAtMs: T0 + 100 * S }] },
  ];
  for (const c of muted) {
    it(`sends nothing for an alert ${c.name} by the flush, and drops the request`, async () => {
      const { clock, pipeline, silencer, summary } = setup(c.yaml);
      pipeline.put([
        { labels: { alertname: 'A', i: '1' }, endsAtMs: T0 + 60 * M },
        { labels: { alertname: 'A', i: '2' }, endsAtMs: T0 + 60 * M },
      ]);
      await clock.advance(90 * S);
      expect(summary().filter((x) => x.alerts[0]?.startsWith('A'))).toHaveLength(1);
      const before = summary().length;
      silencer.silences = c.silences ?? [];
      if (c.put !== undefined) pipeline.put(c.put);
      expect(pipeline.renotify([fingerprint({ alertname: 'A', i: '1' })])).toBe(1);
      await clock.advance(1 * M);
      // The group (A2 still firing, unmuted) is not re-sent for A1's sake.
      expect(
        summary()
          .slice(before)
          .filter((x) => x.alerts.some((a) => a.startsWith('A'))),
      ).toEqual(
        c.name === 'resolved'
          ? // send_resolved: the resolution itself is news, but not a re-notification of A1.
            [{ at: 150, receiver: 'ops', status: 'firing', alerts: ['A1:resolved', 'A2:firing'] }]
          : [],
      );
      // The request is not kept for when the mute ends.
      silencer.silences = [];
      await clock.advance(2 * M);
      expect(
        summary()
          .slice(before)
          .filter((x) => x.alerts.some((a) => a.startsWith('A'))),
      ).toHaveLength(c.name === 'resolved' ? 1 : 0);
      await pipeline.close();
    });
  }

  it('ignores fingerprints no group holds', async () => {
    const { clock, pipeline, sent } = setup();
    pipeline.put([{ labels: A, endsAtMs: T0 + 60 * M }]);
    await clock.advance(2 * M);
    expect(pipeline.renotify([fingerprint({ alertname: 'Other' })])).toBe(0);
    await clock.advance(3 * M);
    expect(sent).toHaveLength(1);
    await pipeline.close();
  });

  it('keeps a request not yet flushed across applyConfig', async () => {
    const { clock, pipeline, summary } = setup();
    pipeline.put([{ labels: A, endsAtMs: T0 + 60 * M }]);
    await clock.advance(2 * M);
    expect(pipeline.renotify([fpA])).toBe(1);
    await pipeline.applyConfig(config(BASE));
    // The new group was created at 120 s for an alert starting at its endsAt (it was put without
    // startsAt): it waits group_wait, then re-sends what the log already has.
    await clock.advance(29 * S);
    expect(summary()).toHaveLength(1);
    await clock.advance(1 * S);
    expect(summary().map((x) => [x.at, x.alerts])).toEqual([
      [30, ['A:firing']],
      [150, ['A:firing']],
    ]);
    await clock.advance(5 * M);
    expect(summary()).toHaveLength(2);
    await pipeline.close();
  });

  it('retries the request at the next tick when the delivery queue refused the notification', async () => {
    const clock = new FakeClock(T0);
    let isRefusing = false;
    const sent: Notification[] = [];
    const pipeline = new NotificationPipeline({
      config: config(BASE),
      silencer: new FakeSilencer(),
      sink: {
        enqueue: (x) => {
          if (isRefusing) throw new Error('disk full');
          sent.push(x);
        },
      },
      clock,
      logger: nullLogger,
    });
    pipeline.put([{ labels: A, endsAtMs: T0 + 60 * M }]);
    await clock.advance(2 * M);
    pipeline.renotify([fpA]);
    isRefusing = true;
    await clock.advance(1 * M);
    isRefusing = false;
    await clock.advance(1 * M);
    expect(sent.map((x) => (x.createdAtMs - T0) / S)).toEqual([30, 210]);
    await pipeline.close();
  });
});

describe('NotificationPipeline restart', () => {
  it('does not notify again after a restart what the saved notification log already has', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kanshi-pipeline-'));
    try {
      const notificationLogPath = join(dir, 'nflog.json');
      const clock = new FakeClock(T0);
      const sent: Notification[] = [];
      const open = () =>
        NotificationPipeline.open({
          config: config(BASE),
          silencer: new FakeSilencer(),
          sink: { enqueue: (x) => sent.push(x) },
          clock,
          logger: nullLogger,
          notificationLogPath,
        });
      const first = await open();
      first.put([{ labels: { alertname: 'A' }, startsAtMs: T0 }]);
      await clock.advance(30 * S);
      expect(sent).toHaveLength(1);
      await first.close();

      // The producer re-sends the same alert after the restart; a new alert (its own group) still goes out.
      await clock.advance(2 * M);
      const second = await open();
      second.put([{ labels: { alertname: 'A' }, startsAtMs: T0 }]);
      await clock.advance(1 * M);
      expect(sent).toHaveLength(1);
      second.put([{ labels: { alertname: 'B' }, startsAtMs: T0 }]);
      await clock.advance(1 * S);
      expect(sent.map((n) => [(n.createdAtMs - T0) / S, n.alerts.map((a) => a.labels['alertname'])])).toEqual(
        [
          [30, ['A']],
          [210, ['B']],
        ],
      );
      await second.close();

      // Without the saved log the restarted pipeline would have sent A again.
      const third = new NotificationPipeline({
        config: config(BASE),
        silencer: new FakeSilencer(),
        sink: { enqueue: (x) => sent.push(x) },
        clock,
        logger: nullLogger,
      });
      third.put([{ labels: { alertname: 'A' }, startsAtMs: T0 }]);
      await clock.advance(1 * S);
      expect(sent).toHaveLength(3);
      await third.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
