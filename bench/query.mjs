/**
 * Query benchmark: Kanshi's PromQL + HTTP API against Debian's Prometheus on the same data in
 * the same run. A deterministic workload (default 10 k series × 24 h at 15 s: request counters,
 * classic histogram buckets and gauges over 10 jobs × 50 instances) is written over remote_write
 * into both, in time windows across all series; then a fixed query set (rate, sum by,
 * histogram_quantile, topk, *_over_time, binary matching, a subquery, a 24 h range) runs
 * against both over HTTP on loopback, alternating, and the median latency per query, the ratio
 * and both servers' peak RSS are printed. Queries start once both servers have gone idle after the
 * load (compaction of the loaded data done).
 *
 *   npm run bench:query -- [--series 10000] [--hours 24] [--runs 5] [--store memory] [--profile DIR]
 *
 * `--profile DIR` writes a V8 CPU profile of the Kanshi process covering only the queries (not
 * the load) to DIR/kanshi-queries.cpuprofile (open it in Chrome's DevTools, or sum it by function).
 *
 * Runs on the compiled JS in dist/ (the npm script builds first). Kanshi runs in a child
 * process (a server with MemoryStorage, or the embedded TSDB with --store tsdb) so client and
 * servers do not share an event loop. A benchmark, not a test: numbers depend on the machine.
 */
import { fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = new URL('../dist/', import.meta.url);
const STEP_MS = 15_000;
const HOUR = 3_600_000;

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

// ---------------------------------------------------------------------------------------------
// Child mode: the Kanshi server.

async function serveKanshi() {
  const { createHttpApp } = await import(new URL('server/http/app.js', DIST).href);
  const { registerRemoteWrite } = await import(new URL('server/ingest/remote-write.js', DIST).href);
  const { registerPrometheusApi } = await import(new URL('server/api/v1/index.js', DIST).href);
  const { Engine } = await import(new URL('promql/index.js', DIST).href);
  const { Registry } = await import(new URL('exposition/registry.js', DIST).href);
  const { nullLogger } = await import(new URL('base/logger.js', DIST).href);
  let storage;
  let dir;
  if (arg('store', 'memory') === 'tsdb') {
    const { TSDB } = await import(new URL('tsdb/tsdb.js', DIST).href);
    dir = await mkdtemp(join(tmpdir(), 'kanshi-bench-tsdb-'));
    storage = await TSDB.open(dir);
  } else {
    const { MemoryStorage } = await import(new URL('storage/memory-storage.js', DIST).href);
    storage = new MemoryStorage();
  }
  const registry = new Registry();
  const app = createHttpApp({ logger: nullLogger, registry, isReady: () => true, bodyLimitBytes: 256 << 20 });
  registerRemoteWrite(app, {
    appendable: storage,
    limits: {
      maxBodyBytes: 256 << 20,
      maxSeriesPerRequest: 1_000_000,
      maxLabelsPerSeries: 30,
      maxLabelNameLength: 1024,
      maxLabelValueLength: 4096,
    },
  });
  registerPrometheusApi(app, {
    queryable: storage,
    engine: new Engine(storage),
    limits: { queryTimeoutMs: 600_000 },
    buildInfo: {
      version: 'bench',
      revision: '',
      branch: '',
      buildUser: '',
      buildDate: '',
      goVersion: process.version,
    },
    flags: {},
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.send({ port: app.server.address().port });
  let profiler = null;
  process.on('message', async (m) => {
    if (m === 'profile-start') {
      const { Session } = await import('node:inspector/promises');
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
      await profiler.post('Profiler.start');
      process.send({ profiling: true });
    } else if (m === 'profile-stop' && profiler) {
      const { profile } = await profiler.post('Profiler.stop');
      await writeFile(join(arg('profile', '.'), 'kanshi-queries.cpuprofile'), JSON.stringify(profile));
      profiler.disconnect();
      profiler = null;
      process.send({ profiled: true });
    } else if (m === 'stop') {
      await app.close();
      await storage.close();
      if (dir) await rm(dir, { recursive: true, force: true });
      process.exit(0);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Parent mode.

async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

async function waitReady(url, child, what) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/-/ready`);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not yet listening
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not become ready`);
}

/** Peak resident set (VmHWM) of a process, in MiB. */
function peakRssMiB(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Waits until both servers are idle (under 5 % of a core for 3 s in a row, at most `maxS`
 * seconds), so background work on the freshly loaded data (head compaction into blocks) is not
 * timed as query latency. Returns the seconds waited.
 */
async function settle(pids, maxS = 300) {
  const t0 = performance.now();
  let last = pids.map(cpuSeconds);
  let quiet = 0;
  while (quiet < 3 && performance.now() - t0 < maxS * 1000) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = pids.map(cpuSeconds);
    quiet = now.every((c, i) => c - last[i] < 0.05) ? quiet + 1 : 0;
    last = now;
  }
  return (performance.now() - t0) / 1000;
}

/** mulberry32 */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The workload's series: per (job, instance) 2 request counters (code 200/500), 10 histogram
 * buckets and 8 gauges — 20 series; `numSeries / 20` targets spread over 10 jobs.
 */
function workload(numSeries, labelsFromRecord) {
  const targets = Math.max(1, Math.floor(numSeries / 20));
  const les = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
  const series = [];
  for (let t = 0; t < targets; t++) {
    const base = { job: `job-${t % 10}`, instance: `host-${Math.floor(t / 10)}:9100` };
    for (const code of ['200', '500'])
      series.push({
        kind: 'counter',
        scale: code === '200' ? 50 : 1,
        labels: labelsFromRecord({ __name__: 'bench_requests_total', ...base, code }),
      });
    les.forEach((le, b) =>
      series.push({
        kind: 'bucket',
        scale: 20 * (b + 1) ** 1.5,
        labels: labelsFromRecord({ __name__: 'bench_latency_seconds_bucket', ...base, le }),
      }),
    );
    for (let cpu = 0; cpu < 8; cpu++)
      series.push({
        kind: 'gauge',
        scale: 100,
        labels: labelsFromRecord({ __name__: 'bench_cpu_usage_ratio', ...base, cpu: String(cpu) }),
      });
  }
  return series;
}

async function main() {
  const numSeries = Number(arg('series', '10000'));
  const hours = Number(arg('hours', '24'));
  const runs = Number(arg('runs', '5'));
  const store = arg('store', 'memory');
  const windowMs = Number(arg('window-min', '10')) * 60_000;
  const { encodeWriteRequest } = await import(new URL('remotewrite/write-request.js', DIST).href);
  const { labelsFromRecord } = await import(new URL('model/labels.js', DIST).href);

  // Prometheus.
  const promDir = await mkdtemp(join(tmpdir(), 'kanshi-bench-prom-'));
  await writeFile(join(promDir, 'prometheus.yml'), 'global: {}\n');
  const promPort = await freePort();
  const promUrl = `http://127.0.0.1:${promPort}`;
  const prom = spawn(
    '/usr/bin/prometheus',
    [
      `--config.file=${join(promDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(promDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--web.enable-remote-write-receiver',
      '--query.timeout=10m',
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  // Kanshi.
  const kanshi = fork(
    fileURLToPath(import.meta.url),
    ['--serve-kanshi', '--store', store, '--profile', arg('profile', '.')],
    {
      stdio: 'inherit',
    },
  );
  const kanshiPort = await new Promise((resolve, reject) => {
    kanshi.once('message', (m) => resolve(m.port));
    kanshi.once('exit', (code) => reject(new Error(`kanshi exited with ${code}`)));
  });
  const kanshiUrl = `http://127.0.0.1:${kanshiPort}`;
  const stopAll = async () => {
    kanshi.send('stop');
    prom.kill('SIGTERM');
    await Promise.all([new Promise((r) => kanshi.once('exit', r)), new Promise((r) => prom.once('exit', r))]);
    await rm(promDir, { recursive: true, force: true });
  };
  try {
    await waitReady(promUrl, prom, 'prometheus');
    await waitReady(kanshiUrl, kanshi, 'kanshi');

    // Load: the same bodies to both, window by window.
    const series = workload(numSeries, labelsFromRecord);
    const endMs = Math.floor(Date.now() / 60_000) * 60_000;
    const startMs = endMs - hours * HOUR;
    const points = Math.floor((endMs - startMs) / STEP_MS);
    const rnd = prng(7);
    const state = new Float64Array(series.length);
    const jitter = series.map((_, i) => (i * 37) % 1000);
    const took = { kanshi: 0, prometheus: 0, encode: 0 };
    let samples = 0;
    const post = async (url, body, key) => {
      const t0 = performance.now();
      const res = await fetch(`${url}/api/v1/write`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-protobuf',
          'content-encoding': 'snappy',
          'x-prometheus-remote-write-version': '0.1.0',
        },
        body,
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`remote write to ${key}: ${res.status} ${text}`);
      took[key] += performance.now() - t0;
    };
    const perWindow = Math.max(1, Math.round(windowMs / STEP_MS));
    for (let from = 0; from < points; from += perWindow) {
      const to = Math.min(points, from + perWindow);
      const t0 = performance.now();
      const timeseries = series.map((s, idx) => {
        const out = [];
        for (let i = from; i < to; i++) {
          let v;
          if (s.kind === 'gauge')
            v = Math.round(s.scale * (0.5 + 0.4 * Math.sin(i / 200 + idx) + 0.1 * rnd())) / 100;
          else {
            state[idx] += Math.floor(s.scale * (0.5 + rnd()));
            v = state[idx];
          }
          out.push({ value: v, timestamp: startMs + i * STEP_MS + jitter[idx] });
        }
        return { labels: s.labels, samples: out };
      });
      const body = encodeWriteRequest({ timeseries });
      took.encode += performance.now() - t0;
      samples += series.length * (to - from);
      await Promise.all([post(kanshiUrl, body, 'kanshi'), post(promUrl, body, 'prometheus')]);
      process.stderr.write(`\r\x1b[Kloaded ${samples.toLocaleString('en-US')} samples`);
    }
    process.stderr.write('\n');
    const settledS = await settle([kanshi.pid, prom.pid]);

    const end = endMs / 1000;
    const queries = [
      ['rate (one job, 1h@30s)', 'range', 'rate(bench_requests_total{job="job-3"}[5m])', 1, 30],
      ['sum by rate (1h@30s)', 'range', 'sum by (job) (rate(bench_requests_total[5m]))', 1, 30],
      [
        'histogram_quantile (1h@30s)',
        'range',
        'histogram_quantile(0.9, sum by (le, job) (rate(bench_latency_seconds_bucket[5m])))',
        1,
        30,
      ],
      ['topk (instant)', 'instant', 'topk(10, sum by (instance) (rate(bench_requests_total[5m])))'],
      ['avg_over_time 1h (instant)', 'instant', 'avg by (job) (avg_over_time(bench_cpu_usage_ratio[1h]))'],
      [
        `quantile_over_time ${hours}h (one job)`,
        'instant',
        `quantile_over_time(0.95, bench_cpu_usage_ratio{job="job-1"}[${hours}h])`,
      ],
      [
        'binary on() ratio (1h@30s)',
        'range',
        'sum by (job, instance) (rate(bench_requests_total{code="500"}[5m])) / on(job, instance) sum by (job, instance) (rate(bench_requests_total[5m]))',
        1,
        30,
      ],
      [
        'subquery max_over_time (instant)',
        'instant',
        'max_over_time(sum by (job) (rate(bench_requests_total[5m]))[1h:1m])',
      ],
      [`sum rate (${hours}h@5m)`, 'range', 'sum(rate(bench_requests_total[5m]))', hours, 300],
    ];
    const ask = async (base, q) => {
      const params =
        q[1] === 'instant'
          ? { query: q[2], time: String(end) }
          : { query: q[2], start: String(end - q[3] * 3600), end: String(end), step: String(q[4]) };
      const t0 = performance.now();
      const res = await fetch(`${base}/api/v1/${q[1] === 'instant' ? 'query' : 'query_range'}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(params).toString(),
      });
      const text = await res.text();
      const ms = performance.now() - t0;
      return { ms, text, ok: res.ok };
    };
    const median = (xs) => {
      const s = [...xs].sort((a, b) => a - b);
      const mid = s.length >> 1;
      return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
    };
    const profileDir = arg('profile', '');
    const tell = (msg, reply) =>
      new Promise((resolve) => {
        const on = (m) => {
          if (m && m[reply]) {
            kanshi.off('message', on);
            resolve();
          }
        };
        kanshi.on('message', on);
        kanshi.send(msg);
      });
    if (profileDir) await tell('profile-start', 'profiling');
    const rows = [];
    for (const q of queries) {
      // One warm-up each; also checks both answer and return as many series.
      const [a, b] = [await ask(kanshiUrl, q), await ask(promUrl, q)];
      const count = (r) => (r.ok ? JSON.parse(r.text).data.result.length : `error ${r.text.slice(0, 120)}`);
      const same = count(a) === count(b) ? '' : ` (series: kanshi ${count(a)}, prometheus ${count(b)})`;
      const tk = [];
      const tp = [];
      for (let i = 0; i < runs; i++) {
        tk.push((await ask(kanshiUrl, q)).ms);
        tp.push((await ask(promUrl, q)).ms);
      }
      rows.push([q[0] + same, median(tk), median(tp)]);
      process.stderr.write('.');
    }
    process.stderr.write('\n');
    if (profileDir) await tell('profile-stop', 'profiled');
    const peakK = peakRssMiB(kanshi.pid);
    const peakP = peakRssMiB(prom.pid);
    const out = [];
    out.push(
      `query benchmark: ${series.length} series × ${hours} h at 15 s = ${samples.toLocaleString('en-US')} samples, ${runs} runs, kanshi store ${store}, node ${process.version}`,
    );
    out.push(
      `load (remote_write, ${windowMs / 60_000} min windows): kanshi ${(took.kanshi / 1000).toFixed(1)} s, prometheus ${(took.prometheus / 1000).toFixed(1)} s, encoding ${(took.encode / 1000).toFixed(1)} s; both idle ${settledS.toFixed(0)} s later`,
    );
    out.push(`load average (1 min) after the queries: ${loadavg()[0].toFixed(2)} on ${cpus().length} CPUs`);
    out.push('');
    out.push('| query | kanshi median ms | prometheus median ms | kanshi / prometheus |');
    out.push('| --- | ---: | ---: | ---: |');
    for (const [name, k, p] of rows)
      out.push(`| ${name} | ${k.toFixed(1)} | ${p.toFixed(1)} | ${(k / p).toFixed(2)} |`);
    out.push('');
    out.push(`peak RSS: kanshi ${peakK.toFixed(0)} MiB, prometheus ${peakP.toFixed(0)} MiB`);
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    await stopAll();
  }
}

if (process.argv.includes('--serve-kanshi')) await serveKanshi();
else await main();
