import { systemClock, type Clock } from '../../base/clock.js';
import { errorMessage } from '../../base/errors.js';
import { nullLogger, type Logger } from '../../base/logger.js';
import { SqliteAlertHistory } from './alert-history.js';
import { SqliteCheckResultStore } from './check-history.js';
import { MetadataDb } from './db.js';

/**
 * The server's metadata store in one object: the SQLite file, the alert history and the
 * check-result history over it, and the retention loop. The composition root opens it, hands its
 * parts to the pipeline and the API, runs {@link MetadataStore.run} and closes it last.
 */

/** Options of {@link openMetadataStore}. */
export interface MetadataStoreOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Alert events and ended incidents older than this are deleted. Default 400 days. */
  readonly alertHistoryRetentionMs?: number;
  /** Check results older than this are deleted (the latest per check is kept). Default 90 days. */
  readonly checkHistoryRetentionMs?: number;
  /** How often {@link MetadataStore.run} applies retention, ms. Default one hour. */
  readonly retentionIntervalMs?: number;
}

/** An open metadata store. */
export interface MetadataStore {
  readonly db: MetadataDb;
  /** Where the notification pipeline records alert timelines; also the history API's reader. */
  readonly alertHistory: SqliteAlertHistory;
  /** The agent API's check-result store; also the history and availability API's reader. */
  readonly checkResults: SqliteCheckResultStore;
  /** Applies retention now and then every `retentionIntervalMs` until `signal` aborts; never rejects. */
  run(signal: AbortSignal): Promise<void>;
  /** Applies retention once; returns the rows deleted. */
  prune(): { alertEvents: number; checkResults: number };
  /** Writes pending alert events and closes the file. Call after the HTTP server and pipeline stop. */
  close(): void;
}

/** Opens (creating and migrating) `<dataDir>/kanshi.db`; errors as {@link MetadataDb.openInDir}. */
export function openMetadataStore(dataDir: string, options: MetadataStoreOptions = {}): MetadataStore {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? nullLogger;
  const log = logger.child({ component: 'metadata' });
  const db = MetadataDb.openInDir(dataDir, { logger, clock });
  const alertHistory = new SqliteAlertHistory(db, {
    logger,
    ...(options.alertHistoryRetentionMs === undefined
      ? {}
      : { retentionMs: options.alertHistoryRetentionMs }),
  });
  const checkResults = new SqliteCheckResultStore(db, {
    clock,
    ...(options.checkHistoryRetentionMs === undefined
      ? {}
      : { retentionMs: options.checkHistoryRetentionMs }),
  });
  const prune = (): { alertEvents: number; checkResults: number } => {
    const now = clock.now();
    return { alertEvents: alertHistory.prune(now), checkResults: checkResults.prune(now) };
  };
  return {
    db,
    alertHistory,
    checkResults,
    prune,
    run: async (signal) => {
      while (!signal.aborted) {
        try {
          const deleted = prune();
          if (deleted.alertEvents + deleted.checkResults > 0) log.info(deleted, 'metadata retention applied');
        } catch (err) {
          log.error({ err: errorMessage(err) }, 'metadata retention failed');
        }
        try {
          await clock.sleep(options.retentionIntervalMs ?? 3_600_000, signal);
        } catch {
          return;
        }
      }
    },
    close: () => {
      alertHistory.flush();
      db.close();
    },
  };
}
