import { afterEach, describe, expect, it } from 'vitest';
import { nullLogger } from '../../base/logger.js';
import { Registry } from '../../exposition/registry.js';
import { TEXT_CONTENT_TYPE } from '../../exposition/write-text.js';
import { AgentHttpServer } from './agent-http.js';

let server: AgentHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(isReady = true): Promise<{ base: string; registry: Registry }> {
  const registry = new Registry();
  registry.gauge('kanshi_test_value', 'A test gauge.').set(42);
  server = new AgentHttpServer({ logger: nullLogger, registry, isReady: () => isReady });
  await server.listen('127.0.0.1', 0);
  return { base: `http://127.0.0.1:${server.port}`, registry };
}

describe('AgentHttpServer', () => {
  it('serves the registry at /metrics in the text format with process metrics', async () => {
    const { base } = await start();
    const r = await fetch(`${base}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(TEXT_CONTENT_TYPE);
    const text = await r.text();
    expect(text).toContain('kanshi_test_value 42\n');
    expect(text).toContain('# TYPE process_resident_memory_bytes gauge');
  });

  it.each([
    ['/-/healthy', true, 200, 'Kanshi is Healthy.\n'],
    ['/healthz', false, 200, 'Kanshi is Healthy.\n'],
    ['/-/ready', true, 200, 'Kanshi is Ready.\n'],
    ['/readyz', false, 503, 'Service Unavailable\n'],
  ] as const)('answers %s (ready=%s) with %i', async (path, isReady, status, body) => {
    const { base } = await start(isReady);
    const r = await fetch(`${base}${path}`);
    expect(r.status).toBe(status);
    expect(await r.text()).toBe(body);
  });

  it('answers an unknown path or method with the JSON 404 envelope', async () => {
    const { base } = await start();
    for (const [path, method] of [
      ['/nope', 'GET'],
      ['/metrics', 'POST'],
    ] as const) {
      const r = await fetch(`${base}${path}`, { method });
      expect(r.status).toBe(404);
      expect(await r.json()).toEqual({
        status: 'error',
        errorType: 'not_found',
        error: `no route for ${method} ${path}`,
      });
    }
  });

  it('counts requests by route, method and code', async () => {
    const { base } = await start();
    await (await fetch(`${base}/healthz?x=1`)).text();
    await (await fetch(`${base}/nope`)).text();
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('kanshi_http_requests_total{code="200",method="GET",route="/healthz"} 1');
    expect(text).toContain('kanshi_http_requests_total{code="404",method="GET",route="unmatched"} 1');
  });
});
