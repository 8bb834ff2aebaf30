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
      const sink = new ShippingSink(queue, nullLogger);
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
});
