import { describe, expect, it } from 'vitest';
import { en } from '../i18n/en.js';
import {
  expandQuery,
  mackerelPatternRegex,
  perfdataGraphs,
  pluginGraphs,
  pluginLineLabel,
  promString,
  USE_PANELS,
} from './host-panels.js';

describe('USE_PANELS', () => {
  it('uses only $host and $rate as variables, and every panel has a title string', () => {
    for (const p of USE_PANELS) {
      expect(en[p.title]).toBeTruthy();
      for (const q of p.queries) {
        const rest = expandQuery(q.expr, { host: 'h', rateWindow: '1m' });
        expect(rest, q.expr).not.toContain('$');
        expect(rest).toContain('instance="h"');
      }
    }
  });
});

describe('expandQuery', () => {
  it('quotes the host as a PromQL string and fills the rate window', () => {
    expect(expandQuery('rate(x{instance="$host"}[$rate])', { host: 'a"b\\c', rateWindow: '75s' })).toBe(
      'rate(x{instance="a\\"b\\\\c"}[75s])',
    );
  });
  it.each([
    ['web-1', '"web-1"'],
    ['a\nb', '"a\\nb"'],
  ])('promString(%j) = %s', (s, want) => {
    expect(promString(s)).toBe(want);
  });
});

const info = (graph: string, line: Record<string, string>): Record<string, string> => ({
  __name__: 'kanshi_plugin_graph_info',
  instance: 'web-1',
  job: 'kanshi',
  plugin: 'disk',
  graph,
  graph_label: graph === 'custom.disk.#' ? 'Disk usage' : 'Uptime',
  unit: 'bytes',
  scale: '1',
  stacked: 'false',
  ...line,
});

describe('pluginGraphs', () => {
  const infos = [
    // Printed out of order: the graph and line order come from `order`.
    info('custom.uptime', {
      metric: 'custom_uptime_seconds',
      pattern: 'custom.uptime.seconds',
      metric_label: 'Seconds',
      unit: 'percent',
      scale: '0.01',
      order: '1.0',
    }),
    info('custom.disk.#', {
      metric: 'custom_disk_free',
      pattern: 'custom.disk.#.free',
      metric_label: 'Free (%1)',
      stacked: 'true',
      order: '0.1',
    }),
    info('custom.disk.#', {
      metric: 'custom_disk_used',
      pattern: 'custom.disk.#.used',
      metric_label: 'Used (%1)',
      stacked: 'true',
      order: '0.0',
    }),
  ];
  const series = [
    { __name__: 'custom_disk_used', plugin: 'disk', mackerel_name: 'custom.disk.sda.used', disk: 'sda' },
    { __name__: 'custom_uptime_seconds', plugin: 'disk', mackerel_name: 'custom.uptime.seconds' },
    { __name__: 'custom_dice_d6', plugin: 'dice', mackerel_name: 'custom.dice.d6' },
    { __name__: 'custom_dice_d20', plugin: 'dice', mackerel_name: 'custom.dice.d20' },
  ];
  const graphs = pluginGraphs('web-1', infos, series, (p, g) => `${p}: ${g}`);

  it('draws each defined graph as defined: title, unit, scale, stacking, line order', () => {
    expect(graphs.map((g) => [g.title, g.unit, g.stacked, g.queries.length])).toEqual([
      ['Disk usage', 'bytes', true, 2],
      ['Uptime', 'percent', false, 1],
      ['dice: custom.dice', 'short', false, 1],
    ]);
    expect(graphs[0]?.queries.map((q) => q.expr)).toEqual([
      'custom_disk_used{instance="web-1",plugin="disk",mackerel_name=~"custom\\\\.disk\\\\.[-a-zA-Z0-9_]+\\\\.used"}',
      'custom_disk_free{instance="web-1",plugin="disk",mackerel_name=~"custom\\\\.disk\\\\.[-a-zA-Z0-9_]+\\\\.free"}',
    ]);
    expect(graphs[1]?.queries[0]?.expr).toBe(
      'custom_uptime_seconds{instance="web-1",plugin="disk",mackerel_name=~"custom\\\\.uptime\\\\.seconds"} * 0.01',
    );
  });

  it('labels lines with their wildcard values', () => {
    expect(graphs[0]?.queries[0]?.legend({ mackerel_name: 'custom.disk.sdb.used' })).toBe('Used (sdb)');
  });

  it('groups series without a definition by plugin and name prefix, legend the last segment', () => {
    const dice = graphs[2];
    expect(dice?.queries[0]?.expr).toBe(
      '{__name__=~"custom_.+",instance="web-1",plugin="dice",mackerel_name=~"custom\\\\.dice\\\\.[-a-zA-Z0-9_]+"}',
    );
    expect(dice?.queries[0]?.legend({ mackerel_name: 'custom.dice.d20' })).toBe('d20');
  });

  it.each([
    ['custom.disk.#.used', 'custom.disk.sda.used', true],
    ['custom.disk.#.used', 'custom.disk.sda.sdb.used', false],
    ['custom.a.*', 'custom.a.b-c_1', true],
    ['custom.x.y', 'custom.xzy', false],
  ])('pattern %s matches %s: %s', (pattern, name, want) => {
    expect(new RegExp(`^(?:${mackerelPatternRegex(pattern)})$`).test(name)).toBe(want);
  });

  it('fills %n and keeps a placeholder without a value', () => {
    expect(pluginLineLabel('%1 on %2 (%3)', 'custom.#.*.x', 'custom.a.b.x')).toBe('a on b (%3)');
  });
});

describe('perfdataGraphs', () => {
  it('draws one graph per check and unit, percent as a ratio', () => {
    const groups = perfdataGraphs(
      'web-1',
      [
        { check: 'http', label: 'time', unit: 'seconds' },
        { check: 'http', label: 'size', unit: 'bytes' },
        { check: 'disk', label: '/', unit: 'percent' },
        { check: 'disk', label: 'inodes' },
      ],
      (c, u) => `${c} ${u}`,
    );
    expect(groups.map((g) => [g.check, g.graphs.map((x) => [x.title, x.unit])])).toEqual([
      [
        'disk',
        [
          ['disk –', 'short'],
          ['disk percent', 'percent'],
        ],
      ],
      [
        'http',
        [
          ['http bytes', 'bytes'],
          ['http seconds', 'seconds'],
        ],
      ],
    ]);
    expect(groups[0]?.graphs[1]?.queries[0]?.expr).toBe(
      'kanshi_check_perfdata{instance="web-1",check="disk",unit="percent"} * 0.01',
    );
    expect(groups[0]?.graphs[0]?.queries[0]?.expr).toBe(
      'kanshi_check_perfdata{instance="web-1",check="disk",unit=""}',
    );
  });
});
