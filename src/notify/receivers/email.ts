import { readFile } from 'node:fs/promises';
import { createTransport } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { AppError, errorMessage } from '../../base/errors.js';
import { splitHostPort } from '../../base/host-port.js';
import { readSecretFile } from './http-post.js';
import { templateData } from './template-data.js';
import { TemplateSet } from './template-set.js';
import type { Notification, Notifier } from '../types.js';

/**
 * Email over SMTP with nodemailer, as Alertmanager's notify/email: port 465 is implicit TLS;
 * otherwise STARTTLS is required when `require_tls` (default true) and not attempted when false;
 * AUTH with `auth_username`/`auth_password` (PLAIN or LOGIN, whichever the server offers) or
 * `auth_secret` (CRAM-MD5); `auth_identity` is not used (nodemailer's PLAIN has no authorization id); a text part
 * when `text` is set and an HTML part when `html` is (default: Kanshi's HTML template). `to`, the
 * subject and every header are templates.
 */

/** The SMTP settings of one entry after `global.smtp_*` defaults were applied. */
export interface EmailSettings {
  readonly to: string;
  readonly from: string;
  readonly hello: string;
  /** `host:port`. */
  readonly smarthost: string;
  readonly authUsername?: string | undefined;
  readonly authPassword?: string | undefined;
  readonly authPasswordFile?: string | undefined;
  /** CRAM-MD5 secret; when set, CRAM-MD5 is used instead of PLAIN/LOGIN. */
  readonly authSecret?: string | undefined;
  readonly requireTls: boolean;
  readonly insecureSkipVerify: boolean;
  readonly caFile?: string | undefined;
  readonly serverName?: string | undefined;
  /** Header name → template (Subject included). */
  readonly headers: Readonly<Record<string, string>>;
  readonly html: string;
  readonly text: string;
  /** Connection, greeting and socket timeouts in ms. Default 30 s. */
  readonly timeoutMs?: number;
}

/** The message parts of a notification, expanded. */
export interface EmailMessage {
  readonly to: string;
  readonly from: string;
  readonly subject: string;
  readonly headers: Record<string, string>;
  readonly html?: string;
  readonly text?: string;
}

function canonicalHeader(name: string): string {
  return name
    .toLowerCase()
    .split('-')
    .map((p) => (p === '' ? p : p[0]!.toUpperCase() + p.slice(1)))
    .join('-');
}

/** Expands the templates of `s` over `n` (what would be sent, without sending it). */
export async function emailMessage(
  s: EmailSettings,
  n: Notification,
  templates: TemplateSet = TemplateSet.defaults,
): Promise<EmailMessage> {
  const d = templateData(n);
  const headers: Record<string, string> = {
    Subject: '{{ template "email.default.subject" . }}',
    To: s.to,
    From: s.from,
  };
  for (const [k, v] of Object.entries(s.headers)) headers[canonicalHeader(k)] = v;
  const expanded: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers))
    expanded[k] = await templates.expand(`email.headers.${k}`, v, d);
  const { Subject: subject = '', To: to = '', From: from = '', ...rest } = expanded;
  const html = s.html !== '' ? await templates.expand('email.html', s.html, d, { escape: 'html' }) : '';
  const text = s.text !== '' ? await templates.expand('email.text', s.text, d) : '';
  return {
    to: await templates.expand('email.to', to, d),
    from,
    subject,
    headers: rest,
    ...(html !== '' ? { html } : {}),
    ...(text !== '' ? { text } : {}),
  };
}

/** One `email_configs` entry. */
export class EmailNotifier implements Notifier {
  readonly kind = 'email';
  readonly sendResolved: boolean;
  readonly #s: EmailSettings;
  readonly #templates: TemplateSet;

  constructor(settings: EmailSettings, sendResolved: boolean, templates: TemplateSet = TemplateSet.defaults) {
    this.#s = settings;
    this.sendResolved = sendResolved;
    this.#templates = templates;
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    const s = this.#s;
    const msg = await emailMessage(s, notification, this.#templates);
    const { host, port } = splitHostPort(s.smarthost);
    const password =
      s.authPasswordFile !== undefined ? await readSecretFile(s.authPasswordFile) : s.authPassword;
    const ca = s.caFile !== undefined ? await readFile(s.caFile) : undefined;
    const timeout = s.timeoutMs ?? 30_000;
    const options: SMTPTransport.Options = {
      host,
      port,
      secure: port === 465,
      requireTLS: port !== 465 && s.requireTls,
      ignoreTLS: port !== 465 && !s.requireTls,
      name: s.hello,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      tls: {
        rejectUnauthorized: !s.insecureSkipVerify,
        ...(s.serverName !== undefined ? { servername: s.serverName } : {}),
        ...(ca !== undefined ? { ca } : {}),
      },
      ...(s.authUsername !== undefined && s.authUsername !== ''
        ? s.authSecret !== undefined && s.authSecret !== ''
          ? { auth: { user: s.authUsername, pass: s.authSecret }, authMethod: 'CRAM-MD5' }
          : { auth: { user: s.authUsername, pass: password ?? '' } }
        : {}),
    };
    const transport = createTransport(options);
    const where = `email to ${msg.to} via ${s.smarthost}`;
    const onAbort = (): void => transport.close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal.aborted) throw new AppError('canceled', `${where}: canceled`);
      await transport.sendMail({
        from: msg.from,
        to: msg.to,
        subject: msg.subject,
        headers: msg.headers,
        ...(msg.text !== undefined ? { text: msg.text } : {}),
        ...(msg.html !== undefined ? { html: msg.html } : {}),
      });
    } catch (e) {
      if (e instanceof AppError) throw e;
      if (signal.aborted) throw new AppError('canceled', `${where}: canceled`, { cause: e });
      throw smtpError(where, e);
    } finally {
      signal.removeEventListener('abort', onAbort);
      transport.close();
    }
  }
}

/** Maps a nodemailer error: rejected credentials and permanent (5xx) replies are final, the rest retryable. */
function smtpError(where: string, e: unknown): AppError {
  const err = e as { code?: unknown; responseCode?: unknown };
  const code = typeof err.code === 'string' ? err.code : '';
  const reply = typeof err.responseCode === 'number' ? err.responseCode : 0;
  const isFinal = code === 'EAUTH' || code === 'ETLS' || (reply >= 500 && reply < 600);
  if (code === 'ETIMEDOUT') return new AppError('timeout', `${where}: ${errorMessage(e)}`, { cause: e });
  return new AppError(isFinal ? 'bad_input' : 'unavailable', `${where}: ${errorMessage(e)}`, { cause: e });
}
