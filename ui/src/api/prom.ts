/**
 * The HTTP APIs the UI reads: Prometheus's /api/v1 (query, query_range, alerts) and Kanshi's
 * /api/kanshi/v1/checks. Same-origin, relative URLs; every call takes an AbortSignal so a page
 * that changes range or unmounts cancels what it no longer needs.
 */

/** A label set as the API returns it. */
export type Metric = Readonly<Record<string, string>>;

/** One sample of an instant vector: `[unix seconds, value as text]`. */
export interface VectorSample {
  readonly metric: Metric;
  readonly value: readonly [number, string];
}

/** One series of a range result. */
export interface MatrixSeries {
  readonly metric: Metric;
  readonly values: readonly (readonly [number, string])[];
}

/** The result of an instant query. */
export type InstantResult =
  | { readonly resultType: 'vector'; readonly result: readonly VectorSample[] }
  | { readonly resultType: 'scalar' | 'string'; readonly result: readonly [number, string] }
  | { readonly resultType: 'matrix'; readonly result: readonly MatrixSeries[] };

/** A check status as the checks API reports it. */
export type CheckStatus = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

/** One perfdata item of a check result. */
export interface PerfDatum {
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  readonly warn?: string;
  readonly crit?: string;
  readonly min?: number;
  readonly max?: number;
}

/** The latest result of one check of one host (GET /api/kanshi/v1/checks). */
export interface CheckResult {
  readonly host: string;
  readonly check: string;
  readonly status: CheckStatus;
  readonly message: string;
  readonly long_output: string;
  readonly perfdata: readonly PerfDatum[];
  /** ms since the epoch. */
  readonly started_at: number;
  readonly duration_ms: number;
  readonly received_at: number;
}

/** An alert as /api/v1/alerts returns it. */
export interface Alert {
  readonly labels: Metric;
  readonly annotations: Metric;
  readonly state: 'firing' | 'pending' | 'inactive';
  readonly activeAt?: string;
  readonly value?: string;
}

/** A failed API call: HTTP status and Prometheus's `errorType` when the body had one. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly errorType: string;

  constructor(status: number, errorType: string, message: string) {
    super(message);
    this.status = status;
    this.errorType = errorType;
  }
}

/** GETs or POSTs `url` and unwraps Prometheus's `{status, data}` envelope. */
export async function apiGet<T>(url: string, signal?: AbortSignal, form?: URLSearchParams): Promise<T> {
  const res = await fetch(url, {
    ...(signal && { signal }),
    ...(form && {
      method: 'POST',
      body: form,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }),
  });
  let body: { status?: string; data?: unknown; errorType?: string; error?: string } | undefined;
  try {
    body = (await res.json()) as typeof body;
  } catch {
    body = undefined;
  }
  if (!res.ok || body?.status !== 'success') {
    throw new ApiError(
      res.status,
      body?.errorType ?? 'http',
      body?.error ?? `${res.status} ${res.statusText} from ${url.split('?', 1)[0] ?? url}`,
    );
  }
  return body.data as T;
}

/** `expr` evaluated at `timeMs` (default now). */
export function queryInstant(expr: string, timeMs?: number, signal?: AbortSignal): Promise<InstantResult> {
  const form = new URLSearchParams({ query: expr });
  if (timeMs !== undefined) form.set('time', String(timeMs / 1000));
  return apiGet<InstantResult>('/api/v1/query', signal, form);
}

/** The vector of an instant query; any other result type is empty. */
export async function queryVector(expr: string, signal?: AbortSignal): Promise<readonly VectorSample[]> {
  const r = await queryInstant(expr, undefined, signal);
  return r.resultType === 'vector' ? r.result : [];
}

/** `expr` over [startMs, endMs] every `stepMs`. */
export async function queryRange(
  expr: string,
  range: { startMs: number; endMs: number; stepMs: number },
  signal?: AbortSignal,
): Promise<readonly MatrixSeries[]> {
  const form = new URLSearchParams({
    query: expr,
    start: String(range.startMs / 1000),
    end: String(range.endMs / 1000),
    step: String(range.stepMs / 1000),
  });
  const r = await apiGet<{ resultType: string; result: readonly MatrixSeries[] }>(
    '/api/v1/query_range',
    signal,
    form,
  );
  return r.resultType === 'matrix' ? r.result : [];
}

/** The latest result of every check, of `host` when given. */
export function fetchChecks(host?: string, signal?: AbortSignal): Promise<readonly CheckResult[]> {
  const q = host === undefined ? '' : `?host=${encodeURIComponent(host)}`;
  return apiGet<readonly CheckResult[]>(`/api/kanshi/v1/checks${q}`, signal);
}

/** Active alerts, or `null` when this server has no alerts API yet (404). */
export async function fetchAlerts(signal?: AbortSignal): Promise<readonly Alert[] | null> {
  try {
    return (await apiGet<{ alerts: readonly Alert[] }>('/api/v1/alerts', signal)).alerts;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}
