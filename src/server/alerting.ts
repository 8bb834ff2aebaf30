import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../base/clock.js';
import { AppError, errorMessage } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import { KANSHI_VERSION } from '../base/version.js';
import type { Registry } from '../exposition/registry.js';
import {
  notificationsConfig,
  receiverGlobals,
  type InhibitRuleConfig,
  type NotificationsConfig,
} from '../notify/config.js';
import { DeliveryQueue, type QueueIntegration } from '../notify/delivery/delivery-queue.js';
import { parseMatchers } from '../notify/matchers.js';
import { NotificationPipeline } from '../notify/pipeline.js';
import { buildIntegrations } from '../notify/receivers/build-integrations.js';
import { TemplateSet } from '../notify/receivers/template-set.js';
import { Silences } from '../notify/silences/silences.js';
import type { NotifyFn } from '../rules/group.js';
import type { MonitorsConfig } from '../rules/monitors/config.js';
import { Monitors } from '../rules/monitors/monitors.js';
import { monitorOnlyEvents } from '../rules/monitors/monitor-alert.js';
import type { InhibitRuleConfig as MonitorInhibitRule } from '../rules/monitors/threshold.js';
import type { RuleGroupConfig } from '../rules/rule-file.js';
import type { Labels } from '../model/labels.js';
import { registerHistoryApi } from './api/history.js';
import {
  heartbeatOnRemoteWrite,
  monitoredCheckResults,
  pipelineNotifyFn,
  registerMonitorApi,
  toAlertInput,
} from './api/monitors.js';
import { registerAlertmanagerApi, type AlertsView } from './api/v2/index.js';
import type { CheckResultStore } from './ingest/check-results.js';
import { openMetadataStore, type MetadataStore } from './metadata/metadata-store.js';
import { expandRuleFiles } from './reload.js';

/**
 * Alerting inside the server, composed in one place: the metadata store (alert timelines and check
 * history in SQLite), silences and maintenance windows, the check/heartbeat/threshold monitors, the
 * notification pipeline (Alertmanager's model) with its persistent delivery queue, and their HTTP
 * APIs (Alertmanager v2, history, monitors).
 *
 * Two phases, because routes must exist before the server listens while the external URL (put into
 * every notification) is known only after: {@link openAlerting} opens the stores and registers the
 * routes; {@link Alerting.start} starts the pipeline and the loops once the URL is known. Files live
 * under `<data_dir>`: `kanshi.db`, `silences.json`, `monitors/`, `notify/queue/`, `notify/nflog.json`.
 */

/** What {@link openAlerting} needs. */
export interface AlertingOptions {
  readonly app: FastifyInstance;
  /** The data directory, absolute. */
  readonly dataDir: string;
  /** The folder of kanshi.yml: template globs and receivers' `*_file` paths resolve against it. */
  readonly configDir: string;
  /** The parsed `notifications:` section; undefined = one receiver that sends nowhere. */
  readonly notifications: NotificationsConfig | undefined;
  readonly monitors: MonitorsConfig;
  /** Global rule evaluation interval, ms (the threshold monitors' group). */
  readonly evaluationIntervalMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Environment inherited by exec receivers (the composition root passes process.env). */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
}

/** Alerting, opened; see the module comment. */
export interface Alerting {
  /** The check-result store to hand to both ingest paths: SQLite history that also feeds the monitors. */
  readonly checkResults: CheckResultStore;
  /** Rule groups the monitors add to the rule files' (threshold monitors, the watchdog). */
  readonly ruleGroups: readonly RuleGroupConfig[];
  /** The alerting rules' notify callback (alerts reach the pipeline once {@link start} ran). */
  readonly notifyRules: NotifyFn;
  /** Called by the remote_write receiver after a committed request (heartbeat of metric-only agents). */
  readonly onRemoteWrite: (series: Iterable<Labels>, userAgent: string | undefined) => void;
  readonly metadata: MetadataStore;
  readonly silences: Silences;
  readonly monitors: Monitors;
  /** Starts the delivery queue, the pipeline and the background loops. Call once, after listen. */
  start(externalURL: string): Promise<void>;
  /** Applies a reloaded `notifications:` section (templates re-read); rejects, changing nothing, when invalid. */
  applyNotifications(config: NotificationsConfig | undefined): Promise<void>;
  /** Stops loops, pipeline and queue, writes snapshots, closes the metadata store. Call after the HTTP server closed. */
  close(): Promise<void>;
}

/** The `notifications:` section Kanshi runs with when kanshi.yml has none. */
export const DEFAULT_NOTIFICATIONS: NotificationsConfig = notificationsConfig.parse({
  route: { receiver: 'default' },
  receivers: [{ name: 'default' }],
});

interface Effective {
  readonly config: NotificationsConfig;
  readonly integrations: ReadonlyMap<string, readonly QueueIntegration[]>;
}

/** Opens the stores and monitors and registers the alerting routes on `options.app`. */
export async function openAlerting(options: AlertingOptions): Promise<Alerting> {
  const { clock, logger, registry, dataDir } = options;
  const log = logger.child({ component: 'alerting' });
  const monitorInhibits = (m: Monitors): InhibitRuleConfig[] => m.inhibitRules.map(toInhibitRule);

  const metadata = openMetadataStore(dataDir, { clock, logger });
  let silences: Silences | undefined;
  let monitors: Monitors | undefined;
  try {
    silences = await Silences.open({
      clock,
      logger,
      registry,
      snapshotPath: path.join(dataDir, 'silences.json'),
    });
    let pipeline: NotificationPipeline | undefined;
    const putToPipeline = (p: NotificationPipeline): ReturnType<typeof pipelineNotifyFn> =>
      pipelineNotifyFn(p, log);
    monitors = await Monitors.open({
      config: options.monitors,
      stateDir: path.join(dataDir, 'monitors'),
      clock,
      logger,
      registry,
      // The pipeline records opened/resolved itself; the monitors add acknowledged, closed, level changes.
      history: monitorOnlyEvents(metadata.alertHistory),
      thresholdIntervalMs: options.evaluationIntervalMs,
      notify: (alerts, reason) => {
        if (pipeline) putToPipeline(pipeline)(alerts, reason);
      },
    });
    const openedMonitors = monitors;
    const openedSilences = silences;
    let effective = await buildEffective(options.notifications, openedMonitors, options, monitorInhibits);
    let queue: DeliveryQueue | undefined;
    let configYaml = '';
    const loops = new AbortController();
    let running: Promise<unknown> | undefined;

    const alertsView: AlertsView = {
      alerts: (filter) => pipeline?.alerts(filter) ?? [],
      alertGroups: (filter) => pipeline?.alertGroups(filter) ?? [],
      put: (alerts) => {
        if (!pipeline) throw new AppError('unavailable', 'the notification pipeline is starting');
        return pipeline.put(alerts);
      },
    };
    registerAlertmanagerApi(options.app, {
      silences: openedSilences,
      alerts: alertsView,
      receivers: () => effective.config.receivers.map((r) => r.name),
      configYaml: () => configYaml,
      startTimeMs: clock.now(),
      versionInfo: {
        version: KANSHI_VERSION,
        revision: '',
        branch: '',
        buildUser: '',
        buildDate: '',
        goVersion: `node ${process.version}`,
      },
      clock,
    });
    registerHistoryApi(options.app, { alerts: metadata.alertHistory, checks: metadata.checkResults, clock });
    registerMonitorApi(options.app, { checks: openedMonitors.checks, heartbeat: openedMonitors.heartbeat });

    const checkResults = monitoredCheckResults(metadata.checkResults, {
      checks: openedMonitors.checks,
      heartbeat: openedMonitors.heartbeat,
      onError: (err) => log.error({ err: errorMessage(err) }, 'check monitors failed on a result'),
    });
    const onHeartbeat = openedMonitors.heartbeat
      ? heartbeatOnRemoteWrite(openedMonitors.heartbeat)
      : (): void => undefined;

    return {
      checkResults,
      ruleGroups: openedMonitors.ruleGroups,
      metadata,
      silences: openedSilences,
      monitors: openedMonitors,
      onRemoteWrite: onHeartbeat,
      notifyRules: (_expr, alerts) => {
        if (!pipeline) return;
        const invalid = pipeline.put(alerts.map(toAlertInput));
        for (const x of invalid)
          log.error({ labels: x.labels, reason: x.reason }, 'pipeline refused a rule alert');
      },
      start: async (externalURL) => {
        queue = DeliveryQueue.open({
          dir: path.join(dataDir, 'notify', 'queue'),
          integrations: (receiver) => effective.integrations.get(receiver),
          clock,
          logger,
          registry,
          history: metadata.alertHistory,
        });
        pipeline = await NotificationPipeline.open({
          config: effective.config,
          silencer: openedSilences,
          sink: queue,
          clock,
          logger,
          registry,
          history: metadata.alertHistory,
          externalURL,
          notificationLogPath: path.join(dataDir, 'notify', 'nflog.json'),
        });
        configYaml = describeConfig(effective.config);
        running = Promise.all([
          openedSilences.run(loops.signal),
          openedMonitors.run(loops.signal),
          metadata.run(loops.signal),
        ]);
      },
      applyNotifications: async (config) => {
        const next = await buildEffective(config, openedMonitors, options, monitorInhibits);
        effective = next;
        configYaml = describeConfig(next.config);
        await pipeline?.applyConfig(next.config);
      },
      close: async () => {
        loops.abort();
        await running;
        await openedMonitors.close();
        await pipeline?.close();
        await queue?.close();
        await openedSilences.close();
        metadata.close();
      },
    };
  } catch (e) {
    await monitors?.close();
    await silences?.close();
    metadata.close();
    throw e;
  }
}

/** The configuration the pipeline runs: the section (or the default) plus the monitors' inhibit rules, and its integrations. */
async function buildEffective(
  section: NotificationsConfig | undefined,
  monitors: Monitors,
  options: AlertingOptions,
  monitorInhibits: (m: Monitors) => InhibitRuleConfig[],
): Promise<Effective> {
  const base = section ?? DEFAULT_NOTIFICATIONS;
  const config: NotificationsConfig = {
    ...base,
    inhibitRules: [...base.inhibitRules, ...monitorInhibits(monitors)],
  };
  const templates = await loadTemplates(base.templates, options.configDir);
  const integrations = new Map<string, QueueIntegration[]>();
  for (const receiver of base.receivers) {
    integrations.set(
      receiver.name,
      buildIntegrations(receiver, {
        globals: receiverGlobals(base.global),
        configDir: options.configDir,
        templates,
        ...(options.baseEnv ? { baseEnv: options.baseEnv } : {}),
      }),
    );
  }
  return { config, integrations };
}

/** Reads the `templates:` globs (relative to the config folder) into one set. */
async function loadTemplates(patterns: readonly string[], configDir: string): Promise<TemplateSet> {
  if (patterns.length === 0) return TemplateSet.defaults;
  const files = await expandRuleFiles(patterns, configDir);
  const texts = await Promise.all(
    files.map(async (f) => {
      try {
        return { name: f, text: await readFile(f, 'utf8') };
      } catch (e) {
        throw new AppError('bad_input', `notifications.templates: read ${f}: ${errorMessage(e)}`, {
          cause: e,
        });
      }
    }),
  );
  return TemplateSet.parse(texts);
}

/** An inhibit rule in Alertmanager's YAML syntax (what the monitors produce) as the pipeline's. */
function toInhibitRule(r: MonitorInhibitRule): InhibitRuleConfig {
  return {
    sourceMatchers: r.source_matchers.flatMap((m) => parseMatchers(m)),
    targetMatchers: r.target_matchers.flatMap((m) => parseMatchers(m)),
    equal: r.equal,
  };
}

/** `config.original` of `/api/v2/status`: the receivers and routes in brief (secrets are never shown). */
function describeConfig(config: NotificationsConfig): string {
  const receivers = config.receivers.map((r) => `  - name: ${JSON.stringify(r.name)}`).join('\n');
  return `route:\n  receiver: ${JSON.stringify(config.route.receiver ?? '')}\nreceivers:\n${receivers}\n`;
}
