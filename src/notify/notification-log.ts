import { readFile } from 'node:fs/promises';
import { errorMessage } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import { writeFileDurably } from '../wal/durable-file.js';

/**
 * What was last sent per aggregation group and receiver (Alertmanager's notification log, nflog), and
 * the deduplication decision made from it (notify.go `DedupStage.needsUpdate`). Like Alertmanager's,
 * the log can be kept in a file across restarts ({@link saveNotificationLog}), so alerts re-sent by
 * their producers after a restart are not notified again before their repeat interval.
 */

/** One entry: the alerts of the last notification, by fingerprint. */
export interface NotificationLogEntry {
  readonly firing: ReadonlySet<string>;
  readonly resolved: ReadonlySet<string>;
  /** When the notification was sent (ms). */
  readonly atMs: number;
}

function isSubset(set: ReadonlySet<string>, subset: ReadonlySet<string>): boolean {
  for (const k of subset) if (!set.has(k)) return false;
  return true;
}

/**
 * Whether a flush with these firing/resolved fingerprints must notify: when nothing was sent yet and
 * something fires; when a new alert fires; when everything resolved and something had fired (even
 * without send_resolved, so the log forgets the firing ones); with send_resolved, when a new alert
 * resolved; otherwise once `repeatIntervalMs` has passed since the last notification.
 */
export function needsUpdate(
  entry: NotificationLogEntry | undefined,
  firing: ReadonlySet<string>,
  resolved: ReadonlySet<string>,
  options: { sendResolved: boolean; repeatIntervalMs: number; nowMs: number },
): boolean {
  if (entry === undefined) return firing.size > 0;
  if (!isSubset(entry.firing, firing)) return true;
  if (firing.size === 0) return entry.firing.size > 0;
  if (options.sendResolved && !isSubset(entry.resolved, resolved)) return true;
  return entry.atMs < options.nowMs - options.repeatIntervalMs;
}

/** The log: entries by group key and receiver, kept for `retentionMs` after their last update. */
export class NotificationLog {
  readonly #entries = new Map<string, NotificationLogEntry>();
  readonly #retentionMs: number;

  /** `retentionMs`: Alertmanager's `--data.retention`, 120 h by default. */
  constructor(retentionMs = 120 * 3_600_000) {
    this.#retentionMs = retentionMs;
  }

  get(groupKey: string, receiver: string): NotificationLogEntry | undefined {
    return this.#entries.get(key(groupKey, receiver));
  }

  /** Records a notification handed to delivery. */
  log(groupKey: string, receiver: string, entry: NotificationLogEntry): void {
    this.#entries.set(key(groupKey, receiver), entry);
  }

  /** Drops entries older than the retention at `nowMs`; returns how many. */
  gc(nowMs: number): number {
    let n = 0;
    for (const [k, e] of this.#entries) {
      if (e.atMs + this.#retentionMs <= nowMs) {
        this.#entries.delete(k);
        n++;
      }
    }
    return n;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The entries as plain data, for {@link saveNotificationLog}. */
  snapshot(): NotificationLogSnapshot {
    return {
      entries: [...this.#entries].map(([k, e]) => {
        const [receiver = '', groupKey = ''] = k.split('\u0000');
        return { receiver, groupKey, firing: [...e.firing], resolved: [...e.resolved], atMs: e.atMs };
      }),
    };
  }

  /** Adds the entries of a snapshot (a later entry for the same key wins). */
  restore(snap: NotificationLogSnapshot): void {
    for (const e of snap.entries) {
      this.log(e.groupKey, e.receiver, {
        firing: new Set(e.firing),
        resolved: new Set(e.resolved),
        atMs: e.atMs,
      });
    }
  }
}

/** The file form of the log: `{"version":1,"entries":[{receiver,groupKey,firing,resolved,atMs}]}`. */
export interface NotificationLogSnapshot {
  readonly entries: readonly {
    readonly receiver: string;
    readonly groupKey: string;
    readonly firing: readonly string[];
    readonly resolved: readonly string[];
    readonly atMs: number;
  }[];
}

/**
 * Writes the log to `file` atomically (temp file, fsync, rename, directory fsync), creating its directory
 * when missing. Rejects on I/O errors.
 */
export async function saveNotificationLog(file: string, log: NotificationLog): Promise<void> {
  await writeFileDurably(file, JSON.stringify({ version: 1, ...log.snapshot() }), {
    mode: 0o600,
    isMkdir: true,
  });
}

/**
 * Reads a log saved by {@link saveNotificationLog}; an empty log when the file does not exist. A file
 * that cannot be read or parsed is logged and ignored (the first flushes may then notify again).
 */
export async function loadNotificationLog(file: string, logger: Logger): Promise<NotificationLog> {
  const log = new NotificationLog();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      logger.error(
        { path: file, err: errorMessage(e) },
        'cannot read the notification log; starting without it',
      );
    }
    return log;
  }
  try {
    const data = JSON.parse(text) as { version?: unknown; entries?: unknown };
    if (data.version !== 1 || !Array.isArray(data.entries))
      throw new Error(`unknown format version ${String(data.version)}`);
    type Entry = NotificationLogSnapshot['entries'][number];
    const isEntry = (e: Partial<Record<keyof Entry, unknown>>): boolean =>
      typeof e.receiver === 'string' &&
      typeof e.groupKey === 'string' &&
      Array.isArray(e.firing) &&
      Array.isArray(e.resolved) &&
      typeof e.atMs === 'number';
    const entries = (data.entries as Partial<Record<keyof Entry, unknown>>[]).filter(isEntry) as Entry[];
    log.restore({ entries });
  } catch (e) {
    logger.error(
      { path: file, err: errorMessage(e) },
      'cannot parse the notification log; starting without it',
    );
  }
  return log;
}

function key(groupKey: string, receiver: string): string {
  return `${receiver}\u0000${groupKey}`;
}
