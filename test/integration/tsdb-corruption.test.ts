/**
 * Damage on disk must not keep the store from starting (issue 3 "Reliability"): a real
 * `kanshi server` is loaded over remote_write until it has cut blocks, killed with SIGKILL, its
 * files damaged, and started again. It must become ready, say what it found in its log, move a
 * corrupt block to `corrupted/`, and serve everything else.
 */
import { mkdtemp, open, readdir, readFile, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labelsFromRecord } from '../../src/model/labels.js';
import { encodeWriteRequest } from '../../src/remotewrite/write-request.js';
import { TSDB } from '../../src/tsdb/tsdb.js';
import { freePort, isBuilt, postWrite, startKanshi, testSeries } from './tsdb-server.helper.js';

const HOUR = 3_600_000;
const STEP = 60_000;
const STEPS = 8 * 60; // 8 h of 1-minute samples: blocks for the first hours, the rest in the head
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const series = testSeries(4);
const tail = labelsFromRecord({ __name__: 'rel_tail' });
// Aligned to the 2 h block range, two days back (inside retention, outside any clock skew).
// 4 h past a 6 h boundary: the first 2 h block and the next ones fall in different 6 h compaction ranges,
// so at least two blocks remain whatever the time of day (from a 6 h boundary they merged into one).
const t0 = Math.floor((Date.now() - 48 * HOUR) / (6 * HOUR)) * 6 * HOUR + 4 * HOUR;

/** Loads a fresh data dir through a real server until it has cut blocks, then stops it with `how`; returns the store's folder. */
async function loadedStore(how: 'SIGKILL' | 'SIGTERM'): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kanshi-corrupt-'));
  dirs.push(dataDir);
  const srv = await startKanshi(dataDir, await freePort());
  for (let from = 0; from < STEPS; from += 30) {
    const body = encodeWriteRequest({
      timeseries: series.map((labels) => ({
        labels,
        samples: Array.from({ length: 30 }, (_, i) => ({
          timestamp: t0 + (from + i) * STEP,
          value: from + i,
        })),
      })),
    });
    expect(await postWrite(srv.url, body)).toBe(204);
  }
  // Let the head be cut into blocks (it runs after commits), then stop.
  const store = join(dataDir, 'tenants', 'default');
  // Real time bounds it, generously: under CI load cutting 6 h of head into blocks took over 10 s.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && (await blockDirs(store)).length < 3)
    await new Promise((r) => setTimeout(r, 50));
  // The WAL starts a new segment when blocks are cut; let that settle so the next record ends the log.
  await new Promise((r) => setTimeout(r, 500));
  // One last record, alone at the end of the WAL, for the torn-tail case.
  const last = encodeWriteRequest({
    timeseries: [{ labels: tail, samples: [{ timestamp: t0 + STEPS * STEP, value: 1 }] }],
  });
  expect(await postWrite(srv.url, last)).toBe(204);
  srv.proc.kill(how);
  await srv.exited;
  return store;
}

async function blockDirs(store: string): Promise<string[]> {
  return (await readdir(store)).filter((n) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(n)).sort();
}

async function lastWalSegment(store: string): Promise<string> {
  const names = (await readdir(join(store, 'wal'))).filter((n) => /^\d+$/.test(n)).sort();
  for (let i = names.length - 1; i >= 0; i--) {
    const p = join(store, 'wal', names[i]!);
    if ((await stat(p)).size > 0) return p;
  }
  throw new Error(`no WAL segment with data in ${store}`);
}

/** The steps of each test series the store answers, read in-process after the server stopped. */
async function readSteps(store: string): Promise<{ steps: number[][]; tail: number; error?: string }> {
  const db = await TSDB.open(store);
  try {
    const q = db.querier(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    try {
      const steps: number[][] = [];
      for (const labels of series) {
        const got = await q.select([
          { type: '=', name: '__name__', value: 'rel_test' },
          { type: '=', name: 'series', value: labels[2]!.value },
        ]);
        const out: number[] = [];
        for (const s of got) {
          const it = s.iterator();
          while (it.next()) out.push(it.atV());
        }
        steps.push(out);
      }
      const tails = await q.select([{ type: '=', name: '__name__', value: 'rel_tail' }]);
      return { steps, tail: tails.length };
    } finally {
      q.close();
    }
  } finally {
    await db.close();
  }
}

/** Restarts the server on the damaged store: it must get ready and take writes; returns its log. */
async function restartAndWrite(store: string): Promise<string> {
  const dataDir = join(store, '..', '..');
  const srv = await startKanshi(dataDir, await freePort());
  const body = encodeWriteRequest({
    timeseries: [
      {
        labels: labelsFromRecord({ __name__: 'rel_after' }),
        samples: [{ timestamp: t0 + STEPS * STEP + STEP, value: 2 }],
      },
    ],
  });
  expect(await postWrite(srv.url, body)).toBe(204);
  srv.proc.kill('SIGTERM');
  await srv.exited;
  return srv.stderr();
}

const all = Array.from({ length: STEPS }, (_, i) => i);

describe.skipIf(!isBuilt())('TSDB on a damaged disk', () => {
  it('truncates a torn WAL tail, logs it and keeps everything before it', async () => {
    const store = await loadedStore('SIGKILL');
    const seg = await lastWalSegment(store);
    await truncate(seg, (await stat(seg)).size - 3);
    const log = await restartAndWrite(store);
    expect(log).toContain('wal: truncated a torn or corrupt tail of the last segment');
    const got = await readSteps(store);
    expect(got.steps).toEqual(series.map(() => all));
    expect(got.tail).toBe(0);
  });

  it('moves a block with a corrupt index to corrupted/, logs it and serves the rest', async () => {
    const store = await loadedStore('SIGTERM');
    const blocks = await blockDirs(store);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    const victim = blocks[1]!;
    const meta = JSON.parse(await readFile(join(store, victim, 'meta.json'), 'utf8')) as {
      minTime: number;
      maxTime: number;
    };
    // Flip one byte in the middle of the index: its section checksum no longer matches.
    const index = join(store, victim, 'index');
    const fh = await open(index, 'r+');
    const size = (await fh.stat()).size;
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, Math.floor(size / 2));
    b[0] = b[0]! ^ 0xff;
    await fh.write(b, 0, 1, Math.floor(size / 2));
    await fh.close();

    const log = await restartAndWrite(store);
    expect(log).toContain('corrupt block moved to corrupted/');
    expect(log).toContain(victim);
    expect(await readdir(join(store, 'corrupted'))).toEqual([victim]);
    expect(await blockDirs(store)).not.toContain(victim);
    const inVictim = (s: number): boolean => t0 + s * STEP >= meta.minTime && t0 + s * STEP < meta.maxTime;
    expect(all.some(inVictim)).toBe(true);
    const got = await readSteps(store);
    // Everything outside the quarantined block's range serves; inside it, whatever the WAL
    // still holds is replayed (the block no longer marks that range as persisted).
    expect(got.steps.map((steps) => steps.filter((s) => !inVictim(s)))).toEqual(
      series.map(() => all.filter((s) => !inVictim(s))),
    );
    expect(got.tail).toBe(1);
  });

  it('refuses to answer from a chunk whose checksum fails, naming the block, and serves other series', async () => {
    const store = await loadedStore('SIGTERM');
    const [first] = await blockDirs(store);
    const seg = join(store, first!, 'chunks', '000001');
    // The first chunk follows the 8-byte segment header; damage a data byte of it.
    const fh = await open(seg, 'r+');
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, 12);
    b[0] = b[0]! ^ 0xff;
    await fh.write(b, 0, 1, 12);
    await fh.close();
    await restartAndWrite(store);
    const db = await TSDB.open(store);
    try {
      const q = db.querier(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      const outcomes: string[] = [];
      for (const labels of series) {
        try {
          const got = await q.select([{ type: '=', name: 'series', value: labels[2]!.value }]);
          let n = 0;
          for (const s of got) for (const it = s.iterator(); it.next();) n++;
          outcomes.push(`ok ${n}`);
        } catch (err) {
          outcomes.push(err instanceof Error ? err.message : String(err));
        }
      }
      q.close();
      // Exactly one series owns the damaged chunk: its read fails loudly, the others are whole.
      expect(outcomes.filter((o) => o === `ok ${STEPS}`)).toHaveLength(series.length - 1);
      expect(outcomes.find((o) => !o.startsWith('ok'))).toContain(`${first}: checksum mismatch in chunk`);
    } finally {
      await db.close();
    }
  });
});
