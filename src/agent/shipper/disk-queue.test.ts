import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../base/clock.js';
import { RecordingLogger } from '../../base/logger.js';
import { Registry } from '../../exposition/registry.js';
import { DiskQueue, type QueueBatch } from './disk-queue.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kanshi-queue-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    sleep: () => Promise.resolve(),
    advance: (ms) => {
      now += ms;
    },
  };
}

function batch(i: number, size = 100): QueueBatch {
  const body = new Uint8Array(size);
  new DataView(body.buffer).setUint32(0, i);
  return { kind: i % 2 === 0 ? 'metrics' : 'checks', body, count: i };
}

function idOf(b: { body: Uint8Array }): number {
  return new DataView(b.body.buffer, b.body.byteOffset).getUint32(0);
}

/** Takes every pending batch, acknowledging each. */
async function drain(q: DiskQueue, max = Infinity): Promise<number[]> {
  const out: number[] = [];
  while (out.length < max) {
    const b = await q.peek();
    if (!b) return out;
    out.push(idOf(b));
    await q.ack(b);
  }
  return out;
}

describe('DiskQueue', { timeout: 30_000 }, () => {
  it('replays in order and keeps kind and count', async () => {
    const q = await DiskQueue.open({ dir, maxBytes: 1e6, maxAgeMs: 60_000 });
    for (let i = 0; i < 5; i++) await q.enqueue(batch(i));
    expect(q.records()).toBe(5);
    const first = await q.peek();
    expect(first).toMatchObject({ kind: 'metrics', count: 0 });
    expect(await q.peek()).toEqual(first);
    expect(await drain(q)).toEqual([0, 1, 2, 3, 4]);
    expect(q.records()).toBe(0);
    expect(q.bytes()).toBe(0);
    await q.close();
  });

  it('after a restart sends nothing acknowledged again and loses nothing pending', async () => {
    const registry = new Registry();
    let q = await DiskQueue.open({ dir, maxBytes: 1e6, maxAgeMs: 60_000, registry });
    for (let i = 0; i < 10; i++) await q.enqueue(batch(i));
    expect(await drain(q, 4)).toEqual([0, 1, 2, 3]);
    // A peeked but unacknowledged batch is sent again after the restart.
    expect(idOf((await q.peek())!)).toBe(4);
    await q.close();
    q = await DiskQueue.open({ dir, maxBytes: 1e6, maxAgeMs: 60_000, registry });
    expect(q.records()).toBe(6);
    expect(registry.gauge('kanshi_agent_queue_records', '').get()).toBe(6);
    await q.enqueue(batch(10));
    expect(await drain(q)).toEqual([4, 5, 6, 7, 8, 9, 10]);
    await q.close();
    q = await DiskQueue.open({ dir, maxBytes: 1e6, maxAgeMs: 60_000 });
    expect(await q.peek()).toBeUndefined();
    await q.close();
  });

  it('drops the oldest batches over max_bytes and counts them', async () => {
    const registry = new Registry();
    // Each batch is 100 + 14 + 8 = 122 bytes on disk.
    const q = await DiskQueue.open({ dir, maxBytes: 122 * 3, maxAgeMs: 60_000, registry });
    for (let i = 0; i < 5; i++) await q.enqueue(batch(i));
    expect(q.bytes()).toBe(122 * 3);
    expect(registry.counter('kanshi_agent_queue_dropped_total', '').get({ reason: 'max_bytes' })).toBe(2);
    expect(registry.gauge('kanshi_agent_queue_bytes', '').get()).toBe(366);
    expect(await drain(q)).toEqual([2, 3, 4]);
    await q.close();
  });

  it('drops batches older than max_age, also ones found on open', async () => {
    const registry = new Registry();
    const clock = fakeClock();
    let q = await DiskQueue.open({ dir, maxBytes: 1e6, maxAgeMs: 10_000, clock, registry });
    await q.enqueue(batch(0));
    clock.advance(6_000);
    await q.enqueue(batch(1));
    await q.enqueue(batch(2));
    clock.advance(5_000);
    expect(idOf((await q.peek())!)).toBe(1);
    await q.close();
    clock.advance(5_001);
    q = await DiskQueue.open({ dir, maxBytes: 1e6, maxAgeMs: 10_000, clock, registry });
    expect(q.records()).toBe(0);
    expect(registry.counter('kanshi_agent_queue_dropped_total', '').get({ reason: 'max_age' })).toBe(3);
    await q.close();
  });

  it('ignores the ack of a batch dropped while it was in flight', async () => {
    const q = await DiskQueue.open({ dir, maxBytes: 122 * 2, maxAgeMs: 60_000 });
    await q.enqueue(batch(0));
    const inFlight = (await q.peek())!;
    await q.enqueue(batch(1));
    await q.enqueue(batch(2));
    expect(q.isPending(inFlight)).toBe(false);
    await q.ack(inFlight);
    expect(await drain(q)).toEqual([1, 2]);
    await q.close();
  });

  it('frees whole WAL segments behind the cursor', async () => {
    const q = await DiskQueue.open({ dir, maxBytes: 1e6, maxAgeMs: 60_000, segmentMaxBytes: 500 });
    for (let i = 0; i < 20; i++) await q.enqueue(batch(i));
    const before = (await readdir(join(dir, 'wal'))).length;
    expect(before).toBeGreaterThan(4);
    expect(await drain(q, 18)).toHaveLength(18);
    expect((await readdir(join(dir, 'wal'))).length).toBeLessThanOrEqual(2);
    await q.close();
    const reopened = await DiskQueue.open({ dir, maxBytes: 1e6, maxAgeMs: 60_000, segmentMaxBytes: 500 });
    expect(await drain(reopened)).toEqual([18, 19]);
    await reopened.close();
  });

  it('wait() resolves on enqueue and rejects on abort', async () => {
    const q = await DiskQueue.open({ dir, maxBytes: 1e6, maxAgeMs: 60_000 });
    const waiting = q.wait();
    await q.enqueue(batch(7));
    await waiting;
    await q.ack((await q.peek())!);
    const ac = new AbortController();
    const aborted = q.wait(ac.signal);
    ac.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    await q.close();
  });

  it('keeps sending in order while batches are enqueued concurrently', async () => {
    const q = await DiskQueue.open({ dir, maxBytes: 1e6, maxAgeMs: 60_000 });
    const producers = Promise.all(Array.from({ length: 30 }, (_, i) => q.enqueue(batch(i))));
    const got: number[] = [];
    while (got.length < 30) {
      await q.wait();
      got.push(...(await drain(q)));
    }
    await producers;
    expect(got).toEqual(Array.from({ length: 30 }, (_, i) => i));
    await q.close();
  });

  it('replays the whole queue when the cursor file is corrupt, and says so', async () => {
    let q = await DiskQueue.open({ dir, maxBytes: 1e6, maxAgeMs: 60_000 });
    for (let i = 0; i < 3; i++) await q.enqueue(batch(i));
    await drain(q, 2);
    await q.close();
    await writeFile(join(dir, 'cursor'), 'garbage');
    const logger = new RecordingLogger();
    q = await DiskQueue.open({ dir, maxBytes: 1e6, maxAgeMs: 60_000, logger });
    expect(
      logger.records.some((r) => r.level === 'error' && r.message.includes('cursor file is corrupt')),
    ).toBe(true);
    expect(await drain(q)).toEqual([0, 1, 2]);
    await q.close();
  });

  it('skips a batch damaged on disk after it was written, counting it as corrupt', async () => {
    const registry = new Registry();
    const q = await DiskQueue.open({ dir, maxBytes: 1e6, maxAgeMs: 60_000, registry });
    for (let i = 0; i < 3; i++) await q.enqueue(batch(i));
    const path = join(dir, 'wal', '00000001');
    const bytes = await readFile(path);
    bytes[8 + 20]! ^= 0xff;
    await writeFile(path, bytes);
    expect(await drain(q)).toEqual([1, 2]);
    expect(registry.counter('kanshi_agent_queue_dropped_total', '').get({ reason: 'corrupt' })).toBe(1);
    await q.close();
  });

  it.each([
    [{ maxBytes: 0, maxAgeMs: 1 }, 'max_bytes must be > 0, got 0'],
    [{ maxBytes: 1, maxAgeMs: -5 }, 'max_age must be > 0 ms, got -5'],
  ])('refuses limits %j', async (limits, message) => {
    await expect(DiskQueue.open({ dir, ...limits })).rejects.toThrow(message);
  });
});
