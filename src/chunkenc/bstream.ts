import { BugError } from '../base/errors.js';

/**
 * Bit-level writing and reading over a Uint8Array, most significant bit first, as the Gorilla
 * chunk encoding needs it. Values are passed as JS numbers of at most 32 bits; 64-bit words are
 * written as two 32-bit halves by the callers. No BigInt: it is an order of magnitude slower.
 */

/** Appends bits to a growing byte buffer. Owns its buffer; {@link bytes} returns a view of it. */
export class BitWriter {
  #buf: Uint8Array;
  /** Number of bits written. */
  #pos: number;

  /** Starts empty with `initialBytes` of capacity (it grows by doubling). */
  constructor(initialBytes = 32) {
    this.#buf = new Uint8Array(Math.max(1, initialBytes));
    this.#pos = 0;
  }

  /** Bits written so far. */
  get bitLength(): number {
    return this.#pos;
  }

  /** The written bytes (the last one padded with zero bits). A view: copy it to keep it. */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, (this.#pos + 7) >>> 3);
  }

  /** The underlying buffer; readers may read the first `bitLength` bits of it. */
  buffer(): Uint8Array {
    return this.#buf;
  }

  #ensure(bits: number): void {
    const need = (this.#pos + bits + 7) >>> 3;
    if (need <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < need) cap *= 2;
    const grown = new Uint8Array(cap);
    grown.set(this.#buf.subarray(0, (this.#pos + 7) >>> 3));
    this.#buf = grown;
  }

  /** Writes one bit (0 or 1). */
  writeBit(bit: number): void {
    this.#ensure(1);
    if (bit !== 0) this.#buf[this.#pos >>> 3]! |= 0x80 >>> (this.#pos & 7);
    this.#pos++;
  }

  /** Writes the low `n` bits of `value`, 0 <= n <= 32, most significant first. */
  writeBits(value: number, n: number): void {
    if (n > 32 || n < 0) throw new BugError(`writeBits: n out of range: ${n}`);
    this.#ensure(n);
    const buf = this.#buf;
    let pos = this.#pos;
    while (n > 0) {
      const free = 8 - (pos & 7);
      const take = free < n ? free : n;
      const bits = (value >>> (n - take)) & ((1 << take) - 1);
      buf[pos >>> 3]! |= bits << (free - take);
      pos += take;
      n -= take;
    }
    this.#pos = pos;
  }

  /** Writes the low `n` bits (0 <= n <= 64) of the 64-bit word hi:lo. */
  writeBits64(hi: number, lo: number, n: number): void {
    if (n > 32) {
      this.writeBits(hi, n - 32);
      this.writeBits(lo, 32);
    } else {
      this.writeBits(lo, n);
    }
  }

  /** Writes a whole byte. */
  writeByte(b: number): void {
    this.writeBits(b & 0xff, 8);
  }
}

/** Reads bits from a byte buffer, most significant bit first. Never reads past `bitLimit`. */
export class BitReader {
  readonly #buf: Uint8Array;
  #pos: number;
  readonly #limit: number;

  /** Reads `buf` from bit `startBit` up to `bitLimit` bits (default: the whole buffer). */
  constructor(buf: Uint8Array, startBit = 0, bitLimit = buf.length * 8) {
    this.#buf = buf;
    this.#pos = startBit;
    this.#limit = bitLimit;
  }

  /** The current bit position. */
  get position(): number {
    return this.#pos;
  }

  /** Reads one bit; throws a BugError past the end (a corrupt or truncated chunk). */
  readBit(): number {
    if (this.#pos >= this.#limit) throw new BugError('bit reader: read past the end of the chunk');
    const bit = (this.#buf[this.#pos >>> 3]! >>> (7 - (this.#pos & 7))) & 1;
    this.#pos++;
    return bit;
  }

  /** Reads `n` bits (0 <= n <= 32) as an unsigned number. */
  readBits(n: number): number {
    if (this.#pos + n > this.#limit) throw new BugError('bit reader: read past the end of the chunk');
    const buf = this.#buf;
    let pos = this.#pos;
    let out = 0;
    while (n > 0) {
      const avail = 8 - (pos & 7);
      const take = avail < n ? avail : n;
      const bits = (buf[pos >>> 3]! >>> (avail - take)) & ((1 << take) - 1);
      out = (out << take) | bits;
      pos += take;
      n -= take;
    }
    this.#pos = pos;
    return out >>> 0;
  }

  /** Reads a whole byte. */
  readByte(): number {
    return this.readBits(8);
  }
}
