import type { CheckResult, CheckStatus, PerfDatum, ThresholdRange } from '../model/check.js';
import { statusValue } from '../model/check.js';
import { CommandCheck } from './command-check.js';
import { describeRange, isAlert } from './thresholds.js';

/**
 * What `kanshi check [--json] -- CMD ARGS…` prints for a person writing a check: how Kanshi
 * understood the plugin's exit code and output, every perfdata item with its base value and
 * thresholds in words, whether the value breaches them, and what could not be read.
 */

/** Options of {@link explainCheck}. */
export interface ExplainOptions {
  /** Print the stable JSON object instead of text. */
  isJson?: boolean;
  /** The command as the user typed it, shown first. */
  command?: readonly string[];
  /** Problems found in the output (CommandCheckRun.problems). */
  problems?: readonly string[];
  /** The command's stderr (CommandCheckRun.stderr). */
  stderr?: string;
  /** Colour the status with ANSI escapes (the CLI decides: a TTY and no NO_COLOR). Default false. */
  isColor?: boolean;
}

/** How a perfdata value compares with its thresholds: the worst range it breaches. */
export type Breach = 'CRIT' | 'WARN' | 'ok' | 'unknown' | 'none';

/** A threshold range in the JSON form; null bounds are unbounded (-∞ / +∞). */
export interface ExplainedRange {
  readonly text: string;
  readonly start: number | null;
  readonly end: number | null;
  readonly isInside: boolean;
  readonly words: string;
}

/** One perfdata item in the JSON form. */
export interface ExplainedPerfDatum {
  readonly label: string;
  /** null for the unknown value `U`. */
  readonly value: number | null;
  readonly unit: string;
  readonly baseValue: number | null;
  readonly baseUnit: string;
  readonly warn: ExplainedRange | null;
  readonly crit: ExplainedRange | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly breach: Breach;
}

/** The JSON object of `kanshi check --json`. Keys are stable; new ones may be added. */
export interface ExplainedCheck {
  readonly command: readonly string[] | null;
  readonly status: CheckStatus;
  readonly exitCode: number | null;
  readonly reason: string | null;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly message: string;
  readonly longOutput: string;
  readonly perfdata: readonly ExplainedPerfDatum[];
  readonly problems: readonly string[];
  readonly stderr: string;
}

/** The worst threshold a value breaches: CRIT, WARN, ok, `unknown` for U, `none` without thresholds. */
export function breachOf(p: PerfDatum): Breach {
  if (!p.warn && !p.crit) return 'none';
  if (Number.isNaN(p.value)) return 'unknown';
  if (p.crit && isAlert(p.crit, p.value)) return 'CRIT';
  if (p.warn && isAlert(p.warn, p.value)) return 'WARN';
  return 'ok';
}

/** The JSON form of a result (what `--json` prints, before stringifying). */
export function explainCheckObject(result: CheckResult, opts: ExplainOptions = {}): ExplainedCheck {
  return {
    command: opts.command ? [...opts.command] : null,
    status: result.status,
    exitCode: result.exitCode,
    reason: result.reason ?? null,
    startedAt: new Date(result.startedAtMs).toISOString(),
    durationMs: result.durationMs,
    message: result.message,
    longOutput: result.longOutput,
    perfdata: result.perfdata.map((p) => ({
      label: p.label,
      value: finiteOrNull(p.value),
      unit: p.unit,
      baseValue: finiteOrNull(p.baseValue),
      baseUnit: p.baseUnit,
      warn: p.warn ? rangeObject(p.warn) : null,
      crit: p.crit ? rangeObject(p.crit) : null,
      min: p.min ?? null,
      max: p.max ?? null,
      breach: breachOf(p),
    })),
    problems: [...(opts.problems ?? [])],
    stderr: opts.stderr ?? '',
  };
}

/** The text (or, with `isJson`, the JSON) that explains a check result to its author. */
export function explainCheck(result: CheckResult, opts: ExplainOptions = {}): string {
  if (opts.isJson) return `${JSON.stringify(explainCheckObject(result, opts), null, 2)}\n`;

  const lines: string[] = [];
  if (opts.command) lines.push(`$ ${opts.command.map(shellQuote).join(' ')}`);
  const status = opts.isColor ? colour(result.status) : result.status;
  const exit = result.exitCode === null ? 'no exit code' : `exit code ${result.exitCode}`;
  lines.push(`status:    ${status} (${exit}${result.reason !== undefined ? `; ${result.reason}` : ''})`);
  lines.push(`duration:  ${(result.durationMs / 1000).toFixed(3)}s`);
  lines.push(`message:   ${result.message}`);
  if (result.longOutput !== '') {
    lines.push('long output:');
    for (const l of result.longOutput.split('\n')) lines.push(`  ${l}`);
  }

  if (result.perfdata.length === 0) {
    lines.push('perfdata:  (none)');
  } else {
    lines.push('perfdata:');
    const head = ['label', 'value', 'unit', 'base value', 'warning', 'critical', 'state'];
    const rows = result.perfdata.map((p) => [
      p.label,
      Number.isNaN(p.value) ? 'U' : String(p.value),
      p.unit === '' ? '-' : p.unit,
      Number.isNaN(p.baseValue) ? '-' : `${p.baseValue}${p.baseUnit === '' ? '' : ` ${p.baseUnit}`}`,
      p.warn ? `${describeRange(p.warn)} (${p.warn.text})` : '-',
      p.crit ? `${describeRange(p.crit)} (${p.crit.text})` : '-',
      breachText(breachOf(p)),
    ]);
    for (const row of table([head, ...rows])) lines.push(`  ${row}`);
    const minMax = result.perfdata.filter((p) => p.min !== undefined || p.max !== undefined);
    for (const p of minMax) {
      lines.push(`  ${p.label}: min ${p.min ?? '-'}, max ${p.max ?? '-'} ${p.unit}`.trimEnd());
    }
  }

  const problems = opts.problems ?? [];
  if (problems.length > 0) {
    lines.push('problems:');
    for (const p of problems) lines.push(`  - ${p}`);
  }
  const stderr = (opts.stderr ?? '').trimEnd();
  if (stderr !== '') {
    lines.push('stderr:');
    for (const l of stderr.split('\n')) lines.push(`  ${l}`);
  }
  return `${lines.join('\n')}\n`;
}

function breachText(b: Breach): string {
  switch (b) {
    case 'CRIT':
      return 'CRIT';
    case 'WARN':
      return 'WARN';
    case 'ok':
      return 'ok';
    case 'unknown':
      return 'unknown value';
    case 'none':
      return '-';
  }
}

function rangeObject(r: ThresholdRange): ExplainedRange {
  return {
    text: r.text,
    start: finiteOrNull(r.start),
    end: finiteOrNull(r.end),
    isInside: r.isInside,
    words: describeRange(r),
  };
}

function finiteOrNull(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

/** Left-aligned columns separated by two spaces, trailing spaces trimmed. */
function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

const ANSI: Record<CheckStatus, string> = { OK: '32', WARNING: '33', CRITICAL: '31', UNKNOWN: '35' };

function colour(status: CheckStatus): string {
  return `\u001b[1;${ANSI[status]}m${status}\u001b[0m`;
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Options of {@link explainCommand}. */
export interface ExplainCommandOptions {
  isJson?: boolean;
  isColor?: boolean;
  /** Default 60 000. */
  timeoutMs?: number;
  /** The environment to inherit (the CLI passes process.env). Default: empty. */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  signal?: AbortSignal;
}

/**
 * Runs `command` once as a check and explains the result: the whole of `kanshi check -- CMD ARGS…`
 * except printing. `exitCode` is the status's plugin exit code (0–3), so scripts can use it.
 */
export async function explainCommand(
  command: readonly string[],
  opts: ExplainCommandOptions = {},
): Promise<{ output: string; exitCode: number }> {
  const check = new CommandCheck({
    name: command[0] ?? 'check',
    command,
    timeoutMs: opts.timeoutMs ?? 60_000,
    ...(opts.baseEnv && { baseEnv: opts.baseEnv }),
    ...(opts.cwd !== undefined && { cwd: opts.cwd }),
  });
  const run = await check.execute(opts.signal);
  const output = explainCheck(run.result, {
    command,
    problems: run.problems,
    stderr: run.stderr,
    ...(opts.isJson !== undefined && { isJson: opts.isJson }),
    ...(opts.isColor !== undefined && { isColor: opts.isColor }),
  });
  return { output, exitCode: statusValue(run.result.status) };
}
