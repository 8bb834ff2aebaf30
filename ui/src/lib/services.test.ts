import { describe, expect, it } from 'vitest';
import {
  batchRedQueries,
  discoverServices,
  goldenSignalPanels,
  instanceHost,
  jobMatcher,
  nodeInstanceMatcher,
  redQuery,
  type Service,
} from './services.js';

const bucket = (job: string, extra: Record<string, string> = {}) => ({
  __name__: 'http_request_duration_seconds_bucket',
  job,
  instance: `${job}-1:8080`,
  le: '+Inf',
  ...extra,
});

describe('discoverServices', () => {
  it.each<[string, Record<string, string>[], Service[]]>([
    [
      'a histogram and a counter with code',
      [
        bucket('api', { code: '200' }),
        { __name__: 'http_requests_total', job: 'api', instance: 'api-1:8080', code: '500' },
      ],
      [
        {
          job: 'api',
          histogram: { name: 'http_request_duration_seconds', statusLabel: 'code' },
          counter: { name: 'http_requests_total', statusLabel: 'code' },
          instances: ['api-1:8080'],
        },
      ],
    ],
    [
      'only a counter, with status',
      [{ __name__: 'myapp_requests_total', job: 'web', status: '200', instance: 'b:1' }],
      [{ job: 'web', counter: { name: 'myapp_requests_total', statusLabel: 'status' }, instances: ['b:1'] }],
    ],
    [
      'only an OpenTelemetry histogram',
      [
        {
          __name__: 'http_server_request_duration_seconds_bucket',
          job: 'otel',
          le: '+Inf',
          http_response_status_code: '200',
        },
      ],
      [
        {
          job: 'otel',
          histogram: {
            name: 'http_server_request_duration_seconds',
            statusLabel: 'http_response_status_code',
          },
          instances: [],
        },
      ],
    ],
    [
      'a counter without status label is not a service',
      [{ __name__: 'jobs_requests_total', job: 'batch' }],
      [],
    ],
    ['no job, no service', [{ __name__: 'http_requests_total', code: '200' }], []],
    [
      'the preferred histogram wins over others, jobs sorted',
      [
        { __name__: 'aaa_request_duration_seconds_bucket', job: 'z', le: '+Inf' },
        { __name__: 'http_server_request_duration_seconds_bucket', job: 'z', le: '+Inf' },
        bucket('b'),
      ],
      [
        { job: 'b', histogram: { name: 'http_request_duration_seconds' }, instances: ['b-1:8080'] },
        { job: 'z', histogram: { name: 'http_server_request_duration_seconds' }, instances: [] },
      ],
    ],
  ])('%s', (_name, series, want) => {
    expect(discoverServices(series)).toEqual(want);
  });
});

const both: Service = {
  job: 'api',
  histogram: { name: 'http_request_duration_seconds' },
  counter: { name: 'http_requests_total', statusLabel: 'code' },
  instances: ['web-1:8080'],
};
const histOnly: Service = {
  job: 'h',
  histogram: { name: 'x_request_duration_seconds', statusLabel: 'status' },
  instances: [],
};
const counterOnly: Service = {
  job: 'c',
  counter: { name: 'y_requests_total', statusLabel: 'code' },
  instances: [],
};

describe('redQuery', () => {
  it.each<[string, Service, Parameters<typeof redQuery>[1], string | undefined]>([
    ['rate from the counter', both, 'rate', 'sum by (job) (rate(http_requests_total{job="api"}[5m]))'],
    [
      'rate from the histogram count',
      histOnly,
      'rate',
      'sum by (job) (rate(x_request_duration_seconds_count{job="h"}[5m]))',
    ],
    [
      'errors from the counter, 0 when nothing failed',
      both,
      'errors',
      '(sum by (job) (rate(http_requests_total{job="api",code=~"5.."}[5m])) or sum by (job) (rate(http_requests_total{job="api"}[5m])) * 0) / sum by (job) (rate(http_requests_total{job="api"}[5m]))',
    ],
    [
      'errors from the histogram status label',
      histOnly,
      'errors',
      '(sum by (job) (rate(x_request_duration_seconds_count{job="h",status=~"5.."}[5m])) or sum by (job) (rate(x_request_duration_seconds_count{job="h"}[5m])) * 0) / sum by (job) (rate(x_request_duration_seconds_count{job="h"}[5m]))',
    ],
    [
      'p99 from the histogram',
      both,
      'p99',
      'histogram_quantile(0.99, sum by (job, le) (rate(http_request_duration_seconds_bucket{job="api"}[5m])))',
    ],
    ['no latency without a histogram', counterOnly, 'p50', undefined],
    [
      'no errors without a status label',
      { job: 'n', histogram: { name: 'n_request_duration_seconds' }, instances: [] },
      'errors',
      undefined,
    ],
  ])('%s', (_name, service, signal, want) => {
    expect(redQuery(service, signal, '5m')).toBe(want);
  });
});

describe('jobMatcher', () => {
  it.each<[string[], string]>([
    [['api'], 'job="api"'],
    [['a"b'], 'job="a\\"b"'],
    [['a.b', 'c+d'], 'job=~"a\\\\.b|c\\\\+d"'],
  ])('%j → %s', (jobs, want) => {
    expect(jobMatcher(jobs)).toBe(want);
  });
});

describe('batchRedQueries', () => {
  it('asks once per signal and shared metric, and leaves out jobs without a source', () => {
    const api2: Service = { ...both, job: 'api2' };
    const qs = batchRedQueries([both, api2, counterOnly, histOnly], '1m');
    const rate = qs.filter((q) => q.signal === 'rate');
    expect(rate.map((q) => q.jobs)).toEqual([['api', 'api2'], ['c'], ['h']]);
    expect(rate[0]?.expr).toBe('sum by (job) (rate(http_requests_total{job=~"api|api2"}[1m]))');
    expect(qs.filter((q) => q.signal === 'p50').map((q) => q.jobs)).toEqual([['api', 'api2'], ['h']]);
    // Each job of a batch gets what its own query would: the same expression but the selector.
    const services = [both, api2, counterOnly, histOnly];
    for (const q of qs) {
      for (const job of q.jobs) {
        const own = redQuery(
          services.find((s) => s.job === job)!,
          q.signal,
          '1m',
        );
        expect(own?.replace(/job="[^"]*"/g, 'J')).toBe(q.expr.replace(/job=~?"[^"]*"/g, 'J'));
      }
    }
  });
});

describe('golden signals', () => {
  it('draws latency, traffic by status, errors and saturation of process and node', () => {
    const panels = goldenSignalPanels(both, '2m');
    expect(panels.map((p) => [p.id, p.signal, p.queries.length])).toEqual([
      ['latency', 'latency', 3],
      ['traffic', 'traffic', 1],
      ['errors', 'errors', 1],
      ['process-cpu', 'saturation', 1],
      ['process-memory', 'saturation', 1],
      ['node-cpu', 'saturation', 1],
      ['node-memory', 'saturation', 1],
    ]);
    expect(panels[1]?.queries[0]).toEqual({
      expr: 'sum by (code) (rate(http_requests_total{job="api"}[2m]))',
      legend: '{{code}}',
    });
    expect(panels[5]?.queries[0]?.expr).toBe(
      '1 - avg by (instance) (rate(node_cpu_seconds_total{instance=~"(web-1)(:[0-9]+)?",mode="idle"}[2m]))',
    );
  });

  it('leaves latency empty without a histogram and the node graphs out without instances', () => {
    const panels = goldenSignalPanels(counterOnly, '2m');
    expect(panels.find((p) => p.id === 'latency')?.queries).toEqual([]);
    expect(panels.map((p) => p.id)).not.toContain('node-cpu');
  });

  it.each([
    ['web-1:8080', 'web-1'],
    ['web-1', 'web-1'],
    ['[::1]:9100', '[::1]'],
    ['10.0.0.1:80', '10.0.0.1'],
  ])('instanceHost(%s) = %s', (instance, host) => {
    expect(instanceHost(instance)).toBe(host);
  });

  it('matches node_exporter and agent instances of the hosts', () => {
    expect(nodeInstanceMatcher(['a.example:8080', 'b:1', 'a.example:9090'])).toBe(
      'instance=~"(a\\\\.example|b)(:[0-9]+)?"',
    );
    expect(nodeInstanceMatcher([])).toBeUndefined();
  });
});
