import { AppError } from './errors.js';

/**
 * Prometheus duration strings: one or more `<number><unit>` parts, units from largest to smallest
 * (`1h30m`, `15s`, `500ms`, `2d`). Units: ms, s, m, h, d, w, y (365 d), as Prometheus's
 * model.ParseDuration defines them.
 */
const unitMs: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};
const order = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
const partRe = /(\d+)(ms|y|w|d|h|m|s)/y;

/** Parses a duration into milliseconds; throws a `bad_input` AppError naming the value. */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  if (text === '') throw new AppError('bad_input', 'empty duration string');
  let total = 0;
  let pos = 0;
  let lastUnit = -1;
  while (pos < text.length) {
    partRe.lastIndex = pos;
    const m = partRe.exec(text);
    if (!m) throw new AppError('bad_input', `not a valid duration string: "${text}"`);
    const unit = m[2]!;
    const idx = order.indexOf(unit);
    if (idx <= lastUnit) throw new AppError('bad_input', `not a valid duration string: "${text}"`);
    lastUnit = idx;
    total += Number(m[1]) * unitMs[unit]!;
    pos = partRe.lastIndex;
  }
  if (!Number.isSafeInteger(total)) throw new AppError('bad_input', `duration out of range: "${text}"`);
  return total;
}

/** Formats milliseconds as Prometheus prints durations (`1h30m`, `15s`, `0s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  if (rest < 0) {
    out = '-';
    rest = -rest;
  }
  for (const unit of order) {
    const size = unitMs[unit]!;
    if (rest >= size) {
      const n = Math.floor(rest / size);
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
