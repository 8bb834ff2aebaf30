import { describe, expect, it } from 'vitest';
import { en } from '../i18n/en.js';
import { expandQuery, promString, USE_PANELS } from './host-panels.js';

describe('USE_PANELS', () => {
  it('uses only $host and $rate as variables, and every panel has a title string', () => {
    for (const p of USE_PANELS) {
      expect(en[p.title]).toBeTruthy();
      for (const q of p.queries) {
        const rest = expandQuery(q.expr, { host: 'h', rateWindow: '1m' });
        expect(rest, q.expr).not.toContain('$');
        expect(rest).toContain('instance="h"');
      }
    }
  });
});

describe('expandQuery', () => {
  it('quotes the host as a PromQL string and fills the rate window', () => {
    expect(expandQuery('rate(x{instance="$host"}[$rate])', { host: 'a"b\\c', rateWindow: '75s' })).toBe(
      'rate(x{instance="a\\"b\\\\c"}[75s])',
    );
  });
  it.each([
    ['web-1', '"web-1"'],
    ['a\nb', '"a\\nb"'],
  ])('promString(%j) = %s', (s, want) => {
    expect(promString(s)).toBe(want);
  });
});
