import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/prom-peer.js';
import { makeSelfSignedCert } from '../support/self-signed-cert.js';
import { buildIntegrations } from '../../src/notify/receivers/build-integrations.js';
import { discordWebhook } from '../../src/notify/receivers/discord.js';
import { receiverSchema } from '../../src/notify/receivers/schema.js';
import { slackRequest } from '../../src/notify/receivers/slack.js';
import { webhookMessage } from '../../src/notify/receivers/webhook.js';
import type { Notification } from '../../src/notify/types.js';

/**
 * The bodies Kanshi's webhook, Slack and Discord integrations send, compared with what Debian's
 * prometheus-alertmanager 0.25 sends for the same alert with the same receiver configuration (default
 * templates): Alertmanager posts to a loopback server, and Kanshi's builders get the notification
 * Alertmanager described (its group key, fingerprint and times).
 */

const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';

interface Captured {
  path: string;
  body: Record<string, unknown>;
}

let dir = '';
let am: ChildProcess | undefined;
let amUrl = '';
let amStderr = '';
let sink: Server | undefined;
const captured: Captured[] = [];
let receiverYaml = '';
let smtp: SMTPServer | undefined;
/** Raw messages the SMTP server received, in order. */
const mails: string[] = [];

beforeAll(async () => {
  sink = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      captured.push({ path: req.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => sink!.listen(0, '127.0.0.1', r));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

  dir = await mkdtemp(join(tmpdir(), 'kanshi-am-recv-'));
  const cert = makeSelfSignedCert(dir);
  smtp = new SMTPServer({
    key: cert.keyPem,
    cert: cert.certPem,
    authOptional: true,
    logger: false,
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push(Buffer.concat(chunks).toString('utf8'));
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp!.listen(0, '127.0.0.1', r));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  receiverYaml = `name: team.ops
webhook_configs:
  - url: ${sinkUrl}/hook
slack_configs:
  - api_url: ${sinkUrl}/slack
    channel: '#ops'
    send_resolved: true
discord_configs:
  - webhook_url: ${sinkUrl}/discord
email_configs:
  - to: ops@example.org
    from: kanshi@example.org
    smarthost: 127.0.0.1:${smtpPort}
    tls_config:
      insecure_skip_verify: true
`;
  const config = `route:
  receiver: team.ops
  group_by: [alertname]
  group_wait: 100ms
  group_interval: 1s
receivers:
  - ${receiverYaml.split('\n').join('\n    ').trimEnd()}
`;
  await writeFile(join(dir, 'alertmanager.yml'), config);
  const port = await freePort();
  amUrl = `http://127.0.0.1:${port}`;
  am = spawn(
    ALERTMANAGER,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.external-url=http://kanshi.example:9093',
      '--cluster.listen-address=',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  am.stderr?.on('data', (d: Buffer) => (amStderr += d.toString()));
  await waitFor(async () => {
    if (am?.exitCode !== null) throw new Error(`alertmanager exited: ${amStderr}`);
    try {
      const res = await fetch(`${amUrl}/-/ready`);
      await res.arrayBuffer();
      return res.ok;
    } catch {
      return false;
    }
  }, 'alertmanager to start');
});

afterAll(async () => {
  if (am && am.exitCode === null && am.signalCode === null) {
    const exited = new Promise((r) => am!.once('exit', r));
    am.kill('SIGTERM');
    await exited;
  }
  await new Promise<void>((r) => (sink ? sink.close(() => r()) : r()));
  await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
  await rm(dir, { recursive: true, force: true });
});

async function waitFor(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}: ${amStderr.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const labels = { alertname: 'DiskFull', severity: 'page', instance: 'a:9100' };
const annotations = { summary: 'disk full', description: 'only 1% left' };
const generatorURL = 'http://kanshi.example:9800/graph?g0.expr=disk';

async function postAlert(startsAtMs: number, endsAtMs?: number): Promise<void> {
  const res = await fetch(`${amUrl}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify([
      {
        labels,
        annotations,
        startsAt: new Date(startsAtMs).toISOString(),
        ...(endsAtMs !== undefined ? { endsAt: new Date(endsAtMs).toISOString() } : {}),
        generatorURL,
      },
    ]),
  });
  expect(res.status).toBe(200);
}

/** The notification Alertmanager's webhook body describes, as Kanshi's pipeline would hand it over. */
function notificationFrom(hook: Record<string, unknown>): Notification {
  const alerts = hook.alerts as {
    status: 'firing' | 'resolved';
    fingerprint: string;
    startsAt: string;
    endsAt: string;
  }[];
  return {
    id: 'x',
    receiver: 'team.ops',
    groupKey: hook.groupKey as string,
    status: hook.status as 'firing' | 'resolved',
    groupLabels: { alertname: 'DiskFull' },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: hook.externalURL as string,
    alerts: alerts.map((a) => ({
      status: a.status,
      fingerprint: a.fingerprint,
      labels,
      annotations,
      startsAtMs: Date.parse(a.startsAt),
      endsAtMs: a.status === 'resolved' ? Date.parse(a.endsAt) : Date.now() + 300_000,
      generatorURL,
      updatedAtMs: Date.now(),
    })),
    truncatedAlerts: 0,
    createdAtMs: Date.now(),
  };
}

function bodyAt(path: string, status: string): Record<string, unknown> | undefined {
  return captured.find(
    (c) =>
      c.path === path &&
      (path === '/hook'
        ? c.body.status === status
        : JSON.stringify(c.body).includes(status === 'firing' ? 'FIRING' : 'RESOLVED')),
  )?.body;
}

describe('receiver bodies compared with prometheus-alertmanager 0.25', () => {
  const startsAt = Date.now() - 60_000;
  const config = () => receiverSchema.parse(parseYaml(receiverYaml));

  for (const status of ['firing', 'resolved'] as const) {
    it(`builds the ${status} webhook, Slack and Discord bodies Alertmanager sends`, async () => {
      await postAlert(startsAt, status === 'resolved' ? Date.now() - 1000 : undefined);
      await waitFor(
        () => ['/hook', '/slack', '/discord'].every((p) => bodyAt(p, status) !== undefined),
        `alertmanager's ${status} notifications`,
      );
      const hook = bodyAt('/hook', status)!;
      const n = notificationFrom(hook);

      const ours = webhookMessage(n);
      expect(ours).toStrictEqual(hook);
      expect(Object.keys(ours)).toStrictEqual(Object.keys(hook));
      expect(Object.keys(ours.alerts[0]!)).toStrictEqual(Object.keys((hook.alerts as object[])[0]!));

      expect(await slackRequest(config().slack_configs[0]!, n)).toStrictEqual(bodyAt('/slack', status));
      expect(await discordWebhook(config().discord_configs[0]!, n)).toStrictEqual(bodyAt('/discord', status));
    });
  }

  it('sends the email headers Alertmanager sends for the firing alert', async () => {
    await waitFor(() => mails.length >= 1, "alertmanager's email");
    const header = (raw: string, name: string): string | undefined =>
      new RegExp(`^${name}: (.*)$`, 'mi').exec(raw)?.[1]?.trim();
    const amMail = mails[0]!;
    const hook = bodyAt('/hook', 'firing')!;
    const [email] = buildIntegrations(config()).filter((i) => i.kind === 'email');
    await email!.send(notificationFrom(hook), new AbortController().signal);
    expect(mails).toHaveLength(2);
    const ours = mails[1]!;
    for (const h of ['Subject', 'To', 'From'])
      expect([h, header(ours, h)]).toStrictEqual([h, header(amMail, h)]);
    expect(header(ours, 'Subject')).toBe('[FIRING:1] DiskFull (a:9100 page)');
    expect(ours).toContain('text/html');
  });
});
