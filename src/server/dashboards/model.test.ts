import { describe, expect, it } from 'vitest';
import { parseDashboard, parseLabelValuesQuery } from './model.js';

describe('parseLabelValuesQuery', () => {
  const cases: [string, ReturnType<typeof parseLabelValuesQuery>][] = [
    ['label_values(job)', { label: 'job' }],
    ['label_values(node_uname_info, job)', { label: 'job', selector: 'node_uname_info' }],
    [
      'label_values(node_uname_info{job="$job", a=~"x,y"}, instance)',
      { label: 'instance', selector: 'node_uname_info{job="$job", a=~"x,y"}' },
    ],
    ['  label_values( up ,  instance )  ', { label: 'instance', selector: 'up' }],
    ['query_result(topk(5, node_load1))', undefined],
    ['label_values()', undefined],
    ['label_values(up, 1abc)', undefined],
    ['up', undefined],
  ];
  it.each(cases)('%s', (q, want) => {
    expect(parseLabelValuesQuery(q)).toEqual(want);
  });
});

describe('parseDashboard', () => {
  const panel = { type: 'timeseries', gridPos: { x: 0, y: 0, w: 12, h: 8 }, targets: [{ expr: 'up' }] };
  it('fills defaults', () => {
    const r = parseDashboard({ title: 'T', panels: [panel] });
    expect(r.ok && r.dashboard).toMatchObject({
      title: 'T',
      tags: [],
      time: { from: 'now-6h', to: 'now' },
      variables: [],
      panels: [{ type: 'timeseries', title: '', targets: [{ expr: 'up' }] }],
    });
  });

  const bad: [string, unknown, string][] = [
    ['no title', { panels: [] }, 'title'],
    ['unknown unit', { title: 'T', panels: [{ ...panel, unit: 'furlongs' }] }, 'panels[0].unit'],
    ['unknown panel type', { title: 'T', panels: [{ ...panel, type: 'heatmap' }] }, 'panels[0].type'],
    [
      'bad step',
      { title: 'T', panels: [{ ...panel, targets: [{ expr: 'up', step: 'fast' }] }] },
      'panels[0].targets[0].step',
    ],
    [
      'gridPos too wide',
      { title: 'T', panels: [{ ...panel, gridPos: { x: 0, y: 0, w: 25, h: 1 } }] },
      'panels[0].gridPos.w',
    ],
    ['unknown key', { title: 'T', colour: 'red' }, ''],
    ['bad uid', { title: 'T', uid: 'a/b' }, 'uid'],
    [
      'bad variable query',
      { title: 'T', variables: [{ type: 'query', name: 'x', query: 'up' }] },
      'variables[0].query',
    ],
    [
      'interval variable without durations',
      { title: 'T', variables: [{ type: 'interval', name: 'i', options: ['x'] }] },
      'variables[0].options[0]',
    ],
    [
      'legend calc',
      { title: 'T', panels: [{ ...panel, legend: { calcs: ['median'] } }] },
      'panels[0].legend.calcs[0]',
    ],
  ];
  it.each(bad)('rejects %s', (_name, value, path) => {
    const r = parseDashboard(value);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path)).toContain(path);
  });
});
