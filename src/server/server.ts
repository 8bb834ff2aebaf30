import type { FastifyInstance, FastifyReply } from 'fastify';
import { availableParallelism } from 'node:os';
import type { Clock } from '../base/clock.js';
import type { Logger } from '../base/logger.js';
import { Registry } from '../exposition/registry.js';
import path from 'node:path';
import { TSDB } from '../tsdb/tsdb.js';
import { formatDuration } from '../base/duration.js';
import { splitHostPort } from '../base/host-port.js';
import { KANSHI_VERSION } from '../base/version.js';
import { Engine } from '../promql/engine/engine.js';
import { queryFnFor } from '../promql/index.js';
import { AppError, errorMessage } from '../base/errors.js';
import { formatDiagnostic, type Diagnostic } from '../config/load-yaml.js';
import { RuleManager, type NotifyFn } from '../rules/group.js';
import type { RuleGroupConfig } from '../rules/rule-file.js';
import { registerPrometheusApi, type TargetDiscovery } from './api/v1/index.js';
import { registerRulesApi } from './api/v1/rules.js';
import { resolveScrapeConfigs, type ScrapePoolConfig } from '../scrape/config.js';
import { loadKanshiConfig } from './config/load.js';
import { serverGlobalSchema, type ServerGlobalConfig } from './config/schema.js';
import { ConfigWatcher, loadRuleFiles } from './reload.js';
import { ScrapeManager, type TargetsView } from '../scrape/manager.js';
import type { Storage } from '../storage/storage.js';
import type { ServerConfig } from './config/schema.js';
import { createHttpApp } from './http/app.js';
import { registerCheckResults, type CheckResultStore } from './ingest/check-results.js';
import type { NotificationsConfig } from '../notify/config.js';
import { monitorsConfig, type MonitorsConfig } from '../rules/monitors/config.js';
import { openAlerting, type Alerting } from './alerting.js';
import { registerRemoteWrite } from './ingest/remote-write.js';
import { registerAdminApi } from './api/admin.js';
import { registerChecksApi } from './api/checks.js';
import { registerHomePage } from './api/home.js';
import { defaultUiDistDir, registerUi } from './ui/register-ui.js';
import { DashboardStore } from './dashboards/store.js';
import { registerDashboardApi } from './api/dashboards.js';

/**
 * The Kanshi server: HTTP edge, ingestion and the store. Built by {@link startServer}, stopped by
 * {@link KanshiServer.close}, which drains HTTP before closing the store.
 */

/** What {@link startServer} needs. */
export interface ServerOptions {
  config: ServerConfig;
  logger: Logger;
  clock: Clock;
  /** The folder relative paths in the config are resolved against. */
  baseDir: string;
  /** The store; default the embedded TSDB in `<data_dir>/tenants/default`. */
  storage?: Storage;
  /** Scrape pools (kanshi.yml `scrape_configs`, resolved); none by default. */
  scrapePools?: readonly ScrapePoolConfig[];
  /** Called with the app before it listens, to add routes (the in-process agent's, tests'). */
  configure?: (app: FastifyInstance) => void | Promise<void>;
  /**
   * kanshi.yml (absolute, or relative to `baseDir`). When set, a reload re-reads its `global`,
   * `scrape_configs` and `rule_files` (the `server:` section needs a restart); without it a reload
   * re-reads the files of {@link ruleFiles}.
   */
  configFile?: string;
  /** The `global:` section: rule evaluation interval and query offset, external labels; defaults when absent. */
  global?: ServerGlobalConfig;
  /** `rule_files` patterns (paths and globs relative to `baseDir`); none by default. */
  ruleFiles?: readonly string[];
  /**
   * Receives the alerts of a rule that need sending (firing, or resolved since last sent). Must not
   * throw. Without it firing alerts are visible through `/api/v1/alerts` and `/api/v1/rules` only.
   */
  notify?: NotifyFn;
  /** kanshi.yml's `notifications:` section; none = alerts are kept and shown, not sent. */
  notifications?: NotificationsConfig;
  /** kanshi.yml's `monitors:` section; its defaults when absent. */
  monitors?: MonitorsConfig;
  /** Folder of the built web UI; default `<package>/dist/ui` (`npm run build`). */
  uiDistDir?: string;
  /** Environment inherited by exec receivers (the composition root passes process.env). */
  baseEnv?: Readonly<Record<string, string | undefined>>;
}

/** A running server. */
export interface KanshiServer {
  readonly app: FastifyInstance;
  readonly storage: Storage;
  readonly registry: Registry;
  /** The latest result of every check of every host. */
  readonly checkResults: CheckResultStore;
  /** The URL it listens on, e.g. http://127.0.0.1:9800. */
  readonly url: string;
  /** The rule groups of `rule_files`, evaluating against {@link storage}. */
  readonly rules: RuleManager;
  /** Silences, monitors, the metadata store and the notification pipeline. */
  readonly alerting: Alerting;
  /**
   * Re-reads the configuration and rule files and applies them (SIGHUP, `POST /-/reload`, a file
   * change). Unchanged rules keep their alerts. Rejects with an AppError naming every problem when
   * anything is invalid; the running configuration then stays as it was. Reloads run one at a time.
   */
  reload(): Promise<void>;
  close(): Promise<void>;
}

/** Fails a reload or start with every problem of the rule files. */
function ruleFileError(diagnostics: readonly Diagnostic[]): AppError {
  return new AppError(
    'bad_input',
    `load rule files: ${diagnostics.map((d) => formatDiagnostic(d)).join('; ')}`,
  );
}

/** The groups with the global evaluation interval and query offset filled in where they set none. */
function withGlobalDefaults(
  groups: readonly RuleGroupConfig[],
  global: ServerGlobalConfig,
): RuleGroupConfig[] {
  return groups.map((g) => ({
    ...g,
    intervalMs: g.intervalMs ?? global.evaluation_interval,
    queryOffsetMs: g.queryOffsetMs ?? global.rule_query_offset,
  }));
}

/** Opens the store, builds the HTTP app and listens on `config.listen`. */
export async function startServer(options: ServerOptions): Promise<KanshiServer> {
  const log = options.logger.child({ component: 'server' });
  let global = options.global ?? serverGlobalSchema.parse({});
  let rulePatterns = options.ruleFiles ?? [];
  // Rule files are checked before the store opens: a bad file at start is an error, as in Prometheus.
  const initialRules = await loadRuleFiles(rulePatterns, options.baseDir);
  if (!initialRules.groups) throw ruleFileError(initialRules.diagnostics);
  let ruleFiles = initialRules.files;
  const registry = new Registry();
  const storage =
    options.storage ??
    (await TSDB.open(
      path.join(path.resolve(options.baseDir, options.config.data_dir), 'tenants', DEFAULT_TENANT),
      {
        retentionMs: options.config.storage.retention,
        maxBytes: options.config.storage.retention_size,
        retention5mMs: options.config.storage.retention_5m,
        retention1hMs: options.config.storage.retention_1h,
        oooWindowMs: options.config.storage.out_of_order_window,
        maxSeries: options.config.storage.max_series,
        walSyncIntervalMs: options.config.storage.wal_sync_interval,
        labelLimits: {
          labelLimit: options.config.storage.label_limit,
          labelNameLengthLimit: options.config.storage.label_name_length_limit,
          labelValueLengthLimit: options.config.storage.label_value_length_limit,
        },
        logger: options.logger.child({ component: 'tsdb', tenant: DEFAULT_TENANT }),
        clock: options.clock,
      },
    ));
  let isReady = false;
  const startMs = options.clock.now();
  const app = createHttpApp({
    logger: options.logger,
    registry,
    isReady: () => isReady,
    bodyLimitBytes: options.config.limits.max_body_bytes,
  });
  if (storage instanceof TSDB) registry.addCollector(() => storage.metricFamilies());
  registry.gauge('kanshi_build_info', 'Kanshi build information.').set(1, { version: KANSHI_VERSION });
  const configFile =
    options.configFile === undefined ? undefined : path.resolve(options.baseDir, options.configFile);
  let alerting: Alerting;
  try {
    alerting = await openAlerting({
      app,
      dataDir: path.resolve(options.baseDir, options.config.data_dir),
      configDir: configFile === undefined ? options.baseDir : path.dirname(configFile),
      notifications: options.notifications,
      monitors: options.monitors ?? monitorsConfig.parse({}),
      evaluationIntervalMs: global.evaluation_interval,
      clock: options.clock,
      logger: options.logger,
      registry,
      ...(options.baseEnv ? { baseEnv: options.baseEnv } : {}),
    });
  } catch (e) {
    await storage.close();
    throw e;
  }
  const checkResults = alerting.checkResults;
  const limits = options.config.limits;
  registerRemoteWrite(app, {
    appendable: storage,
    registry,
    onCommitted: alerting.onRemoteWrite,
    limits: {
      maxBodyBytes: limits.max_body_bytes,
      maxSeriesPerRequest: limits.max_series_per_request,
      maxLabelsPerSeries: limits.max_labels_per_series,
      maxLabelNameLength: limits.max_label_name_length,
      maxLabelValueLength: limits.max_label_value_length,
    },
  });
  registerCheckResults(app, { store: checkResults, maxBodyBytes: limits.max_body_bytes });
  registerChecksApi(app, checkResults);
  if (options.config.enable_admin_api && storage instanceof TSDB) {
    registerAdminApi(app, { tsdb: storage, dataDir: path.resolve(options.baseDir, options.config.data_dir) });
  }
  registerHomePage(app, {
    checks: checkResults,
    version: KANSHI_VERSION,
    seriesCount: async () => {
      const q = storage.querier(options.clock.now() - 3_600_000, options.clock.now());
      try {
        return (await q.select([{ type: '=~', name: '__name__', value: '.+' }])).length;
      } finally {
        q.close();
      }
    },
  });
  const dashboards = new DashboardStore({
    dirs: [
      path.join(path.resolve(options.baseDir, options.config.data_dir), 'dashboards'),
      ...options.config.dashboard_folders.map((d) => path.resolve(options.baseDir, d)),
    ],
    clock: options.clock,
    logger: log.child({ component: 'dashboards' }),
  });
  await dashboards.load();
  registerDashboardApi(app, { store: dashboards });
  // The web UI answers `/` and its client routes; routes registered here take precedence.
  registerUi(app, { distDir: options.uiDistDir ?? defaultUiDistDir(), logger: options.logger });
  // The rule manager starts after listen (the default external URL is the bound address).
  const started: { rules?: RuleManager; watcher?: ConfigWatcher } = {};
  registerRulesApi(app, { groups: () => started.rules?.groups ?? [] });
  const reloadOk = registry.gauge(
    'kanshi_config_last_reload_successful',
    'Whether the last configuration reload attempt was successful.',
  );
  const reloadTime = registry.gauge(
    'kanshi_config_last_reload_success_timestamp_seconds',
    'Timestamp of the last successful configuration reload.',
  );
  let lastReloadOk = true;
  let lastReloadMs = options.clock.now();
  const scraper = new ScrapeManager({
    appendable: storage,
    clock: options.clock,
    logger: options.logger,
    registry,
  });
  await scraper.applyConfig(options.scrapePools ?? []);
  const q = options.config.query;
  const engine = new Engine(storage, {
    lookbackDeltaMs: q.lookback_delta,
    maxSamples: q.max_samples,
    timeoutMs: q.timeout,
  });
  registerPrometheusApi(app, {
    queryable: storage,
    engine,
    registry,
    limits: { queryTimeoutMs: q.timeout, maxConcurrentQueries: q.max_concurrency },
    buildInfo: {
      version: KANSHI_VERSION,
      revision: '',
      branch: '',
      buildUser: '',
      buildDate: '',
      goVersion: `node ${process.version}`,
    },
    flags: {
      'web.listen-address': options.config.listen,
      'storage.tsdb.path': options.config.data_dir,
      'storage.tsdb.retention.time': formatDuration(options.config.storage.retention),
      'query.timeout': formatDuration(q.timeout),
      'query.max-samples': String(q.max_samples),
      'query.max-concurrency': String(q.max_concurrency),
      'query.lookback-delta': formatDuration(q.lookback_delta),
    },
    clock: options.clock,
    targets: () => formatTargets(scraper.targets()),
    runtimeInfo: () => ({
      startTime: new Date(startMs).toISOString(),
      CWD: process.cwd(),
      reloadConfigSuccess: lastReloadOk,
      lastConfigTime: new Date(lastReloadMs).toISOString(),
      corruptionCount: 0,
      goroutineCount: 0,
      GOMAXPROCS: availableParallelism(),
      GOGC: '',
      GODEBUG: '',
      storageRetention: formatDuration(options.config.storage.retention),
    }),
  });

  /** External labels shared with the rule manager; replaced in place by a reload. */
  const externalLabels: Record<string, string> = { ...global.external_labels };
  const applyReload = async (): Promise<void> => {
    let scrapePools: ScrapePoolConfig[] | undefined;
    let nextGlobal = global;
    let nextPatterns = rulePatterns;
    let nextNotifications = options.notifications;
    if (configFile !== undefined) {
      const loaded = await loadKanshiConfig(configFile, options.baseDir);
      if (!loaded.config)
        throw new AppError(
          'bad_input',
          `load config ${configFile}: ${loaded.diagnostics.map((d) => formatDiagnostic(d)).join('; ')}`,
        );
      nextGlobal = loaded.config.global;
      nextPatterns = loaded.config.rule_files;
      nextNotifications = loaded.config.notifications;
      try {
        scrapePools = resolveScrapeConfigs(nextGlobal, loaded.config.scrape_configs, {
          baseDir: loaded.baseDir,
        });
      } catch (e) {
        throw new AppError('bad_input', `load config ${configFile}: ${errorMessage(e)}`, { cause: e });
      }
    }
    const baseDir = configFile === undefined ? options.baseDir : path.dirname(configFile);
    const loadedRules = await loadRuleFiles(nextPatterns, baseDir);
    if (!loadedRules.groups) throw ruleFileError(loadedRules.diagnostics);
    // Applied first: a receiver or template that fails to build rejects the reload before anything changed.
    await alerting.applyNotifications(nextNotifications);
    if (scrapePools) await scraper.applyConfig(scrapePools);
    global = nextGlobal;
    rulePatterns = nextPatterns;
    ruleFiles = loadedRules.files;
    for (const k of Object.keys(externalLabels)) delete externalLabels[k];
    Object.assign(externalLabels, global.external_labels);
    await started.rules?.applyConfig([
      ...withGlobalDefaults(loadedRules.groups, global),
      ...alerting.ruleGroups,
    ]);
  };
  // Reloads wait for the rule manager, which starts once the URL (the default external URL) is known.
  let rulesStarted = (): void => {};
  let reloading = new Promise<void>((resolve) => {
    rulesStarted = resolve;
  });
  const reload = (): Promise<void> => {
    const run = reloading.then(async () => {
      const fp = await started.watcher?.snapshot();
      try {
        await applyReload();
        lastReloadOk = true;
        lastReloadMs = options.clock.now();
        reloadOk.set(1);
        reloadTime.set(lastReloadMs / 1000);
        log.info({ ruleFiles: ruleFiles.length }, 'configuration reloaded');
        // The files now applied are the watcher's new baseline (and new rule folders get watched).
        if (fp !== undefined) started.watcher?.rebase(fp);
      } catch (e) {
        lastReloadOk = false;
        reloadOk.set(0);
        log.error({ err: errorMessage(e) }, 'configuration reload failed; keeping the old one');
        throw e;
      }
    });
    reloading = run.catch(() => {});
    return run;
  };
  const reloadRoute = async (_req: unknown, reply: FastifyReply): Promise<string> => {
    if (!options.config.enable_lifecycle) {
      void reply.code(403).header('content-type', 'text/plain; charset=utf-8');
      return 'Lifecycle API is not enabled.';
    }
    try {
      await reload();
      return '';
    } catch (e) {
      void reply.code(500).header('content-type', 'text/plain; charset=utf-8');
      return `failed to reload config: ${errorMessage(e)}`;
    }
  };
  app.post('/-/reload', reloadRoute);
  app.put('/-/reload', reloadRoute);
  await options.configure?.(app);

  const { host, port } = splitHostPort(options.config.listen);
  await app.listen({ host, port });
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
  const externalURL = (options.config.external_url ?? url).replace(/\/+$/, '');
  await alerting.start(externalURL);
  const ruleManager = new RuleManager(
    {
      queryFn: queryFnFor(engine),
      appendable: storage,
      clock: options.clock,
      externalLabels,
      externalURL,
      defaultIntervalMs: global.evaluation_interval,
      defaultQueryOffsetMs: global.rule_query_offset,
      logger: options.logger.child({ component: 'rules' }),
      notify: options.notify ?? alerting.notifyRules,
    },
    registry,
  );
  await ruleManager.applyConfig([...withGlobalDefaults(initialRules.groups, global), ...alerting.ruleGroups]);
  started.rules = ruleManager;
  rulesStarted();
  reloadOk.set(1);
  reloadTime.set(lastReloadMs / 1000);
  isReady = true;
  log.info({ url }, 'listening');
  const scraping = new AbortController();
  const scrapeRun = scraper.run(scraping.signal);
  const watching = new AbortController();
  const watcher =
    options.config.watch_config && (configFile !== undefined || rulePatterns.length > 0)
      ? new ConfigWatcher({
          clock: options.clock,
          logger: log,
          watchSet: () => ({
            files: configFile === undefined ? ruleFiles : [configFile, ...ruleFiles],
            patterns: rulePatterns
              .map((p) =>
                path.resolve(configFile === undefined ? options.baseDir : path.dirname(configFile), p),
              )
              .filter((p) => /[*?[]/.test(p)),
          }),
          onChange: async () => {
            log.info({}, 'configuration files changed; reloading');
            await reload().catch(() => {}); // logged and counted by reload
          },
        })
      : undefined;
  await watcher?.start();
  if (watcher) started.watcher = watcher;
  const watchRun = watcher?.run(watching.signal);
  const dashboardRun = dashboards.run(watching.signal);

  return {
    app,
    storage,
    registry,
    checkResults,
    url,
    rules: ruleManager,
    alerting,
    reload,
    close: async () => {
      isReady = false;
      watching.abort();
      await watchRun;
      await dashboardRun;
      await reloading;
      await ruleManager.close();
      scraping.abort();
      await scrapeRun; // run() closes the manager when its signal aborts
      await app.close();
      await alerting.close();
      await storage.close();
      log.info({}, 'stopped');
    },
  };
}

/** Targets in the shape of Prometheus's /api/v1/targets. */
function formatTargets(view: TargetsView): TargetDiscovery {
  return {
    activeTargets: view.activeTargets.map((t) => ({
      discoveredLabels: t.discoveredLabels,
      labels: t.labels,
      scrapePool: t.scrapePool,
      scrapeUrl: t.scrapeUrl,
      globalUrl: t.globalUrl,
      lastError: t.lastError,
      lastScrape:
        t.lastScrapeMs === undefined ? '0001-01-01T00:00:00Z' : new Date(t.lastScrapeMs).toISOString(),
      lastScrapeDuration: t.lastScrapeDurationSeconds,
      health: t.health,
      scrapeInterval: formatDuration(t.scrapeIntervalMs),
      scrapeTimeout: formatDuration(t.scrapeTimeoutMs),
    })),
    droppedTargets: view.droppedTargets.map((t) => ({ discoveredLabels: t.discoveredLabels })),
  };
}

/** The tenant of single-user mode: its data lives in `<data_dir>/tenants/default`. */
export const DEFAULT_TENANT = 'default';
