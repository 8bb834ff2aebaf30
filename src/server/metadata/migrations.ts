import type Database from 'better-sqlite3';

/**
 * The metadata schema as a forward-only list of migrations (docs/metadata.md). A released
 * migration is never edited: a change is a new entry at the end. Versions are 1, 2, 3, … in order.
 */

/** One schema step: SQL text (may hold several statements) or a function over the connection. */
export interface Migration {
  readonly version: number;
  /** A short name, kept in `schema_version.name`. */
  readonly name: string;
  readonly up: string | ((db: Database.Database) => void);
}

/** Kanshi's metadata schema, oldest first. */
export const METADATA_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'alert history',
    up: `
      -- One row per event of an alert's timeline. labels and detail are JSON objects of strings.
      CREATE TABLE alert_events (
        id INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        fingerprint TEXT NOT NULL,
        kind TEXT NOT NULL,
        labels TEXT NOT NULL,
        detail TEXT
      );
      CREATE INDEX alert_events_by_time ON alert_events (at_ms);
      CREATE INDEX alert_events_by_alert ON alert_events (fingerprint, at_ms);
      -- opened -> resolved/closed intervals, kept as events are recorded; ended_at_ms NULL while open.
      CREATE TABLE alert_incidents (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        labels TEXT NOT NULL,
        opened_at_ms INTEGER NOT NULL,
        ended_at_ms INTEGER,
        end_kind TEXT
      );
      CREATE INDEX alert_incidents_by_open ON alert_incidents (opened_at_ms);
      CREATE UNIQUE INDEX alert_incidents_one_open ON alert_incidents (fingerprint) WHERE ended_at_ms IS NULL;
    `,
  },
  {
    version: 2,
    name: 'check result history',
    up: `
      -- Every check run, keyed as the agent API deduplicates: (host, check, started_at).
      CREATE TABLE check_results (
        host TEXT NOT NULL,
        check_name TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        status TEXT NOT NULL,
        hard_status TEXT,
        message TEXT NOT NULL,
        long_output TEXT NOT NULL,
        duration_ms REAL NOT NULL,
        attempt INTEGER NOT NULL,
        memo TEXT NOT NULL,
        prevent_alert_auto_close INTEGER NOT NULL,
        notification_interval_ms INTEGER,
        perfdata TEXT NOT NULL,
        labels TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (host, check_name, started_at)
      ) WITHOUT ROWID;
      -- The started_at of the latest accepted result of each check.
      CREATE TABLE check_latest (
        host TEXT NOT NULL,
        check_name TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        PRIMARY KEY (host, check_name)
      ) WITHOUT ROWID;
    `,
  },
];
