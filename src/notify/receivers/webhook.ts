import { quoteMeta, goTimeJson } from './template-data.js';
import { postJson, resolveUrl } from './http-post.js';
import type { WebhookConfig } from './schema.js';
import type { TemplateSet } from './template-set.js';
import type { LabelSet, Notification, NotifiedAlert, Notifier } from '../types.js';

/**
 * Alertmanager's generic webhook (notify/webhook): POSTs the webhook payload version 4, so receivers
 * written for Alertmanager work unchanged.
 */

/** One alert of the webhook payload, in Alertmanager's field order. */
export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: LabelSet;
  annotations: LabelSet;
  /** RFC 3339 (Go's time.Time JSON). */
  startsAt: string;
  /** `0001-01-01T00:00:00Z` while the alert fires (Alertmanager hides an end not reached yet). */
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** The webhook payload version 4 (Alertmanager's webhook.Message), in its JSON field order. */
export interface WebhookMessage {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: WebhookAlert[];
  groupLabels: LabelSet;
  commonLabels: LabelSet;
  commonAnnotations: LabelSet;
  externalURL: string;
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
}

function sorted(set: LabelSet): LabelSet {
  const out: Record<string, string> = {};
  for (const k of Object.keys(set).sort()) out[k] = set[k] ?? '';
  return out;
}

/** One alert as the payload carries it. */
export function webhookAlert(a: NotifiedAlert): WebhookAlert {
  return {
    status: a.status,
    labels: sorted(a.labels),
    annotations: sorted(a.annotations),
    startsAt: goTimeJson(a.startsAtMs),
    endsAt: a.status === 'firing' ? goTimeJson(0) : goTimeJson(a.endsAtMs),
    generatorURL: a.generatorURL,
    fingerprint: a.fingerprint,
  };
}

/**
 * The payload of `n`, keeping at most `maxAlerts` alerts (0 = all); the ones left out are added to
 * `truncatedAlerts`. Label maps are sorted by name, as Go's encoding/json writes maps.
 */
export function webhookMessage(n: Notification, maxAlerts = 0): WebhookMessage {
  const keep = maxAlerts > 0 && n.alerts.length > maxAlerts ? n.alerts.slice(0, maxAlerts) : n.alerts;
  return {
    receiver: quoteMeta(n.receiver),
    status: n.status,
    alerts: keep.map(webhookAlert),
    groupLabels: sorted(n.groupLabels),
    commonLabels: sorted(n.commonLabels),
    commonAnnotations: sorted(n.commonAnnotations),
    externalURL: n.externalURL,
    version: '4',
    groupKey: n.groupKey,
    truncatedAlerts: n.truncatedAlerts + (n.alerts.length - keep.length),
  };
}

/** Dependencies of the HTTP notifiers. */
export interface HttpNotifierDeps {
  /** Injected fetch (tests); default the global one. */
  readonly fetch?: typeof fetch | undefined;
  /** Named templates for `{{ template "…" . }}`; default Alertmanager's defaults only. */
  readonly templates?: TemplateSet | undefined;
}

/** One `webhook_configs` entry. */
export class WebhookNotifier implements Notifier {
  readonly kind = 'webhook';
  readonly sendResolved: boolean;
  readonly #config: WebhookConfig;
  readonly #deps: HttpNotifierDeps;

  constructor(config: WebhookConfig, deps: HttpNotifierDeps = {}) {
    this.#config = config;
    this.#deps = deps;
    this.sendResolved = config.send_resolved;
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    const url = await resolveUrl(this.#config.url, this.#config.url_file);
    await postJson(url, webhookMessage(notification, this.#config.max_alerts), {
      kind: this.kind,
      httpConfig: this.#config.http_config,
      signal,
      fetch: this.#deps.fetch,
      timeoutMs: this.#config.timeout,
    });
  }
}
