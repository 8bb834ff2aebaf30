import { BugError } from '../base/errors.js';
import { BitReader, BitWriter } from './bstream.js';

/**
 * Gorilla chunks (Pelkonen et al., "Gorilla: A Fast, Scalable, In-Memory Time Series Database",
 * VLDB 2015) in the variant Prometheus uses (tsdb/chunkenc/xor.go): millisecond timestamps stored
 * as delta-of-delta in buckets of 14/17/20/64 bits, float values XORed with the previous one.
 * The byte format is in docs/tsdb/chunks.md. Values are carried bit-exactly (the staleness marker
 * and any NaN payload survive).
 */

/** The samples a head cuts a chunk at, as Prometheus does. */
export const SAMPLES_PER_CHUNK = 120;

/** The encoding byte of an XOR chunk in block chunk files (Prometheus's EncXOR). */
export const ENCODING_XOR = 1;

const f64 = new DataView(new ArrayBuffer(8));

function floatHi(v: number): number {
  f64.setFloat64(0, v);
  return f64.getUint32(0);
}

function floatLo(): number {
  return f64.getUint32(4);
}

const TWO32 = 4294967296;

/** Whether a signed value fits in `n` bits two's complement. */
function fitsBits(x: number, n: number): boolean {
  const lim = 2 ** (n - 1);
  return x >= -lim && x < lim;
}

/** Number of trailing zero bits of a non-zero 32-bit value. */
function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

function writeUvarint(w: BitWriter, x: number): void {
  while (x >= 0x80) {
    w.writeByte((x % 128) | 0x80);
    x = Math.floor(x / 128);
  }
  w.writeByte(x);
}

function writeVarint(w: BitWriter, x: number): void {
  writeUvarint(w, x >= 0 ? x * 2 : -x * 2 - 1);
}

function readUvarint(r: BitReader): number {
  let x = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    const b = r.readByte();
    x += (b & 0x7f) * mul;
    if (b < 0x80) return x;
    mul *= 128;
  }
  throw new BugError('xor chunk: uvarint overflow');
}

function readVarint(r: BitReader): number {
  const z = readUvarint(r);
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/**
 * An XOR chunk being written, or read back from bytes. Append-only: timestamps must not go
 * backwards (equal timestamps are encoded, but the head never appends them). At most 65535
 * samples. Not safe for concurrent use; iterators taken earlier stay valid and see the samples
 * that existed when they were created.
 */
export class XorChunk {
  readonly #w: BitWriter;
  #num = 0;
  #t = 0;
  #tDelta = 0;
  #vHi = 0;
  #vLo = 0;
  /** 0xff: no leading/trailing window yet. */
  #leading = 0xff;
  #trailing = 0;
  #minT = 0;
  #sealed: Uint8Array | null = null;

  /** An empty chunk, with `initialBytes` of capacity. */
  constructor(initialBytes = 64) {
    this.#w = new BitWriter(initialBytes);
    this.#w.writeBits(0, 16);
  }

  /** Number of samples. */
  get numSamples(): number {
    return this.#num;
  }

  /** Timestamp (ms) of the first sample; meaningless when empty. */
  get minTime(): number {
    return this.#minT;
  }

  /** Timestamp (ms) of the last sample; meaningless when empty. */
  get maxTime(): number {
    return this.#t;
  }

  /** The encoded chunk (count header + bit stream). A view while the chunk is open. */
  bytes(): Uint8Array {
    return this.#sealed ?? this.#w.bytes();
  }

  /**
   * Stops appending and returns the encoded bytes trimmed to size (a copy the chunk keeps, so a
   * long-lived chunk does not hold its grown buffer). Further appends throw.
   */
  seal(): Uint8Array {
    this.#sealed ??= this.#w.bytes().slice();
    return this.#sealed;
  }

  /** Appends a sample; `t` (ms, integer) must be >= the last one. */
  append(t: number, v: number): void {
    if (this.#sealed !== null) throw new BugError('xor chunk: append to a sealed chunk');
    const w = this.#w;
    const num = this.#num;
    const hi = floatHi(v);
    const lo = floatLo();
    if (num === 0) {
      writeVarint(w, t);
      w.writeBits(hi, 32);
      w.writeBits(lo, 32);
      this.#minT = t;
    } else if (num === 1) {
      const tDelta = t - this.#t;
      if (tDelta < 0) throw new BugError(`xor chunk: timestamp ${t} before ${this.#t}`);
      writeUvarint(w, tDelta);
      this.#writeValue(hi, lo);
      this.#tDelta = tDelta;
    } else {
      const tDelta = t - this.#t;
      if (tDelta < 0) throw new BugError(`xor chunk: timestamp ${t} before ${this.#t}`);
      const dod = tDelta - this.#tDelta;
      if (dod === 0) {
        w.writeBit(0);
      } else if (fitsBits(dod, 14)) {
        w.writeBits(0b10, 2);
        w.writeBits(dod & 0x3fff, 14);
      } else if (fitsBits(dod, 17)) {
        w.writeBits(0b110, 3);
        w.writeBits(dod & 0x1ffff, 17);
      } else if (fitsBits(dod, 20)) {
        w.writeBits(0b1110, 4);
        w.writeBits(dod & 0xfffff, 20);
      } else {
        w.writeBits(0b1111, 4);
        const dHi = Math.floor(dod / TWO32);
        w.writeBits(dHi >>> 0, 32);
        w.writeBits((dod - dHi * TWO32) >>> 0, 32);
      }
      this.#writeValue(hi, lo);
      this.#tDelta = tDelta;
    }
    this.#t = t;
    this.#vHi = hi;
    this.#vLo = lo;
    this.#num = num + 1;
    if (this.#num > 0xffff) throw new BugError('xor chunk: more than 65535 samples');
    const buf = w.buffer();
    buf[0] = this.#num >>> 8;
    buf[1] = this.#num & 0xff;
  }

  #writeValue(hi: number, lo: number): void {
    const w = this.#w;
    const xHi = (hi ^ this.#vHi) >>> 0;
    const xLo = (lo ^ this.#vLo) >>> 0;
    if (xHi === 0 && xLo === 0) {
      w.writeBit(0);
      return;
    }
    w.writeBit(1);
    let leading = xHi !== 0 ? Math.clz32(xHi) : 32 + Math.clz32(xLo);
    const trailing = xLo !== 0 ? ctz32(xLo) : 32 + ctz32(xHi);
    // The leading count has 5 bits in the stream.
    if (leading >= 32) leading = 31;
    if (this.#leading !== 0xff && leading >= this.#leading && trailing >= this.#trailing) {
      // Fits in the previous window: reuse its leading/trailing counts.
      w.writeBit(0);
      const sig = 64 - this.#leading - this.#trailing;
      writeShifted(w, xHi, xLo, this.#trailing, sig);
      return;
    }
    this.#leading = leading;
    this.#trailing = trailing;
    w.writeBit(1);
    w.writeBits(leading, 5);
    const sig = 64 - leading - trailing;
    // 64 significant bits do not fit in 6 bits; 0 stands for 64 (no XOR is ever 0 here).
    w.writeBits(sig & 0x3f, 6);
    writeShifted(w, xHi, xLo, trailing, sig);
  }

  /** Whether `v` has exactly the bits of the last appended value (false when empty). */
  lastValueIs(v: number): boolean {
    if (this.#num === 0) return false;
    const hi = floatHi(v);
    return hi === this.#vHi && floatLo() === this.#vLo;
  }

  /** A forward iterator over the samples present now. */
  iterator(): XorIterator {
    return new XorIterator(this.bytes(), this.#num);
  }
}

/** Writes the `sig` bits of hi:lo above its `shift` trailing bits. */
function writeShifted(w: BitWriter, hi: number, lo: number, shift: number, sig: number): void {
  let sHi: number;
  let sLo: number;
  if (shift === 0) {
    sHi = hi;
    sLo = lo;
  } else if (shift < 32) {
    sLo = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
    sHi = hi >>> shift;
  } else {
    sLo = hi >>> (shift - 32);
    sHi = 0;
  }
  w.writeBits64(sHi, sLo, sig);
}

/**
 * Iterates the samples of an encoded XOR chunk. Implements the storage layer's SampleIterator
 * shape (next/seek/atT/atV). The current value is kept as raw bits so NaN payloads survive.
 */
export class XorIterator {
  readonly #r: BitReader;
  readonly #num: number;
  #read = 0;
  #t = 0;
  #tDelta = 0;
  #vHi = 0;
  #vLo = 0;
  #leading = 0;
  #trailing = 0;
  readonly #val = new DataView(new ArrayBuffer(8));

  /** Reads `numSamples` samples of `bytes` (default: the count in the chunk header). */
  constructor(bytes: Uint8Array, numSamples?: number) {
    if (bytes.length < 2) throw new BugError('xor chunk: shorter than its header');
    this.#num = numSamples ?? (bytes[0]! << 8) | bytes[1]!;
    this.#r = new BitReader(bytes, 16);
  }

  /** Moves to the next sample; false at the end. */
  next(): boolean {
    if (this.#read >= this.#num) return false;
    const r = this.#r;
    if (this.#read === 0) {
      this.#t = readVarint(r);
      this.#vHi = r.readBits(32);
      this.#vLo = r.readBits(32);
    } else if (this.#read === 1) {
      this.#tDelta = readUvarint(r);
      this.#t += this.#tDelta;
      this.#readValue();
    } else {
      // The control prefix is 0, 10, 110, 1110 or 1111: count the leading ones (at most 4).
      let ones = 0;
      while (ones < 4 && r.readBit() === 1) ones++;
      let dod: number;
      switch (ones) {
        case 0:
          dod = 0;
          break;
        case 1:
          dod = signExtend(r.readBits(14), 14);
          break;
        case 2:
          dod = signExtend(r.readBits(17), 17);
          break;
        case 3:
          dod = signExtend(r.readBits(20), 20);
          break;
        default: {
          const hi = r.readBits(32) | 0;
          dod = hi * TWO32 + r.readBits(32);
        }
      }
      this.#tDelta += dod;
      this.#t += this.#tDelta;
      this.#readValue();
    }
    this.#read++;
    return true;
  }

  #readValue(): void {
    const r = this.#r;
    if (r.readBit() === 0) return;
    if (r.readBit() === 1) {
      this.#leading = r.readBits(5);
      let sig = r.readBits(6);
      if (sig === 0) sig = 64;
      this.#trailing = 64 - this.#leading - sig;
    }
    const sig = 64 - this.#leading - this.#trailing;
    let xHi: number;
    let xLo: number;
    if (sig > 32) {
      xHi = r.readBits(sig - 32);
      xLo = r.readBits(32);
    } else {
      xHi = 0;
      xLo = r.readBits(sig);
    }
    const shift = this.#trailing;
    if (shift >= 32) {
      xHi = (xLo << (shift - 32)) >>> 0;
      xLo = 0;
    } else if (shift > 0) {
      xHi = ((xHi << shift) | (xLo >>> (32 - shift))) >>> 0;
      xLo = (xLo << shift) >>> 0;
    }
    this.#vHi = (this.#vHi ^ xHi) >>> 0;
    this.#vLo = (this.#vLo ^ xLo) >>> 0;
  }

  /** Moves to the first sample with t >= `t` (never backwards); false if there is none. */
  seek(t: number): boolean {
    if (this.#read > 0 && this.#t >= t) return true;
    while (this.next()) if (this.#t >= t) return true;
    return false;
  }

  /** Timestamp (ms) of the current sample. */
  atT(): number {
    return this.#t;
  }

  /** Value of the current sample, bit-exact. */
  atV(): number {
    this.#val.setUint32(0, this.#vHi);
    this.#val.setUint32(4, this.#vLo);
    return this.#val.getFloat64(0);
  }
}

function signExtend(x: number, bits: number): number {
  return x >= 2 ** (bits - 1) ? x - 2 ** bits : x;
}
