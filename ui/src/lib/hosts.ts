import type { CheckResult, CheckStatus, VectorSample } from '../api/prom.js';
import { parseSampleValue } from './series.js';

/**
 * The host list of the overview, derived from what the store and the checks API say: a host is
 * an `instance` with node metrics (the agent's host job, or a scraped node_exporter), a scrape
 * target in `up`, or the `host` of a check result (the agent sets both to its host name).
 */

/** A host's status: the worst of its checks, or unreachable when its metrics stopped. */
export type HostStatus = CheckStatus | 'unreachable';

/** Why a host has its status, for the tooltip and the overview line. */
export type HostReason =
  | { readonly kind: 'targetDown'; readonly job: string }
  | { readonly kind: 'noMetrics' }
  | { readonly kind: 'check'; readonly check: string; readonly status: CheckStatus };

/** One row of the host table. Ratios are 0–1; undefined when the host does not report them. */
export interface HostSummary {
  readonly name: string;
  readonly status: HostStatus;
  readonly reasons: readonly HostReason[];
  readonly checksTotal: number;
  readonly checksOk: number;
  readonly cpuRatio?: number;
  readonly memoryRatio?: number;
  readonly load1?: number;
  readonly cores?: number;
}

/** What {@link buildHosts} reads: instant vectors by instance, and the checks. */
export interface HostInputs {
  /** `up`. */
  readonly up: readonly VectorSample[];
  /** `node_load1` now: the hosts whose node metrics are fresh. */
  readonly load1: readonly VectorSample[];
  /** One sample per instance whose node metrics were seen recently (e.g. within a day). */
  readonly seen: readonly VectorSample[];
  /** CPU busy ratio by instance. */
  readonly cpu: readonly VectorSample[];
  /** Memory used ratio by instance. */
  readonly memory: readonly VectorSample[];
  /** Number of CPUs by instance. */
  readonly cores: readonly VectorSample[];
  readonly checks: readonly CheckResult[];
}

/** Severity order, worst first: what the overview sorts by and a host shows. */
export const STATUS_ORDER: readonly HostStatus[] = ['unreachable', 'CRITICAL', 'WARNING', 'UNKNOWN', 'OK'];

/** The worse of two statuses by {@link STATUS_ORDER}. */
export function worse(a: HostStatus, b: HostStatus): HostStatus {
  return STATUS_ORDER.indexOf(a) <= STATUS_ORDER.indexOf(b) ? a : b;
}

function byInstance(v: readonly VectorSample[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of v) {
    const inst = s.metric.instance;
    const x = parseSampleValue(s.value[1]);
    if (inst !== undefined && x !== null) m.set(inst, x);
  }
  return m;
}

/** The hosts, worst status first, then by name. */
export function buildHosts(input: HostInputs): HostSummary[] {
  const load1 = byInstance(input.load1);
  const cpu = byInstance(input.cpu);
  const memory = byInstance(input.memory);
  const cores = byInstance(input.cores);
  const names = new Set<string>();
  for (const v of [input.up, input.load1, input.seen])
    for (const s of v) if (s.metric.instance) names.add(s.metric.instance);
  for (const c of input.checks) names.add(c.host);

  const hosts: HostSummary[] = [];
  for (const name of names) {
    const reasons: HostReason[] = [];
    let status: HostStatus = 'OK';
    for (const s of input.up) {
      if (s.metric.instance === name && parseSampleValue(s.value[1]) === 0) {
        reasons.push({ kind: 'targetDown', job: s.metric.job ?? '' });
        status = 'unreachable';
      }
    }
    const wasSeen = input.seen.some((s) => s.metric.instance === name);
    if (wasSeen && !load1.has(name)) {
      reasons.push({ kind: 'noMetrics' });
      status = 'unreachable';
    }
    const checks = input.checks.filter((c) => c.host === name);
    for (const c of checks) {
      if (c.status === 'OK') continue;
      reasons.push({ kind: 'check', check: c.check, status: c.status });
      status = worse(status, c.status);
    }
    const h: HostSummary = {
      name,
      status,
      reasons,
      checksTotal: checks.length,
      checksOk: checks.filter((c) => c.status === 'OK').length,
      ...(cpu.has(name) && { cpuRatio: cpu.get(name) }),
      ...(memory.has(name) && { memoryRatio: memory.get(name) }),
      ...(load1.has(name) && { load1: load1.get(name) }),
      ...(cores.has(name) && { cores: cores.get(name) }),
    } as HostSummary;
    hosts.push(h);
  }
  return hosts.sort(
    (a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || a.name.localeCompare(b.name),
  );
}

/** PromQL of the overview's host inputs, in {@link HostInputs} field order. */
export const HOST_QUERIES = {
  up: 'up',
  load1: 'node_load1',
  seen: 'group by (instance) (last_over_time(node_load1[1d]))',
  cpu: '1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[2m]))',
  memory: '1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes',
  cores: 'count by (instance) (node_cpu_seconds_total{mode="idle"})',
} as const;
