import type { FastifyInstance } from 'fastify';
import type { Clock } from '../base/clock.js';
import type { Logger } from '../base/logger.js';
import { Registry } from '../exposition/registry.js';
import path from 'node:path';
import { TSDB } from '../tsdb/tsdb.js';
import { formatDuration } from '../base/duration.js';
import { splitHostPort } from '../base/host-port.js';
import { KANSHI_VERSION } from '../base/version.js';
import { Engine } from '../promql/engine/engine.js';
import { registerPrometheusApi, type TargetDiscovery } from './api/v1/index.js';
import type { ScrapePoolConfig } from '../scrape/config.js';
import { ScrapeManager, type TargetsView } from '../scrape/manager.js';
import type { Storage } from '../storage/storage.js';
import type { ServerConfig } from './config/schema.js';
import { createHttpApp } from './http/app.js';
import {
  MemoryCheckResultStore,
  registerCheckResults,
  type CheckResultStore,
} from './ingest/check-results.js';
import { registerRemoteWrite } from './ingest/remote-write.js';
import { registerAdminApi } from './api/admin.js';
import { registerChecksApi } from './api/checks.js';
import { registerHomePage } from './api/home.js';

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
  close(): Promise<void>;
}

/** Opens the store, builds the HTTP app and listens on `config.listen`. */
export async function startServer(options: ServerOptions): Promise<KanshiServer> {
  const log = options.logger.child({ component: 'server' });
  const registry = new Registry();
  const storage =
    options.storage ??
    (await TSDB.open(
      path.join(path.resolve(options.baseDir, options.config.data_dir), 'tenants', DEFAULT_TENANT),
      {
        retentionMs: options.config.storage.retention,
        maxBytes: options.config.storage.retention_size,
        oooWindowMs: options.config.storage.out_of_order_window,
        logger: options.logger.child({ component: 'tsdb', tenant: DEFAULT_TENANT }),
        clock: options.clock,
      },
    ));
  let isReady = false;
  const app = createHttpApp({
    logger: options.logger,
    registry,
    isReady: () => isReady,
    bodyLimitBytes: options.config.limits.max_body_bytes,
  });
  registry.gauge('kanshi_build_info', 'Kanshi build information.').set(1, { version: KANSHI_VERSION });
  const checkResults = new MemoryCheckResultStore({ clock: options.clock });
  const limits = options.config.limits;
  registerRemoteWrite(app, {
    appendable: storage,
    registry,
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
  });
  await options.configure?.(app);

  const { host, port } = splitHostPort(options.config.listen);
  await app.listen({ host, port });
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
  isReady = true;
  log.info({ url }, 'listening');
  const scraping = new AbortController();
  const scrapeRun = scraper.run(scraping.signal);

  return {
    app,
    storage,
    registry,
    checkResults,
    url,
    close: async () => {
      isReady = false;
      scraping.abort();
      await scrapeRun; // run() closes the manager when its signal aborts
      await app.close();
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
