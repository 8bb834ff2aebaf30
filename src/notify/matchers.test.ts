import { describe, expect, it } from 'vitest';
import {
  compareMatchers,
  legacyMatchers,
  matchersString,
  matchesLabels,
  parseMatcher,
  parseMatchers,
} from './matchers.js';

describe('parseMatchers', () => {
  const cases: { input: string; want: { type: string; name: string; value: string }[] }[] = [
    { input: 'foo="bar"', want: [{ type: '=', name: 'foo', value: 'bar' }] },
    { input: 'foo=bar', want: [{ type: '=', name: 'foo', value: 'bar' }] },
    { input: 'foo!=bar', want: [{ type: '!=', name: 'foo', value: 'bar' }] },
    { input: 'foo=~"a|b"', want: [{ type: '=~', name: 'foo', value: 'a|b' }] },
    { input: 'foo!~x.*', want: [{ type: '!~', name: 'foo', value: 'x.*' }] },
    { input: '{foo="bar"}', want: [{ type: '=', name: 'foo', value: 'bar' }] },
    {
      input: '{foo="bar", baz!="qux"}',
      want: [
        { type: '=', name: 'foo', value: 'bar' },
        { type: '!=', name: 'baz', value: 'qux' },
      ],
    },
    { input: 'foo="a,b"', want: [{ type: '=', name: 'foo', value: 'a,b' }] },
    { input: 'foo="say \\"hi\\""', want: [{ type: '=', name: 'foo', value: 'say "hi"' }] },
    { input: 'foo="a\\\\b"', want: [{ type: '=', name: 'foo', value: 'a\\b' }] },
    { input: 'foo="line\\nbreak"', want: [{ type: '=', name: 'foo', value: 'line\nbreak' }] },
    { input: 'foo="\\d+"', want: [{ type: '=', name: 'foo', value: '\\d+' }] },
    { input: 'foo=', want: [{ type: '=', name: 'foo', value: '' }] },
    { input: 'foo=""', want: [{ type: '=', name: 'foo', value: '' }] },
    { input: '  foo  =  bar  ', want: [{ type: '=', name: 'foo', value: 'bar' }] },
    { input: 'job:name="x"', want: [{ type: '=', name: 'job:name', value: 'x' }] },
    { input: 'foo=~"[a-z]+"', want: [{ type: '=~', name: 'foo', value: '[a-z]+' }] },
    { input: 'foo=bar baz', want: [{ type: '=', name: 'foo', value: 'bar baz' }] },
    { input: 'foo=\\', want: [{ type: '=', name: 'foo', value: '\\' }] },
    { input: '', want: [] },
    { input: '{}', want: [] },
  ];
  for (const c of cases) {
    it(`parses ${JSON.stringify(c.input)}`, () => {
      expect(parseMatchers(c.input)).toEqual(c.want);
    });
  }

  const bad: { input: string; error: RegExp }[] = [
    { input: 'foo', error: /bad matcher format: foo/ },
    { input: '1foo="bar"', error: /bad matcher format/ },
    { input: 'foo=="bar"', error: /unescaped double quote/ },
    { input: 'foo="bar', error: /unescaped double quote/ },
    { input: 'foo=bar"', error: /unescaped double quote/ },
    { input: 'foo="b"ar"', error: /unescaped double quote/ },
    { input: 'foo=~"(unclosed"', error: /invalid regular expression "\(unclosed"/ },
    { input: 'foo="a",=b', error: /bad matcher format/ },
  ];
  for (const c of bad) {
    it(`rejects ${JSON.stringify(c.input)}`, () => {
      expect(() => parseMatchers(c.input)).toThrow(c.error);
    });
  }
});

describe('legacyMatchers', () => {
  it('turns match into = and match_re into an anchored =~', () => {
    expect(legacyMatchers({ service: 'db' }, { severity: 'page|crit' })).toEqual([
      { type: '=', name: 'service', value: 'db' },
      { type: '=~', name: 'severity', value: '^(?:page|crit)$' },
    ]);
  });
  it('rejects an invalid label name and an invalid regex', () => {
    expect(() => legacyMatchers({ 'a-b': 'x' })).toThrow(/invalid label name "a-b"/);
    expect(() => legacyMatchers({}, { a: '(' })).toThrow(/invalid regular expression/);
  });
});

describe('matchesLabels', () => {
  const cases: { matchers: string; labels: Record<string, string>; want: boolean }[] = [
    { matchers: 'a="1"', labels: { a: '1' }, want: true },
    { matchers: 'a="1"', labels: { a: '12' }, want: false },
    { matchers: 'a=~"1"', labels: { a: '12' }, want: false },
    { matchers: 'a=~"1.*"', labels: { a: '12' }, want: true },
    { matchers: 'a!~"1.*"', labels: { a: '12' }, want: false },
    { matchers: 'a!="1"', labels: {}, want: true },
    { matchers: 'a=""', labels: {}, want: true },
    { matchers: 'a=~".*"', labels: {}, want: true },
    { matchers: 'a=~".+"', labels: {}, want: false },
    { matchers: 'a="1",b="2"', labels: { a: '1', b: '2' }, want: true },
    { matchers: 'a="1",b="2"', labels: { a: '1', b: '3' }, want: false },
    { matchers: 'a=~"(?i)abc"', labels: { a: 'ABC' }, want: true },
    { matchers: '', labels: { a: '1' }, want: true },
  ];
  for (const c of cases) {
    it(`${c.matchers} on ${JSON.stringify(c.labels)} is ${c.want}`, () => {
      expect(matchesLabels(parseMatchers(c.matchers), c.labels)).toBe(c.want);
    });
  }
});

describe('matchersString', () => {
  it('prints sorted matchers as Alertmanager forms route keys', () => {
    const ms = parseMatchers('severity=~"page|crit", a!="x\\"y", a="b"').sort(compareMatchers);
    expect(matchersString(ms)).toBe('{a="b",a!="x\\"y",severity=~"page|crit"}');
    expect(matchersString([])).toBe('{}');
    expect(matchersString([parseMatcher('x="line\\nbreak"')])).toBe('{x="line\\nbreak"}');
  });
});
