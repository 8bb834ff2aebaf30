import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { labelsToRecord } from '../model/labels.js';
import { exemplarOf, parseOpenMetrics } from './parse-openmetrics.js';

const testdata = path.resolve(
  import.meta.dirname,
  '../..',
  process.env['KANSHI_TESTDATA'] ?? '../shared/testdata',
  'openmetrics/prometheus-textparse',
);

function om(lines: string[]): string {
  return `${lines.join('\n')}\n# EOF\n`;
}

describe('parseOpenMetrics', () => {
  it('reads families with type, help, unit and sample suffixes', () => {
    const r = parseOpenMetrics(
      om([
        '# TYPE req_requests counter',
        '# UNIT req_requests requests',
        '# HELP req_requests Requests \\"served\\"\\n.',
        'req_requests_total{code="200"} 10',
        'req_requests_created{code="200"} 1700000000.5',
        '# TYPE build info',
        'build_info{version="1.2"} 1',
        '# TYPE state stateset',
        'state{state="up"} 1',
        'state{state="down"} 0',
        '# TYPE q gaugehistogram',
        'q_bucket{le="1"} 2',
        'q_bucket{le="+Inf"} 3',
        'q_gcount 3',
        'q_gsum 4',
      ]),
      { strict: true },
    );
    expect(r.errors).toEqual([]);
    expect(r.families.map((f) => [f.name, f.type, f.unit, f.samples.map((s) => s.name)])).toEqual([
      ['req_requests', 'counter', 'requests', ['req_requests_total', 'req_requests_created']],
      ['build', 'info', undefined, ['build_info']],
      ['state', 'stateset', undefined, ['state', 'state']],
      ['q', 'gaugehistogram', undefined, ['q_bucket', 'q_bucket', 'q_gcount', 'q_gsum']],
    ]);
    expect(r.families[0]!.help).toBe('Requests "served"\n.');
  });

  it('converts timestamps from seconds to milliseconds, truncating like Prometheus', () => {
    const r = parseOpenMetrics(om(['a 1 1700000000', 'b 1 1.5', 'c 1 -1.0015', 'd 1 1.5e3', 'e 1']));
    expect(r.errors).toEqual([]);
    expect(r.families.map((f) => f.samples[0]!.timestampMs)).toEqual([
      1700000000000,
      1500,
      -1001,
      1500000,
      undefined,
    ]);
  });

  it('keeps exemplars', () => {
    const r = parseOpenMetrics(
      om([
        '# TYPE a histogram',
        'a_bucket{le="+Inf"} 3 # {trace_id="abc",span="x # y"} 0.5 1700000000.25',
        'a_count 3',
        'a_sum 1',
      ]),
      { strict: true },
    );
    expect(r.errors).toEqual([]);
    const ex = exemplarOf(r.families[0]!.samples[0]!);
    expect(ex && { ...ex, labels: labelsToRecord(ex.labels) }).toEqual({
      labels: { span: 'x # y', trace_id: 'abc' },
      value: 0.5,
      timestampMs: 1700000000250,
    });
    expect(exemplarOf(r.families[0]!.samples[1]!)).toBeUndefined();
  });

  it('drops _created samples when asked', () => {
    const text = om(['# TYPE a counter', 'a_total 1', 'a_created 5']);
    expect(parseOpenMetrics(text).families[0]!.samples).toHaveLength(2);
    expect(
      parseOpenMetrics(text, { skipCreatedSeries: true }).families[0]!.samples.map((s) => s.name),
    ).toEqual(['a_total']);
  });

  it('normalizes le and quantile like Prometheus 3', () => {
    const r = parseOpenMetrics(
      om([
        '# TYPE h histogram',
        'h_bucket{le="1"} 0',
        'h_bucket{le="+Inf"} 0',
        '# TYPE s summary',
        's{quantile="0.5"} 1',
      ]),
    );
    expect(r.families.flatMap((f) => f.samples.map((s) => labelsToRecord(s.labels)))).toEqual([
      { le: '1.0' },
      { le: '+Inf' },
      { quantile: '0.5' },
    ]);
  });

  it('accepts a metric name quoted inside the braces', () => {
    const r = parseOpenMetrics(om(['{"my.metric",a="b"} 1']));
    expect(r.errors).toEqual([]);
    expect(r.families[0]!.samples[0]!.name).toBe('my.metric');
  });

  it('rejects a trailing label comma in both modes (the spec and Prometheus 2)', () => {
    const text = om(['a{x="1",} 1']);
    expect(parseOpenMetrics(text).errors[0]!.message).toMatch(/trailing comma/);
    expect(parseOpenMetrics(text, { strict: true }).errors[0]!.message).toMatch(/trailing comma/);
  });

  it('rejects invalid utf-8 bytes', () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('a{x="'),
      0xff,
      ...new TextEncoder().encode('"} 1\n# EOF\n'),
    ]);
    expect(parseOpenMetrics(bytes).errors[0]!.message).toMatch(/utf-8/);
  });

  const bad: { name: string; input: string; line: number; message: RegExp }[] = [
    { name: 'missing EOF', input: 'a 1\n', line: 2, message: /does not end with # EOF/ },
    { name: 'data after EOF', input: 'a 1\n# EOF\nb 1\n', line: 3, message: /after # EOF/ },
    { name: 'blank line', input: 'a 1\n\n# EOF\n', line: 2, message: /blank line/ },
    { name: 'comment', input: '# hello\n# EOF\n', line: 1, message: /invalid comment/ },
    { name: 'two spaces', input: 'a  1\n# EOF\n', line: 1, message: /missing value/ },
    { name: 'trailing space', input: 'a 1 \n# EOF\n', line: 1, message: /missing timestamp/ },
    { name: 'CRLF', input: 'a 1\r\n# EOF\r\n', line: 1, message: /invalid value/ },
    { name: 'untyped', input: '# TYPE a untyped\n# EOF\n', line: 1, message: /invalid metric type/ },
    { name: 'unit not a suffix', input: '# UNIT a seconds\n# EOF\n', line: 1, message: /not a suffix/ },
    { name: 'NaN timestamp', input: 'a 1 NaN\n# EOF\n', line: 1, message: /invalid timestamp/ },
    { name: 'hex value', input: 'a 0x1\n# EOF\n', line: 1, message: /invalid value/ },
    { name: 'label without comma', input: 'a{x="1"y="2"} 1\n# EOF\n', line: 1, message: /expected ","/ },
    { name: 'duplicate label', input: 'a{x="1",x="2"} 1\n# EOF\n', line: 1, message: /not unique/ },
    { name: 'bad exemplar', input: 'a_total 1 # {x="1"}\n# EOF\n', line: 1, message: /exemplar labels/ },
  ];
  for (const c of bad) {
    it(`rejects: ${c.name}`, () => {
      const r = parseOpenMetrics(c.input);
      expect(r.errors.length).toBeGreaterThan(0);
      expect(r.errors[0]!.line).toBe(c.line);
      expect(r.errors[0]!.message).toMatch(c.message);
    });
  }

  const strictOnly: { name: string; lines: string[]; message: RegExp }[] = [
    { name: 'negative counter', lines: ['# TYPE a counter', 'a_total -1'], message: /negative/ },
    { name: 'repeated HELP', lines: ['# HELP a x', '# HELP a y'], message: /more than one HELP/ },
    { name: 'metadata after samples', lines: ['a 1', '# TYPE a gauge'], message: /after its samples/ },
    {
      name: 'exemplar on gauge',
      lines: ['# TYPE a gauge', 'a 1 # {x="y"} 1'],
      message: /exemplars are allowed only/,
    },
    {
      name: 'buckets out of order',
      lines: ['# TYPE a histogram', 'a_bucket{le="2"} 0', 'a_bucket{le="1"} 0', 'a_bucket{le="+Inf"} 0'],
      message: /out of order/,
    },
    {
      name: 'no +Inf bucket',
      lines: ['# TYPE a histogram', 'a_bucket{le="1"} 0'],
      message: /\+Inf bucket missing/,
    },
    { name: 'timestamps backwards', lines: ['a 1 2', 'a 1 1'], message: /backwards/ },
    { name: 'interleaved groups', lines: ['a{x="1"} 1', 'a{x="2"} 1', 'a{x="1"} 1'], message: /not grouped/ },
  ];
  for (const c of strictOnly) {
    it(`accepts leniently but rejects strictly: ${c.name}`, () => {
      expect(parseOpenMetrics(om(c.lines)).errors).toEqual([]);
      const r = parseOpenMetrics(om(c.lines), { strict: true });
      expect(r.errors.map((e) => e.message).join('; ')).toMatch(c.message);
    });
  }
});

describe('parseOpenMetrics on Prometheus benchmark expositions', () => {
  it('parses 1histogram.om.txt strictly: 1 family, 42 samples', () => {
    const r = parseOpenMetrics(readFileSync(path.join(testdata, '1histogram.om.txt')), { strict: true });
    expect(r.errors).toEqual([]);
    expect(r.families).toHaveLength(1);
    expect(r.families[0]!.samples).toHaveLength(42);
  });

  it('parses alltypes.5mfs.om.txt leniently (strict mode rejects its negative sums)', () => {
    const bytes = readFileSync(path.join(testdata, 'alltypes.5mfs.om.txt'));
    const text = bytes.toString('utf8');
    const r = parseOpenMetrics(bytes);
    expect(r.errors).toEqual([]);
    const sampleLines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    expect(r.families.reduce((n, f) => n + f.samples.length, 0)).toBe(sampleLines);
    expect(r.families).toHaveLength(5);
    const exemplars = r.families.flatMap((f) => f.samples).filter((s) => exemplarOf(s) !== undefined);
    expect(exemplars).toHaveLength((text.match(/ # \{/g) ?? []).length);
    expect(parseOpenMetrics(bytes, { strict: true }).errors[0]!.message).toMatch(/negative/);
  });
});
