/**
 * Kanshi's dashboards API (`/api/kanshi/v1/dashboards`, docs/dashboards.md) and the label values
 * that template variables offer (`/api/v1/label/<name>/values`). Writes carry the version the
 * page loaded as `If-Match`; a newer file on the server answers 409, an {@link ApiError} with
 * `status` 409 and `errorType` `conflict`.
 */
import type { Dashboard } from '../lib/dashboard-model.js';
import { ApiError, apiGet } from './prom.js';

const BASE = '/api/kanshi/v1/dashboards';

/** A dashboard file as the list returns it; `error` is why a file is not served. */
export interface DashboardSummary {
  readonly uid: string;
  readonly title: string;
  readonly tags: readonly string[];
  /** Absolute path of the file on the server. */
  readonly file: string;
  readonly format: 'yaml' | 'json';
  /** Version of the file (its ETag). */
  readonly version: string;
  readonly error: string | null;
}

/** One dashboard file with its dashboard (null when the file has an error). */
export interface DashboardEntry extends DashboardSummary {
  readonly dashboard: Dashboard | null;
}

/** The answer of an import. */
export interface ImportResult extends DashboardEntry {
  readonly source: 'kanshi' | 'grafana';
  readonly not_converted: readonly string[];
}

async function send<T>(
  method: 'POST' | 'PUT' | 'DELETE',
  url: string,
  body: unknown,
  version?: string,
): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (version !== undefined) headers['if-match'] = `"${version}"`;
  const res = await fetch(url, {
    method,
    headers,
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  let parsed: { status?: string; data?: unknown; errorType?: string; error?: string } | undefined;
  try {
    parsed = (await res.json()) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  if (!res.ok || parsed?.status !== 'success')
    throw new ApiError(
      res.status,
      parsed?.errorType ?? 'http',
      parsed?.error ?? `${res.status} ${res.statusText}`,
    );
  return parsed.data as T;
}

/** Every dashboard file. */
export function listDashboards(signal?: AbortSignal): Promise<readonly DashboardSummary[]> {
  return apiGet<readonly DashboardSummary[]>(BASE, signal);
}

/** One dashboard by uid. */
export function getDashboard(uid: string, signal?: AbortSignal): Promise<DashboardEntry> {
  return apiGet<DashboardEntry>(`${BASE}/${encodeURIComponent(uid)}`, signal);
}

/** Creates a dashboard (a new file in the server's first dashboards folder). */
export function createDashboard(d: Dashboard): Promise<DashboardEntry> {
  return send<DashboardEntry>('POST', BASE, d);
}

/** Replaces dashboard `uid` if its file is still at `version` (409 otherwise). */
export function updateDashboard(uid: string, d: Dashboard, version: string): Promise<DashboardEntry> {
  return send<DashboardEntry>('PUT', `${BASE}/${encodeURIComponent(uid)}`, d, version);
}

/** Deletes dashboard `uid` if its file is still at `version`. */
export function deleteDashboard(uid: string, version: string): Promise<{ uid: string }> {
  return send<{ uid: string }>('DELETE', `${BASE}/${encodeURIComponent(uid)}`, undefined, version);
}

/** Imports our model or a Grafana dashboard JSON; `overwrite` replaces a dashboard of that uid. */
export function importDashboard(value: unknown, overwrite: boolean): Promise<ImportResult> {
  return send<ImportResult>('POST', `${BASE}/import${overwrite ? '?overwrite=true' : ''}`, value);
}

/** The URL of the JSON export of `uid` (a download). */
export function exportUrl(uid: string): string {
  return `${BASE}/${encodeURIComponent(uid)}/export`;
}

/** Values of `label`, on series matching `match` when given. */
export function labelValues(
  label: string,
  match: string | undefined,
  signal?: AbortSignal,
): Promise<readonly string[]> {
  const q = match === undefined ? '' : `?${new URLSearchParams({ 'match[]': match }).toString()}`;
  return apiGet<readonly string[]>(`/api/v1/label/${encodeURIComponent(label)}/values${q}`, signal);
}

/** Whether `err` is a version conflict (someone else changed the file). */
export function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.status === 409;
}
