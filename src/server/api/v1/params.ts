import { AppError } from '../../../base/errors.js';
import { parseDuration } from '../../../base/duration.js';

/**
 * Parameters of the Prometheus HTTP API as Prometheus reads them (web/api/v1/api.go): times as
 * unix seconds (float) or RFC 3339, durations as float seconds or Prometheus durations, and the
 * error envelope's `errorType`s with the HTTP statuses Prometheus answers them with.
 */

/** The `errorType` values of Prometheus's error envelope. */
export type ApiErrorType =
  'bad_data' | 'execution' | 'timeout' | 'canceled' | 'unavailable' | 'internal' | 'not_found';

/** HTTP status of each error type, as Prometheus 3.x answers (499 for a canceled query). */
export const statusForErrorType: Record<ApiErrorType, number> = {
  bad_data: 400,
  execution: 422,
  canceled: 499,
  timeout: 503,
  unavailable: 503,
  internal: 500,
  not_found: 404,
};

/** A failure of an API request, rendered as `{"status":"error","errorType":…,"error":…}`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly type: ApiErrorType;

  constructor(type: ApiErrorType, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.type = type;
  }
}

/** `invalid parameter "<name>": <why>`, a bad_data error as Prometheus's invalidParamError. */
export function invalidParam(name: string, why: string): ApiError {
  return new ApiError('bad_data', `invalid parameter ${JSON.stringify(name)}: ${why}`);
}

/** Earliest and latest times an unbounded `start`/`end` stands for (ms, safe integers). */
export const MIN_TIME_MS = Number.MIN_SAFE_INTEGER;
export const MAX_TIME_MS = Number.MAX_SAFE_INTEGER;

// The boundary times Go clients send for "unbounded" (client_golang's minTime/maxTime).
const MIN_TIME_FORMATTED = '-292273086-05-16T16:47:06Z';
const MAX_TIME_FORMATTED = '292277025-08-18T07:12:54.999999999Z';

const floatRe = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const rfc3339Re = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A time parameter in ms since the epoch. Accepts unix seconds with a fraction (rounded to the
 * millisecond, as Prometheus does) or RFC 3339 with up to nanoseconds (truncated to the ms).
 * Throws an AppError `bad_input` reading `cannot parse "<s>" to a valid timestamp`.
 */
export function parseTime(s: string): number {
  if (floatRe.test(s)) {
    const f = Number(s);
    if (Number.isFinite(f)) {
      const whole = Math.trunc(f);
      const ms = whole * 1000 + Math.round((f - whole) * 1000);
      if (Number.isSafeInteger(ms)) return ms;
    }
  }
  const m = rfc3339Re.exec(s);
  if (m) {
    const [, y, mo, d, h, mi, sec, frac = '', zone = 'Z'] = m;
    let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
    ms += Number(frac.padEnd(3, '0').slice(0, 3));
    if (zone !== 'Z') {
      const sign = zone.startsWith('-') ? -1 : 1;
      ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
    }
    if (Number.isFinite(ms) && Number(mo) >= 1 && Number(mo) <= 12 && Number(d) >= 1) return ms;
  }
  if (s === MIN_TIME_FORMATTED) return MIN_TIME_MS;
  if (s === MAX_TIME_FORMATTED) return MAX_TIME_MS;
  throw new AppError('bad_input', `cannot parse ${JSON.stringify(s)} to a valid timestamp`);
}

/**
 * A duration parameter in ms: float seconds (`15`, `0.5`) or a Prometheus duration (`1m30s`).
 * Float seconds are truncated to whole nanoseconds and then to ms, as Go's time.Duration would.
 * Throws an AppError `bad_input` reading `cannot parse "<s>" to a valid duration`.
 */
export function parseDurationParam(s: string): number {
  if (floatRe.test(s)) {
    const ns = Math.trunc(Number(s) * 1e9);
    if (!Number.isFinite(ns) || Math.abs(ns) > 9.223372036854775e18)
      throw new AppError(
        'bad_input',
        `cannot parse ${JSON.stringify(s)} to a valid duration. It overflows int64`,
      );
    return Math.trunc(ns / 1e6);
  }
  try {
    return parseDuration(s);
  } catch {
    throw new AppError('bad_input', `cannot parse ${JSON.stringify(s)} to a valid duration`);
  }
}

/** The form's `name` parsed with `parse`, `fallback` when absent or empty; errors name the parameter. */
export function param<T>(form: URLSearchParams, name: string, parse: (s: string) => T, fallback: T): T {
  const raw = form.get(name);
  if (raw === null || raw === '') return fallback;
  try {
    return parse(raw);
  } catch (err) {
    throw invalidParam(name, err instanceof Error ? err.message : String(err));
  }
}

/**
 * The `limit` parameter: a non-negative integer, 0 (or absent) meaning no limit, as Prometheus
 * 3.x reads it. Returns Infinity for no limit.
 */
export function parseLimit(form: URLSearchParams): number {
  const raw = form.get('limit');
  if (raw === null || raw === '') return Infinity;
  if (!/^[+-]?\d+$/.test(raw))
    throw invalidParam('limit', `cannot parse ${JSON.stringify(raw)} to a valid limit`);
  const n = Number(raw);
  if (n < 0) throw invalidParam('limit', 'limit must be non-negative');
  return n === 0 ? Infinity : n;
}
