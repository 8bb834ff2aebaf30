import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/prom-peer.js';
import { DeliveryQueue } from '../../src/notify/delivery/delivery-queue.js';
import type { AlertEvent } from '../../src/notify/types.js';
import { crashNotification, crashReceiver } from './notify-delivery.child.js';

/**
 * Delivery through real sockets and a real process crash: a webhook receiver that is down for a while
 * gets every notification once it is back and none twice, and a queue killed with SIGKILL resumes the
 * undelivered notifications on the next open without resending the delivered ones.
 */

/** A loopback webhook receiver; `accept(id)` decides between 200 and 503 per notification. */
class Receiver {
  readonly accepted: string[] = [];
  readonly refused: string[] = [];
  accept: (id: string) => boolean = () => true;
  #server: Server | undefined;

  async listen(port: number): Promise<void> {
    this.#server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const { groupKey } = JSON.parse(body) as { groupKey: string };
        const id = `n${/A(\d+)/.exec(groupKey)?.[1] ?? '?'}`;
        if (this.accept(id)) {
          this.accepted.push(id);
          res.writeHead(200).end('ok');
        } else {
          this.refused.push(id);
          res.writeHead(503).end('down');
        }
      });
    });
    await new Promise<void>((r) => this.#server!.listen(port, '127.0.0.1', r));
  }

  async close(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const count = (list: readonly string[]): Map<string, number> => {
  const m = new Map<string, number>();
  for (const x of list) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
};
const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${i + 1}`);

describe('delivery to a real webhook receiver', () => {
  it('delivers every notification once after the receiver was down for a while, none twice', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kanshi-delivery-'));
    dirs.push(dir);
    const port = await freePort();
    const integrations = crashReceiver(`http://127.0.0.1:${port}/hook`);
    const history: AlertEvent[] = [];
    const queue = DeliveryQueue.open({
      dir,
      integrations: () => integrations,
      history: { record: (e) => history.push(e) },
      backoffBaseMs: 20,
      backoffMaxMs: 100,
    });
    const receiver = new Receiver();
    try {
      const now = Date.now();
      for (let i = 1; i <= 20; i++) queue.enqueue(crashNotification(i, now));
      // Nothing listens: every notification fails a few times (connection refused).
      await waitFor(
        () => history.filter((e) => e.kind === 'notify_failed' && e.detail?.attempt === '3').length === 20,
        'three failed attempts of each notification',
      );
      expect(queue.owedCount).toBe(20);
      await receiver.listen(port);
      await waitFor(() => queue.owedCount === 0, 'the queue to drain');
      expect([...count(receiver.accepted).entries()].sort()).toStrictEqual(
        ids(20)
          .map((id) => [id, 1])
          .sort(),
      );
      expect(history.filter((e) => e.kind === 'notified')).toHaveLength(20);
      expect(history.some((e) => e.detail?.gave_up === 'true')).toBe(false);
    } finally {
      await queue.close();
      await receiver.close();
    }
  });

  it('resumes after SIGKILL: undelivered ones are sent, delivered ones are not sent again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kanshi-delivery-crash-'));
    dirs.push(dir);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/hook`;
    const receiver = new Receiver();
    // Before the crash the receiver takes odd-numbered notifications only.
    receiver.accept = (id) => Number(id.slice(1)) % 2 === 1;
    await receiver.listen(port);
    const N = 10;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', resolve(import.meta.dirname, 'notify-delivery.child.ts'), dir, url, String(N)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, s) => r(s)));
    try {
      const odd = ids(N).filter((_, i) => i % 2 === 0);
      const even = ids(N).filter((_, i) => i % 2 === 1);
      // Kill only once the child has made the odd ones' delivery durable: between a receiver's 200 and
      // that fsync a crash resends (at-least-once), which this test is not about.
      const journalDone = (): Set<string> => {
        const done = new Set<string>();
        for (const line of readFileSync(join(dir, 'queue.jsonl'), 'utf8').split('\n')) {
          if (!line.startsWith('{"op":"done"')) continue;
          const r = JSON.parse(line) as { id: string; outcome: string };
          if (r.outcome === 'delivered') done.add(r.id);
        }
        return done;
      };
      await waitFor(
        () => even.every((id) => receiver.refused.includes(id)) && odd.every((id) => journalDone().has(id)),
        `the child to deliver the odd ones (stderr: ${stderr})`,
      );
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');

      receiver.accept = () => true;
      const queue = DeliveryQueue.open({ dir, integrations: () => crashReceiver(url), backoffBaseMs: 20 });
      try {
        await waitFor(() => queue.owedCount === 0, 'the reopened queue to drain');
        // Let a stray duplicate show up if there were one.
        await new Promise((r) => setTimeout(r, 200));
        const got = count(receiver.accepted);
        for (const id of ids(N)) expect([id, got.get(id)]).toStrictEqual([id, 1]);
      } finally {
        await queue.close();
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await receiver.close();
    }
  });
});
