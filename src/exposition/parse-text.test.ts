import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { labelsToRecord } from '../model/labels.js';
import type { MetricFamily } from '../model/metric.js';
import { formatOpenMetricsFloat, parseGoFloat } from './parse-common.js';
import { parsePrometheusText } from './parse-text.js';
import { writeText } from './write-text.js';

/** Flattens families to `name{labels} value [ts]` records for compact expectations. */
function flat(families: MetricFamily[]): [string, Record<string, string>, number, number?][] {
  return families.flatMap((f) =>
    f.samples.map((s): [string, Record<string, string>, number, number?] =>
      s.timestampMs === undefined
        ? [s.name, labelsToRecord(s.labels), s.value]
        : [s.name, labelsToRecord(s.labels), s.value, s.timestampMs],
    ),
  );
}

const testdata = path.resolve(
  import.meta.dirname,
  '../..',
  process.env['KANSHI_TESTDATA'] ?? '../shared/testdata',
  'openmetrics/prometheus-textparse',
);

describe('parsePrometheusText accepts what Prometheus accepts', () => {
  const cases: { name: string; input: string; want: ReturnType<typeof flat> }[] = [
    { name: 'simple', input: 'a 1\n', want: [['a', {}, 1]] },
    { name: 'no final newline', input: 'a 1', want: [['a', {}, 1]] },
    { name: 'timestamp', input: 'a 1 1700000000000\n', want: [['a', {}, 1, 1700000000000]] },
    { name: 'labels', input: 'a{x="1",b="2"} 3\n', want: [['a', { b: '2', x: '1' }, 3]] },
    { name: 'trailing comma', input: 'a{x="1",} 3\n', want: [['a', { x: '1' }, 3]] },
    { name: 'labels without comma', input: 'a{x="1" y="2"} 3\n', want: [['a', { x: '1', y: '2' }, 3]] },
    {
      name: 'whitespace everywhere',
      input: 'a  { x = "1" , }  3   7  \n',
      want: [['a', { x: '1' }, 3, 7]],
    },
    { name: 'tabs', input: 'a\t{x="1"}\t3\t7\n', want: [['a', { x: '1' }, 3, 7]] },
    { name: 'empty braces', input: 'a{} 3\n', want: [['a', {}, 3]] },
    { name: 'no space before value', input: 'a{x="1"}3\n', want: [['a', { x: '1' }, 3]] },
    { name: 'value glued to name', input: 'a-1\n', want: [['a', {}, -1]] },
    { name: 'colon in name', input: 'job:rate:5m 0.5\n', want: [['job:rate:5m', {}, 0.5]] },
    {
      name: 'escapes in label values',
      input: 'a{x="q\\"b\\\\n\\nz\\t"} 1\n',
      want: [['a', { x: 'q"b\\n\nz\\t' }, 1]],
    },
    { name: 'raw newline in label value', input: 'a{x="1\n2"} 1\n', want: [['a', { x: '1\n2' }, 1]] },
    { name: 'empty label value dropped', input: 'a{x=""} 1\n', want: [['a', {}, 1]] },
    { name: 'utf-8 label value', input: 'a{x="監視"} 1\n', want: [['a', { x: '監視' }, 1]] },
    {
      name: 'quoted metric name',
      input: '{"my.metric","a.b"="c"} 1\n',
      want: [['my.metric', { 'a.b': 'c' }, 1]],
    },
    { name: 'NaN', input: 'a NaN\n', want: [['a', {}, NaN]] },
    { name: 'nan lower case', input: 'a nan\n', want: [['a', {}, NaN]] },
    { name: '+Inf', input: 'a +Inf\n', want: [['a', {}, Infinity]] },
    { name: '-Inf', input: 'a -Inf\n', want: [['a', {}, -Infinity]] },
    { name: 'Infinity', input: 'a -infinity\n', want: [['a', {}, -Infinity]] },
    { name: 'exponent', input: 'a 1.5e-3\n', want: [['a', {}, 0.0015]] },
    { name: 'exponent upper', input: 'a -2E+2\n', want: [['a', {}, -200]] },
    { name: 'leading dot', input: 'a .5\n', want: [['a', {}, 0.5]] },
    { name: 'trailing dot', input: 'a 5.\n', want: [['a', {}, 5]] },
    { name: 'leading plus', input: 'a +5\n', want: [['a', {}, 5]] },
    { name: 'leading zeros', input: 'a 007\n', want: [['a', {}, 7]] },
    { name: 'underflow is zero', input: 'a 1e-400\n', want: [['a', {}, 0]] },
    {
      name: 'blank lines',
      input: '\n\na 1\n\n   \nb 2\n',
      want: [
        ['a', {}, 1],
        ['b', {}, 2],
      ],
    },
    { name: 'comments', input: '# hello\n#nospace\n# EOF\na 1\n#\n', want: [['a', {}, 1]] },
    { name: 'HELP without space is a comment', input: '# HELP\n# TYPEx a b\na 1\n', want: [['a', {}, 1]] },
    { name: 'NUL in label value', input: 'a{b="\0ss"} 1\n', want: [['a', { b: '\0ss' }, 1]] },
    { name: 'NUL at line start ends input', input: 'a 1\n\0b 2\n', want: [['a', {}, 1]] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = parsePrometheusText(c.input);
      expect(r.errors).toEqual([]);
      expect(flat(r.families)).toEqual(c.want);
    });
  }
});

describe('parsePrometheusText rejects what Prometheus rejects', () => {
  const cases: { name: string; input: string; line: number; message: RegExp }[] = [
    { name: 'CRLF', input: 'a 1\r\n', line: 1, message: /bad value "1\\r"/ },
    { name: 'CRLF after timestamp', input: 'a 1 2\r\n', line: 1, message: /after timestamp/ },
    { name: 'CRLF in TYPE', input: '# TYPE a counter\r\n', line: 1, message: /invalid metric type/ },
    { name: 'missing value', input: 'ok 1\na\n', line: 2, message: /expected value/ },
    { name: 'missing value after labels', input: 'a{x="1"}\n', line: 1, message: /expected value/ },
    { name: 'hex value', input: 'a 0x1\n', line: 1, message: /bad value/ },
    { name: 'hex float', input: 'a 0x1p3\n', line: 1, message: /bad value/ },
    { name: 'underscore', input: 'a 1_000\n', line: 1, message: /bad value/ },
    { name: 'signed NaN', input: 'a +NaN\n', line: 1, message: /bad value/ },
    { name: 'overflow', input: 'a 1e400\n', line: 1, message: /bad value/ },
    { name: 'word value', input: 'a one\n', line: 1, message: /bad value/ },
    { name: 'negative timestamp', input: 'a 1 -5\n', line: 1, message: /expected timestamp/ },
    { name: 'float timestamp', input: 'a 1 1.5\n', line: 1, message: /after timestamp/ },
    { name: 'two timestamps', input: 'a 1 2 3\n', line: 1, message: /after timestamp/ },
    { name: 'timestamp out of int64', input: 'a 1 9223372036854775808\n', line: 1, message: /out of range/ },
    { name: 'exemplar', input: 'a 1 # {x="y"} 1\n', line: 1, message: /expected timestamp/ },
    { name: 'unterminated label value', input: 'a{x="1} 2\n', line: 1, message: /unterminated/ },
    { name: 'unquoted label value', input: 'a{x=1} 2\n', line: 1, message: /expected label value/ },
    { name: 'missing equal', input: 'a{x "1"} 2\n', line: 1, message: /expected "="/ },
    { name: 'leading comma', input: 'a{,x="1"} 2\n', line: 1, message: /expected label name/ },
    { name: 'double comma', input: 'a{x="1",,} 2\n', line: 1, message: /expected label name/ },
    { name: 'duplicate label', input: 'a{x="1",x="2"} 2\n', line: 1, message: /not unique/ },
    { name: 'label name with dash', input: 'a{x-y="1"} 2\n', line: 1, message: /expected "="/ },
    { name: 'digit first label', input: 'a{1x="1"} 2\n', line: 1, message: /expected label name/ },
    { name: 'no metric name', input: '{x="1"} 2\n', line: 1, message: /metric name not set/ },
    { name: 'two metric names', input: '{"a","b"} 2\n', line: 1, message: /already set/ },
    { name: 'digit first name', input: '1a 2\n', line: 1, message: /expected a metric name/ },
    { name: 'second brace', input: 'a{x="1"}{y="2"} 2\n', line: 1, message: /expected value/ },
    { name: 'unknown TYPE', input: '# TYPE a unknown\n', line: 1, message: /invalid metric type "unknown"/ },
    { name: 'TYPE with two spaces', input: '# TYPE a  counter\n', line: 1, message: /invalid metric type/ },
    { name: 'TYPE upper case', input: '# TYPE a Counter\n', line: 1, message: /invalid metric type/ },
    {
      name: 'HELP without name',
      input: '# HELP 1a x\n',
      line: 1,
      message: /expected metric name after HELP/,
    },
    { name: 'error on a later line', input: 'a 1\nb 2\n\nc x\n', line: 4, message: /bad value/ },
    { name: 'indented sample', input: 'a 1\n  b 2\n', line: 2, message: /leading whitespace/ },
    // From Prometheus's own TestPromParseErrors / TestPromNullByteHandling.
    { name: 'single-quoted value', input: "a{b='c'} 1\n", line: 1, message: /expected label value/ },
    { name: 'label set cut at newline', input: 'a{b=\n', line: 1, message: /expected label value/ },
    { name: 'quoted name then bad label', input: '{"a", "b = "c"}', line: 1, message: /expected "="/ },
    { name: 'backslash in label name', input: '{"a",b\\nc="d"} 1', line: 1, message: /expected "="/ },
    { name: 'boolean value', input: 'a true\n', line: 1, message: /bad value "true"/ },
    { name: 'unterminated at end', input: 'something_weird{problem="', line: 1, message: /unterminated/ },
    { name: 'empty label name', input: 'empty_label_name{=""} 0', line: 1, message: /expected label name/ },
    { name: 'underscore in timestamp', input: 'foo 0 1_2\n', line: 1, message: /after timestamp/ },
    { name: 'HELP of #', input: '# HELP #\n', line: 1, message: /expected metric name after HELP/ },
    { name: 'NUL before label value', input: 'a{b=\0"ssss"} 1\n', line: 1, message: /expected label value/ },
    { name: 'NUL in label name', input: 'a{b\0="hiih"}\t1', line: 1, message: /expected "="/ },
    { name: 'NUL after name', input: 'a\0{b="ddd"} 1', line: 1, message: /expected value/ },
    { name: 'NUL after timestamp', input: 'a 0 1\0', line: 1, message: /after timestamp/ },
    { name: 'line after multi-line value', input: 'a{x="1\n2"} 1\nb ?\n', line: 3, message: /bad value/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = parsePrometheusText(c.input);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]!.line).toBe(c.line);
      expect(r.errors[0]!.message).toMatch(c.message);
    });
  }

  it('reports every bad line and keeps the good ones', () => {
    const r = parsePrometheusText('a 1\nb x\nc 3\nd{ 4\ne 5\n');
    expect(r.errors.map((e) => e.line)).toEqual([2, 4]);
    expect(flat(r.families).map((s) => s[0])).toEqual(['a', 'c', 'e']);
  });

  it('stops at maxErrors', () => {
    const r = parsePrometheusText('a x\nb x\nc x\nd 1\n', { maxErrors: 2 });
    expect(r.errors).toHaveLength(2);
  });
});

describe('parsePrometheusText metadata', () => {
  it('groups samples by TYPE with suffixes and normalizes le/quantile', () => {
    const input = [
      '# HELP h A histogram.',
      '# TYPE h histogram',
      'h_bucket{le="0.5"} 1',
      'h_bucket{le="1"} 2',
      'h_bucket{le="1e6"} 2',
      'h_bucket{le="+Inf"} 3',
      'h_sum 4.5',
      'h_count 3',
      '# TYPE s summary',
      's{quantile="0.99"} 1',
      's{quantile="1"} 1',
      's_sum 2',
      's_count 2',
      '# TYPE c_total counter',
      'c_total 5',
      'untyped_thing 1',
    ].join('\n');
    const r = parsePrometheusText(input);
    expect(r.errors).toEqual([]);
    expect(r.families.map((f) => [f.name, f.type, f.help, f.samples.length])).toEqual([
      ['h', 'histogram', 'A histogram.', 6],
      ['s', 'summary', '', 4],
      ['c_total', 'counter', '', 1],
      ['untyped_thing', 'unknown', '', 1],
    ]);
    expect(r.families[0]!.samples.map((s) => labelsToRecord(s.labels)['le'])).toEqual([
      '0.5',
      '1.0',
      '1e+06',
      '+Inf',
      undefined,
      undefined,
    ]);
    expect(r.families[1]!.samples.map((s) => labelsToRecord(s.labels)['quantile'])).toEqual([
      '0.99',
      '1.0',
      undefined,
      undefined,
    ]);
  });

  it('keeps le as written when normalization is off', () => {
    const r = parsePrometheusText('# TYPE h histogram\nh_bucket{le="1"} 1\n', {
      normalizeFloatLabels: false,
    });
    expect(labelsToRecord(r.families[0]!.samples[0]!.labels)).toEqual({ le: '1' });
  });

  it('accepts HELP after TYPE, duplicate HELP (last wins), metadata without samples, untyped', () => {
    const input = [
      '# TYPE a gauge',
      '# HELP a first',
      '# HELP a second \\\\ \\n \\t',
      'a 1',
      '# HELP lonely nobody',
      '# TYPE lonely counter',
      '# TYPE u untyped',
      'u 3',
      '# HELP empty',
      '# HELP spaces   ',
      '# HELP   b   two spaces',
    ].join('\n');
    const r = parsePrometheusText(input);
    expect(r.errors).toEqual([]);
    expect(r.families.map((f) => [f.name, f.type, f.help, f.samples.length])).toEqual([
      ['a', 'gauge', 'second \\ \n \\t', 1],
      ['lonely', 'counter', 'nobody', 0],
      ['u', 'unknown', '', 1],
      ['empty', 'unknown', '', 0],
      ['spaces', 'unknown', '', 0],
      ['b', 'unknown', '  two spaces', 0],
    ]);
  });

  it('puts samples that do not fit the TYPE in their own untyped family', () => {
    const r = parsePrometheusText('# TYPE a counter\na 1\nb 2\na 3\n');
    expect(r.families.map((f) => [f.name, f.type, f.samples.length])).toEqual([
      ['a', 'counter', 2],
      ['b', 'unknown', 1],
    ]);
  });

  it('round-trips writeText output', () => {
    const input = '# HELP x_total Things.\n# TYPE x_total counter\nx_total{a="1\\n\\"\\\\"} 3 1000\n';
    const r = parsePrometheusText(input);
    expect(r.errors).toEqual([]);
    expect(writeText(r.families)).toBe(input);
  });
});

describe('parsePrometheusText on Prometheus benchmark expositions', () => {
  it('parses alltypes.237mfs.prom.txt into 237 families and 1857 samples', () => {
    const text = readFileSync(path.join(testdata, 'alltypes.237mfs.prom.txt'), 'utf8');
    const r = parsePrometheusText(text);
    expect(r.errors).toEqual([]);
    expect(r.families.filter((f) => f.type !== 'unknown' || f.samples.length > 0)).toHaveLength(237);
    expect(r.families.reduce((n, f) => n + f.samples.length, 0)).toBe(1857);
    const types = new Map<string, number>();
    for (const f of r.families) types.set(f.type, (types.get(f.type) ?? 0) + 1);
    // Expected per-type counts come from the TYPE lines themselves (the README's breakdown
    // 114/98/17/14 adds up to 243, not 237; the file has 112/97/15/13).
    const want = new Map<string, number>();
    for (const m of text.matchAll(/^# TYPE \S+ (\w+)$/gm)) want.set(m[1]!, (want.get(m[1]!) ?? 0) + 1);
    expect(Object.fromEntries(types)).toEqual(Object.fromEntries(want));
    expect(want.get('counter')).toBe(112);
  });

  it('parses alltypes.237mfs.nometa.prom.txt into 1857 untyped samples', () => {
    const text = readFileSync(path.join(testdata, 'alltypes.237mfs.nometa.prom.txt'), 'utf8');
    const r = parsePrometheusText(text);
    expect(r.errors).toEqual([]);
    expect(r.families.every((f) => f.type === 'unknown')).toBe(true);
    expect(r.families.reduce((n, f) => n + f.samples.length, 0)).toBe(1857);
  });
});

describe('number helpers', () => {
  it.each([
    ['1', 1],
    ['-0.5', -0.5],
    ['1e3', 1000],
    ['Inf', Infinity],
    ['INF', Infinity],
    ['+infinity', Infinity],
    ['.', undefined],
    ['1e', undefined],
    ['e1', undefined],
    ['infin', undefined],
    ['1.2.3', undefined],
    ['', undefined],
    [' 1', undefined],
  ])('parseGoFloat(%j) = %s', (text, want) => {
    expect(parseGoFloat(text)).toBe(want);
  });

  it.each([
    [1, '1.0'],
    [0, '0.0'],
    [-1, '-1.0'],
    [0.25, '0.25'],
    [100000, '100000.0'],
    [1e6, '1e+06'],
    [1234567, '1.234567e+06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e-10, '1.5e-10'],
    [1e100, '1e+100'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
  ])('formatOpenMetricsFloat(%s) = %s', (v, want) => {
    expect(formatOpenMetricsFloat(v)).toBe(want);
  });
});
