import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { convertGrafanaDashboard, isGrafanaDashboard } from './grafana.js';
import { parseDashboard, type Panel } from './model.js';

const fixture: unknown = JSON.parse(
  readFileSync(
    path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata', 'grafana-node-exporter.json'),
    'utf8',
  ),
);

describe('convertGrafanaDashboard', () => {
  const c = convertGrafanaDashboard(fixture);
  const parsed = parseDashboard(c.dashboard);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const d = parsed.dashboard;
  const byTitle = (t: string): Panel => {
    const p = d.panels.find((x) => x.title === t);
    if (!p) throw new Error(`no panel ${t}`);
    return p;
  };

  it('is recognised as Grafana, and ours is not', () => {
    expect(isGrafanaDashboard(fixture)).toBe(true);
    expect(isGrafanaDashboard({ dashboard: fixture, meta: {} })).toBe(true);
    expect(isGrafanaDashboard(d)).toBe(false);
  });

  it('keeps the dashboard fields', () => {
    expect(d).toMatchObject({
      uid: 'rYdddlPWk',
      title: 'Node Exporter Full',
      tags: ['linux', 'node-exporter'],
      time: { from: 'now-24h', to: 'now' },
      refresh: '1m',
    });
  });

  it('flattens rows, converts the known panel types and drops the heatmap', () => {
    expect(d.panels.map((p) => [p.title, p.type])).toEqual([
      ['CPU Busy', 'gauge'],
      ['RAM Used', 'bar'],
      ['Uptime', 'stat'],
      ['RootFS Total', 'stat'],
      ['CPU Basic', 'timeseries'],
      ['Network Traffic Basic', 'timeseries'],
      ['Memory Stack', 'timeseries'],
      ['Filesystem available', 'table'],
      ['About', 'text'],
    ]);
  });

  const panelCases: [string, Partial<Panel>][] = [
    [
      'CPU Busy',
      {
        unit: 'percent',
        min: 0,
        max: 100,
        decimals: 1,
        gridPos: { x: 3, y: 1, w: 3, h: 4 },
        description: 'Busy state of all CPU cores together',
        thresholds: {
          mode: 'absolute',
          steps: [
            { value: null, color: 'rgba(50, 172, 45, 0.97)' },
            { value: 85, color: 'rgba(237, 129, 40, 0.89)' },
            { value: 95, color: 'rgba(245, 54, 54, 0.9)' },
          ],
        },
      },
    ],
    [
      'Uptime',
      {
        unit: 's',
        decimals: 1,
        thresholds: {
          mode: 'absolute',
          steps: [
            { value: null, color: 'rgba(245, 54, 54, 0.9)' },
            { value: 1, color: 'rgba(237, 129, 40, 0.89)' },
            { value: 2, color: 'rgba(50, 172, 45, 0.97)' },
          ],
        },
      },
    ],
    [
      'CPU Basic',
      { style: 'stacked', unit: 'percentunit', legend: { show: true, placement: 'bottom', calcs: [] } },
    ],
    [
      'Network Traffic Basic',
      {
        style: 'lines',
        unit: 'bps',
        legend: { show: true, placement: 'right', calcs: ['avg', 'last', 'max', 'min'] },
      },
    ],
    [
      'Memory Stack',
      {
        style: 'stacked',
        unit: 'bytes',
        min: 0,
        legend: { show: true, placement: 'bottom', calcs: ['min', 'max', 'avg', 'last'] },
      },
    ],
    ['About', { content: '## Notes\n\nPanels from **node_exporter**.', mode: 'markdown' }],
  ];
  it.each(panelCases)('converts panel %s', (title, want) => {
    expect(byTitle(title)).toMatchObject(want);
  });

  it('keeps PromQL targets with legend, step and interval, and drops the rest', () => {
    expect(byTitle('Memory Stack').targets).toEqual([
      expect.objectContaining({ refId: 'A', legendFormat: 'RAM Used', step: '240s' }),
      expect.objectContaining({ refId: 'B', legendFormat: 'RAM Free', step: '240s' }),
    ]);
    expect(byTitle('Network Traffic Basic').targets).toEqual([
      {
        refId: 'A',
        expr: 'irate(node_network_receive_bytes_total{instance="$node",job="$job"}[$__rate_interval])*8',
        legendFormat: 'recv {{device}}',
        interval: '30s',
      },
    ]);
  });

  it('converts label_values, custom and interval variables', () => {
    expect(d.variables).toEqual([
      {
        type: 'query',
        name: 'job',
        label: 'Job',
        multi: false,
        includeAll: false,
        query: 'label_values(node_uname_info, job)',
      },
      {
        type: 'query',
        name: 'node',
        label: 'Host',
        multi: false,
        includeAll: false,
        current: 'localhost:9100',
        query: 'label_values(node_uname_info{job="$job"}, instance)',
      },
      {
        type: 'custom',
        name: 'diskdevices',
        current: '[a-z]+|nvme[0-9]+n[0-9]+|mmcblk[0-9]+',
        options: ['[a-z]+|nvme[0-9]+n[0-9]+|mmcblk[0-9]+'],
      },
      {
        type: 'interval',
        name: 'interval',
        current: '5m',
        options: ['1m', '5m', '10m', '30m', '1h'],
        auto: true,
      },
    ]);
  });

  it('lists what was not converted', () => {
    const want = [
      'dashboard links (1) are not kept',
      'variable "DS_PROMETHEUS": data source variable dropped (Kanshi queries its own store)',
      'variable "top": query "query_result(topk(5, node_load1))" is not label_values(...); not kept',
      'row "Quick CPU / Mem / Disk": flattened (rows are not kept)',
      'panel "CPU Basic" (timeseries): 100% stacking shown as normal stacking',
      'panel "CPU Basic" (timeseries): field overrides not kept',
      'panel "Network Traffic Basic" (timeseries): target B has no PromQL expr; not kept',
      'panel "Network Traffic Basic" (timeseries): legend calculation "stdDev" not kept',
      'panel "Memory Stack" (graph): series overrides not kept',
      'panel "Filesystem available" (table): transformations not kept',
      'panel "Disk heatmap" (heatmap): panel type "heatmap" is not supported; not kept',
    ];
    for (const w of want) expect(c.notConverted).toContain(w);
  });

  const unitCases: [string, string, boolean][] = [
    ['bytes', 'bytes', false],
    ['µs', 'us', false],
    ['mbytes', 'bytes', true],
    ['flops', 'short', true],
  ];
  it.each(unitCases)('maps unit %s to %s', (unit, want, noted) => {
    const r = convertGrafanaDashboard({
      schemaVersion: 39,
      title: 'u',
      panels: [
        {
          type: 'stat',
          title: 'p',
          gridPos: { x: 0, y: 0, w: 6, h: 4 },
          fieldConfig: { defaults: { unit } },
        },
      ],
    });
    expect((r.dashboard.panels as { unit?: string }[])[0]?.unit).toBe(want);
    expect(r.notConverted.length > 0).toBe(noted);
  });
});
