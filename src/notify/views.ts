import type { StoredAlert } from './alert-store.js';
import { compareLabelSets } from './label-set.js';

/**
 * The alert and group shapes of Alertmanager's API v2 (`GET /api/v2/alerts`,
 * `GET /api/v2/alerts/groups`), so the server can return them as they are. Times are RFC 3339 with
 * milliseconds, as Alertmanager prints them.
 */

/** An alert's state as Alertmanager reports it. */
export type AlertState = 'active' | 'suppressed' | 'unprocessed';

/** Why an alert is or is not muted right now. */
export interface AlertStatus {
  readonly state: AlertState;
  /** Silence (and maintenance window) IDs. */
  readonly silencedBy: readonly string[];
  /** Fingerprints of the alerts inhibiting it. */
  readonly inhibitedBy: readonly string[];
}

/** `GettableAlert` of the API v2. */
export interface GettableAlert {
  readonly annotations: Readonly<Record<string, string>>;
  readonly endsAt: string;
  readonly fingerprint: string;
  readonly receivers: readonly { readonly name: string }[];
  readonly startsAt: string;
  readonly status: AlertStatus;
  readonly updatedAt: string;
  /** Left out when empty, as Alertmanager does. */
  readonly generatorURL?: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** `AlertGroup` of the API v2. */
export interface GettableAlertGroup {
  readonly alerts: readonly GettableAlert[];
  readonly labels: Readonly<Record<string, string>>;
  readonly receiver: { readonly name: string };
}

/** RFC 3339 in UTC with milliseconds (`2026-11-27T21:49:29.418Z`); 0 is Go's zero time. */
export function apiTime(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString() : '0001-01-01T00:00:00.000Z';
}

/** The API v2 form of a stored alert. */
export function toGettableAlert(
  alert: StoredAlert,
  status: AlertStatus,
  receivers: readonly string[],
): GettableAlert {
  return {
    annotations: alert.annotations,
    endsAt: apiTime(alert.endsAtMs),
    fingerprint: alert.fingerprint,
    receivers: receivers.map((name) => ({ name })),
    startsAt: apiTime(alert.startsAtMs),
    status,
    updatedAt: apiTime(alert.updatedAtMs),
    ...(alert.generatorURL !== '' ? { generatorURL: alert.generatorURL } : {}),
    labels: alert.labels,
  };
}

/** Alertmanager's group order: by labels (`LabelSet.Before`), equal labels by receiver name. */
export function compareGroups(a: GettableAlertGroup, b: GettableAlertGroup): number {
  const c = compareLabelSets(a.labels, b.labels);
  if (c !== 0) return c;
  return a.receiver.name < b.receiver.name ? -1 : a.receiver.name > b.receiver.name ? 1 : 0;
}
