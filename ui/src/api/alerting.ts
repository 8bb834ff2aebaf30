/**
 * The alerting APIs the Alerts and Checks pages read: Alertmanager's API v2 (plain JSON, shapes of
 * Alertmanager 0.25), Prometheus's /api/v1/rules, and Kanshi's envelope APIs for maintenance
 * windows, alert history, check monitors and availability. Every call takes an AbortSignal.
 */
import type { RuleAlert, SilenceMatcher, SilenceState } from '../lib/alerts.js';
import type { NewMaintenanceWindow } from '../lib/maintenance.js';
import { ApiError, apiGet, type CheckStatus, type Metric } from './prom.js';

/** An alert as API v2 returns it. */
export interface AmAlert {
  readonly labels: Metric;
  readonly annotations: Metric;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly updatedAt: string;
  readonly fingerprint: string;
  readonly generatorURL?: string;
  readonly status: {
    readonly state: 'active' | 'suppressed' | 'unprocessed';
    readonly silencedBy: readonly string[];
    readonly inhibitedBy: readonly string[];
    readonly mutedBy?: readonly string[];
  };
}

/** One group of `/api/v2/alerts/groups`. */
export interface AmAlertGroup {
  readonly labels: Metric;
  readonly receiver: { readonly name: string };
  readonly alerts: readonly AmAlert[];
}

/** A silence as API v2 returns it. */
export interface Silence {
  readonly id: string;
  readonly matchers: readonly SilenceMatcher[];
  readonly startsAt: string;
  readonly endsAt: string;
  readonly updatedAt: string;
  readonly createdBy: string;
  readonly comment: string;
  readonly status: { readonly state: SilenceState };
}

/** What POST /api/v2/silences takes. Times are RFC 3339. */
export interface NewSilence {
  readonly matchers: readonly SilenceMatcher[];
  readonly startsAt: string;
  readonly endsAt: string;
  readonly createdBy: string;
  readonly comment: string;
}

/** A maintenance window with its next occurrences (/api/kanshi/v1/maintenance-windows). */
export interface MaintenanceWindow {
  readonly id: string;
  readonly matchers: readonly SilenceMatcher[];
  readonly recurrence: { readonly kind: string } & Readonly<Record<string, unknown>>;
  readonly duration: string;
  readonly timeZone: string;
  readonly createdBy: string;
  readonly comment: string;
  readonly status: { readonly state: 'active' | 'scheduled' | 'expired'; readonly activeUntil?: string };
  readonly nextWindows: readonly { readonly startsAt: string; readonly endsAt: string }[];
}

/** A rule of /api/v1/rules (alerting or recording). */
export interface Rule {
  readonly name: string;
  readonly query: string;
  readonly type: 'alerting' | 'recording';
  readonly health: string;
  readonly lastError?: string;
  readonly lastEvaluation: string;
  readonly evaluationTime: number;
  readonly state?: 'firing' | 'pending' | 'inactive';
  readonly duration?: number;
  readonly labels?: Metric;
  readonly annotations?: Metric;
  readonly alerts?: readonly RuleAlert[];
}

/** A rule group of /api/v1/rules. */
export interface RuleGroup {
  readonly name: string;
  readonly file: string;
  readonly interval: number;
  readonly lastEvaluation?: string;
  readonly rules: readonly Rule[];
}

/** One event of an alert's history. `at` in ms since the epoch. */
export interface AlertEvent {
  readonly at: number;
  readonly fingerprint: string;
  readonly kind: string;
  readonly labels: Metric;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** Availability of one check over one window; times in ms, `ratio` null for an empty window. */
export interface WindowAvailability {
  readonly from: number;
  readonly to: number;
  readonly ratio: number | null;
  readonly ok_ms: number;
  readonly warning_ms: number;
  readonly critical_ms: number;
  readonly unknown_ms: number;
  readonly no_data_ms: number;
  readonly results: number;
}

/** A check with its latest status and availability per window name (`24h`, `7d`, `30d`). */
export interface CheckAvailability {
  readonly host: string;
  readonly check: string;
  readonly status: CheckStatus;
  readonly started_at: number;
  readonly windows: Readonly<Record<string, WindowAvailability>>;
}

/** An open check-monitor or heartbeat alert (/api/kanshi/v1/monitors/alerts); times in ms. */
export interface MonitorAlert {
  readonly id: string;
  readonly source: 'check' | 'heartbeat';
  readonly host: string;
  readonly check?: string;
  readonly severity: string;
  readonly status: string;
  readonly labels: Metric;
  readonly annotations: Metric;
  readonly opened_at: number;
  readonly level_changed_at: number;
  readonly acknowledged: { readonly by: string; readonly comment: string; readonly at: number } | null;
}

/**
 * Fetches a plain-JSON API (API v2, maintenance windows); errors carry Alertmanager's text body
 * or the `error` of Kanshi's envelope when there is one.
 */
async function plainJson<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  if (!res.ok) {
    const message =
      typeof body === 'string'
        ? body
        : typeof (body as { message?: unknown } | undefined)?.message === 'string'
          ? (body as { message: string }).message
          : typeof (body as { error?: unknown } | undefined)?.error === 'string'
            ? (body as { error: string }).error
            : `${res.status} ${res.statusText} from ${url.split('?', 1)[0] ?? url}`;
    throw new ApiError(res.status, 'http', message);
  }
  return body as T;
}

/** POSTs JSON to a Kanshi envelope API and unwraps `data`. */
async function postEnvelope<T>(url: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
    ...(signal && { signal }),
  });
  const got = (await res.json().catch(() => undefined)) as
    { status?: string; data?: unknown; errorType?: string; error?: string } | undefined;
  if (!res.ok || got?.status !== 'success') {
    throw new ApiError(res.status, got?.errorType ?? 'http', got?.error ?? `${res.status} ${res.statusText}`);
  }
  return got.data as T;
}

/** Alert groups as the notification pipeline groups them. */
export function fetchAlertGroups(signal?: AbortSignal): Promise<readonly AmAlertGroup[]> {
  return plainJson('/api/v2/alerts/groups', signal ? { signal } : {});
}

/** Every alert the pipeline holds (active, silenced, inhibited). */
export function fetchAmAlerts(signal?: AbortSignal): Promise<readonly AmAlert[]> {
  return plainJson('/api/v2/alerts', signal ? { signal } : {});
}

/** Every silence, in the server's order. */
export function fetchSilences(signal?: AbortSignal): Promise<readonly Silence[]> {
  return plainJson('/api/v2/silences', signal ? { signal } : {});
}

/** Creates a silence; resolves with its id. */
export async function createSilence(silence: NewSilence): Promise<string> {
  const r = await plainJson<{ silenceID: string }>('/api/v2/silences', {
    method: 'POST',
    body: JSON.stringify(silence),
    headers: { 'content-type': 'application/json' },
  });
  return r.silenceID;
}

/** Expires a silence now. */
export async function expireSilence(id: string): Promise<void> {
  await plainJson(`/api/v2/silence/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

/** Maintenance windows, each with its next `next` occurrences (plain JSON, as API v2). */
export function fetchMaintenanceWindows(
  next: number,
  signal?: AbortSignal,
): Promise<readonly MaintenanceWindow[]> {
  return plainJson(`/api/kanshi/v1/maintenance-windows?next=${next}`, signal ? { signal } : {});
}

/** Creates a maintenance window (body as lib/maintenance.ts builds it); resolves with it stored. */
export function createMaintenanceWindow(body: NewMaintenanceWindow): Promise<MaintenanceWindow> {
  return plainJson('/api/kanshi/v1/maintenance-windows', {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
}

/** Deletes a maintenance window. */
export async function deleteMaintenanceWindow(id: string): Promise<void> {
  await plainJson(`/api/kanshi/v1/maintenance-windows/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

/** The rule groups with their rules' state, last evaluation and errors. */
export async function fetchRules(signal?: AbortSignal): Promise<readonly RuleGroup[]> {
  return (await apiGet<{ groups: readonly RuleGroup[] }>('/api/v1/rules', signal)).groups;
}

/** Alerts of the rules, firing and pending. */
export async function fetchRuleAlerts(signal?: AbortSignal): Promise<readonly RuleAlert[]> {
  return (await apiGet<{ alerts: readonly RuleAlert[] }>('/api/v1/alerts', signal)).alerts;
}

/** Every recorded event of one alert, oldest first. */
export function fetchTimeline(fingerprint: string, signal?: AbortSignal): Promise<readonly AlertEvent[]> {
  return apiGet(`/api/kanshi/v1/alerts/${encodeURIComponent(fingerprint)}/timeline`, signal);
}

/** Every check's availability over `windows` (e.g. `['24h', '7d', '30d']`). */
export function fetchAvailability(
  windows: readonly string[],
  signal?: AbortSignal,
): Promise<readonly CheckAvailability[]> {
  return apiGet(`/api/kanshi/v1/checks/availability?windows=${windows.join(',')}`, signal);
}

/** Open check-monitor and heartbeat alerts, oldest first. */
export function fetchMonitorAlerts(signal?: AbortSignal): Promise<readonly MonitorAlert[]> {
  return apiGet('/api/kanshi/v1/monitors/alerts', signal);
}

/** Acknowledges (`acknowledge`) or closes (`close`) an open monitor alert. */
export function actOnMonitorAlert(
  id: string,
  action: 'acknowledge' | 'close',
  by: string,
  comment: string,
): Promise<MonitorAlert> {
  return postEnvelope(`/api/kanshi/v1/monitors/alerts/${encodeURIComponent(id)}/${action}`, { by, comment });
}
