import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../base/errors.js';
import { convertGrafanaDashboard, isGrafanaDashboard } from '../dashboards/grafana.js';
import { issuesMessage, parseDashboard } from '../dashboards/model.js';
import type { DashboardEntry, DashboardFormat, DashboardStore } from '../dashboards/store.js';
import { statusForCode } from '../http/app.js';

/**
 * Kanshi's dashboards API (docs/dashboards.md), in the envelope of Kanshi's other APIs:
 *
 * - `GET    /api/kanshi/v1/dashboards` — every file: uid, title, tags, file, format, version, error.
 * - `GET    /api/kanshi/v1/dashboards/{uid}` — one entry with its dashboard; `ETag` is its version.
 * - `GET    /api/kanshi/v1/dashboards/{uid}/export` — the dashboard alone, as JSON (no envelope).
 * - `POST   /api/kanshi/v1/dashboards[?format=yaml|json]` — create from our model; 201.
 * - `PUT    /api/kanshi/v1/dashboards/{uid}` — replace; `If-Match: <version>` guards against a newer file.
 * - `DELETE /api/kanshi/v1/dashboards/{uid}` — delete the file; `If-Match` as for PUT.
 * - `POST   /api/kanshi/v1/dashboards/import[?overwrite=true][&format=…]` — our model or a Grafana
 *   dashboard JSON; answers the entry and `not_converted` (what a Grafana import dropped).
 *
 * 400 for an invalid body, 404 for an unknown uid, 409 for a taken uid or a stale version.
 */

/** What the dashboards API drives; the store is owned (loaded, watched) by the server. */
export interface DashboardApiDeps {
  readonly store: Pick<DashboardStore, 'list' | 'get' | 'create' | 'update' | 'delete'>;
}

/** An entry as the API lists it. */
export interface DashboardSummaryJson {
  readonly uid: string;
  readonly title: string;
  readonly tags: readonly string[];
  readonly file: string;
  readonly format: DashboardFormat;
  readonly version: string;
  readonly error: string | null;
}

/** The list form of an entry. */
export function dashboardSummaryJson(e: DashboardEntry): DashboardSummaryJson {
  return {
    uid: e.uid,
    title: e.title,
    tags: e.tags,
    file: e.file,
    format: e.format,
    version: e.version,
    error: e.error ?? null,
  };
}

const PREFIX = '/api/kanshi/v1/dashboards';

/** Mounts the routes above on `app`. */
export function registerDashboardApi(app: FastifyInstance, deps: DashboardApiDeps): void {
  const { store } = deps;
  const fail = (reply: FastifyReply, err: unknown): FastifyReply => {
    if (err instanceof AppError)
      return reply
        .code(statusForCode[err.code])
        .send({ status: 'error', errorType: err.code, error: err.message });
    throw err;
  };
  const one = (reply: FastifyReply, e: DashboardEntry, code = 200, extra: object = {}): FastifyReply =>
    reply
      .code(code)
      .header('etag', `"${e.version}"`)
      .send({
        status: 'success',
        data: { ...dashboardSummaryJson(e), dashboard: e.dashboard ?? null, ...extra },
      });
  const mustGet = (uid: string): DashboardEntry => {
    const e = store.get(uid);
    if (!e) throw new AppError('not_found', `no dashboard with uid ${JSON.stringify(uid)}`);
    return e;
  };

  app.get(PREFIX, (_req, reply) =>
    reply.send({ status: 'success', data: store.list().map(dashboardSummaryJson) }),
  );

  app.get(`${PREFIX}/:uid`, (req, reply) => {
    try {
      return one(reply, mustGet(uidOf(req)));
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.get(`${PREFIX}/:uid/export`, (req, reply) => {
    try {
      const e = mustGet(uidOf(req));
      if (!e.dashboard)
        throw new AppError('conflict', `dashboard file ${e.file} has an error: ${e.error ?? 'unknown'}`);
      return reply
        .header('etag', `"${e.version}"`)
        .header('content-disposition', `attachment; filename="${e.uid}.json"`)
        .send(e.dashboard);
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.post(PREFIX, async (req, reply) => {
    try {
      const format = formatOf(req);
      const e = await store.create(req.body, format === undefined ? {} : { format });
      return one(reply, e, 201);
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.put(`${PREFIX}/:uid`, async (req, reply) => {
    try {
      return one(reply, await store.update(uidOf(req), req.body, ifMatch(req)));
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.delete(`${PREFIX}/:uid`, async (req, reply) => {
    try {
      const uid = uidOf(req);
      await store.delete(uid, ifMatch(req));
      return await reply.send({ status: 'success', data: { uid } });
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.post(`${PREFIX}/import`, async (req, reply) => {
    try {
      const { overwrite } = req.query as { overwrite?: string };
      const format = formatOf(req);
      let value: unknown = req.body;
      let notConverted: readonly string[] = [];
      let source: 'kanshi' | 'grafana' = 'kanshi';
      if (isGrafanaDashboard(value)) {
        const c = convertGrafanaDashboard(value);
        value = c.dashboard;
        notConverted = c.notConverted;
        source = 'grafana';
        const r = parseDashboard(value);
        if (!r.ok)
          throw new AppError('bad_input', `grafana dashboard not importable: ${issuesMessage(r.issues)}`);
      }
      const e = await store.create(value, {
        ...(format === undefined ? {} : { format }),
        overwrite: overwrite === 'true' || overwrite === '1',
      });
      return one(reply, e, 201, { source, not_converted: notConverted });
    } catch (err) {
      return fail(reply, err);
    }
  });
}

function uidOf(req: FastifyRequest): string {
  return (req.params as { uid: string }).uid;
}

function formatOf(req: FastifyRequest): DashboardFormat | undefined {
  const { format } = req.query as { format?: string };
  if (format === undefined || format === '') return undefined;
  if (format === 'yaml' || format === 'json') return format;
  throw new AppError('bad_input', `format must be yaml or json, got ${JSON.stringify(format)}`);
}

/** The version of `If-Match: "abc"` (quotes and a weak `W/` prefix dropped); undefined without one. */
function ifMatch(req: FastifyRequest): string | undefined {
  const h = req.headers['if-match'];
  if (typeof h !== 'string' || h.trim() === '' || h.trim() === '*') return undefined;
  return h.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
}
