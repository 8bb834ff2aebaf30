import { describe, expect, it } from 'vitest';
import type { CheckResult, VectorSample } from '../api/prom.js';
import { buildHosts, type HostInputs, worse } from './hosts.js';

const v = (metric: Record<string, string>, value: string): VectorSample => ({ metric, value: [0, value] });
const check = (host: string, name: string, status: CheckResult['status']): CheckResult => ({
  host,
  check: name,
  status,
  message: `${name} ${status}`,
  long_output: '',
  perfdata: [],
  started_at: 0,
  duration_ms: 1,
  received_at: 0,
});
const empty: HostInputs = { up: [], load1: [], seen: [], cpu: [], memory: [], cores: [], checks: [] };

describe('buildHosts', () => {
  it('has no hosts without data', () => {
    expect(buildHosts(empty)).toEqual([]);
  });

  it('reports a host with fresh node metrics as OK with its figures', () => {
    const hosts = buildHosts({
      ...empty,
      load1: [v({ __name__: 'node_load1', instance: 'web-1', job: 'node' }, '0.5')],
      seen: [v({ instance: 'web-1' }, '1')],
      cpu: [v({ instance: 'web-1' }, '0.25')],
      memory: [v({ instance: 'web-1' }, '0.5')],
      cores: [v({ instance: 'web-1' }, '4')],
      checks: [check('web-1', 'disk', 'OK')],
    });
    expect(hosts).toEqual([
      {
        name: 'web-1',
        status: 'OK',
        reasons: [],
        checksTotal: 1,
        checksOk: 1,
        cpuRatio: 0.25,
        memoryRatio: 0.5,
        load1: 0.5,
        cores: 4,
      },
    ]);
  });

  it('takes the worst check status and says which checks', () => {
    const [h] = buildHosts({
      ...empty,
      checks: [check('db', 'a', 'WARNING'), check('db', 'b', 'CRITICAL'), check('db', 'c', 'OK')],
    });
    expect(h?.status).toBe('CRITICAL');
    expect(h?.reasons).toEqual([
      { kind: 'check', check: 'a', status: 'WARNING' },
      { kind: 'check', check: 'b', status: 'CRITICAL' },
    ]);
    expect([h?.checksOk, h?.checksTotal]).toEqual([1, 3]);
  });

  it('marks a host unreachable when its scrape target is down or its metrics stopped', () => {
    const hosts = buildHosts({
      ...empty,
      up: [v({ instance: 'a:9100', job: 'node' }, '0'), v({ instance: 'b:9100', job: 'node' }, '1')],
      seen: [v({ instance: 'gone' }, '1')],
      checks: [check('gone', 'ping', 'WARNING')],
    });
    expect(hosts.map((h) => [h.name, h.status])).toEqual([
      ['a:9100', 'unreachable'],
      ['gone', 'unreachable'],
      ['b:9100', 'OK'],
    ]);
    expect(hosts[0]?.reasons).toEqual([{ kind: 'targetDown', job: 'node' }]);
    expect(hosts[1]?.reasons).toEqual([
      { kind: 'noMetrics' },
      { kind: 'check', check: 'ping', status: 'WARNING' },
    ]);
  });

  it('sorts worst first, then by name', () => {
    const hosts = buildHosts({
      ...empty,
      checks: [
        check('c', 'x', 'OK'),
        check('b', 'x', 'UNKNOWN'),
        check('a', 'x', 'OK'),
        check('d', 'x', 'WARNING'),
      ],
    });
    expect(hosts.map((h) => h.name)).toEqual(['d', 'b', 'a', 'c']);
  });
});

describe('worse', () => {
  it.each([
    ['OK', 'WARNING', 'WARNING'],
    ['CRITICAL', 'WARNING', 'CRITICAL'],
    ['UNKNOWN', 'WARNING', 'WARNING'],
    ['unreachable', 'CRITICAL', 'unreachable'],
    ['OK', 'OK', 'OK'],
  ] as const)('%s, %s → %s', (a, b, want) => {
    expect(worse(a, b)).toBe(want);
    expect(worse(b, a)).toBe(want);
  });
});
