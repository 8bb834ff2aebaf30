import type { LabelSet } from './types.js';

/**
 * Label-set helpers with Alertmanager's exact semantics: the fingerprint (prometheus/common
 * `LabelSet.Fingerprint`), the printed form used in group keys (`LabelSet.String`), and the order
 * `LabelSet.Before` that sorts alerts in a notification.
 */

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;
const SEPARATOR = 0xff;
const encoder = new TextEncoder();

function fnvAdd(h: bigint, bytes: Uint8Array): bigint {
  for (const b of bytes) h = ((h ^ BigInt(b)) * FNV_PRIME) & MASK64;
  return h;
}

/**
 * Alertmanager's fingerprint of a label set: FNV-1a 64 over the label names in byte order, each name
 * and value followed by the separator byte 0xff, as 16 lowercase hex digits (`%016x`).
 */
export function fingerprint(labels: LabelSet): string {
  let h = FNV_OFFSET;
  const sep = Uint8Array.of(SEPARATOR);
  for (const name of sortedNames(labels)) {
    h = fnvAdd(h, encoder.encode(name));
    h = fnvAdd(h, sep);
    h = fnvAdd(h, encoder.encode(labels[name] ?? ''));
    h = fnvAdd(h, sep);
  }
  return h.toString(16).padStart(16, '0');
}

/** Label names sorted by code unit (byte order for ASCII label names). */
export function sortedNames(labels: LabelSet): string[] {
  return Object.keys(labels).sort(compareStrings);
}

/** Byte-wise string comparison, as Go compares strings. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
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
