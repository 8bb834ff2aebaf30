import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { RecordingLogger } from '../base/logger.js';
import { labelsToRecord } from '../model/labels.js';
import { isStaleNaN } from '../model/sample.js';
import { Registry } from '../exposition/registry.js';
import { MemoryStorage } from '../storage/memory-storage.js';
import { parseYamlConfig } from '../config/load-yaml.js';
import { prometheusFileSchema, resolveScrapeConfigs, type ScrapePoolConfig } from './config.js';
import { populateTarget, ScrapeManager } from './manager.js';

function pools(yaml: string, baseDir = '/'): ScrapePoolConfig[] {
  const r = parseYamlConfig(yaml, 'prometheus.yml', prometheusFileSchema);
  if (r.config === undefined) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return resolveScrapeConfigs(r.config.global, r.config.scrape_configs, { baseDir });
}

describe('populateTarget', () => {
  const [pool] = pools(`
scrape_configs:
  - job_name: node
    scrape_interval: 15s
    params: { module: [http_2xx, x] }
    relabel_configs:
      - source_labels: [__address__]
        regex: 'drop-me:.*'
        action: drop
      - source_labels: [__meta_zone]
        target_label: zone
`);

  it('sets Prometheus defaults, adds port 80, defaults instance, removes __meta_*', () => {
    const t = populateTarget('host', { __meta_zone: 'a', team: 'x' }, pool!);
    expect(labelsToRecord(t.discoveredLabels)).toEqual({
      __address__: 'host',
      __meta_zone: 'a',
      __metrics_path__: '/metrics',
      __param_module: 'http_2xx',
      __scheme__: 'http',
      __scrape_interval__: '15s',
      __scrape_timeout__: '10s',
      job: 'node',
      team: 'x',
    });
    expect(labelsToRecord(t.labels!)).toEqual({
      __address__: 'host:80',
      __metrics_path__: '/metrics',
      __param_module: 'http_2xx',
      __scheme__: 'http',
      __scrape_interval__: '15s',
      __scrape_timeout__: '10s',
      instance: 'host:80',
      job: 'node',
      team: 'x',
      zone: 'a',
    });
    expect(t.url).toBe('http://host:80/metrics?module=http_2xx&module=x');
    expect(t.intervalMs).toBe(15_000);
  });

  it('returns labels null for a target relabeling drops', () => {
    const t = populateTarget('drop-me:1', {}, pool!);
    expect(t.labels).toBeNull();
    expect(labelsToRecord(t.discoveredLabels).__address__).toBe('drop-me:1');
  });

  it('lets target labels override scheme, path, params and interval', () => {
    const t = populateTarget(
      '[::1]:9',
      {
        __scheme__: 'https',
        __metrics_path__: '/m',
        __param_module: 'tcp',
        __scrape_interval__: '1m',
        instance: 'i',
      },
      pool!,
    );
    expect(t.url).toBe('https://[::1]:9/m?module=tcp&module=x');
    expect(t.intervalMs).toBe(60_000);
    expect(labelsToRecord(t.labels!).instance).toBe('i');
  });

  it('rejects a timeout above the interval', () => {
    expect(() => populateTarget('h:1', { __scrape_timeout__: '1m' }, pool!)).toThrow(
      /greater than scrape interval/,
    );
  });
});

/** A loopback exporter whose body can be changed. */
async function exporter(body: () => string): Promise<{ server: Server; address: string }> {
  const server = createServer((req, res) => {
    res.setHeader('Content-Type', 'text/plain; version=0.0.4');
    res.end(body());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('no address');
  return { server, address: `127.0.0.1:${a.port}` };
}

async function waitFor(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Values, and whether each is a staleness marker (checked before a plain array can canonicalize the NaN). */
async function series(
  storage: MemoryStorage,
  name: string,
): Promise<{ labels: Record<string, string>; values: number[]; stale: boolean[] }[]> {
  const q = storage.querier(0, Number.MAX_SAFE_INTEGER);
  const out = (await q.select([{ type: '=', name: '__name__', value: name }])).map((s) => {
    const it = s.iterator();
    const values: number[] = [];
    const stale: boolean[] = [];
    while (it.next()) {
      values.push(it.atV());
      stale.push(isStaleNaN(it.atV()));
    }
    return { labels: labelsToRecord(s.labels), values, stale };
  });
  q.close();
  return out;
}

describe('ScrapeManager', () => {
  const servers: Server[] = [];
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kanshi-scrape-'));
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('scrapes static targets, relabels metrics, and ends a removed target with staleness markers', async () => {
    const a = await exporter(() => 'm_a{x="1"} 1\nm_drop 2\n');
    const b = await exporter(() => 'm_b 3\n');
    servers.push(a.server, b.server);
    const clock = new FakeClock();
    const storage = new MemoryStorage();
    const registry = new Registry();
    const mgr = new ScrapeManager({ appendable: storage, clock, registry });
    const config = (targets: string[]): ScrapePoolConfig[] =>
      pools(`
scrape_configs:
  - job_name: j
    scrape_interval: 10s
    static_configs: [{ targets: ${JSON.stringify(targets)}, labels: { env: prod } }]
    metric_relabel_configs:
      - { source_labels: [__name__], regex: m_drop, action: drop }
`);
    await mgr.applyConfig(config([a.address, b.address]));
    const ac = new AbortController();
    const running = mgr.run(ac.signal);
    await mgr.settled();
    expect(mgr.targets().activeTargets.map((t) => t.health)).toEqual(['unknown', 'unknown']);
    await clock.advance(10_000);
    await waitFor(() => mgr.targets().activeTargets.every((t) => t.health === 'up'), 'first scrapes');

    const up = await series(storage, 'up');
    expect(up.map((s) => s.labels.instance).sort()).toEqual([a.address, b.address].sort());
    expect(up.every((s) => s.values[0] === 1 && s.labels.env === 'prod' && s.labels.job === 'j')).toBe(true);
    expect(await series(storage, 'm_drop')).toEqual([]);
    expect((await series(storage, 'm_a'))[0]?.labels).toEqual({
      __name__: 'm_a',
      x: '1',
      env: 'prod',
      instance: a.address,
      job: 'j',
    });
    const post = await series(storage, 'scrape_samples_post_metric_relabeling');
    expect(post.find((s) => s.labels.instance === a.address)?.values[0]).toBe(1);

    const lastA = mgr.targets().activeTargets.find((t) => t.labels.instance === a.address)!.lastScrapeMs;
    await mgr.applyConfig(config([a.address]));
    await mgr.settled();
    const active = mgr.targets().activeTargets;
    expect(active.map((t) => t.labels.instance)).toEqual([a.address]);
    // The unchanged target kept its loop and state.
    expect(active[0]!.lastScrapeMs).toBe(lastA);
    const mb = await series(storage, 'm_b');
    expect(mb[0]!.stale).toEqual([false, true]);
    const upB = (await series(storage, 'up')).find((s) => s.labels.instance === b.address)!;
    expect(upB.stale).toEqual([false, true]);

    const targetsFamily = registry.collect().find((f) => f.name === 'kanshi_scrape_targets')!;
    expect(targetsFamily.samples.find((s) => s.labels.some((l) => l.value === 'active'))?.value).toBe(1);
    ac.abort();
    await running;
  });

  it('follows file_sd files, keeping the last good targets when a file turns bad', async () => {
    const a = await exporter(() => 'm 1\n');
    const b = await exporter(() => 'm 2\n');
    servers.push(a.server, b.server);
    const file = join(dir, 'targets.json');
    await writeFile(file, JSON.stringify([{ targets: [a.address], labels: { team: 't' } }]));
    const logger = new RecordingLogger();
    const mgr = new ScrapeManager({ appendable: new MemoryStorage(), clock: new FakeClock(), logger });
    await mgr.applyConfig(
      pools(
        `
scrape_configs:
  - job_name: f
    file_sd_configs: [{ files: ['*.json'], refresh_interval: 50ms }]
    relabel_configs:
      - { source_labels: [__meta_filepath], regex: '.*/(.*)', target_label: file }
`,
        dir,
      ),
    );
    const ac = new AbortController();
    const running = mgr.run(ac.signal);
    const instances = (): string[] => mgr.targets().activeTargets.map((t) => t.labels.instance ?? '');
    await waitFor(() => instances().length === 1, 'file targets');
    expect(mgr.targets().activeTargets[0]!.labels).toMatchObject({ team: 't', file: 'targets.json' });

    await writeFile(file, '[{"targets": [');
    await waitFor(
      () => logger.records.some((r) => r.message.includes('keeping its last good targets')),
      'error log',
    );
    expect(instances()).toEqual([a.address]);

    await writeFile(file, `- targets: ['${b.address}']\n`.replace(/^/, ''));
    await writeFile(join(dir, 'more.yml'), `- targets: ['${b.address}']\n`);
    await writeFile(file, JSON.stringify([{ targets: [a.address, b.address] }]));
    await waitFor(() => instances().length === 2, 'updated targets');
    expect(instances().sort()).toEqual([a.address, b.address].sort());
    ac.abort();
    await running;
  });

  it('scrapes https targets with tls_config insecure_skip_verify or ca_file, and fails without', async () => {
    const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
    const server = createHttpsServer(
      {
        key: readFileSync(join(testdata, 'tls-test.key')),
        cert: readFileSync(join(testdata, 'tls-test.crt')),
      },
      (req, res) => {
        res.setHeader('Content-Type', 'text/plain');
        res.end(req.headers.authorization === 'Bearer s3cret' ? 'secure 1\n' : 'anonymous 1\n');
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    const a = server.address();
    if (a === null || typeof a === 'string') throw new Error('no address');
    const target = `127.0.0.1:${a.port}`;
    const storage = new MemoryStorage();
    const clock = new FakeClock();
    const mgr = new ScrapeManager({ appendable: storage, clock });
    await mgr.applyConfig(
      pools(
        `
scrape_configs:
  - job_name: insecure
    scheme: https
    tls_config: { insecure_skip_verify: true }
    authorization: { credentials: s3cret }
    static_configs: [{ targets: ['${target}'] }]
  - job_name: ca
    scheme: https
    tls_config: { ca_file: tls-test.crt }
    static_configs: [{ targets: ['${target}'] }]
  - job_name: verify
    scheme: https
    static_configs: [{ targets: ['${target}'] }]
`,
        testdata,
      ),
    );
    const ac = new AbortController();
    const running = mgr.run(ac.signal);
    await mgr.settled();
    await clock.advance(60_000);
    await waitFor(() => mgr.targets().activeTargets.every((t) => t.health !== 'unknown'), 'https scrapes');
    const byPool = Object.fromEntries(mgr.targets().activeTargets.map((t) => [t.scrapePool, t]));
    expect(byPool.insecure).toMatchObject({ health: 'up', lastError: '' });
    expect(byPool.ca).toMatchObject({ health: 'up', lastError: '' });
    expect(byPool.verify!.health).toBe('down');
    expect(byPool.verify!.lastError).toMatch(/certificate/i);
    expect((await series(storage, 'secure')).map((x) => x.labels.job)).toEqual(['insecure']);
    expect((await series(storage, 'anonymous')).map((x) => x.labels.job)).toEqual(['ca']);
    ac.abort();
    await running;
  });

  it('fails scrapes that break label_limit, sample_limit (after metric relabeling) or target_limit', async () => {
    const a = await exporter(() => 'm{a="1",b="2",c="3"} 1\nn 1\nn2 1\n');
    servers.push(a.server);
    const clock = new FakeClock();
    const mgr = new ScrapeManager({ appendable: new MemoryStorage(), clock });
    await mgr.applyConfig(
      pools(`
scrape_configs:
  - job_name: labels
    label_limit: 5
    static_configs: [{ targets: ['${a.address}'] }]
  - job_name: samples-ok
    sample_limit: 2
    metric_relabel_configs: [{ source_labels: [__name__], regex: m, action: drop }]
    static_configs: [{ targets: ['${a.address}'] }]
  - job_name: samples-over
    sample_limit: 2
    static_configs: [{ targets: ['${a.address}'] }]
  - job_name: targets-over
    target_limit: 1
    static_configs: [{ targets: ['${a.address}', 'localhost:1'] }]
`),
    );
    const ac = new AbortController();
    const running = mgr.run(ac.signal);
    await mgr.settled();
    await clock.advance(60_000);
    await waitFor(() => mgr.targets().activeTargets.every((t) => t.health !== 'unknown'), 'scrapes');
    const byPool = Object.fromEntries(mgr.targets().activeTargets.map((t) => [t.scrapePool, t]));
    expect(byPool.labels!.lastError).toBe('label_limit exceeded (metric: m, number of labels: 6, limit: 5)');
    expect(byPool['samples-ok']!.health).toBe('up');
    expect(byPool['samples-over']!.lastError).toMatch(/sample limit exceeded/);
    const over = mgr.targets().activeTargets.filter((t) => t.scrapePool === 'targets-over');
    expect(over.map((t) => [t.health, t.lastError])).toEqual([
      ['down', 'target_limit exceeded (number of targets: 2, limit: 1)'],
      ['down', 'target_limit exceeded (number of targets: 2, limit: 1)'],
    ]);
    ac.abort();
    await running;
  });

  it('restarts loops of a job whose settings changed without ending the series of remaining targets', async () => {
    const a = await exporter(() => 'm 1\n');
    servers.push(a.server);
    const clock = new FakeClock();
    const storage = new MemoryStorage();
    const mgr = new ScrapeManager({ appendable: storage, clock });
    const config = (interval: string): ScrapePoolConfig[] =>
      pools(`
scrape_configs:
  - job_name: j
    scrape_interval: ${interval}
    static_configs: [{ targets: ['${a.address}'] }]
`);
    await mgr.applyConfig(config('10s'));
    const ac = new AbortController();
    const running = mgr.run(ac.signal);
    await mgr.settled();
    await clock.advance(10_000);
    await waitFor(() => mgr.targets().activeTargets[0]?.health === 'up', 'first scrape');
    await mgr.applyConfig(config('20s'));
    await mgr.settled();
    expect(mgr.targets().activeTargets[0]!.scrapeIntervalMs).toBe(20_000);
    await clock.advance(20_000);
    await waitFor(() => mgr.targets().activeTargets[0]?.health === 'up', 'scrape after reload');
    const m = await series(storage, 'm');
    expect(m[0]!.stale).toEqual([false, false]);
    // Removing the job ends its series.
    await mgr.applyConfig([]);
    expect((await series(storage, 'm'))[0]!.stale).toEqual([false, false, true]);
    ac.abort();
    await running;
  });

  it('follows redirects unless follow_redirects is false', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/metrics') {
        res.writeHead(302, { Location: '/real' });
        res.end();
        return;
      }
      res.setHeader('Content-Type', 'text/plain');
      res.end('m 1\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    const a = server.address();
    if (a === null || typeof a === 'string') throw new Error('no address');
    const clock = new FakeClock();
    const mgr = new ScrapeManager({ appendable: new MemoryStorage(), clock });
    await mgr.applyConfig(
      pools(`
scrape_configs:
  - job_name: follow
    static_configs: [{ targets: ['127.0.0.1:${a.port}'] }]
  - job_name: nofollow
    follow_redirects: false
    static_configs: [{ targets: ['127.0.0.1:${a.port}'] }]
`),
    );
    const ac = new AbortController();
    const running = mgr.run(ac.signal);
    await mgr.settled();
    await clock.advance(60_000);
    await waitFor(() => mgr.targets().activeTargets.every((t) => t.health !== 'unknown'), 'scrapes');
    const byPool = Object.fromEntries(mgr.targets().activeTargets.map((t) => [t.scrapePool, t]));
    expect(byPool.follow!.health).toBe('up');
    expect(byPool.nofollow!.lastError).toMatch(/HTTP status 302/);
    ac.abort();
    await running;
  });

  it('ends the series of a target removed while its scrape hangs', async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      if (requests > 1) return; // hang until the scrape is canceled
      res.setHeader('Content-Type', 'text/plain');
      res.end('m 1\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    const a = server.address();
    if (a === null || typeof a === 'string') throw new Error('no address');
    const clock = new FakeClock();
    const storage = new MemoryStorage();
    const mgr = new ScrapeManager({ appendable: storage, clock });
    await mgr.applyConfig(
      pools(`scrape_configs: [{ job_name: h, static_configs: [{ targets: ['127.0.0.1:${a.port}'] }] }]`),
    );
    const ac = new AbortController();
    const running = mgr.run(ac.signal);
    await mgr.settled();
    await clock.advance(60_000);
    await waitFor(() => mgr.targets().activeTargets[0]?.health === 'up', 'first scrape');
    await clock.advance(60_000);
    await waitFor(() => requests === 2, 'second scrape in flight');
    await mgr.applyConfig([]);
    expect((await series(storage, 'm'))[0]!.stale).toEqual([false, true]);
    expect((await series(storage, 'up'))[0]!.stale).toEqual([false, true]);
    server.closeAllConnections();
    ac.abort();
    await running;
  });
});
