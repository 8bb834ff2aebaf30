import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Debian's `prometheus` (2.42) as a test peer: started on a free loopback port with an empty
 * config, its own temporary TSDB directory and the remote-write receiver enabled (a plain flag
 * since 2.33, no feature flag), stopped and cleaned up by {@link PromPeer.stop}.
 */

/** Path of Debian's Prometheus server binary (package `prometheus`). */
export const PROMETHEUS_BINARY = '/usr/bin/prometheus';

/** A free TCP port on 127.0.0.1 (closed again before returning; a race is possible but rare). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const addr = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (addr === null || typeof addr === 'string') throw new Error('no free port');
  return addr.port;
}

/** A running Prometheus. */
export interface PromPeer {
  /** e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts Prometheus and waits until `/-/ready` answers 200 (at most `readyTimeoutMs`). */
export async function startPrometheus(
  options: { extraArgs?: readonly string[]; readyTimeoutMs?: number } = {},
): Promise<PromPeer> {
  const dir = await mkdtemp(join(tmpdir(), 'kanshi-prom-'));
  const config = join(dir, 'prometheus.yml');
  await writeFile(config, 'global: {}\n');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--storage.tsdb.retention.time=100y',
      ...(options.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 1_000_000) stderr = stderr.slice(-500_000);
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode}: ${stderr}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`);
      await res.arrayBuffer();
      if (res.ok) return { url, stderr: () => stderr, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`prometheus did not become ready: ${stderr}`);
}
