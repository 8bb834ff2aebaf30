import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../base/clock.js';
import { nullLogger } from '../base/logger.js';
import { labelsFromRecord } from '../model/labels.js';
import { encodeWriteRequest } from '../remotewrite/write-request.js';
import { parseYamlConfig } from '../config/load-yaml.js';
import { resolveScrapeConfigs } from '../scrape/config.js';
import { kanshiConfig, serverConfig } from './config/schema.js';
import { startServer } from './server.js';

describe('startServer', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kanshi-server-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const config = () => serverConfig.parse({ listen: '127.0.0.1:0', data_dir: 'data' });

  it('keeps acknowledged remote_write samples in the embedded store across a restart', async () => {
    const t = Date.now() - 60_000;
    const first = await startServer({
      config: config(),
      logger: nullLogger,
      clock: systemClock,
      baseDir: dir,
    });
    const body = encodeWriteRequest({
      timeseries: [
        {
          labels: labelsFromRecord({ __name__: 'kanshi_test_total', job: 'a' }),
          samples: [
            { timestamp: t, value: 1 },
            { timestamp: t + 15_000, value: 2 },
          ],
        },
      ],
    });
    const res = await fetch(`${first.url}/api/v1/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
      body,
    });
    expect(res.status).toBe(204);
    // The admin API is off unless enabled, as in Prometheus.
    expect((await fetch(`${first.url}/api/v1/admin/tsdb/snapshot`, { method: 'POST' })).status).toBe(404);
    await first.close();

    const second = await startServer({
      config: { ...config(), enable_admin_api: true },
      logger: nullLogger,
      clock: systemClock,
      baseDir: dir,
    });
    try {
      const q = second.storage.querier(t - 1, t + 60_000);
      const series = await q.select([{ type: '=', name: '__name__', value: 'kanshi_test_total' }]);
      q.close();
      expect(series).toHaveLength(1);
      const it0 = series[0]!.iterator();
      const got: [number, number][] = [];
      while (it0.next()) got.push([it0.atT(), it0.atV()]);
      expect(got).toEqual([
        [t, 1],
        [t + 15_000, 2],
      ]);
      expect((await fetch(`${second.url}/-/ready`)).status).toBe(200);
      const snap = await fetch(`${second.url}/api/v1/admin/tsdb/snapshot`, { method: 'POST' });
      expect(snap.status).toBe(200);
      expect(((await snap.json()) as { data: { name: string } }).data.name).toMatch(
        /^\d{8}T\d{6}Z-[0-9a-f]{16}$/,
      );
      const home = await fetch(`${second.url}/-/status`);
      expect(home.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await home.text()).toMatch(/<p>1 series in the store\./);
      // `/` is the web UI (or, in a tree where it was not built, the page saying how to build it).
      const ui = await fetch(`${second.url}/`);
      expect(ui.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await ui.text()).toMatch(/Kanshi/);
      // The same data through PromQL and the Prometheus API.
      const res2 = await fetch(
        `${second.url}/api/v1/query?query=${encodeURIComponent('kanshi_test_total{job="a"}')}&time=${(t + 20_000) / 1000}`,
      );
      expect(await res2.json()).toEqual({
        status: 'success',
        data: {
          resultType: 'vector',
          result: [
            { metric: { __name__: 'kanshi_test_total', job: 'a' }, value: [(t + 20_000) / 1000, '2'] },
          ],
        },
      });
    } finally {
      await second.close();
    }
  });

  it('scrapes the scrape_configs of kanshi.yml and lists the targets as Prometheus does', async () => {
    const exporter = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('# TYPE demo_items gauge\ndemo_items 7\n');
    });
    await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', r));
    const target = `127.0.0.1:${(exporter.address() as AddressInfo).port}`;
    const parsed = parseYamlConfig(
      `global: { scrape_interval: 1s, scrape_timeout: 1s }\nscrape_configs:\n  - job_name: demo\n    static_configs: [{ targets: ["${target}"] }]\n`,
      'kanshi.yml',
      kanshiConfig,
    );
    expect(parsed.diagnostics).toEqual([]);
    const scrapePools = resolveScrapeConfigs(parsed.config!.global, parsed.config!.scrape_configs, {
      baseDir: dir,
    });
    const server = await startServer({
      config: config(),
      logger: nullLogger,
      clock: systemClock,
      baseDir: dir,
      scrapePools,
    });
    try {
      let body: { data: { activeTargets: { health: string; labels: Record<string, string> }[] } } | undefined;
      for (let i = 0; i < 100; i++) {
        body = (await (await fetch(`${server.url}/api/v1/targets`)).json()) as typeof body;
        if (body?.data.activeTargets[0]?.health === 'up') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(body?.data.activeTargets).toHaveLength(1);
      expect(body?.data.activeTargets[0]).toMatchObject({
        health: 'up',
        labels: { job: 'demo', instance: target },
      });
      // The target turns up before its first scrape's samples are committed: wait for those too.
      let result: { metric: Record<string, string>; value: [number, string] }[] = [];
      for (let i = 0; i < 100 && result.length === 0; i++) {
        const q = await fetch(`${server.url}/api/v1/query?query=demo_items`);
        result = (
          (await q.json()) as {
            data: { result: { metric: Record<string, string>; value: [number, string] }[] };
          }
        ).data.result;
        if (result.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(result.map((r) => [r.metric, r.value[1]])).toEqual([
        [{ __name__: 'demo_items', instance: target, job: 'demo' }, '7'],
      ]);
    } finally {
      await server.close();
      await new Promise((r) => exporter.close(r));
    }
  });
});
