import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeSelfSignedCert } from '../../../test/support/self-signed-cert.js';
import { AppError } from '../../base/errors.js';
import { buildIntegrations } from './build-integrations.js';
import { receiverSchema } from './schema.js';
import type { Notification } from '../types.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** A loopback HTTP receiver that records requests and answers with the next queued status (default 200 "ok"). */
class LoopbackReceiver {
  readonly received: Received[] = [];
  readonly replies: [number, string][] = [];
  #server: Server | undefined;
  base = '';

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        this.received.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: text === '' ? undefined : JSON.parse(text),
        });
        const [status, reply] = this.replies.shift() ?? [200, 'ok'];
        res.writeHead(status, { 'Content-Type': 'text/plain' }).end(reply);
      });
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.#server?.close(() => r()));
  }
}

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0, 250);

const notification: Notification = {
  id: 'n1',
  receiver: 'ops.team',
  groupKey: '{}:{alertname="DiskFull"}',
  status: 'firing',
  groupLabels: { alertname: 'DiskFull' },
  commonLabels: { alertname: 'DiskFull', severity: 'page' },
  commonAnnotations: { summary: 'disk full' },
  externalURL: 'http://kanshi.example:9800',
  alerts: [
    {
      status: 'firing',
      fingerprint: '0123456789abcdef',
      labels: { severity: 'page', alertname: 'DiskFull', instance: 'a:9100' },
      annotations: { summary: 'disk full' },
      startsAtMs: T0,
      endsAtMs: T0 + 300_000,
      generatorURL: 'http://kanshi.example:9800/graph?g0.expr=x',
      updatedAtMs: T0,
    },
    {
      status: 'resolved',
      fingerprint: 'fedcba9876543210',
      labels: { alertname: 'DiskFull', instance: 'b:9100', severity: 'page' },
      annotations: { summary: 'disk full' },
      startsAtMs: T0 - 60_000,
      endsAtMs: T0,
      generatorURL: 'http://kanshi.example:9800/graph?g0.expr=x',
      updatedAtMs: T0,
    },
  ],
  truncatedAlerts: 0,
  createdAtMs: T0,
};

const server = new LoopbackReceiver();
beforeAll(() => server.start());
afterAll(() => server.stop());
beforeEach(() => {
  server.received.length = 0;
  server.replies.length = 0;
});

function integrations(receiver: Record<string, unknown>) {
  return buildIntegrations(receiverSchema.parse({ name: 'ops.team', ...receiver }));
}

async function sendOne(receiver: Record<string, unknown>, n: Notification = notification): Promise<Received> {
  const [notifier] = integrations(receiver);
  await notifier!.send(n, new AbortController().signal);
  expect(server.received).toHaveLength(1);
  return server.received[0]!;
}

describe('WebhookNotifier', () => {
  it('posts the webhook payload version 4 exactly', async () => {
    const got = await sendOne({ webhook_configs: [{ url: `${server.base}/hook` }] });
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/hook');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.body).toStrictEqual({
      receiver: 'ops\\.team',
      status: 'firing',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'DiskFull', instance: 'a:9100', severity: 'page' },
          annotations: { summary: 'disk full' },
          startsAt: '2026-11-27T12:00:00.25Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://kanshi.example:9800/graph?g0.expr=x',
          fingerprint: '0123456789abcdef',
        },
        {
          status: 'resolved',
          labels: { alertname: 'DiskFull', instance: 'b:9100', severity: 'page' },
          annotations: { summary: 'disk full' },
          startsAt: '2026-11-27T11:59:00.25Z',
          endsAt: '2026-11-27T12:00:00.25Z',
          generatorURL: 'http://kanshi.example:9800/graph?g0.expr=x',
          fingerprint: 'fedcba9876543210',
        },
      ],
      groupLabels: { alertname: 'DiskFull' },
      commonLabels: { alertname: 'DiskFull', severity: 'page' },
      commonAnnotations: { summary: 'disk full' },
      externalURL: 'http://kanshi.example:9800',
      version: '4',
      groupKey: '{}:{alertname="DiskFull"}',
      truncatedAlerts: 0,
    });
    // Field order as Alertmanager's Go struct writes it.
    expect(Object.keys(got.body as object)).toStrictEqual([
      'receiver',
      'status',
      'alerts',
      'groupLabels',
      'commonLabels',
      'commonAnnotations',
      'externalURL',
      'version',
      'groupKey',
      'truncatedAlerts',
    ]);
  });

  it('keeps max_alerts alerts and counts the rest in truncatedAlerts', async () => {
    const got = await sendOne({ webhook_configs: [{ url: `${server.base}/hook`, max_alerts: 1 }] });
    const body = got.body as { alerts: unknown[]; truncatedAlerts: number };
    expect(body.alerts).toHaveLength(1);
    expect(body.truncatedAlerts).toBe(1);
  });

  it('sends basic auth and bearer credentials from http_config', async () => {
    const basic = await sendOne({
      webhook_configs: [
        { url: `${server.base}/hook`, http_config: { basic_auth: { username: 'u', password: 'p' } } },
      ],
    });
    expect(basic.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    server.received.length = 0;
    const bearer = await sendOne({
      webhook_configs: [
        { url: `${server.base}/hook`, http_config: { authorization: { credentials: 'tok' } } },
      ],
    });
    expect(bearer.headers.authorization).toBe('Bearer tok');
  });

  const statuses: [number, string][] = [
    [500, 'unavailable'],
    [503, 'unavailable'],
    [429, 'unavailable'],
    [400, 'bad_input'],
    [404, 'bad_input'],
  ];
  it.each(statuses)('maps status %i to AppError %s', async (status, code) => {
    server.replies.push([status, 'nope']);
    const [n] = integrations({ webhook_configs: [{ url: `${server.base}/hook` }] });
    const err = await n!.send(notification, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(code);
    expect((err as AppError).message).not.toContain('/hook'); // the path may hold a secret
  });

  it('calls a refused connection retryable', async () => {
    const [n] = integrations({ webhook_configs: [{ url: 'http://127.0.0.1:1/hook' }] });
    const err = await n!.send(notification, new AbortController().signal).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('unavailable');
  });
});

describe('SlackNotifier', () => {
  it('posts one attachment as Alertmanager default templates make it', async () => {
    const got = await sendOne({ slack_configs: [{ api_url: `${server.base}/slack`, channel: '#ops' }] });
    expect(got.body).toStrictEqual({
      channel: '#ops',
      username: 'Alertmanager',
      attachments: [
        {
          title: '[FIRING:1] DiskFull (page)',
          title_link: 'http://kanshi.example:9800/#/alerts?receiver=ops%5C.team',
          text: '',
          fallback: '[FIRING:1] DiskFull (page) | http://kanshi.example:9800/#/alerts?receiver=ops%5C.team',
          callback_id: '',
          footer: '',
          color: 'danger',
          mrkdwn_in: ['fallback', 'pretext', 'text'],
        },
      ],
    });
  });

  it('expands user templates over the alerts', async () => {
    const got = await sendOne({
      slack_configs: [
        {
          api_url: `${server.base}/slack`,
          title: '{{ .CommonLabels.alertname }} is {{ .Status }}',
          text: '{{ range .Alerts }}{{ .Labels.instance }} {{ .Status }}; {{ end }}{{ len .Alerts.Firing }} firing',
          fields: [{ title: 'sev', value: '{{ .CommonLabels.severity | toUpper }}', short: true }],
        },
      ],
    });
    const att = (got.body as { attachments: Record<string, unknown>[] }).attachments[0]!;
    expect(att.title).toBe('DiskFull is firing');
    expect(att.text).toBe('a:9100 firing; b:9100 resolved; 1 firing');
    expect(att.fields).toStrictEqual([{ title: 'sev', value: 'PAGE', short: true }]);
  });

  it('takes any 2xx from an incoming webhook or a Slack-compatible chat', async () => {
    server.replies.push([200, '{"success":true}']);
    const [n] = integrations({ slack_configs: [{ api_url: `${server.base}/rocketchat` }] });
    await expect(n!.send(notification, new AbortController().signal)).resolves.toBeUndefined();
  });

  it("rejects the Web API's ok:false answer as final", async () => {
    const answers = ['{"ok":false,"error":"channel_not_found"}', '{"ok":true}'];
    const fakeFetch = (): Promise<Response> => Promise.resolve(new Response(answers.shift()));
    const [n] = buildIntegrations(
      receiverSchema.parse({
        name: 'ops',
        slack_configs: [{ api_url: 'https://slack.com/api/chat.postMessage' }],
      }),
      { fetch: fakeFetch },
    );
    const err = await n!.send(notification, new AbortController().signal).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('bad_input');
    expect((err as AppError).message).toContain('channel_not_found');
    await expect(n!.send(notification, new AbortController().signal)).resolves.toBeUndefined();
  });
});

describe('MsteamsNotifier', () => {
  it('posts a MessageCard', async () => {
    const got = await sendOne({ msteams_configs: [{ webhook_url: `${server.base}/teams` }] });
    expect(got.body).toStrictEqual({
      '@context': 'http://schema.org/extensions',
      type: 'MessageCard',
      title: '[FIRING:1] DiskFull (page)',
      summary: '[FIRING:1] DiskFull (page)',
      text:
        '\n\n# Alerts Firing:\n\nLabels:\n  - alertname = DiskFull\n  - instance = a:9100\n  - severity = page\n' +
        '\nAnnotations:\n  - summary = disk full\n\nSource: http://kanshi.example:9800/graph?g0.expr=x\n\n\n' +
        '\n\n# Alerts Resolved:\n\nLabels:\n  - alertname = DiskFull\n  - instance = b:9100\n  - severity = page\n' +
        '\nAnnotations:\n  - summary = disk full\n\nSource: http://kanshi.example:9800/graph?g0.expr=x\n\n\n\n',
      themeColor: '8C1A1A',
    });
  });
});

describe('DiscordNotifier', () => {
  it('posts one embed with title, message and colour', async () => {
    const resolved: Notification = {
      ...notification,
      status: 'resolved',
      alerts: notification.alerts.filter((a) => a.status === 'resolved'),
    };
    const got = await sendOne({ discord_configs: [{ webhook_url: `${server.base}/discord` }] }, resolved);
    expect(got.body).toStrictEqual({
      content: '',
      embeds: [
        {
          title: '[RESOLVED] DiskFull (page)',
          description:
            '\n\n\nAlerts Resolved:\nLabels:\n - alertname = DiskFull\n - instance = b:9100\n - severity = page\n' +
            'Annotations:\n - summary = disk full\nSource: http://kanshi.example:9800/graph?g0.expr=x\n\n\n',
          color: 0x2ecc71,
        },
      ],
    });
  });
});

describe('AlertmanagerForwardNotifier', () => {
  it('posts every alert to /api/v2/alerts of each URL', async () => {
    const [n] = integrations({
      alertmanager_configs: [{ urls: [`${server.base}/am1/`, `${server.base}/am2`] }],
    });
    await n!.send(notification, new AbortController().signal);
    expect(server.received.map((r) => r.url).sort()).toStrictEqual([
      '/am1/api/v2/alerts',
      '/am2/api/v2/alerts',
    ]);
    expect(server.received[0]!.body).toStrictEqual([
      {
        labels: { severity: 'page', alertname: 'DiskFull', instance: 'a:9100' },
        annotations: { summary: 'disk full' },
        startsAt: '2026-11-27T12:00:00.25Z',
        endsAt: '2026-11-27T12:05:00.25Z',
        generatorURL: 'http://kanshi.example:9800/graph?g0.expr=x',
      },
      {
        labels: { alertname: 'DiskFull', instance: 'b:9100', severity: 'page' },
        annotations: { summary: 'disk full' },
        startsAt: '2026-11-27T11:59:00.25Z',
        endsAt: '2026-11-27T12:00:00.25Z',
        generatorURL: 'http://kanshi.example:9800/graph?g0.expr=x',
      },
    ]);
  });
});

describe('ExecNotifier', () => {
  it('writes the payload to the command stdin and succeeds on exit 0', async () => {
    const [n] = integrations({
      exec_configs: [
        { command: ['/bin/sh', '-c', 'grep -q \'"version":"4"\' && test "$KANSHI_RECEIVER" = ops.team'] },
      ],
    });
    await expect(n!.send(notification, new AbortController().signal)).resolves.toBeUndefined();
  });

  it('fails retryably on a non-zero exit and finally when the command is missing', async () => {
    const [failing, missing] = integrations({
      exec_configs: [
        { command: ['/bin/sh', '-c', 'echo boom >&2; exit 3'] },
        { command: ['/nonexistent/x'] },
      ],
    });
    const e1 = await failing!.send(notification, new AbortController().signal).catch((e: unknown) => e);
    expect((e1 as AppError).code).toBe('unavailable');
    expect((e1 as AppError).message).toContain('exit status 3: boom');
    const e2 = await missing!.send(notification, new AbortController().signal).catch((e: unknown) => e);
    expect((e2 as AppError).code).toBe('bad_input');
  });
});

describe('buildIntegrations', () => {
  it('names integrations by kind and index and applies globals', () => {
    const list = buildIntegrations(
      receiverSchema.parse({
        name: 'r',
        email_configs: [{ to: 'a@b' }],
        slack_configs: [{}],
        webhook_configs: [{ url: 'http://127.0.0.1:1/' }, { url: 'http://127.0.0.1:2/' }],
      }),
      { globals: { smtp_from: 'k@x', smtp_smarthost: '127.0.0.1:25', slack_api_url: 'http://127.0.0.1:3/' } },
    );
    expect(list.map((n) => [n.integration, n.sendResolved])).toStrictEqual([
      ['email[0]', false],
      ['slack[0]', false],
      ['webhook[0]', true],
      ['webhook[1]', true],
    ]);
  });

  it('rejects an email entry without from or smarthost', () => {
    expect(() =>
      buildIntegrations(receiverSchema.parse({ name: 'r', email_configs: [{ to: 'a@b' }] })),
    ).toThrow(/no from address/);
  });
});

describe('https with tls_config', () => {
  it('verifies against ca_file, refuses an unknown CA, and skips verification when told', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'kanshi-tls-'));
    const cert = makeSelfSignedCert(tmp);
    const bodies: unknown[] = [];
    const srv = createHttpsServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
      let b = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (b += c));
      req.on('end', () => {
        bodies.push(JSON.parse(b));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`;
    try {
      const send = (tls_config?: Record<string, unknown>) =>
        integrations({
          webhook_configs: [{ url, ...(tls_config ? { http_config: { tls_config } } : {}) }],
        })[0]!.send(notification, new AbortController().signal);
      await send({ ca_file: cert.certPath });
      await send({ insecure_skip_verify: true });
      const err = await send().catch((e: unknown) => e);
      expect((err as AppError).code).toBe('unavailable');
      expect(bodies).toHaveLength(2);
      expect(bodies[0]).toMatchObject({ version: '4', groupKey: notification.groupKey });
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
