import { apiGet, type Metric } from './prom.js';

/**
 * The label sets of the series matching any of `matchers` (PromQL series selectors) with samples
 * in [startMs, endMs] (/api/v1/series), each with its `__name__`.
 */
export function fetchSeries(
  matchers: readonly string[],
  range: { readonly startMs: number; readonly endMs: number },
  signal?: AbortSignal,
): Promise<readonly Metric[]> {
  const form = new URLSearchParams({ start: String(range.startMs / 1000), end: String(range.endMs / 1000) });
  for (const m of matchers) form.append('match[]', m);
  return apiGet<readonly Metric[]>('/api/v1/series', signal, form);
}
