import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TSDB } from '../../src/tsdb/tsdb.js';
import { runWriterAndKill } from '../support/crash-writer.js';
import { prng } from '../support/prng.js';
import { CRASH_OPTIONS, CRASH_SERIES } from './tsdb-crash.child.js';
import {
  findMissingAcked,
  freePort,
  isBuilt,
  postWrite,
  startKanshi,
  testSeries,
  writeBody,
} from './tsdb-server.helper.js';

const child = resolve(import.meta.dirname, 'tsdb-crash.child.ts');
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('TSDB crash loop', () => {
  it('keeps every acknowledged sample across 20 kill -9 and always opens', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kanshi-tsdb-crash-'));
    dirs.push(dir);
    let next = 0;
    let lastAcked = -1;
    for (let round = 0; round < 20; round++) {
      // Kill at varied moments: right after start, mid-compaction, during group commits.
      lastAcked = await runWriterAndKill({ child, dir, from: next, killAfterMs: 50 + ((round * 137) % 400) });
      const db = await TSDB.open(dir, CRASH_OPTIONS);
      const q = db.querier(0, Number.MAX_SAFE_INTEGER);
      const got = await q.select([{ type: '=', name: '__name__', value: 'crash_test' }]);
      q.close();
      expect(got.map((s) => s.labels)).toEqual(
        [...CRASH_SERIES].sort((a, b) => (a[1]!.value < b[1]!.value ? -1 : 1)),
      );
      let maxStep = -1;
      for (const s of got) {
        const it = s.iterator();
        const steps: number[] = [];
        while (it.next()) {
          expect(it.atT()).toBe(it.atV() * 1000);
          steps.push(it.atV());
        }
        // Every acknowledged step is there, in order, with no gap.
        expect(steps.slice(0, lastAcked + 1)).toEqual(Array.from({ length: lastAcked + 1 }, (_, i) => i));
        maxStep = Math.max(maxStep, steps[steps.length - 1] ?? -1);
      }
      await db.close();
      // A commit may have reached the log without being acknowledged: continue after it.
      next = Math.max(lastAcked, maxStep) + 1;
    }
    expect(lastAcked).toBeGreaterThan(100);
  });
});

describe('kanshi server crash loop', () => {
  // Replay a failing run with KANSHI_CRASH_SEED=<seed printed in the failure>.
  const seed = Number(process.env.KANSHI_CRASH_SEED ?? 20261127);

  it.skipIf(!isBuilt())(
    `keeps every remote_write answered 2xx across 20 kill -9 at random moments (seed ${seed})`,
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'kanshi-server-crash-'));
      dirs.push(dataDir);
      const rand = prng(seed);
      const series = testSeries(10);
      // 15 s apart, so a run spans many 2 h blocks: kills land during head cuts and WAL truncation too.
      const t0 = Math.floor(Date.now() / 1000) * 1000 - 48 * 3_600_000;
      const stepMs = 15_000;
      const acked: number[] = [];
      const otherStatuses: number[] = [];
      let next = 0;
      for (let round = 0; round < 20; round++) {
        // The store must open every time: startKanshi fails when /-/ready never answers.
        const srv = await startKanshi(dataDir, await freePort());
        let isDead = false;
        void srv.exited.then(() => (isDead = true));
        const writer = async (): Promise<void> => {
          while (!isDead) {
            const step = next++;
            const status = await postWrite(srv.url, writeBody(series, t0 + step * stepMs, step));
            if (status >= 200 && status < 300) acked.push(step);
            else if (status !== 0) otherStatuses.push(status);
          }
        };
        const writers = [writer(), writer(), writer()];
        await new Promise((r) => setTimeout(r, 150 + rand() * 1500));
        srv.proc.kill('SIGKILL');
        expect(await srv.exited).toBe('SIGKILL');
        await Promise.all(writers);
      }
      expect(otherStatuses).toEqual([]);
      expect(acked.length).toBeGreaterThan(200);

      const { seriesCount, missing } = await findMissingAcked(dataDir, acked, (step) => t0 + step * stepMs);
      expect(seriesCount).toBe(series.length);
      expect(missing).toEqual([]);
    },
    180_000,
  );
});
