import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { labelsFromRecord } from '../model/labels.js';
import { isStaleNaN } from '../model/sample.js';
import type { QueryFn } from '../promql/index.js';
import { MemoryStorage } from '../storage/memory-storage.js';
import { AlertingRule, RuleGroup, type NotifierAlert } from './group.js';
import type { RuleGroupConfig } from './rule-file.js';

const MIN = 60_000;

/** A QueryFn that answers `up == 0` with one series when the minute (since start) is in `downAt`. */
function scripted(startMs: number, downAt: ReadonlySet<number>): QueryFn {
  return (_expr, t) =>
    Promise.resolve(
      downAt.has(Math.round((t - startMs) / MIN))
        ? [{ labels: labelsFromRecord({ __name__: 'up', instance: 'a' }), t, v: 0 }]
        : [],
    );
}

function group(rule: Partial<RuleGroupConfig['rules'][number]>): RuleGroupConfig {
  return {
    name: 'g',
    file: 'f.yml',
    intervalMs: MIN,
    limit: 0,
    labels: {},
    rules: [
      { alert: 'Down', expr: 'up == 0', forMs: 0, keepFiringForMs: 0, labels: {}, annotations: {}, ...rule },
    ],
  };
}

// state after each minute 0..n; down = minutes where the expression returns a series.
const table: { name: string; forMs: number; keepMs: number; down: number[]; want: string[] }[] = [
  {
    name: 'fires at once without for',
    forMs: 0,
    keepMs: 0,
    down: [1, 2],
    want: ['-', 'firing', 'firing', 'inactive'],
  },
  {
    name: 'pends for the for duration',
    forMs: 2 * MIN,
    keepMs: 0,
    down: [1, 2, 3, 4],
    want: ['-', 'pending', 'pending', 'firing', 'firing', 'inactive'],
  },
  {
    name: 'a pending alert that clears is dropped',
    forMs: 5 * MIN,
    keepMs: 0,
    down: [1, 2],
    want: ['-', 'pending', 'pending', '-'],
  },
  {
    name: 'keep_firing_for holds a firing alert',
    forMs: 0,
    keepMs: 2 * MIN,
    down: [1],
    want: ['-', 'firing', 'firing', 'firing', 'inactive'],
  },
  {
    name: 'the resolved alert stays 15 minutes',
    forMs: 0,
    keepMs: 0,
    down: [0],
    want: ['firing', ...Array<string>(16).fill('inactive'), '-'],
  },
];

describe('AlertingRule state machine', () => {
  it.each(table)('$name', async ({ forMs, keepMs, down, want }) => {
    const clock = new FakeClock(0);
    const store = new MemoryStorage();
    const sent: NotifierAlert[][] = [];
    const g = new RuleGroup(group({ forMs, keepFiringForMs: keepMs }), {
      queryFn: scripted(0, new Set(down)),
      appendable: store,
      clock,
      restoreForState: false,
      notify: (_e, a) => sent.push([...a]),
    });
    const rule = g.rules[0] as AlertingRule;
    const got: string[] = [];
    for (let m = 0; m < want.length; m++) {
      await g.evaluate(m * MIN);
      const a = [...rule.active.values()][0];
      got.push(a ? a.state : '-');
    }
    expect(got).toEqual(want);
    if (want.includes('firing')) {
      expect(sent.length).toBeGreaterThan(0);
      const lastSent = sent.at(-1)?.[0];
      expect(lastSent?.labels).toEqual({ alertname: 'Down', instance: 'a' });
    }
  });

  it('writes ALERTS and ALERTS_FOR_STATE, then a staleness marker when the alert goes', async () => {
    const store = new MemoryStorage();
    const g = new RuleGroup(group({ forMs: MIN }), {
      queryFn: scripted(0, new Set([1, 2])),
      appendable: store,
      clock: new FakeClock(0),
      restoreForState: false,
    });
    for (let m = 0; m <= 3; m++) await g.evaluate(m * MIN);
    const q = store.querier(0, 10 * MIN);
    const series = await q.select([{ type: '=~', name: '__name__', value: 'ALERTS.*' }]);
    const dump = series.map((s) => {
      const it = s.iterator();
      const pts: string[] = [];
      while (it.next()) pts.push(`${it.atT() / MIN}:${isStaleNaN(it.atV()) ? 'stale' : it.atV()}`);
      return `${s.labels.map((l) => `${l.name}=${l.value}`).join(',')} ${pts.join(' ')}`;
    });
    expect(dump.sort()).toEqual([
      '__name__=ALERTS,alertname=Down,alertstate=firing,instance=a 2:1 3:stale',
      '__name__=ALERTS,alertname=Down,alertstate=pending,instance=a 1:1 2:stale',
      '__name__=ALERTS_FOR_STATE,alertname=Down,instance=a 1:60 2:60 3:stale',
    ]);
  });

  it('aligns evaluation instants to a stable offset within the interval', () => {
    const g = new RuleGroup(group({}), {
      queryFn: scripted(0, new Set()),
      appendable: new MemoryStorage(),
      clock: new FakeClock(0),
    });
    const t1 = g.evalTimestamp(10 * MIN + 123);
    const t2 = g.evalTimestamp(11 * MIN + 123);
    expect(t2 - t1).toBe(MIN);
    expect(t1).toBeLessThanOrEqual(10 * MIN + 123);
    expect(10 * MIN + 123 - t1).toBeLessThan(MIN);
  });
});
