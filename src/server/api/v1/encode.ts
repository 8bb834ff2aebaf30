import type { Labels } from '../../../model/labels.js';
import type { QueryValue } from '../../../promql/index.js';

/**
 * JSON encoding of query results exactly as Prometheus's HTTP API writes them
 * (https://prometheus.io/docs/prometheus/latest/querying/api/#expression-query-result-formats):
 * timestamps as JSON numbers in seconds with up to three decimals (`1435781451.781`), values as
 * strings printed like Go's `strconv.FormatFloat(v, 'f', -1, 64)` (`"NaN"`, `"+Inf"`, `"-Inf"`,
 * shortest round-trip digits, never an exponent). The JSON is written by hand: it is the hot path
 * of large range queries, and the timestamp format (`1.100`) is not what JSON.stringify prints.
 */

/**
 * `v` as Go's `strconv.FormatFloat(v, 'f', -1, 64)` prints it: the shortest digits that read back
 * as `v`, in positional notation (`1e21` → `"1000000000000000000000"`, `1e-7` → `"0.0000001"`),
 * `"-0"` for negative zero, `"NaN"`, `"+Inf"`, `"-Inf"`.
 */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const s = String(v);
  if (!s.includes('e')) return s;
  // toExponential() without an argument gives the shortest round-trip digits, as String() does.
  const exp = v.toExponential();
  const negative = exp.startsWith('-');
  const body = negative ? exp.slice(1) : exp;
  const [mantissa = '', e = '0'] = body.split('e');
  const digits = mantissa.replace('.', '');
  const pointAt = 1 + Number(e); // position of the decimal point within `digits`
  let out: string;
  if (pointAt <= 0) out = `0.${'0'.repeat(-pointAt)}${digits}`;
  else if (pointAt >= digits.length) out = digits + '0'.repeat(pointAt - digits.length);
  else out = `${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
  return negative ? `-${out}` : out;
}

/**
 * A timestamp in ms as Prometheus's jsonutil.MarshalTimestamp writes it: whole seconds, then a
 * dot and exactly three digits of milliseconds when they are not zero (`1100` → `1.100`).
 */
export function formatTimestamp(ms: number): string {
  let t = Math.trunc(ms);
  let sign = '';
  if (t < 0) {
    sign = '-';
    t = -t;
  }
  const secs = Math.trunc(t / 1000);
  const frac = t % 1000;
  if (frac === 0) return `${sign}${secs}`;
  return `${sign}${secs}.${String(frac).padStart(3, '0')}`;
}

/** A label set as a JSON object, keys in the set's (sorted) order. */
export function encodeLabels(labels: Labels): string {
  let out = '{';
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (i > 0) out += ',';
    out += JSON.stringify(l.name) + ':' + JSON.stringify(l.value);
  }
  return out + '}';
}

function point(t: number, v: number): string {
  return `[${formatTimestamp(t)},"${formatFloat(v)}"]`;
}

/** The `data` object of a query response: `{"resultType":…,"result":…}`. */
export function encodeQueryData(value: QueryValue): string {
  switch (value.type) {
    case 'scalar':
      return `{"resultType":"scalar","result":${point(value.t, value.v)}}`;
    case 'string':
      return `{"resultType":"string","result":[${formatTimestamp(value.t)},${JSON.stringify(value.v)}]}`;
    case 'vector': {
      const parts: string[] = [];
      for (const s of value.vector) {
        parts.push(`{"metric":${encodeLabels(s.labels)},"value":${point(s.t, s.v)}}`);
      }
      return `{"resultType":"vector","result":[${parts.join(',')}]}`;
    }
    case 'matrix':
      return encodeMatrix(value.matrix);
  }
}

/** `formatFloat` with the common case (finite, printed by String() without an exponent) first. */
function valueText(v: number): string {
  if (v !== v || v === Infinity || v === -Infinity || v === 0) return formatFloat(v);
  const s = String(v);
  return s.includes('e') ? formatFloat(v) : s;
}

/** `formatTimestamp` with whole seconds first. */
function stampText(t: number): string {
  return t % 1000 === 0 ? String(t / 1000) : formatTimestamp(t);
}

/**
 * A matrix's `data` object: the hot path of range queries (a dashboard asks for tens of thousands
 * of points at once). The series of a range query share one time grid, so the timestamps are
 * formatted once, for the longest series, and reused where a series has the same time at the same
 * index. Byte-identical to encoding point by point.
 */
function encodeMatrix(matrix: readonly { labels: Labels; ts: Float64Array; vs: Float64Array }[]): string {
  const parts: string[] = new Array<string>(matrix.length);
  let grid: Float64Array = new Float64Array(0);
  let stamps: string[] = [];
  for (let k = 0; k < matrix.length; k++) {
    const { labels, ts, vs } = matrix[k]!;
    if (ts.length > grid.length) {
      grid = ts;
      stamps = Array.from(ts, stampText);
    }
    const points: string[] = new Array<string>(ts.length);
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i]!;
      points[i] = '[' + (grid[i] === t ? stamps[i]! : stampText(t)) + ',"' + valueText(vs[i]!) + '"]';
    }
    parts[k] = '{"metric":' + encodeLabels(labels) + ',"values":[' + points.join(',') + ']}';
  }
  return '{"resultType":"matrix","result":[' + parts.join(',') + ']}';
}

/** Annotations of a successful response, omitted when empty as Prometheus omits them. */
export interface Annotations {
  readonly warnings?: readonly string[];
  readonly infos?: readonly string[];
}

/**
 * A success envelope around `dataJson` (already JSON):
 * `{"status":"success","data":…,"warnings":[…],"infos":[…]}`.
 */
export function successBody(dataJson: string, annotations: Annotations = {}): string {
  let out = `{"status":"success","data":${dataJson}`;
  if (annotations.warnings && annotations.warnings.length > 0)
    out += `,"warnings":${JSON.stringify(annotations.warnings)}`;
  if (annotations.infos && annotations.infos.length > 0)
    out += `,"infos":${JSON.stringify(annotations.infos)}`;
  return out + '}';
}
