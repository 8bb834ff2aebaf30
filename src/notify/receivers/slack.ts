import { AppError } from '../../base/errors.js';
import { postJson, readSecretFile } from './http-post.js';
import { templateData } from './template-data.js';
import { TemplateSet } from './template-set.js';
import type { SlackConfig } from './schema.js';
import type { HttpNotifierDeps } from './webhook.js';
import type { Notification, Notifier } from '../types.js';

/**
 * Slack incoming webhooks, as Alertmanager's notify/slack: one message with one attachment whose
 * title, text, colour, fallback … are the expanded templates of the `slack_configs` entry.
 */

/** One field of a Slack attachment. */
export interface SlackField {
  title: string;
  value: string;
  short?: boolean;
}

/** A Slack attachment, in Alertmanager's JSON field order (empty optional fields omitted). */
export interface SlackAttachment {
  title?: string;
  title_link?: string;
  pretext?: string;
  text: string;
  fallback: string;
  callback_id: string;
  fields?: SlackField[];
  image_url?: string;
  thumb_url?: string;
  footer: string;
  color?: string;
  mrkdwn_in?: string[];
}

/** The Slack request body. */
export interface SlackRequest {
  channel?: string;
  username?: string;
  icon_emoji?: string;
  icon_url?: string;
  link_names?: boolean;
  attachments: SlackAttachment[];
}

/** Slack's Web API (`chat.postMessage`), whose errors come as 200 with `"ok": false`. */
const SLACK_WEB_API = 'https://slack.com/api/';

/** Slack cuts titles longer than this (runes), as Alertmanager does before sending. */
const MAX_TITLE_RUNES = 1024;

function truncateRunes(s: string, max: number): string {
  const runes = [...s];
  return runes.length <= max ? s : `${runes.slice(0, max - 1).join('')}…`;
}

/** Builds the request body for `n`; empty optional fields are left out, as Go's `omitempty` does. */
export async function slackRequest(
  config: SlackConfig,
  n: Notification,
  templates: TemplateSet = TemplateSet.defaults,
): Promise<SlackRequest> {
  const d = templateData(n);
  const t = (name: string, text: string | undefined): Promise<string> =>
    text === undefined ? Promise.resolve('') : templates.expand(`slack.${name}`, text, d);
  const opt = <K extends string>(k: K, v: string): Partial<Record<K, string>> =>
    (v !== '' ? { [k]: v } : {}) as Partial<Record<K, string>>;

  const fields: SlackField[] = [];
  for (const f of config.fields) {
    fields.push({
      title: await t('field.title', f.title),
      value: await t('field.value', f.value),
      short: f.short ?? config.short_fields,
    });
  }
  const attachment: SlackAttachment = {
    ...opt('title', truncateRunes(await t('title', config.title), MAX_TITLE_RUNES)),
    ...opt('title_link', await t('title_link', config.title_link)),
    ...opt('pretext', await t('pretext', config.pretext)),
    text: await t('text', config.text),
    fallback: await t('fallback', config.fallback),
    callback_id: await t('callback_id', config.callback_id),
    ...(fields.length > 0 ? { fields } : {}),
    ...opt('image_url', await t('image_url', config.image_url)),
    ...opt('thumb_url', await t('thumb_url', config.thumb_url)),
    footer: await t('footer', config.footer),
    ...opt('color', await t('color', config.color)),
    ...(config.mrkdwn_in.length > 0 ? { mrkdwn_in: config.mrkdwn_in } : {}),
  };
  return {
    ...opt('channel', await t('channel', config.channel)),
    ...opt('username', await t('username', config.username)),
    ...opt('icon_emoji', await t('icon_emoji', config.icon_emoji)),
    ...opt('icon_url', await t('icon_url', config.icon_url)),
    ...(config.link_names ? { link_names: true } : {}),
    attachments: [attachment],
  };
}

/** One `slack_configs` entry; `apiUrl` is the resolved `api_url` (or `global.slack_api_url`). */
export class SlackNotifier implements Notifier {
  readonly kind = 'slack';
  readonly sendResolved: boolean;
  readonly #config: SlackConfig;
  readonly #apiUrl: string | undefined;
  readonly #apiUrlFile: string | undefined;
  readonly #deps: HttpNotifierDeps;

  constructor(
    config: SlackConfig,
    options: { apiUrl?: string | undefined; apiUrlFile?: string | undefined } & HttpNotifierDeps,
  ) {
    this.#config = config;
    this.#apiUrl = options.apiUrl;
    this.#apiUrlFile = options.apiUrlFile;
    this.#deps = options;
    this.sendResolved = config.send_resolved;
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    const url =
      this.#apiUrl ?? (this.#apiUrlFile !== undefined ? await readSecretFile(this.#apiUrlFile) : undefined);
    if (url === undefined) throw new AppError('bad_input', 'slack: no api_url and no global slack_api_url');
    const text = await postJson(url, await slackRequest(this.#config, notification, this.#deps.templates), {
      kind: this.kind,
      httpConfig: this.#config.http_config,
      signal,
      fetch: this.#deps.fetch,
    });
    // Slack's Web API answers 200 with {"ok": false, "error": …} on failure; incoming webhooks and the
    // Slack-compatible chats (Mattermost, Rocket.Chat) answer with a status, so only the Web API's
    // body is read.
    if (!url.startsWith(SLACK_WEB_API)) return;
    let ok = false;
    let error = text.trim();
    try {
      const parsed = JSON.parse(text) as { ok?: unknown; error?: unknown };
      ok = parsed.ok === true;
      if (typeof parsed.error === 'string') error = parsed.error;
    } catch {
      ok = false;
    }
    if (!ok) throw new AppError('bad_input', `slack: api error: ${error.slice(0, 200)}`);
  }
}
