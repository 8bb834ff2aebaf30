import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { labelsFromRecord } from '../model/labels.js';
import { Engine, queryFnFor } from '../promql/index.js';
import { MemoryStorage } from '../storage/memory-storage.js';
import { AlertingRule, RuleGroup, RuleManager } from './group.js';
import type { RuleGroupConfig } from './rule-file.js';

const MIN = 60_000;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % (60 * MIN));

function config(forMs: number): RuleGroupConfig {
  return {
    name: 'g',
    file: 'f.yml',
    intervalMs: MIN,
    limit: 0,
    labels: {},
    rules: [{ alert: 'Down', expr: 'up == 0', forMs, keepFiringForMs: 0, labels: {}, annotations: {} }],
  };
}

async function storeWithDownTarget(untilMs: number): Promise<MemoryStorage> {
  const store = new MemoryStorage();
  const app = store.appender();
  for (let t = T0; t <= untilMs; t += 15_000)
    app.append(labelsFromRecord({ __name__: 'up', instance: 'a' }), t, 0);
  await app.commit();
  return store;
}

describe('for-state restore', () => {
  it.each([
    // forMs, ran until (min), restarted at (min), want activeAt (min): Prometheus RestoreForState.
    { name: 'shifts activeAt by the downtime', forMin: 20, ranMin: 5, restartMin: 10, wantActiveMin: 5 },
    {
      name: 'gives at least the grace period after a restart',
      forMin: 20,
      ranMin: 15,
      restartMin: 17,
      wantActiveMin: 7,
    },
    {
      name: 'leaves an alert that was firing to fire again',
      forMin: 15,
      ranMin: 20,
      restartMin: 22,
      wantActiveMin: 0,
    },
  ])('$name', async ({ forMin, ranMin, restartMin, wantActiveMin }) => {
    const store = await storeWithDownTarget(T0 + 40 * MIN);
    const queryFn = queryFnFor(new Engine(store));
    const clock = new FakeClock(T0);
    const before = new RuleGroup(config(forMin * MIN), {
      queryFn,
      appendable: store,
      clock,
      restoreForState: false,
    });
    for (let m = 0; m <= ranMin; m++) await before.evaluate(T0 + m * MIN);
    const after = new RuleGroup(config(forMin * MIN), { queryFn, appendable: store, clock });
    await after.evaluate(T0 + restartMin * MIN);
    const a = [...(after.rules[0] as AlertingRule).active.values()][0];
    expect(a && (a.activeAtMs - T0) / MIN).toBe(wantActiveMin);
  });
});

describe('RuleManager.applyConfig', () => {
  it('keeps the alerts of unchanged rules and drops changed ones', async () => {
    const store = await storeWithDownTarget(T0 + 10 * MIN);
    const clock = new FakeClock(T0);
    const m = new RuleManager({
      queryFn: queryFnFor(new Engine(store)),
      appendable: store,
      clock,
      restoreForState: false,
    });
    await m.applyConfig([config(5 * MIN)]);
    await clock.advance(3 * MIN);
    const first = m.groups[0]?.rules[0] as AlertingRule;
    const activeAt = [...first.active.values()][0]?.activeAtMs;
    expect(activeAt).toBeDefined();
    await m.applyConfig([config(5 * MIN)]);
    const kept = m.groups[0]?.rules[0] as AlertingRule;
    expect(kept).not.toBe(first);
    expect([...kept.active.values()][0]?.activeAtMs).toBe(activeAt);
    await m.applyConfig([config(6 * MIN)]);
    expect((m.groups[0]?.rules[0] as AlertingRule).active.size).toBe(0);
    await m.close();
  });
});
