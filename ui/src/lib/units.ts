/**
 * Value formatting for axes, legends and tables. Units follow Prometheus base units: bytes,
 * seconds, ratios (0–1, shown as percent). Formatting is locale-neutral (a dot for decimals,
 * IEC/SI suffixes) so the same figure reads the same in English and Japanese.
 */

/** How a series' values are shown. `percent` takes a ratio (0.5 → 50%). */
export type Unit = 'none' | 'short' | 'percent' | 'bytes' | 'bytesPerSec' | 'seconds' | 'perSec';

/** Up to `digits` significant digits, without trailing zeros. */
function sig(v: number, digits: number): string {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  // Integers up to the digits shown are exact; larger ones are scaled by the caller.
  if (abs >= 10 ** (digits - 1) && Number.isInteger(v)) return String(v);
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(abs)));
  return String(Number(v.toFixed(Math.min(decimals, 12))));
}

function special(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return undefined;
}

function scaled(v: number, base: number, suffixes: readonly string[], digits: number, sep: string): string {
  let i = 0;
  let x = Math.abs(v);
  // Round first so 1023.99 KiB becomes 1 MiB rather than "1024 KiB".
  while (i < suffixes.length - 1 && Number(sig(x, digits)) >= base) {
    x /= base;
    i++;
  }
  return `${v < 0 ? '-' : ''}${sig(x, digits)}${sep}${suffixes[i] ?? ''}`.trimEnd();
}

const IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
const SI = ['', 'k', 'M', 'G', 'T', 'P', 'E'];

/** A short duration: µs, ms, s, min, h, d. */
export function formatSeconds(v: number, digits = 3): string {
  const s = special(v);
  if (s !== undefined) return s;
  const abs = Math.abs(v);
  if (abs === 0) return '0 s';
  if (abs < 1e-3) return `${sig(v * 1e6, digits)} µs`;
  if (abs < 1) return `${sig(v * 1e3, digits)} ms`;
  if (abs < 60) return `${sig(v, digits)} s`;
  if (abs < 3600) return `${sig(v / 60, digits)} min`;
  if (abs < 86400) return `${sig(v / 3600, digits)} h`;
  return `${sig(v / 86400, digits)} d`;
}

/** `v` in `unit`, with up to `digits` significant digits. */
export function formatValue(v: number, unit: Unit, digits = 3): string {
  const s = special(v);
  if (s !== undefined) return s;
  switch (unit) {
    case 'none':
      return sig(v, Math.max(digits, 6));
    case 'short':
      return Math.abs(v) < 1 ? sig(v, digits) : scaled(v, 1000, SI, digits, '');
    case 'percent':
      return `${sig(v * 100, digits)}%`;
    case 'bytes':
      return scaled(v, 1024, IEC, digits, ' ');
    case 'bytesPerSec':
      return `${scaled(v, 1024, IEC, digits, ' ')}/s`;
    case 'seconds':
      return formatSeconds(v, digits);
    case 'perSec':
      return `${Math.abs(v) < 1 ? sig(v, digits) : scaled(v, 1000, SI, digits, '')}/s`;
  }
}
