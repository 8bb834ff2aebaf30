import { postJson, resolveUrl } from './http-post.js';
import { templateData } from './template-data.js';
import { TemplateSet } from './template-set.js';
import type { MsteamsConfig } from './schema.js';
import type { HttpNotifierDeps } from './webhook.js';
import type { Notification, Notifier } from '../types.js';

/** Microsoft Teams incoming webhooks: an Office 365 connector MessageCard, as Alertmanager's notify/msteams. */

/** The MessageCard body, in Alertmanager's field order. */
export interface TeamsMessage {
  '@context': 'http://schema.org/extensions';
  type: 'MessageCard';
  title: string;
  summary: string;
  text: string;
  themeColor: string;
}

/** Theme colours: red while firing, green when resolved. */
export const TEAMS_COLORS = { firing: '8C1A1A', resolved: '2DC72D' } as const;

/** Builds the MessageCard for `n`. */
export async function teamsMessage(
  config: MsteamsConfig,
  n: Notification,
  templates: TemplateSet = TemplateSet.defaults,
): Promise<TeamsMessage> {
  const d = templateData(n);
  return {
    '@context': 'http://schema.org/extensions',
    type: 'MessageCard',
    title: await templates.expand('msteams.title', config.title, d),
    summary: await templates.expand('msteams.summary', config.summary, d),
    text: await templates.expand('msteams.text', config.text, d),
    themeColor: TEAMS_COLORS[n.status],
  };
}

/** One `msteams_configs` entry. */
export class MsteamsNotifier implements Notifier {
  readonly kind = 'msteams';
  readonly sendResolved: boolean;
  readonly #config: MsteamsConfig;
  readonly #deps: HttpNotifierDeps;

  constructor(config: MsteamsConfig, deps: HttpNotifierDeps = {}) {
    this.#config = config;
    this.#deps = deps;
    this.sendResolved = config.send_resolved;
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    const url = await resolveUrl(this.#config.webhook_url, this.#config.webhook_url_file);
    await postJson(url, await teamsMessage(this.#config, notification, this.#deps.templates), {
      kind: this.kind,
      httpConfig: this.#config.http_config,
      signal,
      fetch: this.#deps.fetch,
    });
  }
}
