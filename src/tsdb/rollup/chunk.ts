import { AppError } from '../../base/errors.js';
import { XorChunk, XorIterator } from '../../chunkenc/xor.js';
import { ByteReader, ByteWriter } from '../encoding.js';
import { combine, WINDOW_COLUMNS, type Windows, type WindowColumn } from './windows.js';

/**
 * The rollup chunk (encoding {@link ENCODING_ROLLUP}, docs/tsdb/block.md "Rollup chunks"): up to
 * {@link WINDOWS_PER_CHUNK} windows of one series, stored column by column, each column an XOR chunk
 * of (window end, value) so regular window ends cost about a bit each and slowly changing values
 * little more. Times inside a window (`firstT`, `lastT`, `staleT`) are stored relative to its end.
 */

/** The encoding byte of a rollup chunk in a rollup block's chunk files. */
export const ENCODING_ROLLUP = 0x81;

/** Windows a rollup chunk holds at most. */
export const WINDOWS_PER_CHUNK = 240;

const RELATIVE: ReadonlySet<WindowColumn> = new Set(['firstT', 'lastT', 'staleT']);

/** Encodes windows [from, to) of `w` (at least one, at most 65535). */
export function encodeRollupChunk(w: Windows, from: number, to: number): Uint8Array {
  const n = to - from;
  const out = new ByteWriter(64 + n * 8);
  out.u8(n >>> 8);
  out.u8(n & 0xff);
  for (const name of WINDOW_COLUMNS) {
    if (name === 't') continue;
    const c = new XorChunk(16 + n * 2);
    const col = w[name];
    for (let i = from; i < to; i++) {
      const t = w.t[i]!;
      c.append(t, RELATIVE.has(name) ? col[i]! - t : col[i]!);
    }
    const bytes = c.seal();
    out.uvarint(bytes.length);
    out.raw(bytes);
  }
  return out.bytes();
}

/** Decodes a rollup chunk, appending its windows to `into` (see {@link Windows.addWindows}). */
export function decodeRollupChunk(data: Uint8Array, into: Windows, what: string): void {
  const r = new ByteReader(data, what);
  const n = (r.u8() << 8) | r.u8();
  // Decoded in place after the last window, then joined to it when it is the same window.
  const at = into.length;
  into.reserve(at + n);
  let first = true;
  for (const name of WINDOW_COLUMNS) {
    if (name === 't') continue;
    const it = new XorIterator(r.raw(r.uvarint()), n);
    const col = into[name];
    const ts = into.t;
    for (let i = at; i < at + n; i++) {
      if (!it.next()) throw new AppError('io', `${what}: rollup column ${name} shorter than ${n}`);
      const t = it.atT();
      if (first) ts[i] = t;
      else if (ts[i] !== t) throw new AppError('io', `${what}: rollup column ${name} times differ`);
      col[i] = RELATIVE.has(name) ? it.atV() + t : it.atV();
    }
    first = false;
  }
  into.length = at + n;
  if (at > 0 && n > 0 && into.t[at - 1] === into.t[at]) {
    combine(into, at - 1, into, at);
    for (const name of WINDOW_COLUMNS) into[name].copyWithin(at, at + 1, at + n);
    into.length--;
  }
}
