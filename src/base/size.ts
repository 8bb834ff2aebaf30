import { AppError } from './errors.js';

/**
 * Byte sizes as Prometheus's config writes them (`512MB`, `1GiB`, `100KB`): units B, KB, MB, GB, TB,
 * PB with powers of 1024, as Prometheus's units.Base2Bytes reads them; the `iB` spellings mean the same.
 */
const sizeUnits: Record<string, number> = {
  B: 1,
  KB: 1024,
  KIB: 1024,
  MB: 1024 ** 2,
  MIB: 1024 ** 2,
  GB: 1024 ** 3,
  GIB: 1024 ** 3,
  TB: 1024 ** 4,
  TIB: 1024 ** 4,
  PB: 1024 ** 5,
  PIB: 1024 ** 5,
};

/** Parses a size into bytes; throws a `bad_input` AppError naming the value. */
export function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  const unit = (m?.[2] ?? '').toUpperCase() || 'B';
  const mult = sizeUnits[unit];
  if (!m || mult === undefined) {
    throw new AppError('bad_input', `not a valid size: "${text}" (use e.g. 512MB, 2GiB, 1024B)`);
  }
  return Math.round(Number(m[1]) * mult);
}
