import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../test/support/fake-clock.js';
import { AppError } from '../../base/errors.js';
import { Registry } from '../../exposition/registry.js';
import { writeText } from '../../exposition/write-text.js';
import {
  DeliveryQueue,
  forIntegration,
  type DeliveryQueueOptions,
  type QueueIntegration,
} from './delivery-queue.js';
import type { AlertEvent, Notification } from '../types.js';

type Behavior = (n: Notification, signal: AbortSignal) => Promise<void>;

/** An integration that records what it was sent and behaves as the test says. */
class FakeIntegration implements QueueIntegration {
  readonly sent: Notification[] = [];
  readonly attempts: Notification[] = [];
  inFlight = 0;
  maxInFlight = 0;
  behavior: Behavior = () => Promise.resolve();

  constructor(
    readonly integration: string,
    readonly sendResolved = true,
    readonly kind = integration.replace(/\[.*$/, ''),
  ) {}

  async send(n: Notification, signal: AbortSignal): Promise<void> {
    this.attempts.push(n);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.behavior(n, signal);
      this.sent.push(n);
    } finally {
      this.inFlight--;
    }
  }
}

const down: Behavior = () =>
  Promise.reject(new AppError('unavailable', 'webhook POST: unexpected status 503'));

function notification(
  id: string,
  status: 'firing' | 'resolved' = 'firing',
  createdAtMs = 1_700_000_000_000,
): Notification {
  return {
    id,
    receiver: 'ops',
    groupKey: '{}:{alertname="X"}',
    status,
    groupLabels: { alertname: 'X' },
    commonLabels: { alertname: 'X' },
    commonAnnotations: {},
    externalURL: 'http://kanshi',
    alerts: [
      {
        status,
        fingerprint: `f-${id}`,
        labels: { alertname: 'X', id },
        annotations: {},
        startsAtMs: createdAtMs - 1000,
        endsAtMs: createdAtMs,
        generatorURL: '',
        updatedAtMs: createdAtMs,
      },
    ],
    truncatedAlerts: 0,
    createdAtMs,
  };
}

let dir = '';
let clock: FakeClock;
let history: AlertEvent[];
const queues: DeliveryQueue[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kanshi-dq-'));
  clock = new FakeClock();
  history = [];
});
afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.close()));
  rmSync(dir, { recursive: true, force: true });
});

function open(integrations: FakeIntegration[], extra: Partial<DeliveryQueueOptions> = {}): DeliveryQueue {
  const q = DeliveryQueue.open({
    dir,
    integrations: (r) => (r === 'ops' ? integrations : undefined),
    clock,
    history: { record: (e) => history.push(e) },
    random: () => 0.5,
    backoffBaseMs: 1000,
    backoffMaxMs: 8000,
    closeTimeoutMs: 200,
    ...extra,
  });
  queues.push(q);
  return q;
}

const settle = (): Promise<void> => clock.advance(0);
/** Outcomes are fsynced by a group commit on the thread pool: wait (in real time) until `cond` holds. */
async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await clock.advance(0);
    await new Promise((r) => setTimeout(r, 1));
  }
}
const journal = (d = dir): string[] =>
  readFileSync(join(d, 'queue.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '');

describe('DeliveryQueue', () => {
  it('has the notification on disk before enqueue returns', () => {
    const hook = new FakeIntegration('webhook[0]');
    hook.behavior = () => new Promise(() => {}); // never answers
    const q = open([hook]);
    q.enqueue(notification('a'));
    const lines = journal();
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ op: 'enqueue', owed: ['webhook[0]'], n: { id: 'a' } });
  });

  it('retries with exponential backoff until the receiver answers, recording every attempt', async () => {
    const registry = new Registry();
    const hook = new FakeIntegration('webhook[0]');
    let failures = 3;
    const attemptTimes: number[] = [];
    hook.behavior = () => {
      attemptTimes.push(clock.now());
      return failures-- > 0 ? down(notification('x'), new AbortController().signal) : Promise.resolve();
    };
    const q = open([hook], { registry });
    const t0 = clock.now();
    q.enqueue(notification('a'));
    await settle();
    expect(q.owedCount).toBe(1);
    await clock.advance(1000 + 2000 + 4000);
    await until(() => q.owedCount === 0);
    expect(attemptTimes.map((t) => t - t0)).toStrictEqual([0, 1000, 3000, 7000]);
    expect(hook.sent).toHaveLength(1);
    expect(q.owedCount).toBe(0);
    expect(history.map((e) => [e.kind, e.detail?.attempt])).toStrictEqual([
      ['notify_failed', '1'],
      ['notify_failed', '2'],
      ['notify_failed', '3'],
      ['notified', '4'],
    ]);
    expect(history[0]!.detail).toMatchObject({
      receiver: 'ops',
      integration: 'webhook[0]',
      error: 'webhook POST: unexpected status 503',
    });
    expect(history[3]!.fingerprint).toBe('f-a');
    const attempts = registry.counter('kanshi_notify_attempts_total', '');
    expect(attempts.get({ integration: 'webhook', result: 'failure' })).toBe(3);
    expect(attempts.get({ integration: 'webhook', result: 'success' })).toBe(1);
    expect(registry.gauge('kanshi_notify_queue_length', '').get()).toBe(0);
    expect(writeText(registry.collect())).toMatch(
      /^kanshi_notify_latency_seconds_count\{integration="webhook"\} 4$/m,
    );
  });

  it('caps the delay at backoffMaxMs and spreads it by the jitter', async () => {
    const hook = new FakeIntegration('webhook[0]');
    const times: number[] = [];
    hook.behavior = (n, s) => {
      times.push(clock.now());
      return down(n, s);
    };
    let r = 0;
    const randoms = [0, 1 - 1e-9, 0.5, 0.5, 0.5, 0.5];
    open([hook], { random: () => randoms[r++] ?? 0.5, backoffJitter: 0.5 }).enqueue(notification('a'));
    await settle();
    await clock.advance(60_000);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // 1000·0.5, 2000·1.5, 4000, 8000 (capped), 8000, 8000
    expect(gaps.slice(0, 6)).toStrictEqual([500, 3000, 4000, 8000, 8000, 8000]);
  });

  it('gives up at once on a final error and never tries again', async () => {
    const hook = new FakeIntegration('webhook[0]');
    hook.behavior = () => Promise.reject(new AppError('bad_input', 'webhook POST: unexpected status 400'));
    const q = open([hook]);
    q.enqueue(notification('a'));
    await settle();
    await clock.advance(60_000);
    await until(() => q.owedCount === 0);
    expect(hook.attempts).toHaveLength(1);
    expect(history).toHaveLength(1);
    expect(history[0]!.detail).toMatchObject({ gave_up: 'true', attempt: '1' });
    await q.close();
    hook.behavior = () => Promise.resolve();
    open([hook]);
    await settle();
    expect(hook.attempts).toHaveLength(1);
  });

  it('gives up a retryable failure once the notification is older than maxAgeMs', async () => {
    const hook = new FakeIntegration('webhook[0]');
    hook.behavior = down;
    const q = open([hook], { maxAgeMs: 10_000 });
    q.enqueue(notification('a', 'firing', clock.now()));
    await settle();
    await clock.advance(120_000);
    await until(() => q.owedCount === 0);
    // attempts at 0, 1 s, 3 s, 7 s, 15 s (older than 10 s: given up)
    expect(hook.attempts).toHaveLength(5);
    expect(history.at(-1)!.detail).toMatchObject({ gave_up: 'true', attempt: '5' });
    expect(q.owedCount).toBe(0);
  });

  it('sends only firing alerts to an integration without send_resolved', async () => {
    const slack = new FakeIntegration('slack[0]', false);
    const hook = new FakeIntegration('webhook[0]', true);
    const q = open([slack, hook]);
    q.enqueue(notification('r', 'resolved'));
    const mixed = notification('m');
    const both = { ...mixed, alerts: [...mixed.alerts, ...notification('r2', 'resolved').alerts] };
    q.enqueue(both);
    await settle();
    expect(hook.sent.map((n) => n.id)).toStrictEqual(['r', 'm']);
    expect(slack.sent.map((n) => [n.id, n.alerts.length, n.status])).toStrictEqual([['m', 1, 'firing']]);
    expect(forIntegration(notification('z', 'resolved'), slack)).toBeUndefined();
  });

  it('ignores a notification id enqueued again', async () => {
    const hook = new FakeIntegration('webhook[0]');
    const q = open([hook]);
    q.enqueue(notification('a'));
    await settle();
    q.enqueue(notification('a'));
    await settle();
    expect(hook.sent).toHaveLength(1);
  });

  it('keeps at most `concurrency` sends in flight per integration', async () => {
    const hook = new FakeIntegration('webhook[0]');
    const release: (() => void)[] = [];
    hook.behavior = () => new Promise<void>((r) => release.push(r));
    const q = open([hook], { concurrency: 2 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) q.enqueue(notification(id));
    await settle();
    expect(hook.inFlight).toBe(2);
    while (release.length > 0) {
      release.shift()!();
      await settle();
    }
    await until(() => q.owedCount === 0);
    expect(hook.sent.map((n) => n.id)).toStrictEqual(['a', 'b', 'c', 'd', 'e']);
    expect(hook.maxInFlight).toBe(2);
    expect(q.owedCount).toBe(0);
  });

  it('resumes undelivered notifications after close and reopen, and does not resend delivered ones', async () => {
    const hook = new FakeIntegration('webhook[0]');
    const chat = new FakeIntegration('slack[0]', true);
    chat.behavior = down; // Slack is down
    const q = open([hook, chat]);
    q.enqueue(notification('a'));
    q.enqueue(notification('b'));
    await settle();
    expect(hook.sent.map((n) => n.id)).toStrictEqual(['a', 'b']);
    expect(chat.sent).toHaveLength(0);
    await q.close();
    queues.length = 0;

    chat.behavior = () => Promise.resolve(); // Slack is back
    const q2 = open([hook, chat]);
    expect(q2.owedCount).toBe(2);
    await until(() => q2.owedCount === 0);
    expect(chat.sent.map((n) => n.id)).toStrictEqual(['a', 'b']);
    expect(hook.sent.map((n) => n.id)).toStrictEqual(['a', 'b']); // not twice
    expect(journal()).toHaveLength(2 + 2); // rewritten at open: the two owed, then their outcomes
  });

  it('survives a simulated crash with a torn journal tail', async () => {
    const hook = new FakeIntegration('webhook[0]');
    const chat = new FakeIntegration('slack[0]');
    chat.behavior = down;
    const q = open([hook, chat]);
    q.enqueue(notification('a'));
    // Wait until the webhook's delivery is on disk (the Slack one keeps failing and stays owed).
    await until(() => q.owedCount === 1);
    expect(hook.sent).toHaveLength(1);
    // The process dies now: copy what is on disk, plus half a line it was writing.
    const crashed = join(dir, 'crashed');
    mkdirSync(crashed);
    copyFileSync(join(dir, 'queue.jsonl'), join(crashed, 'queue.jsonl'));
    appendFileSync(join(crashed, 'queue.jsonl'), '{"op":"enqueue","n":{"id":"c","rec');

    const hook2 = new FakeIntegration('webhook[0]');
    const chat2 = new FakeIntegration('slack[0]');
    const q2 = DeliveryQueue.open({
      dir: crashed,
      integrations: () => [hook2, chat2],
      clock,
    });
    queues.push(q2);
    expect(q2.owedCount).toBe(1);
    await until(() => q2.owedCount === 0);
    expect(chat2.sent.map((n) => n.id)).toStrictEqual(['a']);
    expect(hook2.sent).toHaveLength(0);
    expect(journal(crashed).every((l) => JSON.parse(l) !== undefined)).toBe(true);
  });

  it('close waits for an in-flight send and records its outcome', async () => {
    const hook = new FakeIntegration('webhook[0]');
    let finish: () => void = () => {};
    hook.behavior = () => new Promise<void>((r) => (finish = r));
    const q = open([hook]);
    q.enqueue(notification('a'));
    await settle();
    const closed = q.close();
    finish();
    await closed;
    queues.length = 0;
    const reopened = open([hook]);
    expect(reopened.owedCount).toBe(0);
  });

  it('close aborts a send that outlasts closeTimeoutMs and keeps it owed', async () => {
    const hook = new FakeIntegration('webhook[0]');
    hook.behavior = (_n, signal) =>
      new Promise<void>((_r, reject) =>
        signal.addEventListener('abort', () => reject(new AppError('canceled', 'aborted'))),
      );
    const q = open([hook], { closeTimeoutMs: 20 });
    q.enqueue(notification('a'));
    await settle();
    await q.close();
    queues.length = 0;
    expect(history).toHaveLength(0); // an aborted send is not an attempt
    hook.behavior = () => Promise.resolve();
    const q2 = open([hook]);
    await until(() => q2.owedCount === 0);
    expect(hook.sent.map((n) => n.id)).toStrictEqual(['a']);
  });

  it('records notify_failed for an unknown receiver and queues nothing', () => {
    const q = open([]);
    q.enqueue({ ...notification('a'), receiver: 'nobody' });
    expect(history.map((e) => [e.kind, e.detail?.error])).toStrictEqual([
      ['notify_failed', 'unknown receiver nobody'],
    ]);
    expect(q.owedCount).toBe(0);
  });

  it('compacts its journal under a backlog and keeps what is owed', async () => {
    const hook = new FakeIntegration('webhook[0]');
    hook.behavior = (n) => (n.id === 'stuck' ? new Promise<void>(() => {}) : Promise.resolve());
    const q = open([hook], { compactAfterBytes: 4000, closeTimeoutMs: 10 });
    q.enqueue(notification('stuck'));
    for (let i = 0; i < 100; i++) q.enqueue(notification(`n${i}`));
    await until(() => q.owedCount === 1);
    expect(hook.sent).toHaveLength(100);
    const size = journal().join('\n').length;
    expect(size).toBeLessThan(8000);
    expect(journal().some((l) => l.includes('"id":"stuck"'))).toBe(true);
    await q.close();
    queues.length = 0;
    const reopened = open([hook]);
    expect(reopened.owedCount).toBe(1);
  });
});
