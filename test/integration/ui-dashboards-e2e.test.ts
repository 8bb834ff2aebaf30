/**
 * The Dashboards pages end to end: a real Kanshi server (embedded TSDB in a temp dir) serving the
 * built UI, loaded with two hosts of generated node metrics by remote_write, driven by Debian's
 * chromium through playwright-core. A dashboard is created, given a panel and saved through the
 * UI and still draws the expected series after a reload; a file dropped into the dashboards
 * folder appears and draws every panel type with a template variable; a conflicting save is
 * shown; the dashboard prints to A4 and Letter PDFs without a panel cut across pages.
 * Screenshots (light, dark, Japanese, print) go to test-output/ui/.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/base/clock.js';
import { nullLogger } from '../../src/base/logger.js';
import { serverConfig } from '../../src/server/config/schema.js';
import { startServer, type KanshiServer } from '../../src/server/server.js';
import { defaultUiDistDir } from '../../src/server/ui/register-ui.js';
import { paginate } from '../../ui/src/lib/dashboard-layout.js';
import { nodeSeries, remoteWrite, writeBodies } from './ui-data.helper.js';

// Browser globals of the functions given to page.evaluate (this project's TypeScript has no DOM lib).
declare const location: { pathname: string; search: string };
declare const document: {
  documentElement: { scrollHeight: number; scrollWidth: number };
  activeElement: { getAttribute(n: string): string | null } | null;
  body: object;
  querySelectorAll(s: string): ArrayLike<{
    getBoundingClientRect(): { top: number; bottom: number };
    getAttribute(n: string): string | null;
    closest(s: string): { getAttribute(n: string): string | null } | null;
  }>;
};
declare const window: { scrollY: number };
declare function getComputedStyle(el: object): { backgroundColor: string };

const CHROMIUM = '/usr/bin/chromium';
const distDir = defaultUiDistDir();
const outDir = path.resolve(import.meta.dirname, '../../test-output/ui');
const hasChromium = existsSync(CHROMIUM);
const isBuilt = existsSync(path.join(distDir, 'index.html'));
if (!hasChromium)
  console.warn(`ui-dashboards-e2e: skipped, ${CHROMIUM} is missing (apt-get install chromium)`);
if (!isBuilt) console.warn(`ui-dashboards-e2e: skipped, the UI is not built in ${distDir} (npm run build)`);

/** A dashboard with every panel type and an `instance` variable, as a user would drop it in. */
const DROPPED = `# Dropped into the dashboards folder by the e2e test.
title: Dropped Node
tags: [e2e, linux]
time: { from: now-2h, to: now }
variables:
  - type: query
    name: instance
    label: Host
    query: label_values(node_load1, instance)
    multi: true
    includeAll: true
    current: $__all
panels:
  - type: timeseries
    title: Load
    gridPos: { x: 0, y: 0, w: 12, h: 8 }
    legend: { show: true, placement: bottom, calcs: [min, max, avg, last] }
    targets:
      - expr: node_load1{instance=~"$instance"}
        legendFormat: '{{instance}}'
  - type: timeseries
    title: CPU by mode
    style: stacked
    unit: percentunit
    gridPos: { x: 12, y: 0, w: 12, h: 8 }
    legend: { show: true, placement: right, calcs: [last] }
    targets:
      - expr: sum by (mode) (rate(node_cpu_seconds_total{instance=~"$instance", mode!="idle"}[$__rate_interval]))
        legendFormat: '{{mode}}'
  - type: stat
    title: Memory available
    unit: bytes
    gridPos: { x: 0, y: 8, w: 8, h: 5 }
    thresholds: { mode: absolute, steps: [{ value: null, color: red }, { value: 1073741824, color: green }] }
    targets:
      - expr: node_memory_MemAvailable_bytes{instance=~"$instance"}
        legendFormat: '{{instance}}'
  - type: gauge
    title: Memory used
    unit: percentunit
    min: 0
    max: 1
    gridPos: { x: 8, y: 8, w: 8, h: 5 }
    thresholds: { mode: absolute, steps: [{ value: null, color: green }, { value: 0.9, color: red }] }
    targets:
      - expr: 1 - node_memory_MemAvailable_bytes{instance=~"$instance"} / node_memory_MemTotal_bytes
        legendFormat: '{{instance}}'
  - type: bar
    title: Root filesystem used
    unit: percentunit
    max: 1
    gridPos: { x: 16, y: 8, w: 8, h: 5 }
    targets:
      - expr: 1 - node_filesystem_avail_bytes{instance=~"$instance", mountpoint="/"} / node_filesystem_size_bytes
        legendFormat: '{{instance}}'
  - type: table
    title: Load 5
    gridPos: { x: 0, y: 13, w: 12, h: 6 }
    decimals: 2
    targets:
      - expr: node_load5{instance=~"$instance"}
  - type: text
    title: Notes
    gridPos: { x: 12, y: 13, w: 12, h: 6 }
    content: |
      ## Runbook
      - Check **load** first
      - See [the docs](https://example.invalid/runbook)

      <script>window.hacked = true</script>
  - type: timeseries
    title: Network received
    style: area
    unit: Bps
    gridPos: { x: 0, y: 19, w: 24, h: 8 }
    targets:
      - expr: rate(node_network_receive_bytes_total{instance=~"$instance"}[5m])
        legendFormat: '{{instance}} {{device}}'
  - type: timeseries
    title: Load 15
    gridPos: { x: 0, y: 27, w: 12, h: 8 }
    targets:
      - expr: node_load15{instance=~"$instance"}
  - type: timeseries
    title: Disk I/O time
    unit: percentunit
    gridPos: { x: 12, y: 27, w: 12, h: 8 }
    targets:
      - expr: rate(node_disk_io_time_seconds_total{instance=~"$instance"}[5m])
  - type: timeseries
    title: Memory
    unit: bytes
    gridPos: { x: 0, y: 35, w: 24, h: 8 }
    targets:
      - expr: node_memory_MemAvailable_bytes{instance=~"$instance"}
        legendFormat: '{{instance}} available'
`;

/** Printable area of a page in CSS px (96 per inch) with the 12 mm margins of print.css. */
const PAPER = {
  A4: { width: (210 - 24) * (96 / 25.4), height: (297 - 24) * (96 / 25.4) },
  Letter: { width: 8.5 * 96 - 24 * (96 / 25.4), height: 11 * 96 - 24 * (96 / 25.4) },
} as const;

describe.skipIf(!hasChromium || !isBuilt)('dashboards UI end to end', () => {
  let dir: string;
  let dashDir: string;
  let server: KanshiServer;
  let browser: Browser;
  const now = Date.now();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kanshi-ui-dash-'));
    dashDir = path.join(dir, 'data', 'dashboards');
    await mkdir(dashDir, { recursive: true });
    await mkdir(outDir, { recursive: true });
    server = await startServer({
      config: serverConfig.parse({ listen: '127.0.0.1:0', data_dir: 'data' }),
      logger: nullLogger,
      clock: systemClock,
      baseDir: dir,
      uiDistDir: distDir,
    });
    const range = { startMs: now - 2 * 3_600_000, endMs: now, stepMs: 15_000 };
    await remoteWrite(server.url, writeBodies([...nodeSeries('web-1'), ...nodeSeries('web-2')], range));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function open(url: string, opts: { scheme?: 'light' | 'dark'; locale?: string } = {}): Promise<Page> {
    const page = await browser.newPage({
      colorScheme: opts.scheme ?? 'light',
      locale: opts.locale ?? 'en-US',
      viewport: { width: 1280, height: 900 },
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    (page as Page & { errors?: string[] }).errors = errors;
    await page.goto(`${server.url}${url}`);
    return page;
  }
  const errorsOf = (page: Page) => (page as Page & { errors?: string[] }).errors;
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
  const legendOf = (page: Page, panel: string) =>
    page
      .locator(`[data-panel="${panel}"] table.legend tbody tr`)
      .evaluateAll((rows) =>
        rows.map((r) => (r as unknown as { getAttribute(n: string): string }).getAttribute('data-series')),
      );

  let createdUid = '';

  it('creates a dashboard with a panel through the UI, saves it, and draws it again after a reload', async () => {
    const page = await open('/dashboards');
    await page.getByText('No dashboards yet').waitFor();
    await page.getByRole('link', { name: 'New dashboard' }).click();
    const title = page.locator('[data-field="title"]');
    await title.fill('E2E Load');
    await page.locator('[data-action="add-panel"]').click();
    const editor = page.locator('.panel-editor');
    await editor.getByLabel('Title', { exact: true }).fill('Load 1m');
    const cm = editor.locator('.cm-content');
    await cm.waitFor();
    await cm.click();
    await page.keyboard.type('node_load1');
    await page.keyboard.press('Escape');
    await editor.getByLabel('Legend format').fill('{{instance}}');
    await editor.getByRole('spinbutton', { name: 'Max' }).click(); // leave the query: the preview runs it
    await editor.locator('[data-panel="preview"] .chart[data-points]').waitFor();
    await editor.getByRole('checkbox', { name: 'Avg' }).check();
    await editor.getByRole('checkbox', { name: 'Last' }).check();
    await page.locator('[data-action="apply-panel"]').click();
    await page.locator('[data-action="save"]').click();
    await expect.poll(() => page.evaluate(() => location.pathname)).toMatch(/^\/dashboards\/(?!new$)[\w-]+$/);
    createdUid = (await page.evaluate(() => location.pathname)).split('/')[2] ?? '';
    expect(await readdir(dashDir)).toContain(`${createdUid}.yaml`);

    await page.reload();
    const chart = page.locator('[data-panel="p0"] .chart[data-points]');
    await chart.waitFor({ timeout: 30_000 });
    expect(await chart.getAttribute('data-series')).toBe('2');
    // A new dashboard shows 6 h: a 2 min step at this width, so ~60 points per series over 2 h of data.
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(100);
    expect(await legendOf(page, 'p0')).toEqual(['web-1', 'web-2']);
    expect(await page.locator('[data-panel="p0"] h3').textContent()).toBe('Load 1m');
    // Load swings 1.2 ± 1: every average shown is within it.
    for (const avg of await page.locator('[data-panel="p0"] td[data-calc="avg"]').allTextContents()) {
      expect(Number(avg)).toBeGreaterThan(0.2);
      expect(Number(avg)).toBeLessThan(2.2);
    }
    await shot(page, 'dashboard-created-light');
    expect(errorsOf(page)).toEqual([]);
    await page.close();
  });

  it('shows a save over a newer version as a conflict, and saves over it when asked', async () => {
    const page = await open(`/dashboards/${createdUid}`);
    await page.locator('[data-panel="p0"] .chart[data-points]').waitFor({ timeout: 30_000 });
    await page.locator('[data-action="edit"]').click();
    // By keyboard: the button keeps the focus after the panel is redrawn wider.
    await page.locator('[data-panel="p0"] [data-action="wider"]').focus();
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-action')))
      .toBe('wider');
    expect(await page.locator('[data-panel="p0"] .panel-tools').textContent()).toContain('13 wide × 8 high');
    // Someone else saves first.
    const res = await fetch(`${server.url}/api/kanshi/v1/dashboards/${createdUid}`);
    const entry = (await res.json()) as { data: { version: string; dashboard: Record<string, unknown> } };
    const put = await fetch(`${server.url}/api/kanshi/v1/dashboards/${createdUid}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'if-match': `"${entry.data.version}"` },
      body: JSON.stringify({ ...entry.data.dashboard, description: 'changed elsewhere' }),
    });
    expect(put.status).toBe(200);
    await page.locator('[data-action="save"]').click();
    const conflict = page.locator('[data-conflict]');
    await conflict.waitFor();
    expect(await conflict.textContent()).toContain('changed elsewhere');
    await shot(page, 'dashboard-conflict-light');
    await conflict.getByRole('button', { name: 'Save mine over theirs' }).click();
    await page.getByText('Saved.').waitFor();
    const after = (await (await fetch(`${server.url}/api/kanshi/v1/dashboards/${createdUid}`)).json()) as {
      data: { dashboard: { panels: { gridPos: { w: number } }[] } };
    };
    expect(after.data.dashboard.panels[0]?.gridPos.w).toBe(13);
    await page.close();
  });

  it(
    'lists a file dropped into the dashboards folder and draws every panel type',
    { timeout: 180_000 },
    async () => {
      await writeFile(path.join(dashDir, 'dropped.yaml'), DROPPED);
      const page = await open('/dashboards');
      const link = page.getByRole('link', { name: 'Dropped Node' });
      // The store reloads on the folder event (or its 30 s content poll when the event is lost on a
      // busy machine); the list polls every 10 s.
      await link.waitFor({ timeout: 60_000 });
      await page.getByRole('searchbox').fill('dropped');
      expect(await page.locator('.dash-list li').count()).toBe(1);
      await shot(page, 'dashboards-list-light');
      await link.click();
      await page.locator('[data-panel="p0"] .chart[data-points]').waitFor({ timeout: 30_000 });
      // All hosts by default.
      expect(await legendOf(page, 'p0')).toEqual(['web-1', 'web-2']);
      expect(await page.locator('[data-panel="p0"] thead').textContent()).toBe('SeriesMinMaxAvgLast');
      await page.locator('[data-panel="p1"] .chart[data-points]').waitFor();
      expect(await legendOf(page, 'p1')).toEqual(['iowait', 'system', 'user']);
      // Stat: 4 ± 1 GiB available on each host, green above 1 GiB.
      const stats = page.locator('[data-panel="p2"] .stat');
      await stats.first().waitFor();
      expect(await stats.count()).toBe(2);
      for (const v of await stats.evaluateAll((els) =>
        els.map((e) =>
          Number((e as unknown as { getAttribute(n: string): string }).getAttribute('data-value')),
        ),
      )) {
        expect(v).toBeGreaterThan(3 * 1024 ** 3);
        expect(v).toBeLessThan(5 * 1024 ** 3);
      }
      expect(await stats.first().locator('.stat-value').textContent()).toMatch(/GiB$/);
      // Gauge: 1 - (4 ± 1) / 8 used; bar: 40 % of / used.
      const gauges = page.locator('[data-panel="p3"] .gauge');
      expect(await gauges.count()).toBe(2);
      const used = Number(await gauges.first().getAttribute('data-value'));
      expect(used).toBeGreaterThan(0.37);
      expect(used).toBeLessThan(0.63);
      const bars = page.locator('[data-panel="p4"] .bar-row');
      expect(await bars.count()).toBe(2);
      expect(Number(await bars.first().getAttribute('data-value'))).toBeCloseTo(0.4, 2);
      expect(await page.locator('[data-panel="p5"] tbody tr').count()).toBe(2);
      // Text: markdown rendered, HTML shown as text and never run.
      const text = page.locator('[data-panel="p6"] .text-panel');
      expect(await text.locator('h5').textContent()).toBe('Runbook');
      expect(await text.locator('strong').textContent()).toBe('load');
      expect(await text.locator('a').getAttribute('href')).toBe('https://example.invalid/runbook');
      expect(await text.textContent()).toContain('<script>window.hacked = true</script>');
      expect(await page.evaluate(() => (globalThis as { hacked?: boolean }).hacked)).toBeUndefined();
      await shot(page, 'dashboard-all-panels-light');

      // One host: the URL keeps the choice and every panel follows it.
      await page.locator('[data-variable="instance"] select').selectOption(['web-2']);
      await expect
        .poll(() => page.evaluate(() => new URLSearchParams(location.search).getAll('var-instance')))
        .toEqual(['web-2']);
      await expect.poll(() => legendOf(page, 'p0')).toEqual(['web-2']);
      await expect.poll(() => page.locator('[data-panel="p5"] tbody tr').count()).toBe(1);
      // Sort the table by its value and back.
      await page.locator('[data-panel="p5"] thead button').last().click();
      expect(await page.locator('[data-panel="p5"] th[aria-sort="ascending"]').count()).toBe(1);
      expect(errorsOf(page)).toEqual([]);
      await page.close();
    },
  );

  it('adds a query from Explore to a dashboard', async () => {
    const expr = 'node_load5';
    const page = await open(`/explore?expr=${expr}&from=now-1h&to=now`);
    await page.locator('.explore-result .chart[data-points]').waitFor({ timeout: 30_000 });
    await page.locator('[data-action="add-to-dashboard"]').click();
    const form = page.locator('form.add-to-dashboard');
    await form.locator('select').first().selectOption({ label: 'Dropped Node' });
    await form.getByLabel('Panel title').fill('Load 5 from Explore');
    await form.getByRole('button', { name: 'Add and open' }).click();
    await expect.poll(() => page.evaluate(() => location.pathname)).toBe('/dashboards/dropped');
    expect(await page.evaluate(() => new URLSearchParams(location.search).get('from'))).toBe('now-1h');
    // The 12th panel, under the others.
    const chart = page.locator('[data-panel="p11"] .chart[data-points]');
    await chart.waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-panel="p11"] h3').textContent()).toBe('Load 5 from Explore');
    expect(await chart.getAttribute('data-series')).toBe('2');
    expect(errorsOf(page)).toEqual([]);
    await page.close();
  });

  it('imports a pasted Grafana dashboard and lists what was not converted', async () => {
    const grafana = {
      uid: 'from-grafana',
      title: 'From Grafana',
      schemaVersion: 39,
      panels: [
        {
          type: 'timeseries',
          title: 'Load',
          gridPos: { x: 0, y: 0, w: 12, h: 8 },
          targets: [{ expr: 'node_load1', legendFormat: '{{instance}}' }],
        },
        { type: 'heatmap', title: 'Latency heatmap', gridPos: { x: 12, y: 0, w: 12, h: 8 }, targets: [] },
      ],
    };
    const page = await open('/dashboards/import');
    await page.getByLabel('Dashboard JSON or YAML').fill(JSON.stringify(grafana));
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const result = page.locator('[data-imported="from-grafana"]');
    await result.waitFor();
    expect(await result.textContent()).toContain('(grafana)');
    expect(await result.locator('.not-converted li').count()).toBe(1);
    expect(await result.locator('.not-converted').textContent()).toContain('heatmap');
    await shot(page, 'dashboard-import-light');
    await result.getByRole('link', { name: 'Open it' }).click();
    const chart = page.locator('[data-panel="p0"] .chart[data-points]');
    await chart.waitFor({ timeout: 30_000 });
    expect(await chart.getAttribute('data-series')).toBe('2');
    expect(errorsOf(page)).toEqual([]);
    await page.close();
  });

  it('shows a dashboard in one column on a phone', async () => {
    const page = await browser.newPage({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    await page.goto(`${server.url}/dashboards/dropped`);
    await page.locator('[data-panel="p0"] .chart[data-points]').waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const lefts = await page
      .locator('.dash-panel')
      .evaluateAll((els) =>
        els.map((e) =>
          Math.round(
            (e as unknown as { getBoundingClientRect(): { left: number } }).getBoundingClientRect().left,
          ),
        ),
      );
    expect(new Set(lefts).size).toBe(1);
    await shot(page, 'dashboard-phone');
    await page.close();
  });

  it.each(['dark', 'ja'] as const)('draws the dashboard in %s', async (variant) => {
    const page = await open(
      '/dashboards/dropped',
      variant === 'ja' ? { locale: 'ja-JP' } : { scheme: 'dark' },
    );
    await page.locator('[data-panel="p9"] .chart[data-points]').waitFor({ timeout: 30_000 });
    if (variant === 'ja') {
      expect(await page.locator('.dash-actions').textContent()).toContain('編集');
      expect(await page.locator('[data-variable="instance"] option').first().textContent()).toBe('すべて');
    }
    await shot(page, variant === 'ja' ? 'dashboard-all-panels-light-ja' : 'dashboard-all-panels-dark');
    expect(errorsOf(page)).toEqual([]);
    await page.close();
  });

  it.each(['A4', 'Letter'] as const)('prints on %s without cutting a panel across pages', async (format) => {
    // Dark on screen: print must still be light.
    const page = await open('/dashboards/dropped', { scheme: 'dark' });
    await page.locator('[data-panel="p9"] .chart[data-points]').waitFor({ timeout: 30_000 });
    const paper = PAPER[format];
    await page.setViewportSize({ width: Math.floor(paper.width), height: 1000 });
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.top').isVisible()).toBe(false);
    expect(await page.locator('.range-picker').isVisible()).toBe(false);
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(
      'rgb(255, 255, 255)',
    );
    const layout = await page.evaluate(() => {
      const box = (e: { getBoundingClientRect(): { top: number; bottom: number } }) => {
        const r = e.getBoundingClientRect();
        return { top: r.top + window.scrollY, bottom: r.bottom + window.scrollY };
      };
      const bands = Array.from(document.querySelectorAll('.dash-band')).map(box);
      const panels = Array.from(document.querySelectorAll('.dash-panel')).map((e) => ({
        ...box(e),
        id: e.getAttribute('data-panel') ?? '',
      }));
      return { bands, panels, height: document.documentElement.scrollHeight };
    });
    expect(layout.panels.length).toBeGreaterThanOrEqual(11);
    const sim = paginate(layout.bands, paper.height, layout.height);
    // Every panel lies on one page once the bands are pushed past page ends.
    for (const p of layout.panels) {
      const band = layout.bands.findIndex((b) => p.top >= b.top - 0.5 && p.bottom <= b.bottom + 0.5);
      const placed = sim.placed[band];
      expect(placed, p.id).toBeDefined();
      const shift = (placed?.top ?? 0) - (layout.bands[band]?.top ?? 0);
      expect(Math.floor((p.top + shift) / paper.height), p.id).toBe(
        Math.floor((p.bottom + shift - 1) / paper.height),
      );
    }
    await page.screenshot({ path: path.join(outDir, `dashboard-print-${format}.png`), fullPage: true });
    const pdf = await page.pdf({
      format,
      printBackground: true,
      margin: { top: '12mm', bottom: '12mm', left: '12mm', right: '12mm' },
    });
    await writeFile(path.join(outDir, `dashboard-${format}.pdf`), pdf);
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page(?!s)/g) ?? []).length;
    expect(pages).toBeGreaterThan(0);
    // The browser paginated as the layout says: as many pages as the simulation with no panel cut.
    expect(pages).toBe(sim.pages);
    expect(errorsOf(page)).toEqual([]);
    await page.close();
  });
});
