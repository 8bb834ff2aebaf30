import type { Logger } from '../base/logger.js';
import { nullLogger } from '../base/logger.js';
import type { CheckResult, CheckStatus } from '../model/check.js';
import type { CommandSpec } from './run-command.js';
import { runCommand } from './run-command.js';

/**
 * The state of one check across runs, as Nagios defines it ("State Types",
 * https://assets.nagios.com/downloads/nagioscore/docs/nagioscore/4/en/statetypes.html):
 *
 * - A non-OK result after OK starts a SOFT state at attempt 1. Further non-OK results count
 *   attempts; at `maxCheckAttempts` the state becomes HARD (a hard state change). With
 *   maxCheckAttempts 1 the first non-OK result is already HARD.
 * - While SOFT and non-OK the check is re-run after `retryIntervalMs`, otherwise after `intervalMs`.
 * - In a HARD non-OK state a different non-OK status (WARNING → CRITICAL) is a hard change at once.
 * - OK after a SOFT problem is a soft recovery (the hard status stayed OK); OK after a HARD problem
 *   is a hard recovery (a hard change). Either way the attempt counter goes back to 1.
 * - Before the first result the check is taken to be OK/HARD, as Nagios assumes.
 *
 * The optional action command mirrors mackerel-agent's `action`: it runs with the statuses in its
 * environment, in the background, bounded by a timeout; its failure is logged, never thrown.
 */

/** SOFT while a problem has not yet been confirmed by maxCheckAttempts results; HARD otherwise. */
export type StateType = 'SOFT' | 'HARD';

/** The action command of a check (mackerel-agent's `action`). */
export interface CheckActionOptions {
  command: CommandSpec;
  /** Default 30 000 (mackerel-agent's default). */
  timeoutMs?: number;
  /** Extra environment variables of the action, under the KANSHI_/MACKEREL_ ones. */
  env?: Readonly<Record<string, string>>;
  /** The environment to inherit (the composition root passes process.env). Default: empty. */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /**
   * When to run: 'change' (default) when the status differs from the previous result's, including
   * the first result after start; 'every' after every result, as mackerel-agent does.
   */
  runOn?: 'change' | 'every';
}

/** Options of {@link CheckState}. */
export interface CheckStateOptions {
  /** The check's name (KANSHI_CHECK_NAME, and the `check` of reports). */
  name: string;
  /** Delay between runs while OK or HARD, in milliseconds (Nagios `check_interval`). */
  intervalMs: number;
  /** Delay between runs while SOFT non-OK (Nagios `retry_interval`). Default `intervalMs`. */
  retryIntervalMs?: number;
  /** Results needed to turn a problem HARD (Nagios/Mackerel `max_check_attempts`). Default 1. */
  maxCheckAttempts?: number;
  action?: CheckActionOptions;
  /** Free text shown with alerts (Mackerel `memo`); carried on reports. */
  memo?: string;
  /** Keep the alert open when the check recovers (Mackerel `prevent_alert_auto_close`). Default false. */
  preventAlertAutoClose?: boolean;
  /** Re-notify an open alert this often (Mackerel `notification_interval`), in milliseconds. */
  notificationIntervalMs?: number;
  logger?: Logger;
}

/** What one result did to the check's state; what the agent ships and the server alerts on. */
export interface CheckReport {
  readonly check: string;
  readonly result: CheckResult;
  /** The result's status. */
  readonly status: CheckStatus;
  /** The previous result's status; null for the first result. */
  readonly previousStatus: CheckStatus | null;
  readonly hardStatus: CheckStatus;
  readonly previousHardStatus: CheckStatus;
  readonly stateType: StateType;
  /** 1-based; equals maxCheckAttempts once a problem is HARD. */
  readonly attempt: number;
  readonly maxCheckAttempts: number;
  /** Whether the status differs from the previous result's (true for the first result). */
  readonly isStatusChange: boolean;
  /** Whether the hard status changed with this result. */
  readonly isHardChange: boolean;
  readonly memo?: string;
  readonly preventAlertAutoClose: boolean;
  readonly notificationIntervalMs?: number;
}

/** Default timeout of an action command: mackerel-agent's 30 s. */
export const DEFAULT_ACTION_TIMEOUT_MS = 30_000;

/**
 * The soft/hard state machine of one check. Not safe for concurrent `record` calls from several
 * runners of the same check (there is one runner per check). Call {@link close} at shutdown to wait
 * for running actions.
 */
export class CheckState {
  readonly name: string;
  readonly #options: CheckStateOptions;
  readonly #maxAttempts: number;
  readonly #log: Logger;
  readonly #pending = new Set<Promise<void>>();

  #status: CheckStatus = 'OK';
  #previousStatus: CheckStatus | null = null;
  #hardStatus: CheckStatus = 'OK';
  #stateType: StateType = 'HARD';
  #attempt = 1;
  #isHardChange = false;

  constructor(options: CheckStateOptions) {
    this.name = options.name;
    this.#options = options;
    this.#maxAttempts = Math.max(1, Math.floor(options.maxCheckAttempts ?? 1));
    this.#log = (options.logger ?? nullLogger).child({ check: options.name });
  }

  /** The last result's status (OK before any). */
  get status(): CheckStatus {
    return this.#status;
  }
  /** The confirmed status (OK before any). */
  get hardStatus(): CheckStatus {
    return this.#hardStatus;
  }
  get stateType(): StateType {
    return this.#stateType;
  }
  /** The current attempt, 1-based. */
  get attempt(): number {
    return this.#attempt;
  }
  /** Whether the last recorded result changed the hard status. */
  get isHardChange(): boolean {
    return this.#isHardChange;
  }

  /** Milliseconds until the next run: retryIntervalMs while SOFT non-OK, intervalMs otherwise. */
  nextDelayMs(): number {
    if (this.#stateType === 'SOFT' && this.#status !== 'OK') {
      return this.#options.retryIntervalMs ?? this.#options.intervalMs;
    }
    return this.#options.intervalMs;
  }

  /** Records one result, starts the action when due, and returns what changed. */
  record(result: CheckResult): CheckReport {
    const status = result.status;
    const previousStatus = this.#previousStatus;
    const previousHardStatus = this.#hardStatus;
    const wasStatus = this.#status;

    if (status === 'OK') {
      this.#hardStatus = 'OK';
      this.#stateType = 'HARD';
      this.#attempt = 1;
    } else if (wasStatus === 'OK') {
      this.#attempt = 1;
      this.#stateType = this.#maxAttempts <= 1 ? 'HARD' : 'SOFT';
    } else if (this.#stateType === 'SOFT') {
      this.#attempt = Math.min(this.#attempt + 1, this.#maxAttempts);
      if (this.#attempt >= this.#maxAttempts) this.#stateType = 'HARD';
    }
    // In a HARD state the hard status follows every result.
    if (this.#stateType === 'HARD') this.#hardStatus = status;
    this.#status = status;
    this.#previousStatus = status;
    this.#isHardChange = this.#hardStatus !== previousHardStatus;

    const o = this.#options;
    const report: CheckReport = {
      check: this.name,
      result,
      status,
      previousStatus,
      hardStatus: this.#hardStatus,
      previousHardStatus,
      stateType: this.#stateType,
      attempt: this.#attempt,
      maxCheckAttempts: this.#maxAttempts,
      isStatusChange: status !== previousStatus,
      isHardChange: this.#isHardChange,
      ...(o.memo !== undefined && { memo: o.memo }),
      preventAlertAutoClose: o.preventAlertAutoClose ?? false,
      ...(o.notificationIntervalMs !== undefined && { notificationIntervalMs: o.notificationIntervalMs }),
    };
    if (o.action && (report.isStatusChange || o.action.runOn === 'every'))
      this.#startAction(o.action, report);
    return report;
  }

  /** Resolves when every action started so far has finished. Never rejects. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /** Waits for running actions (each is bounded by its timeout). */
  close(): Promise<void> {
    return this.settled();
  }

  #startAction(action: CheckActionOptions, report: CheckReport): void {
    // mackerel-agent passes the whole stdout; ours without perfdata: message, then long output.
    const { message, longOutput } = report.result;
    const text = longOutput === '' ? message : `${message}\n${longOutput}`;
    const env = {
      ...action.env,
      KANSHI_CHECK_NAME: this.name,
      KANSHI_STATUS: report.status,
      KANSHI_PREVIOUS_STATUS: report.previousStatus ?? '',
      KANSHI_CHECK_MESSAGE: text,
      KANSHI_HARD_STATUS: report.hardStatus,
      KANSHI_STATE_TYPE: report.stateType,
      KANSHI_ATTEMPT: String(report.attempt),
      MACKEREL_STATUS: report.status,
      MACKEREL_PREVIOUS_STATUS: report.previousStatus ?? '',
      MACKEREL_CHECK_MESSAGE: text,
    };
    const timeoutMs = action.timeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS;
    const run = runCommand(action.command, {
      timeoutMs,
      env,
      ...(action.baseEnv && { baseEnv: action.baseEnv }),
      ...(action.cwd !== undefined && { cwd: action.cwd }),
      maxOutputBytes: 64 * 1024,
    }).then(
      (out) => {
        const fields = { status: report.status, exitCode: out.exitCode, stderr: out.stderr.slice(0, 1024) };
        if (out.spawnError !== undefined) {
          this.#log.warn({ ...fields, error: out.spawnError }, 'check action could not start');
        } else if (out.isTimedOut) {
          this.#log.warn({ ...fields, timeoutMs }, 'check action timed out');
        } else if (out.exitCode !== 0) {
          this.#log.warn(fields, 'check action failed');
        } else {
          this.#log.debug(fields, 'check action ran');
        }
      },
      (err: unknown) => {
        // runCommand never rejects; this is for a bug in it, which must not take the agent down.
        this.#log.error({ err }, 'check action crashed');
      },
    );
    const tracked = run.finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }
}
