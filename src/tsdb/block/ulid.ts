import { randomBytes } from 'node:crypto';

/**
 * ULIDs (https://github.com/ulid/spec) name blocks as Prometheus does: 48 bits of milliseconds then
 * 80 random bits, in Crockford's base32, so names sort by creation time.
 */

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A new ULID for time `nowMs`. */
export function newUlid(nowMs: number): string {
  let out = '';
  let t = Math.max(0, Math.floor(nowMs));
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32]! + out;
    t = Math.floor(t / 32);
  }
  const r = randomBytes(16);
  for (let i = 0; i < 16; i++) out += ALPHABET[r[i]! % 32]!;
  return out;
}

/** Whether `s` looks like a ULID (26 Crockford base32 characters). */
export function isUlid(s: string): boolean {
  return /^[0-9A-HJKMNP-TV-Z]{26}$/.test(s);
}
