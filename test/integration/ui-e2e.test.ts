/**
 * The web UI end to end: a real Kanshi server (startServer, embedded TSDB in a temp dir) serving
 * the built UI, loaded with generated node metrics by remote_write and check results by the agent
 * API, driven by Debian's chromium through playwright-core. Screenshots of each page in light and
 * dark go to test-output/ui/. Needs the UI built (`npm run build`; test:interop does it) and
 * /usr/bin/chromium (CI installs the `chromium` package).
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/base/clock.js';
import { nullLogger } from '../../src/base/logger.js';
import { serverConfig } from '../../src/server/config/schema.js';
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
} from './ui-browser.helper.js';
import { checkResult, nodeSeries, remoteWrite, sendChecks, writeBodies } from './ui-data.helper.js';

// The browser globals the functions given to page.evaluate use: this project's TypeScript has no
// DOM lib, and adding it would change the types of fetch for every file.
declare const location: { pathname: string; search: string };
declare const document: {
  documentElement: { lang: string; dataset: Record<string, string | undefined>; scrollWidth: number };
  body: object;
};
declare function getComputedStyle(el: object): { colorScheme: string; backgroundColor: string };

describe.skipIf(!canRunUiTests('ui-e2e'))('web UI end to end', () => {
  let dir: string;
  let server: KanshiServer;
  let browser: Browser;
  const now = Date.now();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kanshi-ui-e2e-'));
    await mkdir(UI_OUT_DIR, { recursive: true });
    server = await startServer({
      config: serverConfig.parse({ listen: '127.0.0.1:0', data_dir: 'data' }),
      logger: nullLogger,
      clock: systemClock,
      baseDir: dir,
      uiDistDir: defaultUiDistDir(),
    });
    const range = { startMs: now - 2 * 3_600_000, endMs: now, stepMs: 15_000 };
    await remoteWrite(server.url, writeBodies(nodeSeries('web-1'), range));
    await sendChecks(server.url, 'web-1', [
      checkResult(
        'http',
        'OK',
        'HTTP OK: HTTP/1.1 200 OK - 512 bytes in 0.004 second response time',
        now - 20_000,
        [{ label: 'time', value: 0.004, unit: 's', warn: '1', crit: '2' }],
      ),
      checkResult('load', 'WARNING', 'WARNING - load average: 2.10, 1.50, 1.20', now - 15_000),
    ]);
    await sendChecks(server.url, 'db-1', [
      checkResult('disk', 'CRITICAL', 'DISK CRITICAL - free space: / 512 MB (2% inode=90%)', now - 10_000),
    ]);
    browser = await launchChromium();
  });

  afterAll(() => closeUiTest({ browser, server, dir }));

  const open = (colorScheme: 'light' | 'dark', url: string): Promise<RecordingPage> =>
    openPage(browser, `${server.url}${url}`, { colorScheme });

  it.each(['light', 'dark'] as const)(
    'shows the hosts and their problems on the overview (%s)',
    async (scheme) => {
      // `/` is still the plain status page of src/server/api/home.ts until the server mounts the UI
      // there, so enter through /hosts and reach the overview by the navigation.
      const page = await open(scheme, '/hosts');
      await page.getByRole('link', { name: 'Overview' }).click();
      await expect.poll(() => page.evaluate(() => location.pathname)).toBe('/');
      const web = page.locator('tr[data-host="web-1"]');
      await web.waitFor();
      expect(await web.locator('[data-status]').getAttribute('data-status')).toBe('WARNING');
      expect(await web.textContent()).toContain('1 of 2 OK');
      // 8 GiB total, 4 ± 1 GiB available: memory used is between 37% and 63%.
      const memory = Number((await web.locator('td').nth(2).textContent())?.replace('%', ''));
      expect(memory).toBeGreaterThan(37);
      expect(memory).toBeLessThan(63);
      const db = page.locator('tr[data-host="db-1"]');
      expect(await db.locator('[data-status]').getAttribute('data-status')).toBe('CRITICAL');
      // db-1 is worse, so it is listed first.
      expect(await page.locator('table.hosts tbody tr').first().getAttribute('data-host')).toBe('db-1');
      const notOk = page.locator('table.checks');
      expect(await notOk.locator('tr[data-check="disk"]').textContent()).toContain('DISK CRITICAL');
      expect(await notOk.locator('tr[data-check="http"]').count()).toBe(0);
      expect(await page.evaluate(() => getComputedStyle(document.body).colorScheme)).toBe(scheme);
      await shot(page, `overview-${scheme}`);
      expect(page.errors).toEqual([]);
      await page.close();
    },
  );

  it.each(['light', 'dark'] as const)('draws every USE graph of a host (%s)', async (scheme) => {
    const page = await open(scheme, '/hosts/web-1?from=now-2h&to=now');
    const panels = [
      'cpu',
      'load',
      'memory',
      'swap',
      'filesystem',
      'disk-io',
      'network',
      'network-errors',
      'pressure',
    ];
    for (const id of panels) {
      const chart = page.locator(`[data-panel="${id}"] .chart[data-points]`);
      await chart.waitFor({ timeout: 30_000 });
      expect(Number(await chart.getAttribute('data-points')), id).toBeGreaterThan(100);
      expect(await chart.locator('canvas').count(), id).toBe(1);
    }
    // One series per mode but idle; load1/5/15 and the cores; / and /boot.
    const legend = (id: string) => page.locator(`[data-panel="${id}"] .u-legend .u-series`).count();
    expect(await legend('cpu')).toBe(1 + 3);
    expect(await legend('load')).toBe(1 + 4);
    expect(await legend('filesystem')).toBe(1 + 2);
    expect(await page.locator('[data-panel="load"] .u-legend').textContent()).toContain('cores');
    const checks = page.locator('table.checks');
    expect(await checks.locator('tr[data-check="http"]').textContent()).toContain('HTTP OK');
    expect(await checks.locator('tr[data-check="http"]').textContent()).toContain('time=0.004s');
    await shot(page, `host-${scheme}`);

    if (scheme === 'light') {
      // Drag across the CPU graph: the range becomes absolute and narrower.
      const over = page.locator('[data-panel="cpu"] .u-over');
      const box = (await over.boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.75, box.y + box.height / 2, { steps: 5 });
      await page.mouse.up();
      await expect
        .poll(() => page.evaluate(() => new URLSearchParams(location.search).get('from')))
        .toMatch(/^\d+$/);
      const q = await page.evaluate(() => Object.fromEntries(new URLSearchParams(location.search)));
      const span = Number(q.to) - Number(q.from);
      expect(span).toBeGreaterThan(40 * 60_000);
      expect(span).toBeLessThan(80 * 60_000);
      await page.locator('[data-panel="cpu"] .chart[data-points]').waitFor();
    }
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it.each(['light', 'dark'] as const)(
    'runs a query typed in Explore as a graph and a table (%s)',
    async (scheme) => {
      const page = await open(scheme, '/explore?from=now-1h&to=now');
      const editor = page.locator('.cm-content');
      await editor.click();
      await page.keyboard.type('sum by (mode) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))');
      await page.keyboard.press('Escape'); // close the completion list
      await page.keyboard.press('Shift+Enter');
      await expect
        .poll(() => page.evaluate(() => new URLSearchParams(location.search).get('expr')))
        .toBe('sum by (mode) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))');
      const chart = page.locator('.explore-result .chart[data-points]');
      await chart.waitFor();
      expect(await chart.getAttribute('data-series')).toBe('3');
      await shot(page, `explore-graph-${scheme}`);

      await page.getByRole('tab', { name: 'Table' }).click();
      const rows = page.locator('table.result tbody tr');
      await rows.first().waitFor();
      expect(await rows.count()).toBe(3);
      expect(await page.locator('table.result').textContent()).toContain('{mode="user"}');
      await shot(page, `explore-table-${scheme}`);
      expect(page.errors).toEqual([]);
      await page.close();
    },
  );

  it('draws an ad-hoc dashboard from the queries in the address', async () => {
    const page = await open(
      'light',
      '/dashboards/adhoc?q=node_load1&q=node_load5&unit=short&from=now-2h&to=now',
    );
    for (const id of ['q0', 'q1']) {
      const chart = page.locator(`[data-panel="${id}"] .chart[data-points]`);
      await chart.waitFor();
      expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(200);
    }
    expect(await page.locator('[data-panel="q1"] h3').textContent()).toBe('node_load5');
    await shot(page, 'adhoc-light');
    await page.close();
  });

  it('completes metric names from the server in the editor', async () => {
    const page = await open('light', '/explore');
    await page.locator('.cm-content').click();
    await page.keyboard.type('node_loa');
    const options = page.locator('.cm-tooltip-autocomplete li');
    await options.first().waitFor();
    expect(await page.locator('.cm-tooltip-autocomplete').textContent()).toContain('node_load15');
    await page.close();
  });

  it('switches theme and language, and remembers them', async () => {
    // Any page will do: /services has no service here (ui-services-e2e tests it with some).
    const page = await open('light', '/services');
    await page.getByTestId('no-services').waitFor();
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const light = await bg();
    await page.getByTestId('theme').selectOption('dark');
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await bg()).not.toBe(light);
    await page.getByTestId('lang').selectOption('ja');
    expect(await page.getByRole('navigation').textContent()).toContain('概要');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('ja');
    await page.reload();
    expect(await page.getByRole('navigation').textContent()).toContain('エクスプローラー');
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await shot(page, 'services-empty-dark-ja');
    await page.getByRole('link', { name: 'ホスト', exact: true }).click();
    await page.locator('tr[data-host="web-1"]').waitFor();
    expect(await page.locator('table.hosts thead').textContent()).toContain('状態');
    expect(await page.locator('tr[data-host="db-1"] [data-status]').textContent()).toContain('重大');
    await shot(page, 'hosts-dark-ja');
    await page.close();
  });

  it('is readable on a phone', async () => {
    const page = await browser.newPage({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    await page.goto(`${server.url}/hosts/web-1`);
    await page.locator('[data-panel="cpu"] .chart[data-points]').waitFor();
    // Nothing wider than the screen: the page does not scroll sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const nav = page.getByRole('navigation');
    expect(await nav.isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Menu' }).click();
    expect(await nav.isVisible()).toBe(true);
    await shot(page, 'host-phone');
    await page.close();
  });
});
