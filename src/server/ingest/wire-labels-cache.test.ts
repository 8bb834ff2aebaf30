import { describe, expect, it } from 'vitest';
import { labelsFromRecord } from '../../model/labels.js';
import { WireLabelsCache } from './wire-labels-cache.js';

function fakeClock(start = 0) {
  const c = { t: start, now: () => c.t, sleep: () => Promise.resolve() };
  return c;
}

describe('WireLabelsCache', () => {
  it('keys by the exact bytes of a span', () => {
    const raw = Uint8Array.from([1, 2, 3, 0xff, 2, 3]);
    expect(WireLabelsCache.key(raw, 1, 3)).toBe(WireLabelsCache.key(raw, 4, 6));
    expect(WireLabelsCache.key(raw, 0, 2)).not.toBe(WireLabelsCache.key(raw, 1, 3));
    expect(WireLabelsCache.key(raw, 3, 4)).toHaveLength(1);
  });

  it('forgets an entry not used for two generations, and keeps one that is used', () => {
    const clock = fakeClock();
    const cache = new WireLabelsCache({ clock, generationMs: 1000 });
    const a = labelsFromRecord({ __name__: 'a' });
    const b = labelsFromRecord({ __name__: 'b' });
    cache.set('a', a);
    cache.set('b', b);
    clock.t = 1000;
    cache.set('c', a); // rotates: a and b are now the old generation
    expect(cache.get('a')).toBe(a); // moved to the current one
    clock.t = 2000;
    cache.set('d', a); // rotates again: b was not used and is gone
    expect(cache.get('a')).toBe(a);
    expect(cache.get('b')).toBeUndefined();
  });

  it('rotates when a generation is full, holding at most twice maxEntries', () => {
    const cache = new WireLabelsCache({ clock: fakeClock(), maxEntries: 2 });
    const l = labelsFromRecord({ __name__: 'x' });
    for (const k of ['1', '2', '3', '4', '5']) cache.set(k, l);
    expect(cache.size).toBeLessThanOrEqual(4);
    expect(cache.get('5')).toBe(l);
    expect(cache.get('1')).toBeUndefined();
  });
});
