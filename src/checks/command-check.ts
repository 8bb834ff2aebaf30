import { formatDuration } from '../base/duration.js';
import type { CheckResult, CheckStatus } from '../model/check.js';
import { statusFromExitCode } from '../model/check.js';
import type { Check } from './check.js';
import { parsePluginOutput } from './plugin-output.js';
import type { CommandOutcome, CommandSpec } from './run-command.js';
import { DEFAULT_MAX_OUTPUT_BYTES, runCommand } from './run-command.js';

/**
 * A Nagios-plugin-API check: runs a command and reads its exit code (0 OK, 1 WARNING, 2 CRITICAL,
 * 3 UNKNOWN) and its output (message, long output, perfdata). Mackerel and Sensu check plugins
 * speak the same API, so they run here unchanged.
 */

/** Options of {@link CommandCheck}. */
export interface CommandCheckOptions {
  /** The check's name, as configured (becomes the `check` label of its series). */
  name: string;
  /** What to run: an argv list without a shell, or a string for `/bin/sh -c`. */
  command: CommandSpec;
  /** Kill the command's process group after this many milliseconds. */
  timeoutMs: number;
  /** The status of a run that timed out. Default CRITICAL (Nagios 4's service_check_timeout_state). */
  timeoutStatus?: CheckStatus;
  /**
   * Extra environment variables, over `baseEnv`. `LC_NUMERIC=C` is set under them (as Icinga does)
   * so plugins print decimal points, not a locale's commas; `env` may override it.
   */
  env?: Readonly<Record<string, string>>;
  /** The environment to inherit (the composition root passes process.env). Default: empty. */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /** Bytes of stdout kept per run (default runCommand's 1 MiB). */
  maxOutputBytes?: number;
  /** Milliseconds since the epoch (injected clock). Default Date.now. */
  now?: () => number;
}

/** One run of a command check with what a person debugging it also wants to see. */
export interface CommandCheckRun {
  readonly result: CheckResult;
  /** Problems found in the output (unreadable perfdata, output cut short); not part of the status. */
  readonly problems: readonly string[];
  /** The command's stderr (not part of the result: Nagios reads stdout only). */
  readonly stderr: string;
}

/** The message of a run whose plugin printed nothing (Nagios says "(No output returned from plugin)"). */
export const NO_OUTPUT_MESSAGE = '(no output)';

/**
 * Runs a command as a check. Stateless between runs and safe to run concurrently with itself
 * (the scheduler decides whether it may overlap).
 */
export class CommandCheck implements Check {
  readonly name: string;
  readonly #options: CommandCheckOptions;

  constructor(options: CommandCheckOptions) {
    this.name = options.name;
    this.#options = options;
  }

  /** Runs the command once; always resolves, UNKNOWN when aborted. */
  async run(signal: AbortSignal): Promise<CheckResult> {
    return (await this.execute(signal)).result;
  }

  /** Like {@link run}, keeping stderr and the output's problems (for `kanshi check`). */
  async execute(signal?: AbortSignal): Promise<CommandCheckRun> {
    const o = this.#options;
    const outcome = await runCommand(o.command, {
      timeoutMs: o.timeoutMs,
      env: { LC_NUMERIC: 'C', ...o.env },
      ...(o.baseEnv && { baseEnv: o.baseEnv }),
      ...(o.cwd !== undefined && { cwd: o.cwd }),
      ...(o.maxOutputBytes !== undefined && { maxOutputBytes: o.maxOutputBytes }),
      ...(o.now && { now: o.now }),
      ...(signal && { signal }),
    });
    return resultFromOutcome(outcome, {
      timeoutMs: o.timeoutMs,
      timeoutStatus: o.timeoutStatus ?? 'CRITICAL',
      ...(o.maxOutputBytes !== undefined && { maxOutputBytes: o.maxOutputBytes }),
    });
  }
}

/**
 * The check result of a finished command: exit 0–3 gives the status; any other code, death by a
 * signal, an abort or a failure to start gives UNKNOWN with the reason in the message and in
 * `reason`; a timeout gives `timeoutStatus`. Pure; exported for tests and for other runners.
 */
export function resultFromOutcome(
  outcome: CommandOutcome,
  options: { timeoutMs: number; timeoutStatus: CheckStatus; maxOutputBytes?: number },
): CommandCheckRun {
  const out = parsePluginOutput(outcome.stdout);
  const problems = [...out.problems];
  if (outcome.isTruncated) {
    problems.push(`output cut at ${options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES} bytes`);
  }
  const base = {
    longOutput: out.longOutput,
    perfdata: out.perfdata,
    startedAtMs: outcome.startedAtMs,
    durationMs: outcome.durationMs,
    exitCode: outcome.exitCode,
  };
  const firstLine = out.message !== '' ? out.message : firstNonEmptyLine(outcome.stderr);
  const withOutput = (m: string): string => (firstLine === '' ? m : `${m}: ${firstLine}`);

  let result: CheckResult;
  if (outcome.spawnError !== undefined) {
    result = { ...base, status: 'UNKNOWN', message: outcome.spawnError, reason: outcome.spawnError };
  } else if (outcome.isTimedOut) {
    result = {
      ...base,
      status: options.timeoutStatus,
      message: `check timed out after ${formatDuration(options.timeoutMs)}`,
      longOutput: joinNonEmpty(out.message, out.longOutput),
      reason: 'timeout',
    };
  } else if (outcome.isAborted) {
    result = { ...base, status: 'UNKNOWN', message: 'check aborted', reason: 'aborted' };
  } else if (outcome.exitCode === null) {
    const sig = outcome.signal ?? 'unknown';
    result = {
      ...base,
      status: 'UNKNOWN',
      message: withOutput(`check killed by signal ${sig}`),
      reason: `signal ${sig}`,
    };
  } else if (outcome.exitCode < 0 || outcome.exitCode > 3) {
    result = {
      ...base,
      status: 'UNKNOWN',
      message: withOutput(`exit code ${outcome.exitCode} is out of bounds`),
      reason: `exit code ${outcome.exitCode}`,
    };
  } else {
    result = {
      ...base,
      status: statusFromExitCode(outcome.exitCode),
      message: out.message === '' ? NO_OUTPUT_MESSAGE : out.message,
    };
  }
  return { result, problems, stderr: outcome.stderr };
}

function firstNonEmptyLine(s: string): string {
  for (const line of s.split('\n')) if (line.trim() !== '') return line.trim();
  return '';
}

function joinNonEmpty(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('\n');
}
