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
import { forIntegration } from '../../src/notify/delivery/delivery-queue.js';
import { notificationsConfig } from '../../src/notify/config.js';
import { NotificationPipeline } from '../../src/notify/pipeline.js';
import type { Notification } from '../../src/notify/types.js';

/**
 * Differential test of the notification sequence against Debian's prometheus-alertmanager (0.25):
 * two alerts fire, one resolves, then the other; one webhook receiver has send_resolved true, the other
 * false. Alertmanager runs in real time (group_wait 1 s, group_interval 2 s), Kanshi on a fake clock;
 * each waits for the other's notifications of a step before the next step, and both must send the same
 * notifications in the same order (deduplication, resolved handling, send_resolved).
 */

const ALERTMANAGER = ALERTMANAGER_BINARY;

const ROUTES = `
route:
  receiver: loud
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
  routes:
    - { receiver: loud, matchers: [team="x"], continue: true }
    - { receiver: quiet, matchers: [team="x"] }
`;

interface Seen {
  receiver: string;
  status: string;
  alerts: string[];
}

let dir = '';
let peer: AlertmanagerPeer | undefined;
let hook: Server | undefined;
let amUrl = '';
let hookPort = 0;
const received: Seen[] = [];

beforeAll(async () => {
  if (!existsSync(ALERTMANAGER)) return;
  dir = await mkdtemp(join(tmpdir(), 'kanshi-am-dedupe-'));
  hookPort = await freePort();
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const p = JSON.parse(body) as {
        receiver: string;
        status: string;
        alerts: { status: string; labels: Record<string, string> }[];
      };
      received.push({
        receiver: p.receiver,
        status: p.status,
        alerts: p.alerts.map((a) => `${a.labels['n']!}:${a.status}`),
      });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook!.listen(hookPort, '127.0.0.1', r));
  const config = join(dir, 'alertmanager.yml');
  await writeFile(
    config,
    `${ROUTES}receivers:\n` +
      `  - { name: loud, webhook_configs: [{ url: "http://127.0.0.1:${hookPort}/loud", send_resolved: true }] }\n` +
      `  - { name: quiet, webhook_configs: [{ url: "http://127.0.0.1:${hookPort}/quiet", send_resolved: false }] }\n`,
  );
  const am = await startAlertmanager(config, join(dir, 'data'));
  peer = am;
  amUrl = am.url;
});

afterAll(async () => {
  await peer?.stop();
  await new Promise((r) => (hook ? hook.close(r) : r(undefined)));
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

/** The steps: which alerts are (re)sent, and whether resolved. */
const STEPS: { n: string; resolved: boolean }[][] = [
  [
    { n: 'a1', resolved: false },
    { n: 'a2', resolved: false },
  ],
  [{ n: 'a1', resolved: true }],
  [
    { n: 'a2', resolved: false },
    { n: 'a3', resolved: false },
  ],
  [
    { n: 'a2', resolved: true },
    { n: 'a3', resolved: true },
  ],
];

function byReceiver(list: readonly Seen[]): Record<string, Seen[]> {
  const out: Record<string, Seen[]> = { loud: [], quiet: [] };
  for (const s of list) (out[s.receiver] ??= []).push(s);
  return out;
}

const labels = (n: string): Record<string, string> => ({ alertname: 'Seq', team: 'x', n });

describe.skipIf(!existsSync(ALERTMANAGER))('notification sequence vs Alertmanager', () => {
  it('sends the same notifications as alerts fire and resolve', async () => {
    const { config, diagnostics } = parseYamlConfig(
      `${ROUTES}receivers:\n  - { name: loud, webhook_configs: [{ url: "http://127.0.0.1:9/", send_resolved: true }] }\n  - { name: quiet, webhook_configs: [{ url: "http://127.0.0.1:9/", send_resolved: false }] }\n`,
      'am.yml',
      notificationsConfig,
    );
    expect(diagnostics).toEqual([]);
    const clock = new FakeClock();
    const ours: Seen[] = [];
    // What each webhook integration receives: the delivery queue's send_resolved filter.
    const sink = {
      enqueue: (n: Notification) => {
        const sendResolved = n.receiver === 'loud';
        const view = forIntegration(n, { kind: 'webhook', sendResolved, send: () => Promise.resolve() });
        if (view)
          ours.push({
            receiver: view.receiver,
            status: view.status,
            alerts: view.alerts.map((a) => `${a.labels['n']!}:${a.status}`),
          });
      },
    };
    const pipeline = new NotificationPipeline({
      config: config!,
      silencer: { mutes: () => ({ silencedBy: [], maintenanceBy: [] }) },
      sink,
      clock,
      logger: nullLogger,
    });

    const oursPerStep: number[] = [];
    for (const [i, step] of STEPS.entries()) {
      pipeline.put(
        step.map((a) => ({ labels: labels(a.n), ...(a.resolved ? { endsAtMs: clock.now() } : {}) })),
      );
      await clock.advance(i === 0 ? 1000 : 2000);
      oursPerStep.push(ours.length);
    }
    await clock.advance(20_000);
    // loud: both fire, a1 resolved, a3 joins, all resolved; quiet: only the two firing changes.
    expect(oursPerStep).toEqual([2, 3, 5, 6]);
    expect(ours.length).toBe(6);
    await pipeline.close();

    for (const [i, step] of STEPS.entries()) {
      const now = new Date().toISOString();
      const res = await fetch(`${amUrl}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(
          step.map((a) => ({ labels: labels(a.n), ...(a.resolved ? { endsAt: now } : {}) })),
        ),
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      const deadline = Date.now() + 10_000;
      while (received.length < oursPerStep[i]! && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      // One more group_interval, to see anything sent beyond what Kanshi sent.
      await new Promise((r) => setTimeout(r, 2500));
      // The two receivers' groups flush at the same moment, so only the order per receiver is fixed.
      expect({ step: i, seen: byReceiver(received) }).toEqual({
        step: i,
        seen: byReceiver(ours.slice(0, oursPerStep[i])),
      });
    }
  });
});
