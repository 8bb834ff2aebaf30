import { describe, expect, it } from 'vitest';
import { notifyGlobalSchema } from '../config.js';
import { receiverSchema, type ReceiverGlobals } from './schema.js';

describe('receiverSchema', () => {
  it('applies Alertmanager 0.25 defaults', () => {
    const r = receiverSchema.parse({
      name: 'ops',
      webhook_configs: [{ url: 'http://127.0.0.1:5001/hook' }],
      slack_configs: [{ api_url: 'http://127.0.0.1:1/slack', channel: '#ops' }],
      email_configs: [{ to: 'ops@example.org' }],
      msteams_configs: [{ webhook_url: 'http://127.0.0.1:1/teams' }],
      discord_configs: [{ webhook_url: 'http://127.0.0.1:1/discord' }],
      alertmanager_configs: [{ urls: ['http://127.0.0.1:9093'] }],
      exec_configs: [{ command: ['/bin/cat'], timeout: '5s' }],
    });
    expect(r.webhook_configs[0]).toMatchObject({ send_resolved: true, max_alerts: 0, timeout: 0 });
    expect(r.slack_configs[0]).toMatchObject({
      send_resolved: false,
      title: '{{ template "slack.default.title" . }}',
      color: '{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}',
    });
    expect(r.email_configs[0]).toMatchObject({
      send_resolved: false,
      html: '{{ template "email.default.html" . }}',
      text: '',
    });
    expect(r.msteams_configs[0]?.send_resolved).toBe(true);
    expect(r.discord_configs[0]?.send_resolved).toBe(true);
    expect(r.alertmanager_configs[0]).toMatchObject({ api_version: 'v2', timeout: 10_000 });
    expect(r.exec_configs[0]).toMatchObject({ timeout: 5000, env: {} });
  });

  const bad: [string, unknown, RegExp][] = [
    ['webhook without url', { name: 'a', webhook_configs: [{}] }, /exactly one of url or url_file/],
    [
      'webhook with url and url_file',
      { name: 'a', webhook_configs: [{ url: 'http://x/', url_file: '/f' }] },
      /exactly one of url or url_file/,
    ],
    ['email without to', { name: 'a', email_configs: [{ from: 'x@y' }] }, /to/],
    ['unknown key', { name: 'a', webhook_configs: [{ url: 'http://x/', nope: 1 }] }, /nope/],
    ['unknown integration', { name: 'a', pagerduty_configs: [] }, /pagerduty_configs/],
    ['missing name', { webhook_configs: [] }, /name/],
    ['not a URL', { name: 'a', webhook_configs: [{ url: 'ftp://x' }] }, /http/],
  ];
  it.each(bad)('rejects %s', (_name, input, message) => {
    const r = receiverSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(message);
  });
});

describe('ReceiverGlobals', () => {
  it('takes the parsed global: section of the notifications config as it is', () => {
    const parsed = notifyGlobalSchema.parse({ smtp_from: 'k@example.org', smtp_require_tls: false });
    const globals: ReceiverGlobals = parsed;
    expect(globals.smtp_from).toBe('k@example.org');
    expect(globals.smtp_hello).toBeUndefined();
  });
});
