import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/base/clock.js';
import { nullLogger } from '../../src/base/logger.js';
import { formatDiagnostic } from '../../src/config/load-yaml.js';
import { resolveScrapeConfigs } from '../../src/scrape/config.js';
import { loadKanshiConfig } from '../../src/server/config/load.js';
import { startServer, type KanshiServer } from '../../src/server/server.js';
import { freePort, PROMETHEUS_BINARY } from '../support/prom-peer.js';

/**
 * The same rule file (testdata/rules-server/rules.yml: recording rules with and without labels,
 * alerts pending, firing, inactive, with keep_firing_for, a template, a group limit, a rule that
 * fails) over the same data (one loopback exporter both scrape every second) in Debian's
 * `prometheus` 2.42 and in a Kanshi server. `/api/v1/rules` and `/api/v1/alerts` must be equal
 * once times (lastEvaluation, activeAt) and evaluation durations are normalised.
 */

const RULE_FILE = resolve(import.meta.dirname, 'testdata/rules-server/rules.yml');

let dir = '';
let exporter: Server | undefined;
let prom: ChildProcess | undefined;
let promUrl = '';
let promStderr = '';
let kanshi: KanshiServer | undefined;

let exposition = [
  '# TYPE demo_up gauge',
  'demo_up{instance_name="a"} 1',
  'demo_up{instance_name="b"} 0',
  '# TYPE demo_temp gauge',
  'demo_temp{room="x"} 30',
  'demo_temp{room="y"} 10',
  '',
].join('\n');

async function api<T>(base: string, path: string): Promise<T> {
  const res = await fetch(`${base}${path}`);
  const body = (await res.json()) as { status: string; data: T };
  if (body.status !== 'success') throw new Error(`${base}${path}: ${JSON.stringify(body)}`);
  return body.data;
}

interface ApiAlert {
  labels: Record<string, string>;
  state: string;
  activeAt?: string;
  [k: string]: unknown;
}
interface ApiRule {
  name: string;
  health: string;
  alerts?: ApiAlert[];
  [k: string]: unknown;
}
interface ApiGroup {
  name: string;
  rules: ApiRule[];
  [k: string]: unknown;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;

/** Replaces a time with "<time>" after checking it is RFC 3339 and not Go's zero time. */
function normTime(v: unknown): unknown {
  if (typeof v !== 'string' || !RFC3339.test(v) || v === ZERO_TIME) return `bad time ${String(v)}`;
  return '<time>';
}

function normDuration(v: unknown): unknown {
  return typeof v === 'number' && v >= 0 ? '<seconds>' : `bad duration ${String(v)}`;
}

function normAlerts(alerts: ApiAlert[] | undefined): unknown {
  if (!alerts) return alerts;
  return alerts
    .map((a) => ({
      ...a,
      activeAt: normTime(a.activeAt),
      ...(a.keepFiringSince === undefined ? {} : { keepFiringSince: normTime(a.keepFiringSince) }),
    }))
    .sort((a, b) => (JSON.stringify(a.labels) < JSON.stringify(b.labels) ? -1 : 1));
}

/**
 * The series listed in a duplicate-series error come in the order the engine met them, which in
 * Prometheus is not stable between runs: sort them.
 */
function normError(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  return v.replace(
    /\[(\{.*\})\]/,
    (_m, list: string) => `[${(list.match(/\{[^}]*\}/g) ?? []).sort().join(', ')}]`,
  );
}

function normRules(data: { groups: ApiGroup[] }): unknown {
  return data.groups.map((g) => ({
    ...g,
    evaluationTime: normDuration(g.evaluationTime),
    lastEvaluation: normTime(g.lastEvaluation),
    rules: g.rules.map((r) => ({
      ...r,
      evaluationTime: normDuration(r.evaluationTime),
      lastEvaluation: normTime(r.lastEvaluation),
      ...(r.lastError === undefined ? {} : { lastError: normError(r.lastError) }),
      ...(r.alerts ? { alerts: normAlerts(r.alerts) } : {}),
    })),
  }));
}

/** Whether every rule was evaluated with the data in place (Down firing, Hot pending). */
async function settled(base: string): Promise<boolean> {
  const { alerts } = await api<{ alerts: ApiAlert[] }>(base, '/api/v1/alerts');
  const { groups } = await api<{ groups: ApiGroup[] }>(base, '/api/v1/rules');
  const states = new Map(alerts.map((a) => [a.labels.alertname, a.state]));
  return (
    states.get('Down') === 'firing' &&
    states.get('Hot') === 'pending' &&
    groups.every((g) => g.rules.every((r) => r.health !== 'unknown'))
  );
}

async function waitFor(cond: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await cond()) return;
    } catch {
      // not ready yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}; prometheus stderr: ${promStderr.slice(-2000)}`);
}

beforeAll(async () => {
  expect(existsSync(PROMETHEUS_BINARY), `${PROMETHEUS_BINARY} missing: apt-get install prometheus`).toBe(
    true,
  );
  dir = await mkdtemp(join(tmpdir(), 'kanshi-rules-server-'));
  exporter = createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/plain; version=0.0.4');
    res.end(exposition);
  });
  await new Promise<void>((r) => exporter?.listen(0, '127.0.0.1', r));
  const addr = exporter.address();
  if (addr === null || typeof addr === 'string') throw new Error('no exporter address');
  const target = `127.0.0.1:${addr.port}`;
  const config = `
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
rule_files: ['${RULE_FILE}']
scrape_configs:
  - job_name: demo
    static_configs: [{ targets: ['${target}'] }]
`;
  await writeFile(join(dir, 'prometheus.yml'), config);
  await writeFile(join(dir, 'kanshi.yml'), `${config}server:\n  listen: 127.0.0.1:0\n  data_dir: data\n`);

  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prom = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'prom-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  prom.stderr?.on('data', (d: Buffer) => {
    promStderr = (promStderr + d.toString()).slice(-100_000);
  });

  const loaded = await loadKanshiConfig(join(dir, 'kanshi.yml'), dir);
  if (!loaded.config) throw new Error(loaded.diagnostics.map(formatDiagnostic).join('\n'));
  kanshi = await startServer({
    config: loaded.config.server,
    logger: nullLogger,
    clock: systemClock,
    baseDir: loaded.baseDir,
    configFile: join(dir, 'kanshi.yml'),
    global: loaded.config.global,
    ruleFiles: loaded.config.rule_files,
    scrapePools: resolveScrapeConfigs(loaded.config.global, loaded.config.scrape_configs, {
      baseDir: loaded.baseDir,
    }),
  });
  const k = kanshi;
  await waitFor(() => settled(promUrl), 'prometheus to evaluate the rules');
  await waitFor(() => settled(k.url), 'kanshi to evaluate the rules');
});

afterAll(async () => {
  await kanshi?.close();
  if (prom && prom.exitCode === null && prom.signalCode === null) {
    const exited = new Promise((r) => prom?.once('exit', r));
    prom.kill('SIGTERM');
    await exited;
  }
  await new Promise((r) => (exporter ? exporter.close(r) : r(undefined)));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('rules in the server against Debian prometheus', () => {
  it('answers /api/v1/rules as Prometheus does', async () => {
    const [p, k] = await Promise.all([
      api<{ groups: ApiGroup[] }>(promUrl, '/api/v1/rules'),
      api<{ groups: ApiGroup[] }>(kanshi!.url, '/api/v1/rules'),
    ]);
    expect(normRules(k)).toEqual(normRules(p));
    // The comparison covers what matters: each kind of rule and alert state is present (groups
    // in file and name order).
    const rules = p.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => [r.name, r.health, r.state])).toEqual([
      ['Hot', 'ok', 'pending'],
      ['Down', 'ok', 'firing'],
      ['Cold', 'ok', 'inactive'],
      ['KeepFiring', 'ok', 'firing'],
      ['Ratio', 'ok', 'firing'],
      ['Watchdog', 'ok', 'firing'],
      ['ManyToMany', 'err', 'inactive'],
      ['room:demo_temp:max', 'ok', undefined],
      ['demo_temp:sum', 'ok', undefined],
    ]);
  });

  it('answers /api/v1/alerts as Prometheus does', async () => {
    const [p, k] = await Promise.all([
      api<{ alerts: ApiAlert[] }>(promUrl, '/api/v1/alerts'),
      api<{ alerts: ApiAlert[] }>(kanshi!.url, '/api/v1/alerts'),
    ]);
    expect(normAlerts(k.alerts)).toEqual(normAlerts(p.alerts));
    expect(p.alerts.length).toBeGreaterThan(4);
  });

  it('writes the recording rules and ALERTS series as Prometheus does', async () => {
    const q = encodeURIComponent('sort_desc({__name__=~"room:demo_temp:max|demo_temp:sum|ALERTS"})');
    type R = { result: { metric: Record<string, string>; value: [number, string] }[] };
    // The recording group may first evaluate before the first scrape: wait until both stores hold its output.
    const hasRecording = async (url: string): Promise<boolean> =>
      (await api<R>(url, `/api/v1/query?query=${q}`)).result.some(
        (r) => r.metric.__name__ === 'demo_temp:sum',
      );
    await waitFor(() => hasRecording(promUrl), 'prometheus to write the recording rules');
    await waitFor(() => hasRecording(kanshi!.url), 'kanshi to write the recording rules');
    const [p, k] = await Promise.all([
      api<R>(promUrl, `/api/v1/query?query=${q}`),
      api<R>(kanshi!.url, `/api/v1/query?query=${q}`),
    ]);
    const norm = (r: R): string[] => r.result.map((s) => `${JSON.stringify(s.metric)} ${s.value[1]}`).sort();
    expect(norm(k)).toEqual(norm(p));
  });

  it('agrees once a firing alert resolves and another keeps firing', async () => {
    exposition = exposition.replace('demo_up{instance_name="b"} 0', 'demo_up{instance_name="b"} 1');
    const resolved = async (base: string): Promise<boolean> => {
      const { alerts } = await api<{ alerts: ApiAlert[] }>(base, '/api/v1/alerts');
      return !alerts.some((a) => a.labels.alertname === 'Down');
    };
    await waitFor(() => resolved(promUrl), 'prometheus to resolve Down');
    await waitFor(() => resolved(kanshi!.url), 'kanshi to resolve Down');
    const [p, k] = await Promise.all([
      api<{ groups: ApiGroup[] }>(promUrl, '/api/v1/rules'),
      api<{ groups: ApiGroup[] }>(kanshi!.url, '/api/v1/rules'),
    ]);
    expect(normRules(k)).toEqual(normRules(p));
    const keep = p.groups.flatMap((g) => g.rules).find((r) => r.name === 'KeepFiring');
    expect(keep?.state).toBe('firing');
    expect(keep?.alerts?.map((a) => a.keepFiringSince)).toEqual([expect.stringMatching(RFC3339)]);
  });
});
