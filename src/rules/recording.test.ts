import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { labelsFromRecord } from '../model/labels.js';
import { isStaleNaN } from '../model/sample.js';
import { Engine, queryFnFor } from '../promql/index.js';
import { MemoryStorage } from '../storage/memory-storage.js';
import { RuleGroup, RuleMetrics, type NotifierAlert } from './group.js';
import type { RuleConfig, RuleGroupConfig } from './rule-file.js';

const MIN = 60_000;

async function store(series: Record<string, number[]>): Promise<MemoryStorage> {
  const s = new MemoryStorage();
  const app = s.appender();
  for (const [inst, values] of Object.entries(series))
    values.forEach((v, i) => {
      if (!Number.isNaN(v)) app.append(labelsFromRecord({ __name__: 'x', instance: inst }), i * MIN, v);
    });
  await app.commit();
  return s;
}

function cfg(rule: Partial<RuleConfig>, extra: Partial<RuleGroupConfig> = {}): RuleGroupConfig {
  return {
    name: 'g',
    file: 'f.yml',
    intervalMs: MIN,
    limit: 0,
    labels: { team: 'ops' },
    rules: [{ expr: 'x', forMs: 0, keepFiringForMs: 0, labels: {}, annotations: {}, ...rule }],
    ...extra,
  };
}

async function dump(s: MemoryStorage, name: string): Promise<string[]> {
  const series = await s.querier(0, 100 * MIN).select([{ type: '=', name: '__name__', value: name }]);
  return series.map((x) => {
    const it = x.iterator();
    const pts: string[] = [];
    while (it.next()) pts.push(`${it.atT() / MIN}:${isStaleNaN(it.atV()) ? 'stale' : it.atV()}`);
    return `${x.labels.map((l) => `${l.name}=${l.value}`).join(',')} ${pts.join(' ')}`;
  });
}

describe('recording rules', () => {
  it('writes the result with the record name and labels, and marks vanished series stale', async () => {
    const s = await store({ a: [1, 2, 3], b: [5, 6, 7] });
    const g = new RuleGroup(cfg({ record: 'x:copy', expr: 'x > 1 < 7' }), {
      queryFn: queryFnFor(new Engine(s)),
      appendable: s,
      clock: new FakeClock(0),
    });
    for (let m = 0; m <= 2; m++) await g.evaluate(m * MIN);
    expect((await dump(s, 'x:copy')).sort()).toEqual([
      '__name__=x:copy,instance=a,team=ops 1:2 2:3',
      '__name__=x:copy,instance=b,team=ops 0:5 1:6 2:stale',
    ]);
  });

  it('queries at ts - query_offset and writes there', async () => {
    const s = await store({ a: [1, 2, 3, 4] });
    const g = new RuleGroup(cfg({ record: 'x:off' }, { queryOffsetMs: MIN }), {
      queryFn: queryFnFor(new Engine(s)),
      appendable: s,
      clock: new FakeClock(0),
    });
    await g.evaluate(3 * MIN);
    expect(await dump(s, 'x:off')).toEqual(['__name__=x:off,instance=a,team=ops 2:3']);
  });

  it('fails a rule over its limit and counts the failure', async () => {
    const s = await store({ a: [1], b: [1] });
    const metrics = new RuleMetrics();
    const g = new RuleGroup(cfg({ record: 'x:lim' }, { limit: 1 }), {
      queryFn: queryFnFor(new Engine(s)),
      appendable: s,
      clock: new FakeClock(0),
      metrics,
    });
    await g.evaluate(0);
    expect(g.rules[0]?.lastError).toBe('exceeded limit of 1 with 2 series');
    expect(metrics.evaluationFailures.get({ rule_group: 'f.yml;g' })).toBe(1);
    expect(await dump(s, 'x:lim')).toEqual([]);
  });
});

describe('alert notifications', () => {
  it('sends firing alerts in Alertmanager shape, then the resolution every resend delay as Prometheus', async () => {
    const s = await store({ a: [1, 1, NaN, NaN, NaN, NaN, NaN, NaN] });
    const sent: NotifierAlert[] = [];
    const g = new RuleGroup(
      cfg({
        alert: 'X',
        expr: 'x == 1 and x offset 0 > 0',
        annotations: { v: '{{ $value }} on {{ $labels.instance }}' },
      }),
      {
        queryFn: (e, t) => queryFnFor(new Engine(s, { lookbackDeltaMs: MIN }))(e, t),
        appendable: s,
        clock: new FakeClock(0),
        restoreForState: false,
        externalURL: 'http://k:9800',
        notify: (_e, a) => sent.push(...a),
      },
    );
    for (let m = 0; m <= 4; m++) await g.evaluate(m * MIN);
    expect(sent.map((a) => [a.labels, a.annotations.v, a.startsAt, a.endsAt])).toEqual([
      [
        { alertname: 'X', instance: 'a', team: 'ops' },
        '1 on a',
        new Date(0).toISOString(),
        new Date(4 * MIN).toISOString(),
      ],
      // resolved at 2 min (the last sample, at 1 min, is outside the 1 min lookback)
      [
        { alertname: 'X', instance: 'a', team: 'ops' },
        '1 on a',
        new Date(0).toISOString(),
        new Date(2 * MIN).toISOString(),
      ],
      [
        { alertname: 'X', instance: 'a', team: 'ops' },
        '1 on a',
        new Date(0).toISOString(),
        new Date(2 * MIN).toISOString(),
      ],
    ]);
    expect(sent[0]?.generatorURL).toBe(
      'http://k:9800/graph?g0.expr=x%20%3D%3D%201%20and%20x%20offset%200%20%3E%200&g0.tab=1',
    );
  });
});
