import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { systemClock, type Clock } from '../../base/clock.js';
import { AppError, errorMessage } from '../../base/errors.js';
import { parseMetricSelector } from '../../promql/index.js';
// TODO(#4): import from the promql package surface once it exports the RE2 translation.
import { translateRe2 } from '../../promql/parser/regex.js';
import type { Matcher } from '../../storage/storage.js';
import type { TSDB } from '../../tsdb/tsdb.js';
import { ApiError, invalidParam, MAX_TIME_MS, MIN_TIME_MS, parseTime } from './v1/params.js';
import { sendApiError, toBadDataOrInternal, useApiErrorHandler } from './error-reply.js';

/**
 * Prometheus's TSDB admin API (web/api/v1/api.go `snapshot`, `deleteSeries`, `cleanTombstones`):
 *
 * - `POST|PUT /api/v1/admin/tsdb/snapshot[?skip_head=<bool>]` writes every block, and the head
 *   unless `skip_head`, under `<dataDir>/snapshots/<name>` and answers
 *   `{"status":"success","data":{"name":"20060102T150405Z-<16 hex>"}}`.
 * - `POST|PUT /api/v1/admin/tsdb/delete_series` with `match[]` (one or more), `start`, `end`
 *   (unbounded when absent) tombstones the matching samples; 204.
 * - `POST|PUT /api/v1/admin/tsdb/clean_tombstones` rewrites blocks without deleted data; 204.
 *
 * Parameters come from the URL or a form body; errors use Prometheus's envelope
 * `{"status":"error","errorType":…,"error":…}` with its wording and statuses. Like Prometheus
 * behind `--web.enable-admin-api`, these endpoints are destructive: the caller mounts them only
 * when administration is enabled (and behind authentication).
 */

/** The store operations the admin API drives (the embedded {@link TSDB}). */
export type AdminStore = Pick<TSDB, 'snapshot' | 'deleteSeries' | 'cleanTombstones'>;

/** Options of {@link registerAdminApi}. */
export interface AdminApiOptions {
  /** The tenant's store; the API calls it but does not own (close) it. */
  readonly tsdb: AdminStore;
  /** The folder `snapshots/` is created in. */
  readonly dataDir: string;
  /** The time a snapshot is named after; the wall clock when absent. */
  readonly clock?: Clock;
  /** The 63 random bits of a snapshot name; crypto random when absent (tests pin it). */
  readonly random63?: () => bigint;
}

const FORM = 'application/x-www-form-urlencoded';

/**
 * Mounts the admin endpoints on `app` in an encapsulated scope (its form parser and error handler
 * stay inside). Available after `app.ready()`.
 */
export function registerAdminApi(app: FastifyInstance, opts: AdminApiOptions): void {
  const clock = opts.clock ?? systemClock;
  const random63 = opts.random63 ?? (() => randomBytes(8).readBigUInt64BE() >> 1n);

  void app.register((scope, _pluginOpts, done) => {
    scope.addContentTypeParser(FORM, { parseAs: 'string' }, (_req, body, cb) => {
      cb(null, new URLSearchParams(body as string));
    });
    useApiErrorHandler(scope);

    const route = (
      url: string,
      handler: (form: URLSearchParams) => Promise<{ name: string } | undefined>,
    ): void => {
      const handle = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
        let data: { name: string } | undefined;
        try {
          data = await handler(formOf(req));
        } catch (err) {
          return sendApiError(reply, toBadDataOrInternal(err));
        }
        if (data === undefined) return reply.code(204).send();
        return reply
          .code(200)
          .header('content-type', 'application/json')
          .send(JSON.stringify({ status: 'success', data }));
      };
      scope.post(url, handle);
      scope.put(url, handle);
    };

    route('/api/v1/admin/tsdb/snapshot', async (form) => {
      const raw = form.get('skip_head') ?? '';
      let skipHead = false;
      if (raw !== '') {
        const b = parseGoBool(raw);
        if (b === undefined)
          throw invalidParam(
            'skip_head',
            `unable to parse boolean: strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`,
          );
        skipHead = b;
      }
      const name = snapshotName(clock.now(), random63());
      const dir = path.join(opts.dataDir, 'snapshots', name);
      try {
        await opts.tsdb.snapshot(dir, { withHead: !skipHead });
      } catch (err) {
        throw new ApiError('internal', `create snapshot: ${errorMessage(err)}`, { cause: err });
      }
      return { name };
    });

    route('/api/v1/admin/tsdb/delete_series', async (form) => {
      const selectors = form.getAll('match[]');
      if (selectors.length === 0) throw new ApiError('bad_data', 'no match[] parameter provided');
      const startMs = timeParam(form, 'start', MIN_TIME_MS);
      const endMs = timeParam(form, 'end', MAX_TIME_MS);
      // Parse all selectors before deleting anything, so a bad one deletes nothing.
      const sets = selectors.map(parseSelector);
      for (const matchers of sets) {
        try {
          await opts.tsdb.deleteSeries(matchers, startMs, endMs);
        } catch (err) {
          throw new ApiError('internal', errorMessage(err), { cause: err });
        }
      }
      return undefined;
    });

    route('/api/v1/admin/tsdb/clean_tombstones', async () => {
      try {
        await opts.tsdb.cleanTombstones();
      } catch (err) {
        throw new ApiError('internal', errorMessage(err), { cause: err });
      }
      return undefined;
    });
    done();
  });
}

/**
 * A snapshot's folder name as Prometheus makes it: the UTC time as Go's
 * `20060102T150405Z0700` (which prints `Z` for UTC) and 63 random bits as 16 hex digits.
 */
export function snapshotName(nowMs: number, random63: bigint): string {
  const stamp = new Date(nowMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${random63.toString(16).padStart(16, '0')}`;
}

/** Go's strconv.ParseBool: undefined for anything it rejects. */
function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/** An optional time parameter, worded as Prometheus's parseTimeParam + invalidParamError. */
function timeParam(form: URLSearchParams, name: string, fallback: number): number {
  const s = form.get(name);
  if (s === null || s === '') return fallback;
  try {
    return parseTime(s);
  } catch (err) {
    if (err instanceof AppError) throw invalidParam(name, `Invalid time value for '${name}': ${err.message}`);
    throw err;
  }
}

function parseSelector(s: string): Matcher[] {
  try {
    return parseMetricSelector(s).map((m) =>
      m.type === '=~' || m.type === '!~' ? { ...m, value: translateRe2(m.value) } : m,
    );
  } catch (err) {
    if (err instanceof AppError) throw invalidParam('match[]', err.message);
    throw err;
  }
}

/** The request's form: the body's fields first, then the URL's, as Go's Request.Form. */
function formOf(req: FastifyRequest): URLSearchParams {
  const q = req.url.indexOf('?');
  const fromUrl = new URLSearchParams(q >= 0 ? req.url.slice(q + 1) : '');
  if (!(req.body instanceof URLSearchParams)) return fromUrl;
  const form = new URLSearchParams(req.body);
  for (const [k, v] of fromUrl) form.append(k, v);
  return form;
}
