import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError, BugError } from '../../base/errors.js';
import { RecordingLogger } from '../../base/logger.js';
import { FakeClock } from '../../../test/support/fake-clock.js';
import { METADATA_FILE, MetadataDb } from './db.js';
import { METADATA_MIGRATIONS, type Migration } from './migrations.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'kanshi-metadata-db-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const two: Migration[] = [
  { version: 1, name: 'a', up: 'CREATE TABLE a (x INTEGER)' },
  { version: 2, name: 'b', up: (db) => void db.exec('CREATE TABLE b (y INTEGER)') },
];

describe('MetadataDb', () => {
  it('creates <dir>/kanshi.db in WAL mode with synchronous FULL and foreign keys on', () => {
    const dir = path.join(tmp(), 'nested', 'data');
    const db = MetadataDb.openInDir(dir);
    expect(db.path).toBe(path.join(dir, METADATA_FILE));
    expect(db.statement('PRAGMA journal_mode').pluck().get()).toBe('wal');
    expect(db.statement('PRAGMA synchronous').pluck().get()).toBe(2); // FULL
    expect(db.statement('PRAGMA foreign_keys').pluck().get()).toBe(1);
    expect(db.statement('PRAGMA busy_timeout').pluck().get()).toBe(5000);
    expect(db.schemaVersion).toBe(METADATA_MIGRATIONS.length);
    db.close();
  });

  it('applies each migration once, recording it in schema_version', async () => {
    const file = path.join(tmp(), 'm.db');
    const clock = new FakeClock(1_000);
    const log = new RecordingLogger();
    MetadataDb.open(file, { migrations: two.slice(0, 1), clock, logger: log }).close();
    await clock.advance(500);
    const db = MetadataDb.open(file, { migrations: two, clock, logger: log });
    expect(db.schemaVersion).toBe(2);
    expect(
      db.statement('SELECT version, name, applied_at_ms FROM schema_version ORDER BY version').all(),
    ).toEqual([
      { version: 1, name: 'a', applied_at_ms: 1_000 },
      { version: 2, name: 'b', applied_at_ms: 1_500 },
    ]);
    expect(log.records.map((r) => r.fields.version)).toEqual([1, 2]);
    db.close();
    // Opening again applies nothing.
    MetadataDb.open(file, { migrations: two, logger: log }).close();
    expect(log.records).toHaveLength(2);
  });

  it('rolls back a migration that fails, leaving the earlier ones applied', () => {
    const file = path.join(tmp(), 'm.db');
    const broken: Migration[] = [
      two[0]!,
      { version: 2, name: 'broken', up: 'CREATE TABLE c (z INTEGER); INSERT INTO nowhere VALUES (1)' },
    ];
    expect(() => MetadataDb.open(file, { migrations: broken })).toThrow(
      /open metadata store .*no such table: nowhere/,
    );
    const raw = new Database(file);
    expect(raw.prepare('SELECT MAX(version) FROM schema_version').pluck().get()).toBe(1);
    expect(raw.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'c'").pluck().get()).toBe(0);
    raw.close();
  });

  it('refuses a file written by a newer Kanshi without touching it', () => {
    const file = path.join(tmp(), 'm.db');
    MetadataDb.open(file, { migrations: two }).close();
    let err: unknown;
    try {
      MetadataDb.open(file, { migrations: two.slice(0, 1) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('conflict');
    expect((err as AppError).message).toBe(
      `open metadata store ${file}: schema version 2 was written by a newer Kanshi (this one knows up to 1); run that version or restore a backup`,
    );
  });

  it('says a file that is not SQLite is not a database', () => {
    const file = path.join(tmp(), 'm.db');
    writeFileSync(file, 'this is not a database, just text long enough to have a header'.repeat(10));
    expect(() => MetadataDb.open(file)).toThrow(
      expect.objectContaining({
        code: 'io',
        message: expect.stringMatching(/^open metadata store .*not a database/),
      }),
    );
  });

  it('rejects a migration list that is not numbered 1, 2, 3', () => {
    expect(() => MetadataDb.open(':memory:', { migrations: [two[1]!] })).toThrow(BugError);
  });

  it('caches prepared statements and refuses new ones once closed', () => {
    const db = MetadataDb.open(':memory:', { migrations: two });
    expect(db.statement('SELECT 1')).toBe(db.statement('SELECT 1'));
    db.close();
    db.close(); // idempotent
    expect(db.isClosed).toBe(true);
    expect(() => db.statement('SELECT 2')).toThrow(expect.objectContaining({ code: 'unavailable' }));
  });

  it('rolls back a transaction that throws', () => {
    const db = MetadataDb.open(':memory:', { migrations: two });
    expect(() =>
      db.transaction(() => {
        db.statement('INSERT INTO a (x) VALUES (1)').run();
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(db.statement('SELECT COUNT(*) FROM a').pluck().get()).toBe(0);
    db.close();
  });
});
