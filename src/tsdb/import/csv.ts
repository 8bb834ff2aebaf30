import { labelNameRe, metricNameRe, sortLabels, type Label, type Labels } from '../../model/labels.js';

/**
 * The CSV shape `kanshi tsdb import` reads (docs/tsdb/operations.md "CSV"): a header row names
 * the columns, one sample per following row.
 *
 * - `metric` (or `__name__`): the metric name, required.
 * - `timestamp`: unix seconds, a fraction allowed (rounded to the ms), or RFC 3339
 *   (`2026-11-27T08:00:00Z`); or instead `timestamp_ms`: integer milliseconds. Required.
 * - `value`: a float as Prometheus writes it (`1.5`, `1e3`, `NaN`, `+Inf`, `-Inf`). Required.
 * - any other column: a label of that name; an empty cell means the label is absent.
 *
 * Fields may be quoted as RFC 4180 says (`"a,b"`, `""` for a quote inside). Blank lines and lines
 * starting with `#` are skipped. Columns may come in any order.
 */

/** One problem with the input, 1-based line number (0: the file as a whole). */
export interface CsvProblem {
  readonly line: number;
  readonly message: string;
}

/** Options of {@link parseCsvSamples}. */
export interface CsvOptions {
  /** Stop collecting problems after this many (default 100). */
  readonly maxProblems?: number;
  /** Called every `progressEveryLines` lines with the characters read so far. */
  readonly onProgress?: (charsRead: number) => void;
  readonly progressEveryLines?: number;
}

/**
 * Parses `text` and calls `onSample` for every valid row, in file order. Returns every problem
 * found (rows with problems are skipped); an empty list means the whole file was read.
 */
export function parseCsvSamples(
  text: string,
  onSample: (labels: Labels, tMs: number, v: number) => void,
  options: CsvOptions = {},
): CsvProblem[] {
  const maxProblems = options.maxProblems ?? 100;
  const every = options.progressEveryLines ?? 10_000;
  const problems: CsvProblem[] = [];
  const problem = (line: number, message: string): void => {
    if (problems.length < maxProblems) problems.push({ line, message });
  };
  const rows = csvRows(text);
  let header: Header | undefined;
  for (const { line, fields, end } of rows) {
    if (options.onProgress && line % every === 0) options.onProgress(end);
    if (header === undefined) {
      const h = parseHeader(fields);
      if (typeof h === 'string') {
        problem(line, h);
        return problems;
      }
      header = h;
      continue;
    }
    if (fields.length !== header.width) {
      problem(line, `expected ${header.width} fields as in the header, got ${fields.length}`);
      continue;
    }
    const name = fields[header.metric]!;
    if (!metricNameRe.test(name)) {
      problem(line, `invalid metric name ${JSON.stringify(name)}`);
      continue;
    }
    const rawT = fields[header.time]!;
    const t = header.isTimeMs ? parseMs(rawT) : parseTimestamp(rawT);
    if (t === undefined) {
      problem(line, `invalid ${header.isTimeMs ? 'timestamp_ms' : 'timestamp'} ${JSON.stringify(rawT)}`);
      continue;
    }
    const rawV = fields[header.value]!;
    const v = parseFloatValue(rawV);
    if (v === undefined) {
      problem(line, `invalid value ${JSON.stringify(rawV)}`);
      continue;
    }
    const labels: Label[] = [{ name: '__name__', value: name }];
    for (const [i, labelName] of header.labels) {
      const value = fields[i]!;
      if (value !== '') labels.push({ name: labelName, value });
    }
    onSample(sortLabels(labels), t, v);
  }
  if (header === undefined) problem(0, 'no header row');
  if (rows.unterminated !== undefined) problem(rows.unterminated, 'unterminated quoted field');
  options.onProgress?.(text.length);
  return problems;
}

interface Header {
  readonly width: number;
  readonly metric: number;
  readonly time: number;
  readonly isTimeMs: boolean;
  readonly value: number;
  readonly labels: readonly (readonly [number, string])[];
}

function parseHeader(fields: readonly string[]): Header | string {
  let metric = -1;
  let time = -1;
  let isTimeMs = false;
  let value = -1;
  const labels: [number, string][] = [];
  const seen = new Set<string>();
  for (const [i, raw] of fields.entries()) {
    const name = raw.trim();
    if (seen.has(name)) return `duplicate column ${JSON.stringify(name)} in the header`;
    seen.add(name);
    if (name === 'metric' || name === '__name__') {
      if (metric >= 0) return 'both "metric" and "__name__" columns in the header';
      metric = i;
    } else if (name === 'timestamp' || name === 'timestamp_ms') {
      if (time >= 0) return 'both "timestamp" and "timestamp_ms" columns in the header';
      time = i;
      isTimeMs = name === 'timestamp_ms';
    } else if (name === 'value') {
      value = i;
    } else if (!labelNameRe.test(name) || name.startsWith('__')) {
      return `invalid label name ${JSON.stringify(name)} in the header`;
    } else {
      labels.push([i, name]);
    }
  }
  if (metric < 0) return 'the header has no "metric" column';
  if (time < 0) return 'the header has no "timestamp" or "timestamp_ms" column';
  if (value < 0) return 'the header has no "value" column';
  return { width: fields.length, metric, time, isTimeMs, value, labels };
}

/** RFC 4180 rows with their 1-based first line and the offset after them. */
function csvRows(text: string): Iterable<{ line: number; fields: string[]; end: number }> & {
  unterminated?: number;
} {
  const result: Iterable<{ line: number; fields: string[]; end: number }> & { unterminated?: number } = {
    *[Symbol.iterator]() {
      let i = 0;
      let line = 1;
      const n = text.length;
      while (i < n) {
        const startLine = line;
        // Skip blank and comment lines.
        if (text[i] === '\n' || text[i] === '\r' || text[i] === '#') {
          while (i < n && text[i] !== '\n') i++;
          i++;
          line++;
          continue;
        }
        const fields: string[] = [];
        let field = '';
        let atRowEnd = false;
        while (!atRowEnd) {
          if (text[i] === '"') {
            i++;
            for (;;) {
              if (i >= n) {
                result.unterminated = startLine;
                fields.push(field);
                yield { line: startLine, fields, end: n };
                return;
              }
              const c = text[i]!;
              if (c === '"') {
                if (text[i + 1] === '"') {
                  field += '"';
                  i += 2;
                  continue;
                }
                i++;
                break;
              }
              if (c === '\n') line++;
              field += c;
              i++;
            }
          }
          // Unquoted part (or what follows a closing quote, kept as written).
          const start = i;
          while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') i++;
          field += text.slice(start, i);
          fields.push(field);
          field = '';
          if (i < n && text[i] === ',') {
            i++;
            continue;
          }
          if (text[i] === '\r') i++;
          if (text[i] === '\n') i++;
          line++;
          atRowEnd = true;
        }
        yield { line: startLine, fields, end: i };
      }
    },
  };
  return result;
}

const decimalRe = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const rfc3339Re =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** Unix seconds (fraction rounded to the ms) or RFC 3339 (truncated to the ms), as ms. */
export function parseTimestamp(s: string): number | undefined {
  const text = s.trim();
  if (decimalRe.test(text)) {
    const f = Number(text);
    const whole = Math.trunc(f);
    const ms = whole * 1000 + Math.round((f - whole) * 1000);
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  const m = rfc3339Re.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, sec, frac = '', zone = 'Z'] = m;
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31) return undefined;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  ms += Number(frac.padEnd(3, '0').slice(0, 3));
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  return Number.isSafeInteger(ms) ? ms : undefined;
}

function parseMs(s: string): number | undefined {
  const text = s.trim();
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const ms = Number(text);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** A float as Prometheus's text formats write it: decimal, `NaN`, `[+-]Inf`; undefined otherwise. */
export function parseFloatValue(s: string): number | undefined {
  const text = s.trim();
  if (decimalRe.test(text)) {
    const v = Number(text);
    return Number.isFinite(v) ? v : undefined;
  }
  if (/^[+-]?inf(?:inity)?$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  return undefined;
}
