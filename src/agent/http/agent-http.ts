import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../../base/logger.js';
import { errorMessage } from '../../base/errors.js';
import { processFamilies } from '../../exposition/process-metrics.js';
import type { Registry } from '../../exposition/registry.js';
import { TEXT_CONTENT_TYPE, writeText } from '../../exposition/write-text.js';

/**
 * The agent's own HTTP endpoint on node:http: `/metrics` for pull mode plus the health and
 * readiness paths the server shell answers (`/-/healthy`, `/healthz`, `/-/ready`, `/readyz`), with
 * the same RED instruments and 404 envelope. Why not the server's fastify app: the agent serves a
 * handful of GETs, and fastify with its schema compiler was a fifth of the agent's resident memory.
 */

/** Options of {@link AgentHttpServer}. */
export interface AgentHttpOptions {
  logger: Logger;
  /** Read on every /metrics request; the server adds the process_* families to it once. */
  registry: Registry;
  /** Whether /-/ready answers 200. */
  isReady: () => boolean;
}

const ROUTES = ['/metrics', '/-/healthy', '/healthz', '/-/ready', '/readyz'] as const;
type Route = (typeof ROUTES)[number];

/** Serves the agent's endpoints; `listen` once, `close` once. Not safe to share between agents. */
export class AgentHttpServer {
  readonly #o: AgentHttpOptions;
  readonly #server: Server;
  readonly #requests;
  readonly #durations;
  readonly #log: Logger;

  constructor(options: AgentHttpOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'http' });
    this.#requests = options.registry.counter(
      'kanshi_http_requests_total',
      'HTTP requests served, by route, method and status code.',
    );
    this.#durations = options.registry.histogram(
      'kanshi_http_request_duration_seconds',
      'Time to serve HTTP requests, by route and method.',
    );
    const startTimeSeconds = Math.floor(Date.now() / 1000 - process.uptime());
    options.registry.addCollector(() => processFamilies(startTimeSeconds));
    this.#server = createServer((req, res) => this.#handle(req, res));
    // Idle keep-alive sockets must not hold close() open for long.
    this.#server.keepAliveTimeout = 5000;
  }

  /** Starts listening; resolves once bound, rejects with the bind error (EADDRINUSE, …). */
  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
  }

  /** The bound port (useful after listening on port 0). */
  get port(): number {
    const a = this.#server.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  }

  /** Stops accepting connections and closes idle ones; resolves when the server is closed. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeIdleConnections();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const q = (req.url ?? '/').indexOf('?');
    const pathname = q === -1 ? (req.url ?? '/') : (req.url ?? '/').slice(0, q);
    const route = (ROUTES as readonly string[]).includes(pathname) ? (pathname as Route) : undefined;
    let status = 200;
    let body: string;
    let type = 'text/plain; charset=utf-8';
    try {
      if (route === undefined || (method !== 'GET' && method !== 'HEAD')) {
        status = 404;
        type = 'application/json; charset=utf-8';
        body = JSON.stringify({
          status: 'error',
          errorType: 'not_found',
          error: `no route for ${method} ${req.url ?? ''}`,
        });
      } else if (route === '/metrics') {
        type = TEXT_CONTENT_TYPE;
        body = writeText(this.#o.registry.collect());
      } else if (route === '/-/healthy' || route === '/healthz') {
        body = 'Kanshi is Healthy.\n';
      } else if (this.#o.isReady()) {
        body = 'Kanshi is Ready.\n';
      } else {
        status = 503;
        body = 'Service Unavailable\n';
      }
    } catch (e) {
      status = 500;
      type = 'application/json; charset=utf-8';
      this.#log.error({ err: errorMessage(e), url: req.url }, 'request failed');
      body = JSON.stringify({ status: 'error', errorType: 'internal', error: errorMessage(e) });
    }
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(method === 'HEAD' ? undefined : body);
    const labels = { route: route ?? 'unmatched', method };
    this.#requests.inc({ ...labels, code: String(status) });
    this.#durations.observe((performance.now() - started) / 1000, labels);
  }
}
