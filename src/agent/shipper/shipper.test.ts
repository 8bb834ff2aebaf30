import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../base/clock.js';
import { RecordingLogger } from '../../base/logger.js';
import { Registry } from '../../exposition/registry.js';
import { labelsFromRecord } from '../../model/labels.js';
import { decodeWriteRequest } from '../../remotewrite/write-request.js';
import { DiskQueue } from './disk-queue.js';
import { Shipper, checksBatch, metricsBatch, type ShipperOptions } from './shipper.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kanshi-shipper-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Call {
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

type Reply = number | Error | { status: number; headers?: Record<string, string>; body?: string };

/**
 * A fetch that answers from a script (one reply per call; the last repeats) and aborts the
 * shipper once `stopAfter` calls were made.
 */
function scriptedFetch(replies: Reply[], stop: () => void, stopAfter: number) {
  const calls: Call[] = [];
  const fn = (url: string, init?: RequestInit): Promise<Response> => {
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>));
    calls.push({ url, headers, body: init?.body as Uint8Array });
    const reply = replies[Math.min(calls.length - 1, replies.length - 1)]!;
    if (calls.length >= stopAfter) stop();
    if (reply instanceof Error) return Promise.reject(reply);
    const r = typeof reply === 'number' ? { status: reply } : reply;
    return Promise.resolve(
      new Response(r.status === 204 ? null : (r.body ?? ''), { status: r.status, headers: r.headers ?? {} }),
    );
  };
  return { fetch: fn as unknown as typeof fetch, calls };
}

/** A clock whose sleep records the delay and returns at once. */
function recordingClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => 1_000_000,
    sleep: (ms, signal) => {
      sleeps.push(ms);
      return signal?.aborted ? Promise.reject(signal.reason as Error) : Promise.resolve();
    },
  };
}

const metrics = (i: number) =>
  metricsBatch({
    timeseries: [
      {
        labels: labelsFromRecord({ __name__: 'm', i: String(i) }),
        samples: [
          { value: i, timestamp: i },
          { value: i, timestamp: i + 1 },
        ],
      },
    ],
  });

async function setup(replies: Reply[], stopAfter: number, extra: Partial<ShipperOptions> = {}) {
  const registry = new Registry();
  const logger = new RecordingLogger();
  const clock = recordingClock();
  const queue = await DiskQueue.open({ dir, maxBytes: 1e6, maxAgeMs: 3_600_000, registry, clock });
  const ac = new AbortController();
  const f = scriptedFetch(replies, () => ac.abort(), stopAfter);
  const shipper = new Shipper({
    queue,
    remoteWriteUrl: 'http://127.0.0.1:1/api/v1/write',
    checkResultsUrl: 'http://127.0.0.1:1/api/agent/v1/check-results',
    fetch: f.fetch,
    clock,
    random: () => 0.5,
    registry,
    logger,
    minBackoffMs: 100,
    maxBackoffMs: 1_000,
    ...extra,
  });
  return { registry, logger, clock, queue, shipper, calls: f.calls, run: () => shipper.run(ac.signal) };
}

describe('Shipper', { timeout: 30_000 }, () => {
  it('sends metrics with remote_write headers and checks as JSON, in queue order', async () => {
    const s = await setup([204, 200, 204], 3, {
      auth: { type: 'bearer', token: 's3cret' },
      headers: { 'X-Scope-OrgID': 't1' },
    });
    await s.queue.enqueue(metrics(1));
    await s.queue.enqueue(checksBatch({ host: 'web-1', results: [] }));
    await s.queue.enqueue(metrics(2));
    await s.run();
    expect(s.calls.map((c) => c.url)).toEqual([
      'http://127.0.0.1:1/api/v1/write',
      'http://127.0.0.1:1/api/agent/v1/check-results',
      'http://127.0.0.1:1/api/v1/write',
    ]);
    expect(s.calls[0]!.headers).toMatchObject({
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '0.1.0',
      authorization: 'Bearer s3cret',
      'X-Scope-OrgID': 't1',
    });
    expect(decodeWriteRequest(s.calls[2]!.body).timeseries[0]!.samples).toEqual([
      { value: 2, timestamp: 2 },
      { value: 2, timestamp: 3 },
    ]);
    expect(s.calls[1]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(Buffer.from(s.calls[1]!.body).toString())).toEqual({ host: 'web-1', results: [] });
    expect(s.registry.counter('kanshi_agent_samples_sent_total', '').get()).toBe(4);
    expect(s.queue.records()).toBe(0);
    await s.queue.close();
  });

  it('uses basic auth', async () => {
    const s = await setup([204], 1, { auth: { type: 'basic', username: 'agent', password: 'pw' } });
    await s.queue.enqueue(metrics(1));
    await s.run();
    expect(s.calls[0]!.headers.authorization).toBe(`Basic ${Buffer.from('agent:pw').toString('base64')}`);
    await s.queue.close();
  });

  it('retries 5xx, 429 and network errors with capped exponential backoff, then delivers', async () => {
    const s = await setup(
      [
        503,
        new TypeError('fetch failed'),
        500,
        502,
        500,
        { status: 429, headers: { 'retry-after': '0.9' } },
        204,
      ],
      7,
    );
    await s.queue.enqueue(metrics(1));
    await s.run();
    expect(s.calls).toHaveLength(7);
    // random() = 0.5 → 3/4 of min(1000, 100·2^attempt); a 429's Retry-After raises the delay.
    expect(s.clock.sleeps).toEqual([75, 150, 300, 600, 750, 900]);
    const failures = s.registry.counter('kanshi_agent_send_failures_total', '');
    expect(failures.get({ kind: 'metrics', reason: 'http_5xx' })).toBe(4);
    expect(failures.get({ kind: 'metrics', reason: 'network' })).toBe(1);
    expect(failures.get({ kind: 'metrics', reason: 'http_429' })).toBe(1);
    expect(s.registry.counter('kanshi_agent_send_retries_total', '').get()).toBe(6);
    expect(s.registry.counter('kanshi_agent_samples_sent_total', '').get()).toBe(2);
    expect(s.queue.records()).toBe(0);
    await s.queue.close();
  });

  it('drops a batch the server refuses with a 4xx, logs why, and goes on', async () => {
    const s = await setup([{ status: 400, body: 'series 0: invalid label name "bad-name"' }, 204], 2);
    await s.queue.enqueue(metrics(1));
    await s.queue.enqueue(metrics(2));
    await s.run();
    expect(s.calls).toHaveLength(2);
    expect(s.clock.sleeps).toEqual([]);
    expect(s.registry.counter('kanshi_agent_queue_dropped_total', '').get({ reason: 'rejected' })).toBe(1);
    const log = s.logger.records.find((r) => r.level === 'error');
    expect(log?.fields.reason).toBe('http 400: series 0: invalid label name "bad-name"');
    expect(s.registry.counter('kanshi_agent_samples_sent_total', '').get()).toBe(2);
    await s.queue.close();
  });

  it('keeps a batch whose send was cut short by shutdown, for the next run', async () => {
    const s = await setup([503], 1);
    await s.queue.enqueue(metrics(1));
    await s.run();
    expect(s.queue.records()).toBe(1);
    await s.queue.close();
    const again = await DiskQueue.open({ dir, maxBytes: 1e6, maxAgeMs: 3_600_000, clock: s.clock });
    expect(again.records()).toBe(1);
    await again.close();
  });

  it('waits for batches when the queue is empty and stops on abort', async () => {
    const s = await setup([204], 2);
    const running = s.run();
    await s.queue.enqueue(metrics(1));
    await s.queue.enqueue(metrics(2));
    await running;
    expect(s.calls).toHaveLength(2);
    await s.queue.close();
  });

  it('lets a request in flight finish after shutdown began, so a delivered batch is not sent twice', async () => {
    const registry = new Registry();
    const queue = await DiskQueue.open({ dir, maxBytes: 1e6, maxAgeMs: 3_600_000, registry });
    await queue.enqueue(metrics(1));
    const ac = new AbortController();
    const slowFetch = ((_url: string, init?: RequestInit) =>
      new Promise<Response>((resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(new Error('aborted')));
        // Shutdown begins while the request is in flight; the server answers a moment later.
        ac.abort();
        setTimeout(() => resolve(new Response(null, { status: 204 })), 20);
      })) as unknown as typeof fetch;
    const shipper = new Shipper({
      queue,
      remoteWriteUrl: 'http://127.0.0.1:1/w',
      checkResultsUrl: 'http://127.0.0.1:1/c',
      fetch: slowFetch,
      registry,
    });
    await shipper.run(ac.signal);
    expect(queue.records()).toBe(0);
    expect(registry.counter('kanshi_agent_samples_sent_total', '').get()).toBe(2);
    await queue.close();
  });
});
