import { describe, expect, it } from 'vitest';
import { labelsFromRecord } from '../../../model/labels.js';
import { encodeQueryData, formatFloat, formatTimestamp, successBody } from './encode.js';

describe('formatFloat', () => {
  // Expected strings are what Go's strconv.FormatFloat(v, 'f', -1, 64) prints.
  const cases: [number, string][] = [
    [0, '0'],
    [-0, '-0'],
    [1, '1'],
    [-2.5, '-2.5'],
    [0.1, '0.1'],
    [1 / 3, '0.3333333333333333'],
    [1e21, '1000000000000000000000'],
    [1.5e22, '15000000000000000000000'],
    [-1.2345e25, '-12345000000000000000000000'],
    [1e-7, '0.0000001'],
    [1.25e-10, '0.000000000125'],
    [-3.5e-8, '-0.000000035'],
    [123456789012345680000, '123456789012345680000'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
    [5e-324, `0.${'0'.repeat(323)}5`],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ];
  it.each(cases)('prints %s as %s', (v, want) => {
    expect(formatFloat(v)).toBe(want);
  });
  it('round-trips the shortest digits', () => {
    for (const v of [0.1 + 0.2, 1e-300 * 3, 7.123456789e30, 2 ** -40]) expect(Number(formatFloat(v))).toBe(v);
  });
});

describe('formatTimestamp', () => {
  const cases: [number, string][] = [
    [0, '0'],
    [1435781451781, '1435781451.781'],
    [1435781451000, '1435781451'],
    [1100, '1.100'],
    [1005, '1.005'],
    [1050, '1.050'],
    [-1500, '-1.500'],
    [-1000, '-1'],
  ];
  it.each(cases)('prints %s ms as %s', (ms, want) => {
    expect(formatTimestamp(ms)).toBe(want);
  });
});

describe('encodeQueryData', () => {
  it('encodes a vector with labels and string values', () => {
    const json = encodeQueryData({
      type: 'vector',
      vector: [{ labels: labelsFromRecord({ __name__: 'up', job: 'a"b' }), t: 1500, v: NaN }],
    });
    expect(JSON.parse(json)).toEqual({
      resultType: 'vector',
      result: [{ metric: { __name__: 'up', job: 'a"b' }, value: [1.5, 'NaN'] }],
    });
    expect(json).toContain('[1.500,"NaN"]');
  });
  it('encodes a large matrix exactly as point-by-point formatting does', () => {
    let seed = 7;
    const rnd = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const special = [NaN, Infinity, -Infinity, -0, 0, 1e21, 1.5e-7, 5e-324, 123456789.125];
    const matrix = Array.from({ length: 20 }, (_, k) => {
      const n = 50 + k * 7;
      const ts = Float64Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * 15_000 + (k % 3) * 123);
      const vs = Float64Array.from({ length: n }, (_, i) =>
        i % 11 === 0 ? special[(i + k) % special.length]! : (rnd() - 0.5) * 10 ** Math.floor(rnd() * 30 - 10),
      );
      return { labels: labelsFromRecord({ __name__: 'm', k: String(k) }), ts, vs };
    });
    const reference = `{"resultType":"matrix","result":[${matrix
      .map(
        (s) =>
          `{"metric":{"__name__":"m","k":"${s.labels[1]!.value}"},"values":[${Array.from(
            s.ts,
            (t, i) => `[${formatTimestamp(t)},"${formatFloat(s.vs[i]!)}"]`,
          ).join(',')}]}`,
      )
      .join(',')}]}`;
    expect(encodeQueryData({ type: 'matrix', matrix })).toBe(reference);
  });

  it('encodes a matrix, a scalar and a string', () => {
    const matrix = encodeQueryData({
      type: 'matrix',
      matrix: [{ labels: [], ts: Float64Array.of(1000, 2000), vs: Float64Array.of(1e21, -Infinity) }],
    });
    expect(matrix).toBe(
      '{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1000000000000000000000"],[2,"-Inf"]]}]}',
    );
    expect(encodeQueryData({ type: 'scalar', t: 2000, v: 0.5 })).toBe(
      '{"resultType":"scalar","result":[2,"0.5"]}',
    );
    expect(encodeQueryData({ type: 'string', t: 2000, v: 'x"y' })).toBe(
      '{"resultType":"string","result":[2,"x\\"y"]}',
    );
  });
});

describe('successBody', () => {
  it('omits empty annotations and keeps non-empty ones', () => {
    expect(successBody('[]')).toBe('{"status":"success","data":[]}');
    expect(successBody('[]', { warnings: [], infos: ['i'] })).toBe(
      '{"status":"success","data":[],"infos":["i"]}',
    );
    expect(JSON.parse(successBody('1', { warnings: ['w'] }))).toEqual({
      status: 'success',
      data: 1,
      warnings: ['w'],
    });
  });
});
