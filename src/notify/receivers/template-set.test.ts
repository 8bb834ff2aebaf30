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
{{ define "loop" }}{{ template "loop" . }}{{ end }}`,
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
  ];
  it.each(cases)('expands %s', async (_name, text, want) => {
    expect(await set.expand('t', text, d)).toBe(want);
  });

  const bad: [string, string, RegExp][] = [
    ['unknown template', '{{ template "nope" . }}', /no such template "nope"/],
    [
      'call with another argument',
      '{{ template "org.name" .Alerts }}',
      /passes only the notification itself/,
    ],
    [
      'call inside range',
      '{{ range .Alerts }}{{ template "org.name" . }}{{ end }}',
      /outside range and with/,
    ],
    ['unknown function', '{{ .Status | nope }}', /function "nope" not defined/],
    ['recursion', '{{ template "loop" . }}', /nest deeper/],
  ];
  it.each(bad)('rejects %s', async (_name, text, want) => {
    await expect(set.expand('t', text, d)).rejects.toThrow(want);
    expect(set.check('t', text)).toMatch(want);
  });

  it('reports an unclosed define with the file name', () => {
    expect(() => TemplateSet.parse([{ name: 'broken.tmpl', text: '{{ define "x" }}x' }])).toThrow(
      /broken\.tmpl: unexpected EOF in define/,
    );
  });

  it('lists the defined names', () => {
    expect(set.definedNames).toStrictEqual(['__subject', 'loop', 'org.list', 'org.name', 'org.title']);
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
