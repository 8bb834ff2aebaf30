import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYamlConfig } from '../config/load-yaml.js';
import { notificationsConfig } from './config.js';
import { buildRouteTree, groupKeyFor, groupLabelsFor, type Route } from './route.js';

function tree(yaml: string): Route {
  const { config, diagnostics } = parseYamlConfig(yaml, 'am.yml', notificationsConfig);
  if (config === undefined) throw new Error(JSON.stringify(diagnostics));
  return buildRouteTree(config.route);
}

const full = tree(readFileSync(join(import.meta.dirname, 'testdata', 'alertmanager-full.yml'), 'utf8'));

describe('Route.match', () => {
  const cases: { labels: Record<string, string>; want: { receiver: string; id: string }[] }[] = [
    { labels: { alertname: 'X' }, want: [{ receiver: 'team-X-mails', id: '{}' }] },
    {
      labels: { service: 'foo1' },
      want: [{ receiver: 'team-X-mails', id: '{}/{service=~"foo1|foo2|baz"}/0' }],
    },
    {
      labels: { service: 'foo2', severity: 'critical' },
      want: [{ receiver: 'team-X-pager', id: '{}/{service=~"foo1|foo2|baz"}/{severity="critical"}/0' }],
    },
    // Anchored: "foo10" does not match foo1|foo2|baz.
    { labels: { service: 'foo10' }, want: [{ receiver: 'team-X-mails', id: '{}' }] },
    {
      labels: { service: 'files', severity: 'critical' },
      want: [{ receiver: 'team-Y-pager', id: '{}/{service="files"}/{severity="critical"}/0' }],
    },
    // continue: true on the first child lets the second one match too.
    {
      labels: { service: 'database-main', owner: 'team-X' },
      want: [{ receiver: 'team-X-pager', id: '{}/{service=~"^(?:^database.*)$"}/{owner="team-X"}/0' }],
    },
    {
      labels: { service: 'database-main', owner: 'team-Y' },
      want: [{ receiver: 'team-Y-pager', id: '{}/{service=~"^(?:^database.*)$"}/{owner="team-Y"}/1' }],
    },
    {
      labels: { service: 'database-main', owner: 'nobody' },
      want: [{ receiver: 'team-DB-pager', id: '{}/{service=~"^(?:^database.*)$"}/2' }],
    },
    {
      labels: { env: 'dev', team: 'web' },
      want: [{ receiver: 'null-receiver', id: '{}/{env="dev",team!~"ops|sre"}/3' }],
    },
    { labels: { env: 'dev', team: 'ops' }, want: [{ receiver: 'team-X-mails', id: '{}' }] },
  ];
  for (const c of cases) {
    it(`routes ${JSON.stringify(c.labels)}`, () => {
      expect(full.match(c.labels).map((r) => ({ receiver: r.opts.receiver, id: r.id() }))).toEqual(c.want);
    });
  }

  it('continues to later siblings only from a route with continue: true', () => {
    const t = tree(`
route:
  receiver: default
  routes:
    - { receiver: a, matchers: [team="x"], continue: true }
    - { receiver: b, matchers: [team="x"] }
    - { receiver: c, matchers: [team="x"] }
receivers: [{ name: default }, { name: a }, { name: b }, { name: c }]
`);
    expect(t.match({ team: 'x' }).map((r) => r.opts.receiver)).toEqual(['a', 'b']);
  });
});

describe('Route options', () => {
  it('inherits receiver, group_by and timers, but not time intervals', () => {
    const db = full.routes[2]!;
    expect(db.opts).toEqual({
      receiver: 'team-DB-pager',
      groupBy: ['alertname', 'cluster', 'database'],
      groupByAll: false,
      groupWaitMs: 30_000,
      groupIntervalMs: 300_000,
      repeatIntervalMs: 10_800_000,
      muteTimeIntervals: ['offhours'],
      activeTimeIntervals: [],
    });
    expect(db.routes[0]!.opts).toMatchObject({
      groupBy: ['alertname', 'cluster', 'database'],
      muteTimeIntervals: [],
    });
    expect(full.routes[3]!.opts).toMatchObject({
      groupByAll: true,
      groupWaitMs: 0,
      repeatIntervalMs: 3_600_000,
    });
  });

  it('uses Alertmanager defaults at the root', () => {
    const t = tree('route: { receiver: r }\nreceivers: [{ name: r }]');
    expect(t.opts).toMatchObject({
      groupWaitMs: 30_000,
      groupIntervalMs: 300_000,
      repeatIntervalMs: 14_400_000,
      groupBy: [],
    });
  });
});

describe('group labels and keys', () => {
  it('forms the group key from the route key and the group labels', () => {
    const [r] = full.match({
      service: 'files',
      severity: 'critical',
      alertname: 'Disk',
      cluster: 'eu',
      x: '1',
    });
    const gl = groupLabelsFor(
      { service: 'files', severity: 'critical', alertname: 'Disk', cluster: 'eu', x: '1' },
      r!,
    );
    expect(gl).toEqual({ alertname: 'Disk', cluster: 'eu', service: 'files' });
    expect(groupKeyFor(r!, gl)).toBe(
      '{}/{service="files"}/{severity="critical"}:{alertname="Disk", cluster="eu", service="files"}',
    );
  });
  it('groups by every label with ...', () => {
    const [r] = full.match({ env: 'dev', b: '2' });
    expect(groupLabelsFor({ env: 'dev', b: '2' }, r!)).toEqual({ env: 'dev', b: '2' });
  });
  it('leaves out group_by labels the alert lacks', () => {
    expect(groupKeyFor(full, groupLabelsFor({ alertname: 'A' }, full))).toBe('{}:{alertname="A"}');
  });
});
