import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { labelsToRecord } from '../../../model/labels.js';
import { formatExpr, parseExpr } from '../../../promql/index.js';
import { AlertingRule, type Alert, type RuleGroup } from '../../../rules/group.js';
import { successBody } from './encode.js';
import { ApiError, statusForErrorType } from './params.js';

/**
 * Prometheus's `GET /api/v1/rules` and `GET /api/v1/alerts`
 * (https://prometheus.io/docs/prometheus/latest/querying/api/#rules), field for field as
 * web/api/v1/api.go writes them: times as Go's RFC 3339 with nanoseconds (`0001-01-01T00:00:00Z`
 * before the first evaluation), durations in float seconds, alert values as Go's `%e`
 * (`"1e+00"`), queries printed from their parsed form. Checked against Debian's prometheus in
 * test/integration/rules-server.test.ts.
 */

/** Options of {@link registerRulesApi}. */
export interface RulesApiOptions {
  /** The running rule groups, read at every request (they change on reload). */
  readonly groups: () => readonly RuleGroup[];
}

/** An active alert in Prometheus's API shape. */
export interface ApiAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly state: string;
  readonly activeAt: string;
  readonly keepFiringSince?: string;
  readonly value: string;
}

/** Mounts `/api/v1/rules` and `/api/v1/alerts` (GET) on `app`. */
export function registerRulesApi(app: FastifyInstance, opts: RulesApiOptions): void {
  const send = (reply: FastifyReply, run: () => unknown): FastifyReply => {
    try {
      return reply
        .code(200)
        .header('content-type', 'application/json')
        .send(successBody(JSON.stringify(run())));
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError('internal', String(err));
      return reply
        .code(statusForErrorType[e.type])
        .header('content-type', 'application/json')
        .send(JSON.stringify({ status: 'error', errorType: e.type, error: e.message }));
    }
  };
  app.get('/api/v1/rules', (req, reply) => send(reply, () => rulesData(opts.groups(), queryOf(req))));
  app.get('/api/v1/alerts', (_req, reply) =>
    send(reply, () => ({
      alerts: opts
        .groups()
        .flatMap((g) => g.rules)
        .flatMap((r) => (r instanceof AlertingRule ? activeAlerts(r).map(apiAlert) : [])),
    })),
  );
}

function queryOf(req: FastifyRequest): URLSearchParams {
  const q = req.url.indexOf('?');
  return new URLSearchParams(q >= 0 ? req.url.slice(q + 1) : '');
}

/**
 * The `data` of `/api/v1/rules` for `params` (`type=alert|record`, `rule_name[]`, `rule_group[]`,
 * `file[]`, `exclude_alerts`). A group all of whose rules a filter removed is left out, as
 * Prometheus 2.46+ does; without filters every group is listed.
 */
export function rulesData(groups: readonly RuleGroup[], params: URLSearchParams): { groups: unknown[] } {
  const type = (params.get('type') ?? '').toLowerCase();
  if (type !== '' && type !== 'alert' && type !== 'record')
    throw new ApiError('bad_data', `invalid query parameter type='${type}'`);
  const excludeAlerts = parseBool(params.get('exclude_alerts'), 'exclude_alerts');
  const names = new Set(params.getAll('rule_name[]'));
  const groupNames = new Set(params.getAll('rule_group[]'));
  const files = new Set(params.getAll('file[]'));
  const filtered = type !== '' || names.size > 0 || groupNames.size > 0 || files.size > 0;
  const out: unknown[] = [];
  for (const g of groups) {
    if (groupNames.size > 0 && !groupNames.has(g.config.name)) continue;
    if (files.size > 0 && !files.has(g.config.file)) continue;
    const rules: unknown[] = [];
    for (const r of g.rules) {
      if (names.size > 0 && !names.has(r.name)) continue;
      const common = {
        health: r.lastEvalMs === undefined ? 'unknown' : r.lastError === undefined ? 'ok' : 'err',
        ...(r.lastError === undefined ? {} : { lastError: r.lastError }),
        evaluationTime: r.lastDurationMs / 1000,
        lastEvaluation: goTime(r.lastEvalMs),
      };
      if (r instanceof AlertingRule) {
        if (type === 'record') continue;
        rules.push({
          state: ruleState(r),
          name: r.name,
          query: printQuery(r.config.expr),
          duration: r.config.forMs / 1000,
          keepFiringFor: r.config.keepFiringForMs / 1000,
          labels: { ...r.labels },
          annotations: { ...r.config.annotations },
          alerts: excludeAlerts ? null : activeAlerts(r).map(apiAlert),
          ...common,
          type: 'alerting',
        });
      } else {
        if (type === 'alert') continue;
        rules.push({
          name: r.name,
          query: printQuery(r.config.expr),
          ...(Object.keys(r.labels).length > 0 ? { labels: { ...r.labels } } : {}),
          ...common,
          type: 'recording',
        });
      }
    }
    if (filtered && rules.length === 0) continue;
    out.push({
      name: g.config.name,
      file: g.config.file,
      rules,
      interval: g.intervalMs / 1000,
      limit: g.config.limit,
      evaluationTime: g.lastDurationMs / 1000,
      lastEvaluation: goTime(g.lastEvalMs),
    });
  }
  return { groups: out };
}

function parseBool(v: string | null, name: string): boolean {
  if (v === null || v === '') return false;
  // Go's strconv.ParseBool.
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new ApiError(
    'bad_data',
    `invalid parameter "${name}": strconv.ParseBool: parsing "${v}": invalid syntax`,
  );
}

/** The alerts Prometheus calls active: pending or firing, not resolved; in label order. */
export function activeAlerts(rule: AlertingRule): Alert[] {
  return [...rule.active.values()]
    .filter((a) => a.state !== 'inactive' && a.resolvedAtMs === undefined)
    .sort((a, b) => {
      const x = JSON.stringify(a.labels);
      const y = JSON.stringify(b.labels);
      return x < y ? -1 : x > y ? 1 : 0;
    });
}

/** The rule's state: the most severe state of its active alerts (`inactive` without any). */
export function ruleState(rule: AlertingRule): 'inactive' | 'pending' | 'firing' {
  let state: 'inactive' | 'pending' | 'firing' = 'inactive';
  for (const a of activeAlerts(rule)) {
    if (a.state === 'firing') return 'firing';
    if (a.state === 'pending') state = 'pending';
  }
  return state;
}

/** One alert in Prometheus's API shape. */
export function apiAlert(a: Alert): ApiAlert {
  return {
    labels: labelsToRecord(a.labels),
    annotations: { ...a.annotations },
    state: a.state,
    activeAt: goTime(a.activeAtMs),
    ...(a.keepFiringSinceMs === undefined ? {} : { keepFiringSince: goTime(a.keepFiringSinceMs) }),
    value: formatGoE(a.value),
  };
}

/** The expression as Prometheus prints its parsed form (`rule.Query().String()`). */
function printQuery(expr: string): string {
  try {
    return formatExpr(parseExpr(expr));
  } catch {
    return expr;
  }
}

/**
 * `ms` as Go's `time.Time` JSON in UTC: RFC 3339 with the fraction's trailing zeros trimmed
 * (`2024-01-02T03:04:05.1Z`), and Go's zero time for undefined.
 */
export function goTime(ms: number | undefined): string {
  if (ms === undefined) return '0001-01-01T00:00:00Z';
  const iso = new Date(ms).toISOString(); // …T03:04:05.100Z
  return iso.replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac === '' ? 'Z' : `.${frac}Z`));
}

/** `v` as Go's `strconv.FormatFloat(v, 'e', -1, 64)`: `1e+00`, `1.5e-07`, `NaN`, `+Inf`. */
export function formatGoE(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = Object.is(v, -0) ? '-0e+0' : v.toExponential();
  const m = /^(-?[\d.]+)e([+-])(\d+)$/.exec(s);
  if (!m) return s;
  const [, mant = '', sign = '+', exp = ''] = m;
  return `${mant}e${sign}${exp.padStart(2, '0')}`;
}
