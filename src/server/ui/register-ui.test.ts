import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nullLogger } from '../../base/logger.js';
import { Registry } from '../../exposition/registry.js';
import { createHttpApp } from '../http/app.js';
import { pickEncoding, registerUi } from './register-ui.js';

const INDEX = '<!doctype html><title>Kanshi</title><div id="root"></div>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(4000))});\n`;

describe('registerUi', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kanshi-ui-'));
    await mkdir(path.join(dir, 'assets'));
    await writeFile(path.join(dir, 'index.html'), INDEX);
    await writeFile(path.join(dir, 'assets', 'index-a1b2c3.js'), SCRIPT);
    await writeFile(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    app = createHttpApp({ logger: nullLogger, registry: new Registry(), isReady: () => true });
    app.get('/api/kanshi/v1/checks', () => ({ status: 'success', data: [] }));
    registerUi(app, { distDir: dir });
  });
  afterEach(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each(['/', '/hosts', '/hosts/web-1', '/explore?expr=up&from=now-1h', '/alerts/'])(
    'answers the client route %s with index.html, revalidated',
    async (url) => {
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toBe(INDEX);
    },
  );

  it('serves hashed assets as immutable with their content type', async () => {
    const res = await app.inject({ url: '/assets/index-a1b2c3.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.body).toBe(SCRIPT);
  });

  it('serves other files with revalidation', async () => {
    const res = await app.inject({ url: '/favicon.svg' });
    expect(res.headers['content-type']).toBe('image/svg+xml');
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it.each([
    ['br', (b: Buffer) => zlib.brotliDecompressSync(b)],
    ['gzip', (b: Buffer) => zlib.gunzipSync(b)],
  ] as const)('compresses with %s when the client accepts it', async (encoding, decode) => {
    for (let i = 0; i < 2; i++) {
      const res = await app.inject({
        url: '/assets/index-a1b2c3.js',
        headers: { 'accept-encoding': encoding === 'br' ? 'gzip, deflate, br' : 'gzip' },
      });
      expect(res.headers['content-encoding']).toBe(encoding);
      expect(res.headers.vary).toBe('accept-encoding');
      expect(res.rawPayload.length).toBeLessThan(SCRIPT.length / 10);
      expect(decode(res.rawPayload).toString()).toBe(SCRIPT);
    }
  });

  it('sends small files uncompressed', async () => {
    const res = await app.inject({ url: '/', headers: { 'accept-encoding': 'br' } });
    expect(res.headers['content-encoding']).toBeUndefined();
  });

  it('answers a matching If-None-Match with 304', async () => {
    const first = await app.inject({ url: '/assets/index-a1b2c3.js' });
    const etag = first.headers.etag;
    expect(etag).toMatch(/^W\/".+"$/);
    const second = await app.inject({ url: '/assets/index-a1b2c3.js', headers: { 'if-none-match': etag } });
    expect(second.statusCode).toBe(304);
    expect(second.body).toBe('');
  });

  it('serves a new version of index.html after a rebuild', async () => {
    await app.inject({ url: '/' });
    await writeFile(path.join(dir, 'index.html'), `${INDEX}<!-- rebuilt, longer -->`);
    expect((await app.inject({ url: '/hosts' })).body).toContain('rebuilt');
  });

  it.each([
    ['an unknown API path', '/api/v1/nope'],
    ['a missing file', '/assets/gone-123.js'],
    ['a path escaping the folder', '/..%2F..%2F{outside}'],
  ])('leaves %s to the not-found handler', async (_name, url) => {
    const outside = `${path.basename(dir)}-secret.txt`;
    await writeFile(path.join(dir, '..', outside), 'secret');
    const res = await app.inject({ url: url.replace('{outside}', outside) });
    await rm(path.join(dir, '..', outside));
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ status: 'error', errorType: 'not_found' });
  });

  it('rejects a malformed escape', async () => {
    expect((await app.inject({ url: '/%E0%A4%A' })).statusCode).toBe(400);
  });

  it('keeps the routes registered by others', async () => {
    expect((await app.inject({ url: '/api/kanshi/v1/checks' })).json()).toEqual({
      status: 'success',
      data: [],
    });
    expect((await app.inject({ url: '/-/healthy' })).body).toBe('Kanshi is Healthy.\n');
  });

  it('explains how to build the UI when it was not built', async () => {
    const bare = createHttpApp({ logger: nullLogger, registry: new Registry(), isReady: () => true });
    registerUi(bare, { distDir: path.join(dir, 'missing') });
    const res = await bare.inject({ url: '/hosts' });
    await bare.close();
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('npm run build');
  });
});

describe('pickEncoding', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip, deflate, br, zstd', 'br'],
    ['gzip', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['*', 'gzip'],
    ['deflate', 'identity'],
    [['gzip', 'br'], 'br'],
  ] as const)('picks from %j: %s', (accept, want) => {
    expect(pickEncoding(accept)).toBe(want);
  });
});
