import { AppError } from '../base/errors.js';
import { isCheckStatus, type CheckStatus } from './check.js';

/**
 * The check-results agent API's body (`POST /api/agent/v1/check-results`, docs/agent-api.md):
 * what an agent sends, what the server stores. Field names are snake_case because they are JSON
 * on the wire. Shared by the agent's shipper and the server's ingest route.
 */

/** One perfdata item on the wire; thresholds are the range text as the plugin printed it. */
export interface CheckReportPerfDatum {
  readonly label: string;
  readonly value: number;
  /** Unit of measure as printed ('' when none). */
  readonly unit: string;
  readonly warn?: string;
  readonly crit?: string;
  readonly min?: number;
  readonly max?: number;
}

/** One check run. (host, check, started_at) identifies it: a replay of it is a duplicate. */
export interface CheckReportResult {
  /** The check's name, unique per host. */
  readonly check: string;
  readonly status: CheckStatus;
  /** First line of output, before any `|`. */
  readonly message: string;
  /** Output after the first line, perfdata removed. */
  readonly long_output: string;
  readonly perfdata: readonly CheckReportPerfDatum[];
  /** Start of the run, integer ms since the Unix epoch. */
  readonly started_at: number;
  readonly duration_ms: number;
  /** Attempt number of the current state (1 = first time this status was seen; Nagios soft states). */
  readonly attempt: number;
  /** The hard (confirmed after max attempts) status, or null while none is known yet. */
  readonly hard_status: CheckStatus | null;
  /** Free text the operator attached to the check (Mackerel's memo). */
  readonly memo: string;
  /** When true, recovery does not close an open alert automatically (Mackerel semantics). */
  readonly prevent_alert_auto_close: boolean;
  /** Re-notify interval for an open alert in ms, or null for the server's default. */
  readonly notification_interval_ms: number | null;
  /** Extra labels for the check's series and alerts. */
  readonly labels: Readonly<Record<string, string>>;
}

/** The request body: results of one host. */
export interface CheckReport {
  readonly host: string;
  readonly results: readonly CheckReportResult[];
}

/** The response body of a successful POST. */
export interface CheckReportResponse {
  /** Results stored as new. */
  readonly accepted: number;
  /** Results already stored (same host, check and started_at): a replay. */
  readonly duplicates: number;
  /** Results older than the stored latest of their check: kept out of "latest". */
  readonly stale: number;
}

/** The identity of one check run, for deduplication. */
export function checkRunKey(host: string, check: string, startedAt: number): string {
  return `${host}\u0000${check}\u0000${startedAt}`;
}

/**
 * Validates a parsed JSON body as a {@link CheckReport}. Collects every problem (with its JSON
 * path and the offending value) and throws one AppError `bad_input` listing them all; unknown
 * fields are problems too. Optional fields may be omitted and take their defaults.
 */
export function parseCheckReport(body: unknown): CheckReport {
  const problems: string[] = [];
  const report = readReport(body, problems);
  if (problems.length > 0 || !report) {
    throw new AppError('bad_input', `invalid check report: ${problems.join('; ')}`);
  }
  return report;
}

const RESULT_FIELDS = new Set([
  'check',
  'status',
  'message',
  'long_output',
  'perfdata',
  'started_at',
  'duration_ms',
  'attempt',
  'hard_status',
  'memo',
  'prevent_alert_auto_close',
  'notification_interval_ms',
  'labels',
]);
const PERF_FIELDS = new Set(['label', 'value', 'unit', 'warn', 'crit', 'min', 'max']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function unknownFields(
  obj: Record<string, unknown>,
  known: Set<string>,
  path: string,
  problems: string[],
): void {
  for (const k of Object.keys(obj)) if (!known.has(k)) problems.push(`${path}.${k}: unknown field`);
}

function readReport(body: unknown, problems: string[]): CheckReport | null {
  if (!isObject(body)) {
    problems.push(`body: must be an object, got ${show(body)}`);
    return null;
  }
  unknownFields(body, new Set(['host', 'results']), 'body', problems);
  const host = body.host;
  if (typeof host !== 'string' || host === '')
    problems.push(`host: must be a non-empty string, got ${show(host)}`);
  if (!Array.isArray(body.results)) {
    problems.push(`results: must be an array, got ${show(body.results)}`);
    return null;
  }
  const results: CheckReportResult[] = [];
  body.results.forEach((r: unknown, i: number) => {
    const got = readResult(r, `results[${i}]`, problems);
    if (got) results.push(got);
  });
  return typeof host === 'string' ? { host, results } : null;
}

function readResult(r: unknown, path: string, problems: string[]): CheckReportResult | null {
  if (!isObject(r)) {
    problems.push(`${path}: must be an object, got ${show(r)}`);
    return null;
  }
  const before = problems.length;
  unknownFields(r, RESULT_FIELDS, path, problems);
  const str = (name: string, required: boolean, fallback = ''): string => {
    const v = r[name];
    if (v === undefined && !required) return fallback;
    if (typeof v !== 'string' || (required && v === '')) {
      problems.push(`${path}.${name}: must be a ${required ? 'non-empty ' : ''}string, got ${show(v)}`);
      return fallback;
    }
    return v;
  };
  const num = (
    name: string,
    ok: (n: number) => boolean,
    what: string,
    fallback: number | undefined,
  ): number => {
    const v = r[name];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !ok(v)) {
      problems.push(`${path}.${name}: must be ${what}, got ${show(v)}`);
      return 0;
    }
    return v;
  };
  const status = (name: string, nullable: boolean): CheckStatus | null => {
    const v = r[name];
    if (nullable && (v === undefined || v === null)) return null;
    if (typeof v !== 'string' || !isCheckStatus(v)) {
      problems.push(`${path}.${name}: must be one of OK, WARNING, CRITICAL, UNKNOWN, got ${show(v)}`);
      return 'UNKNOWN';
    }
    return v;
  };
  const check = str('check', true);
  const st = status('status', false) ?? 'UNKNOWN';
  const message = str('message', false);
  const longOutput = str('long_output', false);
  const memo = str('memo', false);
  const startedAt = num('started_at', Number.isSafeInteger, 'an integer (ms since the epoch)', undefined);
  const durationMs = num('duration_ms', (n) => Number.isFinite(n) && n >= 0, 'a number >= 0', 0);
  const attempt = num('attempt', (n) => Number.isSafeInteger(n) && n >= 1, 'an integer >= 1', 1);
  const hardStatus = status('hard_status', true);
  let preventAutoClose = false;
  if (r.prevent_alert_auto_close !== undefined) {
    if (typeof r.prevent_alert_auto_close !== 'boolean') {
      problems.push(
        `${path}.prevent_alert_auto_close: must be a boolean, got ${show(r.prevent_alert_auto_close)}`,
      );
    } else preventAutoClose = r.prevent_alert_auto_close;
  }
  let interval: number | null = null;
  if (r.notification_interval_ms !== undefined && r.notification_interval_ms !== null) {
    interval = num(
      'notification_interval_ms',
      (n) => Number.isSafeInteger(n) && n > 0,
      'an integer > 0 or null',
      undefined,
    );
  }
  const labels: Record<string, string> = {};
  if (r.labels !== undefined) {
    if (!isObject(r.labels))
      problems.push(`${path}.labels: must be an object of strings, got ${show(r.labels)}`);
    else
      for (const [k, v] of Object.entries(r.labels)) {
        if (typeof v !== 'string') problems.push(`${path}.labels.${k}: must be a string, got ${show(v)}`);
        else labels[k] = v;
      }
  }
  const perfdata: CheckReportPerfDatum[] = [];
  if (r.perfdata !== undefined) {
    if (!Array.isArray(r.perfdata))
      problems.push(`${path}.perfdata: must be an array, got ${show(r.perfdata)}`);
    else
      r.perfdata.forEach((p: unknown, i: number) => {
        const got = readPerfDatum(p, `${path}.perfdata[${i}]`, problems);
        if (got) perfdata.push(got);
      });
  }
  if (problems.length > before) return null;
  return {
    check,
    status: st,
    message,
    long_output: longOutput,
    perfdata,
    started_at: startedAt,
    duration_ms: durationMs,
    attempt,
    hard_status: hardStatus,
    memo,
    prevent_alert_auto_close: preventAutoClose,
    notification_interval_ms: interval,
    labels,
  };
}

function readPerfDatum(p: unknown, path: string, problems: string[]): CheckReportPerfDatum | null {
  if (!isObject(p)) {
    problems.push(`${path}: must be an object, got ${show(p)}`);
    return null;
  }
  const before = problems.length;
  unknownFields(p, PERF_FIELDS, path, problems);
  if (typeof p.label !== 'string' || p.label === '') {
    problems.push(`${path}.label: must be a non-empty string, got ${show(p.label)}`);
  }
  // JSON has no NaN or Infinity: the agent leaves out items whose value is not finite.
  if (typeof p.value !== 'number') problems.push(`${path}.value: must be a number, got ${show(p.value)}`);
  if (p.unit !== undefined && typeof p.unit !== 'string') {
    problems.push(`${path}.unit: must be a string, got ${show(p.unit)}`);
  }
  for (const k of ['warn', 'crit'] as const) {
    if (p[k] !== undefined && typeof p[k] !== 'string')
      problems.push(`${path}.${k}: must be a string, got ${show(p[k])}`);
  }
  for (const k of ['min', 'max'] as const) {
    if (p[k] !== undefined && typeof p[k] !== 'number')
      problems.push(`${path}.${k}: must be a number, got ${show(p[k])}`);
  }
  if (problems.length > before) return null;
  const out: { -readonly [K in keyof CheckReportPerfDatum]: CheckReportPerfDatum[K] } = {
    label: p.label as string,
    value: p.value as number,
    unit: (p.unit as string | undefined) ?? '',
  };
  if (typeof p.warn === 'string') out.warn = p.warn;
  if (typeof p.crit === 'string') out.crit = p.crit;
  if (typeof p.min === 'number') out.min = p.min;
  if (typeof p.max === 'number') out.max = p.max;
  return out;
}
