import type { Metric } from '../api/prom.js';
import { promString, regexLiteral } from './host-panels.js';

/**
 * The Services page as data: which jobs serve HTTP (found from the names and labels of their
 * series), and the PromQL of their RED numbers (rate, errors, duration) and Four Golden Signals
 * (latency, traffic, errors, saturation). Pure; the page fetches and draws.
 *
 * A job is a service when it has either
 * - a request-duration histogram: `*_request_duration_seconds_bucket`, which covers
 *   `http_request_duration_seconds` (client_golang, prom-client) and OpenTelemetry's
 *   `http_server_request_duration_seconds`; or
 * - a request counter `*_requests_total` with a status label ({@link STATUS_LABELS}).
 * Rates come from the counter when there is one, else from the histogram's `_count`; the error
 * ratio is 5xx over all from whichever has a status label; latency needs the histogram.
 */

/** Series selectors whose label sets {@link discoverServices} reads (for /api/v1/series). */
export const DISCOVERY_SELECTORS: readonly string[] = [
  // One series per label set is enough: the +Inf bucket stands for the whole histogram.
  '{__name__=~".+_request_duration_seconds_bucket",le="+Inf"}',
  '{__name__=~".+_requests_total"}',
];

/** Labels that carry the HTTP status, in the order they are preferred. */
export const STATUS_LABELS: readonly string[] = [
  'code',
  'status',
  'status_code',
  'http_status_code',
  'http_response_status_code',
];

/** A metric a service's numbers come from: its name and its status label, if any. */
export interface ServiceMetric {
  /** A counter's full name; a histogram's name without `_bucket`/`_count`/`_sum`. */
  readonly name: string;
  readonly statusLabel?: string;
}

/** A job that serves HTTP, with the metrics its RED numbers come from. */
export interface Service {
  readonly job: string;
  readonly histogram?: ServiceMetric;
  readonly counter?: ServiceMetric;
  /** The `instance` values of its request series, sorted. */
  readonly instances: readonly string[];
}

const HISTOGRAM_RE = /^(.+_request_duration_seconds)_bucket$/;
const COUNTER_RE = /^.+_requests_total$/;
/** Names preferred when a job has several, best first; others follow alphabetically. */
const PREFERRED = [
  'http_server_request_duration_seconds',
  'http_request_duration_seconds',
  'http_requests_total',
  'http_server_requests_total',
];

function rank(name: string): number {
  const i = PREFERRED.indexOf(name);
  return i < 0 ? PREFERRED.length : i;
}

function pick(found: ReadonlyMap<string, Set<string>>, needsStatus: boolean): ServiceMetric | undefined {
  const candidates = [...found]
    .map(([name, labels]) => {
      const statusLabel = STATUS_LABELS.find((l) => labels.has(l));
      return statusLabel === undefined ? { name } : { name, statusLabel };
    })
    .filter((m) => !needsStatus || m.statusLabel !== undefined)
    .sort((a, b) => rank(a.name) - rank(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return candidates[0];
}

/**
 * The services among `series` (label sets as /api/v1/series returns them for
 * {@link DISCOVERY_SELECTORS}), sorted by job. Series without a `job` are ignored; a counter
 * without a status label does not make a service (it could count anything).
 */
export function discoverServices(series: readonly Metric[]): Service[] {
  const jobs = new Map<
    string,
    { histograms: Map<string, Set<string>>; counters: Map<string, Set<string>>; instances: Set<string> }
  >();
  for (const s of series) {
    const job = s.job;
    const name = s.__name__;
    if (job === undefined || job === '' || name === undefined) continue;
    const h = HISTOGRAM_RE.exec(name)?.[1];
    if (h === undefined && !COUNTER_RE.test(name)) continue;
    let j = jobs.get(job);
    if (!j) {
      j = { histograms: new Map(), counters: new Map(), instances: new Set() };
      jobs.set(job, j);
    }
    const into = h === undefined ? j.counters : j.histograms;
    const key = h ?? name;
    const labels = into.get(key) ?? new Set<string>();
    for (const l of Object.keys(s)) labels.add(l);
    into.set(key, labels);
    if (s.instance !== undefined) j.instances.add(s.instance);
  }
  const out: Service[] = [];
  for (const [job, j] of jobs) {
    const histogram = pick(j.histograms, false);
    const counter = pick(j.counters, true);
    if (!histogram && !counter) continue;
    out.push({
      job,
      ...(histogram && { histogram }),
      ...(counter && { counter }),
      instances: [...j.instances].sort(),
    });
  }
  return out.sort((a, b) => (a.job < b.job ? -1 : a.job > b.job ? 1 : 0));
}

/** A RED number of the services table. */
export type RedSignal = 'rate' | 'errors' | 'p50' | 'p90' | 'p99';

/** The RED numbers in table order. */
export const RED_SIGNALS: readonly RedSignal[] = ['rate', 'errors', 'p50', 'p90', 'p99'];

const QUANTILES: Readonly<Record<'p50' | 'p90' | 'p99', number>> = { p50: 0.5, p90: 0.9, p99: 0.99 };

/** The job matcher for one job (`job="a"`) or several (`job=~"a|b"`). */
export function jobMatcher(jobs: readonly string[]): string {
  if (jobs.length === 1) return `job=${promString(jobs[0] ?? '')}`;
  return `job=~${promString(jobs.map(regexLiteral).join('|'))}`;
}

/** What a RED query of a signal reads: the same template for every job that shares it. */
function redSource(
  service: Service,
  signal: RedSignal,
): { metric: string; statusLabel?: string } | undefined {
  const { counter, histogram } = service;
  switch (signal) {
    case 'rate':
      if (counter) return { metric: counter.name };
      return histogram && { metric: `${histogram.name}_count` };
    case 'errors':
      if (counter?.statusLabel !== undefined)
        return { metric: counter.name, statusLabel: counter.statusLabel };
      if (histogram?.statusLabel !== undefined)
        return { metric: `${histogram.name}_count`, statusLabel: histogram.statusLabel };
      return undefined;
    case 'p50':
    case 'p90':
    case 'p99':
      return histogram && { metric: `${histogram.name}_bucket` };
  }
}

/**
 * The PromQL of `signal` for the jobs in `jobs` (which must share `service`'s source for it),
 * one result series per job labelled `job`, over rate window `window` (`5m`). Undefined when the
 * service has no metric for it (no histogram → no latency; no status label → no error ratio).
 * Errors are the ratio of 5xx (`=~"5.."`, which also takes `5xx`) to all requests, 0 when there
 * were requests and none failed.
 */
export function redQuery(
  service: Service,
  signal: RedSignal,
  window: string,
  jobs: readonly string[] = [service.job],
): string | undefined {
  const src = redSource(service, signal);
  if (!src) return undefined;
  const sel = jobMatcher(jobs);
  const all = `sum by (job) (rate(${src.metric}{${sel}}[${window}]))`;
  switch (signal) {
    case 'rate':
      return all;
    case 'errors': {
      const failed = `sum by (job) (rate(${src.metric}{${sel},${src.statusLabel ?? 'code'}=~"5.."}[${window}]))`;
      return `(${failed} or ${all} * 0) / ${all}`;
    }
    default:
      return `histogram_quantile(${QUANTILES[signal]}, sum by (job, le) (rate(${src.metric}{${sel}}[${window}])))`;
  }
}

/** One query that answers a RED signal for several jobs at once. */
export interface BatchedQuery {
  readonly signal: RedSignal;
  readonly expr: string;
  readonly jobs: readonly string[];
}

/**
 * The fewest queries that give every RED signal of every service: services whose signal reads
 * the same metric share one `job=~"a|b"` query. Jobs without a source for a signal are left out.
 */
export function batchRedQueries(services: readonly Service[], window: string): BatchedQuery[] {
  const out: BatchedQuery[] = [];
  for (const signal of RED_SIGNALS) {
    const groups = new Map<string, Service[]>();
    for (const s of services) {
      const src = redSource(s, signal);
      if (!src) continue;
      const key = `${src.metric}\u0000${src.statusLabel ?? ''}`;
      const g = groups.get(key);
      if (g) g.push(s);
      else groups.set(key, [s]);
    }
    for (const g of groups.values()) {
      const first = g[0];
      if (!first) continue;
      const jobs = g.map((s) => s.job);
      const expr = redQuery(first, signal, window, jobs);
      if (expr !== undefined) out.push({ signal, expr, jobs });
    }
  }
  return out;
}

/** One line of a golden-signal graph: its PromQL and legend template (`{{code}}`). */
export interface SignalQuery {
  readonly expr: string;
  readonly legend: string;
}

/** A golden-signal graph of one service. */
export interface SignalPanel {
  /** Stable id; the title is the string `services.panel.<id>`. */
  readonly id: string;
  readonly signal: 'latency' | 'traffic' | 'errors' | 'saturation';
  readonly unit: 'seconds' | 'perSec' | 'percent' | 'bytes';
  /** Empty when the service has no metric for it (latency without a histogram). */
  readonly queries: readonly SignalQuery[];
}

/**
 * The host part of an instance (`web-1:8080` → `web-1`, `[::1]:9100` → `[::1]`), to find the
 * node metrics of the machine a service runs on.
 */
export function instanceHost(instance: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(:\d+)?$/.exec(instance);
  return m?.[1] ?? instance;
}

/**
 * The matcher of the node series of the hosts `instances` run on: node_exporter's
 * `host:9100` and the agent's bare `host` alike. Undefined without instances.
 */
export function nodeInstanceMatcher(instances: readonly string[]): string | undefined {
  const hosts = [...new Set(instances.map(instanceHost))].sort();
  if (hosts.length === 0) return undefined;
  return `instance=~${promString(`(${hosts.map(regexLiteral).join('|')})(:[0-9]+)?`)}`;
}

/**
 * The Four Golden Signals graphs of `service` over rate window `window`: latency (p50/p90/p99,
 * when it has a histogram), traffic by status, errors (when a status label exists), and
 * saturation of its process (CPU, resident memory) and of the hosts it runs on (CPU, memory).
 */
export function goldenSignalPanels(service: Service, window: string): SignalPanel[] {
  const sel = jobMatcher([service.job]);
  const panels: SignalPanel[] = [];
  const latency = (['p50', 'p90', 'p99'] as const).flatMap((q) => {
    const expr = redQuery(service, q, window);
    return expr === undefined ? [] : [{ expr, legend: q }];
  });
  panels.push({ id: 'latency', signal: 'latency', unit: 'seconds', queries: latency });
  const traffic =
    service.counter ??
    (service.histogram && { ...service.histogram, name: `${service.histogram.name}_count` });
  const by = traffic?.statusLabel;
  panels.push({
    id: 'traffic',
    signal: 'traffic',
    unit: 'perSec',
    queries: traffic
      ? [
          {
            expr: `sum by (${by ?? 'job'}) (rate(${traffic.name}{${sel}}[${window}]))`,
            legend: by === undefined ? '{{job}}' : `{{${by}}}`,
          },
        ]
      : [],
  });
  const errors = redQuery(service, 'errors', window);
  panels.push({
    id: 'errors',
    signal: 'errors',
    unit: 'percent',
    queries: errors === undefined ? [] : [{ expr: errors, legend: '5xx' }],
  });
  panels.push(
    {
      id: 'process-cpu',
      signal: 'saturation',
      unit: 'percent',
      queries: [
        {
          expr: `sum by (instance) (rate(process_cpu_seconds_total{${sel}}[${window}]))`,
          legend: '{{instance}}',
        },
      ],
    },
    {
      id: 'process-memory',
      signal: 'saturation',
      unit: 'bytes',
      queries: [{ expr: `process_resident_memory_bytes{${sel}}`, legend: '{{instance}}' }],
    },
  );
  const node = nodeInstanceMatcher(service.instances);
  if (node !== undefined) {
    panels.push(
      {
        id: 'node-cpu',
        signal: 'saturation',
        unit: 'percent',
        queries: [
          {
            expr: `1 - avg by (instance) (rate(node_cpu_seconds_total{${node},mode="idle"}[${window}]))`,
            legend: '{{instance}}',
          },
        ],
      },
      {
        id: 'node-memory',
        signal: 'saturation',
        unit: 'percent',
        queries: [
          {
            expr: `1 - node_memory_MemAvailable_bytes{${node}} / node_memory_MemTotal_bytes{${node}}`,
            legend: '{{instance}}',
          },
        ],
      },
    );
  }
  return panels;
}

/** The Explore page for `expr` over the page's range. */
export function exploreHref(expr: string, range: { from: string; to: string }): string {
  return `/explore?${new URLSearchParams({ expr, from: range.from, to: range.to }).toString()}`;
}

/** The path of a service's page. */
export function servicePath(job: string): string {
  return `/services/${encodeURIComponent(job)}`;
}
