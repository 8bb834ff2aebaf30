import { describe, expect, it } from 'vitest';
import { isStaleNaN } from '../model/sample.js';
import { parseSeriesLabels, parseSeriesValues, type SeriesValues } from './series-notation.js';

const show = ({ values, present }: SeriesValues): string[] =>
  [...values].map((v, i) => (present[i] === 0 ? '_' : isStaleNaN(values[i]!) ? 'stale' : String(v)));

describe('parseSeriesValues', () => {
  it.each([
    ['1 2 3', ['1', '2', '3']],
    ['0+10x3', ['0', '10', '20', '30']],
    ['10-2x2', ['10', '8', '6']],
    ['5x2', ['5', '5', '5']],
    ['1 _ 2', ['1', '_', '2']],
    ['_x3 1', ['_', '_', '_', '1']],
    ['1 stale 2', ['1', 'stale', '2']],
    ['Inf -Inf NaN', ['Infinity', '-Infinity', 'NaN']],
    ['1e3 -0.5', ['1000', '-0.5']],
    ['1+0.5x1', ['1', '1.5']],
    ['', []],
  ])('%s', (text, want) => {
    expect(show(parseSeriesValues(text))).toEqual(want);
  });

  it.each(['abc', '1+x3', '_+1x2', '1xx'])('rejects %s', (text) => {
    expect(() => parseSeriesValues(text)).toThrow('invalid value');
  });
});

describe('parseSeriesLabels', () => {
  it('parses a series description', () => {
    expect(parseSeriesLabels('up{job="a", instance="b"}')).toEqual([
      { name: '__name__', value: 'up' },
      { name: 'instance', value: 'b' },
      { name: 'job', value: 'a' },
    ]);
  });
  it('rejects regex matchers', () => {
    expect(() => parseSeriesLabels('up{job=~"a"}')).toThrow('only = matchers');
  });
});
