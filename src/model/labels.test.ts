import { describe, expect, it } from 'vitest';
import { compareLabels, formatSeries, getLabel, labelsFromRecord, sortLabels } from './labels.js';

describe('labels', () => {
  it('sorts by name, drops empty values, keeps the last duplicate', () => {
    const l = sortLabels([
      { name: 'b', value: '2' },
      { name: 'a', value: '1' },
      { name: 'c', value: '' },
      { name: 'b', value: '3' },
    ]);
    expect(l).toEqual([
      { name: 'a', value: '1' },
      { name: 'b', value: '3' },
    ]);
  });

  it('formats a series as Prometheus prints it, escaping values', () => {
    const l = labelsFromRecord({ __name__: 'up', job: 'n"o\\de', instance: 'x\ny' });
    expect(formatSeries(l)).toBe('up{instance="x\\ny", job="n\\"o\\\\de"}');
    expect(formatSeries(labelsFromRecord({ __name__: 'up' }))).toBe('up');
    expect(getLabel(l, 'missing')).toBe('');
  });

  it('orders label sets name by name, then by length', () => {
    const a = labelsFromRecord({ a: '1' });
    const b = labelsFromRecord({ a: '1', b: '1' });
    const c = labelsFromRecord({ a: '2' });
    expect(compareLabels(a, b)).toBeLessThan(0);
    expect(compareLabels(c, b)).toBeGreaterThan(0);
    expect(compareLabels(a, labelsFromRecord({ a: '1' }))).toBe(0);
  });
});
