/**
 * What was last sent per aggregation group and receiver (Alertmanager's notification log, nflog), and
 * the deduplication decision made from it (notify.go `DedupStage.needsUpdate`). In memory: a restart
 * forgets it, so the first flush after a restart may resend once (the delivery queue dedupes what it
 * already delivered).
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
}

function key(groupKey: string, receiver: string): string {
  return `${receiver}\u0000${groupKey}`;
}
