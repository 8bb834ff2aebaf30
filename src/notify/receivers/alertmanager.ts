import { postJson } from './http-post.js';
import { goTimeJson } from './template-data.js';
import type { AlertmanagerForwardConfig } from './schema.js';
import type { HttpNotifierDeps } from './webhook.js';
import type { LabelSet, Notification, Notifier } from '../types.js';

/**
 * Kanshi's forward to external Alertmanagers: each alert of the notification is POSTed to
 * `<url>/api/v2/alerts` as Prometheus's notifier does, so an Alertmanager keeps doing its own routing
 * and silencing. Delivered means every configured Alertmanager accepted the alerts.
 */

/** One alert as Alertmanager's API v2 takes it (postableAlert). */
export interface PostableAlert {
  labels: LabelSet;
  annotations: LabelSet;
  startsAt: string;
  endsAt?: string;
  generatorURL: string;
}

/** The API v2 body for `n`: resolved alerts carry their end, firing ones the end the pipeline gave them. */
export function postableAlerts(n: Notification): PostableAlert[] {
  return n.alerts.map((a) => ({
    labels: a.labels,
    annotations: a.annotations,
    startsAt: goTimeJson(a.startsAtMs),
    ...(a.endsAtMs > 0 ? { endsAt: goTimeJson(a.endsAtMs) } : {}),
    generatorURL: a.generatorURL,
  }));
}

/** The alerts endpoint under a base URL (a path prefix such as `/alertmanager` is kept). */
export function alertsEndpoint(base: string): string {
  return `${base.replace(/\/+$/, '')}/api/v2/alerts`;
}

/** One `alertmanager_configs` entry. */
export class AlertmanagerForwardNotifier implements Notifier {
  readonly kind = 'alertmanager';
  readonly sendResolved: boolean;
  readonly #config: AlertmanagerForwardConfig;
  readonly #deps: HttpNotifierDeps;

  constructor(config: AlertmanagerForwardConfig, deps: HttpNotifierDeps = {}) {
    this.#config = config;
    this.#deps = deps;
    this.sendResolved = config.send_resolved;
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    const body = postableAlerts(notification);
    // All Alertmanagers get the alerts; the first failure (after all tried) fails the delivery, which
    // is then retried for all of them (Alertmanager deduplicates re-posted alerts by their labels).
    const results = await Promise.allSettled(
      this.#config.urls.map((u) =>
        postJson(alertsEndpoint(u), body, {
          kind: this.kind,
          httpConfig: this.#config.http_config,
          signal,
          fetch: this.#deps.fetch,
          timeoutMs: this.#config.timeout,
        }),
      ),
    );
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  }
}
