import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { labelsToRecord } from '../../model/labels.js';
import { parseCsvSamples, parseFloatValue, parseTimestamp, type CsvProblem } from './csv.js';

interface Row {
  labels: Record<string, string>;
  t: number;
  v: number;
}

function parse(text: string): { rows: Row[]; problems: CsvProblem[] } {
  const rows: Row[] = [];
  const problems = parseCsvSamples(text, (labels, t, v) =>
    rows.push({ labels: labelsToRecord(labels), t, v }),
  );
  return { rows, problems };
}

describe('parseCsvSamples', () => {
  it('reads the documented example file', () => {
    const text = readFileSync(new URL('testdata/samples.csv', import.meta.url), 'utf8');
    const { rows, problems } = parse(text);
    expect(problems).toEqual([]);
    expect(rows).toEqual([
      {
        labels: { __name__: 'http_requests_total', instance: 'host-1:9100', job: 'api' },
        t: 1_700_000_000_000,
        v: 1,
      },
      {
        labels: { __name__: 'http_requests_total', instance: 'host-1:9100', job: 'api' },
        t: 1_700_000_015_000,
        v: 2.5,
      },
      {
        labels: { __name__: 'http_requests_total', instance: 'host-2:9100', job: 'api' },
        t: 1_700_000_000_000,
        v: 10,
      },
      {
        labels: { __name__: 'temperature_celsius', instance: 'room "a", north' },
        t: 1_700_000_000_250,
        v: -30,
      },
    ]);
  });

  it.each<[string, string, Row[], CsvProblem[]]>([
    [
      'columns in any order, __name__ and timestamp_ms',
      '__name__,value,timestamp_ms\nup,1,1500\n',
      [{ labels: { __name__: 'up' }, t: 1500, v: 1 }],
      [],
    ],
    [
      'CRLF line ends and no final newline',
      'metric,timestamp,value\r\nup,1,NaN\r\nup,2,+Inf',
      [
        { labels: { __name__: 'up' }, t: 1000, v: NaN },
        { labels: { __name__: 'up' }, t: 2000, v: Infinity },
      ],
      [],
    ],
    [
      'a quoted value over two lines',
      'metric,msg,timestamp,value\nup,"a\nb",1,1\nup,c,2,2\n',
      [
        { labels: { __name__: 'up', msg: 'a\nb' }, t: 1000, v: 1 },
        { labels: { __name__: 'up', msg: 'c' }, t: 2000, v: 2 },
      ],
      [],
    ],
    [
      'bad rows are reported and skipped',
      'metric,timestamp,value\n1up,1,1\nup,soon,1\nup,1,one\nup,1\nup,3,3\n',
      [{ labels: { __name__: 'up' }, t: 3000, v: 3 }],
      [
        { line: 2, message: 'invalid metric name "1up"' },
        { line: 3, message: 'invalid timestamp "soon"' },
        { line: 4, message: 'invalid value "one"' },
        { line: 5, message: 'expected 3 fields as in the header, got 2' },
      ],
    ],
    ['an empty file', '', [], [{ line: 0, message: 'no header row' }]],
    [
      'a header without value',
      'metric,timestamp\nup,1\n',
      [],
      [{ line: 1, message: 'the header has no "value" column' }],
    ],
    [
      'a header without metric',
      'name,timestamp,value\n',
      [],
      [{ line: 1, message: 'the header has no "metric" column' }],
    ],
    [
      'a reserved label name',
      'metric,__x,timestamp,value\n',
      [],
      [{ line: 1, message: 'invalid label name "__x" in the header' }],
    ],
    [
      'a duplicate column',
      'metric,job,job,timestamp,value\n',
      [],
      [{ line: 1, message: 'duplicate column "job" in the header' }],
    ],
    [
      'an unterminated quote',
      'metric,job,timestamp,value\nup,"x,1,1\n',
      [],
      [
        { line: 2, message: 'expected 4 fields as in the header, got 2' },
        { line: 2, message: 'unterminated quoted field' },
      ],
    ],
  ])('%s', (_name, text, rows, problems) => {
    const got = parse(text);
    expect(got.rows).toEqual(rows);
    expect(got.problems).toEqual(problems);
  });
});

describe('parseTimestamp', () => {
  it.each<[string, number | undefined]>([
    ['1700000000', 1_700_000_000_000],
    ['1700000000.1234', 1_700_000_000_123],
    ['-1.5', -1500],
    ['2023-11-14T22:13:20Z', 1_700_000_000_000],
    ['2023-11-14T23:13:20.5+01:00', 1_700_000_000_500],
    ['2023-13-01T00:00:00Z', undefined],
    ['yesterday', undefined],
    ['', undefined],
  ])('%j → %j', (s, want) => {
    expect(parseTimestamp(s)).toBe(want);
  });
});

describe('parseFloatValue', () => {
  it.each<[string, number | undefined]>([
    ['1', 1],
    ['-2.5e3', -2500],
    ['.5', 0.5],
    ['Inf', Infinity],
    ['-inf', -Infinity],
    ['NaN', NaN],
    ['1e999', undefined],
    ['0x10', undefined],
    ['', undefined],
  ])('%j → %j', (s, want) => {
    expect(parseFloatValue(s)).toBe(want);
  });
});
