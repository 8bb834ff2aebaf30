import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSelfSignedCert, type SelfSignedCert } from '../../../test/support/self-signed-cert.js';
import { AppError } from '../../base/errors.js';
import { buildIntegrations } from './build-integrations.js';
import { receiverSchema } from './schema.js';
import type { Notification } from '../types.js';

interface Mail {
  from: string;
  to: string[];
  raw: string;
  isSecure: boolean;
  user: string | undefined;
}

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);
const notification: Notification = {
  id: 'n1',
  receiver: 'mail',
  groupKey: '{}:{alertname="DiskFull"}',
  status: 'firing',
  groupLabels: { alertname: 'DiskFull' },
  commonLabels: { alertname: 'DiskFull', severity: 'page' },
  commonAnnotations: {},
  externalURL: 'http://kanshi.example:9800',
  alerts: [
    {
      status: 'firing',
      fingerprint: '0123456789abcdef',
      labels: { alertname: 'DiskFull', severity: 'page', instance: 'a<b>' },
      annotations: { summary: 'disk full' },
      startsAtMs: T0,
      endsAtMs: T0 + 300_000,
      generatorURL: 'http://kanshi.example:9800/graph',
      updatedAtMs: T0,
    },
  ],
  truncatedAlerts: 0,
  createdAtMs: T0,
};

let tmp = '';
let cert: SelfSignedCert;
const servers: SMTPServer[] = [];

/** Starts an SMTP server on loopback; AUTH accepts only kanshi/secret. */
async function startSmtp(options: Partial<SMTPServerOptions> = {}): Promise<{ port: number; mails: Mail[] }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    key: cert.keyPem,
    cert: cert.certPem,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'kanshi' && auth.password === 'secret') cb(null, { user: auth.username });
      else cb(new Error('invalid credentials'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          isSecure: session.secure,
          user: session.user as string | undefined,
        });
        cb();
      });
    },
    ...options,
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.server.address() as AddressInfo).port, mails };
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'kanshi-email-'));
  cert = makeSelfSignedCert(tmp);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  rmSync(tmp, { recursive: true, force: true });
});

function emailNotifier(entry: Record<string, unknown>) {
  const [n] = buildIntegrations(receiverSchema.parse({ name: 'mail', email_configs: [entry] }));
  return n!;
}

describe('EmailNotifier', () => {
  it('sends over STARTTLS with AUTH, text and HTML parts and custom headers', async () => {
    const smtp = await startSmtp();
    const n = emailNotifier({
      to: 'ops@example.org, oncall@example.org',
      from: 'kanshi@example.org',
      smarthost: `127.0.0.1:${smtp.port}`,
      auth_username: 'kanshi',
      auth_password: 'secret',
      tls_config: { ca_file: cert.certPath, server_name: 'localhost' },
      text: 'alerts: {{ range .Alerts }}{{ .Labels.instance }}{{ end }}',
      headers: { 'x-kanshi-group': '{{ .GroupLabels.alertname }}' },
    });
    await n.send(notification, new AbortController().signal);
    expect(smtp.mails).toHaveLength(1);
    const m = smtp.mails[0]!;
    expect(m.isSecure).toBe(true);
    expect(m.user).toBe('kanshi');
    expect(m.from).toBe('kanshi@example.org');
    expect(m.to).toStrictEqual(['ops@example.org', 'oncall@example.org']);
    expect(m.raw).toMatch(/^Subject: \[FIRING:1\] DiskFull \(page\)\s*$/m);
    expect(m.raw).toMatch(/^X-Kanshi-Group: DiskFull$/m);
    expect(m.raw).toContain('multipart/alternative');
    expect(m.raw).toContain('alerts: a<b>');
    expect(m.raw).toContain('text/html');
    expect(m.raw).toContain('a&lt;b&gt;'); // the default HTML escapes label values
  });

  it('refuses to send when require_tls is set and the server offers no STARTTLS', async () => {
    const smtp = await startSmtp({ disabledCommands: ['STARTTLS'] });
    const n = emailNotifier({
      to: 'a@example.org',
      from: 'k@example.org',
      smarthost: `127.0.0.1:${smtp.port}`,
    });
    const err = await n.send(notification, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('bad_input');
    expect(smtp.mails).toHaveLength(0);
  });

  it('sends in plain text without STARTTLS when require_tls is false', async () => {
    const smtp = await startSmtp();
    const n = emailNotifier({
      to: 'a@example.org',
      from: 'k@example.org',
      smarthost: `127.0.0.1:${smtp.port}`,
      require_tls: false,
    });
    await n.send(notification, new AbortController().signal);
    expect(smtp.mails[0]?.isSecure).toBe(false);
  });

  it('calls rejected credentials final', async () => {
    const smtp = await startSmtp();
    const n = emailNotifier({
      to: 'a@example.org',
      from: 'k@example.org',
      smarthost: `127.0.0.1:${smtp.port}`,
      auth_username: 'kanshi',
      auth_password: 'wrong',
      tls_config: { insecure_skip_verify: true },
    });
    const err = await n.send(notification, new AbortController().signal).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('bad_input');
  });

  it('calls a refused connection retryable', async () => {
    const n = emailNotifier({ to: 'a@example.org', from: 'k@example.org', smarthost: '127.0.0.1:1' });
    const err = await n.send(notification, new AbortController().signal).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('unavailable');
  });

  it('authenticates with CRAM-MD5 when auth_secret is set', async () => {
    const smtp = await startSmtp({
      authMethods: ['CRAM-MD5'],
      onAuth(auth, _session, cb) {
        if (auth.username === 'kanshi' && auth.validatePassword?.('cram-secret') === true)
          cb(null, { user: auth.username });
        else cb(new Error('invalid credentials'));
      },
    });
    const n = emailNotifier({
      to: 'a@example.org',
      from: 'k@example.org',
      smarthost: `127.0.0.1:${smtp.port}`,
      auth_username: 'kanshi',
      auth_secret: 'cram-secret',
      tls_config: { insecure_skip_verify: true },
    });
    await n.send(notification, new AbortController().signal);
    expect(smtp.mails[0]?.user).toBe('kanshi');
  });
});
