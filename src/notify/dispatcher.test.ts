import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { nullLogger } from '../base/logger.js';
import type { StoredAlert } from './alert-store.js';
import { compareAlerts, Dispatcher, type FlushContext } from './dispatcher.js';
import { fingerprint } from './label-set.js';
import { buildRouteTree } from './route.js';

const T0 = 1_800_000_000_000;

function alert(labels: Record<string, string>, p: Partial<StoredAlert> = {}): StoredAlert {
  return {
    fingerprint: fingerprint(labels),
    labels,
    annotations: {},
    startsAtMs: T0,
    endsAtMs: T0 + 3_600_000,
    generatorURL: '',
    updatedAtMs: T0,
    timeout: false,
    ...p,
  };
}

describe('compareAlerts', () => {
  it('orders by job, then instance, alerts lacking them last, then by labels', () => {
    const alerts = [
      alert({ alertname: 'z' }),
      alert({ alertname: 'a', instance: 'i2', job: 'b' }),
      alert({ alertname: 'a', instance: 'i1' }),
      alert({ alertname: 'a', instance: 'i9', job: 'a' }),
      alert({ alertname: 'b', instance: 'i1', job: 'b' }),
      alert({ a: 'y' }),
    ];
    expect([...alerts].sort(compareAlerts).map((a) => a.labels)).toEqual([
      { alertname: 'a', instance: 'i9', job: 'a' },
      { alertname: 'b', instance: 'i1', job: 'b' },
      { alertname: 'a', instance: 'i2', job: 'b' },
      { alertname: 'a', instance: 'i1' },
      // LabelSet.Before: the set lacking a name the other has ("alertname") sorts after it.
      { alertname: 'z' },
      { a: 'y' },
    ]);
  });
});

describe('Dispatcher', () => {
  function setup(handled = true) {
    const clock = new FakeClock(T0);
    const flushes: { at: number; key: string; alerts: string[]; renotify: string[] }[] = [];
    const route = buildRouteTree({
      receiver: 'r',
      groupBy: ['g'],
      groupByAll: false,
      matchers: [],
      continue: false,
      groupWaitMs: 10_000,
      groupIntervalMs: 60_000,
      muteTimeIntervals: [],
      activeTimeIntervals: [],
      routes: [],
    });
    const d = new Dispatcher({
      route,
      clock,
      logger: nullLogger,
      maintenanceIntervalMs: 30_000,
      flush: (ctx: FlushContext, alerts) => {
        flushes.push({
          at: (ctx.nowMs - T0) / 1000,
          key: ctx.groupKey,
          alerts: alerts.map((a) => `${a.labels['n']!}${a.endsAtMs === 0 ? '' : ':resolved'}`),
          renotify: alerts.filter((a) => ctx.renotify.has(a.fingerprint)).map((a) => a.labels['n']!),
        });
        return handled;
      },
    });
    return { clock, d, flushes };
  }

  it('keeps one group per group-by value and flushes each on its own timer', async () => {
    const { clock, d, flushes } = setup();
    d.process(alert({ g: '1', n: 'a' }));
    await clock.advance(5_000);
    d.process(alert({ g: '2', n: 'b' }));
    d.process(alert({ g: '1', n: 'c' }));
    expect(d.groupCount).toBe(2);
    await clock.advance(10_000);
    expect(flushes).toEqual([
      { at: 10, key: '{}:{g="1"}', alerts: ['a', 'c'], renotify: [] },
      { at: 15, key: '{}:{g="2"}', alerts: ['b'], renotify: [] },
    ]);
    await clock.advance(60_000);
    expect(flushes.map((f) => f.at)).toEqual([10, 15, 70, 75]);
    await d.close();
  });

  it('drops flushed resolved alerts, then the empty group at maintenance', async () => {
    const { clock, d, flushes } = setup();
    d.process(alert({ g: '1', n: 'a' }, { endsAtMs: T0 + 5_000 }));
    await clock.advance(10_000);
    expect(flushes).toEqual([{ at: 10, key: '{}:{g="1"}', alerts: ['a:resolved'], renotify: [] }]);
    expect(d.groups()[0]?.alerts).toEqual([]);
    await clock.advance(30_000);
    expect(d.groupCount).toBe(0);
    // A new group again waits group_wait.
    d.process(alert({ g: '1', n: 'b' }, { startsAtMs: T0 + 40_000 }));
    await clock.advance(9_000);
    expect(flushes).toHaveLength(1);
    await clock.advance(1_000);
    expect(flushes[1]).toEqual({ at: 50, key: '{}:{g="1"}', alerts: ['b'], renotify: [] });
    await d.close();
  });

  it('marks the groups holding alerts to re-notify for their next flush only', async () => {
    const { clock, d, flushes } = setup();
    const a = alert({ g: '1', n: 'a' });
    d.process(a);
    d.process(alert({ g: '1', n: 'c' }));
    d.process(alert({ g: '2', n: 'b' }));
    await clock.advance(10_000);
    expect(d.renotify([a.fingerprint, fingerprint({ g: '3', n: 'x' })])).toBe(1);
    expect(d.pendingRenotify()).toEqual([a.fingerprint]);
    await clock.advance(120_000);
    expect(flushes.map((f) => [f.at, f.key, f.renotify])).toEqual([
      [10, '{}:{g="1"}', []],
      [10, '{}:{g="2"}', []],
      [70, '{}:{g="1"}', ['a']],
      [70, '{}:{g="2"}', []],
      [130, '{}:{g="1"}', []],
      [130, '{}:{g="2"}', []],
    ]);
    expect(d.pendingRenotify()).toEqual([]);
    await d.close();
  });

  it('keeps a re-notification mark when the flush was not handled', async () => {
    const { clock, d, flushes } = setup(false);
    const a = alert({ g: '1', n: 'a' });
    d.process(a);
    d.renotify([a.fingerprint]);
    await clock.advance(70_000);
    expect(flushes.map((f) => f.renotify)).toEqual([['a'], ['a']]);
    expect(d.pendingRenotify()).toEqual([a.fingerprint]);
    await d.close();
  });

  it('keeps resolved alerts when the flush was not handled', async () => {
    const { clock, d, flushes } = setup(false);
    d.process(alert({ g: '1', n: 'a' }, { endsAtMs: T0 + 5_000 }));
    await clock.advance(70_000);
    expect(flushes.map((f) => f.alerts)).toEqual([['a:resolved'], ['a:resolved']]);
    await d.close();
  });
});
