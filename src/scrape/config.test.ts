import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseYamlConfig } from '../config/load-yaml.js';
import { globalSchema, prometheusFileSchema, resolveScrapeConfigs, scrapeConfigsSchema } from './config.js';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');

function load(yaml: string): ReturnType<typeof parseYamlConfig<typeof prometheusFileSchema>> {
  return parseYamlConfig(yaml, 'prometheus.yml', prometheusFileSchema);
}

describe('scrape config schema', () => {
  it('parses a real-world prometheus.yml and applies the global defaults', () => {
    const r = load(readFileSync(join(testdata, 'prometheus.yml'), 'utf8'));
    expect(r.diagnostics).toEqual([]);
    const cfg = r.config!;
    expect(cfg.global.scrape_interval).toBe(15_000);
    expect(cfg.global.external_labels).toEqual({ monitor: 'codelab-monitor' });
    const pools = resolveScrapeConfigs(cfg.global, cfg.scrape_configs, { baseDir: '/etc/prometheus' });
    expect(pools.map((p) => p.jobName)).toEqual([
      'prometheus',
      'node',
      'blackbox',
      'secured',
      'bearer',
      'sharded',
    ]);
    const [prom, node, blackbox, secured, bearer] = pools;
    expect(prom).toMatchObject({
      scrapeIntervalMs: 15_000,
      scrapeTimeoutMs: 10_000,
      metricsPath: '/metrics',
      scheme: 'http',
    });
    expect(node).toMatchObject({ scrapeIntervalMs: 30_000, scrapeTimeoutMs: 20_000 });
    expect(node!.fileSdConfigs).toEqual([
      {
        files: ['/etc/prometheus/targets/node-*.json', '/etc/prometheus/targets/node-*.yml'],
        refreshIntervalMs: 60_000,
      },
    ]);
    expect(node!.relabelConfigs.map((c) => c.action)).toEqual(['replace', 'replace', 'labeldrop']);
    expect(node!.metricRelabelConfigs).toHaveLength(2);
    expect(blackbox!.params).toEqual({ module: ['http_2xx'] });
    expect(secured).toMatchObject({
      scheme: 'https',
      honorLabels: true,
      honorTimestamps: false,
      sampleLimit: 5000,
      auth: { kind: 'basic', username: 'admin', passwordFile: '/etc/prometheus/secrets/pw' },
      tls: { insecureSkipVerify: true },
    });
    expect(bearer!.auth).toEqual({
      kind: 'authorization',
      type: 'Bearer',
      credentialsFile: '/etc/prometheus/token',
    });
  });

  it('takes the scrape timeout down to a job interval shorter than the global timeout', () => {
    const r = load('global: { scrape_timeout: 10s }\nscrape_configs: [{ job_name: a, scrape_interval: 5s }]');
    const [a] = resolveScrapeConfigs(r.config!.global, r.config!.scrape_configs, { baseDir: '/' });
    expect(a!.scrapeTimeoutMs).toBe(5_000);
  });

  const bad: [string, string, RegExp][] = [
    [
      'an unknown key',
      'scrape_configs: [{ job_name: a, scrape_intreval: 5s }]',
      /unknown key "scrape_intreval"/,
    ],
    ['a bad duration', 'scrape_configs: [{ job_name: a, scrape_interval: 5x }]', /not a valid duration/],
    [
      'a duplicate job',
      'scrape_configs: [{ job_name: a }, { job_name: a }]',
      /multiple scrape configs with job name "a"/,
    ],
    [
      'a bad relabel rule',
      'scrape_configs: [{ job_name: a, relabel_configs: [{ action: hashmod, target_label: x }] }]',
      /non-zero modulus/,
    ],
    ['a bad scheme', 'scrape_configs: [{ job_name: a, scheme: ftp }]', /scheme/],
    [
      'a bad label name',
      'scrape_configs: [{ job_name: a, static_configs: [{ targets: [x], labels: { 1a: b } }] }]',
      /labels\.1a: invalid key/i,
    ],
  ];
  for (const [name, yaml, re] of bad) {
    it(`reports ${name}`, () => {
      const r = load(yaml);
      expect(r.config).toBeUndefined();
      expect(r.diagnostics.map((d) => `${d.path}: ${d.message}`).join('\n')).toMatch(re);
    });
  }

  const resolveBad: [string, string, RegExp][] = [
    [
      'a timeout above the interval',
      '[{ job_name: a, scrape_interval: 5s, scrape_timeout: 6s }]',
      /timeout greater than scrape interval/,
    ],
    [
      'two auth methods',
      '[{ job_name: a, bearer_token: x, basic_auth: { username: u } }]',
      /at most one of basic_auth/,
    ],
  ];
  for (const [name, yaml, re] of resolveBad) {
    it(`rejects ${name}`, () => {
      const r = parseYamlConfig(yaml, 'x.yml', scrapeConfigsSchema);
      expect(r.diagnostics).toEqual([]);
      const global = globalSchema.parse({});
      expect(() => resolveScrapeConfigs(global, r.config!, { baseDir: '/' })).toThrow(re);
    });
  }
});
