import type { LabelSet } from './types.js';

/**
 * Label-set helpers with Alertmanager's exact semantics: the fingerprint (prometheus/common
 * `LabelSet.Fingerprint`), the printed form used in group keys (`LabelSet.String`), and the order
 * `LabelSet.Before` that sorts alerts in a notification.
 */

const encoder = new TextEncoder();

/**
 * FNV-1a 64 state as four 16-bit limbs (lowest first), so the multiply by the prime
 * 0x100000001b3 = 2^40 + 0x1b3 stays exact in doubles without BigInt.
 */
class Fnv64 {
  h0 = 0x2325;
  h1 = 0x8422;
  h2 = 0x9ce4;
  h3 = 0xcbf2;

  addByte(b: number): void {
    const x0 = this.h0 ^ b;
    const t0 = x0 * 0x1b3;
    let t1 = this.h1 * 0x1b3 + (t0 >>> 16);
    let t2 = this.h2 * 0x1b3 + (x0 << 8) + (t1 >>> 16);
    const t3 = this.h3 * 0x1b3 + (this.h1 << 8) + (t2 >>> 16);
    t1 &= 0xffff;
    t2 &= 0xffff;
    this.h0 = t0 & 0xffff;
    this.h1 = t1;
    this.h2 = t2;
    this.h3 = t3 & 0xffff;
  }

  addString(s: string): void {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        // Not ASCII: hash the UTF-8 bytes of the rest.
        for (const b of encoder.encode(s.slice(i))) this.addByte(b);
        return;
      }
      this.addByte(c);
    }
  }

  hex(): string {
    return [this.h3, this.h2, this.h1, this.h0].map((h) => h.toString(16).padStart(4, '0')).join('');
  }
}

/**
 * Alertmanager's fingerprint of a label set: FNV-1a 64 over the label names in byte order, each name
 * and value followed by the separator byte 0xff, as 16 lowercase hex digits (`%016x`).
 */
export function fingerprint(labels: LabelSet): string {
  const h = new Fnv64();
  for (const name of sortedNames(labels)) {
    h.addString(name);
    h.addByte(0xff);
    h.addString(labels[name] ?? '');
    h.addByte(0xff);
  }
  return h.hex();
}

/** Label names sorted by code unit (byte order for ASCII label names). */
export function sortedNames(labels: LabelSet): string[] {
  return Object.keys(labels).sort(compareStrings);
}

/** Byte-wise (UTF-8) string comparison, as Go compares strings. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 order is UTF-8 byte order except a surrogate (a code point >= U+10000) against
    // U+E000..U+FFFF, which UTF-16 puts first and UTF-8 last.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys && (x >= 0xe000 || y >= 0xe000)) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** Go's `%q` for a string: double-quoted with Go escapes (enough for label values). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** `{a="1", b="2"}`: prometheus/common's `LabelSet.String`, the second half of a group key. */
export function labelSetString(labels: LabelSet): string {
  return `{${sortedNames(labels)
    .map((n) => `${n}=${goQuote(labels[n] ?? '')}`)
    .join(', ')}}`;
}

/**
 * prometheus/common's `LabelSet.Before` as a comparator: fewer labels first; then over the union of
 * names in byte order, a set missing the name first, else the smaller value first.
 */
export function compareLabelSets(a: LabelSet, b: LabelSet): number {
  const an = Object.keys(a);
  const bn = Object.keys(b);
  if (an.length !== bn.length) return an.length - bn.length;
  for (const name of [...new Set([...an, ...bn])].sort(compareStrings)) {
    const x = a[name];
    const y = b[name];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const c = compareStrings(x, y);
    if (c !== 0) return c;
  }
  return 0;
}

/** The labels every set shares with the same value (a notification's `commonLabels`). */
export function commonLabels(sets: readonly LabelSet[]): Record<string, string> {
  const first = sets[0];
  if (first === undefined) return {};
  const out: Record<string, string> = { ...first };
  for (const s of sets.slice(1)) {
    for (const name of Object.keys(out)) if (s[name] !== out[name]) delete out[name];
  }
  return out;
}
