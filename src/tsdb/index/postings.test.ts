import { describe, expect, it } from 'vitest';
import { labelsFromRecord, type Labels } from '../../model/labels.js';
import { matchesAll } from '../../storage/matcher.js';
import type { Matcher } from '../../storage/storage.js';
import {
  intersect,
  literalAlternatives,
  MemPostings,
  postingsForMatchers,
  subtract,
  union,
} from './postings.js';

const u = (...xs: number[]) => Uint32Array.from(xs);

describe('postings set algebra', () => {
  it('intersects, unites and subtracts sorted id lists', () => {
    expect([...intersect(u(1, 3, 5, 7), u(2, 3, 4, 7, 9))]).toEqual([3, 7]);
    expect([...union([u(1, 5), u(2, 5, 9), u()])]).toEqual([1, 2, 5, 9]);
    expect([...subtract(u(1, 2, 3, 4), u(2, 4, 6))]).toEqual([1, 3]);
    expect([...intersect(u(), u(1))]).toEqual([]);
  });

  it.each([
    ['a|b|c', ['a', 'b', 'c']],
    ['node-1:9100', ['node-1:9100']],
    ['a|', ['a', '']],
    ['a.*', null],
    ['(a|b)', null],
    ['a+', null],
    ['[ab]', null],
  ])('literalAlternatives(%j)', (pattern, want) => {
    expect(literalAlternatives(pattern)).toEqual(want);
  });
});

describe('postingsForMatchers', () => {
  const series: Labels[] = [
    labelsFromRecord({ __name__: 'up', job: 'node', instance: 'a:9100' }),
    labelsFromRecord({ __name__: 'up', job: 'node', instance: 'b:9100' }),
    labelsFromRecord({ __name__: 'up', job: 'api', instance: 'c:80', env: 'prod' }),
    labelsFromRecord({ __name__: 'http_requests_total', job: 'api', code: '200', env: 'prod' }),
    labelsFromRecord({ __name__: 'http_requests_total', job: 'api', code: '500', env: 'dev' }),
    labelsFromRecord({ __name__: 'http_requests_total', job: 'api', code: '404' }),
    labelsFromRecord({ __name__: 'x', job: 'multi\nline' }),
  ];
  const ix = new MemPostings();
  series.forEach((s, i) => ix.add(i + 1, s));

  const m = (name: string, type: Matcher['type'], value: string): Matcher => ({ name, type, value });
  const cases: Matcher[][] = [
    [m('__name__', '=', 'up')],
    [m('__name__', '=', 'nope')],
    [m('__name__', '=', 'up'), m('job', '=', 'node')],
    [m('__name__', '=', 'up'), m('job', '!=', 'node')],
    [m('env', '=', '')],
    [m('env', '!=', '')],
    [m('env', '!=', 'prod')],
    [m('env', '=~', 'prod|dev')],
    [m('env', '=~', 'prod|')],
    [m('env', '!~', 'prod|dev')],
    [m('env', '!~', '')],
    [m('code', '=~', '5..')],
    [m('code', '=~', '.*')],
    [m('code', '=~', '.+')],
    [m('code', '!~', '.*')],
    [m('code', '!~', '.+')],
    [m('code', '=~', '2')],
    [m('code', '=~', '2.*|4.*'), m('env', '!=', 'dev')],
    [m('instance', '=~', '.*:9100')],
    [m('job', '=~', 'multi.line')],
    [m('__name__', '=~', 'up|x'), m('job', '!~', 'api')],
    [m('job', '=~', 'API')],
  ];
  for (const ms of cases) {
    it(`matches like a full scan: ${ms.map((x) => `${x.name}${x.type}${JSON.stringify(x.value)}`).join(',')}`, () => {
      const want = series.flatMap((s, i) => (matchesAll(s, ms) ? [i + 1] : []));
      expect([...postingsForMatchers(ix, ms)]).toEqual(want);
    });
  }

  it('rejects an invalid regex with a bad_input error naming it', () => {
    expect(() => postingsForMatchers(ix, [m('job', '=~', '(')])).toThrow(
      /invalid regex in matcher job=~"\("/,
    );
  });

  it('keeps ids sorted when they are added out of order and after deletion', () => {
    const p = new MemPostings();
    p.add(1, labelsFromRecord({ a: '1' }));
    p.add(5, labelsFromRecord({ a: '1' }));
    p.addUnordered(3, labelsFromRecord({ a: '1' }));
    expect([...p.postings('a', '1')]).toEqual([1, 3, 5]);
    p.delete(new Set([3]));
    expect([...p.postings('a', '1')]).toEqual([1, 5]);
    expect([...p.allPostings()]).toEqual([1, 5]);
  });
});
