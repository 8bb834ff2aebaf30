import { compress, uncompress } from 'snappyjs';
import { AppError, BugError, errorMessage } from '../base/errors.js';
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
  // Two passes: sizes first (UTF-8 lengths kept in `lens` in the order the second pass needs
  // them), then one exactly-sized buffer written front to back, as Go's encoder does.
  const lens: number[] = [];
  let total = 0;
  for (const ts of req.timeseries) {
    const seriesAt = lens.length;
    lens.push(0);
    let seriesLen = 0;
    for (const l of ts.labels) {
      const n = utf8Length(l.name);
      const v = utf8Length(l.value);
      lens.push(n, v);
      const labelLen = fieldLen(n) + fieldLen(v);
      seriesLen += 1 + varintLen(labelLen) + labelLen;
    }
    for (const smp of ts.samples) {
      const sampleLen = sampleSize(smp);
      seriesLen += 1 + varintLen(sampleLen) + sampleLen;
    }
    lens[seriesAt] = seriesLen;
    total += 1 + varintLen(seriesLen) + seriesLen;
  }
  const metadata = req.metadata ?? [];
  for (const m of metadata) {
    const name = utf8Length(m.metricFamilyName);
    const help = utf8Length(m.help);
    const unit = utf8Length(m.unit);
    const typeNum = METADATA_TYPES.indexOf(m.type);
    const len = (typeNum > 0 ? 1 + varintLen(typeNum) : 0) + fieldLen(name) + fieldLen(help) + fieldLen(unit);
    lens.push(len, typeNum, name, help, unit);
    total += 1 + varintLen(len) + len;
  }

  const w = new ProtoWriter(total);
  let k = 0;
  for (const ts of req.timeseries) {
    w.byte(0x0a);
    w.varint(lens[k++]!);
    for (const l of ts.labels) {
      const n = lens[k++]!;
      const v = lens[k++]!;
      w.byte(0x0a);
      w.varint(fieldLen(n) + fieldLen(v));
      if (n > 0) w.string(0x0a, l.name, n);
      if (v > 0) w.string(0x12, l.value, v);
    }
    for (const smp of ts.samples) {
      w.byte(0x12);
      w.varint(sampleSize(smp));
      if (hasValue(smp.value)) w.double(0x09, smp.value);
      if (smp.timestamp !== 0) {
        w.byte(0x10);
        w.varint(smp.timestamp);
      }
    }
  }
  for (const m of metadata) {
    const len = lens[k++]!;
    const typeNum = lens[k++]!;
    const name = lens[k++]!;
    const help = lens[k++]!;
    const unit = lens[k++]!;
    w.byte(0x1a);
    w.varint(len);
    if (typeNum > 0) {
      w.byte(0x08);
      w.varint(typeNum);
    }
    if (name > 0) w.string(0x12, m.metricFamilyName, name);
    if (help > 0) w.string(0x22, m.help, help);
    if (unit > 0) w.string(0x2a, m.unit, unit);
  }
  return w.finish();
}

/** proto3 omits a default (all-zero bits) value, as Go's encoder does; -0 is kept. */
function hasValue(v: number): boolean {
  return v !== 0 || Object.is(v, -0);
}

function sampleSize(s: WireSample): number {
  return (hasValue(s.value) ? 9 : 0) + (s.timestamp !== 0 ? 1 + varintLen(s.timestamp) : 0);
}

/** Bytes of a string field of `len` UTF-8 bytes, 0 when empty (omitted). */
function fieldLen(len: number): number {
  return len === 0 ? 0 : 1 + varintLen(len) + len;
}

function varintLen(v: number): number {
  if (v < 0) return 10;
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** UTF-8 length of `s` as TextEncoder encodes it (a lone surrogate becomes U+FFFD, 3 bytes). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n++;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
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
  return unmarshalWriteRequest(uncompressBody(body, options));
}

/** The Snappy block `body` uncompressed, refused over the limit before inflating it. */
function uncompressBody(body: Uint8Array, options: DecodeOptions): Uint8Array {
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
  return raw;
}

/** Parses an uncompressed protobuf WriteRequest; throws AppError `bad_input` on malformed bytes. */
export function unmarshalWriteRequest(raw: Uint8Array): WriteRequest {
  const r = new ProtoReader(raw);
  const timeseries: TimeSeries[] = [];
  const metadata: MetricMetadata[] = [];
  try {
    const end = raw.length;
    while (r.pos < end) {
      const tag = r.varint(end);
      if (tag === 0x0a) timeseries.push(readTimeSeries(r, r.lengthEnd(end)));
      else if (tag === 0x1a) metadata.push(readMetadata(r, r.lengthEnd(end)));
      else r.skip(tag, end);
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('bad_input', `bad protobuf WriteRequest: ${errorMessage(err)}`, { cause: err });
  }
  return metadata.length > 0 ? { timeseries, metadata } : { timeseries };
}

function readTimeSeries(r: ProtoReader, end: number): TimeSeries {
  const labels: Label[] = [];
  const samples: WireSample[] = [];
  while (r.pos < end) {
    const tag = r.varint(end);
    if (tag === 0x0a) labels.push(readLabel(r, r.lengthEnd(end)));
    else if (tag === 0x12) samples.push(readSample(r, r.lengthEnd(end)));
    else r.skip(tag, end);
  }
  return { labels, samples };
}

function readLabel(r: ProtoReader, end: number): Label {
  let name = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.varint(end);
    if (tag === 0x0a) name = r.string(end);
    else if (tag === 0x12) value = r.string(end);
    else r.skip(tag, end);
  }
  return { name, value };
}

function readSample(r: ProtoReader, end: number): WireSample {
  let value = 0;
  let timestamp = 0;
  while (r.pos < end) {
    const tag = r.varint(end);
    if (tag === 0x09) value = r.double(end);
    else if (tag === 0x10) timestamp = r.int64(end);
    else r.skip(tag, end);
  }
  return { value, timestamp };
}

function readMetadata(r: ProtoReader, end: number): MetricMetadata {
  let type: MetricMetadataType = 'unknown';
  let metricFamilyName = '';
  let help = '';
  let unit = '';
  while (r.pos < end) {
    const tag = r.varint(end);
    if (tag === 0x08) type = METADATA_TYPES[r.int64(end)] ?? 'unknown';
    else if (tag === 0x12) metricFamilyName = r.string(end);
    else if (tag === 0x22) help = r.string(end);
    else if (tag === 0x2a) unit = r.string(end);
    else r.skip(tag, end);
  }
  return { type, metricFamilyName, help, unit };
}

/**
 * A WriteRequest decoded for a receiver's hot path: the samples in typed arrays (values bit-exact,
 * so STALE_NAN survives) and each series' labels left as bytes of the uncompressed body, so a
 * receiver can recognise a series it has seen by those bytes without building strings
 * ({@link labelsAt} builds them when needed). Metadata is skipped. The arrays and `raw` belong to
 * the caller; they are not shared with any other request.
 */
export interface WriteRequestColumns {
  /** The uncompressed protobuf the offsets point into. */
  readonly raw: Uint8Array;
  readonly numSeries: number;
  /** Series i's TimeSeries message is raw[seriesStart[i], seriesEnd[i]). */
  readonly seriesStart: Uint32Array;
  readonly seriesEnd: Uint32Array;
  /**
   * When labelsEnd[i] > 0, every label field of series i (tag, length and Label message) lies in
   * raw[labelsStart[i], labelsEnd[i]) with nothing else between them: these bytes identify the
   * series as sent. labelsEnd[i] = 0 when the series has no labels or its label fields are
   * interleaved with other fields.
   */
  readonly labelsStart: Uint32Array;
  readonly labelsEnd: Uint32Array;
  /** Samples of series i are at [sampleStart[i], sampleStart[i + 1]) of `ts` and `vs`. */
  readonly sampleStart: Uint32Array;
  /** Sample timestamps, ms since the epoch. */
  readonly ts: Float64Array;
  /** Sample values, bit-exact. */
  readonly vs: Float64Array;
  readonly numSamples: number;
}

/**
 * Like {@link decodeWriteRequest}, into {@link WriteRequestColumns}. Throws the same errors
 * (AppError `bad_input` for bad snappy or protobuf, `limit` over `maxUncompressedBytes`); label
 * strings are only checked for valid UTF-8 when {@link labelsAt} decodes them.
 */
export function decodeWriteRequestColumns(
  body: Uint8Array,
  options: DecodeOptions = {},
): WriteRequestColumns {
  return unmarshalWriteRequestColumns(uncompressBody(body, options));
}

/** Parses an uncompressed protobuf WriteRequest into columns; throws AppError `bad_input` on malformed bytes. */
export function unmarshalWriteRequestColumns(raw: Uint8Array): WriteRequestColumns {
  const r = new ProtoReader(raw);
  const end = raw.length;
  try {
    // Pass 1: the series messages (top-level fields only), to size the per-series arrays.
    let numSeries = 0;
    while (r.pos < end) {
      const tag = r.varint(end);
      if (tag === 0x0a) {
        r.pos = r.lengthEnd(end);
        numSeries++;
      } else r.skip(tag, end);
    }
    const seriesStart = new Uint32Array(numSeries);
    const seriesEnd = new Uint32Array(numSeries);
    const labelsStart = new Uint32Array(numSeries);
    const labelsEnd = new Uint32Array(numSeries);
    const sampleStart = new Uint32Array(numSeries + 1);
    let cap = Math.max(16, numSeries);
    let ts = new Float64Array(cap);
    let vs = new Float64Array(cap);
    let n = 0;
    let i = 0;
    r.pos = 0;
    while (r.pos < end) {
      const tag = r.varint(end);
      if (tag !== 0x0a) {
        r.skip(tag, end);
        continue;
      }
      const sEnd = r.lengthEnd(end);
      seriesStart[i] = r.pos;
      seriesEnd[i] = sEnd;
      sampleStart[i] = n;
      // Label fields: contiguous while no other field came between them.
      let lStart = -1;
      let lEnd = 0;
      let interleaved = false;
      while (r.pos < sEnd) {
        const at = r.pos;
        const t = r.varint(sEnd);
        if (t === 0x0a) {
          r.pos = r.lengthEnd(sEnd);
          if (lStart < 0) lStart = at;
          else if (lEnd !== at) interleaved = true;
          lEnd = r.pos;
        } else if (t === 0x12) {
          const smpEnd = r.lengthEnd(sEnd);
          let value = 0;
          let timestamp = 0;
          while (r.pos < smpEnd) {
            const st = r.varint(smpEnd);
            if (st === 0x09) value = r.double(smpEnd);
            else if (st === 0x10) timestamp = r.int64(smpEnd);
            else r.skip(st, smpEnd);
          }
          if (n === cap) {
            cap *= 2;
            const grownT = new Float64Array(cap);
            grownT.set(ts);
            ts = grownT;
            const grownV = new Float64Array(cap);
            grownV.set(vs);
            vs = grownV;
          }
          ts[n] = timestamp;
          vs[n] = value;
          n++;
        } else r.skip(t, sEnd);
      }
      labelsStart[i] = lStart < 0 ? 0 : lStart;
      labelsEnd[i] = lStart < 0 || interleaved ? 0 : lEnd;
      i++;
    }
    sampleStart[numSeries] = n;
    return {
      raw,
      numSeries,
      seriesStart,
      seriesEnd,
      labelsStart,
      labelsEnd,
      sampleStart,
      ts,
      vs,
      numSamples: n,
    };
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('bad_input', `bad protobuf WriteRequest: ${errorMessage(err)}`, { cause: err });
  }
}

/** The labels of series `i` of `cols`, as sent (order and duplicates kept); AppError `bad_input` for bad UTF-8. */
export function labelsAt(cols: WriteRequestColumns, i: number): Label[] {
  const r = new ProtoReader(cols.raw);
  const end = cols.seriesEnd[i]!;
  r.pos = cols.seriesStart[i]!;
  const labels: Label[] = [];
  try {
    while (r.pos < end) {
      const tag = r.varint(end);
      if (tag === 0x0a) labels.push(readLabel(r, r.lengthEnd(end)));
      else r.skip(tag, end);
    }
  } catch (err) {
    throw new AppError('bad_input', `bad protobuf WriteRequest: ${errorMessage(err)}`, { cause: err });
  }
  return labels;
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

/** A protobuf writer into a buffer of the exact size computed beforehand. */
class ProtoWriter {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  #pos = 0;

  constructor(size: number) {
    this.#buf = new Uint8Array(size);
    this.#view = new DataView(this.#buf.buffer);
  }

  byte(b: number): void {
    this.#buf[this.#pos++] = b;
  }

  varint(v: number): void {
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

  double(tag: number, v: number): void {
    this.#buf[this.#pos++] = tag;
    this.#view.setFloat64(this.#pos, v, true);
    this.#pos += 8;
  }

  /** A string field whose UTF-8 length `len` is known. */
  string(tag: number, s: string, len: number): void {
    this.#buf[this.#pos++] = tag;
    this.varint(len);
    if (len === s.length) {
      // ASCII: byte per char, faster than encodeInto for the short strings labels are.
      const buf = this.#buf;
      const at = this.#pos;
      for (let i = 0; i < len; i++) buf[at + i] = s.charCodeAt(i);
    } else {
      utf8.encodeInto(s, this.#buf.subarray(this.#pos, this.#pos + len));
    }
    this.#pos += len;
  }

  finish(): Uint8Array {
    if (this.#pos !== this.#buf.length) {
      throw new BugError(`protobuf size mismatch: computed ${this.#buf.length}, wrote ${this.#pos}`);
    }
    return this.#buf;
  }
}

/**
 * A bounds-checked protobuf reader: one per buffer, positions and message ends passed along so
 * nested messages allocate nothing. Throws plain Errors; callers wrap them.
 */
class ProtoReader {
  readonly buf: Uint8Array;
  readonly #view: DataView;
  pos = 0;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** A varint below 2^32 (tags, lengths): the common fast path. */
  varint(end: number): number {
    const p = this.pos;
    if (p < end && this.buf[p]! < 0x80) {
      this.pos = p + 1;
      return this.buf[p]!;
    }
    return this.int64(end);
  }

  /** A varint as a JS number (exact for |v| < 2^53; negative int64 via two's complement). */
  int64(end: number): number {
    let result = 0;
    let shift = 1;
    const start = this.pos;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) throw new Error(`truncated varint at byte ${start}`);
      const b = this.buf[this.pos++]!;
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
    for (let p = start; p < this.pos; p++) {
      result |= BigInt(this.buf[p]! & 0x7f) << shift;
      shift += 7n;
    }
    return result;
  }

  double(end: number): number {
    if (this.pos + 8 > end) throw new Error(`truncated double at byte ${this.pos}`);
    const v = this.#view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Reads a length prefix; returns where the length-delimited field ends. */
  lengthEnd(end: number): number {
    const at = this.pos;
    const len = this.varint(end);
    if (len < 0 || this.pos + len > end) {
      throw new Error(`length ${len} at byte ${at} runs past the end of its message`);
    }
    return this.pos + len;
  }

  string(end: number): string {
    const stop = this.lengthEnd(end);
    const b = this.buf;
    const start = this.pos;
    this.pos = stop;
    if (stop - start <= 64) {
      // Short ASCII strings (label names and values) without TextDecoder's per-call cost.
      let ascii = true;
      for (let i = start; i < stop; i++) {
        if (b[i]! >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) return String.fromCharCode.apply(null, b.subarray(start, stop) as unknown as number[]);
    }
    try {
      return utf8Decoder.decode(b.subarray(start, stop));
    } catch {
      throw new Error(`invalid UTF-8 in string at byte ${start}`);
    }
  }

  skip(tag: number, end: number): void {
    const wire = tag & 7;
    if (tag < 8) throw new Error(`invalid field number 0 at byte ${this.pos}`);
    switch (wire) {
      case 0:
        this.int64(end);
        return;
      case 1:
        this.#advance(8, end);
        return;
      case 2:
        this.pos = this.lengthEnd(end);
        return;
      case 5:
        this.#advance(4, end);
        return;
      default:
        throw new Error(`unsupported wire type ${wire} at byte ${this.pos}`);
    }
  }

  #advance(n: number, end: number): void {
    if (this.pos + n > end) throw new Error(`truncated field at byte ${this.pos}`);
    this.pos += n;
  }
}
