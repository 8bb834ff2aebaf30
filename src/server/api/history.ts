import type { FastifyInstance, FastifyRequest } from 'fastify';
import { systemClock, type Clock } from '../../base/clock.js';
import { parseDuration } from '../../base/duration.js';
import { errorMessage } from '../../base/errors.js';
import type { AlertEvent } from '../../notify/types.js';
import { parseMetricSelector } from '../../promql/index.js';
// TODO(#4): import from the promql package surface once it exports the RE2 translation.
import { translateRe2 } from '../../promql/parser/regex.js';
import type { Matcher } from '../../storage/storage.js';
import {
  ALERT_EVENT_KINDS,
  DEFAULT_EVENT_LIMIT,
  isAlertEventKind,
  type AlertHistoryReader,
  type Incident,
} from '../metadata/alert-history.js';
import type { Availability, CheckHistoryReader } from '../metadata/check-history.js';
import { DEFAULT_HISTORY_LIMIT } from '../metadata/check-history.js';
import { ApiError, invalidParam, parseTime } from './v1/params.js';
import { sendApiError, toBadDataOrInternal, useApiErrorHandler } from './error-reply.js';

/**
 * Kanshi's history API over the metadata store (docs/http-api.md, docs/metadata.md):
 *
 * - `GET /api/kanshi/v1/alerts/history?start&end&kind&match[]&limit`: alert events in a range.
 * - `GET /api/kanshi/v1/alerts/incidents?start&end&match[]`: opened → resolved/closed intervals
 *   overlapping a range, with the time spent in maintenance.
 * - `GET /api/kanshi/v1/alerts/{fingerprint}/timeline?start&end`: every event of one alert.
 * - `GET /api/kanshi/v1/checks/{host}/{check}/history?start&end&limit`: every run of one check.
 * - `GET /api/kanshi/v1/checks/availability?windows=24h,7d,30d[&host=H]`: every check with its
 *   availability over each window ending now.
 *
 * Times are RFC 3339 or unix seconds, as in the Prometheus API; `end` defaults to now and `start`
 * to 24 hours before `end`. Answers use Prometheus's envelope: `{"status":"success","data":…}`, and
 * `{"status":"error","errorType":"bad_data","error":"invalid parameter \"start\": …"}` with 400 for
 * a bad parameter; a truncated answer carries a `warnings` entry.
 */

/** What {@link registerHistoryApi} reads; it owns neither. */
export interface HistoryApiDeps {
  readonly alerts: AlertHistoryReader;
  readonly checks: CheckHistoryReader;
  /** "Now" for default ranges and availability windows; the wall clock when absent. */
  readonly clock?: Clock;
}

/** Largest `limit` a request may ask for. */
export const MAX_HISTORY_LIMIT = 100_000;
/** Most availability windows one request may ask for. */
export const MAX_AVAILABILITY_WINDOWS = 10;

const DAY_MS = 86_400_000;

/** An alert event as the API renders it: `at` in ms since the epoch. */
export interface AlertEventJson {
  readonly at: number;
  readonly fingerprint: string;
  readonly kind: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly detail?: Readonly<Record<string, string>>;
}

/**
 * Mounts the history routes on `app` in an encapsulated scope (its error handler stays inside).
 * Available after `app.ready()`.
 */
export function registerHistoryApi(app: FastifyInstance, deps: HistoryApiDeps): void {
  const clock = deps.clock ?? systemClock;
  void app.register((scope, _opts, done) => {
    useApiErrorHandler(scope);

    const route = (
      url: string,
      handler: (req: FastifyRequest, form: URLSearchParams) => ApiAnswer | Promise<ApiAnswer>,
    ): void => {
      scope.get(url, async (req, reply) => {
        let answer: ApiAnswer;
        try {
          answer = await handler(req, queryOf(req));
        } catch (err) {
          return sendApiError(reply, toBadDataOrInternal(err));
        }
        const body: Record<string, unknown> = { status: 'success', data: answer.data };
        if (answer.warnings && answer.warnings.length > 0) body.warnings = answer.warnings;
        return reply.code(200).header('content-type', 'application/json').send(JSON.stringify(body));
      });
    };

    route('/api/kanshi/v1/alerts/history', (_req, form) => {
      const { fromMs, toMs } = range(form, clock);
      const limit = limitParam(form, DEFAULT_EVENT_LIMIT);
      const kinds = kindsParam(form);
      const anyOf = selectorsParam(form);
      const events = deps.alerts.events({ fromMs, toMs, kinds, anyOf, limit });
      return { data: events.map(eventJson), warnings: truncated(events.length, limit) };
    });

    route('/api/kanshi/v1/alerts/incidents', (_req, form) => {
      const { fromMs, toMs } = range(form, clock);
      return { data: deps.alerts.incidents({ fromMs, toMs, anyOf: selectorsParam(form) }).map(incidentJson) };
    });

    route('/api/kanshi/v1/alerts/:fingerprint/timeline', (req, form) => {
      const { fingerprint } = req.params as { fingerprint: string };
      if (!/^[0-9a-f]{16}$/.test(fingerprint))
        throw new ApiError(
          'bad_data',
          `invalid alert fingerprint ${JSON.stringify(fingerprint)}: want 16 lowercase hex digits`,
        );
      if (!deps.alerts.hasAlert(fingerprint))
        throw new ApiError('not_found', `no history for alert ${fingerprint}`);
      const fromMs = timeParam(form, 'start', Number.MIN_SAFE_INTEGER);
      const toMs = timeParam(form, 'end', Number.MAX_SAFE_INTEGER);
      checkOrder(fromMs, toMs);
      return { data: deps.alerts.timeline(fingerprint, fromMs, toMs).map(eventJson) };
    });

    route('/api/kanshi/v1/checks/:host/:check/history', (req, form) => {
      const { host, check } = req.params as { host: string; check: string };
      const { fromMs, toMs } = range(form, clock);
      const limit = limitParam(form, DEFAULT_HISTORY_LIMIT);
      const results = deps.checks.history(host, check, { fromMs, toMs, limit });
      return { data: results, warnings: truncated(results.length, limit) };
    });

    route('/api/kanshi/v1/checks/availability', async (_req, form) => {
      const windows = windowsParam(form);
      const host = form.get('host') ?? '';
      return { data: await availabilityOf(deps.checks, host, windows, clock.now()) };
    });
    done();
  });
}

interface ApiAnswer {
  readonly data: unknown;
  readonly warnings?: readonly string[];
}

/** Every check (of `host`, unless '') with its latest status and its availability per window ending `now`. */
async function availabilityOf(
  checks: CheckHistoryReader,
  host: string,
  windows: readonly { name: string; ms: number }[],
  now: number,
): Promise<unknown[]> {
  const latest = await checks.list(host === '' ? undefined : host);
  return latest.map((r) => {
    const got = checks.availability(
      r.host,
      r.check,
      windows.map((w) => ({ fromMs: now - w.ms, toMs: now })),
    );
    return {
      host: r.host,
      check: r.check,
      status: r.status,
      started_at: r.started_at,
      windows: Object.fromEntries(windows.map((w, i) => [w.name, availabilityJson(got[i]!)])),
    };
  });
}

function eventJson(e: AlertEvent): AlertEventJson {
  const base = { at: e.atMs, fingerprint: e.fingerprint, kind: e.kind, labels: e.labels };
  return e.detail === undefined ? base : { ...base, detail: e.detail };
}

function incidentJson(i: Incident): unknown {
  return {
    fingerprint: i.fingerprint,
    labels: i.labels,
    opened_at: i.openedAtMs,
    ended_at: i.endedAtMs,
    end_kind: i.endKind,
    maintenance: i.maintenance.map((s) => ({ start: s.startMs, end: s.endMs })),
    duration_in_range_ms: i.durationInRangeMs,
    maintenance_in_range_ms: i.maintenanceInRangeMs,
  };
}

function availabilityJson(a: Availability): unknown {
  return {
    from: a.fromMs,
    to: a.toMs,
    ratio: a.ratio,
    ok_ms: a.okMs,
    warning_ms: a.warningMs,
    critical_ms: a.criticalMs,
    unknown_ms: a.unknownMs,
    no_data_ms: a.noDataMs,
    interval_ms: a.intervalMs,
    results: a.results,
  };
}

function truncated(count: number, limit: number): string[] {
  return count >= limit ? [`result truncated at limit ${limit}; narrow the range or raise limit`] : [];
}

/** `start` and `end`: end defaults to now, start to 24 hours before end. */
function range(form: URLSearchParams, clock: Clock): { fromMs: number; toMs: number } {
  const toMs = timeParam(form, 'end', clock.now());
  const fromMs = timeParam(form, 'start', toMs - DAY_MS);
  checkOrder(fromMs, toMs);
  return { fromMs, toMs };
}

function checkOrder(fromMs: number, toMs: number): void {
  if (toMs < fromMs) throw invalidParam('end', 'end timestamp must not be before start time');
}

function timeParam(form: URLSearchParams, name: string, fallback: number): number {
  const raw = form.get(name);
  if (raw === null || raw === '') return fallback;
  try {
    return parseTime(raw);
  } catch (err) {
    throw invalidParam(name, errorMessage(err));
  }
}

function limitParam(form: URLSearchParams, fallback: number): number {
  const raw = form.get('limit');
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_HISTORY_LIMIT)
    throw invalidParam(
      'limit',
      `must be an integer from 1 to ${MAX_HISTORY_LIMIT}, got ${JSON.stringify(raw)}`,
    );
  return n;
}

/** `kind`, repeated or comma-separated; every value must be a known kind. */
function kindsParam(form: URLSearchParams): AlertEvent['kind'][] {
  const kinds: AlertEvent['kind'][] = [];
  for (const raw of form.getAll('kind')) {
    for (const k of raw.split(',')) {
      const kind = k.trim();
      if (kind === '') continue;
      if (!isAlertEventKind(kind))
        throw invalidParam(
          'kind',
          `unknown alert event kind ${JSON.stringify(kind)}; want one of ${ALERT_EVENT_KINDS.join(', ')}`,
        );
      kinds.push(kind);
    }
  }
  return kinds;
}

/**
 * `match[]` selectors over alert labels, any of which may match. A metric name in a selector
 * stands for `alertname` (`HighLoad{host="web-1"}`), since alerts have no `__name__`.
 */
function selectorsParam(form: URLSearchParams): Matcher[][] {
  return form.getAll('match[]').map((s) => {
    try {
      return parseMetricSelector(s).map((m) => ({
        ...m,
        name: m.name === '__name__' ? 'alertname' : m.name,
        value: m.type === '=~' || m.type === '!~' ? translateRe2(m.value) : m.value,
      }));
    } catch (err) {
      throw invalidParam('match[]', errorMessage(err));
    }
  });
}

/** `windows`: comma-separated Prometheus durations, default `24h,7d,30d`. */
function windowsParam(form: URLSearchParams): { name: string; ms: number }[] {
  const raw = form.get('windows') ?? '';
  const names = (raw === '' ? '24h,7d,30d' : raw).split(',').map((s) => s.trim());
  if (names.length > MAX_AVAILABILITY_WINDOWS)
    throw invalidParam('windows', `at most ${MAX_AVAILABILITY_WINDOWS} windows, got ${names.length}`);
  return names.map((name) => {
    let ms: number;
    try {
      ms = parseDuration(name);
    } catch (err) {
      throw invalidParam('windows', errorMessage(err));
    }
    if (ms <= 0) throw invalidParam('windows', `a window must be longer than 0, got ${JSON.stringify(name)}`);
    return { name, ms };
  });
}

function queryOf(req: FastifyRequest): URLSearchParams {
  const q = req.url.indexOf('?');
  return new URLSearchParams(q >= 0 ? req.url.slice(q + 1) : '');
}
