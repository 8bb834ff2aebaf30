import { errorMessage } from '../base/errors.js';
import type { PerfDatum, ThresholdRange } from '../model/check.js';
import { parseRange } from './thresholds.js';

/**
 * Performance data of the Nagios plugin guidelines, section "Performance data"
 * (https://nagios-plugins.org/doc/guidelines.html#AEN200): a space-separated list of
 * `'label'=value[UOM];[warn];[crit];[min];[max]`.
 *
 * - Labels may be quoted with `'`; inside quotes `''` is a literal quote, and spaces and `=` are
 *   allowed. Unquoted labels end at the first `=`.
 * - `value` may be the literal `U` (the plugin could not determine it): kept as NaN.
 * - warn/crit are threshold ranges; min/max numbers; any of them may be empty, and trailing
 *   semicolons may be dropped.
 * - Units: see {@link unitInfo}. KB/MB/GB/TB are powers of 1024.
 *
 * The parser never throws: an item it cannot read is skipped and described in `problems`; a
 * readable item with one bad field keeps its other fields and the bad one is described too.
 */

/** Perfdata items and what was wrong with the text they came from. */
export interface ParsedPerfdata {
  readonly perfdata: PerfDatum[];
  /** One sentence per problem, naming the offending text; empty when all was well. */
  readonly problems: string[];
}

/**
 * How a unit of measure maps to a base unit: baseValue = value × factor. Convert with
 * {@link toBaseValue}, which divides for sub-units (`ms`) so 0.3ms gives exactly 0.0003.
 */
export interface UnitInfo {
  readonly baseUnit: PerfDatum['baseUnit'];
  readonly factor: number;
  /** Whether the unit is one we know (unknown units keep their value with factor 1). */
  readonly isKnown: boolean;
}

/** `value` in base units. */
export function toBaseValue(value: number, info: UnitInfo): number {
  if (info.factor >= 1) return value * info.factor;
  return value / Math.round(1 / info.factor);
}

const KIB = 1024;
/**
 * Units as plugins print them. Bytes use powers of 1024: that is what monitoring-plugins meant
 * (check_disk before 2.3 and check_swap printed MiB values with the unit "MB") and how Icinga 2
 * before 2.11 reads them. The IEC spellings (KiB, …) mean the same. See docs/checks.md.
 */
const exactUnits: Readonly<Record<string, Omit<UnitInfo, 'isKnown'>>> = {
  '': { baseUnit: '', factor: 1 },
  s: { baseUnit: 'seconds', factor: 1 },
  ms: { baseUnit: 'seconds', factor: 1e-3 },
  us: { baseUnit: 'seconds', factor: 1e-6 },
  µs: { baseUnit: 'seconds', factor: 1e-6 },
  ns: { baseUnit: 'seconds', factor: 1e-9 },
  '%': { baseUnit: 'percent', factor: 1 },
  B: { baseUnit: 'bytes', factor: 1 },
  KB: { baseUnit: 'bytes', factor: KIB },
  MB: { baseUnit: 'bytes', factor: KIB ** 2 },
  GB: { baseUnit: 'bytes', factor: KIB ** 3 },
  TB: { baseUnit: 'bytes', factor: KIB ** 4 },
  PB: { baseUnit: 'bytes', factor: KIB ** 5 },
  KiB: { baseUnit: 'bytes', factor: KIB },
  MiB: { baseUnit: 'bytes', factor: KIB ** 2 },
  GiB: { baseUnit: 'bytes', factor: KIB ** 3 },
  TiB: { baseUnit: 'bytes', factor: KIB ** 4 },
  PiB: { baseUnit: 'bytes', factor: KIB ** 5 },
  c: { baseUnit: 'counter', factor: 1 },
};
/** Case-insensitive fallback (`kB`, `Kb`, `MS`), as Icinga 2 lowercases units before looking. */
const lowerUnits = new Map(Object.entries(exactUnits).map(([k, v]) => [k.toLowerCase(), v]));

/** The base unit and factor of a unit of measure as printed; unknown units map to ('', 1). */
export function unitInfo(unit: string): UnitInfo {
  const hit = exactUnits[unit] ?? lowerUnits.get(unit.toLowerCase());
  if (hit) return { ...hit, isKnown: true };
  return { baseUnit: '', factor: 1, isKnown: false };
}

const valueRe = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|U)([^\d;]*)$/;
const numberRe = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses the perfdata part of plugin output (everything after `|`, lines joined by spaces). */
export function parsePerfdata(text: string): ParsedPerfdata {
  const perfdata: PerfDatum[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const n = text.length;
  let i = 0;

  const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  const skipToSpace = (): number => {
    while (i < n && !isSpace(text[i])) i++;
    return i;
  };

  while (i < n) {
    while (i < n && isSpace(text[i])) i++;
    if (i >= n) break;
    const itemStart = i;
    let label: string;

    if (text[i] === "'") {
      // Quoted label: '' is a quote; the label ends at a lone quote.
      i++;
      let out = '';
      let isClosed = false;
      while (i < n) {
        const c = text[i];
        if (c === "'") {
          if (text[i + 1] === "'") {
            out += "'";
            i += 2;
            continue;
          }
          i++;
          isClosed = true;
          break;
        }
        out += c;
        i++;
      }
      if (!isClosed) {
        problems.push(`unterminated quoted label in ${quote(text.slice(itemStart))}`);
        break;
      }
      if (text[i] !== '=') {
        skipToSpace();
        problems.push(`missing "=" after label in ${quote(text.slice(itemStart, i))}`);
        continue;
      }
      label = out;
    } else {
      while (i < n && text[i] !== '=' && !isSpace(text[i])) i++;
      if (text[i] !== '=') {
        problems.push(`missing "=" in ${quote(text.slice(itemStart, i))}`);
        continue;
      }
      label = text.slice(itemStart, i);
    }
    i++; // '='
    const valueStart = i;
    skipToSpace();
    const item = text.slice(itemStart, i);
    const datum = parseItem(label, text.slice(valueStart, i), item, problems);
    if (!datum) continue;
    if (seen.has(label)) {
      problems.push(`duplicate label ${quote(label)} in ${quote(item)}: kept the first`);
      continue;
    }
    seen.add(label);
    perfdata.push(datum);
  }
  return { perfdata, problems };
}

function parseItem(label: string, rest: string, item: string, problems: string[]): PerfDatum | undefined {
  if (label === '') {
    problems.push(`empty label in ${quote(item)}`);
    return undefined;
  }
  const fields = rest.split(';');
  const m = valueRe.exec(fields[0] ?? '');
  if (!m) {
    const hint = /^[+-]?\d+,\d/.test(fields[0] ?? '')
      ? ' (a decimal comma: print numbers in the C locale)'
      : '';
    problems.push(`bad value ${quote(fields[0] ?? '')} in ${quote(item)}${hint}`);
    return undefined;
  }
  const unit = m[2] ?? '';
  const info = unitInfo(unit);
  if (!info.isKnown) problems.push(`unknown unit ${quote(unit)} in ${quote(item)}: value kept as printed`);
  if (fields.length > 5) problems.push(`extra fields after max in ${quote(item)}: ignored`);
  const value = m[1] === 'U' ? NaN : Number(m[1]);

  const range = (idx: number, what: string): ThresholdRange | undefined => {
    const f = stripUnit(fields[idx] ?? '', unit);
    if (f === '' || f === 'U') return undefined;
    try {
      return parseRange(f);
    } catch (e) {
      problems.push(`bad ${what} threshold in ${quote(item)}: ${errorMessage(e)}`);
      return undefined;
    }
  };
  const num = (idx: number, what: string): number | undefined => {
    const f = stripUnit(fields[idx] ?? '', unit);
    if (f === '' || f === 'U') return undefined;
    if (!numberRe.test(f)) {
      problems.push(`bad ${what} ${quote(f)} in ${quote(item)}`);
      return undefined;
    }
    return Number(f);
  };

  const warn = range(1, 'warning');
  const crit = range(2, 'critical');
  const min = num(3, 'min');
  const max = num(4, 'max');
  return {
    label,
    value,
    unit,
    baseValue: toBaseValue(value, info),
    baseUnit: info.baseUnit,
    ...(warn && { warn }),
    ...(crit && { crit }),
    ...(min !== undefined && { min }),
    ...(max !== undefined && { max }),
  };
}

/** Some plugins repeat the unit on warn/crit/min/max (`80%`); the guidelines say they share it. */
function stripUnit(field: string, unit: string): string {
  if (unit !== '' && field.length > unit.length && field.endsWith(unit)) return field.slice(0, -unit.length);
  return field;
}

function quote(s: string): string {
  return JSON.stringify(s);
}

/** Formats perfdata back into the plugin syntax (labels quoted when needed), for logs and tests. */
export function formatPerfdata(items: readonly PerfDatum[]): string {
  return items
    .map((p) => {
      const label = /[\s'=]/.test(p.label) ? `'${p.label.replace(/'/g, "''")}'` : p.label;
      const fields = [
        `${Number.isNaN(p.value) ? 'U' : String(p.value)}${p.unit}`,
        p.warn?.text ?? '',
        p.crit?.text ?? '',
        p.min === undefined ? '' : String(p.min),
        p.max === undefined ? '' : String(p.max),
      ];
      while (fields.length > 1 && fields[fields.length - 1] === '') fields.pop();
      return `${label}=${fields.join(';')}`;
    })
    .join(' ');
}
