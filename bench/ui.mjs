/**
 * Web UI benchmark (issue 6): what a browser downloads to show the first page, and how long a
 * 20-panel dashboard over 24 h × 50 series takes to finish drawing in Chromium.
 *
 *   npm run bench:ui -- [--panels 20] [--series 50] [--hours 24] [--runs 5]
 *
 * 1. First-load size: the JS and CSS that dist/ui/index.html loads (entry script, modulepreload
 *    links, stylesheets), gzip-compressed at level 9 as the server sends them; the lazily loaded
 *    chunks (host page, Explore's editor) are listed apart.
 * 2. Draw time: a Kanshi server (compiled; MemoryStorage, so the TSDB's compaction of the freshly
 *    loaded day does not run during the measurement: bench:query and bench:tsdb measure the store)
 *    serving the built UI gets
 *    `--series` gauges over `--hours` at 60 s by remote_write; Debian's chromium (headless) opens
 *    the ad-hoc dashboard with `--panels` panels each querying all the series, and the time from
 *    navigation start to the moment every panel's uPlot chart has drawn (`data-points` set) is
 *    read from performance.now() in the page. Each run is a fresh page with a warm HTTP cache but
 *    the first, which is cold. The median and the cold run are printed.
 *
 * Runs on the compiled JS in dist/ (the npm script builds first). A benchmark, not a test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const DIST = new URL('../dist/', import.meta.url);
const UI = new URL('ui/', DIST);
const CHROMIUM = '/usr/bin/chromium';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}
const PANELS = arg('panels', 20);
const SERIES = arg('series', 50);
const HOURS = arg('hours', 24);
const RUNS = arg('runs', 5);
const STEP_MS = 60_000;

const medianOf = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

function firstLoad() {
  const html = readFileSync(new URL('index.html', UI), 'utf8');
  const refs = new Set();
  for (const m of html.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)) refs.add(m[1]);
  for (const m of html.matchAll(/<link[^>]*\brel="(?:modulepreload|stylesheet)"[^>]*\bhref="([^"]+)"/g))
    refs.add(m[1]);
  let js = 0;
  let css = 0;
  let raw = 0;
  for (const ref of refs) {
    const body = readFileSync(new URL(`.${ref}`, UI));
    const gz = gzipSync(body, { level: 9 }).length;
    raw += body.length;
    if (ref.endsWith('.css')) css += gz;
    else js += gz;
  }
  const htmlGz = gzipSync(Buffer.from(html), { level: 9 }).length;
  return { files: [...refs], jsGzip: js, cssGzip: css, htmlGzip: htmlGz, raw };
}

function lazyChunks(initial) {
  const out = [];
  const dir = new URL('assets/', UI);
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.js') || initial.has(`/assets/${name}`)) continue;
    out.push({ name, gzip: gzipSync(readFileSync(new URL(name, dir)), { level: 9 }).length });
  }
  return out.sort((a, b) => b.gzip - a.gzip);
}

async function loadData(url, now) {
  const { encodeWriteRequest } = await import(new URL('remotewrite/write-request.js', DIST).href);
  const { labelsFromRecord } = await import(new URL('model/labels.js', DIST).href);
  const start = now - HOURS * 3_600_000;
  const times = [];
  for (let t = start; t <= now; t += STEP_MS) times.push(t);
  // Windows of 2 h across all series, so every series' samples arrive in time order.
  const perWindow = Math.round(7_200_000 / STEP_MS);
  for (let w = 0; w < times.length; w += perWindow) {
    const slice = times.slice(w, w + perWindow);
    const timeseries = [];
    for (let s = 0; s < SERIES; s++) {
      timeseries.push({
        labels: labelsFromRecord({
          __name__: 'kanshi_bench_gauge',
          job: 'bench',
          instance: 'bench-1',
          series: String(s),
        }),
        samples: slice.map((t) => ({ timestamp: t, value: 50 + 40 * Math.sin(t / 3_600_000 + s) })),
      });
    }
    const res = await fetch(`${url}/api/v1/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
      body: encodeWriteRequest({ timeseries }),
    });
    if (!res.ok) throw new Error(`remote_write: ${res.status} ${await res.text()}`);
  }
  return times.length * SERIES;
}

async function main() {
  const size = firstLoad();
  const lazy = lazyChunks(new Set(size.files));

  const { startServer } = await import(new URL('server/server.js', DIST).href);
  const { serverConfig } = await import(new URL('server/config/schema.js', DIST).href);
  const { systemClock } = await import(new URL('base/clock.js', DIST).href);
  const { nullLogger } = await import(new URL('base/logger.js', DIST).href);
  const { chromium } = await import('playwright-core');

  const dir = await mkdtemp(join(tmpdir(), 'kanshi-bench-ui-'));
  const { MemoryStorage } = await import(new URL('storage/memory-storage.js', DIST).href);
  const server = await startServer({
    storage: new MemoryStorage(),
    config: serverConfig.parse({ listen: '127.0.0.1:0', data_dir: 'data' }),
    logger: nullLogger,
    clock: systemClock,
    baseDir: dir,
    uiDistDir: fileURLToPath(UI),
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const now = Date.now();
    const samples = await loadData(server.url, now);
    const q = new URLSearchParams({ from: `now-${HOURS}h`, to: 'now' });
    for (let i = 0; i < PANELS; i++) q.append('q', `kanshi_bench_gauge{job="bench"} + ${i}`);
    const target = `${server.url}/dashboards/adhoc?${q}`;
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    const times = [];
    const busy = [];
    let points = 0;
    for (let r = 0; r < RUNS; r++) {
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      await page.goto(target);
      const handle = await page.waitForFunction(
        (n) => {
          const charts = document.querySelectorAll('.chart[data-points]');
          return charts.length === n ? performance.now() : false;
        },
        PANELS,
        { polling: 'raf', timeout: 120_000 },
      );
      times.push(await handle.jsonValue());
      // Main-thread busy time of the page: less sensitive than wall time to a loaded machine.
      const { metrics } = await cdp.send('Performance.getMetrics');
      const metric = (name) => metrics.find((m) => m.name === name)?.value ?? NaN;
      busy.push({ taskMs: metric('TaskDuration') * 1000, scriptMs: metric('ScriptDuration') * 1000 });
      points = await page.evaluate(() =>
        [...document.querySelectorAll('.chart[data-points]')].reduce(
          (a, el) => a + Number(el.dataset.points),
          0,
        ),
      );
      await page.close();
    }
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    const result = {
      firstLoadJsGzipBytes: size.jsGzip,
      firstLoadCssGzipBytes: size.cssGzip,
      indexHtmlGzipBytes: size.htmlGzip,
      panels: PANELS,
      series: SERIES,
      hours: HOURS,
      samplesLoaded: samples,
      pointsDrawn: points,
      drawMsCold: Math.round(times[0]),
      drawMsMedian: Math.round(median),
      drawMsRuns: times.map((t) => Math.round(t)),
      mainThreadBusyMsMedian: Math.round(medianOf(busy.map((b) => b.taskMs))),
      scriptMsMedian: Math.round(medianOf(busy.map((b) => b.scriptMs))),
      loadAverage1m: Number(loadavg()[0].toFixed(2)),
      cpus: (await import('node:os')).cpus().length,
    };
    console.log('Kanshi web UI benchmark');
    console.log(
      `first load: JS ${kib(size.jsGzip)} gzip, CSS ${kib(size.cssGzip)} gzip, index.html ${kib(size.htmlGzip)} gzip (${size.files.join(', ')})`,
    );
    console.log(`lazy chunks (gzip): ${lazy.map((c) => `${c.name} ${kib(c.gzip)}`).join(', ')}`);
    console.log(
      `${PANELS}-panel dashboard, ${SERIES} series × ${HOURS} h (${samples} samples stored, ${points} points drawn): ` +
        `cold ${result.drawMsCold} ms, median of ${RUNS} ${result.drawMsMedian} ms (aim: < 1500 ms)`,
    );
    console.log(
      `browser main thread busy (median): ${result.mainThreadBusyMsMedian} ms, of which script ${result.scriptMsMedian} ms`,
    );
    console.log(`load average ${result.loadAverage1m} on ${result.cpus} CPUs (figures scale with it)`);
    console.log(JSON.stringify(result));
  } finally {
    await browser.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
