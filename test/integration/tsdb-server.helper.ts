/**
 * Shared by the store's reliability tests (tsdb-crash, tsdb-diskfull, tsdb-corruption): a real
 * `kanshi server` child process on a free loopback port, and a remote_write client that reports
 * which requests were acknowledged. Needs `npm run build` first (test:interop does it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { labelsFromRecord, type Labels } from '../../src/model/labels.js';
import { encodeWriteRequest } from '../../src/remotewrite/write-request.js';
import { TSDB } from '../../src/tsdb/tsdb.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
const bin = resolve(repoRoot, 'bin/kanshi.js');

/** Whether the compiled CLI exists (the interop project runs after a build). */
export function isBuilt(): boolean {
  return existsSync(resolve(repoRoot, 'dist/cmd/kanshi.js'));
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

/** A running `kanshi server`; `stderr` collects its log lines. */
export interface ServerProcess {
  readonly proc: ChildProcess;
  readonly url: string;
  readonly stderr: () => string;
  /** Resolves with the exit code or signal once it has exited. */
  readonly exited: Promise<string>;
}

/**
 * Starts `node bin/kanshi.js server --listen 127.0.0.1:<port> --data <dataDir>` and waits until
 * `/-/ready` answers 200 (rejects after `timeoutMs`, or when the process exits first).
 */
export async function startKanshi(dataDir: string, port: number, timeoutMs = 30_000): Promise<ServerProcess> {
  const proc = spawn(
    process.execPath,
    [bin, 'server', '--listen', `127.0.0.1:${port}`, '--data', dataDir, '--log-level', 'info'],
    { stdio: ['ignore', 'ignore', 'pipe'], cwd: repoRoot },
  );
  let log = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d: string) => {
    log += d;
    if (log.length > 1 << 20) log = log.slice(-(1 << 19));
  });
  const exited = new Promise<string>((res) =>
    proc.on('exit', (code, signal) => res(signal ?? `exit ${code}`)),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  for (;;) {
    if (hasExited) throw new Error(`kanshi server exited before ready: ${log}`);
    try {
      const r = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`kanshi server not ready after ${timeoutMs} ms: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { proc, url, stderr: () => log, exited };
}

/** The series every reliability test writes: `rel_test{series="0".."n-1"}`. */
export function testSeries(n: number): Labels[] {
  return Array.from({ length: n }, (_, i) =>
    labelsFromRecord({ __name__: 'rel_test', series: String(i), pad: 'x'.repeat(32) }),
  );
}

/** A remote_write body holding one sample per series at `tMs` with value `v`. */
export function writeBody(series: readonly Labels[], tMs: number, v: number): Uint8Array {
  return encodeWriteRequest({
    timeseries: series.map((labels) => ({ labels, samples: [{ timestamp: tMs, value: v }] })),
  });
}

/** POSTs a remote_write body; resolves with the HTTP status, or 0 when the connection failed. */
export async function postWrite(url: string, body: Uint8Array, timeoutMs = 5000): Promise<number> {
  try {
    const r = await fetch(`${url}/api/v1/write`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-protobuf',
        'content-encoding': 'snappy',
        'x-prometheus-remote-write-version': '0.1.0',
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await r.arrayBuffer();
    return r.status;
  } catch {
    return 0;
  }
}

/** What {@link findMissingAcked} read back. */
export interface AckedCheck {
  /** How many `rel_test` series the store holds. */
  readonly seriesCount: number;
  /** The first 20 acknowledged steps a series lacks, as `<series label value> step <n>`. */
  readonly missing: readonly string[];
}

/**
 * Opens the default tenant's store under `dataDir` in-process (the server must have exited) and
 * checks every `rel_test` series (as {@link writeBody} writes them) for each step in `acked`: a
 * sample at `timeOf(step)` (ms) whose value is the step.
 */
export async function findMissingAcked(
  dataDir: string,
  acked: readonly number[],
  timeOf: (step: number) => number,
): Promise<AckedCheck> {
  const db = await TSDB.open(join(dataDir, 'tenants', 'default'));
  try {
    const q = db.querier(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const got = await q.select([{ type: '=', name: '__name__', value: 'rel_test' }]);
    q.close();
    const missing: string[] = [];
    for (const s of got) {
      const have = new Map<number, number>();
      for (const it = s.iterator(); it.next();) have.set(it.atT(), it.atV());
      for (const step of acked)
        if (have.get(timeOf(step)) !== step) missing.push(`${s.labels[2]?.value} step ${step}`);
    }
    return { seriesCount: got.length, missing: missing.slice(0, 20) };
  } finally {
    await db.close();
  }
}
