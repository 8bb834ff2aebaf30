/**
 * The Alerts and Checks pages end to end: a real Kanshi server with a rule file holding an
 * always-firing alert, serving the built UI, driven by Debian's chromium through playwright-core.
 * A silence created from the alert through the form must mute it (issue 6: "a silence created from
 * an alert mutes it"), as `/api/v2/alerts` reports; the Checks page shows posted check results with
 * their availability. Screenshots in light and dark go to test-output/ui/. Needs the UI built
 * (`npm run build`) and /usr/bin/chromium; skipped with a warning otherwise, as ui-e2e is.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/base/clock.js';
import { nullLogger } from '../../src/base/logger.js';
import { serverConfig, serverGlobalSchema } from '../../src/server/config/schema.js';
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
import { checkResult, sendChecks } from './ui-data.helper.js';

interface V2Alert {
  labels: Record<string, string>;
  status: { state: string; silencedBy: string[] };
}

interface Availability {
  host: string;
  check: string;
  windows: Record<string, { ratio: number | null }>;
}

describe.skipIf(!canRunUiTests('ui-alerts-e2e'))('Alerts and Checks pages end to end', () => {
  let dir: string;
  let server: KanshiServer;
  let browser: Browser;
  const now = Date.now();

  const getJson = <T>(url: string): Promise<T> => fetchJson<T>(server.url, url);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kanshi-ui-alerts-e2e-'));
    await mkdir(UI_OUT_DIR, { recursive: true });
    await writeFile(
      path.join(dir, 'rules.yml'),
      `groups:
  - name: always
    rules:
      - alert: AlwaysOn
        expr: vector(1)
        labels: { severity: page, team: ops }
        annotations: { summary: "always firing, value {{ $value }}" }
`,
    );
    server = await startServer({
      config: serverConfig.parse({ listen: '127.0.0.1:0', data_dir: 'data', watch_config: false }),
      logger: nullLogger,
      clock: systemClock,
      baseDir: dir,
      global: serverGlobalSchema.parse({ evaluation_interval: '1s' }),
      ruleFiles: ['rules.yml'],
      uiDistDir: defaultUiDistDir(),
    });
    // web-1's http check: OK every 5 minutes over the last 24 hours, so its 24 h availability is
    // (nearly) whole and its 7 d one about a seventh.
    const runs = [];
    for (let t = now - 24 * 3_600_000 + 60_000; t <= now - 10_000; t += 300_000) {
      runs.push(checkResult('http', 'OK', 'HTTP OK: HTTP/1.1 200 OK', t));
    }
    await sendChecks(server.url, 'web-1', runs);
    await sendChecks(server.url, 'db-1', [
      checkResult('disk', 'CRITICAL', 'DISK CRITICAL - free space: / 512 MB (2% inode=90%)', now - 5_000),
    ]);
    browser = await launchChromium();
  });

  afterAll(() => closeUiTest({ browser, server, dir }));

  const open = (colorScheme: 'light' | 'dark', url: string, locale = 'en-US'): Promise<RecordingPage> =>
    openPage(browser, `${server.url}${url}`, { colorScheme, locale });

  it('mutes the alert with a silence created from it through the form', async () => {
    // The rule fires at its first evaluation (no `for:`); wait for the pipeline to hold it.
    await expect
      .poll(async () => (await getJson<V2Alert[]>('/api/v2/alerts')).map((a) => a.labels.alertname), {
        timeout: 15_000,
      })
      .toContain('AlwaysOn');
    const page = await open('light', '/alerts');
    const item = page.locator('li[data-alert="AlwaysOn"][data-state="active"]');
    await item.waitFor();
    expect(await item.textContent()).toContain('always firing, value 1');
    expect(await item.textContent()).toContain('team=ops');
    // The rules table shows the rule firing.
    const rule = page.locator('tr[data-rule="AlwaysOn"]');
    await rule.waitFor();
    expect(await rule.getAttribute('data-state')).toBe('firing');
    await shot(page, 'alerts-light');

    await item.getByRole('button', { name: 'Silence' }).click();
    const form = page.getByTestId('silence-form');
    await form.waitFor();
    // Prefilled with the alert's labels, alertname first.
    const names = await form
      .getByLabel('Label name')
      .evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value));
    expect(names).toEqual(['alertname', 'severity', 'team']);
    // Narrow it: drop the severity matcher, keep alertname and team.
    await form.getByTestId('matcher').nth(1).getByRole('button', { name: 'Remove' }).click();
    await form.getByLabel('Duration (e.g. 2h, 1d12h)').fill('1h30m');
    await form.getByLabel('Author').fill('alice');
    await form.getByLabel('Comment').fill('planned work');
    await form.getByRole('button', { name: 'Create silence' }).click();
    const created = page.getByTestId('silence-created');
    await created.waitFor();
    const id = /Silence (\S+) created/.exec((await created.textContent()) ?? '')?.[1];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const silences =
      await getJson<
        { id: string; matchers: { name: string; value: string }[]; createdBy: string; endsAt: string }[]
      >('/api/v2/silences');
    const silence = silences.find((s) => s.id === id);
    expect(silence?.matchers.map((m) => `${m.name}=${m.value}`)).toEqual(['alertname=AlwaysOn', 'team=ops']);
    expect(silence?.createdBy).toBe('alice');
    const lengthMs = Date.parse(silence?.endsAt ?? '') - Date.now();
    expect(lengthMs).toBeGreaterThan(80 * 60_000);
    expect(lengthMs).toBeLessThanOrEqual(90 * 60_000);

    // The criterion: the alert is now suppressed by that silence.
    await expect
      .poll(
        async () => {
          const a = (await getJson<V2Alert[]>('/api/v2/alerts')).find(
            (x) => x.labels.alertname === 'AlwaysOn',
          );
          return a?.status;
        },
        { timeout: 10_000 },
      )
      .toEqual(expect.objectContaining({ state: 'suppressed', silencedBy: [id] }));
    // And the page says so after its reload, with the silence listed as active.
    await page.locator('li[data-alert="AlwaysOn"][data-state="suppressed"]').waitFor();
    expect(await page.locator(`tr[data-silence="${id}"]`).getAttribute('data-state')).toBe('active');

    // Expiring it from the list unmutes the alert.
    await page.locator(`tr[data-silence="${id}"]`).getByRole('button', { name: 'Expire' }).click();
    await expect
      .poll(
        async () =>
          (await getJson<V2Alert[]>('/api/v2/alerts')).find((x) => x.labels.alertname === 'AlwaysOn')?.status
            .state,
        { timeout: 10_000 },
      )
      .toBe('active');
    await page.locator(`tr[data-silence="${id}"][data-state="expired"]`).waitFor();
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it.each(['light', 'dark'] as const)('shows the alert with its timeline (%s)', async (scheme) => {
    const page = await open(scheme, '/alerts');
    const item = page.locator('li[data-alert="AlwaysOn"]').first();
    await item.waitFor();
    await item.getByRole('button', { name: 'Timeline' }).click();
    await item
      .getByText(/firing|No recorded events/)
      .first()
      .waitFor();
    await shot(page, `alerts-timeline-${scheme}`);
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it.each(['light', 'dark'] as const)('shows every check with its availability (%s)', async (scheme) => {
    const availability = await getJson<{ data: Availability[] }>(
      '/api/kanshi/v1/checks/availability?windows=24h,7d,30d',
    );
    const http = availability.data.find((a) => a.host === 'web-1' && a.check === 'http');
    const ratio24h = http?.windows['24h']?.ratio ?? 0;
    expect(ratio24h).toBeGreaterThan(0.95);
    const ratio7d = http?.windows['7d']?.ratio ?? 0;

    const page = await open(scheme, '/checks');
    const row = page.locator('tr[data-host="web-1"][data-check="http"]');
    await row.waitFor();
    expect(await row.locator('[data-status]').getAttribute('data-status')).toBe('OK');
    const pct = (ratio: number): string => `${(Math.floor(ratio * 10_000) / 100).toFixed(2)} %`;
    expect(await row.locator('td[data-window="24h"]').textContent()).toBe(pct(ratio24h));
    expect(await row.locator('td[data-window="7d"]').textContent()).toBe(pct(ratio7d));
    const disk = page.locator('tr[data-host="db-1"][data-check="disk"]');
    expect(await disk.locator('[data-status]').getAttribute('data-status')).toBe('CRITICAL');
    expect(await disk.textContent()).toContain('DISK CRITICAL');
    await shot(page, `checks-${scheme}`);
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('speaks Japanese on the Alerts and Checks pages', async () => {
    const page = await open('dark', '/alerts', 'ja-JP');
    await page.getByRole('heading', { level: 1, name: 'アラート' }).waitFor();
    const item = page.locator('li[data-alert="AlwaysOn"]').first();
    await item.getByRole('button', { name: 'サイレンス' }).waitFor();
    await page.getByRole('heading', { name: 'メンテナンス期間' }).waitFor();
    await shot(page, 'alerts-dark-ja');
    await page.getByRole('link', { name: 'チェック' }).click();
    await page.getByRole('heading', { name: 'すべてのチェックの状態' }).waitFor();
    await page.locator('tr[data-host="web-1"][data-check="http"]').waitFor();
    await shot(page, 'checks-dark-ja');
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('acknowledges an open check alert from the Checks page', async () => {
    const open0 = await getJson<{ data: { id: string; check?: string }[] }>('/api/kanshi/v1/monitors/alerts');
    const disk = open0.data.find((a) => a.check === 'disk');
    expect(disk, 'the CRITICAL disk check opened a check-monitor alert').toBeDefined();
    const page = await open('light', '/checks');
    const row = page.locator(`tr[data-monitor-alert="${disk?.id}"]`);
    await row.waitFor();
    await page.getByLabel('Your name').fill('bob');
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    await row.getByText('Acknowledged by bob').waitFor();
    const after = await getJson<{ data: { id: string; acknowledged: { by: string } | null }[] }>(
      '/api/kanshi/v1/monitors/alerts',
    );
    expect(after.data.find((a) => a.id === disk?.id)?.acknowledged?.by).toBe('bob');
    expect(page.errors).toEqual([]);
    await page.close();
  });
});
