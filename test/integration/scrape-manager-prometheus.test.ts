import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseYamlConfig, formatDiagnostic } from '../../src/config/load-yaml.js';
import { formatSeries, labelsFromRecord } from '../../src/model/labels.js';
import { isStaleNaN } from '../../src/model/sample.js';
import { prometheusFileSchema, resolveScrapeConfigs } from '../../src/scrape/config.js';
import { ScrapeManager } from '../../src/scrape/manager.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { freePort, PROMETHEUS_BINARY } from '../support/prom-peer.js';

/**
 * One scrape configuration (static and file SD targets, relabel_configs with labelmap, hashmod,
 * replace and drop, metric_relabel_configs, an honor_labels conflict, a target that goes away)
 * run by Debian's `prometheus` 2.42 and by Kanshi's ScrapeManager against the same loopback
 * exporters (two node:http servers and Debian's prometheus-node-exporter). The series label sets,
 * the active and dropped targets, and the `up` values must be identical.
 */

const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';

let dir = '';
let prom: ChildProcess | undefined;
let promUrl = '';
let nodeExporter: ChildProcess | undefined;
const servers: Server[] = [];
let manager: ScrapeManager | undefined;
const abort = new AbortController();
let managerRun: Promise<void> | undefined;
const storage = new MemoryStorage();
let gone = '';
let promStderr = '';
/** A target whose SD file is deleted: it leaves both scrapers, its series end with staleness markers. */
let removed = '';

async function httpExporter(body: string): Promise<{ server: Server; address: string }> {
  const server = createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/plain; version=0.0.4');
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('no address');
  servers.push(server);
  return { server, address: `127.0.0.1:${a.port}` };
}

async function waitFor(
  cond: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await cond()) return;
    } catch {
      // not ready yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; prometheus stderr: ${promStderr.slice(-2000)}`);
}

interface PromTarget {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  health: string;
  scrapeUrl: string;
}

async function promApi<T>(path: string): Promise<T> {
  const res = await fetch(`${promUrl}${path}`);
  const body = (await res.json()) as { status: string; data: T };
  if (body.status !== 'success') throw new Error(`${path}: ${JSON.stringify(body)}`);
  return body.data;
}

async function promTargets(): Promise<{ activeTargets: PromTarget[]; droppedTargets: PromTarget[] }> {
  return promApi('/api/v1/targets');
}

const key = (r: Record<string, string>): string => formatSeries(labelsFromRecord(r));

beforeAll(async () => {
  expect(existsSync(PROMETHEUS_BINARY), `${PROMETHEUS_BINARY} missing: apt-get install prometheus`).toBe(
    true,
  );
  expect(
    existsSync(NODE_EXPORTER),
    `${NODE_EXPORTER} missing: apt-get install prometheus-node-exporter`,
  ).toBe(true);
  dir = await mkdtemp(join(tmpdir(), 'kanshi-scrape-mgr-'));

  const nodePort = await freePort();
  nodeExporter = spawn(NODE_EXPORTER, [`--web.listen-address=127.0.0.1:${nodePort}`], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const a = await httpExporter(
    [
      '# TYPE app_info gauge',
      'app_info{job="exported_job",instance="x",version="1.2"} 1',
      '# TYPE app_requests_total counter',
      'app_requests_total{code="200"} 10',
      'app_requests_total{code="500"} 1',
      'app_drop_me 5',
      '',
    ].join('\n'),
  );
  const b = await httpExporter('app_requests_total{code="200"} 3\n');
  gone = b.address;
  const c = await httpExporter('app_requests_total{code="404"} 7\n');
  removed = c.address;
  await writeFile(join(dir, 'sd-extra.json'), JSON.stringify([{ targets: [c.address] }]));

  await writeFile(
    join(dir, 'sd-node.json'),
    JSON.stringify([{ targets: [`127.0.0.1:${nodePort}`], labels: { __tmp_role: 'host', rack: 'r1' } }]),
  );
  const yaml = `
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: app
    static_configs:
      - targets: ['${a.address}', '${b.address}']
        labels: { env: prod, __tmp_team: core }
      - targets: ['drop-me.invalid:1']
    relabel_configs:
      - source_labels: [__address__]
        regex: 'drop-me.*'
        action: drop
      - regex: '__tmp_(.*)'
        action: labelmap
      - source_labels: [__address__]
        modulus: 8
        target_label: shard
        action: hashmod
      - source_labels: [__address__, env]
        regex: '([^:]+):(\\d+);(.*)'
        target_label: where
        replacement: '\${3}-$1-p$2'
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: 'app_drop_.*'
        action: drop
      - source_labels: [__name__, version]
        regex: 'app_info;(.*)'
        target_label: v
        replacement: 'v$1'
  - job_name: honor
    honor_labels: true
    static_configs:
      - targets: ['${a.address}']
  - job_name: node
    file_sd_configs:
      - files: ['${dir}/sd-*.json']
        refresh_interval: 1s
    relabel_configs:
      - source_labels: [__tmp_role]
        target_label: role
      - source_labels: [__meta_filepath]
        regex: '.*/sd-(.*)\\.json'
        target_label: sd
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: 'node_(load1|load5|memory_MemTotal_bytes|uname_info|exporter_build_info)'
        action: keep
`;
  const configPath = join(dir, 'prometheus.yml');
  await writeFile(configPath, yaml);

  const parsed = parseYamlConfig(yaml, configPath, prometheusFileSchema);
  if (parsed.config === undefined) throw new Error(parsed.diagnostics.map(formatDiagnostic).join('\n'));
  const pools = resolveScrapeConfigs(parsed.config.global, parsed.config.scrape_configs, { baseDir: dir });

  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prom = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  prom.stderr?.on('data', (d: Buffer) => {
    promStderr = (promStderr + d.toString()).slice(-100_000);
  });
  manager = new ScrapeManager({ appendable: storage });
  await manager.applyConfig(pools);
  managerRun = manager.run(abort.signal);

  // Both have scraped every target at least twice.
  await waitFor(async () => {
    const t = await promTargets();
    return t.activeTargets.length === 5 && t.activeTargets.every((x) => x.health === 'up');
  }, 'prometheus to scrape every target');
  await waitFor(
    () =>
      manager!.targets().activeTargets.length === 5 &&
      manager!.targets().activeTargets.every((x) => x.health === 'up'),
    'kanshi to scrape every target',
  );
  await new Promise((r) => setTimeout(r, 2_500));

  // One target goes away: both must see it down.
  await new Promise((r) => b.server.close(r));
  b.server.closeAllConnections();
  await waitFor(async () => {
    const t = await promTargets();
    return t.activeTargets.some((x) => x.labels.instance === gone && x.health === 'down');
  }, 'prometheus to see the target down');
  await waitFor(
    () => manager!.targets().activeTargets.some((x) => x.labels.instance === gone && x.health === 'down'),
    'kanshi to see the target down',
  );
  // Another leaves discovery: both must drop it, then end its series.
  await rm(join(dir, 'sd-extra.json'));
  await waitFor(async () => {
    const t = await promTargets();
    return !t.activeTargets.some((x) => x.labels.instance === removed);
  }, 'prometheus to drop the removed target');
  await waitFor(
    () => !manager!.targets().activeTargets.some((x) => x.labels.instance === removed),
    'kanshi to drop the removed target',
  );
  // Prometheus writes end-of-run staleness markers up to two intervals after the loop stops.
  await new Promise((r) => setTimeout(r, 4_000));
}, 120_000);

afterAll(async () => {
  abort.abort();
  await managerRun;
  for (const child of [prom, nodeExporter]) {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('ScrapeManager against Debian prometheus, same scrape_configs', () => {
  it('produces the same series label sets', async () => {
    const promSeries = await promApi<Record<string, string>[]>(
      `/api/v1/series?${new URLSearchParams({ 'match[]': '{__name__=~".+"}', start: '0' }).toString()}`,
    );
    const q = storage.querier(0, Number.MAX_SAFE_INTEGER);
    const ours = await q.select([{ type: '=~', name: '__name__', value: '.+' }]);
    q.close();
    const want = promSeries.map(key).sort();
    const got = ours.map((s) => formatSeries(s.labels)).sort();
    expect(got).toEqual(want);
    // The relabeling really happened (not two empty sets).
    expect(got.some((s) => s.includes('exported_job="exported_job"'))).toBe(true);
    expect(
      got.some(
        (s) => s.startsWith('app_info{') && s.includes('job="exported_job"') && s.includes('v="v1.2"'),
      ),
    ).toBe(true);
    expect(got.some((s) => s.includes('where="prod-127.0.0.1-p'))).toBe(true);
    expect(
      got.some((s) => s.startsWith('node_load1{') && s.includes('role="host"') && s.includes('sd="node"')),
    ).toBe(true);
    expect(got.some((s) => s.startsWith('app_drop_me') && s.includes('job="app"'))).toBe(false);
    expect(got.some((s) => s.includes('shard="'))).toBe(true);
    // The target that left discovery (matched by the node job's sd-*.json) was scraped before.
    expect(got.some((s) => s.startsWith('up{') && s.includes(removed) && s.includes('sd="extra"'))).toBe(
      true,
    );
  });

  it('shows the same active and dropped targets', async () => {
    const p = await promTargets();
    const ours = manager!.targets();
    const norm = (ts: { labels: Record<string, string>; scrapeUrl: string; health: string }[]): string[] =>
      ts.map((t) => `${key(t.labels)} ${t.scrapeUrl} ${t.health}`).sort();
    expect(norm([...ours.activeTargets])).toEqual(norm(p.activeTargets));
    const dk = (ts: readonly { discoveredLabels: Record<string, string> }[]): string[] =>
      ts.map((t) => key(t.discoveredLabels)).sort();
    expect(dk(ours.droppedTargets)).toEqual(dk(p.droppedTargets));
    expect(ours.droppedTargets).toHaveLength(1);
  });

  it('reports the same up values, 0 for the target that went away', async () => {
    const promUp = await promApi<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
      `/api/v1/query?${new URLSearchParams({ query: 'up' }).toString()}`,
    );
    const want = promUp.result.map((r) => `${key(r.metric)} ${r.value[1]}`).sort();
    const q = storage.querier(0, Number.MAX_SAFE_INTEGER);
    const series = await q.select([{ type: '=', name: '__name__', value: 'up' }]);
    q.close();
    const got = series
      .map((s) => {
        const it = s.iterator();
        let last = '';
        let stale = false;
        while (it.next()) {
          stale = isStaleNaN(it.atV());
          if (!stale) last = String(it.atV());
        }
        // An instant query does not return a series whose last sample is a staleness marker.
        return stale ? '' : `${formatSeries(s.labels)} ${last}`;
      })
      .filter((x) => x !== '')
      .sort();
    expect(got).toEqual(want);
    expect(got.some((s) => s.includes(removed))).toBe(false);
    expect(got.filter((s) => s.includes(gone))).toEqual(
      expect.arrayContaining([expect.stringMatching(/ 0$/)]),
    );
  });
});
