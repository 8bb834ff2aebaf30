import { describe, expect, it } from 'vitest';
import { Template, expandRuleTemplate, parseRuleTemplate, type TemplateSample } from './template.js';

const data = {
  labels: { instance: 'web-1:9100', job: 'node', severity: 'page' },
  externalLabels: { cluster: 'tokyo' },
  externalURL: 'http://kanshi.example:9800',
  value: 1234567,
};

const samples: TemplateSample[] = [
  {
    Labels: new Map([
      ['__name__', 'up'],
      ['instance', 'b'],
    ]),
    Value: 0.5,
  },
  {
    Labels: new Map([
      ['__name__', 'up'],
      ['instance', 'a'],
    ]),
    Value: 2,
  },
];
const query = (expr: string): Promise<TemplateSample[]> => Promise.resolve(expr === 'none' ? [] : samples);

// Expected outputs are what Prometheus 2.x/3.x prints for the same template and data.
const cases: [string, string][] = [
  ['plain text', 'plain text'],
  ['{{ $labels.instance }} down', 'web-1:9100 down'],
  ['{{ .Labels.job }}', 'node'],
  ['{{ $labels.missing }}|', '|'],
  ['{{ $externalLabels.cluster }}', 'tokyo'],
  ['{{ $externalURL }}', 'http://kanshi.example:9800'],
  ['{{ $value }}', '1.234567e+06'],
  ['{{ .Value }}', '1.234567e+06'],
  ['{{ $value | humanize }}', '1.235M'],
  ['{{ humanize 0.00123 }}', '1.23m'],
  ['{{ humanize 0 }}', '0'],
  ['{{ humanize 999 }}', '999'],
  ['{{ humanize 12345678901 }}', '12.35G'],
  ['{{ humanize1024 1048576 }}', '1Mi'],
  ['{{ humanize1024 1000 }}', '1000'],
  ['{{ humanize1024 123456789 }}', '117.7Mi'],
  ['{{ humanizePercentage 0.1234 }}', '12.34%'],
  ['{{ humanizeDuration 3725 }}', '1h 2m 5s'],
  ['{{ humanizeDuration 90061 }}', '1d 1h 1m 1s'],
  ['{{ humanizeDuration 1.5 }}', '1.5s'],
  ['{{ humanizeDuration 0.0015 }}', '1.5ms'],
  ['{{ humanizeDuration 0 }}', '0s'],
  ['{{ humanizeTimestamp 1435065584.128 }}', '2015-06-23 13:19:44.128 +0000 UTC'],
  ['{{ printf "%.2f" 3.14159 }}', '3.14'],
  ['{{ printf "%s=%d" "x" 42 }}', 'x=42'],
  ['{{ printf "%q" "a\\"b" }}', '"a\\"b"'],
  ['{{ printf "%v" 2.5 }}', '2.5'],
  ['{{ printf "%d" 2.5 }}', '%!d(float64=2.5)'],
  ['{{ printf "%5.1f|%-4s|" 3.14159 "ab" }}', '  3.1|ab  |'],
  ['{{ toUpper "abc" }} {{ toLower "ABC" }} {{ title "hello world" }}', 'ABC abc Hello World'],
  ['{{ reReplaceAll "(.*):.*" "$1" $labels.instance }}', 'web-1'],
  ['{{ match "^web" $labels.instance }}', 'true'],
  ['{{ if eq $labels.severity "page" }}P{{ else }}T{{ end }}', 'P'],
  ['{{ if gt $value 2000000.0 }}big{{ else if gt $value 1000000.0 }}mid{{ else }}small{{ end }}', 'mid'],
  ['{{ if and (ne $labels.job "x") (not false) }}y{{ end }}', 'y'],
  ['{{ or "" "fallback" }}', 'fallback'],
  ['{{ with $labels.job }}job={{ . }}{{ end }}', 'job=node'],
  ['{{ with $labels.nope }}x{{ else }}none{{ end }}', 'none'],
  ['{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}', 'instance=web-1:9100;job=node;severity=page;'],
  ['{{ len $labels }}', '3'],
  ['{{ index $labels "job" }}', 'node'],
  ['{{ query "up" | first | value }}', '0.5'],
  ['{{ query "up" | first | label "instance" }}', 'b'],
  ['{{ range query "up" }}{{ .Labels.instance }}:{{ .Value }} {{ end }}', 'b:0.5 a:2 '],
  ['{{ range sortByLabel "instance" (query "up") }}{{ .Labels.instance }}{{ end }}', 'ab'],
  ['{{ range query "none" }}x{{ else }}empty{{ end }}', 'empty'],
  ['{{ $x := "v" }}{{ $x }}', 'v'],
  ['a {{- " b " -}} c', 'a b c'],
  ['{{/* comment */}}ok', 'ok'],
  ['{{ 1e6 }} {{ 0.0001 }} {{ 0.00001 }} {{ 100000.0 }}', '1e+06 0.0001 1e-05 100000'],
  [
    '{{ query "none" | first | value }}',
    '<error expanding template: template: __alert_T: executing "__alert_T": error calling first: first() called on vector with no elements>',
  ],
];

describe('expandRuleTemplate', () => {
  it.each(cases)('%s', async (text, want) => {
    expect(await expandRuleTemplate('T', text, data, query)).toBe(want);
  });
});

describe('parseRuleTemplate', () => {
  it.each([
    ['{{ $labels.x ', 'unclosed action'],
    ['{{ nosuchfn 1 }}', 'function "nosuchfn" not defined'],
    ['{{ if true }}x', 'unexpected EOF'],
    ['{{ end }}', 'unexpected {{end}}'],
    ['{{ "a }}', 'unclosed action'],
    ['{{ $nope }}', 'undefined variable "$nope"'],
  ])('rejects %s', (text, msg) => {
    expect(() => parseRuleTemplate('HighLoad', text)).toThrow(msg);
    expect(() => parseRuleTemplate('HighLoad', text)).toThrow('template: __alert_HighLoad:1:');
  });
});

describe('Template define/template/block', () => {
  // Outputs as Go's text/template prints them for the same text and dot.
  const cases: [string, string, unknown, string][] = [
    ['define then call with a literal', '{{define "x"}}X{{.}}{{end}}{{template "x" 3}}', undefined, 'X3'],
    [
      'call without argument has a nil dot',
      '{{define "x"}}[{{.}}]{{end}}{{template "x"}}',
      'd',
      '[<no value>]',
    ],
    [
      'call inside range passes the element',
      '{{define "x"}}<{{.}}>{{end}}{{range .}}{{template "x" .}}{{end}}',
      ['a', 'b'],
      '<a><b>',
    ],
    [
      'call inside with, argument a pipeline',
      '{{define "x"}}{{.}}!{{end}}{{with .}}{{template "x" printf "%s-%s" . .}}{{end}}',
      'w',
      'w-w!',
    ],
    ['block defines and runs in place', '{{block "b" .}}B{{.}}{{end}}.', 'z', 'Bz.'],
    [
      'a define calling another defined later',
      '{{define "a"}}a{{template "b" .}}{{end}}{{define "b"}}b{{.}}{{end}}{{template "a" 1}}',
      undefined,
      'ab1',
    ],
    [
      'recursion over data',
      '{{define "r"}}{{if .}}{{index . 0}}{{template "r" slice . 1}}{{end}}{{end}}{{template "r" .}}',
      ['1', '2', '3'],
      '123',
    ],
    [
      'variables do not leak into the called template',
      '{{define "x"}}{{$}}{{end}}{{$v := 1}}{{template "x" 2}}',
      0,
      '2',
    ],
  ];
  it.each(cases)('%s', async (_name, text, dot, want) => {
    expect(await Template.parse('t', text).execute(dot, new Map())).toBe(want);
  });

  it('lists definitions and calls', () => {
    const t = Template.parse('t', '{{define "a"}}{{template "b" .}}{{end}}{{template "a" .}}');
    expect([...t.definitions().keys()]).toStrictEqual(['a']);
    expect(t.calledTemplates).toStrictEqual(['a']);
    expect(t.definitions().get('a')?.calledTemplates).toStrictEqual(['b']);
  });

  const bad: [string, string, RegExp][] = [
    ['define inside if', '{{if 1}}{{define "x"}}{{end}}{{end}}', /unexpected <define>/],
    ['define without name', '{{define}}{{end}}', /in define clause/],
    ['unclosed define', '{{define "x"}}x', /t:1: unexpected EOF in define/],
  ];
  it.each(bad)('rejects %s at parse', (_name, text, want) => {
    expect(() => Template.parse('t', text)).toThrow(want);
  });

  it('fails to call a missing template when it runs', async () => {
    await expect(Template.parse('t', '{{template "nope" .}}').execute(1, new Map())).rejects.toThrow(
      /no such template "nope"/,
    );
  });

  it('asks the lookup before its own defines', async () => {
    const t = Template.parse(
      't',
      '{{define "x"}}own{{end}}{{define "y"}}own{{end}}{{template "x" .}}/{{template "y" .}}',
    );
    const out = await t.execute('d', new Map(), {
      lookup: (n) => (n === 'x' ? (dot) => `looked up ${String(dot)}` : undefined),
    });
    expect(out).toBe('looked up d/own');
  });
});

describe('Alertmanager functions', () => {
  // Outputs as Alertmanager 0.25+ (template.DefaultFuncs) prints them.
  const cases: [string, string][] = [
    ['{{ "abc" | toUpper }}', 'ABC'],
    ['{{ "ABC" | toLower }}', 'abc'],
    ['{{ "hello WORLD" | title }}', 'Hello World'],
    ['{{ " \t a b \n" | trimSpace }}', 'a b'],
    ['{{ stringSlice "a" "b" "c" | join ", " }}', 'a, b, c'],
    ['{{ join "-" (stringSlice) }}', ''],
    ['{{ match "^a.c$" "abc" }} {{ match "^b" "abc" }}', 'true false'],
    ['{{ reReplaceAll "ab" "AB" "abcdabcda" }}', 'ABcdABcda'],
    ['{{ reReplaceAll "(a)(b)" "$2$1" "abab" }}', 'baba'],
    ['{{ "<b>" | safeHtml }}', '<b>'],
    ['{{ stringSlice "a" "<b>&" | toJson }}', '["a","\\u003cb\\u003e\\u0026"]'],
    ['{{ 90 | humanizeDuration }}', '1m 30s'],
  ];
  it.each(cases)('%s', async (text, want) => {
    expect(await Template.parse('t', text, [], { funcs: 'alertmanager' }).execute(undefined, new Map())).toBe(
      want,
    );
  });

  it('keeps Prometheus title (strings.Title) for rule templates', async () => {
    expect(await Template.parse('t', '{{ "hello WORLD" | title }}').execute(undefined, new Map())).toBe(
      'Hello WORLD',
    );
  });

  it.each(['join', 'trimSpace', 'stringSlice', 'toJson'])('does not give rule templates %s', (f) => {
    expect(() => parseRuleTemplate('r', `{{ ${f} }}`)).toThrow(`function "${f}" not defined`);
  });

  it('does not give notification templates query', () => {
    expect(() => Template.parse('t', '{{ query "up" }}', [], { funcs: 'alertmanager' })).toThrow(
      'function "query" not defined',
    );
  });

  it('defers unknown functions when lenient', async () => {
    const t = Template.parse('t', '{{ if 0 }}{{ date "2006" . }}{{ end }}ok', [], {
      funcs: 'alertmanager',
      isLenient: true,
    });
    expect(t.unknownFunctions).toStrictEqual(['date']);
    expect(await t.execute(undefined, new Map())).toBe('ok');
  });

  it('escapes action output for HTML and leaves safeHtml alone', async () => {
    const t = Template.parse('t', '<p>{{ . }}</p>{{ safeHtml "<br>" }}', [], { funcs: 'alertmanager' });
    expect(await t.execute(`a<b & "c" 'd' +`, new Map(), { escape: 'html' })).toBe(
      '<p>a&lt;b &amp; &#34;c&#34; &#39;d&#39; &#43;</p><br>',
    );
  });
});
