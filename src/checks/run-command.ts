import { spawn } from 'node:child_process';
import type { HelperOutcome, SpawnHelper } from './spawn-helper.js';

/**
 * Runs one external command the way check and plugin runners need: its own process group (so a
 * timeout kills the children too), a deadline, bounded output, and a result that is always a value.
 */

/** What to run: an argv list runs without a shell; a string runs with `/bin/sh -c`. */
export type CommandSpec = string | readonly string[];

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  /** Kill the process group after this many milliseconds. */
  timeoutMs: number;
  /** Extra environment variables, over the inherited ones. */
  env?: Readonly<Record<string, string>>;
  /** The environment to inherit (the composition root passes process.env). Default: empty. */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /** Bytes of stdout (and separately stderr) kept; the rest is read and dropped. Default 1 MiB. */
  maxOutputBytes?: number;
  /** Written to the command's stdin, which is then closed. */
  stdin?: string;
  /** Aborting kills the process group. */
  signal?: AbortSignal;
  /** Milliseconds since the epoch (injected clock). Default Date.now. */
  now?: () => number;
  /**
   * Start the command through this helper instead of forking the Node process (see
   * spawn-helper.ts). Default: the one given to {@link useSpawnHelper}, if any. Ignored when
   * `stdin` is set or the helper has exited; the behaviour is the same either way.
   */
  helper?: SpawnHelper | undefined;
}

let defaultHelper: SpawnHelper | undefined;

/**
 * Makes `helper` the default of every later {@link runCommand} in this process (undefined: spawn
 * directly again). Only a composition root calls this (the long-running agent does); the helper's
 * lifetime stays the caller's.
 */
export function useSpawnHelper(helper: SpawnHelper | undefined): void {
  defaultHelper = helper;
}

/** The outcome of one run. Never thrown: a command that could not start has `spawnError`. */
export interface CommandOutcome {
  exitCode: number | null;
  /** The signal that ended the process, if one did. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  isTimedOut: boolean;
  isAborted: boolean;
  /** Set when the command could not be started: 'command not found', 'permission denied', … */
  spawnError?: string;
  /** Whether stdout was cut at maxOutputBytes. */
  isTruncated: boolean;
  startedAtMs: number;
  durationMs: number;
}

/** The default cap on kept output: 1 MiB per stream. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

/** Grace between SIGTERM and SIGKILL when a command is stopped. */
const KILL_GRACE_MS = 1000;

/** Runs `command` and resolves with its outcome; never rejects. */
export function runCommand(command: CommandSpec, options: RunCommandOptions): Promise<CommandOutcome> {
  const now = options.now ?? Date.now;
  const maxBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const startedAtMs = now();
  const started = performance.now();
  const [file, args] =
    typeof command === 'string' ? ['/bin/sh', ['-c', command]] : [command[0] ?? '', command.slice(1)];

  return new Promise((resolve) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.baseEnv ?? {})) if (v !== undefined) env[k] = v;
    Object.assign(env, options.env);

    const base = {
      exitCode: null,
      signal: null,
      stdout: '',
      stderr: '',
      isTimedOut: false,
      isAborted: false,
      isTruncated: false,
      startedAtMs,
    };
    if (file === '') {
      resolve({ ...base, spawnError: 'empty command', durationMs: 0 });
      return;
    }
    const helper = options.helper ?? defaultHelper;
    if (
      helper?.isAlive === true &&
      options.stdin === undefined &&
      // NUL cannot pass through exec(2); spawn reports it as it always did.
      ![file, ...args, ...Object.entries(env).flat(), options.cwd ?? ''].some((x) => x.includes('\0'))
    ) {
      runWithHelper(helper, { file, args, env, maxBytes, started, base, options, resolve });
      return;
    }

    const child = spawn(file, args, {
      cwd: options.cwd,
      env,
      detached: true, // its own process group, so a kill reaches the children
      stdio: ['pipe', 'pipe', 'pipe'],
    });

    const out = new BoundedBuffer(maxBytes);
    const err = new BoundedBuffer(maxBytes);
    let spawnError: string | undefined;
    const guard = new GroupGuard(options.timeoutMs, options.signal);
    if (child.pid !== undefined) guard.setPid(child.pid);

    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.on('error', () => {}); // a command that does not read stdin closes it early
    child.stdin.end(options.stdin ?? '');

    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = describeSpawnError(e, file);
    });
    child.on('close', (code, sig) => {
      guard.finish();
      const outcome: CommandOutcome = {
        exitCode: spawnError === undefined ? code : null,
        signal: sig,
        stdout: out.text(),
        stderr: err.text(),
        isTimedOut: guard.isTimedOut,
        isAborted: guard.isAborted,
        isTruncated: out.isTruncated,
        startedAtMs,
        durationMs: performance.now() - started,
      };
      if (spawnError !== undefined) outcome.spawnError = spawnError;
      resolve(outcome);
    });
  });
}

/** runCommand's timeout, abort and kill handling around a command the helper starts. */
function runWithHelper(
  helper: SpawnHelper,
  r: {
    file: string;
    args: readonly string[];
    env: Record<string, string>;
    maxBytes: number;
    started: number;
    base: Omit<CommandOutcome, 'durationMs'>;
    options: RunCommandOptions;
    resolve: (o: CommandOutcome) => void;
  },
): void {
  const { options } = r;
  const guard = new GroupGuard(options.timeoutMs, options.signal);

  void helper
    .run({
      file: r.file,
      args: r.args,
      env: r.env,
      cwd: options.cwd,
      maxOutputBytes: r.maxBytes,
      onPid: (p) => guard.setPid(p),
    })
    .then((h: HelperOutcome) => {
      guard.finish();
      const outcome: CommandOutcome = {
        ...r.base,
        exitCode: h.errnoCode === undefined ? h.exitCode : null,
        signal: h.signal,
        stdout: h.stdout.toString('utf8'),
        stderr: h.stderr.toString('utf8'),
        isTimedOut: guard.isTimedOut,
        isAborted: guard.isAborted,
        isTruncated: h.isTruncated,
        durationMs: performance.now() - r.started,
      };
      if (h.errnoCode !== undefined) {
        outcome.spawnError =
          h.errnoCode === 'EHELPER'
            ? `cannot run ${r.file}: the spawn helper exited`
            : describeSpawnError(
                { code: h.errnoCode, message: h.errnoCode } as NodeJS.ErrnoException,
                r.file,
              );
      }
      r.resolve(outcome);
    });
}

/**
 * The deadline, abort and kill policy of one command running in its own process group: at the
 * timeout SIGKILL at once (a check that overran gets no grace, as Nagios does); on abort SIGTERM,
 * then SIGKILL after {@link KILL_GRACE_MS}. A kill asked for before the group's pid is known is
 * kept (SIGKILL over SIGTERM) and sent once {@link setPid} tells it. Starts on construction;
 * {@link finish} must be called once the command has exited.
 */
class GroupGuard {
  isTimedOut = false;
  isAborted = false;
  readonly #signal: AbortSignal | undefined;
  readonly #timer: NodeJS.Timeout;
  #pid: number | undefined;
  /** A kill asked for before the pid was known. */
  #pendingKill: NodeJS.Signals | undefined;
  #killTimer: NodeJS.Timeout | undefined;
  readonly #onAbort = (): void => {
    this.isAborted = true;
    this.#kill('SIGTERM');
    this.#killTimer ??= setTimeout(() => this.#kill('SIGKILL'), KILL_GRACE_MS);
  };

  constructor(timeoutMs: number, signal: AbortSignal | undefined) {
    this.#signal = signal;
    this.#timer = setTimeout(() => {
      this.isTimedOut = true;
      this.#kill('SIGKILL');
    }, timeoutMs);
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (signal?.aborted) this.#onAbort();
  }

  /** The process group's id (the leader's pid); sends a kill asked for before it was known. */
  setPid(pid: number): void {
    this.#pid = pid;
    if (this.#pendingKill !== undefined) this.#kill(this.#pendingKill);
  }

  /**
   * Stops the timers and the abort listener; after a timeout or abort, SIGKILLs the group again so
   * children that outlived the leader (a plugin that backgrounded work) go too.
   */
  finish(): void {
    clearTimeout(this.#timer);
    if (this.#killTimer) clearTimeout(this.#killTimer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
    if (this.isTimedOut || this.isAborted) this.#kill('SIGKILL');
  }

  #kill(sig: NodeJS.Signals): void {
    if (this.#pid === undefined) {
      if (this.#pendingKill !== 'SIGKILL') this.#pendingKill = sig;
      return;
    }
    try {
      process.kill(-this.#pid, sig);
    } catch {
      // the group is gone already
    }
  }
}

function describeSpawnError(e: NodeJS.ErrnoException, file: string): string {
  switch (e.code) {
    case 'ENOENT':
      return `command not found: ${file}`;
    case 'EACCES':
      return `permission denied: ${file}`;
    default:
      return `cannot run ${file}: ${e.message}`;
  }
}

/** Keeps the first `max` bytes pushed into it, counting the rest. */
class BoundedBuffer {
  readonly #max: number;
  readonly #chunks: Buffer[] = [];
  #size = 0;
  isTruncated = false;

  constructor(max: number) {
    this.#max = max;
  }

  push(chunk: Buffer): void {
    const room = this.#max - this.#size;
    if (room <= 0) {
      this.isTruncated = true;
      return;
    }
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept.length < chunk.length) this.isTruncated = true;
    this.#chunks.push(kept);
    this.#size += kept.length;
  }

  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}
