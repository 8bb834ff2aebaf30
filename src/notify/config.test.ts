import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYamlConfig } from '../config/load-yaml.js';
import { notificationsConfig, receiverGlobals, receiverSendsResolved } from './config.js';

const testdata = join(import.meta.dirname, 'testdata');

function parse(text: string) {
  return parseYamlConfig(text, 'am.yml', notificationsConfig);
}

/** testdata/alertmanager-full.yml, parsed: every section Alertmanager has. */
function parseFull() {
  return parse(readFileSync(join(testdata, 'alertmanager-full.yml'), 'utf8'));
}

describe('notificationsConfig', () => {
  it('reads an alertmanager.yml with every section', () => {
    const { config, diagnostics } = parseFull();
    expect(diagnostics).toEqual([]);
    if (config === undefined) throw new Error('no config');
    expect(config.global.resolve_timeout).toBe(120_000);
    expect(config.global.smtp_smarthost).toBe('localhost:25');
    expect(config.templates).toEqual(['templates/*.tmpl']);
    expect(config.receivers.map((r) => r.name)).toEqual([
      'team-X-mails',
      'team-X-pager',
      'team-Y-mails',
      'team-Y-pager',
      'team-DB-pager',
      'null-receiver',
    ]);
    const root = config.route;
    expect(root).toMatchObject({
      receiver: 'team-X-mails',
      groupBy: ['alertname', 'cluster', 'service'],
      groupByAll: false,
      groupWaitMs: 30_000,
      groupIntervalMs: 300_000,
      repeatIntervalMs: 10_800_000,
      matchers: [],
    });
    expect(root.routes[0]!.matchers).toEqual([{ type: '=~', name: 'service', value: 'foo1|foo2|baz' }]);
    expect(root.routes[0]!.groupBy).toBeUndefined();
    expect(root.routes[1]!.matchers).toEqual([{ type: '=', name: 'service', value: 'files' }]);
    expect(root.routes[2]!.matchers).toEqual([{ type: '=~', name: 'service', value: '^(?:^database.*)$' }]);
    expect(root.routes[2]!.muteTimeIntervals).toEqual(['offhours']);
    expect(root.routes[2]!.routes[0]!.continue).toBe(true);
    expect(root.routes[2]!.routes[1]!.activeTimeIntervals).toEqual(['business-hours']);
    // One matchers string may hold several matchers; they are sorted by name.
    expect(root.routes[3]!.matchers).toEqual([
      { type: '=', name: 'env', value: 'dev' },
      { type: '!~', name: 'team', value: 'ops|sre' },
    ]);
    expect(root.routes[3]!.groupByAll).toBe(true);
    expect(root.routes[3]!.groupWaitMs).toBe(0);
    expect(config.inhibitRules).toEqual([
      {
        sourceMatchers: [{ type: '=', name: 'severity', value: 'critical' }],
        targetMatchers: [{ type: '=', name: 'severity', value: 'warning' }],
        equal: ['alertname', 'cluster', 'service'],
      },
      {
        sourceMatchers: [{ type: '=', name: 'alertname', value: 'NodeDown' }],
        targetMatchers: [{ type: '=~', name: 'alertname', value: '^(?:Node.+)$' }],
        equal: ['instance'],
      },
    ]);
    expect(Object.keys(config.timeIntervals).sort()).toEqual(['business-hours', 'offhours']);
    expect(config.timeIntervals['offhours']).toHaveLength(2);
    expect(config.timeIntervals['business-hours']![0]).toEqual({
      weekdays: [{ begin: 1, end: 5 }],
      times: [{ startMinute: 540, endMinute: 1020 }],
      location: 'Asia/Tokyo',
    });
  });

  it('applies Alertmanager defaults to a minimal file', () => {
    const { config, diagnostics } = parse('route: { receiver: ops }\nreceivers: [{ name: ops }]\n');
    expect(diagnostics).toEqual([]);
    expect(config?.global.resolve_timeout).toBe(300_000);
    expect(config?.route).toEqual({
      receiver: 'ops',
      groupByAll: false,
      matchers: [],
      continue: false,
      muteTimeIntervals: [],
      activeTimeIntervals: [],
      routes: [],
    });
    expect(config?.inhibitRules).toEqual([]);
  });

  /** An alertmanager.yml with `route`, one receiver `a`, and `rest` after them. */
  const am = (route: string, rest = ''): string => `route: ${route}\nreceivers: [{ name: a }]${rest}`;
  // Each diagnostic wanted as [path, message].
  const errors: { name: string; yaml: string; want: [string, string][] }[] = [
    { name: 'no route', yaml: 'receivers: [{ name: a }]', want: [['route', 'no routes provided']] },
    {
      name: 'root without receiver',
      yaml: am('{ group_by: [a] }'),
      want: [['route.receiver', 'root route must specify a default receiver']],
    },
    {
      name: 'root with matchers',
      yaml: am('{ receiver: a, matchers: [x="1"] }'),
      want: [['route', 'root route must not have any matchers']],
    },
    {
      name: 'root with legacy match',
      yaml: am('{ receiver: a, match: { x: "1" } }'),
      want: [['route', 'root route must not have any matchers']],
    },
    {
      name: 'root with mute time intervals',
      yaml: am('{ receiver: a, mute_time_intervals: [t] }', '\ntime_intervals: [{ name: t }]'),
      want: [['route.mute_time_intervals', 'root route must not have any mute time intervals']],
    },
    {
      name: 'unknown receiver in a nested route',
      yaml: am('{ receiver: a, routes: [{ routes: [{ receiver: b }] }] }'),
      want: [['route.routes[0].routes[0].receiver', 'undefined receiver "b" used in route']],
    },
    {
      name: 'unknown time interval',
      yaml: am('{ receiver: a, routes: [{ active_time_intervals: [x] }] }'),
      want: [['route.routes[0].active_time_intervals[0]', 'undefined time interval "x" used in route']],
    },
    {
      name: 'duplicate receiver',
      yaml: 'route: { receiver: a }\nreceivers: [{ name: a }, { name: a }]',
      want: [['receivers[1].name', 'notification config name "a" is not unique']],
    },
    {
      name: 'duplicate time interval across both keys',
      yaml: am('{ receiver: a }', '\nmute_time_intervals: [{ name: t }]\ntime_intervals: [{ name: t }]'),
      want: [['time_intervals[0].name', 'time interval "t" is not unique']],
    },
    {
      name: 'group_by with ... and labels',
      yaml: am('{ receiver: a, group_by: [..., x] }'),
      want: [['route.group_by', 'cannot have wildcard group_by (`...`) and other labels at the same time']],
    },
    {
      name: 'duplicate group_by label',
      yaml: am('{ receiver: a, group_by: [x, x] }'),
      want: [['route.group_by[1]', 'duplicated label "x" in group_by']],
    },
    {
      name: 'zero group_interval',
      yaml: am('{ receiver: a, routes: [{ group_interval: 0s }] }'),
      want: [['route.routes[0].group_interval', 'group_interval cannot be zero']],
    },
    {
      name: 'bad matcher',
      yaml: am('{ receiver: a, routes: [{ matchers: [ok="1", "bad"] }] }'),
      want: [['route.routes[0].matchers[1]', 'bad matcher format: bad']],
    },
    {
      name: 'bad match_re',
      yaml: am('{ receiver: a, routes: [{ match_re: { x: "(" } }] }'),
      want: [['route.routes[0].match_re.x', 'invalid regular expression "("']],
    },
    {
      name: 'bad inhibit rule',
      yaml: am('{ receiver: a }', '\ninhibit_rules: [{ source_matchers: ["x"], equal: ["a-b"] }]'),
      want: [
        ['inhibit_rules[0].source_matchers[0]', 'bad matcher format: x'],
        ['inhibit_rules[0].equal[0]', 'invalid label name "a-b"'],
      ],
    },
    {
      name: 'unknown key',
      yaml: am('{ receiver: a, recevier: b }'),
      want: [['route.recevier', 'unknown key "recevier"']],
    },
    {
      name: 'bad time interval',
      yaml: am(
        '{ receiver: a }',
        '\ntime_intervals: [{ name: t, time_intervals: [{ weekdays: [friday:monday] }] }]',
      ),
      want: [
        [
          'time_intervals[0].time_intervals[0].weekdays[0]',
          'start day cannot be before end day: friday:monday',
        ],
      ],
    },
  ];
  for (const c of errors) {
    it(`reports ${c.name}`, () => {
      const { config, diagnostics } = parse(c.yaml);
      expect(config).toBeUndefined();
      expect(diagnostics.map((d) => [d.path, d.message])).toEqual(c.want);
    });
  }
});

describe('receiverSendsResolved', () => {
  it('follows send_resolved and the per-integration defaults', () => {
    const { config } = parseFull();
    const byName = Object.fromEntries(
      (config?.receivers ?? []).map((r) => [r.name, receiverSendsResolved(r)]),
    );
    expect(byName).toEqual({
      'team-X-mails': false,
      'team-X-pager': true,
      'team-Y-mails': false,
      'team-Y-pager': true,
      'team-DB-pager': false,
      'null-receiver': false,
    });
  });
});

describe('receiverGlobals', () => {
  it('hands the set receiver defaults of global: to the integrations', () => {
    const { config } = parseFull();
    expect(receiverGlobals(config!.global)).toEqual({
      smtp_smarthost: 'localhost:25',
      smtp_from: 'alertmanager@example.org',
      smtp_auth_username: 'alertmanager',
      smtp_auth_password: 'password',
      slack_api_url: 'http://127.0.0.1:9/slack',
    });
  });
});
