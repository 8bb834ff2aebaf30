import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../../base/clock.js';
import { formatDuration, parseDuration } from '../../../base/duration.js';
import { AppError } from '../../../base/errors.js';
import type {
  CompiledWindow,
  MaintenanceWindowSpec,
  NthWeekday,
  Recurrence,
  Weekday,
} from '../../../notify/silences/maintenance.js';
import type { SilenceMatcher } from '../../../notify/silences/matcher.js';
import type { Silences } from '../../../notify/silences/silences.js';
import { encodeMatcher, formatDateTime, parseDateTime } from './encode.js';

/**
 * Kanshi's maintenance-window API, beside Alertmanager's v2 (which has no recurring silences):
 *
 *   GET    /api/kanshi/v1/maintenance-windows[?next=N]   all windows with their next N occurrences
 *   POST   /api/kanshi/v1/maintenance-windows            create; 200 with the stored window
 *   GET    /api/kanshi/v1/maintenance-windows/:id[?next=N]
 *   PUT    /api/kanshi/v1/maintenance-windows/:id        replace
 *   DELETE /api/kanshi/v1/maintenance-windows/:id
 *
 * A window is `{matchers, recurrence, duration, timeZone, validFrom?, validUntil?, createdBy, comment}`
 * with matchers as API v2's, `duration` a Prometheus duration (`2h`), times RFC 3339. Errors use the
 * server's envelope (`{status:"error", errorType, error}`) with the field named. See
 * docs/silences.md.
 */

/** Dependencies of {@link registerMaintenanceWindowsApi}. */
export interface MaintenanceWindowsApiDeps {
  readonly silences: Silences;
  readonly clock: Clock;
}

const BASE = '/api/kanshi/v1/maintenance-windows';

/** Registers the maintenance-window routes; errors go through the app's error handler. */
export function registerMaintenanceWindowsApi(app: FastifyInstance, deps: MaintenanceWindowsApiDeps): void {
  const { silences, clock } = deps;
  const encode = (w: CompiledWindow, next: number): Record<string, unknown> =>
    encodeWindow(w, clock.now(), next);

  app.get(BASE, (req) => {
    const next = nextParam(req.query);
    return silences.listWindows().map((w) => encode(silences.getWindow(w.id)!, next));
  });

  app.post(BASE, async (req) => {
    const w = await silences.putWindow(parseWindow(req.body));
    return encode(silences.getWindow(w.id)!, 3);
  });

  app.get<{ Params: { id: string } }>(`${BASE}/:id`, (req) => {
    const w = silences.getWindow(req.params.id);
    if (w === undefined)
      throw new AppError('not_found', `maintenance window ${JSON.stringify(req.params.id)} not found`);
    return encode(w, nextParam(req.query));
  });

  app.put<{ Params: { id: string } }>(`${BASE}/:id`, async (req) => {
    if (silences.getWindow(req.params.id) === undefined) {
      throw new AppError('not_found', `maintenance window ${JSON.stringify(req.params.id)} not found`);
    }
    const w = await silences.putWindow(parseWindow(req.body), req.params.id);
    return encode(silences.getWindow(w.id)!, 3);
  });

  app.delete<{ Params: { id: string } }>(`${BASE}/:id`, async (req) => {
    if (silences.getWindow(req.params.id) === undefined) {
      throw new AppError('not_found', `maintenance window ${JSON.stringify(req.params.id)} not found`);
    }
    await silences.deleteWindow(req.params.id);
    return { status: 'success' };
  });
}

/** The JSON of a window: its spec, `status.state` (`active`, `scheduled`, `expired`) and next occurrences. */
export function encodeWindow(c: CompiledWindow, nowMs: number, next: number): Record<string, unknown> {
  const w = c.window;
  const current = c.schedule.activeAt(nowMs);
  const upcoming = c.schedule.nextWindows(nowMs, next);
  const state = current !== undefined ? 'active' : upcoming.length > 0 ? 'scheduled' : 'expired';
  return {
    id: w.id,
    matchers: w.matchers.map(encodeMatcher),
    recurrence: w.recurrence,
    duration: formatDuration(w.durationMs),
    timeZone: w.timeZone,
    ...(w.validFromMs !== undefined ? { validFrom: formatDateTime(w.validFromMs) } : {}),
    ...(w.validUntilMs !== undefined ? { validUntil: formatDateTime(w.validUntilMs) } : {}),
    createdBy: w.createdBy,
    comment: w.comment,
    updatedAt: formatDateTime(w.updatedAtMs),
    status: {
      state,
      ...(current !== undefined ? { activeUntil: formatDateTime(current.endMs) } : {}),
    },
    nextWindows: upcoming.map((s) => ({
      startsAt: formatDateTime(s.startMs),
      endsAt: formatDateTime(s.endMs),
    })),
  };
}

function nextParam(query: unknown): number {
  const raw = (query as Record<string, unknown> | undefined)?.['next'];
  if (raw === undefined) return 3;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 100) {
    throw new AppError('bad_input', `next: must be an integer 0…100, got ${JSON.stringify(raw)}`);
  }
  return n;
}

const bad = (message: string): AppError => new AppError('bad_input', message);

function record(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`${what}: must be an object`);
  return v as Record<string, unknown>;
}

function str(
  obj: Record<string, unknown>,
  field: string,
  what: string,
  isRequired = true,
): string | undefined {
  const v = obj[field];
  if (v === undefined || v === null) {
    if (isRequired) throw bad(`${what}: required`);
    return undefined;
  }
  if (typeof v !== 'string') throw bad(`${what}: must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function list(obj: Record<string, unknown>, field: string, what: string): unknown[] | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw bad(`${what}: must be an array`);
  return v as unknown[];
}

/** Parses a window from a request body; throws AppError `bad_input` naming the field. */
export function parseWindow(body: unknown): MaintenanceWindowSpec {
  const b = record(body, 'body');
  const matchers = (list(b, 'matchers', 'matchers') ?? []).map((item, i): SilenceMatcher => {
    const m = record(item, `matchers[${i}]`);
    const isRegex = m['isRegex'] ?? false;
    const isEqual = m['isEqual'] ?? true;
    if (typeof isRegex !== 'boolean') throw bad(`matchers[${i}].isRegex: must be a boolean`);
    if (typeof isEqual !== 'boolean') throw bad(`matchers[${i}].isEqual: must be a boolean`);
    return {
      name: str(m, 'name', `matchers[${i}].name`)!,
      value: str(m, 'value', `matchers[${i}].value`)!,
      isRegex,
      isEqual,
    };
  });
  const durationText = str(b, 'duration', 'duration')!;
  let durationMs: number;
  try {
    durationMs = parseDuration(durationText);
  } catch (err) {
    throw new AppError('bad_input', `duration: not a valid duration, got ${JSON.stringify(durationText)}`, {
      cause: err,
    });
  }
  const time = (field: string): number | undefined => {
    const text = str(b, field, field, false);
    if (text === undefined) return undefined;
    const ms = parseDateTime(text);
    if (ms === undefined) throw bad(`${field}: must be an RFC 3339 time, got ${JSON.stringify(text)}`);
    return ms;
  };
  const validFromMs = time('validFrom');
  const validUntilMs = time('validUntil');
  return {
    matchers,
    recurrence: parseRecurrence(b['recurrence']),
    durationMs,
    timeZone: str(b, 'timeZone', 'timeZone')!,
    ...(validFromMs !== undefined ? { validFromMs } : {}),
    ...(validUntilMs !== undefined ? { validUntilMs } : {}),
    createdBy: str(b, 'createdBy', 'createdBy')!,
    comment: str(b, 'comment', 'comment', false) ?? '',
  };
}

function parseRecurrence(v: unknown): Recurrence {
  const r = record(v, 'recurrence');
  const kind = str(r, 'kind', 'recurrence.kind')!;
  switch (kind) {
    case 'weekly': {
      const weekdays = (list(r, 'weekdays', 'recurrence.weekdays') ?? []).map((d, i) => {
        if (typeof d !== 'string') throw bad(`recurrence.weekdays[${i}]: must be a weekday name`);
        return d as Weekday;
      });
      return { kind, weekdays, startTime: str(r, 'startTime', 'recurrence.startTime')! };
    }
    case 'monthly': {
      const days = list(r, 'daysOfMonth', 'recurrence.daysOfMonth')?.map((d, i) => {
        if (typeof d !== 'number') throw bad(`recurrence.daysOfMonth[${i}]: must be a number`);
        return d;
      });
      const nth = list(r, 'weekdaysOfMonth', 'recurrence.weekdaysOfMonth')?.map((x, i): NthWeekday => {
        const o = record(x, `recurrence.weekdaysOfMonth[${i}]`);
        if (typeof o['nth'] !== 'number') throw bad(`recurrence.weekdaysOfMonth[${i}].nth: must be a number`);
        return {
          nth: o['nth'],
          weekday: str(o, 'weekday', `recurrence.weekdaysOfMonth[${i}].weekday`)! as Weekday,
        };
      });
      return {
        kind,
        ...(days !== undefined ? { daysOfMonth: days } : {}),
        ...(nth !== undefined ? { weekdaysOfMonth: nth } : {}),
        startTime: str(r, 'startTime', 'recurrence.startTime')!,
      };
    }
    case 'cron':
      return { kind, expression: str(r, 'expression', 'recurrence.expression')! };
    default:
      throw bad(`recurrence.kind: must be weekly, monthly or cron, got ${JSON.stringify(kind)}`);
  }
}
