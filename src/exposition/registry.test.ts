import { describe, expect, it } from 'vitest';
import { Registry } from './registry.js';
import { writeText } from './write-text.js';

describe('Registry', () => {
  it('renders counters, gauges and cumulative histogram buckets', () => {
    const r = new Registry();
    const c = r.counter('kanshi_http_requests_total', 'Requests.');
    c.inc({ route: '/a', code: '200' });
    c.inc({ code: '200', route: '/a' }, 2);
    r.gauge('kanshi_up', 'Up.').set(1);
    const h = r.histogram('kanshi_http_request_duration_seconds', 'Latency.', [0.1, 1]);
    h.observe(0.05);
    h.observe(0.5);
    h.observe(5);
    expect(c.get({ route: '/a', code: '200' })).toBe(3);
    expect(writeText(r.collect())).toBe(
      [
        '# HELP kanshi_http_requests_total Requests.',
        '# TYPE kanshi_http_requests_total counter',
        'kanshi_http_requests_total{code="200",route="/a"} 3',
        '# HELP kanshi_up Up.',
        '# TYPE kanshi_up gauge',
        'kanshi_up 1',
        '# HELP kanshi_http_request_duration_seconds Latency.',
        '# TYPE kanshi_http_request_duration_seconds histogram',
        'kanshi_http_request_duration_seconds_bucket{le="0.1"} 1',
        'kanshi_http_request_duration_seconds_bucket{le="1"} 2',
        'kanshi_http_request_duration_seconds_bucket{le="+Inf"} 3',
        'kanshi_http_request_duration_seconds_sum 5.55',
        'kanshi_http_request_duration_seconds_count 3',
        '',
      ].join('\n'),
    );
  });
});
