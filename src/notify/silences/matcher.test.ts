import { describe, expect, it } from 'vitest';
import {
  compileMatcher,
  formatMatcher,
  matchesLabelSet,
  parseMatcher,
  parseMatchers,
  silenceMatchesFilter,
} from './matcher.js';

describe('parseMatcher', () => {
  const good: { text: string; want: [string, string, string] }[] = [
    { text: 'alertname="Foo"', want: ['alertname', '=', 'Foo'] },
    { text: 'alertname=Foo', want: ['alertname', '=', 'Foo'] },
    { text: ' job =~ "api.*" ', want: ['job', '=~', 'api.*'] },
    { text: 'env!=prod', want: ['env', '!=', 'prod'] },
    { text: 'env!~"prod|stage"', want: ['env', '!~', 'prod|stage'] },
    { text: 'msg="say \\"hi\\"\\n"', want: ['msg', '=', 'say "hi"\n'] },
    { text: 'a=""', want: ['a', '=', ''] },
    { text: 'a=', want: ['a', '=', ''] },
    { text: 'a:b="c"', want: ['a:b', '=', 'c'] },
    { text: 'a="b=c"', want: ['a', '=', 'b=c'] },
  ];
  for (const c of good) {
    it(`parses ${c.text}`, () => {
      const m = parseMatcher(c.text);
      const op = formatMatcher(m).slice(
        m.name.length,
        formatMatcher(m).length - JSON.stringify(m.value).length,
      );
      expect([m.name, op, m.value]).toEqual(c.want);
    });
  }
  const bad: { text: string; error: RegExp }[] = [
    { text: 'foo', error: /^bad matcher format: foo$/ },
    { text: '1a=b', error: /bad matcher format/ },
    { text: 'a=~"("', error: /invalid regular expression "\("/ },
    { text: 'a="x\\q"', error: /bad matcher format/ },
  ];
  for (const c of bad) {
    it(`rejects ${c.text}`, () => {
      expect(() => parseMatcher(c.text)).toThrow(c.error);
    });
  }
  it('splits a selector in braces', () => {
    expect(parseMatchers(['{a="x,y", b=~c}', 'd!=e']).map(formatMatcher)).toEqual([
      'a="x,y"',
      'b=~"c"',
      'd!="e"',
    ]);
  });
});

describe('matchesLabelSet', () => {
  const cases: { matcher: string; labels: Record<string, string>; want: boolean }[] = [
    { matcher: 'job="api"', labels: { job: 'api' }, want: true },
    { matcher: 'job="api"', labels: {}, want: false },
    { matcher: 'job=""', labels: {}, want: true },
    { matcher: 'job=~"a.i"', labels: { job: 'api' }, want: true },
    { matcher: 'job=~"a"', labels: { job: 'api' }, want: false },
    { matcher: 'job=~"(?i)API"', labels: { job: 'api' }, want: true },
    { matcher: 'job!~"api|web"', labels: { job: 'db' }, want: true },
    { matcher: 'job!="api"', labels: {}, want: true },
    { matcher: 'x=~"\\\\Qa.b\\\\E"', labels: { x: 'a.b' }, want: true },
    { matcher: 'x=~"\\\\Qa.b\\\\E"', labels: { x: 'axb' }, want: false },
  ];
  for (const c of cases) {
    it(`${c.matcher} ${c.want ? 'matches' : 'does not match'} ${JSON.stringify(c.labels)}`, () => {
      const m = compileMatcher(parseMatcher(c.matcher), 'm');
      expect(matchesLabelSet(c.labels, [m])).toBe(c.want);
    });
  }
});

describe('silenceMatchesFilter', () => {
  it('compares name, operator and value without evaluating regexes', () => {
    const sil = [parseMatcher('job=~"api.*"'), parseMatcher('env="prod"')];
    expect(silenceMatchesFilter(sil, [parseMatcher('job=~"api.*"')])).toBe(true);
    expect(silenceMatchesFilter(sil, [parseMatcher('job="api.*"')])).toBe(false);
    expect(silenceMatchesFilter(sil, [parseMatcher('job=~"api"')])).toBe(false);
    expect(silenceMatchesFilter(sil, [parseMatcher('env="prod"'), parseMatcher('x="y"')])).toBe(false);
    expect(silenceMatchesFilter(sil, [])).toBe(true);
  });
});
