import { spawn } from 'node:child_process';

/**
 * The kill -9 harness of the crash-loop interop tests (tsdb-crash, metadata-crash): a writer child
 * process (a TypeScript file run through tsx) writes from a given step on and reports on stdout,
 * one line each:
 *
 * - `ready` once its store is open, and then
 * - `ack <step>` once everything up to and including `<step>` is durable — the moment a server
 *   would answer 2xx.
 *
 * The parent kills it with SIGKILL at a chosen moment after `ready`, then reopens the store itself
 * and checks that every acknowledged step survived. The child runs until killed.
 */

/** Child side: tells the parent the store is open (starts its kill timer). */
export function reportReady(): void {
  process.stdout.write('ready\n');
}

/** Child side: tells the parent every step up to and including `step` is durable. */
export function reportAcked(step: number): void {
  process.stdout.write(`ack ${step}\n`);
}

/** Input of {@link runWriterAndKill}. */
export interface CrashWriterRun {
  /** Absolute path of the writer's .ts file; run as `node --import tsx <child> <dir> <from>`. */
  readonly child: string;
  /** The store's directory, passed as argv[2]. */
  readonly dir: string;
  /** The first step to write, passed as argv[3]. */
  readonly from: number;
  /** Milliseconds after `ready` at which the child is sent SIGKILL. */
  readonly killAfterMs: number;
}

/**
 * Runs a writer child (protocol above) and kills it with SIGKILL `killAfterMs` after it reported
 * `ready`. Resolves with the last acknowledged step (`from - 1` when none was); rejects with its
 * stderr when the child exits other than by that SIGKILL.
 */
export function runWriterAndKill(run: CrashWriterRun): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', run.child, run.dir, String(run.from)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let acked = run.from - 1;
    let buf = '';
    let stderr = '';
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (d: string) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) {
        if (l === 'ready') setTimeout(() => p.kill('SIGKILL'), run.killAfterMs);
        else if (l.startsWith('ack ')) acked = Number(l.slice(4));
      }
    });
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolvePromise(acked);
      else reject(new Error(`writer exited with ${code}: ${stderr}`));
    });
  });
}
