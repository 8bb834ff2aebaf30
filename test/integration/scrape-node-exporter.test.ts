import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEXT_ONLY_ACCEPT_HEADER } from '../../src/exposition/parse-exposition.js';
import { parseOpenMetrics } from '../../src/exposition/parse-openmetrics.js';
import { parsePrometheusText } from '../../src/exposition/parse-text.js';
import { scrapeTarget } from '../../src/scrape/scrape-target.js';

/**
 * Scrapes Debian's prometheus-node-exporter (package prometheus-node-exporter) on a free loopback
 * port with scrapeTarget, once preferring OpenMetrics (Prometheus's default Accept header) and once
 * asking for the text format only, and checks that every family parses without errors and that the
 * sample count equals the number of sample lines in the very body that was parsed.
 */

const BINARY = '/usr/bin/prometheus-node-exporter';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const addr = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

let child: ChildProcess | undefined;
let url = '';

beforeAll(async () => {
  expect(existsSync(BINARY), `${BINARY} missing: apt-get install prometheus-node-exporter`).toBe(true);
  const port = await freePort();
  child = spawn(BINARY, [`--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  url = `http://127.0.0.1:${port}/metrics`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`node_exporter exited: ${stderr}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`node_exporter did not come up: ${stderr}`);
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
});

/** A fetch that keeps a copy of the body and content type it returned. */
function recordingFetch(): { fetch: typeof fetch; body: () => string; contentType: () => string } {
  let body = '';
  let contentType = '';
  return {
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      const copy = res.clone();
      body = await copy.text();
      contentType = res.headers.get('content-type') ?? '';
      return res;
    },
    body: () => body,
    contentType: () => contentType,
  };
}

/** `grep -c` of sample lines: non-empty lines that are not comments. */
function sampleLines(body: string): number {
  return body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
}

describe('scraping prometheus-node-exporter', () => {
  // node_exporter 1.5 (Debian 12) answers both with the text format; the OpenMetrics path is
  // covered by the conformance suite and unit tests.
  const variants: { name: string; protocols?: Parameters<typeof scrapeTarget>[1]['protocols'] }[] = [
    { name: 'default Accept (OpenMetrics preferred)' },
    { name: 'text format only', protocols: ['PrometheusText0.0.4'] },
  ];

  for (const v of variants) {
    it(`parses every family with ${v.name}`, async () => {
      const rec = recordingFetch();
      const r = await scrapeTarget(
        { url, job: 'node', instance: 'localhost' },
        { timeoutMs: 10_000, fetch: rec.fetch, ...(v.protocols ? { protocols: v.protocols } : {}) },
      );
      expect(r.error).toBeUndefined();
      expect(r.up).toBe(true);
      const body = rec.body();
      const lines = sampleLines(body);
      expect(lines).toBeGreaterThan(100);
      expect(r.samplesScraped).toBe(lines);
      // Every family that has a TYPE line came through with its samples.
      const typed = new Set([...body.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
      expect(r.families.filter((f) => typed.has(f.name)).length).toBe(typed.size);
      const cpu = r.families.find(
        (f) => f.name === 'node_cpu_seconds_total' || f.name === 'node_cpu_seconds',
      );
      expect(cpu?.type).toBe('counter');
      process.stdout.write(
        `node_exporter ${v.name}: content-type ${rec.contentType()}, ${r.families.length} families, ${r.samplesScraped} samples\n`,
      );
      if (v.protocols) expect(r.format).toBe('text');

      // The standalone parsers agree, and strict OpenMetrics accepts what node_exporter serves.
      if (r.format === 'openmetrics') {
        expect(parseOpenMetrics(body, { strict: true }).errors).toEqual([]);
      } else {
        expect(parsePrometheusText(body).errors).toEqual([]);
      }
    });
  }

  it('announces the text format to a text-only Accept header', async () => {
    const res = await fetch(url, { headers: { Accept: TEXT_ONLY_ACCEPT_HEADER } });
    await res.arrayBuffer();
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  });
});
