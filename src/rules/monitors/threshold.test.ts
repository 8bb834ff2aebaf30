import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../config/load-yaml.js';
import { parseRuleFile } from '../rule-file.js';
import { runRuleUnitTests } from '../unit-test.js';
import {
  checkThresholdFile,
  compileThresholds,
  formatRuleFile,
  thresholdMonitorSchema,
  thresholdValueExpr,
  watchdogGroup,
} from './threshold.js';

const dir = new URL('./testdata/', import.meta.url);
const read = (p: string): Promise<string> => readFile(new URL(p, dir), 'utf8');

const base = { name: 'X', metric: 'm', operator: '>', warning: 1 };

describe('thresholdValueExpr', () => {
  it.each([
    [{}, 'm'],
    [
      { metric: 'node_filesystem_avail_bytes{mountpoint="/"}' },
      'node_filesystem_avail_bytes{mountpoint="/"}',
    ],
    [{ function: 'avg', window: '5m' }, 'avg_over_time(m[5m])'],
    [{ function: 'max', window: '90s' }, 'max_over_time(m[1m30s])'],
    [{ function: 'min', window: '1h' }, 'min_over_time(m[1h])'],
    [{ function: 'rate', window: '5m' }, 'rate(m[5m])'],
    [{ percent_of: 'n' }, '(100 * m / n)'],
    [{ function: 'rate', window: '5m', percent_of: 'n' }, '(100 * rate(m[5m]) / rate(n[5m]))'],
  ])('%o → %s', (over, want) => {
    expect(thresholdValueExpr(thresholdMonitorSchema.parse({ ...base, ...over }))).toBe(want);
  });
});

describe('thresholdMonitorSchema', () => {
  it.each([
    [{ name: 'disk full' }, 'name: must be a name like RootDiskFull'],
    [{ metric: 'rate(m[5m])' }, 'metric: not a metric selector'],
    [{ metric: 'm{' }, 'metric: not a metric selector'],
    [{ percent_of: 'sum(n)' }, 'percent_of: not a metric selector'],
    [{ function: 'avg' }, 'window: function avg needs a window > 0, e.g. window: 5m'],
    [{ window: '5m' }, 'window: window is only used with function avg, max, min or rate'],
    [{ window: 'five' }, 'window: not a valid duration string: "five"'],
    [{ warning: undefined }, 'warning: set warning, critical or both'],
    [{ warning: 10, critical: 5 }, 'critical: critical 5 must be at or above warning 10 with operator >'],
    [
      { operator: '<', warning: 10, critical: 20 },
      'critical: critical 20 must be at or below warning 10 with operator <',
    ],
    [{ operator: '!=' }, 'operator:'],
    [{ labels: { severity: 'page' } }, 'labels.severity: label severity is set by the monitor'],
    [{ labels: { 'a-b': 'x' } }, 'labels.a-b: invalid label name: a-b'],
    [{ annotations: { summary: '{{ $value' } }, 'annotations.summary: annotation "summary"'],
    [{ inhibit_equal: ['ok', 'not ok'] }, 'inhibit_equal.1: invalid label name: not ok'],
    [{ threshold: 3 }, 'Unrecognized key: "threshold"'],
  ])('%o is rejected: %s', (over, want) => {
    const r = thresholdMonitorSchema.safeParse({ ...base, ...over });
    expect(r.success).toBe(false);
    const messages = (r.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages.join('\n')).toContain(want);
  });

  it('fills defaults', () => {
    expect(thresholdMonitorSchema.parse(base)).toEqual({
      ...base,
      function: 'last',
      for: 0,
      labels: {},
      annotations: {},
      inhibit_equal: ['instance', 'job'],
    });
  });
});

describe('compileThresholds', () => {
  it('makes one rule per level with severity labels, and an inhibit rule when both are set', () => {
    const m = thresholdMonitorSchema.parse({
      name: 'RootDiskFree',
      metric: 'node_filesystem_avail_bytes{mountpoint="/"}',
      percent_of: 'node_filesystem_size_bytes{mountpoint="/"}',
      operator: '<',
      warning: 20,
      critical: 10,
      for: '5m',
      labels: { team: 'infra' },
      annotations: { runbook_url: 'https://wiki/disk' },
    });
    const c = compileThresholds([m], { intervalMs: 30_000 });
    expect(c.groups).toHaveLength(1);
    expect(c.groups[0]).toMatchObject({ name: 'kanshi-thresholds', file: 'kanshi.yml', intervalMs: 30_000 });
    const expr =
      '(100 * node_filesystem_avail_bytes{mountpoint="/"} / node_filesystem_size_bytes{mountpoint="/"})';
    expect(c.groups[0]!.rules).toEqual([
      {
        alert: 'RootDiskFree',
        expr: `${expr} < 20`,
        forMs: 300_000,
        keepFiringForMs: 0,
        labels: { team: 'infra', severity: 'warning' },
        annotations: {
          summary: 'RootDiskFree: {{ $value | humanize }} < 20 (warning)',
          threshold: '20',
          runbook_url: 'https://wiki/disk',
        },
      },
      {
        alert: 'RootDiskFree',
        expr: `${expr} < 10`,
        forMs: 300_000,
        keepFiringForMs: 0,
        labels: { team: 'infra', severity: 'critical' },
        annotations: {
          summary: 'RootDiskFree: {{ $value | humanize }} < 10 (critical)',
          threshold: '10',
          runbook_url: 'https://wiki/disk',
        },
      },
    ]);
    expect(c.inhibitRules).toEqual([
      {
        source_matchers: ['alertname="RootDiskFree"', 'severity="critical"'],
        target_matchers: ['alertname="RootDiskFree"', 'severity="warning"'],
        equal: ['instance', 'job'],
      },
    ]);
  });

  it('makes no group and no inhibit rule from no monitors, and no inhibit rule from one level', () => {
    expect(compileThresholds([])).toEqual({ groups: [], inhibitRules: [] });
    const c = compileThresholds([thresholdMonitorSchema.parse(base)]);
    expect(c.groups[0]!.rules.map((r) => r.labels.severity)).toEqual(['warning']);
    expect(c.inhibitRules).toEqual([]);
  });

  it('formats a rule file that reads back as the same groups', async () => {
    const r = checkThresholdFile(await read('thresholds.yml'), 'thresholds.yml');
    expect(r.diagnostics).toEqual([]);
    const groups = r.compiled!.groups;
    const back = parseRuleFile(formatRuleFile(groups), 'thresholds.yml');
    expect(back.diagnostics).toEqual([]);
    expect(back.groups).toEqual(groups);
  });
});

describe('checkThresholdFile', () => {
  it('reports every problem with file, line and path', () => {
    const text = [
      'thresholds:',
      '  - name: A',
      '    metric: m',
      '    operator: ">"',
      '    warning: 5',
      '    critical: 1',
      '  - name: A',
      '    metric: "sum(m)"',
      '    operator: "<"',
      '    critical: 1',
      '',
    ].join('\n');
    const r = checkThresholdFile(text, 'kanshi.yml');
    expect(r.compiled).toBeUndefined();
    const lines = r.diagnostics.map(formatDiagnostic);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^kanshi\.yml:6:\d+: thresholds\[0\]\.critical: critical 1 must be at or above warning 5/,
    );
    expect(lines.join('\n')).toMatch(/kanshi\.yml:8:\d+: thresholds\[1\]\.metric: not a metric selector/);
    expect(lines.join('\n')).toMatch(/thresholds\[1\]\.name: name "A" is used twice/);
  });
});

describe('compiled threshold rules evaluated', () => {
  it('pass the promtool-format unit tests in testdata', async () => {
    const r = checkThresholdFile(await read('thresholds.yml'), 'thresholds.yml');
    const rules = formatRuleFile(r.compiled!.groups);
    const readCompiled = (p: string): Promise<string> =>
      p === 'thresholds.rules.yml' ? Promise.resolve(rules) : read(p);
    const result = await runRuleUnitTests(
      await read('thresholds.test.yml'),
      'thresholds.test.yml',
      readCompiled,
    );
    expect(result.errors).toEqual([]);
  });

  it('fail them when a threshold is off', async () => {
    const text = (await read('thresholds.yml')).replace('warning: 20', 'warning: 14');
    const r = checkThresholdFile(text, 'thresholds.yml');
    const rules = formatRuleFile(r.compiled!.groups);
    const result = await runRuleUnitTests(await read('thresholds.test.yml'), 'thresholds.test.yml', (p) =>
      p === 'thresholds.rules.yml' ? Promise.resolve(rules) : read(p),
    );
    expect(result.errors.join('\n')).toContain('alertname: RootDiskFree, time: 4m');
  });
});

describe('watchdogGroup', () => {
  it('always fires and is a valid rule file', async () => {
    const g = watchdogGroup({ team: 'sre' });
    expect(parseRuleFile(formatRuleFile([g]), 'w.yml').diagnostics).toEqual([]);
    const rules = formatRuleFile([g]);
    const test = [
      'rule_files: [w.rules.yml]',
      'tests:',
      '  - alert_rule_test:',
      '      - eval_time: 10m',
      '        alertname: Watchdog',
      '        exp_alerts:',
      '          - exp_labels: { severity: none, team: sre }',
      `            exp_annotations: ${JSON.stringify(g.rules[0]!.annotations)}`,
      '',
    ].join('\n');
    const r = await runRuleUnitTests(test, 'w.test.yml', () => Promise.resolve(rules));
    expect(r.errors).toEqual([]);
  });
});
