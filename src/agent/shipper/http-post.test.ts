import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { httpPost } from './http-post.js';

let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

/** A loopback server answering each POST with `reply`, recording what it received. */
async function serve(
  reply: (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => void,
): Promise<string> {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => reply(req, Buffer.concat(chunks), res));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const a = server.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/api/v1/write`;
}

describe('httpPost', () => {
  it('posts the body with the headers and returns status, headers and text', async () => {
    let seen: Record<string, string | undefined> = {};
    const url = await serve((req, body, res) => {
      seen = {
        method: req.method,
        url: req.url,
        type: req.headers['content-type'],
        body: body.toString(),
      };
      res.writeHead(429, { 'retry-after': '7' });
      res.end('slow down');
    });
    const r = await httpPost(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new TextEncoder().encode('payload'),
      signal: AbortSignal.timeout(5000),
    });
    expect(seen).toEqual({
      method: 'POST',
      url: '/api/v1/write',
      type: 'application/x-protobuf',
      body: 'payload',
    });
    expect(r.status).toBe(429);
    expect(r.headers.get('Retry-After')).toBe('7');
    expect(r.headers.get('x-missing')).toBeNull();
    expect(await r.text()).toBe('slow down');
  });

  it('rejects on a refused connection and when the signal aborts', async () => {
    const url = await serve(() => {
      // never answers
    });
    const init = { method: 'POST' as const, headers: {}, body: new Uint8Array(1) };
    await expect(httpPost(url, { ...init, signal: AbortSignal.timeout(100) })).rejects.toThrow();
    await expect(
      httpPost('http://127.0.0.1:1/', { ...init, signal: AbortSignal.timeout(5000) }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
