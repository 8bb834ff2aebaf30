import { describe, expect, it } from 'vitest';
import { alignMatrix, formatSeriesName, legendFor, seriesStats, stack } from './series.js';

describe('alignMatrix', () => {
  const range = { startMs: 1_000_000, endMs: 1_060_000, stepMs: 15_000 };
  it('puts samples on the steps and leaves gaps as null', () => {
    const data = alignMatrix(
      [
        {
          metric: { a: '1' },
          values: [
            [1000, '1'],
            [1030, '3'],
            [1060, '5'],
          ],
        },
        { metric: { a: '2' }, values: [[1015.001, '2.5']] },
      ],
      range,
    );
    expect(data.xs).toEqual([1000, 1015, 1030, 1045, 1060]);
    expect(data.ys).toEqual([
      [1, null, 3, null, 5],
      [null, 2.5, null, null, null],
    ]);
  });
  it('keeps NaN and infinities, drops samples off the range', () => {
    const data = alignMatrix(
      [
        {
          metric: {},
          values: [
            [900, '7'],
            [1000, 'NaN'],
            [1015, '+Inf'],
            [1030, '-Inf'],
            [2000, '9'],
          ],
        },
      ],
      range,
    );
    expect(data.ys[0]).toEqual([NaN, Infinity, -Infinity, null, null]);
  });
});

describe('formatSeriesName', () => {
  it.each([
    [{ __name__: 'up' }, 'up'],
    [{ __name__: 'up', job: 'node', instance: 'a:9100' }, 'up{instance="a:9100", job="node"}'],
    [{ mode: 'idle' }, '{mode="idle"}'],
    [{}, '{}'],
    [{ __name__: 'x', path: 'C:\\"q"' }, 'x{path="C:\\\\\\"q\\""}'],
  ])('%j → %s', (metric, want) => {
    expect(formatSeriesName(metric)).toBe(want);
  });
});

describe('legendFor', () => {
  it.each([
    ['{{device}}', { device: 'eth0' }, 'eth0'],
    ['rx {{ device }} on {{instance}}', { device: 'eth0', instance: 'h' }, 'rx eth0 on h'],
    ['{{missing}}x', {}, 'x'],
    ['plain', { a: 'b' }, 'plain'],
    [undefined, { __name__: 'up', a: 'b' }, 'up{a="b"}'],
  ])('%j with %j → %s', (template, metric, want) => {
    expect(legendFor(template, metric)).toBe(want);
  });
});

describe('seriesStats', () => {
  it('ignores gaps and non-finite values', () => {
    expect(seriesStats([null, 3, NaN, 1, Infinity, 2, null])).toEqual({ min: 1, max: 3, last: 2 });
    expect(seriesStats([null, NaN])).toBeUndefined();
  });
});

describe('stack', () => {
  it('sums series in order and keeps each series’ gaps', () => {
    expect(
      stack([
        [1, 1, null],
        [2, null, 2],
        [3, 3, 3],
      ]),
    ).toEqual([
      [1, 1, null],
      [3, null, 2],
      [6, 4, 5],
    ]);
  });
});
