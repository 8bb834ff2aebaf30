import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlertmanager, type AlertmanagerPeer } from '../support/alertmanager-peer.js';
import { DeliveryQueue } from '../../src/notify/delivery/delivery-queue.js';
import { buildIntegrations } from '../../src/notify/receivers/build-integrations.js';
import { receiverSchema } from '../../src/notify/receivers/schema.js';
import type { AlertEvent, Notification } from '../../src/notify/types.js';

/**
 * Kanshi's `alertmanager_configs` forward into Debian's prometheus-alertmanager (0.25): the alerts a
 * notification carries are POSTed to its /api/v2/alerts through the delivery queue, and read back from
 * the same API, firing and then resolved.
 */

let dir = '';
let peer: AlertmanagerPeer | undefined;
let amUrl = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kanshi-am-'));
  const config = join(dir, 'alertmanager.yml');
  await writeFile(config, 'route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n');
  const am = await startAlertmanager(config, join(dir, 'data'));
  peer = am;
  amUrl = am.url;
});

afterAll(async () => {
  await peer?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  status: { state: string };
}

async function alertsInAm(): Promise<GettableAlert[]> {
  const res = await fetch(`${amUrl}/api/v2/alerts`);
  expect(res.status).toBe(200);
  return (await res.json()) as GettableAlert[];
}

async function waitFor(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function notification(id: string, status: 'firing' | 'resolved', now: number): Notification {
  return {
    id,
    receiver: 'upstream',
    groupKey: '{}:{alertname="KanshiForward"}',
    status,
    groupLabels: { alertname: 'KanshiForward' },
    commonLabels: { alertname: 'KanshiForward', severity: 'page' },
    commonAnnotations: { summary: 'forwarded by kanshi' },
    externalURL: 'http://127.0.0.1:9800',
    alerts: [
      {
        status,
        fingerprint: '1111222233334444',
        labels: { alertname: 'KanshiForward', severity: 'page', instance: 'host-1' },
        annotations: { summary: 'forwarded by kanshi' },
        startsAtMs: now - 60_000,
        endsAtMs: status === 'firing' ? now + 600_000 : now - 1000,
        generatorURL: 'http://127.0.0.1:9800/graph?g0.expr=up',
        updatedAtMs: now,
      },
    ],
    truncatedAlerts: 0,
    createdAtMs: now,
  };
}

describe('forwarding to prometheus-alertmanager', () => {
  it('delivers firing and resolved alerts that Alertmanager reports back', async () => {
    const receiver = receiverSchema.parse({
      name: 'upstream',
      alertmanager_configs: [{ urls: [amUrl] }],
    });
    const integrations = buildIntegrations(receiver);
    const history: AlertEvent[] = [];
    const queue = DeliveryQueue.open({
      dir: join(dir, 'queue'),
      integrations: (r) => (r === 'upstream' ? integrations : undefined),
      history: { record: (e) => history.push(e) },
      backoffBaseMs: 100,
    });
    try {
      const now = Date.now();
      queue.enqueue(notification('firing-1', 'firing', now));
      await waitFor(() => queue.owedCount === 0, 'the firing notification');
      expect(history.map((e) => e.kind)).toStrictEqual(['notified']);

      const firing = (await alertsInAm()).filter((a) => a.labels.alertname === 'KanshiForward');
      expect(firing).toHaveLength(1);
      expect(firing[0]!.labels).toStrictEqual({
        alertname: 'KanshiForward',
        severity: 'page',
        instance: 'host-1',
      });
      expect(firing[0]!.annotations).toStrictEqual({ summary: 'forwarded by kanshi' });
      expect(firing[0]!.generatorURL).toBe('http://127.0.0.1:9800/graph?g0.expr=up');
      expect(firing[0]!.status.state).toBe('active');
      expect(Date.parse(firing[0]!.startsAt)).toBe(now - 60_000);

      queue.enqueue(notification('resolved-1', 'resolved', Date.now()));
      await waitFor(() => queue.owedCount === 0, 'the resolved notification');
      await waitFor(
        async () => (await alertsInAm()).every((a) => a.labels.alertname !== 'KanshiForward'),
        'alertmanager to drop the resolved alert',
      );
    } finally {
      await queue.close();
    }
  });

  it('calls a refused alert final: Alertmanager answers 400 to an alert without labels', async () => {
    const receiver = receiverSchema.parse({ name: 'upstream', alertmanager_configs: [{ urls: [amUrl] }] });
    const [forward] = buildIntegrations(receiver);
    const n = notification('bad', 'firing', Date.now());
    const bad: Notification = { ...n, alerts: [{ ...n.alerts[0]!, labels: {} }] };
    const err = await forward!.send(bad, new AbortController().signal).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('bad_input');
  });
});
