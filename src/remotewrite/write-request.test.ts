import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { compress, uncompress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { AppError } from '../base/errors.js';
import { labelsFromRecord } from '../model/labels.js';
import { STALE_NAN, isStaleNaN } from '../model/sample.js';
import {
  decodeWriteRequest,
  decodeWriteRequestColumns,
  encodeWriteRequest,
  labelsAt,
  marshalWriteRequest,
  unmarshalWriteRequestColumns,
  type WriteRequest,
  type WriteRequestColumns,
} from './write-request.js';

// The schema of prompb/remote.proto and prompb/types.proto (the fields remote_write 1.0 uses),
// for protobufjs's reflection encoder: an independent implementation to check ours against.
const schema = `
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; repeated Exemplar exemplars = 3; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
message Exemplar { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
message MetricMetadata {
  enum MetricType { UNKNOWN = 0; COUNTER = 1; GAUGE = 2; HISTOGRAM = 3; GAUGEHISTOGRAM = 4; SUMMARY = 5; INFO = 6; STATESET = 7; }
  MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5;
}
`;
const WriteRequestType = protobuf
  .parse(schema, { keepCase: true })
  .root.lookupType('prometheus.WriteRequest');

const testdata = fileURLToPath(new URL('./testdata/', import.meta.url));

function bitsOf(v: number): bigint {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, v);
  return dv.getBigUint64(0);
}

/** A request exercising the corners: UTF-8, empty values, negative and zero timestamps, NaNs. */
function sampleRequest(): WriteRequest {
  return {
    timeseries: [
      {
        labels: labelsFromRecord({ __name__: 'up', job: 'node', instance: '127.0.0.1:9100' }),
        samples: [
          { value: 1, timestamp: 1_700_000_000_000 },
          { value: 0, timestamp: 1_700_000_015_000 },
          { value: STALE_NAN, timestamp: 1_700_000_030_000 },
        ],
      },
      {
        labels: labelsFromRecord({ __name__: 'kanshi_check_status', check: 'ディスク', host: 'web-1' }),
        samples: [
          { value: -0.5, timestamp: 0 },
          { value: Number.NaN, timestamp: -1 },
          { value: Infinity, timestamp: 2 ** 52 },
          { value: 1e-300, timestamp: 1 },
        ],
      },
      { labels: labelsFromRecord({ __name__: 'empty_series' }), samples: [] },
    ],
    metadata: [
      { type: 'counter', metricFamilyName: 'http_requests_total', help: 'Requests served.', unit: '' },
      { type: 'unknown', metricFamilyName: 'x', help: '', unit: 'seconds' },
    ],
  };
}

/** A request with an exemplar (a field we skip), encoded by protobufjs. */
function exemplarBody(): Uint8Array {
  return WriteRequestType.encode(
    WriteRequestType.fromObject({
      timeseries: [
        {
          labels: [{ name: '__name__', value: 'a' }],
          samples: [{ value: 2.5, timestamp: 10 }],
          exemplars: [{ labels: [{ name: 'trace_id', value: 'abc' }], value: 1, timestamp: 9 }],
        },
      ],
    }),
  ).finish();
}

/** `req` in the shape protobufjs's fromObject takes. */
function toProtobufjs(req: WriteRequest): object {
  return {
    timeseries: req.timeseries.map((ts) => ({ labels: ts.labels, samples: ts.samples })),
    metadata: (req.metadata ?? []).map((m) => ({
      type: m.type.toUpperCase(),
      metric_family_name: m.metricFamilyName,
      help: m.help,
      unit: m.unit,
    })),
  };
}

describe('encodeWriteRequest', () => {
  it('produces the bytes protobufjs decodes to the same request', () => {
    const req = sampleRequest();
    const decoded: {
      timeseries: { labels: unknown; samples: { timestamp: number }[] }[];
      metadata: unknown;
    } = WriteRequestType.toObject(WriteRequestType.decode(marshalWriteRequest(req)), {
      longs: Number,
      enums: String,
      defaults: true,
    }) as never;
    expect(decoded.timeseries).toHaveLength(3);
    expect(decoded.timeseries[1]!.labels).toEqual([
      { name: '__name__', value: 'kanshi_check_status' },
      { name: 'check', value: 'ディスク' },
      { name: 'host', value: 'web-1' },
    ]);
    expect(decoded.timeseries[1]!.samples.map((s) => s.timestamp)).toEqual([0, -1, 2 ** 52, 1]);
    expect(decoded.timeseries[0]!.samples[0]).toEqual({ value: 1, timestamp: 1_700_000_000_000 });
    expect(decoded.metadata).toEqual([
      { type: 'COUNTER', metric_family_name: 'http_requests_total', help: 'Requests served.', unit: '' },
      { type: 'UNKNOWN', metric_family_name: 'x', help: '', unit: 'seconds' },
    ]);
  });

  it('produces the same bytes as protobufjs for the same request', () => {
    const theirs = WriteRequestType.encode(
      WriteRequestType.fromObject(toProtobufjs(sampleRequest())),
    ).finish();
    expect(Buffer.from(marshalWriteRequest(sampleRequest())).toString('hex')).toBe(
      Buffer.from(theirs).toString('hex'),
    );
  });

  // The golden file was written by protobufjs's reflection encoder from sampleRequest(), so it is
  // independent of our encoder (see testdata/README.md).
  it('matches the golden body', () => {
    const golden = readFileSync(`${testdata}write-request.golden.bin`);
    expect(Buffer.from(marshalWriteRequest(sampleRequest())).toString('hex')).toBe(golden.toString('hex'));
  });
});

describe('decodeWriteRequest', () => {
  it('round-trips a request with bit-exact values', () => {
    const req = sampleRequest();
    const got = decodeWriteRequest(encodeWriteRequest(req));
    expect(got.timeseries.map((t) => t.labels)).toEqual(req.timeseries.map((t) => t.labels));
    expect(got.metadata).toEqual(req.metadata);
    for (let i = 0; i < req.timeseries.length; i++) {
      const want = req.timeseries[i]!.samples;
      const have = got.timeseries[i]!.samples;
      expect(have.map((s) => s.timestamp)).toEqual(want.map((s) => s.timestamp));
      expect(have.map((s) => bitsOf(s.value))).toEqual(want.map((s) => bitsOf(s.value)));
    }
    expect(isStaleNaN(got.timeseries[0]!.samples[2]!.value)).toBe(true);
    expect(isStaleNaN(got.timeseries[1]!.samples[1]!.value)).toBe(false);
  });

  it('decodes the golden body (snappy-compressed) to the sample request', () => {
    const golden = readFileSync(`${testdata}write-request.golden.bin`);
    const got = decodeWriteRequest(compress(new Uint8Array(golden)));
    expect(got.timeseries[0]!.labels).toEqual(sampleRequest().timeseries[0]!.labels);
    expect(isStaleNaN(got.timeseries[0]!.samples[2]!.value)).toBe(true);
  });

  it('skips fields it does not know (exemplars, future fields)', () => {
    expect(decodeWriteRequest(compress(exemplarBody()))).toEqual({
      timeseries: [{ labels: [{ name: '__name__', value: 'a' }], samples: [{ value: 2.5, timestamp: 10 }] }],
    });
  });

  const valid = encodeWriteRequest(sampleRequest());
  const raw = marshalWriteRequest(sampleRequest());
  it.each([
    ['an empty body', new Uint8Array(0), 'bad snappy body'],
    ['plain protobuf (not snappy)', raw, 'bad snappy body'],
    ['a truncated snappy body', valid.subarray(0, valid.length - 7), 'bad snappy body'],
    ['snappy of garbage', compress(new Uint8Array([0x0a, 0xff, 0xff, 0x01])), 'bad protobuf WriteRequest'],
    [
      'snappy of a truncated protobuf',
      compress(raw.subarray(0, raw.length - 3)),
      'bad protobuf WriteRequest',
    ],
    ['snappy of wire type 7', compress(new Uint8Array([0x0f])), 'unsupported wire type 7'],
    [
      'snappy of invalid UTF-8',
      compress(new Uint8Array([0x0a, 0x06, 0x0a, 0x04, 0x0a, 0x02, 0xc3, 0x28])),
      'invalid UTF-8',
    ],
  ])('rejects %s as bad_input', (_name, body, message) => {
    let caught: unknown;
    try {
      decodeWriteRequest(body);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('bad_input');
    expect((caught as AppError).message).toContain(message);
  });

  it('rejects a negative length (a 10-byte varint) without looping', () => {
    const body = compress(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
    expect(() => decodeWriteRequest(body)).toThrow(/length -1 at byte 1 runs past the end/);
  });

  it('either decodes a mutated body or throws bad_input, never anything else', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let rejected = 0;
    for (let trial = 0; trial < 500; trial++) {
      const mutated = raw.slice();
      for (let k = 0; k <= random(4); k++) mutated[random(mutated.length)] = random(256);
      try {
        decodeWriteRequest(compress(mutated));
      } catch (err) {
        expect(err).toBeInstanceOf(AppError);
        expect((err as AppError).code).toBe('bad_input');
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(0);
  });

  it('refuses a body that uncompresses beyond the limit before inflating it', () => {
    expect(() => decodeWriteRequest(valid, { maxUncompressedBytes: 10 })).toThrow(/over the limit of 10/);
  });
});

// Bodies captured from Debian's prometheus 2.42 (Go's protobuf encoder) remote-writing its own
// metrics: see testdata/README.md.
describe('bodies sent by Prometheus', () => {
  it('decodes a samples body and re-encodes it to the same protobuf bytes', () => {
    const body = new Uint8Array(readFileSync(`${testdata}prometheus-2.42-samples.snappy`));
    const req = decodeWriteRequest(body);
    expect(req.timeseries).toHaveLength(50);
    const up = req.timeseries.find((t) => t.labels.some((l) => l.name === '__name__' && l.value === 'up'));
    expect(up?.labels).toEqual(
      labelsFromRecord({ __name__: 'up', instance: '127.0.0.1:19090', job: 'prometheus' }),
    );
    expect(up?.samples.map((s) => s.value)).toEqual([1]);
    expect(up?.samples[0]!.timestamp).toBeGreaterThan(1_700_000_000_000);
    for (const ts of req.timeseries)
      expect(ts.labels).toEqual(
        labelsFromRecord(Object.fromEntries(ts.labels.map((l) => [l.name, l.value]))),
      );
    expect(Buffer.from(marshalWriteRequest(req)).equals(Buffer.from(uncompress(body)))).toBe(true);
  });

  it('decodes a metadata body and re-encodes it to the same protobuf bytes', () => {
    const body = new Uint8Array(readFileSync(`${testdata}prometheus-2.42-metadata.snappy`));
    const req = decodeWriteRequest(body);
    expect(req.timeseries).toEqual([]);
    expect(req.metadata).toHaveLength(202);
    expect(req.metadata?.find((m) => m.metricFamilyName === 'up')).toBeUndefined();
    expect(req.metadata?.find((m) => m.metricFamilyName === 'go_goroutines')).toEqual({
      type: 'gauge',
      metricFamilyName: 'go_goroutines',
      help: 'Number of goroutines that currently exist.',
      unit: '',
    });
    expect(Buffer.from(marshalWriteRequest(req)).equals(Buffer.from(uncompress(body)))).toBe(true);
  });
});

/** The columns of `cols` as a WriteRequest (labels as sent), to compare with decodeWriteRequest. */
function columnsAsRequest(cols: WriteRequestColumns): WriteRequest {
  const timeseries = [];
  for (let i = 0; i < cols.numSeries; i++) {
    const samples = [];
    for (let j = cols.sampleStart[i]!; j < cols.sampleStart[i + 1]!; j++)
      samples.push({ value: cols.vs[j]!, timestamp: cols.ts[j]! });
    timeseries.push({ labels: labelsAt(cols, i), samples });
  }
  return { timeseries };
}

describe('decodeWriteRequestColumns', () => {
  it.each([
    ['the sample request', encodeWriteRequest(sampleRequest())],
    ['the golden body', compress(new Uint8Array(readFileSync(`${testdata}write-request.golden.bin`)))],
    ['a body of Prometheus 2.42', new Uint8Array(readFileSync(`${testdata}prometheus-2.42-samples.snappy`))],
    [
      'a metadata body of Prometheus 2.42',
      new Uint8Array(readFileSync(`${testdata}prometheus-2.42-metadata.snappy`)),
    ],
    ['a body with exemplars', compress(exemplarBody())],
  ])('decodes %s to the samples and labels decodeWriteRequest gives', (_name, body) => {
    const cols = decodeWriteRequestColumns(body);
    const want = decodeWriteRequest(body);
    expect(cols.numSeries).toBe(want.timeseries.length);
    expect(columnsAsRequest(cols)).toEqual({ timeseries: want.timeseries });
    for (let i = 0; i < cols.numSeries; i++) {
      for (let j = cols.sampleStart[i]!; j < cols.sampleStart[i + 1]!; j++)
        expect(bitsOf(cols.vs[j]!)).toBe(
          bitsOf(want.timeseries[i]!.samples[j - cols.sampleStart[i]!]!.value),
        );
    }
  });

  it('keeps the staleness marker bit-exact', () => {
    const cols = decodeWriteRequestColumns(encodeWriteRequest(sampleRequest()));
    expect(isStaleNaN(cols.vs[2]!)).toBe(true);
    expect(isStaleNaN(cols.vs[4]!)).toBe(false);
  });

  it('spans the label fields of a series as sent, or none when other fields come between them', () => {
    // Series 1: label, sample, label (interleaved); series 2: no labels.
    const label = (n: string, v: string) => [
      0x0a,
      4 + n.length + v.length,
      0x0a,
      n.length,
      ...Buffer.from(n),
      0x12,
      v.length,
      ...Buffer.from(v),
    ];
    const sample = [0x12, 2, 0x10, 5];
    const s0 = [...label('__name__', 'a'), ...label('b', 'c'), ...sample];
    const s1 = [...label('__name__', 'a'), ...sample, ...label('b', 'c')];
    const s2 = [...sample];
    const raw = Uint8Array.from([0x0a, s0.length, ...s0, 0x0a, s1.length, ...s1, 0x0a, s2.length, ...s2]);
    const cols = unmarshalWriteRequestColumns(raw);
    expect(cols.numSeries).toBe(3);
    const span = (i: number) => [...raw.subarray(cols.labelsStart[i], cols.labelsEnd[i])];
    expect(span(0)).toEqual([...label('__name__', 'a'), ...label('b', 'c')]);
    expect(cols.labelsEnd[1]).toBe(0);
    expect(labelsAt(cols, 1)).toEqual([
      { name: '__name__', value: 'a' },
      { name: 'b', value: 'c' },
    ]);
    expect(cols.labelsEnd[2]).toBe(0);
    expect([...cols.ts.subarray(0, cols.numSamples)]).toEqual([5, 5, 5]);
  });

  it.each([
    ['a truncated protobuf', compress(marshalWriteRequest(sampleRequest()).subarray(0, 40))],
    ['wire type 7', compress(new Uint8Array([0x0f]))],
    ['plain protobuf (not snappy)', marshalWriteRequest(sampleRequest())],
  ])('rejects %s as bad_input', (_name, body) => {
    expect(() => decodeWriteRequestColumns(body)).toThrow(AppError);
  });
});
