/**
 * A full disk (issue 3 "Reliability"): a real `kanshi server` whose data dir is a small tmpfs.
 * A filler file takes most of the space; writes then must fail with a 5xx (never a 2xx without
 * durability, never a crash), every write answered 2xx must be kept, and writes must succeed
 * again once the filler is deleted. Needs root for `mount -t tmpfs`; skipped with a note otherwise.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  findMissingAcked,
  freePort,
  isBuilt,
  postWrite,
  startKanshi,
  testSeries,
  writeBody,
  type ServerProcess,
} from './tsdb-server.helper.js';

const mounted: string[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const m of mounted) execFileSync('umount', ['-l', m]);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Mounts an 8 MiB tmpfs on a new folder; the reason it could not otherwise. */
async function mountTmpfs(): Promise<string | { reason: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'kanshi-diskfull-'));
  dirs.push(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    return { reason: err instanceof Error ? err.message.split('\n')[0]! : String(err) };
  }
  mounted.push(dir);
  return dir;
}

const series = testSeries(200);
const t0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;

interface Run {
  srv: ServerProcess;
  filler: string;
  acked: number[];
  next: number;
}

/**
 * Starts a server on `dataDir`, fills the disk but ~256 KiB, and writes until five writes were
 * refused. Every answer must be a 5xx or a 2xx, and the server must still run.
 */
async function writeUntilFull(dataDir: string): Promise<Run> {
  const srv = await startKanshi(dataDir, await freePort());
  const fs = await statfs(dataDir);
  const filler = join(dataDir, 'filler');
  await writeFile(filler, Buffer.alloc(Math.max(0, fs.bavail * fs.bsize - 256 * 1024)));
  const acked: number[] = [];
  const failures: number[] = [];
  let step = 0;
  while (failures.length < 5 && step < 20_000) {
    const s = step++;
    const status = await postWrite(srv.url, writeBody(series, t0 + s * 1000, s));
    if (status >= 200 && status < 300) acked.push(s);
    else failures.push(status);
  }
  expect(failures.length, `the store never refused a write; ${acked.length} acknowledged`).toBe(5);
  for (const status of failures)
    expect(
      status,
      `status while full (0: the server died): ${srv.stderr().slice(-2000)}`,
    ).toBeGreaterThanOrEqual(500);
  expect(srv.proc.exitCode).toBe(null);
  return { srv, filler, acked, next: step };
}

/** Writes until one is answered 2xx (at most ~5 s); the last status and body otherwise. */
async function writeUntilAccepted(run: Run): Promise<string | null> {
  let last = '';
  for (let i = 0; i < 50; i++) {
    const s = run.next++;
    const r = await fetch(`${run.srv.url}/api/v1/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
      body: writeBody(series, t0 + s * 1000, s),
    });
    last = `HTTP ${r.status} ${await r.text()}`;
    if (r.ok) {
      run.acked.push(s);
      return null;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  return last;
}

/** Every acknowledged step of every series, read from the store in-process. */
async function expectAllAcked(dataDir: string, acked: readonly number[]): Promise<void> {
  const { seriesCount, missing } = await findMissingAcked(dataDir, acked, (step) => t0 + step * 1000);
  expect(seriesCount).toBe(series.length);
  expect(missing).toEqual([]);
}

describe.skipIf(!isBuilt())('kanshi server on a full disk', () => {
  it('answers 5xx while the disk is full, keeps every acknowledged write, and takes writes after space returns and a restart', async (ctx) => {
    const dataDir = await mountTmpfs();
    if (typeof dataDir !== 'string') return ctx.skip(`cannot mount a tmpfs (needs root): ${dataDir.reason}`);
    const run = await writeUntilFull(dataDir);
    await rm(run.filler);
    run.srv.proc.kill('SIGKILL');
    await run.srv.exited;
    run.srv = await startKanshi(dataDir, await freePort());
    try {
      expect(await writeUntilAccepted(run)).toBe(null);
    } finally {
      run.srv.proc.kill('SIGKILL');
      await run.srv.exited;
    }
    await expectAllAcked(dataDir, run.acked);
  }, 120_000);

  // Regression: the WAL used to refuse every append after one failed write until it was reopened,
  // so a server stayed at 500 "append failed: ENOSPC" after space returned until a restart.
  it('takes writes again without a restart once space returns', async (ctx) => {
    const dataDir = await mountTmpfs();
    if (typeof dataDir !== 'string') return ctx.skip(`cannot mount a tmpfs (needs root): ${dataDir.reason}`);
    const run = await writeUntilFull(dataDir);
    await rm(run.filler);
    let outcome: string | null;
    try {
      outcome = await writeUntilAccepted(run);
    } finally {
      run.srv.proc.kill('SIGKILL');
      await run.srv.exited;
    }
    await expectAllAcked(dataDir, run.acked);
    expect(outcome, 'writes after space returned').toBe(null);
  }, 120_000);
});
