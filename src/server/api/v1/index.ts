import { availableParallelism } from 'node:os';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../../base/clock.js';
import { systemClock } from '../../../base/clock.js';
import { AppError } from '../../../base/errors.js';
import type { Registry } from '../../../exposition/registry.js';
import { compareLabels, labelNameRe, type Labels } from '../../../model/labels.js';
import {
  parseExpr,
  parseMetricSelector,
  prettify,
  typeOf,
  documentedType,
  type Expr,
  type QueryOptions,
  type QueryResult,
  type QueryValue,
  type RangeSpec,
} from '../../../promql/index.js';
// TODO(#4): import from the promql package surface once it exports the RE2 translation.
import { translateRe2 } from '../../../promql/parser/regex.js';
import type { Matcher, Queryable } from '../../../storage/storage.js';
import { goJsonString, stringifySorted, translateAst } from './ast-json.js';
import { encodeLabels, encodeQueryData, successBody } from './encode.js';
import {
  ApiError,
  invalidParam,
  MAX_TIME_MS,
  MIN_TIME_MS,
  param,
  parseDurationParam,
  parseLimit,
  parseTime,
  statusForErrorType,
} from './params.js';
import { QueryLimiter } from './query-limiter.js';
import { computeTsdbStatus, type TsdbStatus } from './tsdb-status.js';

/**
 * The Prometheus HTTP API v1 (https://prometheus.io/docs/prometheus/latest/querying/api/), with
 * Prometheus's JSON shapes, error types and statuses, so Grafana's Prometheus data source,
 * promtool and scripts work against Kanshi unchanged. Behaviour follows Prometheus's
 * web/api/v1/api.go; differences are listed in docs/http-api.md.
 */

/** What the API needs of a PromQL engine (the {@link Engine} of src/promql, or a test double). */
export interface QueryEngine {
  instantQuery(query: Expr, timeMs: number, options?: QueryOptions): Promise<QueryResult>;
  rangeQuery(query: Expr, range: RangeSpec, options?: QueryOptions): Promise<QueryResult>;
}

/** Query limits of the API. The engine's own limit (max samples) is set on the engine. */
export interface PrometheusApiLimits {
  /** Longest a query may take, queueing included (ms); a smaller `timeout` parameter wins. Default 2 min. */
  readonly queryTimeoutMs?: number;
  /** Queries evaluated at once; default 20 as Prometheus's `--query.max-concurrency`. */
  readonly maxConcurrentQueries?: number;
  /** Queries waiting for a slot before new ones get 503; default 4 × maxConcurrentQueries. */
  readonly maxQueuedQueries?: number;
  /** Most points per series a range query may ask for; default 11000 as Prometheus. */
  readonly maxPointsPerSeries?: number;
}

/** `/api/v1/status/buildinfo`, field names as Prometheus's. */
export interface BuildInfo {
  readonly version: string;
  readonly revision: string;
  readonly branch: string;
  readonly buildUser: string;
  readonly buildDate: string;
  readonly goVersion: string;
}

/** `/api/v1/status/runtimeinfo`, field names as Prometheus's (Go-specific ones kept for clients). */
export interface RuntimeInfo {
  readonly startTime: string;
  readonly CWD: string;
  readonly reloadConfigSuccess: boolean;
  readonly lastConfigTime: string;
  readonly corruptionCount: number;
  readonly goroutineCount: number;
  readonly GOMAXPROCS: number;
  readonly GOGC: string;
  readonly GODEBUG: string;
  readonly storageRetention: string;
}

/** `/api/v1/targets`: active and dropped scrape targets in Prometheus's shape. */
export interface TargetDiscovery {
  readonly activeTargets: readonly Readonly<Record<string, unknown>>[];
  readonly droppedTargets: readonly Readonly<Record<string, unknown>>[];
}

/** One metadata entry of `/api/v1/metadata`. */
export interface MetricMetadataEntry {
  readonly type: string;
  readonly help: string;
  readonly unit: string;
}

/** Options of {@link registerPrometheusApi}. The API holds no state beyond the query limiter. */
export interface PrometheusApiOptions {
  /** The (tenant's) store read by series, labels and status endpoints. */
  readonly queryable: Queryable;
  /** Evaluates queries; it reads the same store. */
  readonly engine: QueryEngine;
  /** Receives `kanshi_api_*` metrics when given. */
  readonly registry?: Registry;
  readonly limits: PrometheusApiLimits;
  readonly buildInfo: BuildInfo;
  /** Command-line flags or settings, shown by `/api/v1/status/flags`. */
  readonly flags: Readonly<Record<string, string>>;
  /** Scrape targets; the empty shape when absent. */
  readonly targets?: () => TargetDiscovery;
  /** Metric metadata by family name; `{}` when absent. */
  readonly metadata?: () => ReadonlyMap<string, readonly MetricMetadataEntry[]>;
  /** Runtime facts; a default built from this process when absent. */
  readonly runtimeInfo?: () => RuntimeInfo;
  /** Store-provided cardinality statistics; computed by a pass over the store when absent. */
  readonly tsdbStatus?: (limit: number, signal: AbortSignal) => Promise<TsdbStatus>;
  /** The default evaluation time of `/api/v1/query`; the wall clock when absent. */
  readonly clock?: Clock;
}

const FORM = 'application/x-www-form-urlencoded';
const TRUNCATED = 'results truncated due to limit';

/**
 * Mounts the `/api/v1` read endpoints on `app` in an encapsulated scope (its form body parser and
 * error handler stay inside). Available after `app.ready()`.
 */
export function registerPrometheusApi(app: FastifyInstance, opts: PrometheusApiOptions): void {
  const clock = opts.clock ?? systemClock;
  const timeoutMs = opts.limits.queryTimeoutMs ?? 120_000;
  const maxConcurrent = opts.limits.maxConcurrentQueries ?? 20;
  const maxPoints = opts.limits.maxPointsPerSeries ?? 11_000;
  const limiter = new QueryLimiter({
    maxConcurrent,
    maxQueued: opts.limits.maxQueuedQueries ?? 4 * maxConcurrent,
  });
  const startTime = new Date(clock.now()).toISOString();
  const metrics = opts.registry && {
    queries: opts.registry.counter(
      'kanshi_api_queries_total',
      'PromQL queries answered by the HTTP API, by endpoint and outcome (success or errorType).',
    ),
    duration: opts.registry.histogram(
      'kanshi_api_query_duration_seconds',
      'Time to answer PromQL queries of the HTTP API, queueing included, by endpoint.',
    ),
    running: opts.registry.gauge('kanshi_api_queries_running', 'PromQL queries evaluating now.'),
    queued: opts.registry.gauge('kanshi_api_queries_queued', 'PromQL queries waiting for a slot.'),
  };

  /** Runs one query under the limiter with the request's abort signal and deadline. */
  const runQuery = async (
    endpoint: string,
    signal: AbortSignal,
    requestedTimeoutMs: number,
    run: (options: QueryOptions) => Promise<QueryResult>,
    lookbackDeltaMs: number | undefined,
  ): Promise<QueryResult> => {
    const started = performance.now();
    const budget = Math.min(timeoutMs, requestedTimeoutMs);
    let outcome = 'success';
    try {
      metrics?.queued.set(limiter.queued + 1);
      const release = await limiter.acquire(signal, budget);
      metrics?.queued.set(limiter.queued);
      metrics?.running.set(limiter.active);
      try {
        const remaining = Math.max(1, budget - (performance.now() - started));
        const options: QueryOptions =
          lookbackDeltaMs === undefined
            ? { signal, timeoutMs: remaining }
            : { signal, timeoutMs: remaining, lookbackDeltaMs };
        return await run(options);
      } finally {
        release();
        metrics?.running.set(limiter.active);
      }
    } catch (err) {
      const apiErr = toApiError(err);
      outcome = apiErr.type;
      throw apiErr;
    } finally {
      metrics?.queued.set(limiter.queued);
      metrics?.queries.inc({ endpoint, outcome });
      metrics?.duration.observe((performance.now() - started) / 1000, { endpoint });
    }
  };

  /**
   * Kanshi's `raw` parameter of both query endpoints (docs/http-api.md "Rollups"): `true` reads raw
   * samples only, never rollups (`QueryOptions.maxResolutionMs` 0).
   */
  const withRaw = (form: URLSearchParams, o: QueryOptions): QueryOptions => {
    const raw = form.get('raw');
    if (raw === null || raw === '' || raw === 'false' || raw === '0') return o;
    if (raw === 'true' || raw === '1') return { ...o, maxResolutionMs: 0 };
    throw invalidParam('raw', `cannot parse ${JSON.stringify(raw)} to a boolean`);
  };

  /** Query options common to both query endpoints. */
  const queryParams = (
    form: URLSearchParams,
  ): { expr: Expr; timeoutMs: number; lookbackDeltaMs: number | undefined; limit: number } => {
    const requestedTimeout = param(form, 'timeout', parseDurationParam, Infinity);
    const lookbackDeltaMs = param<number | undefined>(form, 'lookback_delta', parseDurationParam, undefined);
    const limit = parseLimit(form);
    const expr = parseQuery(form);
    return { expr, timeoutMs: requestedTimeout, lookbackDeltaMs, limit };
  };

  void app.register((scope, _pluginOpts, done) => {
    scope.addContentTypeParser(FORM, { parseAs: 'string' }, (_req, body, cb) => {
      cb(null, new URLSearchParams(body as string));
    });
    scope.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
      const status = err.statusCode ?? 500;
      const type = status >= 500 ? 'internal' : 'bad_data';
      return sendError(reply, new ApiError(type, err.message));
    });

    const handle =
      (fn: (form: URLSearchParams, req: FastifyRequest, signal: AbortSignal) => Promise<Answer> | Answer) =>
      async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
        const controller = new AbortController();
        // A query is cancelled when its client goes away before the answer is written.
        const onClose = (): void => {
          if (!reply.raw.writableFinished) controller.abort();
        };
        reply.raw.once('close', onClose);
        try {
          const answer = await fn(formOf(req), req, controller.signal);
          return await reply
            .code(200)
            .header('content-type', 'application/json')
            .send(successBody(answer.data, answer));
        } catch (err) {
          return sendError(reply, toApiError(err));
        } finally {
          reply.raw.off('close', onClose);
        }
      };
    const both = (url: string, fn: Parameters<typeof handle>[0]): void => {
      scope.get(url, handle(fn));
      scope.post(url, handle(fn));
    };

    both('/api/v1/query', async (form, _req, signal) => {
      const timeMs = param(form, 'time', timeParam('time'), clock.now());
      const q = queryParams(form);
      const result = await runQuery(
        'query',
        signal,
        q.timeoutMs,
        (o) => opts.engine.instantQuery(q.expr, timeMs, withRaw(form, o)),
        q.lookbackDeltaMs,
      );
      return answerFor(result, q.limit);
    });

    both('/api/v1/query_range', async (form, _req, signal) => {
      const startMs = param(form, 'start', parseTime, NaN);
      const endMs = param(form, 'end', parseTime, NaN);
      if (Number.isNaN(startMs)) throw invalidParam('start', 'cannot parse "" to a valid timestamp');
      if (Number.isNaN(endMs)) throw invalidParam('end', 'cannot parse "" to a valid timestamp');
      if (endMs < startMs) throw invalidParam('end', 'end timestamp must not be before start time');
      const stepMs = param(form, 'step', parseDurationParam, NaN);
      if (Number.isNaN(stepMs)) throw invalidParam('step', 'cannot parse "" to a valid duration');
      if (stepMs <= 0)
        throw invalidParam(
          'step',
          'zero or negative query resolution step widths are not accepted. Try a positive integer',
        );
      // For safety, limit the number of returned points per timeseries (Prometheus: 11000).
      if (Math.floor((endMs - startMs) / stepMs) > maxPoints)
        throw new ApiError(
          'bad_data',
          `exceeded maximum resolution of ${maxPoints.toLocaleString('en-US')} points per timeseries. Try decreasing the query resolution (?step=XX)`,
        );
      const q = queryParams(form);
      const t = typeOf(q.expr);
      if (t !== 'scalar' && t !== 'vector')
        throw new ApiError(
          'bad_data',
          `invalid expression type "${documentedType(t)}" for range query, must be Scalar or instant Vector`,
        );
      const result = await runQuery(
        'query_range',
        signal,
        q.timeoutMs,
        (o) => opts.engine.rangeQuery(q.expr, { startMs, endMs, stepMs }, withRaw(form, o)),
        q.lookbackDeltaMs,
      );
      return answerFor(result, q.limit);
    });

    both('/api/v1/query_exemplars', (form) => {
      const startMs = param(form, 'start', timeParam('start'), MIN_TIME_MS);
      const endMs = param(form, 'end', timeParam('end'), MAX_TIME_MS);
      if (endMs < startMs) throw new ApiError('bad_data', 'end timestamp must not be before start timestamp');
      parseQuery(form);
      // Kanshi stores no exemplars yet: the empty result of a store without any.
      return { data: '[]' };
    });

    // Prometheus 3: the expression pretty-printed (split over lines past 100 characters).
    both('/api/v1/format_query', (form) => ({
      data: goJsonString(prettify(parseQuery(form), { source: form.get('query') ?? '' })),
    }));

    // Prometheus 3: the expression's syntax tree as JSON (the UI's tree view).
    both('/api/v1/parse_query', (form) => ({
      data: stringifySorted(translateAst(parseQuery(form), form.get('query') ?? '')),
    }));

    both('/api/v1/series', async (form, _req, signal) => {
      if (form.getAll('match[]').length === 0)
        throw new ApiError('bad_data', 'no match[] parameter provided');
      const sets = matcherSets(form, true);
      const { startMs, endMs } = timeRange(form);
      const limit = parseLimit(form);
      const querier = opts.queryable.querier(startMs, endMs);
      try {
        const byKey = new Map<string, Labels>();
        for (const matchers of sets) {
          const series = await querier.select(matchers, { startMs, endMs, func: 'series' }, signal);
          for (const s of series) byKey.set(encodeLabels(s.labels), s.labels);
        }
        const all = [...byKey.values()].sort(compareLabels);
        const warnings: string[] = [];
        if (all.length > limit) {
          all.length = limit;
          warnings.push(TRUNCATED);
        }
        return { data: `[${all.map(encodeLabels).join(',')}]`, warnings };
      } finally {
        querier.close();
      }
    });

    both('/api/v1/labels', async (form, _req, signal) => {
      const sets = matcherSets(form);
      const { startMs, endMs } = timeRange(form);
      const limit = parseLimit(form);
      const querier = opts.queryable.querier(startMs, endMs);
      try {
        const names = new Set<string>();
        if (sets.length === 0) for (const n of await querier.labelNames([], signal)) names.add(n);
        for (const matchers of sets) for (const n of await querier.labelNames(matchers, signal)) names.add(n);
        return limited([...names].sort(), limit);
      } finally {
        querier.close();
      }
    });

    scope.get(
      '/api/v1/label/:name/values',
      handle(async (form, req, signal) => {
        const name = (req.params as { name: string }).name;
        if (!labelNameRe.test(name))
          throw new ApiError('bad_data', `invalid label name: ${JSON.stringify(name)}`);
        const sets = matcherSets(form);
        const { startMs, endMs } = timeRange(form);
        const limit = parseLimit(form);
        const querier = opts.queryable.querier(startMs, endMs);
        try {
          const values = new Set<string>();
          if (sets.length === 0) for (const v of await querier.labelValues(name, [], signal)) values.add(v);
          for (const matchers of sets)
            for (const v of await querier.labelValues(name, matchers, signal)) values.add(v);
          return limited([...values].sort(), limit);
        } finally {
          querier.close();
        }
      }),
    );

    scope.get(
      '/api/v1/metadata',
      handle((form) => {
        const limit = parseLimit(form);
        const limitPerMetric = param(form, 'limit_per_metric', parseNonNegativeInt, 0) || Infinity;
        const metric = form.get('metric') ?? '';
        const out: Record<string, MetricMetadataEntry[]> = {};
        let n = 0;
        for (const [name, entries] of opts.metadata?.() ??
          new Map<string, readonly MetricMetadataEntry[]>()) {
          if (metric !== '' && name !== metric) continue;
          if (n >= limit) break;
          out[name] = entries.slice(0, limitPerMetric);
          n++;
        }
        return { data: JSON.stringify(out) };
      }),
    );

    scope.get(
      '/api/v1/targets',
      handle((form) => {
        const state = (form.get('state') ?? '').toLowerCase();
        const t = opts.targets?.() ?? { activeTargets: [], droppedTargets: [] };
        const showActive = state === '' || state === 'any' || state === 'active';
        const showDropped = state === '' || state === 'any' || state === 'dropped';
        return {
          data: JSON.stringify({
            activeTargets: showActive ? t.activeTargets : [],
            droppedTargets: showDropped ? t.droppedTargets : [],
          }),
        };
      }),
    );

    scope.get(
      '/api/v1/status/buildinfo',
      handle(() => ({ data: JSON.stringify(opts.buildInfo) })),
    );
    scope.get(
      '/api/v1/status/flags',
      handle(() => ({ data: JSON.stringify(opts.flags) })),
    );
    scope.get(
      '/api/v1/status/runtimeinfo',
      handle(() => {
        const info: RuntimeInfo = opts.runtimeInfo?.() ?? {
          startTime,
          CWD: process.cwd(),
          reloadConfigSuccess: true,
          lastConfigTime: startTime,
          corruptionCount: 0,
          goroutineCount: 0,
          GOMAXPROCS: availableParallelism(),
          GOGC: '',
          GODEBUG: '',
          storageRetention: '',
        };
        return { data: JSON.stringify(info) };
      }),
    );
    scope.get(
      '/api/v1/status/tsdb',
      handle(async (form, _req, signal) => {
        const limit = param(form, 'limit', parseNonNegativeInt, 10);
        if (limit < 1 || limit > 10_000)
          throw new ApiError('bad_data', 'limit must be a positive number less than or equal to 10000');
        const status = opts.tsdbStatus
          ? await opts.tsdbStatus(limit, signal)
          : await computeTsdbStatus(opts.queryable, limit, signal);
        return { data: JSON.stringify(status) };
      }),
    );
    done();
  });
}

/** A handler's success: `data` already JSON, plus annotations. */
interface Answer {
  readonly data: string;
  readonly warnings?: readonly string[];
  readonly infos?: readonly string[];
}

function answerFor(result: QueryResult, limit: number): Answer {
  const warnings = [...result.warnings];
  let value: QueryValue = result.value;
  if (value.type === 'vector' && value.vector.length > limit) {
    value = { type: 'vector', vector: value.vector.slice(0, limit) };
    warnings.push(TRUNCATED);
  } else if (value.type === 'matrix' && value.matrix.length > limit) {
    value = { type: 'matrix', matrix: value.matrix.slice(0, limit) };
    warnings.push(TRUNCATED);
  }
  return { data: encodeQueryData(value), warnings, infos: result.infos };
}

function limited(values: string[], limit: number): Answer {
  const warnings: string[] = [];
  if (values.length > limit) {
    values.length = limit;
    warnings.push(TRUNCATED);
  }
  return { data: JSON.stringify(values), warnings };
}

/** The request's form: the POST body's fields first, then the URL's, as Go's Request.Form. */
function formOf(req: FastifyRequest): URLSearchParams {
  const q = req.url.indexOf('?');
  const fromUrl = new URLSearchParams(q >= 0 ? req.url.slice(q + 1) : '');
  if (!(req.body instanceof URLSearchParams)) return fromUrl;
  const form = new URLSearchParams(req.body);
  for (const [k, v] of fromUrl) form.append(k, v);
  return form;
}

/** The `query` parameter parsed; a parse error is bad_data `invalid parameter "query": …`. */
function parseQuery(form: URLSearchParams): Expr {
  try {
    return parseExpr(form.get('query') ?? '');
  } catch (err) {
    if (err instanceof AppError) throw invalidParam('query', err.message);
    throw err;
  }
}

/**
 * The `match[]` selectors as matcher sets, regexes translated from RE2 as the engine does. A parse
 * error is bad_data, wrapped as `invalid parameter "match[]": …` when `wrap` (the series
 * endpoint) and bare otherwise, as Prometheus words them.
 */
function matcherSets(form: URLSearchParams, wrap = false): Matcher[][] {
  return form.getAll('match[]').map((s) => {
    try {
      return parseMetricSelector(s).map((m) =>
        m.type === '=~' || m.type === '!~' ? { ...m, value: translateRe2(m.value) } : m,
      );
    } catch (err) {
      if (err instanceof AppError)
        throw wrap ? invalidParam('match[]', err.message) : new ApiError('bad_data', err.message);
      throw err;
    }
  });
}

function timeRange(form: URLSearchParams): { startMs: number; endMs: number } {
  return {
    startMs: param(form, 'start', timeParam('start'), MIN_TIME_MS),
    endMs: param(form, 'end', timeParam('end'), MAX_TIME_MS),
  };
}

/**
 * A time parser for optional time parameters, whose errors Prometheus prefixes with
 * `Invalid time value for '<name>': ` (query_range's required start and end have no prefix).
 */
function timeParam(name: string): (s: string) => number {
  return (s) => {
    try {
      return parseTime(s);
    } catch (err) {
      if (err instanceof AppError)
        throw new AppError('bad_input', `Invalid time value for '${name}': ${err.message}`);
      throw err;
    }
  };
}

function parseNonNegativeInt(s: string): number {
  if (!/^\d+$/.test(s))
    throw new AppError('bad_input', `cannot parse ${JSON.stringify(s)} to a non-negative integer`);
  return Number(s);
}

/**
 * The API error for anything a handler threw. Engine failures map as Prometheus's
 * returnAPIError: evaluation errors and the sample limit are `execution`, then `timeout`,
 * `canceled`, `unavailable`; anything else is `internal`.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof AppError) {
    switch (err.code) {
      case 'bad_input':
      case 'limit':
        return new ApiError('execution', err.message, { cause: err });
      case 'timeout':
        return new ApiError('timeout', err.message, { cause: err });
      case 'canceled':
        return new ApiError('canceled', err.message, { cause: err });
      case 'unavailable':
        return new ApiError('unavailable', err.message, { cause: err });
      case 'not_found':
        return new ApiError('not_found', err.message, { cause: err });
      case 'conflict':
      case 'io':
      case 'internal':
        return new ApiError('internal', err.message, { cause: err });
    }
  }
  return new ApiError('internal', err instanceof Error ? err.message : String(err), { cause: err });
}

function sendError(reply: FastifyReply, err: ApiError): FastifyReply {
  return reply
    .code(statusForErrorType[err.type])
    .header('content-type', 'application/json')
    .send(JSON.stringify({ status: 'error', errorType: err.type, error: err.message }));
}
