import { postJson, resolveUrl } from './http-post.js';
import { templateData } from './template-data.js';
import { TemplateSet } from './template-set.js';
import type { DiscordConfig } from './schema.js';
import type { HttpNotifierDeps } from './webhook.js';
import type { Notification, Notifier } from '../types.js';

/** Discord webhooks: one embed with the title and message templates, as Alertmanager's notify/discord. */

/** One embed. */
export interface DiscordEmbed {
  title: string;
  description: string;
  color: number;
}

/** The webhook body. */
export interface DiscordWebhook {
  content: string;
  embeds: DiscordEmbed[];
  username?: string;
  avatar_url?: string;
}

/** Discord's limits (runes) on embed titles and descriptions and on the content. */
const MAX_TITLE_RUNES = 256;
const MAX_DESCRIPTION_RUNES = 4096;
const MAX_CONTENT_RUNES = 2000;

/** Embed colours: red while firing, green when resolved. */
export const DISCORD_COLORS = { firing: 0x992d22, resolved: 0x2ecc71 } as const;

function truncateRunes(s: string, max: number): string {
  const runes = [...s];
  return runes.length <= max ? s : `${runes.slice(0, max - 1).join('')}…`;
}

/** Builds the webhook body for `n`. */
export async function discordWebhook(
  config: DiscordConfig,
  n: Notification,
  templates: TemplateSet = TemplateSet.defaults,
): Promise<DiscordWebhook> {
  const d = templateData(n);
  const title = truncateRunes(await templates.expand('discord.title', config.title, d), MAX_TITLE_RUNES);
  const description = truncateRunes(
    await templates.expand('discord.message', config.message, d),
    MAX_DESCRIPTION_RUNES,
  );
  const content =
    config.content !== undefined
      ? truncateRunes(await templates.expand('discord.content', config.content, d), MAX_CONTENT_RUNES)
      : '';
  const body: DiscordWebhook = {
    content,
    embeds: [{ title, description, color: DISCORD_COLORS[n.status] }],
  };
  if (config.username !== undefined) body.username = config.username;
  if (config.avatar_url !== undefined) body.avatar_url = config.avatar_url;
  return body;
}

/** One `discord_configs` entry. */
export class DiscordNotifier implements Notifier {
  readonly kind = 'discord';
  readonly sendResolved: boolean;
  readonly #config: DiscordConfig;
  readonly #deps: HttpNotifierDeps;

  constructor(config: DiscordConfig, deps: HttpNotifierDeps = {}) {
    this.#config = config;
    this.#deps = deps;
    this.sendResolved = config.send_resolved;
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    const url = await resolveUrl(this.#config.webhook_url, this.#config.webhook_url_file);
    await postJson(url, await discordWebhook(this.#config, notification, this.#deps.templates), {
      kind: this.kind,
      httpConfig: this.#config.http_config,
      signal,
      fetch: this.#deps.fetch,
    });
  }
}
