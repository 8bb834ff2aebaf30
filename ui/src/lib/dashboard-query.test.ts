import { describe, expect, it } from 'vitest';
import type { Panel } from './dashboard-model.js';
import { planPanel, seriesLabel } from './dashboard-query.js';
import { AUTO } from './dashboard-vars.js';

const panel = (targets: Panel['targets']): Panel => ({
  type: 'timeseries',
  title: 't',
  gridPos: { x: 0, y: 0, w: 12, h: 8 },
  targets,
});
const hour = 3_600_000;
const start = 1_700_000_000_000;

describe('planPanel', () => {
  it('substitutes variables and built-ins and derives the step from the width', () => {
    const values = new Map([['instance', { values: ['web-1'], isAll: false }]]);
    const plan = planPanel(
      panel([
        { expr: 'rate(x{instance="$instance"}[$__rate_interval])', legendFormat: '{{mode}} on $instance' },
        { expr: 'hidden', hide: true },
        { refId: 'Z', expr: 'up' },
      ]),
      { startMs: start, endMs: start + 6 * hour, widthPx: 600, values },
    );
    // 6 h over 300 points is 72 s: the next nice step is 120 s.
    expect(plan.stepMs).toBe(120_000);
    expect(plan.startMs % 120_000).toBe(0);
    expect(plan.queries).toEqual([
      { refId: 'A', expr: 'rate(x{instance="web-1"}[135s])', legendFormat: '{{mode}} on web-1' },
      { refId: 'Z', expr: 'up', legendFormat: undefined },
    ]);
  });
  it.each([
    ['a fixed step', [{ expr: 'a', step: '5m' }], 300_000],
    [
      'the largest fixed step of several',
      [
        { expr: 'a', step: '1m' },
        { expr: 'b', step: '2m' },
      ],
      120_000,
    ],
    ['an interval as the lower bound', [{ expr: 'a', interval: '10m' }], 600_000],
    ['no targets', [], 60_000],
  ] as const)('uses %s', (_name, targets, want) => {
    const plan = planPanel(panel([...targets]), {
      startMs: start,
      endMs: start + hour,
      widthPx: 200,
      values: new Map(),
    });
    expect(plan.stepMs).toBe(want);
  });
  it('sets an interval variable on auto to the step', () => {
    const plan = planPanel(panel([{ expr: 'rate(x[$iv])' }]), {
      startMs: start,
      endMs: start + hour,
      widthPx: 1200,
      values: new Map([['iv', { values: [AUTO], isAll: false }]]),
    });
    expect(plan.queries[0]?.expr).toBe('rate(x[15s])');
  });
});

describe('seriesLabel', () => {
  it.each([
    [undefined, { __name__: 'up', job: 'a' }, 'up{job="a"}'],
    ['{{job}}/{{missing}}', { job: 'a' }, 'a/'],
  ])('%s', (legendFormat, metric, want) => {
    expect(seriesLabel({ refId: 'A', expr: 'x', legendFormat }, metric)).toBe(want);
  });
});
