import { z } from 'zod';
import { command, env, positiveDurationMs, durationMs } from '../../config/schema-types.js';

/**
 * One entry of Alertmanager's `receivers:` list, as Alertmanager 0.25 reads it (config/notifiers.go),
 * so a pasted alertmanager.yml receiver works unchanged; plus Kanshi's `alertmanager_configs` (forward to
 * an external Alertmanager) and `exec_configs` (run a command with the notification on stdin).
 *
 * Strict: unknown keys are errors (an unsupported Alertmanager option is reported, not ignored).
 * Defaults are Alertmanager's (`send_resolved` true for webhook/msteams/discord, false for slack/email).
 * Template fields hold Go text/template source, expanded per notification by the receivers.
 * Fields whose default comes from Alertmanager's `global:` section (`smtp_*`, `slack_api_url`) stay
 * optional here; {@link ReceiverGlobals} supplies them when the integrations are built.
 */

const url = z.string().refine(
  (s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  },
  { message: 'must be an http:// or https:// URL' },
);

const filePath = z.string().min(1);

/** The subset of Prometheus's common `http_config` the receivers honour. */
export const notifyHttpConfigSchema = z.strictObject({
  basic_auth: z
    .strictObject({
      username: z.string().default(''),
      password: z.string().optional(),
      password_file: filePath.optional(),
    })
    .optional(),
  authorization: z
    .strictObject({
      type: z.string().default('Bearer'),
      credentials: z.string().optional(),
      credentials_file: filePath.optional(),
    })
    .optional(),
  bearer_token: z.string().optional(),
  bearer_token_file: filePath.optional(),
  tls_config: z
    .strictObject({
      insecure_skip_verify: z.boolean().default(false),
      ca_file: filePath.optional(),
      server_name: z.string().optional(),
    })
    .optional(),
  follow_redirects: z.boolean().default(true),
});

/** Parsed `http_config`. */
export type NotifyHttpConfig = z.output<typeof notifyHttpConfigSchema>;

const oneOf = (a: string, b: string) => (v: Record<string, unknown>) =>
  (v[a] !== undefined) !== (v[b] !== undefined);
const oneOfMessage = (a: string, b: string): { message: string } => ({
  message: `exactly one of ${a} or ${b} must be configured`,
});

/** `webhook_configs` entry (payload version 4). */
export const webhookConfigSchema = z
  .strictObject({
    send_resolved: z.boolean().default(true),
    http_config: notifyHttpConfigSchema.optional(),
    url: url.optional(),
    url_file: filePath.optional(),
    /** Alerts beyond this many are left out (counted in `truncatedAlerts`); 0 = all. */
    max_alerts: z.number().int().nonnegative().default(0),
    /** 0 = no timeout of its own (the delivery queue's deadline still applies). */
    timeout: durationMs.default(0),
  })
  .refine(oneOf('url', 'url_file'), oneOfMessage('url', 'url_file'));

/** `slack_configs` entry (incoming webhook; `api_url` defaults to `global.slack_api_url`). */
export const slackConfigSchema = z
  .strictObject({
    send_resolved: z.boolean().default(false),
    http_config: notifyHttpConfigSchema.optional(),
    api_url: url.optional(),
    api_url_file: filePath.optional(),
    channel: z.string().optional(),
    username: z.string().default('{{ template "slack.default.username" . }}'),
    color: z.string().default('{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}'),
    title: z.string().default('{{ template "slack.default.title" . }}'),
    title_link: z.string().default('{{ template "slack.default.titlelink" . }}'),
    pretext: z.string().default('{{ template "slack.default.pretext" . }}'),
    text: z.string().default('{{ template "slack.default.text" . }}'),
    fields: z
      .array(
        z.strictObject({
          title: z.string().min(1),
          value: z.string().min(1),
          short: z.boolean().optional(),
        }),
      )
      .default([]),
    short_fields: z.boolean().default(false),
    footer: z.string().default('{{ template "slack.default.footer" . }}'),
    fallback: z.string().default('{{ template "slack.default.fallback" . }}'),
    callback_id: z.string().default('{{ template "slack.default.callbackid" . }}'),
    icon_emoji: z.string().default('{{ template "slack.default.iconemoji" . }}'),
    icon_url: z.string().default('{{ template "slack.default.iconurl" . }}'),
    image_url: z.string().optional(),
    thumb_url: z.string().optional(),
    link_names: z.boolean().default(false),
    mrkdwn_in: z.array(z.string()).default(['fallback', 'pretext', 'text']),
  })
  .refine((v) => !(v.api_url !== undefined && v.api_url_file !== undefined), {
    message: 'at most one of api_url & api_url_file must be configured',
  });

/** `email_configs` entry; `from`, `smarthost`, `hello`, auth and `require_tls` default to `global.smtp_*`. */
export const emailConfigSchema = z.strictObject({
  send_resolved: z.boolean().default(false),
  to: z.string().min(1, { message: 'missing to address in email config' }),
  from: z.string().optional(),
  hello: z.string().optional(),
  /** `host:port`. */
  smarthost: z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, { message: 'must be HOST:PORT' })
    .optional(),
  auth_username: z.string().optional(),
  auth_password: z.string().optional(),
  auth_password_file: filePath.optional(),
  auth_secret: z.string().optional(),
  auth_identity: z.string().optional(),
  require_tls: z.boolean().optional(),
  tls_config: z
    .strictObject({
      insecure_skip_verify: z.boolean().default(false),
      ca_file: filePath.optional(),
      server_name: z.string().optional(),
    })
    .optional(),
  /** Header name → template; `Subject`, `To`, `From` default as Alertmanager's. */
  headers: z.record(z.string(), z.string()).default({}),
  html: z.string().default('{{ template "email.default.html" . }}'),
  text: z.string().default(''),
});

/** `msteams_configs` entry (Office 365 connector MessageCard). */
export const msteamsConfigSchema = z
  .strictObject({
    send_resolved: z.boolean().default(true),
    http_config: notifyHttpConfigSchema.optional(),
    webhook_url: url.optional(),
    webhook_url_file: filePath.optional(),
    title: z.string().default('{{ template "msteams.default.title" . }}'),
    summary: z.string().default('{{ template "msteams.default.summary" . }}'),
    text: z.string().default('{{ template "msteams.default.text" . }}'),
  })
  .refine(oneOf('webhook_url', 'webhook_url_file'), oneOfMessage('webhook_url', 'webhook_url_file'));

/** `discord_configs` entry (webhook with one embed). */
export const discordConfigSchema = z
  .strictObject({
    send_resolved: z.boolean().default(true),
    http_config: notifyHttpConfigSchema.optional(),
    webhook_url: url.optional(),
    webhook_url_file: filePath.optional(),
    title: z.string().default('{{ template "discord.default.title" . }}'),
    message: z.string().default('{{ template "discord.default.message" . }}'),
    content: z.string().optional(),
    username: z.string().optional(),
    avatar_url: z.string().optional(),
  })
  .refine(oneOf('webhook_url', 'webhook_url_file'), oneOfMessage('webhook_url', 'webhook_url_file'));

/** Kanshi: forward each alert to external Alertmanagers (`POST <url>/api/v2/alerts`). */
export const alertmanagerForwardConfigSchema = z.strictObject({
  send_resolved: z.boolean().default(true),
  http_config: notifyHttpConfigSchema.optional(),
  /** Base URLs (`http://am:9093`, path prefix allowed); every one gets the alerts. */
  urls: z.array(url).min(1),
  api_version: z.literal('v2').default('v2'),
  timeout: positiveDurationMs.default(10_000),
});

/** Kanshi: run a command with the notification (webhook payload v4 JSON) on stdin; exit 0 = delivered. */
export const execConfigSchema = z.strictObject({
  send_resolved: z.boolean().default(true),
  command,
  timeout: positiveDurationMs.default(30_000),
  env: env.default({}),
});

/** One entry of `receivers:`. */
export const receiverSchema = z.strictObject({
  name: z.string().min(1, { message: 'missing name in receiver' }),
  webhook_configs: z.array(webhookConfigSchema).default([]),
  slack_configs: z.array(slackConfigSchema).default([]),
  email_configs: z.array(emailConfigSchema).default([]),
  msteams_configs: z.array(msteamsConfigSchema).default([]),
  discord_configs: z.array(discordConfigSchema).default([]),
  alertmanager_configs: z.array(alertmanagerForwardConfigSchema).default([]),
  exec_configs: z.array(execConfigSchema).default([]),
});

/** A parsed receiver: durations in ms, defaults applied. */
export type ReceiverConfig = z.output<typeof receiverSchema>;
export type WebhookConfig = z.output<typeof webhookConfigSchema>;
export type SlackConfig = z.output<typeof slackConfigSchema>;
export type EmailConfig = z.output<typeof emailConfigSchema>;
export type MsteamsConfig = z.output<typeof msteamsConfigSchema>;
export type DiscordConfig = z.output<typeof discordConfigSchema>;
export type AlertmanagerForwardConfig = z.output<typeof alertmanagerForwardConfigSchema>;
export type ExecConfig = z.output<typeof execConfigSchema>;

/**
 * The receiver-related keys of Alertmanager's `global:` section, already parsed by the notifications
 * config (which owns `global:`). Every field is optional; Alertmanager's defaults apply when absent
 * (`smtp_hello` "localhost", `smtp_require_tls` true).
 */
export interface ReceiverGlobals {
  readonly smtp_from?: string | undefined;
  readonly smtp_hello?: string | undefined;
  readonly smtp_smarthost?: string | undefined;
  readonly smtp_auth_username?: string | undefined;
  readonly smtp_auth_password?: string | undefined;
  readonly smtp_auth_password_file?: string | undefined;
  readonly smtp_auth_identity?: string | undefined;
  readonly smtp_auth_secret?: string | undefined;
  readonly smtp_require_tls?: boolean | undefined;
  readonly slack_api_url?: string | undefined;
  readonly slack_api_url_file?: string | undefined;
  readonly http_config?: NotifyHttpConfig | undefined;
}
