import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { systemClock, type Clock } from '../../../base/clock.js';
import { AppError, errorMessage } from '../../../base/errors.js';
import { labelNameRe } from '../../../model/labels.js';
import { translateRe2 } from '../../../promql/parser/regex.js';
import { matcherType, parseMatchers } from '../../../notify/silences/matcher.js';
import type { Silences } from '../../../notify/silences/silences.js';
import type { AlertInput, InvalidAlert } from '../../../notify/alert-store.js';
import type { AlertFilter } from '../../../notify/pipeline.js';
import type { LabelSet } from '../../../notify/types.js';
import type { GettableAlert, GettableAlertGroup } from '../../../notify/views.js';
import { statusForCode } from '../../http/app.js';
import {
  bodyObject,
  dateTimeField,
  encodeSilence,
  formatDateTime,
  labelSetField,
  matchersField,
  optionalString,
  requiredString,
  SwaggerError,
} from './encode.js';
import { registerMaintenanceWindowsApi } from './maintenance-windows.js';

/**
 * Alertmanager's API v2 (0.25, api/v2/openapi.yaml) on Kanshi's server, so amtool, Grafana's
 * Alertmanager data source and Prometheus (as an alert sender) talk to Kanshi unchanged: silences,
 * alerts, alert groups, status and receivers, with Alertmanager's JSON shapes, parameters, statuses
 * and error bodies (a JSON string for handler errors, `{code, message}` for request-shape errors).
 * Kanshi's maintenance windows are served beside it under `/api/kanshi/v1/maintenance-windows`.
 * Differences from Alertmanager are listed in docs/silences.md.
 */

/**
 * What the API needs of the notification pipeline. `NotificationPipeline` (src/notify/pipeline.ts) implements it; tests
 * use a small stand-in. Synchronous views of in-memory state.
 */
export interface AlertsView {
  /** `GET /api/v2/alerts`: unresolved alerts passing `filter`, in Alertmanager's JSON shape. */
  alerts(filter: AlertFilter): readonly GettableAlert[];
  /** `GET /api/v2/alerts/groups`: aggregation groups with their unresolved alerts passing `filter`. */
  alertGroups(filter: AlertFilter): readonly GettableAlertGroup[];
  /** Takes posted alerts; returns the refused ones with Alertmanager's reasons, storing the rest. */
  put(alerts: readonly AlertInput[]): readonly InvalidAlert[];
}

/** `versionInfo` of `GET /api/v2/status`. */
export interface VersionInfo {
  readonly version: string;
  readonly revision: string;
  readonly branch: string;
  readonly buildUser: string;
  readonly buildDate: string;
  readonly goVersion: string;
}

/** Dependencies of {@link registerAlertmanagerApi}; the tenant's own stores. */
export interface AlertmanagerApiDeps {
  readonly silences: Silences;
  readonly alerts: AlertsView;
  /** Receiver names of the notification config. */
  readonly receivers: () => readonly string[];
  /** The notification config as YAML, for `config.original` of the status. */
  readonly configYaml: () => string;
  /** When the server started (`uptime` of the status), ms. */
  readonly startTimeMs: number;
  readonly versionInfo: VersionInfo;
  readonly clock?: Clock;
}

const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Registers the API v2 routes (in their own fastify scope, for Alertmanager's error bodies) and
 * Kanshi's maintenance-window routes on `app`. Call before `app.ready()`/`listen()`. The silences
 * store stays the caller's: it opens it, runs its GC (`silences.run(signal)`) and closes it.
 */
export function registerAlertmanagerApi(app: FastifyInstance, deps: AlertmanagerApiDeps): void {
  const clock = deps.clock ?? systemClock;
  void app.register((scope, _opts, done) => {
    scope.setErrorHandler((err: unknown, _req, reply) => sendError(reply, err));
    routes(scope, deps, clock);
    done();
  });
  registerMaintenanceWindowsApi(app, { silences: deps.silences, clock });
}

function routes(app: FastifyInstance, deps: AlertmanagerApiDeps, clock: Clock): void {
  const { silences } = deps;

  app.get('/api/v2/status', () => ({
    cluster: { peers: [], status: 'disabled' },
    config: { original: deps.configYaml() },
    uptime: formatDateTime(deps.startTimeMs),
    versionInfo: deps.versionInfo,
  }));

  app.get('/api/v2/receivers', () => deps.receivers().map((name) => ({ name })));

  app.get('/api/v2/silences', (req) => {
    const filter = parseMatchers(queryList(req.query, 'filter'));
    const now = clock.now();
    return silences.query(filter).map((s) => encodeSilence(s, now));
  });

  app.post('/api/v2/silences', async (req) => {
    const body = bodyObject(req.body, 'silence');
    const matchers = matchersField(body);
    const startsAtMs = dateTimeField(body, 'startsAt', 'startsAt', true)!;
    const endsAtMs = dateTimeField(body, 'endsAt', 'endsAt', true)!;
    const createdBy = requiredString(body, 'createdBy', 'createdBy');
    const comment = requiredString(body, 'comment', 'comment');
    const id = optionalString(body, 'id', 'id');
    if (startsAtMs >= endsAtMs) {
      throw new AppError('bad_input', 'Failed to create silence: start time must be before end time');
    }
    if (endsAtMs < clock.now()) {
      throw new AppError('bad_input', "Failed to create silence: end time can't be in the past");
    }
    const silenceID = await silences.set({
      ...(id !== undefined && id !== '' ? { id } : {}),
      matchers,
      startsAtMs,
      endsAtMs,
      createdBy,
      comment,
    });
    return { silenceID };
  });

  app.get<{ Params: { id: string } }>('/api/v2/silence/:id', (req, reply) => {
    const id = silenceId(req.params.id);
    const s = silences.get(id);
    if (s === undefined) {
      void reply.code(404).send();
      return reply;
    }
    return encodeSilence(s, clock.now());
  });

  app.delete<{ Params: { id: string } }>('/api/v2/silence/:id', async (req, reply) => {
    const id = silenceId(req.params.id);
    if (silences.get(id) === undefined) {
      // Alertmanager 0.25 answers 500 here, and amtool 0.25 only understands that answer.
      void reply.code(500).type('application/json').send(JSON.stringify('silence not found'));
      return reply;
    }
    await silences.expire(id);
    void reply.code(200).send();
    return reply;
  });

  app.get('/api/v2/alerts', (req) => deps.alerts.alerts(alertFilter(req.query)));

  app.get('/api/v2/alerts/groups', (req) => deps.alerts.alertGroups(alertFilter(req.query)));

  app.post('/api/v2/alerts', (req, reply) => {
    if (!Array.isArray(req.body)) {
      throw new SwaggerError(
        400,
        400,
        'parsing alerts body from "" failed, because the body is not a JSON array',
      );
    }
    const errors: string[] = [];
    const posted: AlertInput[] = [];
    for (const [i, item] of (req.body as unknown[]).entries()) {
      const a = bodyObject(item, 'alerts');
      const labels = labelSetField(a, 'labels', `${i}.labels`);
      if (labels === undefined) throw new SwaggerError(422, 602, `${i}.labels in body is required`);
      const annotations = labelSetField(a, 'annotations', `${i}.annotations`) ?? {};
      const startsAtMs = dateTimeField(a, 'startsAt', `${i}.startsAt`, false);
      const endsAtMs = dateTimeField(a, 'endsAt', `${i}.endsAt`, false);
      const generatorURL = optionalString(a, 'generatorURL', `${i}.generatorURL`) ?? '';
      const problem = validateAlert(labels, startsAtMs, endsAtMs);
      if (problem !== undefined) {
        errors.push(problem);
        continue;
      }
      posted.push({
        labels,
        annotations,
        ...(startsAtMs !== undefined ? { startsAtMs } : {}),
        ...(endsAtMs !== undefined ? { endsAtMs } : {}),
        generatorURL,
      });
    }
    // Alertmanager keeps the valid alerts of a batch and reports the others.
    if (posted.length > 0) errors.push(...deps.alerts.put(posted).map((x) => x.reason));
    if (errors.length > 0) throw new AppError('bad_input', errors.join(';'));
    void reply.code(200).send();
    return reply;
  });
}

function validateAlert(
  labels: LabelSet,
  startsAt: number | undefined,
  endsAt: number | undefined,
): string | undefined {
  const names = Object.keys(labels);
  if (names.length === 0) return 'at least one label pair required';
  for (const n of names) {
    if (!labelNameRe.test(n)) return `invalid label set: invalid name "${n}"`;
  }
  for (const n of names) {
    if (labels[n] === '') return `invalid label set: invalid value "" for label "${n}"`;
  }
  if (startsAt !== undefined && endsAt !== undefined && endsAt < startsAt) {
    return 'start time must be before end time';
  }
  return undefined;
}

/** The `active`/`silenced`/`inhibited`/`unprocessed`/`receiver`/`filter` query parameters. */
function alertFilter(query: unknown): AlertFilter {
  const flag = (name: string): boolean => {
    const v = queryList(query, name)[0];
    return v === undefined ? true : goBool(v);
  };
  const receiver = queryList(query, 'receiver')[0];
  if (receiver !== undefined && receiver !== '') {
    try {
      new RegExp(`^(?:${translateRe2(receiver)})$`, 'su');
    } catch (err) {
      throw new AppError('bad_input', `failed to parse receiver param: ${errorMessage(err)}`, { cause: err });
    }
  }
  return {
    // Regexes stay RE2 as written: the pipeline translates them.
    matchers: parseMatchers(queryList(query, 'filter')).map((m) => ({
      type: matcherType(m),
      name: m.name,
      value: m.value,
    })),
    active: flag('active'),
    silenced: flag('silenced'),
    inhibited: flag('inhibited'),
    unprocessed: flag('unprocessed'),
    ...(receiver !== undefined && receiver !== '' ? { receiver } : {}),
  };
}

/** go-openapi's swag.ConvertBool: these spellings are true, anything else false. */
function goBool(v: string): boolean {
  return ['true', '1', 'yes', 'ok', 'y', 'on', 'selected', 'checked', 't', 'enabled'].includes(
    v.toLowerCase(),
  );
}

/** A repeated query parameter as a list. */
function queryList(query: unknown, name: string): string[] {
  const v = (query as Record<string, unknown> | undefined)?.[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

function silenceId(id: string): string {
  if (!uuidRe.test(id)) throw new SwaggerError(422, 601, `silenceID in path must be of type uuid: "${id}"`);
  return id;
}

/** Alertmanager's error bodies: `{code, message}` for request-shape errors, a JSON string otherwise. */
function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof SwaggerError) {
    return reply.code(err.status).send({ code: err.code, message: err.message });
  }
  if (err instanceof AppError) {
    return reply.code(statusForCode[err.code]).type('application/json').send(JSON.stringify(err.message));
  }
  const fe = err as Partial<FastifyError>;
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return reply.code(fe.statusCode).send({ code: fe.statusCode, message: errorMessage(err) });
  }
  return reply
    .code(500)
    .type('application/json')
    .send(JSON.stringify(errorMessage(err)));
}
