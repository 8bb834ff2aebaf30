import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c.js';

describe('crc32c', () => {
  // Check values from RFC 3720 appendix B.4 and the common "123456789" check value.
  it.each([
    ['123456789', Uint8Array.from(Buffer.from('123456789')), 0xe3069283],
    ['32 zero bytes', new Uint8Array(32), 0x8a9136aa],
    ['32 0xff bytes', new Uint8Array(32).fill(0xff), 0x62a8ab43],
    ['0..31 ascending', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
    ['empty', new Uint8Array(0), 0],
  ])('computes the check value of %s', (_name, data, want) => {
    expect(crc32c(data)).toBe(want);
  });

  it('continues across chunks', () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff);
    for (const cut of [0, 1, 3, 4, 5, 999, 1000]) {
      expect(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut)))).toBe(crc32c(data));
    }
  });
});
