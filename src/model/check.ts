/**
 * Check results: the Nagios plugin API's vocabulary, shared by Mackerel and Sensu checks.
 * See https://nagios-plugins.org/doc/guidelines.html#AEN78 (return codes) and #AEN200 (perfdata).
 */

/** The four states of the plugin API. */
export type CheckStatus = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

/** All statuses in exit-code order. */
export const CHECK_STATUSES: readonly CheckStatus[] = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];

/** Exit code 0–3 → status; any other code is UNKNOWN. */
export function statusFromExitCode(code: number): CheckStatus {
  return CHECK_STATUSES[code] ?? 'UNKNOWN';
}

/** The numeric value stored in `kanshi_check_status` (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN). */
export function statusValue(status: CheckStatus): number {
  return CHECK_STATUSES.indexOf(status);
}

/** Whether `s` names a status (case-sensitive, as the config and API spell them). */
export function isCheckStatus(s: string): s is CheckStatus {
  return (CHECK_STATUSES as readonly string[]).includes(s);
}

/**
 * A threshold range of the plugin guidelines (`10`, `10:`, `~:10`, `10:20`, `@10:20`): the check
 * alerts when the value is outside [start, end], or inside it when `isInside` (the `@` form).
 * Endpoints are inclusive; `start` may be -Infinity (`~`), `end` Infinity (empty).
 */
export interface ThresholdRange {
  readonly start: number;
  readonly end: number;
  readonly isInside: boolean;
  /** The range as written. */
  readonly text: string;
}

/** One perfdata item: `'label'=value[UOM];[warn];[crit];[min];[max]`. */
export interface PerfDatum {
  readonly label: string;
  /** The value as printed, in `unit`. */
  readonly value: number;
  /** The unit of measure as printed ('' when none). */
  readonly unit: string;
  /** The value in base units (seconds, bytes, ratio 0–100 for %, as-is otherwise). */
  readonly baseValue: number;
  /** 'seconds', 'bytes', 'percent', 'counter' or ''. */
  readonly baseUnit: '' | 'seconds' | 'bytes' | 'percent' | 'counter';
  readonly warn?: ThresholdRange;
  readonly crit?: ThresholdRange;
  readonly min?: number;
  readonly max?: number;
}

/** What one run of a check produced. Always produced: a failing target is a status. */
export interface CheckResult {
  readonly status: CheckStatus;
  /** The first line of output, before any `|`. */
  readonly message: string;
  /** Output after the first line, perfdata removed. */
  readonly longOutput: string;
  readonly perfdata: readonly PerfDatum[];
  /** Start of the run, ms since the epoch. */
  readonly startedAtMs: number;
  readonly durationMs: number;
  /** The process's exit code, when it exited (null when killed, timed out, or not a command). */
  readonly exitCode: number | null;
  /** Why the status was not taken from an exit code, when it was not ('timeout', 'signal SIGKILL', …). */
  readonly reason?: string;
}
