import { AppError } from '../base/errors.js';
import { labelsFromRecord, type Labels } from '../model/labels.js';
import { STALE_NAN } from '../model/sample.js';
import { parseMetricSelector } from '../promql/index.js';

/**
 * promtool's input-series notation (promqltest `load`): space-separated items, each `v`, `_`,
 * `stale`, `a+bxN` / `a-bxN` (N+1 values a, a±b, …, a±N·b), `axN` (N+1 copies of a) or `_xN`
 * (N missing samples). Values may be `Inf`, `-Inf`, `NaN` or Go floats.
 */

/** Parsed values: slot i holds `values[i]` when `present[i]` is 1 (`_` is 0). Float64Array keeps STALE_NAN intact. */
export interface SeriesValues {
  readonly values: Float64Array;
  readonly present: Uint8Array;
}

/** Parses a values string; `stale` becomes STALE_NAN. Throws AppError 'bad_input' naming the bad item. */
export function parseSeriesValues(text: string): SeriesValues {
  const out: (number | undefined | 'stale')[] = [];
  for (const item of text.trim().split(/\s+/)) {
    if (item === '') continue;
    if (item === '_') {
      out.push(undefined);
      continue;
    }
    if (item === 'stale') {
      out.push('stale');
      continue;
    }
    const m = /^(_|[^x]+?)(?:([+-])([^x]+))?x(\d+)$/.exec(item);
    if (m) {
      const n = Number(m[4]);
      if (m[1] === '_') {
        if (m[2] !== undefined) throw bad(item);
        for (let i = 0; i < n; i++) out.push(undefined);
        continue;
      }
      const a = num(m[1] ?? '', item);
      const step = m[2] === undefined ? 0 : (m[2] === '-' ? -1 : 1) * num(m[3] ?? '', item);
      let v = a;
      for (let i = 0; i <= n; i++) {
        out.push(v);
        v += step;
      }
      continue;
    }
    out.push(num(item, item));
  }
  const values = new Float64Array(out.length);
  const present = new Uint8Array(out.length);
  out.forEach((v, i) => {
    if (v === undefined) return;
    present[i] = 1;
    values[i] = v === 'stale' ? STALE_NAN : v;
  });
  return { values, present };
}

function num(s: string, item: string): number {
  if (/^[+-]?inf$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(s)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s) && !/^0x[0-9a-f]+$/i.test(s)) throw bad(item);
  return Number(s);
}

function bad(item: string): AppError {
  return new AppError('bad_input', `invalid value in series values: "${item}"`);
}

/** Parses a series description `name{a="b"}` into a label set; only `=` matchers are allowed. */
export function parseSeriesLabels(text: string): Labels {
  const rec: Record<string, string> = {};
  let matchers;
  try {
    matchers = parseMetricSelector(text);
  } catch (e) {
    throw new AppError(
      'bad_input',
      `parse series ${JSON.stringify(text)}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  for (const m of matchers) {
    if (m.type !== '=')
      throw new AppError('bad_input', `parse series ${JSON.stringify(text)}: only = matchers are allowed`);
    rec[m.name] = m.value;
  }
  return labelsFromRecord(rec);
}
