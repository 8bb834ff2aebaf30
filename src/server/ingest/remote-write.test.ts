import Fastify from 'fastify';
import { compress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { Registry } from '../../exposition/registry.js';
import { labelsFromRecord, type Labels } from '../../model/labels.js';
import { STALE_NAN, isStaleNaN } from '../../model/sample.js';
import {
  encodeWriteRequest,
  marshalWriteRequest,
  type WriteRequest,
} from '../../remotewrite/write-request.js';
import { MemoryStorage } from '../../storage/memory-storage.js';
import type { Appendable } from '../../storage/storage.js';
import { registerRemoteWrite, type RemoteWriteLimits } from './remote-write.js';

const limits: RemoteWriteLimits = {
  maxBodyBytes: 64 * 1024,
  maxSeriesPerRequest: 10,
  maxLabelsPerSeries: 5,
  maxLabelNameLength: 20,
  maxLabelValueLength: 30,
};

async function setup(appendable: Appendable = new MemoryStorage(), registry = new Registry()) {
  const app = Fastify();
  registerRemoteWrite(app, { appendable, limits, registry });
  await app.ready();
  return { app, registry };
}

function post(
  app: Awaited<ReturnType<typeof setup>>['app'],
  body: Uint8Array,
  contentType = 'application/x-protobuf',
) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/write',
    headers: {
      'content-type': contentType,
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '0.1.0',
    },
    payload: Buffer.from(body),
  });
}

async function samplesOf(
  storage: MemoryStorage,
  name: string,
): Promise<{ labels: Labels; t: number[]; v: number[] }[]> {
  const q = storage.querier(-Infinity, Infinity);
  const series = await q.select([{ type: '=', name: '__name__', value: name }]);
  return series.map((s) => {
    const it = s.iterator();
    const t: number[] = [];
    const v: number[] = [];
    while (it.next()) {
      t.push(it.atT());
      v.push(it.atV());
    }
    return { labels: s.labels, t, v };
  });
}

describe('registerRemoteWrite', () => {
  it('appends every sample, keeps the staleness marker, and answers 204', async () => {
    const storage = new MemoryStorage();
    const { app, registry } = await setup(storage);
    const req: WriteRequest = {
      timeseries: [
        {
          labels: labelsFromRecord({ __name__: 'up', job: 'node' }),
          samples: [
            { value: 1, timestamp: 1000 },
            { value: STALE_NAN, timestamp: 2000 },
          ],
        },
      ],
    };
    const res = await post(app, encodeWriteRequest(req));
    expect(res.statusCode).toBe(204);
    const [series] = await samplesOf(storage, 'up');
    expect(series?.labels).toEqual(labelsFromRecord({ __name__: 'up', job: 'node' }));
    expect(series?.t).toEqual([1000, 2000]);
    const q = await storage.querier(0, 3000).select([{ type: '=', name: '__name__', value: 'up' }]);
    const it = q[0]!.iterator();
    it.next();
    it.next();
    expect(isStaleNaN(it.atV())).toBe(true);
    expect(registry.counter('kanshi_ingest_samples_appended_total', '').get()).toBe(2);
    expect(registry.counter('kanshi_ingest_remote_write_requests_total', '').get({ code: '204' })).toBe(1);
    await app.close();
  });

  it('accepts a content type with parameters and sorts unsorted labels', async () => {
    const storage = new MemoryStorage();
    const { app } = await setup(storage);
    const body = encodeWriteRequest({
      timeseries: [
        {
          labels: [
            { name: 'z', value: '1' },
            { name: '__name__', value: 'm' },
            { name: 'a', value: '' },
          ],
          samples: [{ value: 5, timestamp: 1 }],
        },
      ],
    });
    const res = await post(app, body, 'application/x-protobuf;proto=prometheus.WriteRequest');
    expect(res.statusCode).toBe(204);
    expect((await samplesOf(storage, 'm'))[0]?.labels).toEqual(labelsFromRecord({ __name__: 'm', z: '1' }));
    await app.close();
  });

  it('counts out-of-order and duplicate samples as rejected but still succeeds', async () => {
    const storage = new MemoryStorage();
    const { app, registry } = await setup(storage);
    const labels = labelsFromRecord({ __name__: 'c' });
    await post(
      app,
      encodeWriteRequest({ timeseries: [{ labels, samples: [{ value: 1, timestamp: 100 }] }] }),
    );
    const res = await post(
      app,
      encodeWriteRequest({
        timeseries: [
          {
            labels,
            samples: [
              { value: 0, timestamp: 50 },
              { value: 2, timestamp: 100 },
              { value: 1, timestamp: 100 },
              { value: 3, timestamp: 200 },
            ],
          },
        ],
      }),
    );
    expect(res.statusCode).toBe(204);
    const rejected = registry.counter('kanshi_ingest_samples_rejected_total', '');
    expect(rejected.get({ reason: 'out_of_order' })).toBe(1);
    expect(rejected.get({ reason: 'duplicate' })).toBe(1);
    expect((await samplesOf(storage, 'c'))[0]?.t).toEqual([100, 200]);
    await app.close();
  });

  const series = (labels: Record<string, string>) => ({
    labels: labelsFromRecord(labels),
    samples: [{ value: 1, timestamp: 1 }],
  });
  it.each([
    [
      'a body that is not snappy',
      marshalWriteRequest({ timeseries: [series({ __name__: 'a' })] }),
      'bad snappy body',
    ],
    ['snappy of garbage', compress(new Uint8Array([0x0a, 0x09, 0x01])), 'bad protobuf WriteRequest'],
    [
      'too many series',
      encodeWriteRequest({ timeseries: Array.from({ length: 11 }, (_, i) => series({ __name__: `m${i}` })) }),
      'request has 11 series, over the limit of 10 (max_series_per_request)',
    ],
    [
      'too many labels',
      encodeWriteRequest({ timeseries: [series({ __name__: 'a', b: '1', c: '1', d: '1', e: '1', f: '1' })] }),
      'series 0 has 6 labels, over the limit of 5 (max_labels_per_series)',
    ],
    [
      'a long label name',
      encodeWriteRequest({ timeseries: [series({ __name__: 'a', label_name_is_too_long_x: '1' })] }),
      'label name "label_name_is_too_long_x" is longer than the limit of 20 bytes (max_label_name_length)',
    ],
    [
      'a long label value',
      encodeWriteRequest({ timeseries: [series({ __name__: 'a', l: 'é'.repeat(16) })] }),
      'value of label "l"',
    ],
    [
      'an invalid label name',
      encodeWriteRequest({ timeseries: [series({ __name__: 'a', 'bad-name': '1' })] }),
      'series 0: invalid label name "bad-name"',
    ],
    [
      'a missing metric name',
      encodeWriteRequest({ timeseries: [series({ job: 'x' })] }),
      'series 0: missing or invalid metric name ""',
    ],
    [
      'duplicate label names',
      encodeWriteRequest({
        timeseries: [
          {
            labels: [
              { name: '__name__', value: 'a' },
              { name: 'x', value: '1' },
              { name: 'x', value: '2' },
            ],
            samples: [],
          },
        ],
      }),
      'series 0: duplicate label name "x"',
    ],
  ])('answers 400 for %s, naming the value, and writes nothing', async (_name, body, message) => {
    const storage = new MemoryStorage();
    const { app } = await setup(storage);
    const res = await post(app, body);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain(message);
    expect(await storage.querier(-Infinity, Infinity).labelValues('__name__')).toEqual([]);
    await app.close();
  });

  it('answers 413 naming the limit for a body over maxBodyBytes', async () => {
    const { app } = await setup();
    const res = await post(app, new Uint8Array(limits.maxBodyBytes + 1));
    expect(res.statusCode).toBe(413);
    expect(res.body).toContain(`over the limit of ${limits.maxBodyBytes} bytes`);
    await app.close();
  });

  it('answers 415 for another content type', async () => {
    const { app } = await setup();
    const res = await post(app, new Uint8Array([1]), 'application/json');
    expect(res.statusCode).toBe(415);
    await app.close();
  });

  it('answers 500 when the commit fails, so the sender retries', async () => {
    const failing: Appendable = {
      appender: () => ({
        append: () => null,
        commit: () => Promise.reject(new Error('disk full')),
        rollback: () => {},
      }),
    };
    const { app } = await setup(failing);
    const res = await post(app, encodeWriteRequest({ timeseries: [series({ __name__: 'a' })] }));
    expect(res.statusCode).toBe(500);
    expect(res.body).toContain('disk full');
    await app.close();
  });

  it('does not answer before the commit resolved', async () => {
    const order: string[] = [];
    const slow: Appendable = {
      appender: () => ({
        append: () => null,
        commit: async () => {
          await new Promise((r) => setImmediate(r));
          order.push('committed');
        },
        rollback: () => {},
      }),
    };
    const { app } = await setup(slow);
    const res = await post(app, encodeWriteRequest({ timeseries: [series({ __name__: 'a' })] }));
    order.push(`replied ${res.statusCode}`);
    expect(order).toEqual(['committed', 'replied 204']);
    await app.close();
  });
  it('hands the store the same labels object for a series sent again, and sorts them once', async () => {
    const seen: Labels[] = [];
    const recording: Appendable = {
      appender: () => ({
        append: (labels) => {
          seen.push(labels);
          return null;
        },
        commit: () => Promise.resolve(),
        rollback: () => {},
      }),
    };
    const { app } = await setup(recording);
    const unsorted = [
      { name: 'z', value: '1' },
      { name: '__name__', value: 'm' },
    ];
    const body = (t: number) =>
      encodeWriteRequest({
        timeseries: [
          { labels: unsorted, samples: [{ value: 1, timestamp: t }] },
          { labels: labelsFromRecord({ __name__: 'n' }), samples: [{ value: 2, timestamp: t }] },
        ],
      });
    expect((await post(app, body(1))).statusCode).toBe(204);
    expect((await post(app, body(2))).statusCode).toBe(204);
    expect(seen).toHaveLength(4);
    expect(seen[0]).toEqual(labelsFromRecord({ __name__: 'm', z: '1' }));
    expect(seen[2]).toBe(seen[0]);
    expect(seen[3]).toBe(seen[1]);
    expect(seen[0]).not.toBe(seen[1]);
    await app.close();
  });

  it('still answers 400 for a bad series sent after series it has seen', async () => {
    const storage = new MemoryStorage();
    const { app } = await setup(storage);
    const good = { labels: labelsFromRecord({ __name__: 'a' }), samples: [{ value: 1, timestamp: 1 }] };
    expect((await post(app, encodeWriteRequest({ timeseries: [good] }))).statusCode).toBe(204);
    const res = await post(
      app,
      encodeWriteRequest({ timeseries: [good, { labels: labelsFromRecord({ job: 'x' }), samples: [] }] }),
    );
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('series 1: missing or invalid metric name');
    await app.close();
  });
});
