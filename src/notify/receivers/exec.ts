import { AppError } from '../../base/errors.js';
import { runCommand } from '../../checks/run-command.js';
import { webhookMessage } from './webhook.js';
import type { ExecConfig } from './schema.js';
import type { Notification, Notifier } from '../types.js';

/**
 * Kanshi's exec receiver: runs a command with the notification as JSON (the webhook payload
 * version 4) on stdin. Exit 0 means delivered; another exit status or a timeout is retried; a
 * command that cannot start is a configuration error and is not.
 */

/** Dependencies of {@link ExecNotifier}. */
export interface ExecNotifierDeps {
  /** The environment the command inherits (the composition root passes process.env). Default: none. */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Working directory of the command (the config file's directory). */
  readonly cwd?: string;
}

/** One `exec_configs` entry. */
export class ExecNotifier implements Notifier {
  readonly kind = 'exec';
  readonly sendResolved: boolean;
  readonly #config: ExecConfig;
  readonly #deps: ExecNotifierDeps;

  constructor(config: ExecConfig, deps: ExecNotifierDeps = {}) {
    this.#config = config;
    this.#deps = deps;
    this.sendResolved = config.send_resolved;
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    const cmd = this.#config.command;
    const name = typeof cmd === 'string' ? cmd : cmd.join(' ');
    const out = await runCommand(cmd, {
      timeoutMs: this.#config.timeout,
      env: {
        ...this.#config.env,
        KANSHI_NOTIFICATION_ID: notification.id,
        KANSHI_RECEIVER: notification.receiver,
        KANSHI_STATUS: notification.status,
      },
      ...(this.#deps.baseEnv !== undefined ? { baseEnv: this.#deps.baseEnv } : {}),
      ...(this.#deps.cwd !== undefined ? { cwd: this.#deps.cwd } : {}),
      stdin: `${JSON.stringify(webhookMessage(notification))}\n`,
      signal,
    });
    if (out.spawnError !== undefined) throw new AppError('bad_input', `exec ${name}: ${out.spawnError}`);
    if (out.isAborted) throw new AppError('canceled', `exec ${name}: canceled`);
    if (out.isTimedOut)
      throw new AppError('timeout', `exec ${name}: timed out after ${this.#config.timeout}ms`);
    if (out.exitCode !== 0) {
      const why =
        out.exitCode !== null ? `exit status ${out.exitCode}` : `killed by ${out.signal ?? 'signal'}`;
      const stderr = out.stderr.trim().slice(0, 200);
      throw new AppError('unavailable', `exec ${name}: ${why}${stderr !== '' ? `: ${stderr}` : ''}`);
    }
  }
}
