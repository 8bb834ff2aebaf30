import type { FastifyInstance } from 'fastify';
import type { CheckResultStore } from '../ingest/check-results.js';

/**
 * `GET /api/kanshi/v1/checks[?host=H]`: the latest result of every check (status, message, long
 * output, perfdata), the part of a check that is not a number and so not in the store. Shaped like
 * Prometheus's envelope: `{ status: "success", data: [...] }`.
 */
export function registerChecksApi(app: FastifyInstance, store: CheckResultStore): void {
  app.get('/api/kanshi/v1/checks', async (req) => {
    const { host } = req.query as { host?: string };
    return { status: 'success', data: await store.list(host === '' ? undefined : host) };
  });
}
