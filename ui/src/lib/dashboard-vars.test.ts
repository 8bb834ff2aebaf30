import { describe, expect, it } from 'vitest';
import type { Variable } from './dashboard-model.js';
import {
  ALL,
  AUTO,
  builtinValues,
  escapeRegexValue,
  filterValues,
  formatSelection,
  labelValuesRequest,
  selectVariable,
  staticOptions,
  substitute,
  urlSelections,
  withVarSelection,
  type VarSelection,
} from './dashboard-vars.js';

const sel = (values: string[], isAll = false): VarSelection => ({ values, isAll });

describe('substitute', () => {
  const values = new Map<string, VarSelection>([
    ['instance', sel(['web-1'])],
    ['inst', sel(['nope'])],
    ['mode', sel(['user', 'system'])],
    ['job', sel(['a.b', 'c'], true)],
    ['empty', sel([])],
    ...builtinValues({ stepMs: 30_000, rateWindowMs: 60_000, rangeMs: 3_600_000 }),
  ]);
  it.each([
    ['up{instance="$instance"}', 'up{instance="web-1"}'],
    ['up{instance="${instance}"}', 'up{instance="web-1"}'],
    ['up{instance="[[instance]]"}', 'up{instance="web-1"}'],
    ['x{mode=~"$mode"}', 'x{mode=~"(user|system)"}'],
    ['x{job=~"$job"}', 'x{job=~"(a\\\\.b|c)"}'],
    ['x{mode=~"${mode:pipe}"}', 'x{mode=~"user|system"}'],
    ['${mode:csv}', 'user,system'],
    ['${instance:regex}', 'web-1'],
    ['rate(x[$__rate_interval])', 'rate(x[60s])'],
    ['rate(x[$__interval]) $__interval_ms $__range $__range_s', 'rate(x[30s]) 30000 3600s 3600'],
    ['$unknown and ${unknown} and [[unknown]]', '$unknown and ${unknown} and [[unknown]]'],
    ['label_replace(x, "a", "$1", "b", "(.*)")', 'label_replace(x, "a", "$1", "b", "(.*)")'],
    ['$instance_id', '$instance_id'],
    ['"$empty"', '""'],
  ])('%s → %s', (text, want) => {
    expect(substitute(text, values)).toBe(want);
  });
});

describe('formatSelection', () => {
  it.each([
    [sel(['a']), undefined, 'a'],
    [sel(['a', 'b']), undefined, '(a|b)'],
    [sel(['a'], true), undefined, '(a)'],
    [sel([], true), undefined, '.*'],
    [sel(['a+b']), 'regex', 'a\\\\+b'],
    [sel(['a', 'b']), 'raw', 'a,b'],
  ] as const)('%j %s → %s', (s, f, want) => {
    expect(formatSelection(s, f)).toBe(want);
  });
  it('escapes every regex metacharacter', () => {
    expect(escapeRegexValue('^$*+?.()|[]{}\\')).toBe(
      '\\\\^\\\\$\\\\*\\\\+\\\\?\\\\.\\\\(\\\\)\\\\|\\\\[\\\\]\\\\{\\\\}\\\\\\',
    );
  });
});

describe('selectVariable', () => {
  const single: Variable = { type: 'custom', name: 'm', options: ['a', 'b', 'c'] };
  const multi: Variable = { ...single, multi: true, includeAll: true, current: ['b', 'c'] };
  it.each([
    ['URL value offered', single, ['b'], sel(['b'])],
    ['URL value not offered → first', single, ['z'], sel(['a'])],
    ['single keeps one of several', single, ['c', 'b'], sel(['c'])],
    ['current when no URL', multi, [], sel(['b', 'c'])],
    ['multi from URL', multi, ['a', 'c'], sel(['a', 'c'])],
    ['All from URL', multi, [ALL], sel(['a', 'b', 'c'], true)],
    ['All ignored without includeAll', single, [ALL], sel(['a'])],
  ] as const)('%s', (_name, v, url, want) => {
    expect(selectVariable(v, ['a', 'b', 'c'], url)).toEqual(want);
  });
  it('keeps the URL values when the options could not be loaded', () => {
    expect(selectVariable(single, [], ['x'])).toEqual(sel(['x']));
  });
});

describe('filterValues', () => {
  it.each([
    [['b', 'a', 'a'], undefined, ['a', 'b']],
    [['web-1', 'db-1', 'web-10', 'web-2'], '/web-.*/', ['web-1', 'web-2', 'web-10']],
    [['web-1:9100', 'db-1:9100'], '/(.*):9100/', ['db-1', 'web-1']],
    [['A', 'b'], '/a/i', ['A']],
    [['a', 'b'], '/[/', ['a', 'b']],
  ] as const)('%j with %s → %j', (values, regex, want) => {
    expect(filterValues(values, regex)).toEqual(want);
  });
});

describe('labelValuesRequest', () => {
  const values = new Map([['job', sel(['node'])]]);
  it.each([
    ['label_values(instance)', { label: 'instance' }],
    ['label_values(up{job="$job"}, instance)', { label: 'instance', match: 'up{job="node"}' }],
    ['query_result(up)', undefined],
  ])('%s', (query, want) => {
    expect(labelValuesRequest({ type: 'query', name: 'x', query }, values)).toEqual(want);
  });
});

describe('staticOptions', () => {
  it('lists auto first for an interval variable that offers it', () => {
    expect(staticOptions({ type: 'interval', name: 'i', options: ['1m', '5m'], auto: true })).toEqual([
      AUTO,
      '1m',
      '5m',
    ]);
  });
});

describe('URL selections', () => {
  it('reads repeated var- parameters and writes them back keeping the others', () => {
    const s = withVarSelection('from=now-1h&var-a=1', 'mode', ['user', 'system']);
    expect(s).toBe('from=now-1h&var-a=1&var-mode=user&var-mode=system');
    expect(urlSelections(new URLSearchParams(s))).toEqual(
      new Map([
        ['a', ['1']],
        ['mode', ['user', 'system']],
      ]),
    );
    expect(withVarSelection(s, 'mode', [])).toBe('from=now-1h&var-a=1');
  });
});
