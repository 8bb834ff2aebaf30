import { describe, expect, it } from 'vitest';
import { TemplateSet } from './template-set.js';
import { templateData } from './template-data.js';
import { buildAllIntegrations, buildIntegrations, checkReceiverTemplates } from './build-integrations.js';
import { receiverSchema } from './schema.js';
import type { Notification } from '../types.js';

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);
const n: Notification = {
  id: 'n',
  receiver: 'ops',
  groupKey: '{}:{alertname="A"}',
  status: 'firing',
  groupLabels: { alertname: 'A' },
  commonLabels: { alertname: 'A', job: 'node' },
  commonAnnotations: { summary: 'down' },
  externalURL: 'http://k',
  alerts: [
    {
      status: 'firing',
      fingerprint: 'aaaaaaaaaaaaaaaa',
      labels: { alertname: 'A', job: 'node', instance: 'h1' },
      annotations: { summary: 'down' },
      startsAtMs: T0,
      endsAtMs: T0 + 1000,
      generatorURL: 'http://k/g',
      updatedAtMs: T0,
    },
    {
      status: 'resolved',
      fingerprint: 'bbbbbbbbbbbbbbbb',
      labels: { alertname: 'A', job: 'node', instance: 'h2' },
      annotations: { summary: 'down' },
      startsAtMs: T0 - 1000,
      endsAtMs: T0,
      generatorURL: 'http://k/g',
      updatedAtMs: T0,
    },
  ],
  truncatedAlerts: 0,
  createdAtMs: T0,
};

const files = [
  {
    name: 'org.tmpl',
    text: `{{/* Kanshi test templates */}}
{{ define "org.title" }}[{{ .Status | toUpper }}] {{ template "org.name" . }}{{ end }}
{{ define "org.name" -}}
  {{ .CommonLabels.alertname }}
{{- end }}
{{ define "org.list" }}{{ range .Alerts }}{{ if eq .Status "firing" }}{{ .Labels.instance }} {{ end }}{{ end }}{{ end }}
{{ define "__subject" }}custom subject {{ .GroupLabels.alertname }}{{ end }}
{{ define "loop" }}{{ template "loop" . }}{{ end }}
{{ define "org.alert" }}{{ .Labels.instance }} {{ .Status }}{{ end }}
{{ define "org.nodot" }}{{ . }}{{ end }}
{{ define "org.unused" }}{{ .StartsAt | date "2006" }}{{ end }}
{{ define "org.uses.date" }}{{ .Status | since }}{{ end }}`,
  },
];

describe('TemplateSet', () => {
  const set = TemplateSet.parse(files);
  const d = templateData(n);

  const cases: [string, string, string][] = [
    ['plain text', 'hello', 'hello'],
    ['field', '{{ .Status }} {{ .CommonLabels.job }}', 'firing node'],
    ['missing label is empty', '[{{ .CommonLabels.nope }}]', '[]'],
    ['Alerts.Firing / Resolved', '{{ len .Alerts.Firing }}/{{ len .Alerts.Resolved }}', '1/1'],
    [
      'SortedPairs',
      '{{ range .CommonLabels.SortedPairs }}{{ .Name }}={{ .Value }};{{ end }}',
      'alertname=A;job=node;',
    ],
    [
      'Names and Values',
      '{{ range .CommonLabels.Names }}{{ . }} {{ end }}{{ index .CommonLabels.Values 1 }}',
      'alertname job node',
    ],
    [
      'alert times in Go form',
      '{{ (index .Alerts 0).StartsAt }} | {{ (index .Alerts 0).EndsAt }}',
      '2026-01-02 03:04:05 +0000 UTC | 0001-01-01 00:00:00 +0000 UTC',
    ],
    ['receiver is regexp-quoted', '{{ .Receiver }}', 'ops'],
    ['user template calling another with trim markers', '{{ template "org.title" . }}', '[FIRING] A'],
    ['user template with range inside', '{{ template "org.list" . }}', 'h1 '],
    [
      'defaults built on an overridden __subject',
      '{{ template "email.default.subject" . }}',
      'custom subject A',
    ],
    ['a default leaf', '{{ template "__alertmanagerURL" . }}', 'http://k/#/alerts?receiver=ops'],
    ['overridden __subject used directly', '{{ template "__subject" . }}', 'custom subject A'],
    ['trim markers around a call', 'a  {{- template "org.name" . -}}  b', 'aAb'],
    ['a call with another argument', '{{ template "org.alert" index .Alerts 1 }}', 'h2 resolved'],
    [
      'a call inside range, passing the alert',
      '{{ range .Alerts }}{{ template "org.alert" . }};{{ end }}',
      'h1 firing;h2 resolved;',
    ],
    [
      'a define in the field itself',
      '{{ define "x" }}<{{ . }}>{{ end }}{{ template "x" .Status }}',
      '<firing>',
    ],
    ['a call without an argument', '[{{ template "org.nodot" }}]', '[<no value>]'],
    [
      'KV.Remove with the group labels',
      '{{ range (index .Alerts 0).Labels.Remove .GroupLabels.Names }}{{ . }} {{ end }}',
      'h1 node ',
    ],
    ['join over label values', '{{ .CommonLabels.Values | join ", " }}', 'A, node'],
    ['a label set prints as KV.String', '{{ .CommonLabels }}', 'alertname=A, job=node'],
  ];
  it.each(cases)('expands %s', async (_name, text, want) => {
    expect(await set.expand('t', text, d)).toBe(want);
  });

  const bad: [string, string, RegExp][] = [
    ['unknown template', '{{ template "nope" . }}', /no such template "nope"/],
    ['unknown function', '{{ .Status | nope }}', /function "nope" not defined/],
    ['a called template using a function Kanshi lacks', '{{ template "org.uses.date" . }}', /"since"/],
    [
      'a missing template called inside range',
      '{{ range .Alerts }}{{ template "nope" . }}{{ end }}',
      /no such template "nope"/,
    ],
  ];
  it.each(bad)('rejects %s', async (_name, text, want) => {
    await expect(set.expand('t', text, d)).rejects.toThrow(want);
    expect(set.check('t', text)).toMatch(want);
  });

  it('accepts a recursive template at load and stops it when it runs', async () => {
    expect(set.check('t', '{{ template "loop" . }}')).toBeUndefined();
    await expect(set.expand('t', '{{ template "loop" . }}', d)).rejects.toThrow(/maximum template depth/);
  });

  it('escapes values in HTML bodies, except safeHtml and named templates', async () => {
    const html = TemplateSet.parse([{ name: 'h.tmpl', text: '{{ define "b" }}<b>{{ . }}</b>{{ end }}' }]);
    const data = templateData({ ...n, commonAnnotations: { summary: '<x> & "y" + \'z\'' } });
    expect(
      await html.expand(
        'email.html',
        '<p>{{ .CommonAnnotations.summary }}</p>{{ "<i>ok</i>" | safeHtml }}{{ template "b" "<u>" }}',
        data,
        { escape: 'html' },
      ),
    ).toBe('<p>&lt;x&gt; &amp; &#34;y&#34; &#43; &#39;z&#39;</p><i>ok</i><b>&lt;u&gt;</b>');
    expect(await html.expand('email.text', '{{ .CommonAnnotations.summary }}', data)).toBe(`<x> & "y" + 'z'`);
  });

  it('reports an unclosed define with the file name', () => {
    expect(() => TemplateSet.parse([{ name: 'broken.tmpl', text: '{{ define "x" }}x' }])).toThrow(
      /broken\.tmpl:1: unexpected EOF in define/,
    );
  });

  it('lists the defined names', () => {
    expect(set.definedNames).toStrictEqual([
      '__subject',
      'loop',
      'org.alert',
      'org.list',
      'org.name',
      'org.nodot',
      'org.title',
      'org.unused',
      'org.uses.date',
    ]);
  });
});

describe('checkReceiverTemplates', () => {
  it('names the field of every broken template', () => {
    const r = receiverSchema.parse({
      name: 'ops',
      slack_configs: [
        {
          api_url: 'http://127.0.0.1:1/',
          title: '{{ template "nope" . }}',
          fields: [{ title: 'x', value: '{{ .Status' }],
        },
      ],
      email_configs: [
        {
          to: 'a@b',
          from: 'k@b',
          smarthost: '127.0.0.1:25',
          headers: { Subject: '{{ template "org.title" . }}' },
        },
      ],
    });
    expect(checkReceiverTemplates(r, TemplateSet.parse(files))).toStrictEqual([
      expect.stringMatching(/^receiver ops: slack_configs\[0\]\.title: .*no such template "nope"/),
      expect.stringMatching(/^receiver ops: slack_configs\[0\]\.fields\[0\]\.value: .*unclosed action/),
    ]);
    expect(checkReceiverTemplates(r, TemplateSet.defaults)).toContainEqual(
      expect.stringMatching(/email_configs\[0\]\.headers\.Subject: .*no such template "org.title"/),
    );
  });

  it('passes the defaults of every integration kind', () => {
    const r = receiverSchema.parse({
      name: 'ops',
      slack_configs: [{ api_url: 'http://127.0.0.1:1/' }],
      email_configs: [{ to: 'a@b' }],
      msteams_configs: [{ webhook_url: 'http://127.0.0.1:1/' }],
      discord_configs: [{ webhook_url: 'http://127.0.0.1:1/' }],
    });
    expect(checkReceiverTemplates(r, TemplateSet.defaults)).toStrictEqual([]);
  });

  it('hands the template set to the integrations', async () => {
    const r = receiverSchema.parse({
      name: 'ops',
      slack_configs: [{ api_url: 'http://127.0.0.1:1/slack', title: '{{ template "org.title" . }}' }],
    });
    const bodies: unknown[] = [];
    const fakeFetch = (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
      bodies.push(JSON.parse(init?.body as string));
      return Promise.resolve(new Response('ok'));
    };
    const [slack] = buildIntegrations(r, {
      templates: TemplateSet.parse(files),
      fetch: fakeFetch,
    });
    await slack!.send(n, new AbortController().signal);
    expect(bodies).toMatchObject([
      {
        attachments: [{ title: '[FIRING] A', fallback: 'custom subject A | http://k/#/alerts?receiver=ops' }],
      },
    ]);
  });
});

describe('buildAllIntegrations', () => {
  it('collects every problem and keeps the receivers without any', () => {
    const receivers = [
      receiverSchema.parse({ name: 'good', webhook_configs: [{ url: 'http://127.0.0.1:1/' }] }),
      receiverSchema.parse({ name: 'no-smtp', email_configs: [{ to: 'a@b' }] }),
      receiverSchema.parse({
        name: 'bad-template',
        discord_configs: [{ webhook_url: 'http://127.0.0.1:1/', title: '{{ template "nope" . }}' }],
      }),
    ];
    const built = buildAllIntegrations(receivers);
    expect([...built.integrations.keys()]).toStrictEqual(['good']);
    expect(built.problems).toStrictEqual([
      expect.stringMatching(/^receiver no-smtp: email_configs\[0\]: no from address set$/),
      expect.stringMatching(/^receiver bad-template: discord_configs\[0\]\.title: .*no such template "nope"/),
    ]);
  });
});
