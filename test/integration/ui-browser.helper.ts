/**
 * What the web UI's end-to-end tests share: whether they can run (Debian's chromium and the built
 * UI), launching chromium as issue 6 asks, opening a page that records its script errors,
 * full-page screenshots into test-output/ui/, reading the server's JSON and tearing it all down.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { defaultUiDistDir } from '../../src/server/ui/register-ui.js';

/** Debian's chromium. */
export const CHROMIUM = '/usr/bin/chromium';
/** Where screenshots go. */
export const UI_OUT_DIR = path.resolve(import.meta.dirname, '../../test-output/ui');

/**
 * Whether the UI tests can run here: chromium installed and the UI built. Warns (naming the test
 * and what to install or run) when not, so a skipped test says why.
 */
export function canRunUiTests(testName: string): boolean {
  const distDir = defaultUiDistDir();
  const hasChromium = existsSync(CHROMIUM);
  const isBuilt = existsSync(path.join(distDir, 'index.html'));
  if (!hasChromium) console.warn(`${testName}: skipped, ${CHROMIUM} is missing (apt-get install chromium)`);
  if (!isBuilt) console.warn(`${testName}: skipped, the UI is not built in ${distDir} (npm run build)`);
  return hasChromium && isBuilt;
}

/** Headless chromium without sandbox, GPU or background networking. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** A page whose uncaught script errors are collected in `errors`. */
export type RecordingPage = Page & { errors: string[] };

/** Opens `url` in a new 1280×900 page in `colorScheme` and `locale` (default en-US). */
export async function openPage(
  browser: Browser,
  url: string,
  options: { colorScheme: 'light' | 'dark'; locale?: string },
): Promise<RecordingPage> {
  const page = (await browser.newPage({
    colorScheme: options.colorScheme,
    locale: options.locale ?? 'en-US',
    viewport: { width: 1280, height: 900 },
  })) as RecordingPage;
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(url);
  return page;
}

/** A full-page screenshot to test-output/ui/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(UI_OUT_DIR, `${name}.png`), fullPage: true });
}

/** GETs `url` (a path) from the server at `baseUrl`, expects a 200 and returns the JSON body. */
export async function getJson<T>(baseUrl: string, url: string): Promise<T> {
  const res = await fetch(`${baseUrl}${url}`);
  expect(res.status, url).toBe(200);
  return (await res.json()) as T;
}

/**
 * Closes what a UI test's beforeAll started — the browser, the server, then its temporary folder —
 * skipping whatever it did not get to start.
 */
export async function closeUiTest(started: {
  readonly browser: Browser | undefined;
  readonly server: { close(): Promise<void> } | undefined;
  readonly dir: string | undefined;
}): Promise<void> {
  await started.browser?.close();
  await started.server?.close();
  if (started.dir) await rm(started.dir, { recursive: true, force: true });
}
