import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSeries, labelsFromRecord } from '../model/labels.js';
import { isStaleNaN } from '../model/sample.js';
import { MemoryStorage } from '../storage/memory-storage.js';
import { appendBatch, type SampleBatch } from './sample-batch.js';
import { ScrapeLoopState } from './scrape-state.js';
import { scrapeTarget, withTargetLabels, type ScrapeResult } from './scrape-target.js';

type Handler = (res: ServerResponse, headers: IncomingHttpHeaders) => void;

/** A loopback server whose answer each test sets. */
let server: Server;
let base = '';
let handler: Handler = (res) => res.end();
let lastHeaders: IncomingHttpHeaders = {};

beforeAll(async () => {
  server = createServer((req, res) => {
    lastHeaders = req.headers;
    handler(res, req.headers);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function serve(
  body: string | Buffer,
  headers: Record<string, string> = { 'Content-Type': 'text/plain; version=0.0.4' },
): void {
  handler = (res) => {
    res.writeHead(200, headers);
    res.end(body);
  };
}

/** `series → value` for every sample of a batch, values as strings so stale markers show. */
function dump(batch: SampleBatch): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < batch.length; i++) {
    const v = batch.values[i]!;
    out[formatSeries(batch.labels[i]!)] = isStaleNaN(v) ? 'stale' : String(v);
  }
  return out;
}

function fakeNow(...times: number[]): () => number {
  let i = 0;
  return () => times[Math.min(i++, times.length - 1)]!;
}

const target = { url: '', job: 'node', instance: 'host:9100' };
const t = (): typeof target => ({ ...target, url: `${base}/metrics` });

describe('scrapeTarget', () => {
  it('scrapes the text format, adds target labels and the report series', async () => {
    serve('# TYPE a_total counter\na_total{x="1"} 3\nb 4.5\n');
    const r = await scrapeTarget(t(), { timeoutMs: 5000, now: fakeNow(1_000_000, 1_000_250) });
    expect(r.error).toBeUndefined();
    expect(r.up).toBe(true);
    expect(r.format).toBe('text');
    expect(r.timestampMs).toBe(1_000_000);
    expect(r.durationSeconds).toBe(0.25);
    expect(dump(r.samples)).toEqual({
      'a_total{instance="host:9100", job="node", x="1"}': '3',
      'b{instance="host:9100", job="node"}': '4.5',
      'up{instance="host:9100", job="node"}': '1',
      'scrape_duration_seconds{instance="host:9100", job="node"}': '0.25',
      'scrape_samples_scraped{instance="host:9100", job="node"}': '2',
      'scrape_samples_post_metric_relabeling{instance="host:9100", job="node"}': '2',
      'scrape_series_added{instance="host:9100", job="node"}': '2',
    });
    expect([...r.samples.timestampsMs]).toEqual(Array(7).fill(1_000_000));
    expect(r.families.map((f) => f.name)).toEqual(['a_total', 'b']);
  });

  it('sends the headers Prometheus sends', async () => {
    serve('a 1\n');
    await scrapeTarget(t(), { timeoutMs: 2500, headers: { Authorization: 'Bearer x', Accept: 'nope' } });
    expect(lastHeaders['accept']).toMatch(
      /^application\/openmetrics-text;version=1\.0\.0;escaping=allow-utf-8;q=0\.6,/,
    );
    expect(lastHeaders['accept-encoding']).toBe('gzip');
    expect(lastHeaders['x-prometheus-scrape-timeout-seconds']).toBe('2.5');
    expect(lastHeaders['authorization']).toBe('Bearer x');
  });

  it('parses OpenMetrics when the target answers with it', async () => {
    serve('# TYPE a counter\na_total 1 # {trace_id="x"} 1\na_created 1700000000\n# EOF\n', {
      'Content-Type': 'application/openmetrics-text; version=1.0.0; charset=utf-8',
    });
    const r = await scrapeTarget(t(), { timeoutMs: 5000 });
    expect(r.error).toBeUndefined();
    expect(r.format).toBe('openmetrics');
    expect(r.samplesScraped).toBe(2);
  });

  it('accepts a gzipped body', async () => {
    serve(gzipSync('a 1\nb 2\n'), { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip' });
    const r = await scrapeTarget(t(), { timeoutMs: 5000 });
    expect(r.error).toBeUndefined();
    expect(r.samplesScraped).toBe(2);
  });

  it('gunzips itself when an injected fetch does not', async () => {
    const body = gzipSync('a 1\n');
    const fakeFetch: typeof fetch = () =>
      Promise.resolve(
        new Response(body, { headers: { 'content-type': 'text/plain', 'content-encoding': 'gzip' } }),
      );
    const r = await scrapeTarget(t(), { timeoutMs: 5000, fetch: fakeFetch });
    expect(r.error).toBeUndefined();
    expect(r.samplesScraped).toBe(1);
  });

  it('renames clashing exposed labels to exported_*, or keeps them with honor_labels', async () => {
    serve('a{job="app",exported_job="x",instance="i"} 1\n');
    const plain = await scrapeTarget({ ...t(), labels: { dc: 'tokyo' } }, { timeoutMs: 5000 });
    expect(Object.keys(dump(plain.samples))[0]).toBe(
      'a{dc="tokyo", exported_exported_job="app", exported_instance="i", exported_job="x", instance="host:9100", job="node"}',
    );
    const honored = await scrapeTarget(
      { ...t(), labels: { dc: 'tokyo' } },
      { timeoutMs: 5000, honorLabels: true },
    );
    expect(Object.keys(dump(honored.samples))[0]).toBe(
      'a{dc="tokyo", exported_job="x", instance="i", job="app"}',
    );
  });

  it('uses exposed timestamps unless honor_timestamps is false', async () => {
    serve('a 1 1234\n');
    const r1 = await scrapeTarget(t(), { timeoutMs: 5000, now: () => 5000 });
    expect(r1.samples.timestampsMs[0]).toBe(1234);
    const r2 = await scrapeTarget(t(), { timeoutMs: 5000, now: () => 5000, honorTimestamps: false });
    expect(r2.samples.timestampsMs[0]).toBe(5000);
  });

  it('writes staleness markers for vanished series and counts new ones', async () => {
    const state = new ScrapeLoopState();
    serve('a 1\nb 2\nts 1 1000\n');
    const r1 = await scrapeTarget(t(), { timeoutMs: 5000, state, now: () => 10_000 });
    expect(r1.seriesAdded).toBe(3);
    serve('a 1\nc 3\n');
    const r2 = await scrapeTarget(t(), { timeoutMs: 5000, state, now: () => 20_000 });
    expect(r2.seriesAdded).toBe(1);
    expect(r2.staleMarkers).toBe(1);
    const d = dump(r2.samples);
    // b vanished and gets a marker; ts carried its own timestamp and does not (Prometheus).
    expect(d['b{instance="host:9100", job="node"}']).toBe('stale');
    expect(d['ts{instance="host:9100", job="node"}']).toBeUndefined();
    expect(d['scrape_series_added{instance="host:9100", job="node"}']).toBe('1');

    handler = (res) => {
      res.writeHead(503);
      res.end('down');
    };
    const r3 = await scrapeTarget(t(), { timeoutMs: 5000, state, now: () => 30_000 });
    expect(r3.up).toBe(false);
    expect(dump(r3.samples)).toMatchObject({
      'a{instance="host:9100", job="node"}': 'stale',
      'c{instance="host:9100", job="node"}': 'stale',
      'up{instance="host:9100", job="node"}': '0',
    });
    const end = state.endOfRun(40_000);
    expect(Object.values(dump(end))).toEqual(Array(5).fill('stale'));
  });

  it('markers survive into storage', async () => {
    const state = new ScrapeLoopState();
    serve('a 1\n');
    await scrapeTarget(t(), { timeoutMs: 5000, state, now: () => 10_000 });
    serve('b 1\n');
    const r = await scrapeTarget(t(), { timeoutMs: 5000, state, now: () => 20_000 });
    const storage = new MemoryStorage();
    const app = storage.appender();
    expect(appendBatch(r.samples, app).appended).toBe(r.samples.length);
    await app.commit();
    const q = storage.querier(0, 30_000);
    const [series] = await q.select([{ type: '=', name: '__name__', value: 'a' }]);
    const it = series!.iterator();
    expect(it.next()).toBe(true);
    expect(isStaleNaN(it.atV())).toBe(true);
  });

  const failures: { name: string; setup: () => void; options?: object; error: RegExp; scraped?: number }[] = [
    {
      name: 'an HTTP error status',
      setup: () => {
        handler = (res) => {
          res.writeHead(500, 'Internal Server Error');
          res.end();
        };
      },
      error: /^server returned HTTP status 500 Internal Server Error$/,
    },
    {
      name: 'a parse error, with its line',
      setup: () => serve('a 1\nb{ 2\n'),
      error: /^parse text: line 2: /,
      scraped: 1,
    },
    {
      name: 'too many samples',
      setup: () => serve('a 1\nb 2\nc 3\n'),
      options: { sampleLimit: 2 },
      error: /sample limit exceeded: 3 samples, limit 2/,
      scraped: 3,
    },
    {
      name: 'a body over the size limit',
      setup: () => serve(`${'a 1\n'.repeat(1000)}`),
      options: { bodySizeLimitBytes: 100 },
      error: /body size limit of 100 bytes exceeded/,
    },
    {
      name: 'a timeout',
      setup: () => {
        handler = (res) => {
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.write('a 1\n'); // and never end
        };
      },
      options: { timeoutMs: 200 },
      error: /timeout after 200ms/,
    },
    {
      name: 'an unknown content type when there is no fallback',
      setup: () => serve('a 1\n', { 'Content-Type': 'application/json' }),
      options: { fallbackFormat: 'none' },
      error: /unsupported content type "application\/json"/,
    },
  ];
  for (const f of failures) {
    it(`fails with up=0 on ${f.name}`, async () => {
      f.setup();
      const r: ScrapeResult = await scrapeTarget(t(), { timeoutMs: 5000, ...f.options });
      expect(r.up).toBe(false);
      expect(r.error).toMatch(f.error);
      expect(r.samplesScraped).toBe(f.scraped ?? 0);
      const d = dump(r.samples);
      expect(Object.keys(d)).toHaveLength(5);
      expect(d['up{instance="host:9100", job="node"}']).toBe('0');
    });
  }

  it('fails with up=0 when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await scrapeTarget({ ...target, url: `http://127.0.0.1:${port}/metrics` }, { timeoutMs: 5000 });
    expect(r.up).toBe(false);
    expect(r.error).toMatch(/ECONNREFUSED/);
  });

  it('resolves with up=0 when canceled', async () => {
    serve('a 1\n');
    const ac = new AbortController();
    ac.abort();
    const r = await scrapeTarget(t(), { timeoutMs: 5000, signal: ac.signal });
    expect(r.up).toBe(false);
    expect(r.error).toMatch(/canceled/);
  });
});

describe('withTargetLabels', () => {
  const target = labelsFromRecord({ job: 'j', instance: 'i' });
  it.each([
    [{}, false, { __name__: 'm', instance: 'i', job: 'j' }],
    [{ job: 'x' }, false, { __name__: 'm', exported_job: 'x', instance: 'i', job: 'j' }],
    [
      { job: 'x', exported_job: 'y' },
      false,
      { __name__: 'm', exported_exported_job: 'x', exported_job: 'y', instance: 'i', job: 'j' },
    ],
    [{ job: 'x' }, true, { __name__: 'm', instance: 'i', job: 'x' }],
    [{ job: '' }, true, { __name__: 'm', instance: 'i', job: 'j' }],
  ])('%j honor=%s', (own, honor, want) => {
    expect(withTargetLabels('m', labelsFromRecord(own), target, honor)).toEqual(labelsFromRecord(want));
  });
});
