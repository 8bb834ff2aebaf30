import type { Queryable } from '../../../storage/storage.js';
import { MAX_TIME_MS, MIN_TIME_MS } from './params.js';

/**
 * `/api/v1/status/tsdb` computed from a {@link Queryable}, for stores that keep no postings
 * statistics of their own: one pass over every series (and its samples, for min/max time).
 * Cost is O(samples); the endpoint is for occasional cardinality checks, not for dashboards.
 */

/** One `{name, value}` entry of a cardinality list. */
export interface StatEntry {
  readonly name: string;
  readonly value: number;
}

/** The `data` of `/api/v1/status/tsdb`, field names as Prometheus's. */
export interface TsdbStatus {
  readonly headStats: {
    readonly numSeries: number;
    readonly numLabelPairs: number;
    readonly chunkCount: number;
    readonly minTime: number;
    readonly maxTime: number;
  };
  readonly seriesCountByMetricName: StatEntry[];
  readonly labelValueCountByLabelName: StatEntry[];
  readonly memoryInBytesByLabelName: StatEntry[];
  readonly seriesCountByLabelValuePair: StatEntry[];
}

const utf8 = new TextEncoder();

/** The `limit` largest entries of `counts`, by value descending, then name. */
function top(counts: Map<string, number>, limit: number): StatEntry[] {
  return [...counts]
    .map(([name, value]) => ({ name, value }))
    .sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, limit);
}

/**
 * Cardinality statistics of every series in `queryable`, each list cut to its `limit` largest.
 * `chunkCount` is 0 (a generic store has no chunks to count); min/maxTime are ms, and
 * MAX/MIN safe integer when the store is empty, like Prometheus's empty head.
 */
export async function computeTsdbStatus(
  queryable: Queryable,
  limit: number,
  signal?: AbortSignal,
): Promise<TsdbStatus> {
  const querier = queryable.querier(MIN_TIME_MS, MAX_TIME_MS);
  try {
    const series = await querier.select(
      [{ type: '=~', name: '__name__', value: '.+' }],
      { startMs: MIN_TIME_MS, endMs: MAX_TIME_MS, func: 'series' },
      signal,
    );
    const byMetric = new Map<string, number>();
    const byPair = new Map<string, number>();
    const valuesByName = new Map<string, Set<string>>();
    let minTime = MAX_TIME_MS;
    let maxTime = MIN_TIME_MS;
    for (const s of series) {
      for (const l of s.labels) {
        if (l.name === '__name__') byMetric.set(l.value, (byMetric.get(l.value) ?? 0) + 1);
        const pair = `${l.name}=${l.value}`;
        byPair.set(pair, (byPair.get(pair) ?? 0) + 1);
        let values = valuesByName.get(l.name);
        if (!values) valuesByName.set(l.name, (values = new Set()));
        values.add(l.value);
      }
      const it = s.iterator();
      if (it.next()) {
        minTime = Math.min(minTime, it.atT());
        let last = it.atT();
        while (it.next()) last = it.atT();
        maxTime = Math.max(maxTime, last);
      }
    }
    const valueCounts = new Map<string, number>();
    const valueBytes = new Map<string, number>();
    for (const [name, values] of valuesByName) {
      valueCounts.set(name, values.size);
      let bytes = 0;
      for (const v of values) bytes += utf8.encode(v).length;
      valueBytes.set(name, bytes);
    }
    return {
      headStats: { numSeries: series.length, numLabelPairs: byPair.size, chunkCount: 0, minTime, maxTime },
      seriesCountByMetricName: top(byMetric, limit),
      labelValueCountByLabelName: top(valueCounts, limit),
      memoryInBytesByLabelName: top(valueBytes, limit),
      seriesCountByLabelValuePair: top(byPair, limit),
    };
  } finally {
    querier.close();
  }
}
