import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { AlertStore, mergeAlerts, type AlertStoreEvent, type StoredAlert } from './alert-store.js';

const T0 = 1_800_000_000_000;

function stored(p: Partial<StoredAlert>): StoredAlert {
  return {
    fingerprint: 'f',
    labels: { a: '1' },
    annotations: {},
    startsAtMs: T0,
    endsAtMs: 0,
    generatorURL: '',
    updatedAtMs: T0,
    timeout: false,
    ...p,
  };
}

describe('mergeAlerts', () => {
  const now = T0 + 100_000;
  const cases: {
    name: string;
    old: Partial<StoredAlert>;
    young: Partial<StoredAlert>;
    want: { startsAtMs: number; endsAtMs: number };
  }[] = [
    {
      name: 'keeps the earliest start',
      old: { startsAtMs: T0, endsAtMs: now + 1000, updatedAtMs: T0 },
      young: { startsAtMs: T0 + 50, endsAtMs: now + 2000, updatedAtMs: T0 + 10 },
      want: { startsAtMs: T0, endsAtMs: now + 2000 },
    },
    {
      name: 'a firing young alert keeps the older later explicit end',
      old: { endsAtMs: now + 9000, updatedAtMs: T0 },
      young: { endsAtMs: now + 2000, updatedAtMs: T0 + 10 },
      want: { startsAtMs: T0, endsAtMs: now + 9000 },
    },
    {
      name: 'but not a later end that was only a resolve timeout',
      old: { endsAtMs: now + 9000, updatedAtMs: T0, timeout: true },
      young: { endsAtMs: now + 2000, updatedAtMs: T0 + 10 },
      want: { startsAtMs: T0, endsAtMs: now + 2000 },
    },
    {
      name: 'a resolved young alert resolves it',
      old: { endsAtMs: now + 9000, updatedAtMs: T0 },
      young: { endsAtMs: now - 10, updatedAtMs: T0 + 10 },
      want: { startsAtMs: T0, endsAtMs: now - 10 },
    },
    {
      name: 'both resolved: the later end wins',
      old: { endsAtMs: now - 5, updatedAtMs: T0 },
      young: { endsAtMs: now - 10, updatedAtMs: T0 + 10 },
      want: { startsAtMs: T0, endsAtMs: now - 5 },
    },
    {
      name: 'argument order does not matter: the younger one is the base',
      old: { endsAtMs: now + 2000, updatedAtMs: T0 + 10, annotations: { v: 'young' } },
      young: { endsAtMs: now + 1000, updatedAtMs: T0, annotations: { v: 'old' } },
      want: { startsAtMs: T0, endsAtMs: now + 2000 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = mergeAlerts(stored(c.old), stored(c.young), now);
      expect({ startsAtMs: got.startsAtMs, endsAtMs: got.endsAtMs }).toEqual(c.want);
    });
  }
});

describe('AlertStore', () => {
  it('fills in start, end by resolve_timeout, fingerprint and update time', () => {
    const clock = new FakeClock(T0);
    const store = new AlertStore({ clock, resolveTimeoutMs: 300_000 });
    expect(store.put([{ labels: { alertname: 'HighLatency', instance: 'a:9090', job: 'api' } }])).toEqual([]);
    expect(store.list()).toEqual([
      {
        fingerprint: '8392bc2beab615c5',
        labels: { alertname: 'HighLatency', instance: 'a:9090', job: 'api' },
        annotations: {},
        startsAtMs: T0,
        endsAtMs: T0 + 300_000,
        generatorURL: '',
        updatedAtMs: T0,
        timeout: true,
      },
    ]);
  });

  it('starts an alert sent with only an end at its end', () => {
    const store = new AlertStore({ clock: new FakeClock(T0), resolveTimeoutMs: 300_000 });
    store.put([{ labels: { a: '1' }, endsAtMs: T0 - 5 }]);
    expect(store.list()[0]).toMatchObject({ startsAtMs: T0 - 5, endsAtMs: T0 - 5, timeout: false });
  });

  const invalid: { name: string; input: Parameters<AlertStore['put']>[0][number]; reason: string }[] = [
    { name: 'no labels', input: { labels: {} }, reason: 'at least one label pair required' },
    { name: 'only empty labels', input: { labels: { a: '' } }, reason: 'at least one label pair required' },
    {
      name: 'bad label name',
      input: { labels: { 'a-b': '1' } },
      reason: 'invalid label set: invalid name "a-b"',
    },
    {
      name: 'bad annotation name',
      input: { labels: { a: '1' }, annotations: { '1x': 'y' } },
      reason: 'invalid annotations: invalid name "1x"',
    },
    {
      name: 'end before start',
      input: { labels: { a: '1' }, startsAtMs: T0, endsAtMs: T0 - 1 },
      reason: 'start time must be before end time',
    },
  ];
  for (const c of invalid) {
    it(`refuses ${c.name}`, () => {
      const store = new AlertStore({ clock: new FakeClock(T0), resolveTimeoutMs: 300_000 });
      const got = store.put([{ labels: { ok: 'yes' } }, c.input]);
      expect(got.map((i) => ({ index: i.index, reason: i.reason }))).toEqual([
        { index: 1, reason: c.reason },
      ]);
      expect(store.size).toBe(1);
    });
  }

  it('merges a re-sent alert and extends its resolve timeout', async () => {
    const clock = new FakeClock(T0);
    const store = new AlertStore({ clock, resolveTimeoutMs: 300_000 });
    store.put([{ labels: { a: '1' }, startsAtMs: T0 - 60_000 }]);
    await clock.advance(60_000);
    store.put([{ labels: { a: '1' }, startsAtMs: T0, annotations: { summary: 'new' } }]);
    expect(store.list()).toMatchObject([
      {
        startsAtMs: T0 - 60_000,
        endsAtMs: T0 + 360_000,
        updatedAtMs: T0 + 60_000,
        annotations: { summary: 'new' },
      },
    ]);
  });

  it('replaces a resolved alert that fires again instead of merging', async () => {
    const clock = new FakeClock(T0);
    const store = new AlertStore({ clock, resolveTimeoutMs: 300_000 });
    store.put([{ labels: { a: '1' }, startsAtMs: T0 - 60_000, endsAtMs: T0 - 1000 }]);
    await clock.advance(10_000);
    store.put([{ labels: { a: '1' }, startsAtMs: T0 + 5000 }]);
    expect(store.list()).toMatchObject([{ startsAtMs: T0 + 5000, endsAtMs: T0 + 310_000 }]);
  });

  it('collects resolved alerts, tells subscribers, and stops after unsubscribe', async () => {
    const clock = new FakeClock(T0);
    const store = new AlertStore({ clock, resolveTimeoutMs: 300_000 });
    const events: string[] = [];
    const off = store.subscribe((e: AlertStoreEvent) =>
      events.push(
        `${e.kind} ${e.alert.labels['a']!} ${e.kind === 'put' ? String(e.previous !== undefined) : ''}`.trim(),
      ),
    );
    store.put([{ labels: { a: '1' } }, { labels: { a: '2' }, endsAtMs: T0 + 600_000 }]);
    store.put([{ labels: { a: '1' } }]);
    expect(store.gc()).toEqual([]);
    await clock.advance(300_000);
    expect(store.gc().map((a) => a.labels)).toEqual([{ a: '1' }]);
    off();
    store.put([{ labels: { a: '3' } }]);
    expect(events).toEqual(['put 1 false', 'put 2 false', 'put 1 true', 'deleted 1']);
    expect(store.list().map((a) => a.labels['a'])).toEqual(['2', '3']);
  });
});
