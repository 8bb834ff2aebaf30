import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricFamily } from '../model/metric.js';
import { HttpProbe, parseJsonPath, selectJsonPath, type HttpProbeOptions } from './http-probe.js';
import { makeSelfSignedCert } from '../../test/support/self-signed-cert.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const routes: Record<string, Handler> = {
  '/': (_q, s) => {
    s.writeHead(200, { 'content-type': 'text/plain' });
    s.end('hello ok\n');
  },
  '/sized': (_q, s) => {
    s.writeHead(200, { 'content-length': '5', 'last-modified': 'Wed, 21 Oct 2026 07:28:00 GMT' });
    s.end('12345');
  },
  '/healthz': (_q, s) => {
    s.writeHead(503, { 'content-type': 'application/json' });
    s.end('{"status":"fail","checks":{"db":[{"status":"fail","output":"connection refused"}]}}');
  },
  '/warnz': (_q, s) => {
    s.writeHead(200, { 'content-type': 'application/json' });
    s.end('{"status":"warn","checks":{"cache":[{"status":"warn","output":"slow"}]}}');
  },
  '/json': (_q, s) => {
    s.writeHead(200, { 'content-type': 'application/json' });
    s.end('{"a":{"b":[{"c":"up"},2]},"n":3,"x y":true}');
  },
  '/echo': (q, s, body) => {
    s.writeHead(200, { 'content-type': 'application/json' });
    s.end(
      JSON.stringify({ method: q.method, body, token: q.headers['x-token'] ?? null, host: q.headers.host }),
    );
  },
  '/redirect/2': (_q, s) => {
    s.writeHead(302, { location: '/redirect/1' });
    s.end();
  },
  '/redirect/1': (_q, s) => {
    s.writeHead(301, { location: '/' });
    s.end();
  },
  '/post-redirect': (_q, s) => {
    s.writeHead(302, { location: '/echo' });
    s.end();
  },
  '/loop': (_q, s) => {
    s.writeHead(302, { location: '/loop' });
    s.end();
  },
  '/hang': () => {
    // never answers; the probe's deadline ends it
  },
};

function handle(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const route = routes[new URL(req.url ?? '/', 'http://x').pathname];
    if (route) route(req, res, Buffer.concat(chunks).toString('utf8'));
    else {
      res.writeHead(404);
      res.end('not found');
    }
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

function value(families: readonly MetricFamily[], name: string, label?: string): number | undefined {
  const f = families.find((x) => x.name === name);
  const s =
    label === undefined ? f?.samples[0] : f?.samples.find((x) => x.labels.some((l) => l.value === label));
  return s?.value;
}

const signal = new AbortController().signal;
let tmp: string;
let httpServer: Server;
let httpsServer: Server;
let base: string;
let tlsBase: string;
let certPem: string;
let certExpiryS: number;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'kanshi-http-probe-'));
  const cert = makeSelfSignedCert(tmp);
  certPem = cert.certPem;
  certExpiryS = Date.parse(new X509Certificate(certPem).validTo) / 1000;
  httpServer = createServer(handle);
  httpsServer = createHttpsServer({ key: cert.keyPem, cert: certPem }, handle);
  base = `http://127.0.0.1:${await listen(httpServer)}`;
  tlsBase = `https://127.0.0.1:${await listen(httpsServer)}`;
});

afterAll(() => {
  httpServer.closeAllConnections();
  httpsServer.closeAllConnections();
  httpServer.close();
  httpsServer.close();
  rmSync(tmp, { recursive: true, force: true });
});

const probe = (o: Partial<HttpProbeOptions> & { url: string }): HttpProbe =>
  new HttpProbe({ name: 'web', timeoutMs: 5000, ...o });

describe('HttpProbe', () => {
  it('reports a 2xx as OK with blackbox_exporter metrics', async () => {
    const { result, families } = await probe({ url: `${base}/` }).probe(signal);
    expect(result.status).toBe('OK');
    expect(result.message).toMatch(new RegExp(`^HTTP 200 from ${base}/ in \\d+ ms$`));
    expect(result.perfdata.map((p) => p.label)).toEqual(['time', 'size']);
    expect(families.map((f) => f.name).sort()).toEqual([
      'probe_dns_lookup_time_seconds',
      'probe_duration_seconds',
      'probe_failed_due_to_regex',
      'probe_http_content_length',
      'probe_http_duration_seconds',
      'probe_http_redirects',
      'probe_http_ssl',
      'probe_http_status_code',
      'probe_http_uncompressed_body_length',
      'probe_http_version',
      'probe_ip_addr_hash',
      'probe_ip_protocol',
      'probe_success',
    ]);
    expect(value(families, 'probe_success')).toBe(1);
    expect(value(families, 'probe_http_status_code')).toBe(200);
    expect(value(families, 'probe_http_content_length')).toBe(-1); // chunked
    expect(value(families, 'probe_http_uncompressed_body_length')).toBe(9);
    expect(value(families, 'probe_http_version')).toBe(1.1);
    expect(value(families, 'probe_http_ssl')).toBe(0);
    expect(value(families, 'probe_ip_protocol')).toBe(4);
    // The value Debian's blackbox_exporter 0.23 reports for 127.0.0.1.
    expect(value(families, 'probe_ip_addr_hash')).toBe(3668918509);
    const phases = families.find((f) => f.name === 'probe_http_duration_seconds')!.samples;
    expect(phases.map((s) => s.labels[0]?.value)).toEqual([
      'connect',
      'processing',
      'resolve',
      'tls',
      'transfer',
    ]);
    expect(value(families, 'probe_http_duration_seconds', 'tls')).toBe(0);
    expect(phases.every((s) => s.value >= 0)).toBe(true);
  });

  it('reports Content-Length and Last-Modified when sent', async () => {
    const { families } = await probe({ url: `${base}/sized` }).probe(signal);
    expect(value(families, 'probe_http_content_length')).toBe(5);
    expect(value(families, 'probe_http_last_modified_timestamp_seconds')).toBe(
      Date.UTC(2026, 9, 21, 7, 28) / 1000,
    );
  });

  it('reports a 503 as CRITICAL, saying why', async () => {
    const { result, families } = await probe({ url: `${base}/healthz` }).probe(signal);
    expect(result.status).toBe('CRITICAL');
    expect(result.message).toMatch(new RegExp(`^HTTP 503 from ${base}/healthz in \\d+ ms, expected 2xx$`));
    expect(value(families, 'probe_success')).toBe(0);
    expect(value(families, 'probe_http_status_code')).toBe(503);
  });

  it('accepts the configured status codes', async () => {
    const { result } = await probe({ url: `${base}/healthz`, validStatusCodes: [503] }).probe(signal);
    expect(result.status).toBe('OK');
    const { result: r2 } = await probe({ url: `${base}/`, validStatusCodes: [204] }).probe(signal);
    expect(r2.message).toMatch(/, expected 204$/);
  });

  it('reads a health body into the status and message', async () => {
    const { result } = await probe({ url: `${base}/healthz`, isHealthCheck: true }).probe(signal);
    expect(result.status).toBe('CRITICAL');
    expect(result.message).toMatch(/, expected 2xx, health fail: db \(fail: connection refused\)$/);
    const { result: warn, families } = await probe({ url: `${base}/warnz`, isHealthCheck: true }).probe(
      signal,
    );
    expect(warn.status).toBe('WARNING');
    expect(warn.message).toMatch(/, health warn: cache \(warn: slow\)$/);
    expect(value(families, 'probe_success')).toBe(1);
  });

  it.each([
    [{ failIfBodyNotMatchesRegexp: ['hello'] }, 'OK', 0, ''],
    [{ failIfBodyNotMatchesRegexp: ['^goodbye'] }, 'CRITICAL', 1, ', body does not match /^goodbye/'],
    [{ failIfBodyMatchesRegexp: [/ok/] }, 'CRITICAL', 1, ', body matches /ok/'],
  ] as const)('applies body regexps %j', async (opts, status, failed, suffix) => {
    const { result, families } = await probe({ url: `${base}/`, ...opts }).probe(signal);
    expect(result.status).toBe(status);
    expect(value(families, 'probe_failed_due_to_regex')).toBe(failed);
    expect(result.message.endsWith(`ms${suffix}`)).toBe(true);
  });

  it.each([
    [[{ path: '$.a.b[0].c', equals: 'up' }, { path: '$.n', equals: 3 }, { path: "$['x y']" }], 'OK', ''],
    [[{ path: '$.a.b[0].c', equals: 'down' }], 'CRITICAL', ', $.a.b[0].c is "up", expected "down"'],
    [[{ path: '$.n', equals: '3' }], 'CRITICAL', ', $.n is 3, expected "3"'],
    [[{ path: '$.a.b[5]' }], 'CRITICAL', ', $.a.b[5] not found'],
    [[{ path: '$.n', equals: undefined }], 'OK', ''],
  ] as const)('applies JSON assertions %j', async (jsonAssertions, status, suffix) => {
    const { result } = await probe({ url: `${base}/json`, jsonAssertions }).probe(signal);
    expect(result.status).toBe(status);
    expect(result.message.endsWith(`ms${suffix}`)).toBe(true);
  });

  it('fails JSON assertions on a body that is not JSON', async () => {
    const { result } = await probe({ url: `${base}/`, jsonAssertions: [{ path: '$' }] }).probe(signal);
    expect(result.message).toMatch(/, body is not JSON$/);
  });

  it('follows redirects and counts them', async () => {
    const { result, families } = await probe({ url: `${base}/redirect/2` }).probe(signal);
    expect(result.status).toBe('OK');
    expect(result.message).toMatch(
      new RegExp(`^HTTP 200 from ${base}/ in \\d+ ms, 2 redirects from ${base}/redirect/2$`),
    );
    expect(value(families, 'probe_http_redirects')).toBe(2);
  });

  it('does not follow redirects when told not to, like blackbox_exporter', async () => {
    const { result, families } = await probe({ url: `${base}/redirect/2`, followRedirects: false }).probe(
      signal,
    );
    expect(result.status).toBe('CRITICAL');
    expect(value(families, 'probe_http_status_code')).toBe(302);
    expect(value(families, 'probe_http_redirects')).toBe(1);
  });

  it('gives up after 10 redirects', async () => {
    const { families } = await probe({ url: `${base}/loop` }).probe(signal);
    expect(value(families, 'probe_http_status_code')).toBe(302);
    expect(value(families, 'probe_http_redirects')).toBe(11);
  });

  it('sends the method, headers and body, and turns a POST into a GET on 302', async () => {
    const p = probe({
      url: `${base}/echo`,
      method: 'post',
      body: 'ping',
      headers: { 'X-Token': 't1', Host: 'example.test' },
    });
    const { result } = await probe({
      url: `${base}/echo`,
      method: 'post',
      body: 'ping',
      headers: { 'X-Token': 't1', Host: 'example.test' },
      jsonAssertions: [
        { path: '$.method', equals: 'POST' },
        { path: '$.body', equals: 'ping' },
        { path: '$.token', equals: 't1' },
        { path: '$.host', equals: 'example.test' },
      ],
    }).probe(signal);
    expect(result.status).toBe('OK');
    expect((await p.run(signal)).status).toBe('OK');
    const { result: r2 } = await probe({
      url: `${base}/post-redirect`,
      method: 'POST',
      body: 'ping',
      jsonAssertions: [
        { path: '$.method', equals: 'GET' },
        { path: '$.body', equals: '' },
      ],
    }).probe(signal);
    expect(r2.status).toBe('OK');
  });

  it('reports a refused connection as CRITICAL', async () => {
    const closed = createServer();
    const port = await listen(closed);
    closed.close();
    const { result, families } = await probe({ url: `http://127.0.0.1:${port}/` }).probe(signal);
    expect(result.status).toBe('CRITICAL');
    expect(result.message).toMatch(
      new RegExp(`^cannot connect to http://127.0.0.1:${port}/: .*ECONNREFUSED`),
    );
    expect(value(families, 'probe_http_status_code')).toBe(0);
    expect(value(families, 'probe_http_content_length')).toBe(0);
    expect(value(families, 'probe_success')).toBe(0);
  });

  it('ends a hanging request at the timeout', async () => {
    const { result, families } = await probe({ url: `${base}/hang`, timeoutMs: 300 }).probe(signal);
    expect(result.status).toBe('CRITICAL');
    expect(result.reason).toBe('timeout');
    expect(result.message).toBe(`timeout after 300 ms probing ${base}/hang`);
    expect(value(families, 'probe_success')).toBe(0);
  });

  it('reports UNKNOWN when the caller aborts', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const { result } = await probe({ url: `${base}/hang`, timeoutMs: 60_000 }).probe(ac.signal);
    expect(result.status).toBe('UNKNOWN');
    expect(result.message).toBe(`probe of ${base}/hang aborted`);
  });

  it('verifies TLS against a given CA and reports certificate metrics', async () => {
    const { result, families } = await probe({ url: `${tlsBase}/`, caPem: certPem }).probe(signal);
    expect(result.status).toBe('OK');
    expect(value(families, 'probe_http_ssl')).toBe(1);
    expect(value(families, 'probe_ssl_earliest_cert_expiry')).toBe(certExpiryS);
    expect(value(families, 'probe_ssl_last_chain_expiry_timestamp_seconds')).toBe(certExpiryS);
    expect(value(families, 'probe_http_duration_seconds', 'tls')).toBeGreaterThan(0);
    const info = families.find((f) => f.name === 'probe_ssl_last_chain_info')!.samples[0]!;
    const fingerprint = new X509Certificate(certPem).fingerprint256.replace(/:/g, '').toLowerCase();
    expect(Object.fromEntries(info.labels.map((l) => [l.name, l.value]))).toEqual({
      fingerprint_sha256: fingerprint,
      issuer: 'CN=localhost,O=Kanshi Test',
      subject: 'CN=localhost,O=Kanshi Test',
      subjectalternative: 'localhost',
    });
    expect(families.find((f) => f.name === 'probe_tls_version_info')!.samples[0]!.labels).toEqual([
      { name: 'version', value: 'TLS 1.3' },
    ]);
  });

  it('fails an unverifiable certificate unless verification is off', async () => {
    const { result } = await probe({ url: `${tlsBase}/` }).probe(signal);
    expect(result.status).toBe('CRITICAL');
    expect(result.message).toMatch(/self-signed certificate/);
    const { result: r2, families } = await probe({ url: `${tlsBase}/`, verifyTls: false }).probe(signal);
    expect(r2.status).toBe('OK');
    expect(value(families, 'probe_ssl_earliest_cert_expiry')).toBe(certExpiryS);
    expect(families.some((f) => f.name === 'probe_ssl_last_chain_expiry_timestamp_seconds')).toBe(false);
  });

  it('warns before the certificate expires and fails once it has', async () => {
    const at = (daysBeforeExpiry: number) => () => certExpiryS * 1000 - daysBeforeExpiry * 86_400_000;
    const warn = await probe({ url: `${tlsBase}/`, caPem: certPem, now: at(10) }).probe(signal);
    expect(warn.result.status).toBe('WARNING');
    expect(warn.result.message).toMatch(
      /, certificate expires in 10 days \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/,
    );
    expect(value(warn.families, 'probe_success')).toBe(1);
    const quiet = await probe({
      url: `${tlsBase}/`,
      caPem: certPem,
      now: at(10),
      certExpiryWarningMs: 86_400_000,
    }).probe(signal);
    expect(quiet.result.status).toBe('OK');
    const expired = await probe({ url: `${tlsBase}/`, verifyTls: false, now: at(-1) }).probe(signal);
    expect(expired.result.status).toBe('CRITICAL');
    expect(expired.result.message).toMatch(/, certificate expired /);
    expect(value(expired.families, 'probe_success')).toBe(0);
  });

  it.each([
    [{ url: 'http://[oops' }, 'http probe web: invalid url "http://[oops"'],
    [{ url: 'http://x/', failIfBodyMatchesRegexp: ['('] }, 'http probe web: invalid regexp "("'],
    [{ url: 'http://x/', jsonAssertions: [{ path: 'a.b' }] }, 'invalid JSON path "a.b": must start with $'],
  ])('rejects bad options %j', (opts, message) => {
    expect(() => probe(opts)).toThrow(message);
  });
});

describe('parseJsonPath', () => {
  it.each([
    ['$', []],
    ['$.a.b[0]', ['a', 'b', 0]],
    ["$['x y'][12]", ['x y', 12]],
    ['$["k"].v', ['k', 'v']],
  ])('parses %s', (path, steps) => {
    expect(parseJsonPath(path)).toEqual(steps);
  });

  it.each([
    ['a', 'must start with $'],
    ['$.', 'unexpected "."'],
    ['$[x]', 'unexpected "[x]"'],
    ['$.a[', 'unexpected "["'],
  ])('rejects %s', (path, why) => {
    expect(() => parseJsonPath(path)).toThrow(`invalid JSON path ${JSON.stringify(path)}: ${why}`);
  });

  it('selects values and tells a missing step from a null', () => {
    const doc = { a: [null, { b: 1 }] };
    expect(selectJsonPath(doc, ['a', 0])).toEqual({ found: true, value: null });
    expect(selectJsonPath(doc, ['a', 1, 'b'])).toEqual({ found: true, value: 1 });
    expect(selectJsonPath(doc, ['a', 2])).toEqual({ found: false });
    expect(selectJsonPath(doc, ['a', 'length'])).toEqual({ found: false });
  });
});
