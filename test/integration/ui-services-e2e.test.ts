/**
 * The Services page, the host page's plugin and perfdata graphs, and the maintenance-window form,
 * end to end: a real Kanshi server serving the built UI, loaded by remote_write with HTTP request
 * series of two jobs (`api`: a client_golang histogram and a counter with `code`; `checkout`: an
 * OpenTelemetry histogram only) and node metrics of their host, and by an in-process agent running
 * a Mackerel-style plugin with graph definitions (testdata/ui-services/climate-plugin.sh) and a
 * check with perfdata. Driven by Debian's chromium through playwright-core; screenshots in light
 * and dark go to test-output/ui/. Needs the UI built (`npm run build`) and /usr/bin/chromium;
 * skipped with a warning otherwise, as ui-e2e is.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { agentConfig } from '../../src/agent/config/schema.js';
import { systemClock } from '../../src/base/clock.js';
import { nullLogger } from '../../src/base/logger.js';
import { Registry } from '../../src/exposition/registry.js';
import { serverConfig } from '../../src/server/config/schema.js';
import { LocalAgentSink } from '../../src/server/local-agent-sink.js';
import { startServer, type KanshiServer } from '../../src/server/server.js';
import { defaultUiDistDir } from '../../src/server/ui/register-ui.js';
import {
  canRunUiTests,
  launchChromium,
  openPage,
  screenshot as shot,
  UI_OUT_DIR,
  type RecordingPage,
  closeUiTest,
  getJson as fetchJson,
} from './ui-browser.helper.js';
import { nodeSeries, remoteWrite, writeBodies } from './ui-data.helper.js';

// The browser global the function given to page.evaluate uses (this project has no DOM lib).
declare const location: { pathname: string };

const testdata = path.resolve(import.meta.dirname, 'testdata/ui-services');

interface Gen {
  readonly labels: Record<string, string>;
  readonly value: (t: number, i: number) => number;
}

/** Cumulative share of requests at or under each bucket bound. */
const BUCKETS: readonly [string, number][] = [
  ['0.05', 0.3],
  ['0.1', 0.6],
  ['0.25', 0.85],
  ['0.5', 0.95],
  ['1', 0.99],
  ['+Inf', 1],
];

/**
 * A request histogram (and optionally a counter) of one job: `perSec` requests a second per
 * status, wobbling slowly, so rates, ratios and quantiles are all non-trivial.
 */
function httpSeries(opts: {
  job: string;
  instance: string;
  histogram: string;
  statusLabel: string;
  perSec: Readonly<Record<string, number>>;
  counter?: string;
}): Gen[] {
  const gens: Gen[] = [];
  const base = { job: opts.job, instance: opts.instance };
  for (const [status, rate] of Object.entries(opts.perSec)) {
    // Monotonic: the wobble's slope (rate × 60 / 600 s) stays below the rate.
    const count = (t: number) => (t / 1000) * rate + Math.sin(t / 600_000) * rate * 60;
    const st = { ...base, [opts.statusLabel]: status };
    for (const [le, share] of BUCKETS) {
      gens.push({
        labels: { ...st, __name__: `${opts.histogram}_bucket`, le },
        value: (t) => count(t) * share,
      });
    }
    gens.push({ labels: { ...st, __name__: `${opts.histogram}_count` }, value: count });
    gens.push({ labels: { ...st, __name__: `${opts.histogram}_sum` }, value: (t) => count(t) * 0.12 });
    if (opts.counter !== undefined) gens.push({ labels: { ...st, __name__: opts.counter }, value: count });
  }
  gens.push({
    labels: { ...base, __name__: 'process_cpu_seconds_total' },
    value: (t) => (t / 1000) * 0.25,
  });
  gens.push({ labels: { ...base, __name__: 'process_resident_memory_bytes' }, value: () => 120 * 2 ** 20 });
  return gens;
}

describe.skipIf(!canRunUiTests('ui-services-e2e'))(
  'Services, plugin graphs and maintenance windows end to end',
  () => {
    let dir: string;
    let server: KanshiServer;
    let browser: Browser;
    const now = Date.now();
    // An absolute range, so the page and this test evaluate the same instant.
    const range = { startMs: now - 3_600_000, endMs: now - 60_000 };

    const getJson = <T>(url: string): Promise<T> => fetchJson<T>(server.url, url);

    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'kanshi-ui-services-e2e-'));
      await mkdir(UI_OUT_DIR, { recursive: true });
      server = await startServer({
        config: serverConfig.parse({ listen: '127.0.0.1:0', data_dir: 'data', watch_config: false }),
        logger: nullLogger,
        clock: systemClock,
        baseDir: dir,
        uiDistDir: defaultUiDistDir(),
      });
      const gens = [
        ...nodeSeries('web-1'),
        ...httpSeries({
          job: 'api',
          instance: 'web-1:8080',
          histogram: 'http_request_duration_seconds',
          statusLabel: 'code',
          perSec: { '200': 10, '500': 0.5 },
          counter: 'http_requests_total',
        }),
        ...httpSeries({
          job: 'checkout',
          instance: 'web-1:9090',
          histogram: 'http_server_request_duration_seconds',
          statusLabel: 'http_response_status_code',
          perSec: { '200': 3, '503': 0.3 },
        }),
      ];
      await remoteWrite(
        server.url,
        writeBodies(gens, { startMs: now - 2 * 3_600_000, endMs: now, stepMs: 15_000 }),
      );

      // The agent of web-1 with a metric plugin and a check, writing into the server's store.
      const agent = new Agent({
        config: agentConfig.parse({
          hostname: 'web-1',
          host_metrics: { enabled: false },
          plugins: [{ name: 'climate', command: ['/bin/sh', path.join(testdata, 'climate-plugin.sh')] }],
          checks: [
            {
              name: 'users',
              command: ['/bin/sh', '-c', 'echo "USERS OK - 3 users | users=3;5;10;0 wait=0.25s;1;2"'],
            },
          ],
        }),
        hostname: 'web-1',
        baseDir: dir,
        baseEnv: { PATH: '/usr/local/bin:/usr/bin:/bin' },
        clock: systemClock,
        logger: nullLogger,
        registry: new Registry(),
        sink: new LocalAgentSink(server.storage, server.checkResults, nullLogger),
      });
      await agent.runOnce(AbortSignal.timeout(60_000));
      await agent.close();

      browser = await launchChromium();
    });

    afterAll(() => closeUiTest({ browser, server, dir }));

    const open = (colorScheme: 'light' | 'dark', url: string): Promise<RecordingPage> =>
      openPage(browser, `${server.url}${url}`, { colorScheme });

    /** The value of `expr` at `timeS` as /api/v1/query answers it, for `job`. */
    async function apiValue(expr: string, timeS: string, job: string): Promise<number | undefined> {
      const q = new URLSearchParams({ query: expr, time: timeS });
      const body = await getJson<{
        data: { result: { metric: { job?: string }; value: [number, string] }[] };
      }>(`/api/v1/query?${q.toString()}`);
      const v = body.data.result.find((r) => r.metric.job === job)?.value[1];
      return v === undefined ? undefined : Number(v);
    }

    const rangeQuery = `from=${range.startMs}&to=${range.endMs}`;

    it.each(['light', 'dark'] as const)(
      'lists both jobs with the RED numbers /api/v1/query gives for the same expressions (%s)',
      async (scheme) => {
        const page = await open(scheme, `/services?${rangeQuery}`);
        const table = page.locator('table.services');
        await table.locator('tr[data-job="checkout"] td[data-signal="p99"][data-value]').waitFor();
        const jobs = await table
          .locator('tbody tr')
          .evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { job: string } }).dataset.job));
        expect(jobs).toEqual(['api', 'checkout']);
        const timeMs = Number(await table.getAttribute('data-time'));
        expect(timeMs).toBeGreaterThan(range.endMs - 120_000);
        expect(timeMs).toBeLessThanOrEqual(range.endMs);
        const timeS = String(timeMs / 1000);
        const seen: Record<string, Record<string, number>> = {};
        for (const job of ['api', 'checkout']) {
          seen[job] = {};
          for (const signal of ['rate', 'errors', 'p50', 'p90', 'p99']) {
            const cell = table.locator(`tr[data-job="${job}"] td[data-signal="${signal}"]`);
            const expr = await cell.getAttribute('data-expr');
            const shown = await cell.getAttribute('data-value');
            expect(expr, `${job} ${signal}`).toBeTruthy();
            const want = await apiValue(expr!, timeS, job);
            expect(want, `${job} ${signal}: ${expr}`).toBeDefined();
            expect(Number(shown), `${job} ${signal}`).toBeCloseTo(want!, 9);
            seen[job][signal] = want!;
            // The number links to its query in Explore.
            const href = await cell.locator('a').getAttribute('href');
            expect(new URLSearchParams(href!.split('?')[1]).get('expr')).toBe(expr);
          }
        }
        // The generated traffic: about 10.5 and 3.3 requests a second, 1 in 21 and 1 in 11 failing,
        // p50 inside the 0.05–0.1 s bucket.
        expect(seen.api!.rate).toBeGreaterThan(9);
        expect(seen.api!.rate).toBeLessThan(12);
        expect(seen.api!.errors).toBeCloseTo(0.5 / 10.5, 2);
        expect(seen.checkout!.errors).toBeCloseTo(0.3 / 3.3, 2);
        expect(seen.checkout!.p50).toBeGreaterThan(0.05);
        expect(seen.checkout!.p50).toBeLessThan(0.1);
        expect(await table.locator('tr[data-job="api"] .sparkline').count()).toBe(5);
        // checkout has no counter: its rate comes from the histogram's count.
        expect(
          await table.locator('tr[data-job="checkout"] td[data-signal="rate"]').getAttribute('data-expr'),
        ).toContain('http_server_request_duration_seconds_count');
        await shot(page, `services-${scheme}`);
        expect(page.errors).toEqual([]);
        await page.close();
      },
    );

    it.each(['light', 'dark'] as const)('draws the Four Golden Signals of a job (%s)', async (scheme) => {
      const page = await open(scheme, `/services?${rangeQuery}`);
      await page.locator('tr[data-job="api"] th a').click();
      await expect.poll(() => page.evaluate(() => location.pathname)).toBe('/services/api');
      for (const id of [
        'latency',
        'traffic',
        'errors',
        'process-cpu',
        'process-memory',
        'node-cpu',
        'node-memory',
      ]) {
        const chart = page.locator(`[data-panel="${id}"] .chart[data-points]`);
        await chart.waitFor({ timeout: 30_000 });
        expect(Number(await chart.getAttribute('data-points')), id).toBeGreaterThan(50);
      }
      // p50, p90, p99; one traffic line per status code.
      expect(await page.locator('[data-panel="latency"] .chart').getAttribute('data-series')).toBe('3');
      expect(await page.locator('[data-panel="traffic"] .chart').getAttribute('data-series')).toBe('2');
      // Every graph's queries open in Explore.
      const links = page.locator('.explore-links a');
      expect(await links.count()).toBe(3 + 1 + 1 + 1 + 1 + 1 + 1);
      await shot(page, `service-api-${scheme}`);
      expect(page.errors).toEqual([]);
      await page.close();
    });

    it.each(['light', 'dark'] as const)(
      'draws the host plugin graphs as their definitions say, and check perfdata (%s)',
      async (scheme) => {
        const page = await open(scheme, '/hosts/web-1?from=now-1h&to=now');
        const plugins = page.getByTestId('plugin-graphs');
        const room = plugins.locator('[data-panel="plugin-climate-custom.room.#"]');
        // The host page loads some twenty graphs at once: give a busy machine time.
        await room.locator('.chart[data-points]').waitFor({ timeout: 60_000 });
        expect(await room.locator('h3').textContent()).toBe('Room climate');
        const legend = await room.locator('.u-legend').textContent();
        expect(legend).toContain('Humidity (kitchen)');
        expect(legend).toContain('Humidity (cellar)');
        // percentage → a ratio shown in percent.
        expect(legend).toMatch(/\d%/);
        const fans = plugins.locator('[data-panel="plugin-climate-custom.fans"]');
        await fans.locator('.chart[data-points]').waitFor({ timeout: 60_000 });
        expect(await fans.locator('.u-legend').textContent()).toContain('Fan cpu');
        expect(Number(await fans.locator('.chart').getAttribute('data-points'))).toBeGreaterThan(50);
        // The metric without a graph definition is grouped by plugin and name.
        const misc = plugins.locator('[data-panel="plugin-climate-custom.misc.doors"]');
        await misc.locator('.chart[data-points]').waitFor({ timeout: 60_000 });
        expect(await misc.locator('h3').textContent()).toBe('climate: custom.misc.doors');
        const perf = page.locator('[data-check-graphs="users"]');
        await perf.locator('.chart[data-points]').first().waitFor({ timeout: 60_000 });
        expect(await perf.locator('[data-panel]').count()).toBe(2); // users (no unit), wait (seconds)
        await shot(page, `host-plugins-${scheme}`);
        expect(page.errors).toEqual([]);
        await page.close();
      },
    );

    it('creates a maintenance window in the form, lists it with its next occurrences, and deletes it', async () => {
      const page = await open('light', '/alerts');
      await page.getByRole('button', { name: 'New maintenance window' }).click();
      const form = page.getByTestId('maintenance-form');
      await form.waitFor();
      const matcher = form.getByTestId('matcher').first();
      await matcher.getByLabel('Label name').fill('env');
      await matcher.getByLabel('Value').fill('staging');
      await form.getByLabel('Monthly').check();
      await form.locator('input[name="daysOfMonth"]').fill('1, -1');
      await form.locator('input[name="startTime"]').fill('02:30');
      await form.locator('input[name="timeZone"]').fill('Asia/Tokyo');
      await form.locator('input[name="duration"]').fill('3h');
      await form.locator('input[name="author"]').fill('ops');
      await form.locator('textarea[name="comment"]').fill('monthly patching');
      await shot(page, 'maintenance-form-light');
      await form.getByRole('button', { name: 'Create window' }).click();
      await page.getByTestId('maintenance-created').waitFor();

      interface Window {
        id: string;
        matchers: { name: string; value: string }[];
        recurrence: { kind: string; daysOfMonth?: number[]; startTime?: string };
        duration: string;
        timeZone: string;
        nextWindows: { startsAt: string }[];
      }
      const windows = await getJson<Window[]>('/api/kanshi/v1/maintenance-windows');
      expect(windows).toHaveLength(1);
      const w = windows[0]!;
      expect(w.matchers).toMatchObject([{ name: 'env', value: 'staging' }]);
      expect(w.recurrence).toEqual({ kind: 'monthly', daysOfMonth: [1, -1], startTime: '02:30' });
      expect(w.timeZone).toBe('Asia/Tokyo');
      expect(w.duration).toBe('3h');
      // The page lists it with the next occurrences the API computes.
      const row = page.locator(`tr[data-window="${w.id}"]`);
      await row.waitFor();
      expect(await row.locator('time').count()).toBe(w.nextWindows.length);
      expect(await row.locator('time').first().getAttribute('datetime')).toBe(w.nextWindows[0]?.startsAt);
      await shot(page, 'maintenance-light');

      await row.getByRole('button', { name: 'Delete' }).click();
      await page.getByTestId('maintenance-deleted').waitFor();
      expect(await getJson<Window[]>('/api/kanshi/v1/maintenance-windows')).toEqual([]);
      expect(page.errors).toEqual([]);
      await page.close();
    });
  },
);
