import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../base/clock.js';
import { nullLogger } from '../base/logger.js';
import { parseYamlConfig } from '../config/load-yaml.js';
import { Registry } from '../exposition/registry.js';
import { writeText } from '../exposition/write-text.js';
import type { CheckReportResult } from '../model/check-report.js';
import { getLabel, labelsFromRecord } from '../model/labels.js';
import { isStaleNaN } from '../model/sample.js';
import { Agent, type AgentSink } from './agent.js';
import { agentConfig } from './config/schema.js';
import type { SeriesSample } from './series.js';

const testdata = path.join(import.meta.dirname, 'testdata');

class RecordingSink implements AgentSink {
  samples: SeriesSample[] = [];
  results: { host: string; result: CheckReportResult }[] = [];
  writeSamples(samples: readonly SeriesSample[]): Promise<void> {
    this.samples.push(...samples);
    return Promise.resolve();
  }
  writeCheckResults(host: string, results: readonly CheckReportResult[]): Promise<void> {
    for (const result of results) this.results.push({ host, result });
    return Promise.resolve();
  }
}

describe('Agent', () => {
  let dir: string;
  let server: http.Server;
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kanshi-agent-'));
    server = http.createServer((req, res) => {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end('# TYPE app_requests_total counter\napp_requests_total{code="200"} 42\n');
        return;
      }
      res.writeHead(req.url === '/healthz' ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: req.url === '/healthz' ? 'pass' : 'fail' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  function agentFor(yaml: string, sink: AgentSink, registry = new Registry()): Agent {
    const parsed = parseYamlConfig(yaml, 'test.yml', agentConfig);
    expect(parsed.diagnostics).toEqual([]);
    return new Agent({
      config: parsed.config!,
      hostname: 'web1',
      baseDir: testdata,
      baseEnv: { PATH: '/usr/bin:/bin' },
      clock: systemClock,
      logger: nullLogger,
      registry,
      sink,
    });
  }

  it('runs checks, plugins, probes and host metrics once, labelled, and reports check results', async () => {
    const statusFile = path.join(dir, 'status');
    await writeFile(statusFile, '1');
    const sink = new RecordingSink();
    const registry = new Registry();
    const agent = agentFor(
      `
labels: { env: test }
checks:
  - name: file-status
    command: [./agent-check.sh, ${statusFile}]
    max_check_attempts: 2
    memo: from a file
plugins:
  - name: dice
    command: ./agent-plugin.sh
probes:
  - name: api
    http: { url: "http://127.0.0.1:${port}/healthz" }
  - name: broken
    http: { url: "http://127.0.0.1:${port}/other" }
scrape:
  - job: app
    targets: ["127.0.0.1:${port}"]
`,
      sink,
      registry,
    );
    expect(agent.jobCount).toBe(6);
    const { families, checks } = await agent.runOnce(AbortSignal.timeout(30_000));
    await agent.close();

    const text = writeText(families);
    // One TYPE line per family even though several jobs produce kanshi_check_status.
    expect(text.match(/^# TYPE kanshi_check_status /gm)).toHaveLength(1);
    expect(text).toMatch(
      /^kanshi_check_status\{check="file-status",env="test",instance="web1",job="kanshi"\} 1$/m,
    );
    expect(text).toMatch(
      /^kanshi_check_hard_status\{check="file-status",env="test",instance="web1",job="kanshi"\} 0$/m,
    );
    expect(text).toMatch(
      /^kanshi_check_status\{check="api",env="test",instance="web1",job="kanshi",probe="api"\} 0$/m,
    );
    expect(text).toMatch(/^kanshi_check_status\{check="broken",.*\} 2$/m);
    expect(text).toMatch(/^probe_success\{env="test",instance="web1",job="kanshi",probe="api"\} 1$/m);
    expect(text).toMatch(/^probe_http_status_code\{.*probe="broken"\} 503$/m);
    expect(text).toMatch(/^node_load1\{env="test",instance="web1",job="node"\} /m);
    expect(text).toMatch(/plugin="dice"/);

    // The plugin's malformed line is counted, not fatal.
    expect(writeText(registry.collect())).toMatch(
      /kanshi_agent_plugin_invalid_lines_total\{plugin="dice"\} 1/,
    );

    expect(checks.map((c) => [c.check, c.status, c.hard_status]).sort()).toEqual([
      ['api', 'OK', 'OK'],
      ['broken', 'CRITICAL', 'CRITICAL'],
      ['file-status', 'WARNING', 'OK'],
    ]);
    const fileStatus = sink.results.find((r) => r.result.check === 'file-status')!;
    expect(fileStatus.host).toBe('web1');
    expect(fileStatus.result).toMatchObject({
      message: 'status from file is 1',
      memo: 'from a file',
      attempt: 1,
      perfdata: [{ label: 'value', value: 1, warn: '1', crit: '2', min: 0, max: 3 }],
    });
    const scraped = sink.samples.filter((s) => getLabel(s.labels, 'job') === 'app');
    const byName = new Map(scraped.map((s) => [getLabel(s.labels, '__name__'), s]));
    expect(byName.get('app_requests_total')?.v).toBe(42);
    expect(byName.get('app_requests_total')?.labels).toEqual(
      labelsFromRecord({
        __name__: 'app_requests_total',
        code: '200',
        env: 'test',
        instance: `127.0.0.1:${port}`,
        job: 'app',
      }),
    );
    expect(byName.get('up')?.v).toBe(1);
    const names = new Set(sink.samples.map((s) => getLabel(s.labels, '__name__')));
    expect(names.has('node_cpu_seconds_total')).toBe(true);
    expect(names.has('kanshi_check_perfdata')).toBe(true);
  });

  it('marks series stale when a job stops producing them', async () => {
    const statusFile = path.join(dir, 'status2');
    await writeFile(statusFile, '0');
    const sink = new RecordingSink();
    const agent = agentFor(
      `
host_metrics: { enabled: false }
checks:
  - name: s
    command: [./agent-check.sh, ${statusFile}]
`,
      sink,
    );
    await agent.runOnce(AbortSignal.timeout(10_000));
    // The perfdata item disappears when the check prints none.
    await writeFile(statusFile, 'x');
    await agent.runOnce(AbortSignal.timeout(10_000));
    const stale = sink.samples.filter((s) => isStaleNaN(s.v));
    expect(stale.map((s) => getLabel(s.labels, '__name__')).sort()).toContain('kanshi_check_perfdata');
  });
});
