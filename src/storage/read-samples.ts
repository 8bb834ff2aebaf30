import type { SampleArrays, SampleIterator, Series } from './storage.js';

/**
 * Reused growth buffers of {@link readIterator}: a series is read into these and copied out at its
 * exact length, so each series costs one allocation of its size instead of a doubling chain.
 */
let scratchTs = new Float64Array(1024);
let scratchVs = new Float64Array(1024);

/**
 * Every sample of a series as arrays: the store's bulk read when it has one
 * ({@link Series.readSamples}), else one pass of its iterator copied out at exact size. Do not
 * write to the result (see {@link SampleArrays}).
 */
export function readSeriesSamples(series: Series): SampleArrays {
  return series.readSamples !== undefined ? series.readSamples() : readIterator(series.iterator());
}

/** The remaining samples of `it`, in fresh arrays of exactly their length. */
export function readIterator(it: SampleIterator): SampleArrays {
  let n = 0;
  while (it.next()) {
    if (n === scratchTs.length) {
      const nts = new Float64Array(n * 2);
      nts.set(scratchTs);
      scratchTs = nts;
      const nvs = new Float64Array(n * 2);
      nvs.set(scratchVs);
      scratchVs = nvs;
    }
    scratchTs[n] = it.atT();
    scratchVs[n] = it.atV();
    n++;
  }
  return { ts: scratchTs.slice(0, n), vs: scratchVs.slice(0, n) };
}

/**
 * Merges sample arrays by time into fresh arrays; when several have a sample at the same time,
 * the one listed first wins (as the TSDB's MergeIterator: sources listed newest first).
 */
export function mergeSampleArrays(parts: readonly SampleArrays[]): SampleArrays {
  const live = parts.filter((p) => p.ts.length > 0);
  if (live.length === 0) return { ts: new Float64Array(0), vs: new Float64Array(0) };
  if (live.length === 1) return live[0]!;
  // The usual case is a series spread over consecutive blocks and the head: disjoint time spans
  // joined end to end. Parts are taken in time order; only those whose spans overlap (a block
  // being cut from the head, out-of-order data) are merged, in their listed order of precedence.
  const byStart = live.map((p, rank) => ({ p, rank })).sort((a, b) => a.p.ts[0]! - b.p.ts[0]!);
  const runs: SampleArrays[] = [];
  let group = [byStart[0]!];
  let groupEnd = last(byStart[0]!.p);
  const flush = (): void => {
    let acc = group.sort((a, b) => a.rank - b.rank)[0]!.p;
    for (let k = 1; k < group.length; k++) acc = mergeTwo(acc, group[k]!.p);
    runs.push(acc);
  };
  for (let k = 1; k < byStart.length; k++) {
    const x = byStart[k]!;
    if (x.p.ts[0]! <= groupEnd) {
      group.push(x);
      groupEnd = Math.max(groupEnd, last(x.p));
    } else {
      flush();
      group = [x];
      groupEnd = last(x.p);
    }
  }
  flush();
  if (runs.length === 1) return runs[0]!;
  let total = 0;
  for (const r of runs) total += r.ts.length;
  const ts = new Float64Array(total);
  const vs = new Float64Array(total);
  let at = 0;
  for (const r of runs) {
    ts.set(r.ts, at);
    vs.set(r.vs, at);
    at += r.ts.length;
  }
  return { ts, vs };
}

function last(a: SampleArrays): number {
  return a.ts[a.ts.length - 1]!;
}

/** Merges two sorted arrays; `a` wins ties. */
function mergeTwo(a: SampleArrays, b: SampleArrays): SampleArrays {
  const na = a.ts.length;
  const nb = b.ts.length;
  const ts = new Float64Array(na + nb);
  const vs = new Float64Array(na + nb);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < na && j < nb) {
    const ta = a.ts[i]!;
    const tb = b.ts[j]!;
    if (ta <= tb) {
      ts[n] = ta;
      vs[n++] = a.vs[i++]!;
      if (ta === tb) j++;
    } else {
      ts[n] = tb;
      vs[n++] = b.vs[j++]!;
    }
  }
  while (i < na) {
    ts[n] = a.ts[i]!;
    vs[n++] = a.vs[i++]!;
  }
  while (j < nb) {
    ts[n] = b.ts[j]!;
    vs[n++] = b.vs[j++]!;
  }
  return n === na + nb ? { ts, vs } : { ts: ts.subarray(0, n), vs: vs.subarray(0, n) };
}
