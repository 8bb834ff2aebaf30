import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../base/clock.js';
import { nullLogger } from '../base/logger.js';
import { notificationsConfig } from '../notify/config.js';
import { monitorsConfig } from '../rules/monitors/config.js';
import { serverConfig, serverGlobalSchema } from './config/schema.js';
import { startServer, type KanshiServer } from './server.js';

/**
 * The alerting parts wired together in a real server: an alerting rule and a failing check reach a
 * loopback webhook receiver as Alertmanager's payload v4, the Alertmanager v2 API lists and silences
 * them, and their timelines land in the metadata store. Real clock; the test waits for outcomes and
 * asserts no durations.
 */

interface WebhookBody {
  version: string;
  receiver: string;
  status: string;
  groupLabels: Record<string, string>;
  alerts: { status: string; labels: Record<string, string>; fingerprint: string }[];
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('alerting in the server', () => {
  let dir: string;
  let server: KanshiServer;
  const bodies: WebhookBody[] = [];
  const receiver = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(text) as WebhookBody);
      res.end();
    });
  });

  const start = async (): Promise<KanshiServer> => {
    const { port } = receiver.address() as AddressInfo;
    return startServer({
      config: serverConfig.parse({ listen: '127.0.0.1:0', data_dir: 'data', watch_config: false }),
      logger: nullLogger,
      clock: systemClock,
      baseDir: dir,
      global: serverGlobalSchema.parse({ evaluation_interval: '1s' }),
      ruleFiles: ['rules.yml'],
      notifications: notificationsConfig.parse({
        route: {
          receiver: 'hook',
          group_by: ['alertname'],
          group_wait: '50ms',
          group_interval: '1s',
          repeat_interval: '4h',
        },
        receivers: [
          {
            name: 'hook',
            webhook_configs: [{ url: `http://127.0.0.1:${port}/hook`, send_resolved: true }],
          },
        ],
      }),
      monitors: monitorsConfig.parse({}),
    });
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kanshi-alerting-'));
    await writeFile(
      path.join(dir, 'rules.yml'),
      `groups:
  - name: always
    rules:
      - alert: AlwaysOn
        expr: vector(1)
        labels: { severity: page }
        annotations: { summary: "value {{ $value }}" }
`,
    );
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    server = await start();
  });
  afterAll(async () => {
    await server.close();
    await new Promise((resolve) => receiver.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const notified = (alertname: string): WebhookBody | undefined =>
    bodies.find((b) => b.groupLabels.alertname === alertname && b.status === 'firing');

  it('delivers a firing alerting rule to the webhook as payload version 4', async () => {
    const body = await until('AlwaysOn at the webhook', () => Promise.resolve(notified('AlwaysOn')));
    expect(body.version).toBe('4');
    expect(body.receiver).toBe('hook');
    expect(body.alerts).toHaveLength(1);
    expect(body.alerts[0]!.labels).toEqual({ alertname: 'AlwaysOn', severity: 'page' });
  });

  it('lists the alert through the Alertmanager v2 API and mutes it with a silence', async () => {
    const list = await server.app.inject({ method: 'GET', url: '/api/v2/alerts' });
    expect(list.statusCode).toBe(200);
    const alerts = list.json<{ labels: Record<string, string>; status: { state: string } }[]>();
    const mine = alerts.find((a) => a.labels.alertname === 'AlwaysOn');
    expect(mine?.status.state).toBe('active');

    const now = Date.now();
    const created = await server.app.inject({
      method: 'POST',
      url: '/api/v2/silences',
      payload: {
        matchers: [{ name: 'alertname', value: 'AlwaysOn', isRegex: false, isEqual: true }],
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
        createdBy: 'test',
        comment: 'muted by the test',
      },
    });
    expect(created.statusCode).toBe(200);
    const { silenceID } = created.json<{ silenceID: string }>();
    const after = await server.app.inject({ method: 'GET', url: '/api/v2/alerts?silenced=true' });
    const silenced = after
      .json<{ labels: Record<string, string>; status: { state: string; silencedBy: string[] } }[]>()
      .find((a) => a.labels.alertname === 'AlwaysOn');
    expect(silenced?.status).toMatchObject({ state: 'suppressed', silencedBy: [silenceID] });
  });

  it('opens a check alert from a failing check result and delivers it', async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/api/agent/v1/check-results',
      payload: {
        host: 'web-1',
        results: [
          {
            check: 'disk',
            status: 'CRITICAL',
            message: 'DISK CRITICAL - / 97% used',
            started_at: Date.now(),
            hard_status: 'CRITICAL',
          },
        ],
      },
    });
    expect(res.statusCode).toBe(200);
    const open = await server.app.inject({ method: 'GET', url: '/api/kanshi/v1/monitors/alerts' });
    const list = open.json<{ data?: unknown[] } | unknown[]>();
    expect(JSON.stringify(list)).toContain('web-1');
    const body = await until('CheckFailed at the webhook', () => Promise.resolve(notified('CheckFailed')));
    expect(body.alerts[0]!.labels).toMatchObject({ host: 'web-1', check: 'disk', severity: 'critical' });
  });

  it('records the timeline of a delivered alert in the metadata store', async () => {
    const fingerprint = notified('AlwaysOn')!.alerts[0]!.fingerprint;
    // `silenced` is recorded when the group next flushes (group_interval) with the silence in place.
    const kinds = await until('opened, notified and silenced in the timeline', async () => {
      const res = await server.app.inject({
        method: 'GET',
        url: `/api/kanshi/v1/alerts/${fingerprint}/timeline`,
      });
      if (res.statusCode !== 200) return undefined;
      const text = res.body;
      return text.includes('"silenced"') ? text : undefined;
    });
    expect(kinds).toContain('"opened"');
    expect(kinds).toContain('"notified"');
  });

  it('keeps check history and dashboards across a restart (SQLite and files, not memory)', async () => {
    const created = await server.app.inject({
      method: 'POST',
      url: '/api/kanshi/v1/dashboards',
      payload: {
        uid: 'web',
        title: 'Web',
        panels: [
          { type: 'stat', title: 'Up', gridPos: { x: 0, y: 0, w: 6, h: 4 }, targets: [{ expr: 'up' }] },
        ],
      },
    });
    expect(created.statusCode).toBeLessThan(300);
    await server.close();
    server = await start();
    const res = await server.app.inject({ method: 'GET', url: '/api/kanshi/v1/checks' });
    expect(res.body).toContain('DISK CRITICAL');
    const dash = await server.app.inject({ method: 'GET', url: '/api/kanshi/v1/dashboards/web' });
    expect(dash.statusCode).toBe(200);
    expect(dash.body).toContain('"title":"Web"');
  });
});
