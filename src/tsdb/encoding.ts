/**
 * Byte encoding helpers for the TSDB's on-disk formats (docs/tsdb/block.md, docs/tsdb/wal.md):
 * a growable big-endian buffer writer with varints, a matching reader, and CRC32 Castagnoli
 * (the checksum Prometheus's TSDB uses).
 */
import { AppError } from '../base/errors.js';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC32 Castagnoli of `bytes`, continuing from `crc` (0 to start). */
export function crc32c(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: true });

/** A growable byte buffer; integers big endian. */
export class ByteWriter {
  #buf: Uint8Array;
  #dv: DataView;
  #len = 0;

  constructor(initialBytes = 1024) {
    this.#buf = new Uint8Array(initialBytes);
    this.#dv = new DataView(this.#buf.buffer);
  }

  /** Bytes written. */
  get length(): number {
    return this.#len;
  }

  /** The written bytes (a view; copy it to keep it across further writes). */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }

  #ensure(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#len + n) cap *= 2;
    const grown = new Uint8Array(cap);
    grown.set(this.#buf.subarray(0, this.#len));
    this.#buf = grown;
    this.#dv = new DataView(grown.buffer);
  }

  u8(x: number): void {
    this.#ensure(1);
    this.#buf[this.#len++] = x;
  }

  u32(x: number): void {
    this.#ensure(4);
    this.#dv.setUint32(this.#len, x >>> 0);
    this.#len += 4;
  }

  /** An unsigned integer up to 2^53 as 8 bytes. */
  u64(x: number): void {
    this.u32(Math.floor(x / 4294967296));
    this.u32(x % 4294967296);
  }

  f64(x: number): void {
    this.#ensure(8);
    this.#dv.setFloat64(this.#len, x);
    this.#len += 8;
  }

  /** Unsigned LEB128 of a safe integer >= 0. */
  uvarint(x: number): void {
    this.#ensure(10);
    while (x >= 0x80) {
      this.#buf[this.#len++] = (x % 128) | 0x80;
      x = Math.floor(x / 128);
    }
    this.#buf[this.#len++] = x;
  }

  /** Zig-zag signed varint of a safe integer. */
  varint(x: number): void {
    this.uvarint(x >= 0 ? x * 2 : -x * 2 - 1);
  }

  raw(b: Uint8Array): void {
    this.#ensure(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  /** A UTF-8 string prefixed with its byte length (uvarint). */
  str(s: string): void {
    const b = utf8.encode(s);
    this.uvarint(b.length);
    this.raw(b);
  }
}

/** Reads what a {@link ByteWriter} wrote; throws AppError('io') on truncated input. */
export class ByteReader {
  readonly #b: Uint8Array;
  readonly #dv: DataView;
  pos: number;
  readonly #what: string;

  /** `what` names the input in error messages (a file path). */
  constructor(b: Uint8Array, what: string, pos = 0) {
    this.#b = b;
    this.#dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.pos = pos;
    this.#what = what;
  }

  get remaining(): number {
    return this.#b.length - this.pos;
  }

  #need(n: number): void {
    if (this.pos + n > this.#b.length) {
      throw new AppError('io', `${this.#what}: truncated at byte ${this.pos} (need ${n} more)`);
    }
  }

  u8(): number {
    this.#need(1);
    return this.#b[this.pos++]!;
  }

  u32(): number {
    this.#need(4);
    const x = this.#dv.getUint32(this.pos);
    this.pos += 4;
    return x;
  }

  u64(): number {
    const hi = this.u32();
    return hi * 4294967296 + this.u32();
  }

  f64(): number {
    this.#need(8);
    const x = this.#dv.getFloat64(this.pos);
    this.pos += 8;
    return x;
  }

  uvarint(): number {
    let x = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.u8();
      x += (b & 0x7f) * mul;
      if (b < 0x80) return x;
      mul *= 128;
    }
    throw new AppError('io', `${this.#what}: varint overflow at byte ${this.pos}`);
  }

  varint(): number {
    const z = this.uvarint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  raw(n: number): Uint8Array {
    this.#need(n);
    const out = this.#b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  str(): string {
    const n = this.uvarint();
    try {
      return utf8d.decode(this.raw(n));
    } catch (err) {
      throw new AppError('io', `${this.#what}: invalid utf-8 at byte ${this.pos - n}`, { cause: err });
    }
  }
}
