import { describe, expect, it } from 'vitest';
import { labelsFromRecord } from '../../model/labels.js';
import { hashBytes, WireLabelsCache } from './wire-labels-cache.js';

function fakeClock(start = 0) {
  const c = { t: start, now: () => c.t, sleep: () => Promise.resolve() };
  return c;
}

const bytes = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));

describe('WireLabelsCache', () => {
  it('finds labels by the exact bytes of a span, wherever the span is', () => {
    const cache = new WireLabelsCache({ clock: fakeClock() });
    const a = labelsFromRecord({ __name__: 'a' });
    const raw = bytes('xx\u00ffabc\u0000yy');
    const stored = cache.set(raw, 2, 7, a);
    expect(stored).toEqual(a);
    expect(cache.get(bytes('\u00ffabc\u0000'), 0, 5)).toBe(stored);
    expect(cache.get(bytes('z\u00ffabc\u0000'), 1, 6)).toBe(stored);
    expect(cache.get(bytes('\u00ffabc\u0001'), 0, 5)).toBeUndefined();
    expect(cache.get(bytes('\u00ffabc'), 0, 4)).toBeUndefined();
  });

  it('tells apart keys whose hashes collide', () => {
    // Search two short keys with the same hash, then store both.
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; pair === undefined; i++) {
      const k = i.toString(36);
      const h = hashBytes(bytes(k), 0, k.length);
      const other = seen.get(h);
      if (other !== undefined) pair = [other, k];
      else seen.set(h, k);
    }
    const cache = new WireLabelsCache({ clock: fakeClock() });
    const la = labelsFromRecord({ __name__: 'a' });
    const lb = labelsFromRecord({ __name__: 'b' });
    const sa = cache.set(bytes(pair[0]), 0, pair[0].length, la);
    const sb = cache.set(bytes(pair[1]), 0, pair[1].length, lb);
    expect(cache.get(bytes(pair[0]), 0, pair[0].length)).toBe(sa);
    expect(cache.get(bytes(pair[1]), 0, pair[1].length)).toBe(sb);
  });

  it('forgets an entry not used for two generations, and keeps one that is used', () => {
    const clock = fakeClock();
    const cache = new WireLabelsCache({ clock, generationMs: 1000 });
    const a = labelsFromRecord({ __name__: 'a' });
    const b = labelsFromRecord({ __name__: 'b' });
    const key = (s: string) => [bytes(s), 0, s.length] as const;
    const sa = cache.set(...key('a'), a);
    cache.set(...key('b'), b);
    clock.t = 1000;
    cache.set(...key('c'), a); // rotates: a and b are now the old generation
    expect(cache.get(...key('a'))).toBe(sa); // moved to the current one
    clock.t = 2000;
    cache.set(...key('d'), a); // rotates again: b was not used and is gone
    expect(cache.get(...key('a'))).toBe(sa);
    expect(cache.get(...key('b'))).toBeUndefined();
  });

  it('rotates when a generation is full, holding at most twice maxEntries', () => {
    const cache = new WireLabelsCache({ clock: fakeClock(), maxEntries: 2 });
    const l = labelsFromRecord({ __name__: 'x' });
    let last = l;
    for (const k of ['1', '2', '3', '4', '5']) last = cache.set(bytes(k), 0, 1, l);
    expect(cache.size).toBeLessThanOrEqual(4);
    expect(cache.get(bytes('5'), 0, 1)).toBe(last);
    expect(cache.get(bytes('1'), 0, 1)).toBeUndefined();
  });
  it('shares one Label object per name and value among the series it stores', () => {
    const cache = new WireLabelsCache({ clock: fakeClock() });
    const a = cache.set(bytes('a'), 0, 1, labelsFromRecord({ __name__: 'up', job: 'node' }));
    const b = cache.set(bytes('b'), 0, 1, labelsFromRecord({ __name__: 'up', job: 'db' }));
    expect(b).toEqual(labelsFromRecord({ __name__: 'up', job: 'db' }));
    expect(b[0]).toBe(a[0]);
    expect(b[1]).not.toBe(a[1]);
    expect(cache.get(bytes('b'), 0, 1)).toBe(b);
  });
});
