import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nullLogger } from '../base/logger.js';
import { labelsFromRecord } from '../model/labels.js';
import { STALE_NAN, isStaleNaN } from '../model/sample.js';
import { decodeWriteRequest } from '../remotewrite/write-request.js';
import { groupBySeries, ShippingSink } from './shipping-sink.js';
import { DiskQueue } from './shipper/disk-queue.js';

const a = labelsFromRecord({ __name__: 'a' });
const b = labelsFromRecord({ __name__: 'b' });

describe('ShippingSink', () => {
  it('groups samples into one series each, in time order', () => {
    const ts = groupBySeries([
      { labels: a, t: 2, v: 2 },
      { labels: b, t: 1, v: 9 },
      { labels: a, t: 1, v: 1 },
    ]);
    expect(ts).toEqual([
      {
        labels: a,
        samples: [
          { value: 1, timestamp: 1 },
          { value: 2, timestamp: 2 },
        ],
      },
      { labels: b, samples: [{ value: 9, timestamp: 1 }] },
    ]);
  });

  it('queues a job run as one durable remote_write batch, staleness markers intact', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kanshi-sink-'));
    try {
      const queue = await DiskQueue.open({ dir, maxBytes: 1 << 20, maxAgeMs: 60_000 });
      const sink = new ShippingSink(queue, nullLogger, { flushDelayMs: 0 });
      await sink.writeSamples([
        { labels: a, t: 1000, v: 1 },
        { labels: b, t: 1000, v: STALE_NAN },
      ]);
      await sink.writeCheckResults('web1', []);
      expect(queue.records()).toBe(1);
      const batch = await queue.peek();
      expect(batch?.kind).toBe('metrics');
      const req = decodeWriteRequest(batch!.body);
      expect(req.timeseries).toHaveLength(2);
      expect(isStaleNaN(req.timeseries[1]!.samples[0]!.value)).toBe(true);
      await queue.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gathers the runs of one window into one metrics batch and one report per host', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kanshi-sink-'));
    try {
      const queue = await DiskQueue.open({ dir, maxBytes: 1 << 20, maxAgeMs: 60_000 });
      const sink = new ShippingSink(queue, nullLogger, { flushDelayMs: 50 });
      const result = (check: string) => ({
        check,
        status: 'OK' as const,
        message: 'fine',
        long_output: '',
        perfdata: [],
        started_at: 1,
        duration_ms: 1,
        attempt: 1,
        hard_status: 'OK' as const,
        memo: '',
        prevent_alert_auto_close: false,
        notification_interval_ms: null,
        labels: {},
      });
      const writes = [
        sink.writeSamples([{ labels: a, t: 2000, v: 2 }]),
        sink.writeCheckResults('web1', [result('one')]),
        sink.writeSamples([
          { labels: a, t: 1000, v: 1 },
          { labels: b, t: 1000, v: 9 },
        ]),
        sink.writeCheckResults('web1', [result('two')]),
      ];
      // Nothing is queued before the window closes; every call resolves once it is on disk.
      expect(queue.records()).toBe(0);
      await Promise.all(writes);
      expect(queue.records()).toBe(2);
      const metrics = await queue.peek();
      expect(metrics?.kind).toBe('metrics');
      expect(
        decodeWriteRequest(metrics!.body).timeseries.map((t) => t.samples.map((x) => x.timestamp)),
      ).toEqual([[1000, 2000], [1000]]);
      await queue.ack(metrics!);
      const checks = await queue.peek();
      expect(checks?.kind).toBe('checks');
      const report = JSON.parse(new TextDecoder().decode(checks!.body)) as {
        host: string;
        results: { check: string }[];
      };
      expect(report.host).toBe('web1');
      expect(report.results.map((r) => r.check)).toEqual(['one', 'two']);
      await queue.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('queues at once when maxPendingSamples are waiting, on flush() and after stopGathering()', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kanshi-sink-'));
    try {
      const queue = await DiskQueue.open({ dir, maxBytes: 1 << 20, maxAgeMs: 60_000 });
      const sink = new ShippingSink(queue, nullLogger, { flushDelayMs: 3_600_000, maxPendingSamples: 2 });
      await sink.writeSamples([
        { labels: a, t: 1000, v: 1 },
        { labels: b, t: 1000, v: 2 },
      ]);
      expect(queue.records()).toBe(1);
      const pending = sink.writeSamples([{ labels: a, t: 2000, v: 3 }]);
      await sink.flush();
      await pending;
      expect(queue.records()).toBe(2);
      await sink.stopGathering();
      await sink.writeSamples([{ labels: a, t: 3000, v: 4 }]);
      expect(queue.records()).toBe(3);
      await queue.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
