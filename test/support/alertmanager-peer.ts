import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './prom-peer.js';

/** Debian's Alertmanager binary. */
export const ALERTMANAGER_BINARY = '/usr/bin/prometheus-alertmanager';

/** A running Debian Alertmanager started by {@link startAlertmanager}. */
export interface AlertmanagerPeer {
  readonly child: ChildProcess;
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** What it wrote on stderr so far. */
  stderr(): string;
  /** Sends SIGTERM and resolves once it has exited (at once when it already has). */
  stop(): Promise<void>;
}

/**
 * Starts Alertmanager with `configFile` on a free loopback port, clustering off, state in `storagePath`,
 * and resolves once `/-/ready` answers (rejects with its stderr if it exits or is not ready in 60 s).
 */
export async function startAlertmanager(configFile: string, storagePath: string): Promise<AlertmanagerPeer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let stderr = '';
  const child = spawn(
    ALERTMANAGER_BINARY,
    [
      `--config.file=${configFile}`,
      `--storage.path=${storagePath}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`alertmanager exited with ${child.exitCode}: ${stderr}`);
    try {
      const res = await fetch(`${url}/-/ready`);
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`alertmanager not ready: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  return { child, url, stderr: () => stderr, stop };
}
