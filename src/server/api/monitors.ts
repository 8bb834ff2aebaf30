import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError, errorMessage } from '../../base/errors.js';
import type { Logger } from '../../base/logger.js';
import type { CheckReportResponse, CheckReportResult } from '../../model/check-report.js';
import type { Labels } from '../../model/labels.js';
import type { AlertInput } from '../../notify/alert-store.js';
import { fingerprint } from '../../notify/label-set.js';
import type { NotificationPipeline } from '../../notify/pipeline.js';
import type { NotifierAlert } from '../../rules/group.js';
import type { CheckMonitor } from '../../rules/monitors/check-monitor.js';
import { agentHostsOfSeries, type HeartbeatMonitor } from '../../rules/monitors/heartbeat.js';
import type { MonitorAlertView, MonitorNotifyFn } from '../../rules/monitors/monitor-alert.js';
import type { CheckResultStore, StoredCheckResult } from '../ingest/check-results.js';
import { statusForCode } from '../http/app.js';

/**
 * Kanshi's API for check and heartbeat alerts (docs/monitors.md), in the envelope of Kanshi's other
 * APIs (`{status: "success", data}` / `{status: "error", errorType, error}`):
 *
 * - `GET  /api/kanshi/v1/monitors/alerts[?host=H][&source=check|heartbeat]` — the open alerts.
 * - `POST /api/kanshi/v1/monitors/alerts/{id}/acknowledge` `{by, comment?}` — stop re-notifications.
 * - `POST /api/kanshi/v1/monitors/alerts/{id}/close` `{by, comment?}` — close a check alert by hand.
 * - `DELETE /api/kanshi/v1/hosts/{host}[?by=NAME]` — forget a host removed on purpose.
 *
 * 400 for a malformed id or body, 404 for no such open alert or host, 409 for a second
 * acknowledgement or closing a heartbeat alert.
 */

/** What the monitor API drives; the monitors are owned (loaded, run, flushed) by the server. */
export interface MonitorApiDeps {
  readonly checks: Pick<CheckMonitor, 'alerts' | 'get' | 'acknowledge' | 'close' | 'forgetHost'>;
  /** Absent when the heartbeat is disabled. */
  readonly heartbeat?: Pick<HeartbeatMonitor, 'alerts' | 'get' | 'acknowledge' | 'forget'> | undefined;
}

/** An open alert as the API returns it: snake_case, times in ms since the epoch. */
export interface MonitorAlertJson {
  readonly id: string;
  readonly source: 'check' | 'heartbeat';
  readonly host: string;
  readonly check?: string;
  readonly severity: string;
  readonly status: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly opened_at: number;
  readonly level_changed_at: number;
  readonly last_notified_at: number;
  readonly acknowledged: { readonly by: string; readonly comment: string; readonly at: number } | null;
  readonly recovered_at: number | null;
  readonly prevent_alert_auto_close: boolean;
}

/** The JSON form of a {@link MonitorAlertView}. */
export function monitorAlertJson(v: MonitorAlertView): MonitorAlertJson {
  return {
    id: v.id,
    source: v.source,
    host: v.host,
    ...(v.check === undefined ? {} : { check: v.check }),
    severity: v.severity,
    status: v.status,
    labels: v.labels,
    annotations: v.annotations,
    opened_at: v.openedAtMs,
    level_changed_at: v.levelChangedAtMs,
    last_notified_at: v.lastNotifiedAtMs,
    acknowledged: v.acknowledged && {
      by: v.acknowledged.by,
      comment: v.acknowledged.comment,
      at: v.acknowledged.atMs,
    },
    recovered_at: v.recoveredAtMs,
    prevent_alert_auto_close: v.preventAutoClose,
  };
}

const ID_RE = /^[0-9a-f]{16}$/;
const MAX_TEXT = 4096;

/** Mounts the routes above on `app`. */
export function registerMonitorApi(app: FastifyInstance, deps: MonitorApiDeps): void {
  const fail = (reply: FastifyReply, err: unknown): FastifyReply => {
    if (err instanceof AppError)
      return reply
        .code(statusForCode[err.code])
        .send({ status: 'error', errorType: err.code, error: err.message });
    throw err;
  };

  app.get('/api/kanshi/v1/monitors/alerts', (req, reply) => {
    const { host, source } = req.query as { host?: string; source?: string };
    if (source !== undefined && source !== 'check' && source !== 'heartbeat')
      return fail(
        reply,
        new AppError('bad_input', `source must be check or heartbeat, got ${JSON.stringify(source)}`),
      );
    const all = [
      ...(source === 'heartbeat' ? [] : deps.checks.alerts()),
      ...(source === 'check' ? [] : (deps.heartbeat?.alerts() ?? [])),
    ]
      .filter((a) => host === undefined || host === '' || a.host === host)
      .sort((a, b) => a.openedAtMs - b.openedAtMs || (a.id < b.id ? -1 : 1));
    return reply.send({ status: 'success', data: all.map(monitorAlertJson) });
  });

  const action = (verb: 'acknowledge' | 'close'): void => {
    app.post(`/api/kanshi/v1/monitors/alerts/:id/${verb}`, async (req, reply) => {
      const { id } = req.params as { id: string };
      try {
        if (!ID_RE.test(id))
          throw new AppError(
            'bad_input',
            `alert id must be 16 lowercase hex digits, got ${JSON.stringify(id)}`,
          );
        const { by, comment } = readActor(req.body, verb);
        let view: MonitorAlertView;
        if (deps.checks.get(id)) {
          view =
            verb === 'acknowledge'
              ? await deps.checks.acknowledge(id, by, comment)
              : await deps.checks.close(id, by, comment);
        } else if (deps.heartbeat?.get(id)) {
          if (verb === 'close')
            throw new AppError(
              'conflict',
              `alert "${id}" is a heartbeat alert: it closes when host "${deps.heartbeat.get(id)?.host}" reports again, or when the host is forgotten (DELETE /api/kanshi/v1/hosts/{host})`,
            );
          view = await deps.heartbeat.acknowledge(id, by, comment);
        } else throw new AppError('not_found', `no open alert with id "${id}"`);
        return await reply.send({ status: 'success', data: monitorAlertJson(view) });
      } catch (err) {
        return fail(reply, err);
      }
    });
  };
  action('acknowledge');
  action('close');

  app.delete('/api/kanshi/v1/hosts/:host', async (req, reply) => {
    const { host } = req.params as { host: string };
    const { by } = req.query as { by?: string };
    try {
      const actor = by === undefined || by === '' ? 'api' : by;
      const checks = await deps.checks.forgetHost(host, actor);
      const heartbeat = (await deps.heartbeat?.forget(host, actor)) ?? false;
      if (checks === 0 && !heartbeat)
        throw new AppError('not_found', `no known host ${JSON.stringify(host)}`);
      return await reply.send({ status: 'success', data: { host, checks_forgotten: checks, heartbeat } });
    } catch (err) {
      return fail(reply, err);
    }
  });
}

function readActor(body: unknown, verb: string): { by: string; comment: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new AppError('bad_input', `${verb} needs a JSON body {"by": "<who>", "comment": "<why>"}`);
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b))
    if (k !== 'by' && k !== 'comment') throw new AppError('bad_input', `unknown field "${k}" in the body`);
  if (typeof b.by !== 'string' || b.by.trim() === '')
    throw new AppError(
      'bad_input',
      `by: must be a non-empty string naming who does it, got ${JSON.stringify(b.by)}`,
    );
  if (b.comment !== undefined && typeof b.comment !== 'string')
    throw new AppError('bad_input', `comment: must be a string, got ${JSON.stringify(b.comment)}`);
  const comment = b.comment ?? '';
  if (b.by.length > MAX_TEXT || comment.length > MAX_TEXT)
    throw new AppError('bad_input', `by and comment must be at most ${MAX_TEXT} characters`);
  return { by: b.by, comment };
}

/** Options of {@link monitoredCheckResults}. */
export interface MonitoredCheckResultsOptions {
  readonly checks?: Pick<CheckMonitor, 'observe'> | undefined;
  readonly heartbeat?: Pick<HeartbeatMonitor, 'seen'> | undefined;
  /** Told when a monitor fails; the put itself still succeeds. */
  readonly onError?: (err: unknown) => void;
}

/**
 * A {@link CheckResultStore} that also feeds the monitors: after `inner.put` stores a batch, the host
 * counts as seen by the heartbeat and the results go to the check monitor (which ignores replays).
 * Wrap the server's store with it and hand the wrapper to both ingest paths (the HTTP route and the
 * in-process agent's sink).
 */
export function monitoredCheckResults(
  inner: CheckResultStore,
  options: MonitoredCheckResultsOptions,
): CheckResultStore {
  return {
    async put(host: string, results: readonly CheckReportResult[]): Promise<CheckReportResponse> {
      const response = await inner.put(host, results);
      try {
        options.heartbeat?.seen(host);
        await options.checks?.observe(host, results);
      } catch (err) {
        options.onError?.(new AppError('internal', `check monitors: ${errorMessage(err)}`, { cause: err }));
      }
      return response;
    },
    latest: (host: string, check: string): Promise<StoredCheckResult | undefined> =>
      inner.latest(host, check),
    list: (host?: string): Promise<StoredCheckResult[]> => inner.list(host),
  };
}

/** An alert in Alertmanager's v2 postable shape as the pipeline's {@link AlertInput} (times in ms). */
export function toAlertInput(a: NotifierAlert): AlertInput {
  return {
    labels: a.labels,
    annotations: a.annotations,
    startsAtMs: Date.parse(a.startsAt),
    endsAtMs: Date.parse(a.endsAt),
    generatorURL: a.generatorURL,
  };
}

/**
 * The monitors' notify callback over the notification pipeline: every hand-over is a `put`, and a
 * `renotify` hand-over (a due `notification_interval`) then asks the pipeline to re-notify those
 * alerts, so the groups holding them are sent at their next tick although the notification log has
 * them (the other reasons rely on the pipeline's deduplication and the route's `repeat_interval`).
 * Alerts the pipeline refuses are logged and not re-notified.
 */
export function pipelineNotifyFn(
  pipeline: Pick<NotificationPipeline, 'put' | 'renotify'>,
  logger: Logger,
): MonitorNotifyFn {
  return (alerts, reason) => {
    const inputs = alerts.map(toAlertInput);
    const invalid = pipeline.put(inputs);
    for (const x of invalid)
      logger.error(
        { labels: x.labels, reason: x.reason, sendReason: reason },
        'pipeline refused a monitor alert',
      );
    if (reason !== 'renotify') return;
    const refused = new Set(invalid.map((x) => x.index));
    // The store drops empty label values before it fingerprints an alert; so must we.
    const fingerprints = inputs.flatMap((a, i) =>
      refused.has(i)
        ? []
        : [fingerprint(Object.fromEntries(Object.entries(a.labels).filter(([, v]) => v !== '')))],
    );
    pipeline.renotify(fingerprints);
  };
}

/**
 * What the remote_write receiver calls after a request is committed, so a Kanshi agent that sends
 * only metrics still counts as reporting: the hosts of its series (`instance` of `job="node"` and
 * `job="kanshi"` series) are seen by the heartbeat. Requests from other senders (User-Agent not
 * `kanshi-agent…`) are ignored: their `instance` labels are scrape targets, not agents.
 */
export function heartbeatOnRemoteWrite(
  heartbeat: Pick<HeartbeatMonitor, 'seen'>,
): (series: Iterable<Labels>, userAgent: string | undefined) => void {
  return (series, userAgent) => {
    if (userAgent === undefined || !userAgent.startsWith('kanshi-agent')) return;
    for (const host of agentHostsOfSeries(series)) heartbeat.seen(host);
  };
}
