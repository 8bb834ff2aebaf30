import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AppError, BugError, errorMessage } from '../../base/errors.js';
import { systemClock, type Clock } from '../../base/clock.js';
import { nullLogger, type Logger } from '../../base/logger.js';
import { METADATA_MIGRATIONS, type Migration } from './migrations.js';

/**
 * The metadata store's SQLite file (docs/metadata.md): alert history, check-result history, and
 * later users, silences, dashboards and report runs. One file, `<data_dir>/kanshi.db`, opened by
 * one server process.
 *
 * - Journal: WAL, so readers never block the writer and a commit is one append to `kanshi.db-wal`.
 * - `synchronous = FULL`: every commit fsyncs the WAL before it returns, so whatever a caller has
 *   acknowledged (an HTTP 2xx to an agent) survives a power loss, not only `kill -9` — the same
 *   promise as the TSDB's WAL. Writers batch (one transaction per request or per tick), so the cost
 *   is one fsync per batch, not per row (see docs/metadata.md for measured rates).
 * - Busy timeout (default 5 s) in case another process (a backup, `sqlite3` by hand) holds a lock.
 * - Foreign keys on.
 * - Schema migrations are forward-only, each applied in its own transaction together with its row
 *   in `schema_version`. A file written by a newer Kanshi (a version this one does not know) is
 *   refused with a message saying so, never modified.
 *
 * better-sqlite3 is synchronous: every call runs on the event loop thread. Statements here are
 * short and indexed; callers keep them so.
 */

/** The name of the metadata file inside the data directory. */
export const METADATA_FILE = 'kanshi.db';

/** Options of {@link MetadataDb.open}. */
export interface MetadataDbOptions {
  readonly logger?: Logger;
  /** Stamps `schema_version.applied_at_ms`; the wall clock when absent. */
  readonly clock?: Clock;
  /** How long a statement waits for a lock held by another connection, ms. Default 5000. */
  readonly busyTimeoutMs?: number;
  /** The schema to migrate to; default {@link METADATA_MIGRATIONS}. Tests pass their own. */
  readonly migrations?: readonly Migration[];
}

/** One SQLite connection with the schema migrated and a cache of prepared statements. */
export class MetadataDb {
  /** The file's path (`:memory:` for an in-memory database). */
  readonly path: string;
  /** The schema version after migrations: the highest version in `schema_version`. */
  readonly schemaVersion: number;
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  #isClosed = false;

  private constructor(file: string, db: Database.Database, schemaVersion: number) {
    this.path = file;
    this.#db = db;
    this.schemaVersion = schemaVersion;
  }

  /**
   * Opens (creating when missing) `<dataDir>/kanshi.db` and migrates it. Throws AppError `io`
   * when the file cannot be opened or is not a SQLite database, `conflict` when it was written by a
   * newer Kanshi.
   */
  static openInDir(dataDir: string, options: MetadataDbOptions = {}): MetadataDb {
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (err) {
      throw new AppError('io', `open metadata store: create ${dataDir}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    return MetadataDb.open(path.join(dataDir, METADATA_FILE), options);
  }

  /** Opens the SQLite file `file` (or `:memory:`) and migrates it; errors as {@link openInDir}. */
  static open(file: string, options: MetadataDbOptions = {}): MetadataDb {
    const log = (options.logger ?? nullLogger).child({ component: 'metadata' });
    let db: Database.Database;
    try {
      db = new Database(file, { timeout: options.busyTimeoutMs ?? 5000 });
    } catch (err) {
      throw new AppError('io', `open metadata store ${file}: ${errorMessage(err)}`, { cause: err });
    }
    try {
      if (file !== ':memory:') {
        const mode = db.pragma('journal_mode = WAL', { simple: true });
        if (mode !== 'wal') throw new Error(`journal_mode is ${String(mode)}, not wal`);
      }
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      const version = migrate(db, options.migrations ?? METADATA_MIGRATIONS, {
        file,
        log,
        clock: options.clock ?? systemClock,
      });
      return new MetadataDb(file, db, version);
    } catch (err) {
      db.close();
      if (err instanceof AppError || err instanceof BugError) throw err;
      throw new AppError('io', `open metadata store ${file}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** The prepared statement for `sql`, prepared once per connection and reused. */
  statement(sql: string): Database.Statement {
    let st = this.#statements.get(sql);
    if (st === undefined) {
      if (this.#isClosed) throw new AppError('unavailable', 'metadata store is closed');
      st = this.#db.prepare(sql);
      this.#statements.set(sql, st);
    }
    return st;
  }

  /**
   * Runs `fn` in one transaction (BEGIN IMMEDIATE … COMMIT; ROLLBACK when it throws) and returns
   * its result. Nested calls become savepoints. Durable when it returns (synchronous = FULL).
   */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  /** Whether {@link close} has run. */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Lets SQLite refresh its planner statistics, then closes the connection. Idempotent. */
  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#statements.clear();
    try {
      this.#db.pragma('optimize');
    } finally {
      this.#db.close();
    }
  }
}

/**
 * Brings `db` to the last version of `migrations`, one transaction per migration. Returns the
 * version reached. Throws AppError `conflict` when the file's version is newer than the last one
 * known, BugError when the list is not numbered 1, 2, 3, ….
 */
function migrate(
  db: Database.Database,
  migrations: readonly Migration[],
  { file, log, clock }: { file: string; log: Logger; clock: Clock },
): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new BugError(`metadata migration ${i} has version ${m.version}, want ${i + 1}`);
  });
  db.exec(
    `CREATE TABLE IF NOT EXISTS schema_version (
       version INTEGER PRIMARY KEY,
       name TEXT NOT NULL,
       applied_at_ms INTEGER NOT NULL
     )`,
  );
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null };
  const current = row.v ?? 0;
  const latest = migrations.length;
  if (current > latest) {
    throw new AppError(
      'conflict',
      `open metadata store ${file}: schema version ${current} was written by a newer Kanshi (this one knows up to ${latest}); run that version or restore a backup`,
    );
  }
  const record = db.prepare('INSERT INTO schema_version (version, name, applied_at_ms) VALUES (?, ?, ?)');
  for (const m of migrations.slice(current)) {
    db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      record.run(m.version, m.name, clock.now());
    }).immediate();
    log.info({ version: m.version, name: m.name }, 'metadata schema migrated');
  }
  return latest;
}
