import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MetadataDb } from '../../src/server/metadata/db.js';
import { openMetadataStore } from '../../src/server/metadata/metadata-store.js';
import { runWriterAndKill } from '../support/crash-writer.js';
import { CRASH_FINGERPRINT, CRASH_HOST, crashResult } from './metadata-crash.child.js';

const child = resolve(import.meta.dirname, 'metadata-crash.child.ts');
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('metadata store crash loop', () => {
  it('keeps every acknowledged check result and alert event across 10 kill -9 and always opens', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kanshi-metadata-crash-'));
    dirs.push(dir);
    let next = 0;
    const acked: number[] = [];
    for (let round = 0; round < 10; round++) {
      const from = next;
      const lastAcked = await runWriterAndKill({
        child,
        dir,
        from,
        killAfterMs: 100 + ((round * 137) % 400),
      });
      for (let step = from; step <= lastAcked; step++) acked.push(step);
      // Opens (WAL recovered), passes SQLite's own check, and holds every acknowledged step.
      const db = MetadataDb.openInDir(dir);
      expect(db.statement('PRAGMA integrity_check').pluck().get()).toBe('ok');
      db.close();
      const store = openMetadataStore(dir);
      const runs = store.checkResults.history(CRASH_HOST, 'crash', {
        fromMs: 0,
        toMs: Number.MAX_SAFE_INTEGER,
        limit: 100_000,
      });
      const byStep = new Map(runs.map((r) => [r.started_at / 1000, r]));
      const events = new Set(
        store.alertHistory.timeline(CRASH_FINGERPRINT).map((e) => Number(e.detail?.step)),
      );
      expect(
        acked.filter((step) => !byStep.has(step)),
        'acknowledged results missing',
      ).toEqual([]);
      expect(
        acked.filter((step) => !events.has(step)),
        'acknowledged events missing',
      ).toEqual([]);
      // Every field survived, not only the key.
      const last = acked.at(-1);
      if (last !== undefined) {
        const { host: _h, received_at: _r, ...got } = byStep.get(last)!;
        expect(got).toEqual(crashResult(last));
      }
      // A transaction may have committed without its ack being read: continue after it.
      next = Math.max(lastAcked, ...byStep.keys()) + 1;
      store.close();
    }
    expect(acked.length).toBeGreaterThan(50);
  });
});
