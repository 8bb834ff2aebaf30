/**
 * Storage benchmark (issue 3 "Figures"): one deterministic workload — node_exporter-like host
 * series and an HTTP request-duration histogram per host, 15 s interval — sent over
 * remote_write to Kanshi (`node bin/kanshi.js server`), Debian's `prometheus`
 * (--web.enable-remote-write-receiver) and Debian's `victoria-metrics`, in one run. Each request
 * body is encoded once and posted to the three servers one after the other, so each is timed on
 * the same bytes without competing for the CPU. Printed per server: samples/s ingested (samples
 * over the time its write requests took), samples per CPU second the server used (user + system,
 * from the end of start-up to after the load: the fair figure on a shared, loaded machine, where
 * wall time mostly measures waiting for a core), peak RSS (VmHWM), RSS per active series, and bytes per
 * sample on disk once blocks are cut (Kanshi, Prometheus: block folders over their samples;
 * VictoriaMetrics: its storage parts after /internal/force_flush), with ratios to Kanshi.
 *
 *   npm run bench:tsdb -- [--series 10000 | --100k] [--hours 4] [--samples-per-request 2000]
 *                         [--only kanshi,prometheus,victoria-metrics] [--dist DIR]
 *
 * `--only` runs a subset of the servers (ratios are to the first one listed); `--dist` runs Kanshi
 * from another build folder (`tsc -p tsconfig.build.json --outDir DIR`), for profiling a change
 * without touching `dist/`. `KANSHI_BENCH_NODE_OPTIONS` is passed to the Kanshi process as node
 * options (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 *
 * Runs on the compiled JS (the npm script builds first). The data span (default 4 h of
 * timestamps ending now) makes both Kanshi and Prometheus cut 2 h blocks. A benchmark, not a
 * test: numbers depend on the machine.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import cliProgress from 'cli-progress';

const STEP_MS = 15_000;
const HOUR = 3_600_000;

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const DIST = arg('dist', undefined)
  ? pathToFileURL(`${resolve(arg('dist', ''))}/`)
  : new URL('../dist/', import.meta.url);
const ONLY = arg('only', 'kanshi,prometheus,victoria-metrics').split(',');

/** Node arguments that run Kanshi's `main` from DIST with the arguments that follow. */
function kanshiCommand() {
  const node = (process.env.KANSHI_BENCH_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
  if (arg('dist', undefined) === undefined)
    return [...node, fileURLToPath(new URL('../bin/kanshi.js', import.meta.url))];
  const main = new URL('cmd/kanshi.js', DIST).href;
  return [
    ...node,
    '--input-type=module',
    '-e',
    `import { main } from ${JSON.stringify(main)}; process.exitCode = await main(process.argv.slice(1));`,
  ];
}

async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

async function waitReady(url, path, child, what) {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}${path}`);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not yet listening
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not become ready`);
}

/** Peak resident set (VmHWM) of a process, bytes. */
function peakRss(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (clock ticks of 10 ms). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** mulberry32: the same workload every run. */
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
 * About 180 series per host: node_cpu_seconds_total (8 CPUs × 8 modes), memory, filesystem,
 * disk and network series as node_exporter names them, and a classic histogram of HTTP request
 * durations over 5 handlers.
 */
function workload(numSeries, labelsFromRecord) {
  const series = [];
  const modes = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'];
  const les = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '+Inf'];
  for (let h = 0; series.length < numSeries; h++) {
    const base = { job: 'node', instance: `host-${h}:9100` };
    const add = (kind, scale, labels) =>
      series.push({ kind, scale, labels: labelsFromRecord({ ...base, ...labels }) });
    for (let cpu = 0; cpu < 8; cpu++)
      for (const mode of modes)
        add('counter-f', mode === 'idle' ? 14 : 0.3, {
          __name__: 'node_cpu_seconds_total',
          cpu: String(cpu),
          mode,
        });
    for (const m of [
      'MemTotal',
      'MemFree',
      'MemAvailable',
      'Buffers',
      'Cached',
      'SwapTotal',
      'SwapFree',
      'Active',
      'Inactive',
      'Dirty',
    ])
      add(m.endsWith('Total') ? 'const' : 'gauge-big', 8e9, { __name__: `node_memory_${m}_bytes` });
    for (const mp of ['/', '/boot', '/var', '/home'])
      for (const f of ['size', 'avail', 'free'])
        add(f === 'size' ? 'const' : 'gauge-big', 1e11, {
          __name__: `node_filesystem_${f}_bytes`,
          mountpoint: mp,
          device: '/dev/sda1',
          fstype: 'ext4',
        });
    for (const dev of ['sda', 'sdb'])
      for (const f of [
        'reads_completed_total',
        'writes_completed_total',
        'read_bytes_total',
        'written_bytes_total',
      ])
        add('counter', f.includes('bytes') ? 4e5 : 40, { __name__: `node_disk_${f}`, device: dev });
    for (const dev of ['eth0', 'lo'])
      for (const f of [
        'receive_bytes_total',
        'transmit_bytes_total',
        'receive_packets_total',
        'transmit_packets_total',
      ])
        add('counter', f.includes('bytes') ? 2e5 : 300, { __name__: `node_network_${f}`, device: dev });
    for (const f of ['load1', 'load5', 'load15']) add('gauge', 2, { __name__: `node_${f}` });
    for (const handler of ['/', '/api/v1/query', '/api/v1/write', '/metrics', '/login']) {
      les.forEach((le, b) =>
        add('counter', 5 * (b + 1), {
          __name__: 'http_request_duration_seconds_bucket',
          handler,
          le,
          job: 'app',
        }),
      );
      add('counter-f', 3, { __name__: 'http_request_duration_seconds_sum', handler, job: 'app' });
      add('counter', 60, { __name__: 'http_request_duration_seconds_count', handler, job: 'app' });
    }
  }
  series.length = numSeries;
  return series;
}

async function dirBytes(dir) {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? await dirBytes(p) : (await stat(p)).size;
  }
  return n;
}

/** Bytes and samples of the blocks (folders with a meta.json) directly under `dir`. */
async function blockFigures(dir) {
  let bytes = 0;
  let samples = 0;
  let blocks = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    let meta;
    try {
      meta = JSON.parse(await readFile(join(dir, e.name, 'meta.json'), 'utf8'));
    } catch {
      continue;
    }
    blocks++;
    samples += meta.stats?.numSamples ?? 0;
    bytes += await dirBytes(join(dir, e.name));
  }
  return { bytes, samples, blocks };
}

async function vmFigures(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  let bytes = 0;
  let rows = 0;
  for (const m of text.matchAll(/^vm_data_size_bytes\{type="((?:storage|indexdb)\/[^"]*)"\} (\S+)$/gm))
    bytes += Number(m[2]);
  for (const m of text.matchAll(/^vm_rows\{type="(storage\/[^"]*)"\} (\S+)$/gm)) rows += Number(m[2]);
  return { bytes, samples: rows, blocks: NaN };
}

async function main() {
  const numSeries = process.argv.includes('--100k') ? 100_000 : Number(arg('series', '10000'));
  const hours = Number(arg('hours', '4'));
  const perRequest = Number(arg('samples-per-request', '2000'));
  const { encodeWriteRequest } = await import(new URL('remotewrite/write-request.js', DIST).href);
  const { labelsFromRecord } = await import(new URL('model/labels.js', DIST).href);
  const root = await mkdtemp(join(tmpdir(), 'kanshi-bench-tsdb-'));

  const targets = [];
  const want = (name) => ONLY.includes(name);
  const kPort = await freePort();
  const kDir = join(root, 'kanshi');
  if (want('kanshi'))
    targets.push({
      name: 'kanshi',
      url: `http://127.0.0.1:${kPort}`,
      ready: '/-/ready',
      proc: spawn(
        process.execPath,
        [
          ...kanshiCommand(),
          'server',
          '--listen',
          `127.0.0.1:${kPort}`,
          '--data',
          kDir,
          '--log-level',
          'warn',
        ],
        {
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      ),
      disk: () => blockFigures(join(kDir, 'tenants', 'default')),
    });
  const pPort = await freePort();
  const pDir = join(root, 'prometheus');
  await writeFile(join(root, 'prometheus.yml'), 'global: {}\n');
  if (want('prometheus'))
    targets.push({
      name: 'prometheus',
      url: `http://127.0.0.1:${pPort}`,
      ready: '/-/ready',
      proc: spawn(
        '/usr/bin/prometheus',
        [
          `--config.file=${join(root, 'prometheus.yml')}`,
          `--storage.tsdb.path=${pDir}`,
          `--web.listen-address=127.0.0.1:${pPort}`,
          '--web.enable-remote-write-receiver',
        ],
        { stdio: ['ignore', 'ignore', 'ignore'] },
      ),
      disk: () => blockFigures(pDir),
    });
  const vPort = await freePort();
  const vDir = join(root, 'victoria-metrics');
  const vUrl = `http://127.0.0.1:${vPort}`;
  if (want('victoria-metrics'))
    targets.push({
      name: 'victoria-metrics',
      url: vUrl,
      ready: '/health',
      proc: spawn(
        '/usr/bin/victoria-metrics',
        [
          `-httpListenAddr=127.0.0.1:${vPort}`,
          `-storageDataPath=${vDir}`,
          '-retentionPeriod=100y',
          '-search.disableCache',
        ],
        { stdio: ['ignore', 'ignore', 'ignore'] },
      ),
      disk: async () => {
        await (await fetch(`${vUrl}/internal/force_flush`)).arrayBuffer();
        await new Promise((r) => setTimeout(r, 2000));
        return vmFigures(vUrl);
      },
    });
  try {
    for (const t of targets) await waitReady(t.url, t.ready, t.proc, t.name);
    for (const t of targets) {
      t.ms = 0;
      t.cpu0 = cpuSeconds(t.proc.pid);
    }

    const series = workload(numSeries, labelsFromRecord);
    const endMs = Math.floor(Date.now() / STEP_MS) * STEP_MS;
    const startMs = endMs - hours * HOUR;
    const points = Math.floor((endMs - startMs) / STEP_MS);
    const rnd = prng(7);
    const state = new Float64Array(series.length);
    const offset = series.map((_, i) => (i * 37) % 1000);
    for (let i = 0; i < series.length; i++)
      state[i] = series[i].kind.startsWith('gauge-big') ? series[i].scale * 0.5 : series[i].scale * 1000;
    const seriesPerBody = Math.max(1, Math.floor(perRequest));
    const bodiesPerStep = Math.ceil(series.length / seriesPerBody);
    const isTty = process.stderr.isTTY;
    const bar = isTty
      ? new cliProgress.SingleBar(
          {
            format: 'ingest [{bar}] {percentage}% | {value}/{total} scrapes | ETA {eta}s',
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
    bar?.start(points, 0);
    let samples = 0;
    for (let i = 0; i < points; i++) {
      // One "scrape" of every series at step i: what a Prometheus sends in bodies of 2000.
      for (let b = 0; b < bodiesPerStep; b++) {
        const timeseries = [];
        for (let k = b * seriesPerBody; k < Math.min(series.length, (b + 1) * seriesPerBody); k++) {
          const s = series[k];
          let v;
          switch (s.kind) {
            case 'const':
              v = s.scale;
              break;
            case 'gauge':
              v = Math.round(s.scale * 100 * (0.5 + 0.4 * Math.sin(i / 50 + k) + 0.1 * rnd())) / 100;
              break;
            case 'gauge-big':
              state[k] = Math.max(0, state[k] + Math.round((rnd() - 0.5) * s.scale * 1e-4) * 4096);
              v = state[k];
              break;
            case 'counter-f':
              state[k] = Math.round((state[k] + s.scale * (0.5 + rnd())) * 100) / 100;
              v = state[k];
              break;
            default:
              state[k] += Math.floor(s.scale * (0.5 + rnd()));
              v = state[k];
          }
          // Scrapes start a few ms late now and then, as real ones do.
          const jitter = rnd() < 0.1 ? Math.floor(rnd() * 10) : 0;
          timeseries.push({
            labels: s.labels,
            samples: [{ value: v, timestamp: startMs + i * STEP_MS + offset[k] + jitter }],
          });
        }
        const body = encodeWriteRequest({ timeseries });
        samples += timeseries.length;
        for (const t of targets) {
          const t0 = performance.now();
          const res = await fetch(`${t.url}/api/v1/write`, {
            method: 'POST',
            headers: {
              'content-type': 'application/x-protobuf',
              'content-encoding': 'snappy',
              'x-prometheus-remote-write-version': '0.1.0',
            },
            body,
          });
          const text = await res.text();
          if (!res.ok) throw new Error(`remote write to ${t.name}: ${res.status} ${text}`);
          t.ms += performance.now() - t0;
        }
      }
      if (bar) bar.update(i + 1);
      else if ((i + 1) % Math.max(1, Math.floor(points / 10)) === 0)
        process.stderr.write(
          `ingest: ${Math.round((100 * (i + 1)) / points)}% (${i + 1}/${points} scrapes)\n`,
        );
    }
    bar?.stop();
    // Let background block cutting finish.
    await new Promise((r) => setTimeout(r, 5000));
    const rows = [];
    for (const t of targets) {
      const disk = await t.disk();
      const rss = peakRss(t.proc.pid);
      rows.push({
        name: t.name,
        rate: samples / (t.ms / 1000),
        perCpu: samples / (cpuSeconds(t.proc.pid) - t.cpu0),
        rss,
        rssPerSeries: rss / series.length,
        bps: disk.samples > 0 ? disk.bytes / disk.samples : NaN,
        diskSamples: disk.samples,
        blocks: disk.blocks,
      });
    }
    const k = rows[0];
    const ratio = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '-');
    const out = [];
    out.push(
      `workload: ${series.length.toLocaleString('en-US')} active series × ${hours} h at 15 s = ${samples.toLocaleString('en-US')} samples, ${seriesPerBody} samples per request`,
    );
    out.push('');
    out.push(
      '| server | samples/s | samples per CPU s | peak RSS MiB | RSS/series KiB | bytes/sample on disk (samples in blocks) | samples/s vs kanshi | RSS vs kanshi | bytes/sample vs kanshi |',
    );
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const r of rows)
      out.push(
        `| ${r.name} | ${Math.round(r.rate).toLocaleString('en-US')} | ${Math.round(r.perCpu).toLocaleString('en-US')} | ${(r.rss / 2 ** 20).toFixed(0)} | ${(r.rssPerSeries / 1024).toFixed(2)} | ${Number.isFinite(r.bps) ? r.bps.toFixed(2) : '-'} (${r.diskSamples.toLocaleString('en-US')}${Number.isFinite(r.blocks) ? ` in ${r.blocks} blocks` : ''}) | ${ratio(r.rate, k.rate)} | ${ratio(r.rss, k.rss)} | ${ratio(r.bps, k.bps)} |`,
      );
    console.log(out.join('\n'));
  } finally {
    for (const t of targets) t.proc.kill('SIGTERM');
    await Promise.all(
      targets.map((t) => (t.proc.exitCode !== null ? null : new Promise((r) => t.proc.once('exit', r)))),
    );
    await rm(root, { recursive: true, force: true });
  }
}

await main();
