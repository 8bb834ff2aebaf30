import type { CheckResult } from '../model/check.js';

/**
 * A check: something that yields a status. Implementations: a Nagios/Mackerel command, an HTTP or
 * TCP probe. `run` always resolves with a CheckResult (a failing target is a status, never an
 * exception); aborting the signal stops the work and resolves with UNKNOWN.
 */
export interface Check {
  readonly name: string;
  run(signal: AbortSignal): Promise<CheckResult>;
}
