import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { lintMetrics, looksLikeOpenMetrics, type LintProblem } from './lint.js';

const testdata = path.resolve(
  import.meta.dirname,
  '../..',
  process.env['KANSHI_TESTDATA'] ?? '../shared/testdata',
  'openmetrics/prometheus-textparse',
);

function rules(problems: LintProblem[]): string[] {
  return problems.map((p) => `${p.severity}:${p.rule}${p.line > 0 ? `@${p.line}` : ''}`);
}

describe('lintMetrics', () => {
  it('finds nothing in a clean text exposition', () => {
    const text = [
      '# HELP http_requests_total Requests served.',
      '# TYPE http_requests_total counter',
      'http_requests_total{code="200"} 10',
      '# HELP request_duration_seconds Request latency.',
      '# TYPE request_duration_seconds histogram',
      'request_duration_seconds_bucket{le="0.1"} 1',
      'request_duration_seconds_bucket{le="+Inf"} 2',
      'request_duration_seconds_sum 0.3',
      'request_duration_seconds_count 2',
    ].join('\n');
    expect(lintMetrics(text)).toEqual([]);
  });

  it('finds nothing in a clean OpenMetrics exposition (detected by # EOF)', () => {
    const text = '# TYPE a_bytes gauge\n# UNIT a_bytes bytes\n# HELP a_bytes Size.\na_bytes 1\n# EOF\n';
    expect(lintMetrics(text)).toEqual([]);
  });

  const cases: { name: string; text: string; contentType?: string; want: string[] }[] = [
    { name: 'parse error with line', text: '# HELP a A.\na 1\nb{ 2\n', want: ['error:parse@3'] },
    {
      name: 'counter without _total',
      text: '# HELP requests Requests.\n# TYPE requests counter\nrequests 1\n',
      want: ['warning:counter-total'],
    },
    {
      name: 'gauge with _total and _count',
      text: '# HELP x_total X.\n# TYPE x_total gauge\nx_total 1\n# HELP y_count Y.\n# TYPE y_count gauge\ny_count 1\n',
      want: ['warning:total-not-counter', 'warning:reserved-suffix'],
    },
    {
      name: 'counter family named without _total whose samples have it',
      text: '# HELP c C.\n# TYPE c counter\nc_total 1\n',
      want: [],
    },
    { name: 'missing HELP', text: '# TYPE up gauge\nup 1\n', want: ['warning:help'] },
    {
      name: 'non-base unit',
      text: '# HELP latency_milliseconds L.\n# TYPE latency_milliseconds gauge\nlatency_milliseconds 1\n',
      want: ['warning:base-unit'],
    },
    {
      name: 'hours and abbreviations',
      text: '# HELP uptime_hours U.\n# TYPE uptime_hours gauge\nuptime_hours 1\n# HELP lat_ms L.\n# TYPE lat_ms gauge\nlat_ms 1\n',
      want: ['warning:base-unit', 'warning:unit-abbreviation'],
    },
    {
      name: 'camelCase and upper-case labels',
      text: '# HELP httpRequests H.\n# TYPE httpRequests gauge\nhttpRequests{Method="GET"} 1\n',
      want: ['warning:camel-case', 'warning:label-case'],
    },
    {
      name: 'le on a gauge, colon in name',
      text: '# HELP job:x:rate X.\n# TYPE job:x:rate gauge\njob:x:rate{le="1"} 1\n',
      want: ['warning:reserved-label', 'warning:colon'],
    },
    {
      name: 'duplicate HELP and TYPE, TYPE after samples',
      text: '# HELP a A.\n# HELP a again\n# TYPE a gauge\n# TYPE a gauge\na 1\n# HELP b B.\nb 1\n# TYPE b gauge\n',
      want: ['error:duplicate-help@2', 'error:duplicate-type@4', 'error:type-after-samples@8'],
    },
    {
      name: 'interleaved families and duplicate series',
      text: '# HELP a A.\n# HELP b B.\na{x="1"} 1\nb 1\na{x="2"} 1\nb 1\n',
      want: ['error:interleaved@5', 'error:interleaved@6', 'error:duplicate-series@6'],
    },
    {
      name: 'strict OpenMetrics rules',
      text: '# TYPE a counter\n# HELP a A.\na_total -1\n# EOF\n',
      want: ['error:parse@3'],
    },
    {
      name: 'content type decides the format',
      text: 'a 1\n',
      contentType: 'application/openmetrics-text; version=1.0.0',
      want: ['error:parse@2', 'warning:help'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(rules(lintMetrics(c.text, c.contentType))).toEqual(c.want);
    });
  }

  it.each([
    ['# TYPE a gauge\na 1\n# EOF\n', false],
    ['# TYPE a counter\na_total 1\n# EOF\n', true],
    ['# TYPE a_total counter\na_total 1\n# EOF\n', false],
    ['# TYPE a info\na_info 1\n# EOF\n', true],
    ['# UNIT a_seconds seconds\na_seconds 1\n# EOF\n', true],
    ['a_total 1 # {t="1"} 1\n# EOF\n', true],
    ['# TYPE a unknown\na 1\n', false],
  ])('guesses the format of %j: OpenMetrics %s', (text, want) => {
    expect(looksLikeOpenMetrics(text)).toBe(want);
  });

  it('lints Prometheus text test data that ends with # EOF as the text format', () => {
    const text = readFileSync(path.join(testdata, 'alltypes.237mfs.prom.txt'), 'utf8');
    expect(lintMetrics(text).filter((p) => p.severity === 'error')).toEqual([]);
  });

  it('names the metric and says what to do', () => {
    const [p] = lintMetrics('# HELP d_milliseconds D.\n# TYPE d_milliseconds gauge\nd_milliseconds 1\n');
    expect(p).toEqual({
      severity: 'warning',
      rule: 'base-unit',
      line: 0,
      metric: 'd_milliseconds',
      message: 'd_milliseconds: use the base unit "seconds" instead of "milliseconds"',
    });
  });
});
