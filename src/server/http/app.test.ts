import { describe, expect, it } from 'vitest';
import { AppError } from '../../base/errors.js';
import { nullLogger } from '../../base/logger.js';
import { Registry } from '../../exposition/registry.js';
import { createHttpApp } from './app.js';

describe('createHttpApp', () => {
  it('answers health and readiness like Prometheus', async () => {
    let isReady = false;
    const app = createHttpApp({ logger: nullLogger, registry: new Registry(), isReady: () => isReady });
    expect((await app.inject('/-/healthy')).statusCode).toBe(200);
    expect((await app.inject('/healthz')).body).toBe('Kanshi is Healthy.\n');
    expect((await app.inject('/-/ready')).statusCode).toBe(503);
    expect((await app.inject('/readyz')).statusCode).toBe(503);
    isReady = true;
    expect((await app.inject('/-/ready')).statusCode).toBe(200);
    await app.close();
  });

  it('counts requests by route pattern and status in /metrics', async () => {
    const app = createHttpApp({ logger: nullLogger, registry: new Registry(), isReady: () => true });
    app.get('/things/:id', (req) => {
      const { id } = req.params as { id: string };
      if (id === 'bad') throw new AppError('bad_input', `bad id "${id}"`);
      return { id };
    });
    await app.inject('/things/1');
    await app.inject('/things/2');
    const bad = await app.inject('/things/bad');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ status: 'error', errorType: 'bad_input', error: 'bad id "bad"' });
    expect((await app.inject('/nope')).statusCode).toBe(404);

    const metrics = await app.inject('/metrics');
    expect(metrics.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.body).toContain(
      'kanshi_http_requests_total{code="200",method="GET",route="/things/:id"} 2',
    );
    expect(metrics.body).toContain(
      'kanshi_http_requests_total{code="400",method="GET",route="/things/:id"} 1',
    );
    expect(metrics.body).toContain('kanshi_http_requests_total{code="404",method="GET",route="unmatched"} 1');
    expect(metrics.body).toMatch(
      /kanshi_http_request_duration_seconds_count\{method="GET",route="\/things\/:id"\} 3/,
    );
    await app.close();
  });
});
