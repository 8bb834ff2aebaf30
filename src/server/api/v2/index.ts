import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { systemClock, type Clock } from '../../../base/clock.js';
import { AppError, errorMessage } from '../../../base/errors.js';
import { labelNameRe } from '../../../model/labels.js';
import { translateRe2 } from '../../../promql/parser/regex.js';
import {
  compileMatcher,
  matchesLabelSet,
  parseMatchers,
  type CompiledMatcher,
  type SilenceMatcher,
} from '../../../notify/silences/matcher.js';
import type { Silences } from '../../../notify/silences/silences.js';
import type { LabelSet } from '../../../notify/types.js';
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

/** An alert as the API lists it (`GettableAlert`), times in ms since the epoch. */
export interface ApiAlert {
  readonly fingerprint: string;
  readonly labels: LabelSet;
  readonly annotations: LabelSet;
  readonly startsAtMs: number;
  readonly endsAtMs: number;
  readonly updatedAtMs: number;
  /** Empty when the producer gave none; then left out of the JSON as Alertmanager does. */
  readonly generatorURL: string;
  /** Names of the receivers its routes lead to. */
  readonly receivers: readonly string[];
  /** Alertmanager's alert state: `suppressed` when silenced, inhibited or in maintenance. */
  readonly state: 'unprocessed' | 'active' | 'suppressed';
  /** Silence and maintenance-window ids muting it. */
  readonly silencedBy: readonly string[];
  /** Fingerprints of alerts inhibiting it. */
  readonly inhibitedBy: readonly string[];
}

/** An aggregation group (`AlertGroup`). */
export interface ApiAlertGroup {
  readonly labels: LabelSet;
  readonly receiver: string;
  readonly alerts: readonly ApiAlert[];
}

/** An alert posted by a client, checked by the API. Absent times are the pipeline's to fill. */
export interface PostedAlert {
  readonly labels: LabelSet;
  readonly annotations: LabelSet;
  /** Alertmanager's default when absent: `endsAt` if given, else the time of receipt. */
  readonly startsAtMs: number;
  /** Absent: the pipeline adds `resolve_timeout`. */
  readonly endsAtMs?: number;
  readonly generatorURL: string;
}

/**
 * What the API needs of the notification pipeline (the alert store and dispatcher). Implementations
 * are synchronous views of in-memory state; `put` may throw AppError `bad_input` or `limit`.
 */
export interface AlertsView {
  /** Every alert the pipeline holds, resolved ones included (the API drops those). */
  list(): readonly ApiAlert[];
  /** The dispatcher's aggregation groups. */
  groups(): readonly ApiAlertGroup[];
  /** Takes in posted alerts, as Alertmanager's `POST /api/v2/alerts`. */
  put(alerts: readonly PostedAlert[]): void;
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

/** Registers the API v2 routes and Kanshi's maintenance-window routes on `app`. */
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

  app.get('/api/v2/alerts', (req) => {
    const keep = alertFilter(req.query);
    const now = clock.now();
    return deps.alerts
      .list()
      .filter((a) => a.endsAtMs >= now && keep(a))
      .map(encodeAlert);
  });

  app.get('/api/v2/alerts/groups', (req) => {
    const keep = alertFilter(req.query);
    const now = clock.now();
    const out: Record<string, unknown>[] = [];
    for (const g of deps.alerts.groups()) {
      const alerts = g.alerts.filter((a) => a.endsAtMs >= now && keep(a));
      if (alerts.length === 0) continue;
      out.push({ alerts: alerts.map(encodeAlert), labels: g.labels, receiver: { name: g.receiver } });
    }
    return out;
  });

  app.post('/api/v2/alerts', (req, reply) => {
    if (!Array.isArray(req.body)) {
      throw new SwaggerError(
        400,
        400,
        'parsing alerts body from "" failed, because the body is not a JSON array',
      );
    }
    const now = clock.now();
    const errors: string[] = [];
    const posted: PostedAlert[] = [];
    for (const [i, item] of (req.body as unknown[]).entries()) {
      const a = bodyObject(item, 'alerts');
      const labels = labelSetField(a, 'labels', `${i}.labels`);
      if (labels === undefined) throw new SwaggerError(422, 602, `${i}.labels in body is required`);
      const annotations = labelSetField(a, 'annotations', `${i}.annotations`) ?? {};
      const startsAt = dateTimeField(a, 'startsAt', `${i}.startsAt`, false);
      const endsAt = dateTimeField(a, 'endsAt', `${i}.endsAt`, false);
      const generatorURL = optionalString(a, 'generatorURL', `${i}.generatorURL`) ?? '';
      const problem = validateAlert(labels, startsAt, endsAt);
      if (problem !== undefined) {
        errors.push(problem);
        continue;
      }
      posted.push({
        labels,
        annotations,
        startsAtMs: startsAt ?? endsAt ?? now,
        ...(endsAt !== undefined ? { endsAtMs: endsAt } : {}),
        generatorURL,
      });
    }
    // Alertmanager keeps the valid alerts of a batch and reports the others.
    if (posted.length > 0) deps.alerts.put(posted);
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

function encodeAlert(a: ApiAlert): Record<string, unknown> {
  return {
    annotations: a.annotations,
    endsAt: formatDateTime(a.endsAtMs),
    fingerprint: a.fingerprint,
    receivers: a.receivers.map((name) => ({ name })),
    startsAt: formatDateTime(a.startsAtMs),
    status: { inhibitedBy: [...a.inhibitedBy], silencedBy: [...a.silencedBy], state: a.state },
    updatedAt: formatDateTime(a.updatedAtMs),
    ...(a.generatorURL !== '' ? { generatorURL: a.generatorURL } : {}),
    labels: a.labels,
  };
}

/** The `active`/`silenced`/`inhibited`/`unprocessed`/`receiver`/`filter` parameters as a predicate. */
function alertFilter(query: unknown): (a: ApiAlert) => boolean {
  const flag = (name: string): boolean => {
    const v = queryList(query, name)[0];
    return v === undefined ? true : goBool(v);
  };
  const active = flag('active');
  const silenced = flag('silenced');
  const inhibited = flag('inhibited');
  const unprocessed = flag('unprocessed');
  const receiverParam = queryList(query, 'receiver')[0];
  let receiver: RegExp | undefined;
  if (receiverParam !== undefined && receiverParam !== '') {
    try {
      receiver = new RegExp(`^(?:${translateRe2(receiverParam)})$`, 'su');
    } catch (err) {
      throw new AppError('bad_input', `failed to parse receiver param: ${errorMessage(err)}`, { cause: err });
    }
  }
  const matchers: CompiledMatcher[] = parseMatchers(queryList(query, 'filter')).map((m: SilenceMatcher, i) =>
    compileMatcher(m, `filter[${i}]`, { allowAnyName: true }),
  );
  return (a) => {
    if (receiver !== undefined && !a.receivers.some((r) => receiver.test(r))) return false;
    if (!active && a.state === 'active') return false;
    if (!unprocessed && a.state === 'unprocessed') return false;
    if (!silenced && a.silencedBy.length > 0) return false;
    if (!inhibited && a.inhibitedBy.length > 0) return false;
    return matchesLabelSet(a.labels, matchers);
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
