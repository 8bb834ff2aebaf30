import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock.js';
import { freePort } from '../support/prom-peer.js';
import {
  ALERTMANAGER_BINARY,
  startAlertmanager,
  type AlertmanagerPeer,
} from '../support/alertmanager-peer.js';
import { nullLogger } from '../../src/base/logger.js';
import { parseYamlConfig } from '../../src/config/load-yaml.js';
import { notificationsConfig } from '../../src/notify/config.js';
import { NotificationPipeline } from '../../src/notify/pipeline.js';
import type { Notification } from '../../src/notify/types.js';

/**
 * Differential test of routing, grouping and inhibition against Debian's prometheus-alertmanager
 * (0.25): the same configuration and the same alerts go into Alertmanager (webhook receivers on
 * loopback) and into Kanshi's NotificationPipeline (fake clock). The first notification of every group
 * must agree: receiver, group key, group and common labels, and the alerts with their fingerprints,
 * statuses and order; and so must the API v2 views of alerts and groups (receivers, states, inhibitedBy).
 */

const ALERTMANAGER = ALERTMANAGER_BINARY;

const ROUTES = `
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1h
  repeat_interval: 4h
  routes:
    - receiver: hook-db
      matchers: ['team="db"']
      group_by: [alertname, instance]
      continue: true
    - receiver: hook
      matchers: ['severity=~"page|critical"', 'env!="dev"']
      routes:
        - receiver: hook-db
          match: { service: "files" }
    - receiver: hook-all
      match_re: { env: "dev|test" }
      group_by: ['...']
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [cluster]
`;

const ALERTS: { labels: Record<string, string>; annotations?: Record<string, string> }[] = [
  { labels: { alertname: 'DiskFull', team: 'db', instance: 'db1:9100', job: 'node', severity: 'page' } },
  { labels: { alertname: 'DiskFull', team: 'db', instance: 'db2:9100', job: 'node', severity: 'page' } },
  {
    labels: { alertname: 'Latency', severity: 'critical', cluster: 'eu', service: 'files' },
    annotations: { s: 'x' },
  },
  { labels: { alertname: 'Latency', severity: 'warning', cluster: 'eu', service: 'web' } },
  { labels: { alertname: 'Latency', severity: 'warning', cluster: 'us', service: 'web' } },
  { labels: { alertname: 'Odd "name"', env: 'dev', msg: 'line\nbreak é \\ ok' } },
  { labels: { alertname: 'Plain', instance: 'b', job: 'a' }, annotations: { summary: 'same' } },
  { labels: { alertname: 'Plain', instance: 'a', job: 'a' }, annotations: { summary: 'same' } },
  { labels: { alertname: 'Plain', zone: 'z' } },
];

interface Seen {
  receiver: string;
  groupKey: string;
  status: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  alerts: { fingerprint: string; status: string; labels: Record<string, string> }[];
}

interface ApiAlert {
  fingerprint: string;
  labels: Record<string, string>;
  receivers: readonly { name: string }[];
  status: { state: string; silencedBy: readonly string[]; inhibitedBy: readonly string[] };
}

interface ApiGroup {
  labels: Record<string, string>;
  receiver: { name: string };
  alerts: readonly ApiAlert[];
}

function alertShape(a: ApiAlert): ApiAlert {
  return {
    fingerprint: a.fingerprint,
    labels: { ...a.labels },
    receivers: a.receivers.map((r) => ({ name: r.name })),
    status: {
      state: a.status.state,
      silencedBy: [...a.status.silencedBy],
      inhibitedBy: [...a.status.inhibitedBy],
    },
  };
}

function groupShape(g: ApiGroup): ApiGroup {
  return { labels: { ...g.labels }, receiver: { name: g.receiver.name }, alerts: g.alerts.map(alertShape) };
}

let dir = '';
let peer: AlertmanagerPeer | undefined;
let hook: Server | undefined;
let amUrl = '';
const received: Seen[] = [];

function normalize(list: Seen[]): Seen[] {
  return [...list].sort((a, b) => (a.receiver + a.groupKey < b.receiver + b.groupKey ? -1 : 1));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kanshi-am-dispatch-'));
  const hookPort = await freePort();
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const p = JSON.parse(body) as Seen;
      received.push({
        receiver: p.receiver,
        groupKey: p.groupKey,
        status: p.status,
        groupLabels: p.groupLabels,
        commonLabels: p.commonLabels,
        commonAnnotations: p.commonAnnotations,
        alerts: p.alerts.map((a) => ({ fingerprint: a.fingerprint, status: a.status, labels: a.labels })),
      });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook!.listen(hookPort, '127.0.0.1', r));
  const url = (p: string): string => `[{ url: "http://127.0.0.1:${hookPort}/${p}" }]`;
  const config = join(dir, 'alertmanager.yml');
  await writeFile(
    config,
    `${ROUTES}receivers:\n  - { name: hook, webhook_configs: ${url('hook')} }\n  - { name: hook-db, webhook_configs: ${url('db')} }\n  - { name: hook-all, webhook_configs: ${url('all')} }\n`,
  );
  const am = await startAlertmanager(config, join(dir, 'data'));
  peer = am;
  amUrl = am.url;
  const res = await fetch(`${amUrl}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ALERTS),
  });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
});

afterAll(async () => {
  await peer?.stop();
  await new Promise((r) => hook?.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!existsSync(ALERTMANAGER))('dispatch vs Alertmanager', () => {
  it('sends the same first notification for every group', async () => {
    const { config, diagnostics } = parseYamlConfig(
      `${ROUTES}receivers: [{ name: hook }, { name: hook-db }, { name: hook-all }]\n`,
      'am.yml',
      notificationsConfig,
    );
    expect(diagnostics).toEqual([]);
    const clock = new FakeClock();
    const sent: Notification[] = [];
    const pipeline = new NotificationPipeline({
      config: config!,
      silencer: { mutes: () => ({ silencedBy: [], maintenanceBy: [] }) },
      sink: { enqueue: (n) => sent.push(n) },
      clock,
      logger: nullLogger,
    });
    expect(pipeline.put(ALERTS)).toEqual([]);
    await clock.advance(2_000);
    const ourGroups = pipeline.alertGroups().map(groupShape);
    const ourAlerts = pipeline.alerts().map(alertShape);
    await pipeline.close();
    const ours = normalize(
      sent.map((n) => ({
        receiver: n.receiver,
        groupKey: n.groupKey,
        status: n.status,
        groupLabels: { ...n.groupLabels },
        commonLabels: { ...n.commonLabels },
        commonAnnotations: { ...n.commonAnnotations },
        alerts: n.alerts.map((a) => ({
          fingerprint: a.fingerprint,
          status: a.status,
          labels: { ...a.labels },
        })),
      })),
    );
    expect(ours.length).toBeGreaterThanOrEqual(6);

    // Alertmanager flushes each group once after group_wait (1 s); wait until all have arrived.
    const deadline = Date.now() + 30_000;
    while (received.length < ours.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 1500));
    expect(normalize(received)).toEqual(ours);

    // The API views: GET /api/v2/alerts/groups and /api/v2/alerts, times left out.
    const theirGroups = (await (await fetch(`${amUrl}/api/v2/alerts/groups`)).json()) as ApiGroup[];
    expect(ourGroups).toEqual(theirGroups.map(groupShape));
    const theirAlerts = (await (await fetch(`${amUrl}/api/v2/alerts`)).json()) as ApiAlert[];
    expect(ourAlerts).toEqual(theirAlerts.map(alertShape));
  });
});
