import { DeliveryQueue } from '../../src/notify/delivery/delivery-queue.js';
import { buildIntegrations } from '../../src/notify/receivers/build-integrations.js';
import { receiverSchema } from '../../src/notify/receivers/schema.js';
import type { Notification } from '../../src/notify/types.js';

/**
 * The crashing side of notify-delivery.test.ts: opens a delivery queue in argv[2] with one webhook to
 * argv[3], enqueues argv[4] notifications (`n1`…), prints `queued`, and keeps delivering until the
 * test kills it with SIGKILL.
 */

/** The receiver both sides configure. */
export function crashReceiver(url: string) {
  return buildIntegrations(receiverSchema.parse({ name: 'ops', webhook_configs: [{ url }] }));
}

/** Notification number `i` of the crash test. */
export function crashNotification(i: number, now: number): Notification {
  return {
    id: `n${i}`,
    receiver: 'ops',
    groupKey: `{}:{alertname="A${i}"}`,
    status: 'firing',
    groupLabels: { alertname: `A${i}` },
    commonLabels: { alertname: `A${i}` },
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:9800',
    alerts: [
      {
        status: 'firing',
        fingerprint: i.toString(16).padStart(16, '0'),
        labels: { alertname: `A${i}` },
        annotations: {},
        startsAtMs: now,
        endsAtMs: now + 300_000,
        generatorURL: '',
        updatedAtMs: now,
      },
    ],
    truncatedAlerts: 0,
    createdAtMs: now,
  };
}

const [dir, url, count] = process.argv.slice(2);
if (dir !== undefined && url !== undefined && count !== undefined) {
  const integrations = crashReceiver(url);
  const queue = DeliveryQueue.open({
    dir,
    integrations: () => integrations,
    backoffBaseMs: 50,
    backoffMaxMs: 200,
  });
  const now = Date.now();
  for (let i = 1; i <= Number(count); i++) queue.enqueue(crashNotification(i, now));
  process.stdout.write('queued\n');
  setInterval(() => {}, 1000);
}
