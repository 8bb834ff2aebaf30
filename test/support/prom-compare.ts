/**
 * Compares two Prometheus HTTP API query responses (Prometheus's and Kanshi's): same status,
 * same errorType on errors, same resultType, same label sets, same timestamps, values equal to
 * a relative tolerance (NaN equals NaN, infinities equal by sign). Returns a list of
 * differences, empty when the answers agree.
 */

/** A decoded query response body. */
export interface ApiBody {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: unknown };
  warnings?: string[];
}

interface Point {
  t: number;
  v: string;
}
interface SeriesJson {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

/** Options of {@link compareResponses}. */
export interface CompareOptions {
  /** Relative tolerance of values; default 1e-9. */
  readonly relTol?: number;
  /** Absolute tolerance for values near zero; default 1e-12. */
  readonly absTol?: number;
  /** Compare the order of series (queries with sort/sort_desc); default false. */
  readonly ordered?: boolean;
}

/** Parses a value string as Prometheus prints it. */
export function parseValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  return Number(s);
}

function valuesAgree(a: string, b: string, relTol: number, absTol: number): boolean {
  const x = parseValue(a);
  const y = parseValue(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y);
  if (!Number.isFinite(x) || !Number.isFinite(y)) return x === y;
  const diff = Math.abs(x - y);
  return diff <= absTol || diff <= relTol * Math.max(Math.abs(x), Math.abs(y));
}

function metricKey(m: Record<string, string>): string {
  return JSON.stringify(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function pointsOf(s: SeriesJson): Point[] {
  if (s.values) return s.values.map(([t, v]) => ({ t, v }));
  if (s.value) return [{ t: s.value[0], v: s.value[1] }];
  return [];
}

/** Differences between `want` (Prometheus) and `got` (Kanshi); empty when they agree. */
export function compareResponses(want: ApiBody, got: ApiBody, options: CompareOptions = {}): string[] {
  const relTol = options.relTol ?? 1e-9;
  const absTol = options.absTol ?? 1e-12;
  if (want.status !== got.status) {
    return [
      `status: prometheus ${want.status}${want.error ? ` (${want.errorType}: ${want.error})` : ''}, kanshi ${got.status}${got.error ? ` (${got.errorType}: ${got.error})` : ''}`,
    ];
  }
  if (want.status === 'error') {
    return want.errorType === got.errorType
      ? []
      : [`errorType: prometheus ${want.errorType} (${want.error}), kanshi ${got.errorType} (${got.error})`];
  }
  const wd = want.data!;
  const gd = got.data!;
  if (wd.resultType !== gd.resultType)
    return [`resultType: prometheus ${wd.resultType}, kanshi ${gd.resultType}`];
  if (wd.resultType === 'scalar' || wd.resultType === 'string') {
    const [wt, wv] = wd.result as [number, string];
    const [gt, gv] = gd.result as [number, string];
    if (wt !== gt) return [`time: prometheus ${wt}, kanshi ${gt}`];
    const same = wd.resultType === 'string' ? wv === gv : valuesAgree(wv, gv, relTol, absTol);
    return same ? [] : [`value: prometheus ${wv}, kanshi ${gv}`];
  }
  const ws = wd.result as SeriesJson[];
  const gs = gd.result as SeriesJson[];
  const diffs: string[] = [];
  if (options.ordered) {
    const wk = ws.map((s) => metricKey(s.metric));
    const gk = gs.map((s) => metricKey(s.metric));
    if (wk.join('\n') !== gk.join('\n'))
      diffs.push(`order: prometheus ${wk.join(' ')}, kanshi ${gk.join(' ')}`);
  }
  const gotByKey = new Map(gs.map((s) => [metricKey(s.metric), s]));
  const wantKeys = new Set<string>();
  for (const w of ws) {
    const key = metricKey(w.metric);
    wantKeys.add(key);
    const g = gotByKey.get(key);
    if (!g) {
      diffs.push(`missing in kanshi: ${key}`);
      continue;
    }
    const wp = pointsOf(w);
    const gp = pointsOf(g);
    if (wp.length !== gp.length) {
      diffs.push(
        `${key}: ${wp.length} points in prometheus (${wp.map((p) => p.t).join(',')}), ${gp.length} in kanshi (${gp.map((p) => p.t).join(',')})`,
      );
      continue;
    }
    for (let i = 0; i < wp.length; i++) {
      const a = wp[i]!;
      const b = gp[i]!;
      if (a.t !== b.t || !valuesAgree(a.v, b.v, relTol, absTol)) {
        diffs.push(`${key} @${a.t}: prometheus [${a.t}, ${a.v}], kanshi [${b.t}, ${b.v}]`);
        break;
      }
    }
  }
  for (const g of gs) {
    const key = metricKey(g.metric);
    if (!wantKeys.has(key)) diffs.push(`extra in kanshi: ${key}`);
  }
  return diffs;
}
