import { describe, expect, it } from 'vitest';
import { labelsFromRecord, labelsToRecord } from '../model/labels.js';
import {
  compileRelabelRegex,
  expandTemplate,
  hashMod,
  newRelabelConfig,
  relabel,
  type RelabelConfigInput,
} from './relabel.js';

interface Case {
  name: string;
  input: Record<string, string>;
  rules: RelabelConfigInput[];
  /** null = dropped. */
  want: Record<string, string> | null;
}

const cases: Case[] = [
  {
    name: 'replace with the default regex copies the joined source labels',
    input: { a: 'foo', b: 'bar' },
    rules: [{ source_labels: ['a', 'b'], target_label: 'c' }],
    want: { a: 'foo', b: 'bar', c: 'foo;bar' },
  },
  {
    name: 'replace expands $1 and ${1} and ignores a non-matching value',
    input: { a: 'foo', b: 'bar' },
    rules: [
      { source_labels: ['a'], regex: 'f(.*)', target_label: 'd', replacement: 'ch${1}-ch${1}' },
      { source_labels: ['b'], regex: 'nomatch(.*)', target_label: 'e', replacement: '$1' },
    ],
    want: { a: 'foo', b: 'bar', d: 'choo-choo' },
  },
  {
    name: 'the regex is fully anchored',
    input: { a: 'boo' },
    rules: [{ source_labels: ['a'], regex: 'f', target_label: 'b', replacement: 'bar' }],
    want: { a: 'boo' },
  },
  {
    name: '$1x names group "1x", which does not exist, so expands to nothing',
    input: { a: 'foo' },
    rules: [{ source_labels: ['a'], regex: '(f).*', target_label: 'b', replacement: '$1x' }],
    want: { a: 'foo' },
  },
  {
    name: 'target_label with variables; an invalid result name is skipped',
    input: { a: 'some-name-value' },
    rules: [
      { source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', target_label: '${1}', replacement: '${2}' },
      { source_labels: ['a'], regex: 'some-([^-]+)(-[^,]+)', target_label: '${2}', replacement: '${1}' },
    ],
    want: { a: 'some-name-value', name: 'value' },
  },
  {
    name: 'an empty replacement deletes the target label',
    input: { a: 'foo', b: 'bar' },
    rules: [{ source_labels: ['a'], regex: '(f).*', target_label: 'b', replacement: '$2' }],
    want: { a: 'foo' },
  },
  {
    name: 'fast path: empty source with the default regex sets the replacement literally',
    input: { a: 'foo' },
    rules: [{ source_labels: ['missing'], target_label: 'b', replacement: 'static' }],
    want: { a: 'foo', b: 'static' },
  },
  {
    name: 'a user-written (.*) is not the default: $1 of an empty match is empty',
    input: { a: 'foo' },
    rules: [{ source_labels: ['missing'], regex: '(.*)', target_label: 'a' }],
    want: {},
  },
  {
    name: '$$ is a literal dollar, a lone $ stays',
    input: { a: 'x' },
    rules: [{ source_labels: ['a'], regex: '(.)', target_label: 'b', replacement: '$$1 $ ${' }],
    want: { a: 'x', b: '$1 $ ${' },
  },
  {
    name: 'named groups (?P<name>) expand by name',
    input: { __address__: 'host:9100' },
    rules: [
      {
        source_labels: ['__address__'],
        regex: '(?P<host>[^:]+):(?P<port>\\d+)',
        target_label: 'h',
        replacement: '${host}/$port',
      },
    ],
    want: { __address__: 'host:9100', h: 'host/9100' },
  },
  {
    name: '(?i) makes the whole regex case-insensitive',
    input: { a: 'FOO' },
    rules: [{ source_labels: ['a'], regex: '(?i)foo', action: 'drop' }],
    want: null,
  },
  {
    name: 'keep keeps a match and drops the rest',
    input: { a: 'foo' },
    rules: [{ source_labels: ['a'], regex: 'f.*', action: 'keep' }],
    want: { a: 'foo' },
  },
  {
    name: 'keep on an absent label matches against ""',
    input: { a: 'foo' },
    rules: [{ source_labels: ['b'], regex: 'f.*', action: 'keep' }],
    want: null,
  },
  {
    name: 'drop drops a match',
    input: { a: 'foo', b: 'bar' },
    rules: [{ source_labels: ['a', 'b'], separator: '|', regex: 'foo\\|bar', action: 'Drop' }],
    want: null,
  },
  {
    name: 'keepequal keeps when the target equals the joined sources',
    input: { a: '1234', b: '1234' },
    rules: [{ source_labels: ['a'], target_label: 'b', action: 'keepequal' }],
    want: { a: '1234', b: '1234' },
  },
  {
    name: 'keepequal drops otherwise',
    input: { a: '1234', b: '5' },
    rules: [{ source_labels: ['a'], target_label: 'b', action: 'keepequal' }],
    want: null,
  },
  {
    name: 'dropequal drops on equality',
    input: { a: '1234', b: '1234' },
    rules: [{ source_labels: ['a'], target_label: 'b', action: 'dropequal' }],
    want: null,
  },
  {
    name: 'hashmod matches Prometheus (md5 last 8 bytes): baz % 1000 = 976',
    input: { a: 'foo', b: 'bar', c: 'baz' },
    rules: [{ source_labels: ['c'], target_label: 'd', action: 'hashmod', modulus: 1000 }],
    want: { a: 'foo', b: 'bar', c: 'baz', d: '976' },
  },
  {
    name: 'hashmod of a value with a newline: 734',
    input: { a: 'foo\nbar' },
    rules: [{ source_labels: ['a'], target_label: 'b', action: 'hashmod', modulus: 1000 }],
    want: { a: 'foo\nbar', b: '734' },
  },
  {
    name: 'labelmap copies matching names',
    input: { a: 'foo', b1: 'bar', b2: 'baz' },
    rules: [{ regex: '(b.*)', replacement: 'bar_${1}', action: 'labelmap' }],
    want: { a: 'foo', b1: 'bar', b2: 'baz', bar_b1: 'bar', bar_b2: 'baz' },
  },
  {
    name: 'labelmap with the default replacement strips a prefix',
    input: { __meta_x_team: 'a', __meta_x_env: 'prod', job: 'j' },
    rules: [{ regex: '__meta_x_(.+)', action: 'labelmap' }],
    want: { __meta_x_team: 'a', __meta_x_env: 'prod', job: 'j', team: 'a', env: 'prod' },
  },
  {
    name: 'labeldrop removes matching names',
    input: { a: 'foo', b1: 'bar', b2: 'baz' },
    rules: [{ regex: 'b.*', action: 'labeldrop' }],
    want: { a: 'foo' },
  },
  {
    name: 'labelkeep keeps only matching names',
    input: { a: 'foo', b1: 'bar', b2: 'baz' },
    rules: [{ regex: 'b.*', action: 'labelkeep' }],
    want: { b1: 'bar', b2: 'baz' },
  },
  {
    name: 'lowercase and uppercase',
    input: { foo: 'bAr123Foo', bar: 'x' },
    rules: [
      { source_labels: ['foo'], target_label: 'lo', action: 'lowercase' },
      { source_labels: ['foo', 'bar'], target_label: 'up', action: 'uppercase' },
    ],
    want: { foo: 'bAr123Foo', bar: 'x', lo: 'bar123foo', up: 'BAR123FOO;X' },
  },
  {
    name: 'rules see the result of earlier rules',
    input: { __address__: 'h:1' },
    rules: [
      { source_labels: ['__address__'], regex: '([^:]+):.*', target_label: '__tmp', replacement: '$1' },
      { source_labels: ['__tmp'], target_label: 'host' },
      { regex: '__tmp', action: 'labeldrop' },
    ],
    want: { __address__: 'h:1', host: 'h' },
  },
  {
    name: 'POSIX classes and \\z',
    input: { a: 'abc1' },
    rules: [{ source_labels: ['a'], regex: '([[:alpha:]]+)[[:digit:]]\\z', target_label: 'b' }],
    want: { a: 'abc1', b: 'abc' },
  },
];

describe('relabel', () => {
  for (const c of cases) {
    it(c.name, () => {
      const rules = c.rules.map(newRelabelConfig);
      const got = relabel(labelsFromRecord(c.input), rules);
      expect(got === null ? null : labelsToRecord(got)).toEqual(c.want);
    });
  }

  it('returns the input unchanged when there are no rules', () => {
    const l = labelsFromRecord({ a: 'b' });
    expect(relabel(l, [])).toBe(l);
  });
});

describe('newRelabelConfig', () => {
  const bad: [string, RelabelConfigInput, RegExp][] = [
    ['unknown action', { action: 'rename' }, /unknown relabel action/],
    ['hashmod without modulus', { action: 'hashmod', target_label: 'x' }, /non-zero modulus/],
    ['replace without target', { action: 'replace' }, /requires 'target_label'/],
    ['invalid target', { target_label: '1abc' }, /invalid 'target_label'/],
    ['invalid target template', { target_label: '${1}-x' }, /invalid 'target_label'/],
    [
      'lowercase with replacement',
      { action: 'lowercase', target_label: 'x', replacement: 'y' },
      /can not be set/,
    ],
    ['labeldrop with source labels', { action: 'labeldrop', source_labels: ['a'] }, /only 'regex'/],
    ['keepequal with regex', { action: 'keepequal', target_label: 'x', regex: 'a' }, /only 'source_labels'/],
    ['labelmap invalid replacement', { action: 'labelmap', replacement: '-' }, /invalid 'replacement'/],
    ['regex that does not compile', { target_label: 'x', regex: '(' }, /invalid regex/],
  ];
  for (const [name, input, re] of bad) {
    it(`rejects ${name}`, () => {
      expect(() => newRelabelConfig(input)).toThrow(re);
    });
  }

  it('fills Prometheus defaults', () => {
    const c = newRelabelConfig({ target_label: 'x' });
    expect(c).toMatchObject({ action: 'replace', separator: ';', replacement: '$1', modulus: 0 });
    expect(c.regex.source).toBe('(.*)');
    expect(c.regex.isDefault).toBe(true);
  });
});

describe('hashMod', () => {
  it('reads the last 8 md5 bytes big-endian, beyond 2^53', () => {
    // md5("") = d41d8cd98f00b204e9800998ecf8427e; last 8 bytes 0xe9800998ecf8427e.
    expect(hashMod('', 1000)).toBe(Number(0xe9800998ecf8427en % 1000n));
    expect(hashMod('', 2 ** 40)).toBe(Number(0xe9800998ecf8427en % 2n ** 40n));
  });
});

describe('expandTemplate', () => {
  it('expands out-of-range groups to nothing', () => {
    const m = compileRelabelRegex('(a)(b)?').re.exec('a')!;
    expect(expandTemplate('[$1][$2][$3][${1}x][$01]', m)).toBe('[a][][][ax][]');
  });
});
