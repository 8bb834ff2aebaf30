import { AppError } from '../../base/errors.js';
import { labelNameRe, METRIC_NAME, type Label, type Labels } from '../../model/labels.js';
import type { AggregateExpr } from '../parser/ast.js';
import { Annotations, labelsKey, type ISample } from '../engine/internal.js';
import { compareNaNFirst, formatGoFloatF, formatGoFloatG, KahanMean, kahanSumInc, quantile } from './math.js';
import { xxhash64 } from './xxhash64.js';

const encoder = new TextEncoder();

/** Prometheus's labels.Hash(): xxHash64 over name 0xff value 0xff … */
export function labelsHash(labels: Labels): bigint {
  const parts: number[] = [];
  for (const l of labels) {
    parts.push(...encoder.encode(l.name), 0xff, ...encoder.encode(l.value), 0xff);
  }
  return xxhash64(Uint8Array.from(parts));
}

/** math.MaxUint64 as a float64 (2^64). */
const MAX_U64 = 2 ** 64;

function addRatioSample(ratio: number, labels: Labels): boolean {
  const offset = Number(labelsHash(labels)) / MAX_U64;
  return (ratio >= 0 && offset < ratio) || (ratio < 0 && offset >= 1 + ratio);
}

function groupingLabels(labels: Labels, grouping: readonly string[], without: boolean): Labels {
  if (without) {
    return labels.filter(
      (l) =>
        l.name !== METRIC_NAME &&
        l.name !== '__type__' &&
        l.name !== '__unit__' &&
        !grouping.includes(l.name),
    );
  }
  return labels.filter((l) => grouping.includes(l.name));
}

/** Grouping labels and key per aggregation and input label set (both immutable). */
const groupingCache = new WeakMap<AggregateExpr, WeakMap<Labels, [string, Labels]>>();

interface Group {
  labels: Labels;
  samples: ISample[];
}

/**
 * Evaluates one aggregation at one instant over `input` (Prometheus's `aggregation` and
 * `aggregationK`): groups keep first-appearance order; topk/bottomk sort within a group.
 */
export function aggregate(
  e: AggregateExpr,
  param: number | string | null,
  input: ISample[],
  annos: Annotations,
): ISample[] {
  const groups = new Map<string, Group>();
  let cache = groupingCache.get(e);
  if (!cache) {
    cache = new WeakMap();
    groupingCache.set(e, cache);
  }
  const keyOf = (s: ISample): [string, Labels] => {
    let hit = cache.get(s.labels);
    if (!hit) {
      const labels = groupingLabels(s.labels, e.grouping, e.without);
      hit = [labelsKey(labels), labels];
      cache.set(s.labels, hit);
    }
    return hit;
  };
  if (e.op === 'count_values') return countValues(e, String(param), input);
  for (const s of input) {
    const [key, labels] = keyOf(s);
    let g = groups.get(key);
    if (!g) {
      g = { labels, samples: [] };
      groups.set(key, g);
    }
    g.samples.push(s);
  }
  const p = typeof param === 'number' ? param : NaN;
  switch (e.op) {
    case 'topk':
    case 'bottomk':
    case 'limitk': {
      if (p < 1) return [];
      if (Number.isNaN(p)) throw new AppError('bad_input', 'Parameter value is NaN');
      if (p >= 2 ** 63) throw new AppError('bad_input', `Scalar value ${formatGoFloatG(p)} overflows int64`);
      if (input.length === 0) return [];
      const k = Math.trunc(p);
      const out: ISample[] = [];
      for (const g of groups.values()) {
        if (e.op === 'limitk') {
          out.push(...g.samples.slice(0, k));
          continue;
        }
        const top = e.op === 'topk';
        const sorted = [...g.samples].sort((a, b) => {
          const an = Number.isNaN(a.v);
          const bn = Number.isNaN(b.v);
          if (an || bn) return an === bn ? 0 : an ? 1 : -1;
          return top ? b.v - a.v : a.v - b.v;
        });
        out.push(...sorted.slice(0, k));
      }
      return out;
    }
    case 'limit_ratio': {
      if (p === 0) return [];
      if (Number.isNaN(p)) throw new AppError('bad_input', 'Ratio value is NaN');
      if (input.length === 0) return [];
      let r = p;
      if (p > 1) {
        annos.warn(`ratio value should be between -1 and 1, got ${formatGoFloatG(p)}, capping to 1`);
        r = 1;
      } else if (p < -1) {
        annos.warn(`ratio value should be between -1 and 1, got ${formatGoFloatG(p)}, capping to -1`);
        r = -1;
      }
      const out: ISample[] = [];
      for (const g of groups.values())
        for (const s of g.samples) if (addRatioSample(r, s.labels)) out.push(s);
      return out;
    }
    case 'quantile':
      if (Number.isNaN(p) || p < 0 || p > 1)
        annos.warn(`quantile value should be between 0 and 1, got ${formatGoFloatG(p)}`);
      break;
    default:
      break;
  }
  const out: ISample[] = [];
  for (const g of groups.values()) {
    const dropName = g.samples.some((s) => s.dropName);
    out.push({ labels: g.labels, v: aggregateValues(e.op, p, g.samples), dropName });
  }
  return out;
}

function aggregateValues(op: AggregateExpr['op'], p: number, samples: ISample[]): number {
  const first = samples[0]!.v;
  switch (op) {
    case 'sum': {
      let sum = first;
      let c = 0;
      for (let i = 1; i < samples.length; i++) [sum, c] = kahanSumInc(samples[i]!.v, sum, c);
      return sum + c;
    }
    case 'avg': {
      const mean = new KahanMean(first);
      for (let i = 1; i < samples.length; i++) mean.add(samples[i]!.v);
      return mean.result();
    }
    case 'count':
      return samples.length;
    case 'group':
      return 1;
    case 'min': {
      let v = first;
      for (const s of samples) if (v > s.v || Number.isNaN(v)) v = s.v;
      return v;
    }
    case 'max': {
      let v = first;
      for (const s of samples) if (v < s.v || Number.isNaN(v)) v = s.v;
      return v;
    }
    case 'stddev':
    case 'stdvar': {
      let count = 0;
      let mean = 0;
      let value = Number.isFinite(first) ? 0 : NaN;
      for (const s of samples) {
        count++;
        const delta = s.v - mean;
        mean += delta / count;
        value += delta * (s.v - mean);
      }
      return op === 'stdvar' ? value / count : Math.sqrt(value / count);
    }
    case 'quantile':
      return quantile(
        p,
        samples.map((s) => s.v),
      );
    case 'topk':
    case 'bottomk':
    case 'limitk':
    case 'limit_ratio':
    case 'count_values':
      throw new AppError('internal', `aggregation ${op} has no single value`);
  }
}

function countValues(e: AggregateExpr, label: string, input: ISample[]): ISample[] {
  if (!labelNameRe.test(label) && !isValidUtf8LabelName(label))
    throw new AppError('bad_input', `invalid label name ${JSON.stringify(label)}`);
  const groups = new Map<string, { labels: Labels; count: number }>();
  for (const s of input) {
    let labels: Label[];
    if (e.without) {
      labels = s.labels.filter(
        (l) =>
          l.name !== METRIC_NAME &&
          l.name !== '__type__' &&
          l.name !== '__unit__' &&
          !e.grouping.includes(l.name) &&
          l.name !== label,
      );
    } else {
      labels = s.labels.filter((l) => e.grouping.includes(l.name) && l.name !== label);
    }
    labels.push({ name: label, value: formatGoFloatF(s.v) });
    labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const key = labelsKey(labels);
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { labels, count: 1 });
  }
  return [...groups.values()].map((g) => ({ labels: g.labels, v: g.count, dropName: false }));
}

function isValidUtf8LabelName(name: string): boolean {
  return name !== '' && !name.includes('\uFFFD');
}

export { compareNaNFirst };
