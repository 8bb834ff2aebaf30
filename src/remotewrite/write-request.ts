import { compress, uncompress } from 'snappyjs';
import { AppError, errorMessage } from '../base/errors.js';
import type { Label, Labels } from '../model/labels.js';

/**
 * Prometheus remote_write 1.0 (https://prometheus.io/docs/specs/remote_write_spec/): a protobuf
 * `prometheus.WriteRequest` compressed with the Snappy *block* format. The protobuf is encoded and
 * decoded by hand here (a handful of fields); `write-request.test.ts` checks the bytes against
 * protobufjs's reflection encoder built from the same `.proto` schema.
 *
 * Sample values are copied as raw IEEE 754 bits through a DataView, so the staleness marker
 * (STALE_NAN) survives both directions. Exemplars and native histograms are skipped when decoding.
 *
 * Schema (prompb/remote.proto, prompb/types.proto):
 * ```
 * message WriteRequest  { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
 * message TimeSeries    { repeated Label labels = 1; repeated Sample samples = 2; }
 * message Label         { string name = 1; string value = 2; }
 * message Sample        { double value = 1; int64 timestamp = 2; }
 * message MetricMetadata{ MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
 * ```
 */

/** One sample on the wire: `value` is a float64 (bit-exact), `timestamp` ms since the epoch. */
export interface WireSample {
  readonly value: number;
  readonly timestamp: number;
}

/**
 * One series of a request. `labels` are as sent: a well-behaved sender sorts them by name, but
 * a decoded request is not validated here (the receiver does that).
 */
export interface TimeSeries {
  readonly labels: Labels;
  readonly samples: readonly WireSample[];
}

/** The metric types of remote_write metadata, as `prompb.MetricMetadata.MetricType` numbers them. */
export type MetricMetadataType =
  'unknown' | 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset';

const METADATA_TYPES: readonly MetricMetadataType[] = [
  'unknown',
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
];

/** Metadata of one metric family. */
export interface MetricMetadata {
  readonly type: MetricMetadataType;
  readonly metricFamilyName: string;
  readonly help: string;
  readonly unit: string;
}

/** A remote_write 1.0 request. */
export interface WriteRequest {
  readonly timeseries: readonly TimeSeries[];
  readonly metadata?: readonly MetricMetadata[];
}

/** Options for {@link decodeWriteRequest}. */
export interface DecodeOptions {
  /** Refuse a body whose uncompressed size exceeds this many bytes (checked before inflating). */
  readonly maxUncompressedBytes?: number;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** The protobuf encoding of `req`, uncompressed. Exposed for tests and benchmarks. */
export function marshalWriteRequest(req: WriteRequest): Uint8Array {
  const w = new ProtoWriter();
  for (const ts of req.timeseries) {
    w.tag(1, 2);
    const tsMark = w.beginLength();
    for (const l of ts.labels) {
      w.tag(1, 2);
      const lMark = w.beginLength();
      if (l.name !== '') w.string(1, l.name);
      if (l.value !== '') w.string(2, l.value);
      w.endLength(lMark);
    }
    for (const s of ts.samples) {
      w.tag(2, 2);
      const sMark = w.beginLength();
      // proto3 omits a default (all-zero bits) value, as Go's encoder does; -0 is kept.
      if (s.value !== 0 || Object.is(s.value, -0)) w.double(1, s.value);
      if (s.timestamp !== 0) {
        w.tag(2, 0);
        w.varint(s.timestamp);
      }
      w.endLength(sMark);
    }
    w.endLength(tsMark);
  }
  for (const m of req.metadata ?? []) {
    w.tag(3, 2);
    const mMark = w.beginLength();
    const typeNum = METADATA_TYPES.indexOf(m.type);
    if (typeNum > 0) {
      w.tag(1, 0);
      w.varint(typeNum);
    }
    if (m.metricFamilyName !== '') w.string(2, m.metricFamilyName);
    if (m.help !== '') w.string(4, m.help);
    if (m.unit !== '') w.string(5, m.unit);
    w.endLength(mMark);
  }
  return w.finish();
}

/** A request body: the protobuf encoding of `req`, Snappy block-compressed. */
export function encodeWriteRequest(req: WriteRequest): Uint8Array {
  return compress(marshalWriteRequest(req));
}

/**
 * Parses a request body (Snappy block, then protobuf). Throws AppError `bad_input` naming what is
 * wrong (bad snappy, bad protobuf, too large) and `limit` when over `maxUncompressedBytes`.
 */
export function decodeWriteRequest(body: Uint8Array, options: DecodeOptions = {}): WriteRequest {
  const declared = snappyUncompressedLength(body);
  if (declared < 0) throw new AppError('bad_input', 'bad snappy body: invalid uncompressed length header');
  if (options.maxUncompressedBytes !== undefined && declared > options.maxUncompressedBytes) {
    throw new AppError(
      'limit',
      `snappy body uncompresses to ${declared} bytes, over the limit of ${options.maxUncompressedBytes}`,
    );
  }
  let raw: Uint8Array;
  try {
    raw = uncompress(body);
  } catch (err) {
    throw new AppError('bad_input', `bad snappy body: ${errorMessage(err)}`, { cause: err });
  }
  return unmarshalWriteRequest(raw);
}

/** Parses an uncompressed protobuf WriteRequest; throws AppError `bad_input` on malformed bytes. */
export function unmarshalWriteRequest(raw: Uint8Array): WriteRequest {
  const r = new ProtoReader(raw);
  const timeseries: TimeSeries[] = [];
  const metadata: MetricMetadata[] = [];
  try {
    while (r.more()) {
      const [field, wire] = r.tag();
      if (field === 1 && wire === 2) timeseries.push(readTimeSeries(r.sub()));
      else if (field === 3 && wire === 2) metadata.push(readMetadata(r.sub()));
      else r.skip(wire);
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('bad_input', `bad protobuf WriteRequest: ${errorMessage(err)}`, { cause: err });
  }
  return metadata.length > 0 ? { timeseries, metadata } : { timeseries };
}

function readTimeSeries(r: ProtoReader): TimeSeries {
  const labels: Label[] = [];
  const samples: WireSample[] = [];
  while (r.more()) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) labels.push(readLabel(r.sub()));
    else if (field === 2 && wire === 2) samples.push(readSample(r.sub()));
    else r.skip(wire);
  }
  return { labels, samples };
}

function readLabel(r: ProtoReader): Label {
  let name = '';
  let value = '';
  while (r.more()) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) name = r.string();
    else if (field === 2 && wire === 2) value = r.string();
    else r.skip(wire);
  }
  return { name, value };
}

function readSample(r: ProtoReader): WireSample {
  let value = 0;
  let timestamp = 0;
  while (r.more()) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 1) value = r.double();
    else if (field === 2 && wire === 0) timestamp = r.int64();
    else r.skip(wire);
  }
  return { value, timestamp };
}

function readMetadata(r: ProtoReader): MetricMetadata {
  let type: MetricMetadataType = 'unknown';
  let metricFamilyName = '';
  let help = '';
  let unit = '';
  while (r.more()) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 0) type = METADATA_TYPES[r.int64()] ?? 'unknown';
    else if (field === 2 && wire === 2) metricFamilyName = r.string();
    else if (field === 4 && wire === 2) help = r.string();
    else if (field === 5 && wire === 2) unit = r.string();
    else r.skip(wire);
  }
  return { type, metricFamilyName, help, unit };
}

/** The uncompressed length a Snappy block declares (a varint preamble), or -1 when malformed. */
function snappyUncompressedLength(body: Uint8Array): number {
  let result = 0;
  let shift = 1;
  for (let i = 0; i < 5 && i < body.length; i++) {
    const b = body[i]!;
    result += (b & 0x7f) * shift;
    if ((b & 0x80) === 0) return result;
    shift *= 128;
  }
  return -1;
}

/**
 * A growable protobuf writer. Length-delimited fields reserve 5 bytes for the length, then shift
 * the body left once the size is known (cheap: bodies are small).
 */
class ProtoWriter {
  #buf = new Uint8Array(4096);
  #view = new DataView(this.#buf.buffer);
  #pos = 0;

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  varint(v: number): void {
    this.#ensure(10);
    if (v < 0) {
      // Two's complement over 64 bits, as protobuf encodes a negative int64.
      let big = BigInt.asUintN(64, BigInt(v));
      while (big >= 0x80n) {
        this.#buf[this.#pos++] = Number(big & 0x7fn) | 0x80;
        big >>= 7n;
      }
      this.#buf[this.#pos++] = Number(big);
      return;
    }
    while (v >= 0x80) {
      this.#buf[this.#pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.#buf[this.#pos++] = v;
  }

  double(field: number, v: number): void {
    this.tag(field, 1);
    this.#ensure(8);
    this.#view.setFloat64(this.#pos, v, true);
    this.#pos += 8;
  }

  string(field: number, s: string): void {
    this.tag(field, 2);
    // At most 3 bytes per UTF-16 unit.
    this.#ensure(5 + s.length * 3);
    const mark = this.beginLength();
    const { written } = utf8.encodeInto(s, this.#buf.subarray(this.#pos));
    this.#pos += written;
    this.endLength(mark);
  }

  /** Reserves room for a length; returns the mark to pass to {@link endLength}. */
  beginLength(): number {
    this.#ensure(5);
    const mark = this.#pos;
    this.#pos += 5;
    return mark;
  }

  endLength(mark: number): void {
    const bodyStart = mark + 5;
    const len = this.#pos - bodyStart;
    let lenBytes = 1;
    for (let v = len; v >= 0x80; v = Math.floor(v / 128)) lenBytes++;
    let p = mark;
    let v = len;
    while (v >= 0x80) {
      this.#buf[p++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.#buf[p++] = v;
    if (lenBytes < 5) {
      this.#buf.copyWithin(mark + lenBytes, bodyStart, this.#pos);
      this.#pos -= 5 - lenBytes;
    }
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#pos);
  }
}

/** A bounds-checked protobuf reader over a slice. Throws plain Errors; callers wrap them. */
class ProtoReader {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  #pos: number;
  readonly #end: number;

  constructor(buf: Uint8Array, view?: DataView, start = 0, end = buf.length) {
    this.#buf = buf;
    this.#view = view ?? new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#pos = start;
    this.#end = end;
  }

  more(): boolean {
    return this.#pos < this.#end;
  }

  tag(): [field: number, wire: number] {
    const t = this.int64();
    const field = Math.floor(t / 8);
    if (field === 0) throw new Error(`invalid field number 0 at byte ${this.#pos}`);
    return [field, t & 7];
  }

  /** A varint as a JS number (exact for |v| < 2^53; negative int64 via two's complement). */
  int64(): number {
    let result = 0;
    let shift = 1;
    const start = this.#pos;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.#end) throw new Error(`truncated varint at byte ${start}`);
      const b = this.#buf[this.#pos++]!;
      if (i === 9 && b > 1) throw new Error(`varint too long at byte ${start}`);
      result += (b & 0x7f) * shift;
      if ((b & 0x80) === 0) {
        if (i === 9) return Number(BigInt.asIntN(64, this.#bigVarint(start)));
        return result;
      }
      shift *= 128;
    }
    throw new Error(`varint too long at byte ${start}`);
  }

  #bigVarint(start: number): bigint {
    let result = 0n;
    let shift = 0n;
    for (let p = start; p < this.#pos; p++) {
      result |= BigInt(this.#buf[p]! & 0x7f) << shift;
      shift += 7n;
    }
    return result;
  }

  double(): number {
    if (this.#pos + 8 > this.#end) throw new Error(`truncated double at byte ${this.#pos}`);
    const v = this.#view.getFloat64(this.#pos, true);
    this.#pos += 8;
    return v;
  }

  #lengthDelimited(): [start: number, end: number] {
    const at = this.#pos;
    const len = this.int64();
    if (len < 0 || this.#pos + len > this.#end) {
      throw new Error(`length ${len} at byte ${at} runs past the end of its message`);
    }
    const start = this.#pos;
    this.#pos += len;
    return [start, this.#pos];
  }

  string(): string {
    const [start, end] = this.#lengthDelimited();
    try {
      return utf8Decoder.decode(this.#buf.subarray(start, end));
    } catch {
      throw new Error(`invalid UTF-8 in string at byte ${start}`);
    }
  }

  sub(): ProtoReader {
    const [start, end] = this.#lengthDelimited();
    return new ProtoReader(this.#buf, this.#view, start, end);
  }

  skip(wire: number): void {
    switch (wire) {
      case 0:
        this.int64();
        return;
      case 1:
        this.#advance(8);
        return;
      case 2:
        this.#lengthDelimited();
        return;
      case 5:
        this.#advance(4);
        return;
      default:
        throw new Error(`unsupported wire type ${wire} at byte ${this.#pos}`);
    }
  }

  #advance(n: number): void {
    if (this.#pos + n > this.#end) throw new Error(`truncated field at byte ${this.#pos}`);
    this.#pos += n;
  }
}
