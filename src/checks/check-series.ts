import type { CheckResult, CheckStatus, ThresholdRange } from '../model/check.js';
import { statusValue } from '../model/check.js';
import type { Labels } from '../model/labels.js';
import { labelsFromRecord } from '../model/labels.js';
import type { MetricFamily, MetricSample } from '../model/metric.js';
import { toBaseValue, unitInfo } from './perfdata.js';
import { convertRange } from './thresholds.js';

/**
 * A check result as series ("everything becomes a series"). The mapping is documented in
 * docs/checks.md; in short, every family is a gauge labelled `check="<name>"` plus the caller's
 * labels:
 *
 * | family                                   | value                                        |
 * | ---------------------------------------- | -------------------------------------------- |
 * | kanshi_check_status                      | 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN       |
 * | kanshi_check_hard_status                 | the same scale, hard state (= status if none) |
 * | kanshi_check_attempt                     | current attempt (only when given)            |
 * | kanshi_check_duration_seconds            | run time                                     |
 * | kanshi_check_perfdata{label,unit}        | perfdata value in base units                 |
 * | kanshi_check_perfdata_warning_low/_high  | warn range bounds in base units              |
 * | kanshi_check_perfdata_critical_low/_high | crit range bounds in base units              |
 * | kanshi_check_perfdata_min / _max         | min / max in base units                      |
 *
 * `unit` is the base unit (seconds, bytes, percent, counter), the unit as printed when it is
 * not one we know, and absent for plain numbers. Infinite range bounds and `U` values produce no
 * sample. Threshold series of an `@` range carry `range="inside"` (alert inside the bounds).
 */

/** Extra inputs of {@link checkResultToFamilies}. */
export interface CheckSeriesExtra {
  /** Labels added to every sample (host, …); `check`, `label`, `unit` and `range` are ours. */
  labels?: Readonly<Record<string, string>>;
  /** The hard status from CheckState; default the result's status. */
  hardStatus?: CheckStatus;
  /** The attempt from CheckState; the attempt family is written only when given. */
  attempt?: number;
  /** Timestamp of every sample, ms since the epoch; default none (the collection time). */
  timestampMs?: number;
}

/** Family names, exported so rules, dashboards and tests share one spelling. */
export const CHECK_FAMILY = {
  status: 'kanshi_check_status',
  hardStatus: 'kanshi_check_hard_status',
  attempt: 'kanshi_check_attempt',
  duration: 'kanshi_check_duration_seconds',
  perfdata: 'kanshi_check_perfdata',
  warningLow: 'kanshi_check_perfdata_warning_low',
  warningHigh: 'kanshi_check_perfdata_warning_high',
  criticalLow: 'kanshi_check_perfdata_critical_low',
  criticalHigh: 'kanshi_check_perfdata_critical_high',
  min: 'kanshi_check_perfdata_min',
  max: 'kanshi_check_perfdata_max',
} as const;

const HELP: Record<keyof typeof CHECK_FAMILY, string> = {
  status: 'Status of the last check run: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.',
  hardStatus:
    'Hard (confirmed after max_check_attempts) status of the check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.',
  attempt: 'Current check attempt, 1-based; equals max_check_attempts once a problem is hard.',
  duration: 'Run time of the last check run in seconds.',
  perfdata: 'Performance data value of the last check run, in base units.',
  warningLow: 'Lower bound of the warning range of a perfdata item, in base units.',
  warningHigh: 'Upper bound of the warning range of a perfdata item, in base units.',
  criticalLow: 'Lower bound of the critical range of a perfdata item, in base units.',
  criticalHigh: 'Upper bound of the critical range of a perfdata item, in base units.',
  min: 'Minimum possible value of a perfdata item, in base units.',
  max: 'Maximum possible value of a perfdata item, in base units.',
};

/**
 * The series of one check result, as metric families (gauges), in a stable order. Families without
 * samples are left out. Pure; the caller owns the returned arrays.
 */
export function checkResultToFamilies(
  check: string,
  result: CheckResult,
  extra: CheckSeriesExtra = {},
): MetricFamily[] {
  const samples = new Map<keyof typeof CHECK_FAMILY, MetricSample[]>();
  const seen = new Set<string>();
  const add = (key: keyof typeof CHECK_FAMILY, labels: Record<string, string>, value: number): void => {
    if (!Number.isFinite(value)) return;
    const ls: Labels = labelsFromRecord({ ...extra.labels, ...labels, check });
    const id = `${key}\u0000${ls.map((l) => `${l.name}=${l.value}`).join('\u0000')}`;
    if (seen.has(id)) return; // a duplicate perfdata label: the first wins
    seen.add(id);
    const sample: MetricSample = {
      name: CHECK_FAMILY[key],
      labels: ls,
      value,
      ...(extra.timestampMs !== undefined && { timestampMs: extra.timestampMs }),
    };
    const list = samples.get(key);
    if (list) list.push(sample);
    else samples.set(key, [sample]);
  };

  add('status', {}, statusValue(result.status));
  add('hardStatus', {}, statusValue(extra.hardStatus ?? result.status));
  if (extra.attempt !== undefined) add('attempt', {}, extra.attempt);
  add('duration', {}, result.durationMs / 1000);

  for (const p of result.perfdata) {
    const info = unitInfo(p.unit);
    const unit = info.isKnown ? p.baseUnit : p.unit;
    const ls: Record<string, string> = unit === '' ? { label: p.label } : { label: p.label, unit };
    add('perfdata', ls, p.baseValue);
    const bounds = (range: ThresholdRange | undefined, low: 'warningLow' | 'criticalLow'): void => {
      if (!range) return;
      const r = convertRange(range, (n) => toBaseValue(n, info));
      const rl = r.isInside ? { ...ls, range: 'inside' } : ls;
      add(low, rl, r.start);
      add(low === 'warningLow' ? 'warningHigh' : 'criticalHigh', rl, r.end);
    };
    bounds(p.warn, 'warningLow');
    bounds(p.crit, 'criticalLow');
    if (p.min !== undefined) add('min', ls, toBaseValue(p.min, info));
    if (p.max !== undefined) add('max', ls, toBaseValue(p.max, info));
  }

  const out: MetricFamily[] = [];
  for (const key of Object.keys(CHECK_FAMILY) as (keyof typeof CHECK_FAMILY)[]) {
    const list = samples.get(key);
    if (list) out.push({ name: CHECK_FAMILY[key], type: 'gauge', help: HELP[key], samples: list });
  }
  return out;
}
