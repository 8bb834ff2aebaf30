import { describe, expect, it } from 'vitest';
import { commonLabels, compareLabelSets, compareStrings, fingerprint, labelSetString } from './label-set.js';

describe('fingerprint', () => {
  // Fingerprints read back from Debian's prometheus-alertmanager 0.25 (GET /api/v2/alerts) after
  // posting these label sets.
  const cases: { labels: Record<string, string>; want: string }[] = [
    { labels: { alertname: 'HighLatency', instance: 'a:9090', job: 'api' }, want: '8392bc2beab615c5' },
    { labels: { a: 'b' }, want: 'd2b371819297f98a' },
    { labels: { alertname: 'X', msg: 'héllo "q"\n' }, want: '2c2920b268d9e22f' },
    // FNV-1a 64 offset basis: the empty label set.
    { labels: {}, want: 'cbf29ce484222325' },
  ];
  for (const c of cases) {
    it(`of ${JSON.stringify(c.labels)} is ${c.want}`, () => {
      expect(fingerprint(c.labels)).toBe(c.want);
    });
  }
  it('does not depend on key order', () => {
    expect(fingerprint({ job: 'api', alertname: 'HighLatency', instance: 'a:9090' })).toBe(
      '8392bc2beab615c5',
    );
  });
});

describe('labelSetString', () => {
  it('prints sorted, comma-space separated, Go-quoted values', () => {
    expect(labelSetString({ b: '2', a: 'x"y\n' })).toBe('{a="x\\"y\\n", b="2"}');
    expect(labelSetString({})).toBe('{}');
  });
});

describe('compareLabelSets', () => {
  // Go's quirk: a set that lacks a name the other has sorts after it ({b:"a"} before {a:"a"}).
  it('orders by size first, then by the union of names', () => {
    const sets = [{ alertname: 'X', msg: 'm' }, { a: 'b' }, { a: 'a' }, { a: 'a', b: 'b' }, { b: 'a' }];
    expect([...sets].sort(compareLabelSets)).toEqual([
      { b: 'a' },
      { a: 'a' },
      { a: 'b' },
      { alertname: 'X', msg: 'm' },
      { a: 'a', b: 'b' },
    ]);
  });
});

describe('commonLabels', () => {
  it('keeps labels equal in every set', () => {
    expect(commonLabels([{ a: '1', b: '2' }, { a: '1', b: '3' }, { a: '1' }])).toEqual({ a: '1' });
    expect(commonLabels([])).toEqual({});
  });
});

describe('compareStrings', () => {
  const cases: [string, string][] = [
    ['a', 'b'],
    ['a', 'ab'],
    ['Z', 'a'],
    ['z\u00ff', 'é'],
    ['\uffff', '😀'],
    ['\ue000', '\ud83d\ude00'],
    ['abc', 'abd'],
  ];
  for (const [lo, hi] of cases) {
    it(`orders ${JSON.stringify(lo)} before ${JSON.stringify(hi)} as UTF-8 bytes do`, () => {
      const bytes = (s: string) => [...new TextEncoder().encode(s)];
      const byteOrder = Math.sign(Buffer.compare(Buffer.from(bytes(lo)), Buffer.from(bytes(hi))));
      expect(byteOrder).toBe(-1);
      expect(Math.sign(compareStrings(lo, hi))).toBe(-1);
      expect(Math.sign(compareStrings(hi, lo))).toBe(1);
    });
  }
});
