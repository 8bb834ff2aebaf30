import Fastify, { type FastifyInstance } from 'fastify';
import { AppError, type ErrorCode } from '../../base/errors.js';
import type { Logger } from '../../base/logger.js';
import type { Registry } from '../../exposition/registry.js';
import { processFamilies } from '../../exposition/process-metrics.js';
import { TEXT_CONTENT_TYPE, writeText } from '../../exposition/write-text.js';

/**
 * The server's HTTP shell: health and readiness endpoints (Prometheus's `/-/healthy`, `/-/ready`
 * and Kubernetes' `/healthz`, `/readyz`), Kanshi's own `/metrics` with RED instruments per route,
 * and the mapping from AppError codes to HTTP statuses. Feature routes are registered by callers.
 */

/** Options of {@link createHttpApp}. */
export interface HttpAppOptions {
  logger: Logger;
  registry: Registry;
  /** Whether the server can serve queries and writes yet (storage open, WAL replayed). */
  isReady: () => boolean;
  /** Largest request body accepted by default, bytes. */
  bodyLimitBytes?: number;
}

/** HTTP status for each failure code. */
export const statusForCode: Record<ErrorCode, number> = {
  bad_input: 400,
  not_found: 404,
  conflict: 409,
  limit: 413,
  unavailable: 503,
  timeout: 503,
  canceled: 499,
  io: 500,
  internal: 500,
};

/** Builds the fastify instance with the shell routes; the caller adds features, then listens. */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimitBytes ?? 16 * 1024 * 1024,
  });
  const requests = options.registry.counter(
    'kanshi_http_requests_total',
    'HTTP requests served, by route, method and status code.',
  );
  const durations = options.registry.histogram(
    'kanshi_http_request_duration_seconds',
    'Time to serve HTTP requests, by route and method.',
  );
  const log = options.logger.child({ component: 'http' });
  const startTimeSeconds = Math.floor(Date.now() / 1000 - process.uptime());
  options.registry.addCollector(() => processFamilies(startTimeSeconds));

  app.addHook('onResponse', (req, reply, done) => {
    // The route pattern, not the URL, keeps the label's cardinality bounded.
    const route = req.routeOptions.url ?? 'unmatched';
    const labels = { route, method: req.method };
    requests.inc({ ...labels, code: String(reply.statusCode) });
    durations.observe(reply.elapsedTime / 1000, labels);
    done();
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    if (err instanceof AppError) {
      void reply
        .code(statusForCode[err.code])
        .send({ status: 'error', errorType: err.code, error: err.message });
      return;
    }
    const e = err as { statusCode?: number; message?: string };
    const code = typeof e.statusCode === 'number' && e.statusCode >= 400 ? e.statusCode : 500;
    if (code >= 500) log.error({ err, url: req.url }, 'request failed');
    void reply.code(code).send({
      status: 'error',
      errorType: code >= 500 ? 'internal' : 'bad_data',
      error: e.message ?? String(err),
    });
  });

  app.setNotFoundHandler((req, reply) => {
    void reply
      .code(404)
      .send({ status: 'error', errorType: 'not_found', error: `no route for ${req.method} ${req.url}` });
  });

  const healthy = (): string => 'Kanshi is Healthy.\n';
  const ready = (_req: unknown, reply: { code: (n: number) => unknown }): string => {
    if (options.isReady()) return 'Kanshi is Ready.\n';
    reply.code(503);
    return 'Service Unavailable\n';
  };
  app.get('/-/healthy', healthy);
  app.get('/healthz', healthy);
  app.get('/-/ready', ready);
  app.get('/readyz', ready);

  app.get('/metrics', (_req, reply) => {
    void reply.header('content-type', TEXT_CONTENT_TYPE);
    return writeText(options.registry.collect());
  });
  return app;
}
