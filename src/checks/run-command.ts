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
    let isTimedOut = false;
    let isAborted = false;
    let spawnError: string | undefined;
    let killTimer: NodeJS.Timeout | undefined;

    const killGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // the group is gone already
      }
    };
    const stop = (): void => {
      killGroup('SIGTERM');
      killTimer ??= setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
    };

    const timer = setTimeout(() => {
      isTimedOut = true;
      // A check that overran gets no grace: SIGKILL at once, as Nagios does.
      killGroup('SIGKILL');
    }, options.timeoutMs);
    const onAbort = (): void => {
      isAborted = true;
      stop();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();

    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.on('error', () => {}); // a command that does not read stdin closes it early
    child.stdin.end(options.stdin ?? '');

    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = describeSpawnError(e, file);
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      // Children that outlived the leader (a plugin that backgrounded work) go too.
      if (isTimedOut || isAborted) killGroup('SIGKILL');
      const outcome: CommandOutcome = {
        exitCode: spawnError === undefined ? code : null,
        signal: sig,
        stdout: out.text(),
        stderr: err.text(),
        isTimedOut,
        isAborted,
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
  let pid: number | undefined;
  let isTimedOut = false;
  let isAborted = false;
  /** A kill asked for before the helper told the pid. */
  let pendingKill: NodeJS.Signals | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const killGroup = (sig: NodeJS.Signals): void => {
    if (pid === undefined) {
      if (pendingKill !== 'SIGKILL') pendingKill = sig;
      return;
    }
    try {
      process.kill(-pid, sig);
    } catch {
      // the group is gone already
    }
  };
  const stop = (): void => {
    killGroup('SIGTERM');
    killTimer ??= setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
  };
  const timer = setTimeout(() => {
    isTimedOut = true;
    killGroup('SIGKILL');
  }, options.timeoutMs);
  const onAbort = (): void => {
    isAborted = true;
    stop();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  void helper
    .run({
      file: r.file,
      args: r.args,
      env: r.env,
      cwd: options.cwd,
      maxOutputBytes: r.maxBytes,
      onPid: (p) => {
        pid = p;
        if (pendingKill !== undefined) killGroup(pendingKill);
      },
    })
    .then((h: HelperOutcome) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      if (isTimedOut || isAborted) killGroup('SIGKILL');
      const outcome: CommandOutcome = {
        ...r.base,
        exitCode: h.errnoCode === undefined ? h.exitCode : null,
        signal: h.signal,
        stdout: h.stdout.toString('utf8'),
        stderr: h.stderr.toString('utf8'),
        isTimedOut,
        isAborted,
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
