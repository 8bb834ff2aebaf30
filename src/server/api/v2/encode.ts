import type { SilenceMatcher } from '../../../notify/silences/matcher.js';
import { silenceState, type Silence } from '../../../notify/silences/silences.js';
import type { LabelSet } from '../../../notify/types.js';

/**
 * JSON shapes of Alertmanager 0.25's API v2 (api/v2/openapi.yaml) and the request-field checks its
 * go-swagger layer does before a handler runs (422 `{code, message}` for a missing or mistyped field).
 */

/** A request that go-swagger would reject before the handler: status 422 (or 400) and its `{code, message}`. */
export class SwaggerError extends Error {
  override readonly name = 'SwaggerError';
  readonly status: number;
  readonly code: number;

  constructor(status: number, code: number, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** RFC 3339 times as Go's strfmt.DateTime accepts them (fraction and offset optional). */
const dateTimeRe = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$/;

/** Parses an RFC 3339 date-time into ms; undefined if it is not one. */
export function parseDateTime(text: string): number | undefined {
  const m = dateTimeRe.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, keeps years 0–99 (Go's zero time is year 1).
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  let ms = date.getTime();
  if (Number.isNaN(ms)) return undefined;
  if (frac !== '') ms += Math.floor(Number(`0${frac}`) * 1000);
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 3_600_000 + Number(zone.slice(4, 6)) * 60_000);
  }
  return ms;
}

/** Go's zero `time.Time` (0001-01-01T00:00:00Z), which Go clients such as amtool send for "unset". */
export const GO_ZERO_TIME_MS = -62_135_596_800_000;

/** A time as Alertmanager prints it: RFC 3339 UTC with milliseconds. */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** `GettableSilence`. */
export function encodeSilence(s: Silence, nowMs: number): Record<string, unknown> {
  return {
    id: s.id,
    status: { state: silenceState(s, nowMs) },
    updatedAt: formatDateTime(s.updatedAtMs),
    comment: s.comment,
    createdBy: s.createdBy,
    endsAt: formatDateTime(s.endsAtMs),
    matchers: s.matchers.map(encodeMatcher),
    startsAt: formatDateTime(s.startsAtMs),
  };
}

/** `Matcher`. */
export function encodeMatcher(m: SilenceMatcher): Record<string, unknown> {
  return { isEqual: m.isEqual, isRegex: m.isRegex, name: m.name, value: m.value };
}

// ---- request fields, checked as go-swagger does ----

/** The body of a request as an object, or a 400 as go-swagger answers a body that is not one. */
export function bodyObject(body: unknown, what: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SwaggerError(
      400,
      400,
      `parsing ${what} body from "" failed, because the body is not a JSON object`,
    );
  }
  return body as Record<string, unknown>;
}

/** A required string field. */
export function requiredString(obj: Record<string, unknown>, field: string, path: string): string {
  const v = obj[field];
  if (v === undefined || v === null) throw new SwaggerError(422, 602, `${path} in body is required`);
  if (typeof v !== 'string')
    throw new SwaggerError(422, 601, `${path} in body must be of type string: "${typeof v}"`);
  return v;
}

/** An optional string field. */
export function optionalString(
  obj: Record<string, unknown>,
  field: string,
  path: string,
): string | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string')
    throw new SwaggerError(422, 601, `${path} in body must be of type string: "${typeof v}"`);
  return v;
}

/** A required boolean field. */
export function requiredBoolean(obj: Record<string, unknown>, field: string, path: string): boolean {
  const v = obj[field];
  if (v === undefined || v === null) throw new SwaggerError(422, 602, `${path} in body is required`);
  if (typeof v !== 'boolean')
    throw new SwaggerError(422, 601, `${path} in body must be of type boolean: "${typeof v}"`);
  return v;
}

/** A date-time field; undefined when absent or Go's zero time, unless required. */
export function dateTimeField(
  obj: Record<string, unknown>,
  field: string,
  path: string,
  isRequired: boolean,
): number | undefined {
  const text = isRequired ? requiredString(obj, field, path) : optionalString(obj, field, path);
  if (text === undefined) return undefined;
  const ms = parseDateTime(text);
  if (ms === undefined)
    throw new SwaggerError(422, 601, `${path} in body must be of type date-time: "${text}"`);
  return ms === GO_ZERO_TIME_MS && !isRequired ? undefined : ms;
}

/** A `LabelSet` field (string values); undefined when absent. */
export function labelSetField(
  obj: Record<string, unknown>,
  field: string,
  path: string,
): LabelSet | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new SwaggerError(
      422,
      601,
      `${path} in body must be of type object: "${Array.isArray(v) ? 'array' : typeof v}"`,
    );
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (typeof val !== 'string') {
      throw new SwaggerError(422, 601, `${path}.${k} in body must be of type string: "${typeof val}"`);
    }
    out[k] = val;
  }
  return out;
}

/** The `matchers` array of a silence or maintenance window (at least one item). */
export function matchersField(obj: Record<string, unknown>): SilenceMatcher[] {
  const v = obj['matchers'];
  if (v === undefined || v === null) throw new SwaggerError(422, 602, 'matchers in body is required');
  if (!Array.isArray(v))
    throw new SwaggerError(422, 601, `matchers in body must be of type array: "${typeof v}"`);
  if (v.length === 0) throw new SwaggerError(422, 612, 'matchers in body should have at least 1 items');
  return (v as unknown[]).map((item, i) => {
    const path = `matchers.${i}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new SwaggerError(422, 601, `${path} in body must be of type object: "${typeof item}"`);
    }
    const m = item as Record<string, unknown>;
    const isEqual = m['isEqual'];
    if (isEqual !== undefined && isEqual !== null && typeof isEqual !== 'boolean') {
      throw new SwaggerError(
        422,
        601,
        `${path}.isEqual in body must be of type boolean: "${typeof isEqual}"`,
      );
    }
    return {
      name: requiredString(m, 'name', `${path}.name`),
      value: requiredString(m, 'value', `${path}.value`),
      isRegex: requiredBoolean(m, 'isRegex', `${path}.isRegex`),
      // Alertmanager's default: a matcher without isEqual is an equality.
      isEqual: typeof isEqual === 'boolean' ? isEqual : true,
    };
  });
}
