import type { FastifyInstance } from 'fastify';
import type { Clock } from '../base/clock.js';
import type { Logger } from '../base/logger.js';
import { Registry } from '../exposition/registry.js';
import { MemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import type { ServerConfig } from './config/schema.js';
import { createHttpApp } from './http/app.js';
import {
  MemoryCheckResultStore,
  registerCheckResults,
  type CheckResultStore,
} from './ingest/check-results.js';
import { registerRemoteWrite } from './ingest/remote-write.js';
import { registerChecksApi } from './api/checks.js';

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
  /** The store; default an in-memory one. */
  storage?: Storage;
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
  const storage = options.storage ?? new MemoryStorage();
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
  await options.configure?.(app);

  const { host, port } = splitHostPort(options.config.listen);
  await app.listen({ host, port });
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
  isReady = true;
  log.info({ url }, 'listening');

  return {
    app,
    storage,
    registry,
    checkResults,
    url,
    close: async () => {
      isReady = false;
      await app.close();
      await storage.close();
      log.info({}, 'stopped');
    },
  };
}

/** Kanshi's version, as `kanshi --version` prints it. */
export const KANSHI_VERSION = '0.1.0';

/** `127.0.0.1:9800` → { host, port }; `[::1]:9800` too. */
export function splitHostPort(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen);
  if (!m) return { host: '127.0.0.1', port: 9800 };
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port: Number(m[3]) };
}
