import { describe, expect, it } from 'vitest';
import { fingerprint } from './label-set.js';
import { Inhibitor } from './inhibit.js';
import { parseMatchers } from './matchers.js';
import type { StoredAlert } from './alert-store.js';

const NOW = 1_800_000_000_000;

function alert(labels: Record<string, string>, endsAtMs = NOW + 60_000): StoredAlert {
  return {
    fingerprint: fingerprint(labels),
    labels,
    annotations: {},
    startsAtMs: NOW - 1000,
    endsAtMs,
    generatorURL: '',
    updatedAtMs: NOW,
    timeout: true,
  };
}

function inhibitor(source: string, target: string, equal: string[], sources: StoredAlert[]): Inhibitor {
  const ih = new Inhibitor([
    { sourceMatchers: parseMatchers(source), targetMatchers: parseMatchers(target), equal },
  ]);
  for (const s of sources) ih.observe(s);
  return ih;
}

describe('Inhibitor', () => {
  const crit = alert({ alertname: 'A', severity: 'critical', cluster: 'eu' });
  const cases: {
    name: string;
    source: string;
    target: string;
    equal: string[];
    sources: StoredAlert[];
    labels: Record<string, string>;
    want: string[];
  }[] = [
    {
      name: 'a firing source with equal labels inhibits the target',
      source: 'severity="critical"',
      target: 'severity="warning"',
      equal: ['alertname', 'cluster'],
      sources: [crit],
      labels: { alertname: 'A', severity: 'warning', cluster: 'eu' },
      want: [crit.fingerprint],
    },
    {
      name: 'different equal label does not inhibit',
      source: 'severity="critical"',
      target: 'severity="warning"',
      equal: ['alertname', 'cluster'],
      sources: [crit],
      labels: { alertname: 'A', severity: 'warning', cluster: 'us' },
      want: [],
    },
    {
      name: 'absent equal label on both sides counts as equal',
      source: 'severity="critical"',
      target: 'severity="warning"',
      equal: ['zone'],
      sources: [crit],
      labels: { alertname: 'B', severity: 'warning' },
      want: [crit.fingerprint],
    },
    {
      name: 'a resolved source does not inhibit',
      source: 'severity="critical"',
      target: 'severity="warning"',
      equal: [],
      sources: [alert({ severity: 'critical' }, NOW - 1)],
      labels: { severity: 'warning' },
      want: [],
    },
    {
      name: 'target matchers must match',
      source: 'severity="critical"',
      target: 'severity="warning"',
      equal: [],
      sources: [crit],
      labels: { severity: 'info' },
      want: [],
    },
    {
      name: 'an alert matching both sides does not inhibit itself',
      source: 'alertname=~"Node.*"',
      target: 'alertname=~"Node.*"',
      equal: ['instance'],
      sources: [alert({ alertname: 'NodeDown', instance: 'h1' })],
      labels: { alertname: 'NodeDown', instance: 'h1' },
      want: [],
    },
    {
      name: 'two alerts on both sides do not mute each other',
      source: 'alertname=~"Node.*"',
      target: 'alertname=~"Node.*"',
      equal: ['instance'],
      sources: [
        alert({ alertname: 'NodeDown', instance: 'h1' }),
        alert({ alertname: 'NodeLoad', instance: 'h1' }),
      ],
      labels: { alertname: 'NodeLoad', instance: 'h1' },
      want: [],
    },
    {
      name: 'a source-only alert still inhibits a two-sided target',
      source: 'alertname=~"Node.*"',
      target: 'alertname=~"Node(Load|Disk)"',
      equal: ['instance'],
      sources: [alert({ alertname: 'NodeDown', instance: 'h1' })],
      labels: { alertname: 'NodeLoad', instance: 'h1' },
      want: [alert({ alertname: 'NodeDown', instance: 'h1' }).fingerprint],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(inhibitor(c.source, c.target, c.equal, c.sources).inhibitedBy(c.labels, NOW)).toEqual(c.want);
    });
  }

  it('follows updates and deletions of source alerts', () => {
    const ih = inhibitor('severity="critical"', 'severity="warning"', [], [crit]);
    expect(ih.inhibitedBy({ severity: 'warning' }, NOW)).toHaveLength(1);
    ih.forget(crit.fingerprint);
    expect(ih.inhibitedBy({ severity: 'warning' }, NOW)).toEqual([]);
    ih.observe(crit);
    ih.observe({ ...crit, endsAtMs: NOW - 1 });
    expect(ih.inhibitedBy({ severity: 'warning' }, NOW)).toEqual([]);
  });
});
