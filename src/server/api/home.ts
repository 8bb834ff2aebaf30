import type { FastifyInstance } from 'fastify';
import type { CheckResultStore } from '../ingest/check-results.js';

/**
 * `GET /-/status`: a small server-rendered page beside the web UI (which owns `/`): what Kanshi is
 * receiving, the checks and their last messages, and links to the APIs. No script, no assets, so
 * it answers from a text browser or a build without the UI.
 */
/** Where the plain status page is served. */
export const HOME_STATUS_PATH = '/-/status';

export function registerHomePage(
  app: FastifyInstance,
  opts: { checks: CheckResultStore; version: string; seriesCount: () => Promise<number> },
): void {
  app.get(HOME_STATUS_PATH, async (_req, reply) => {
    const checks = await opts.checks.list();
    const series = await opts.seriesCount();
    const rows = checks
      .map(
        (c) =>
          `<tr><td>${esc(c.host)}</td><td>${esc(c.check)}</td><td class="${c.status}">${c.status}</td>` +
          `<td>${esc(c.message)}</td><td>${new Date(c.started_at).toISOString()}</td></tr>`,
      )
      .join('\n');
    void reply.type('text/html; charset=utf-8');
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Kanshi</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left}
.OK{color:#1a7f37}.WARNING{color:#9a6700}.CRITICAL{color:#cf222e}.UNKNOWN{color:#6e7781}
@media (prefers-color-scheme:dark){body{background:#111;color:#ddd}td,th{border-color:#333}}
</style></head><body>
<h1>Kanshi ${esc(opts.version)}</h1>
<p>${series} series in the store. The web UI is on its way; meanwhile the Prometheus API answers PromQL
(e.g. <a href="/api/v1/query?query=node_load1">/api/v1/query?query=node_load1</a>) and Grafana's Prometheus
data source works against this address.</p>
<h2>Checks</h2>
${checks.length === 0 ? '<p>No check results yet. Add checks under <code>agent.checks</code> in kanshi.yml.</p>' : `<table><tr><th>host</th><th>check</th><th>status</th><th>message</th><th>last run</th></tr>\n${rows}</table>`}
<h2>Endpoints</h2>
<ul>
<li><a href="/api/kanshi/v1/checks">/api/kanshi/v1/checks</a>: the latest result of every check</li>
<li><a href="/api/v1/labels">/api/v1/labels</a>, <a href="/api/v1/status/buildinfo">/api/v1/status/buildinfo</a>: the Prometheus API</li>
<li><a href="/metrics">/metrics</a>: Kanshi's own metrics</li>
<li>POST /api/v1/write: Prometheus remote_write</li>
</ul>
</body></html>
`;
  });
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
