import { mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordingLogger } from '../base/logger.js';
import {
  Wal,
  WAL_FRAME_HEADER_BYTES,
  WalCorruptionError,
  encodeFrames,
  segmentName,
  type WalPosition,
} from './wal.js';
import { prng } from '../../test/support/prng.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kanshi-wal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A deterministic record of `len` bytes for index `i`. */
function rec(i: number, len = 10 + (i % 37)): Uint8Array {
  const out = new Uint8Array(len);
  for (let k = 0; k < len; k++) out[k] = (i * 31 + k * 7) & 0xff;
  return out;
}

async function readAll(wal: Wal, from: WalPosition = wal.start()): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  let pos = from;
  for (;;) {
    const got = await wal.read(pos, { maxRecords: 7 });
    if (got.length === 0) return out;
    for (const r of got) out.push(r.data);
    pos = got[got.length - 1]!.next;
  }
}

describe('Wal', { timeout: 30_000 }, () => {
  it('appends and reads back records in order across segments', async () => {
    const wal = await Wal.open({ dir, segmentMaxBytes: 200 });
    const want = Array.from({ length: 100 }, (_, i) => rec(i));
    for (let i = 0; i < want.length; i += 3) await wal.append(want.slice(i, i + 3));
    await wal.sync();
    expect(wal.segments().length).toBeGreaterThan(5);
    for (const s of wal.segments().slice(0, -1)) expect(s.bytes).toBeLessThanOrEqual(200);
    expect(await readAll(wal)).toEqual(want);
    await wal.close();
    const names = await readdir(dir);
    expect(names).toContain('00000001');
    expect(names.every((n) => /^\d{8}$/.test(n))).toBe(true);

    const reopened = await Wal.open({ dir, segmentMaxBytes: 200 });
    expect(reopened.repair).toBeNull();
    expect(await readAll(reopened)).toEqual(want);
    await reopened.close();
  });

  it('reads from a position in the middle, and returns positions that continue the read', async () => {
    const wal = await Wal.open({ dir, segmentMaxBytes: 120 });
    const positions: WalPosition[] = [];
    for (let i = 0; i < 20; i++) positions.push(await wal.append([rec(i)]));
    const all = await wal.read(wal.start(), { maxRecords: 100 });
    expect(all).toHaveLength(20);
    expect(all.map((r) => r.next)).toEqual(positions);
    const fromTenth = await readAll(wal, all[10]!.position);
    expect(fromTenth).toEqual(Array.from({ length: 10 }, (_, i) => rec(i + 10)));
    expect(await wal.read(wal.end())).toEqual([]);
    await wal.close();
  });

  it('stores a record larger than a segment in a segment of its own', async () => {
    const wal = await Wal.open({ dir, segmentMaxBytes: 100 });
    const big = rec(1, 3 * 1024 * 1024 + 5);
    await wal.append([rec(0), big, rec(2)], { sync: true });
    await wal.append([rec(3)]);
    const got = await readAll(wal);
    expect(got.map((r) => r.length)).toEqual([10, big.length, 12, 13]);
    // Compare bytes with Buffer.equals: a deep equality over megabytes is slow.
    expect(Buffer.from(got[1]!).equals(big)).toBe(true);
    expect(got[2]).toEqual(rec(2));
    await wal.close();
  });

  it('accepts empty records and an empty batch', async () => {
    const wal = await Wal.open({ dir });
    await wal.append([]);
    await wal.append([new Uint8Array(0), rec(1)], { sync: true });
    expect(await readAll(wal)).toEqual([new Uint8Array(0), rec(1)]);
    await wal.close();
  });

  it('shares one fsync among concurrent sync callers (group commit) and keeps call order', async () => {
    const wal = await Wal.open({ dir });
    const appends = Array.from({ length: 50 }, (_, i) => wal.append([rec(i)], { sync: true }));
    const ends = await Promise.all(appends);
    // The first sync starts at once; the rest wait for it and share the next one or two.
    expect(wal.syncCount).toBeLessThanOrEqual(3);
    expect(wal.syncCount).toBeGreaterThanOrEqual(1);
    for (let i = 1; i < ends.length; i++) expect(ends[i]!.offset).toBeGreaterThan(ends[i - 1]!.offset);
    expect(await readAll(wal)).toEqual(Array.from({ length: 50 }, (_, i) => rec(i)));
    await wal.close();
  });

  it('removes whole segments before a position, never the active one', async () => {
    const wal = await Wal.open({ dir, segmentMaxBytes: 100 });
    for (let i = 0; i < 30; i++) await wal.append([rec(i)]);
    const segs = wal.segments().map((s) => s.segment);
    const keepFrom = segs[3]!;
    expect(await wal.truncateBefore(keepFrom)).toEqual(segs.slice(0, 3));
    expect(wal.start()).toEqual({ segment: keepFrom, offset: 0 });
    await expect(wal.read({ segment: segs[0]!, offset: 0 })).rejects.toThrow(/removed segment/);
    expect(await wal.truncateBefore(1e9)).toEqual(segs.slice(3, -1));
    expect(wal.segments()).toHaveLength(1);
    await wal.close();
    const reopened = await Wal.open({ dir, segmentMaxBytes: 100 });
    expect(reopened.start().segment).toBe(segs[segs.length - 1]);
    await reopened.close();
  });

  it('cut() starts a new segment', async () => {
    const wal = await Wal.open({ dir });
    await wal.append([rec(1)]);
    expect(await wal.cut()).toBe(2);
    expect(await wal.cut()).toBe(2);
    await wal.append([rec(2)]);
    expect(wal.end().segment).toBe(2);
    expect(await readAll(wal)).toEqual([rec(1), rec(2)]);
    await wal.close();
  });

  it('reports a corrupt record inside an older segment when reading it', async () => {
    const wal = await Wal.open({ dir, segmentMaxBytes: 100 });
    for (let i = 0; i < 20; i++) await wal.append([rec(i)]);
    await wal.close();
    const path = join(dir, segmentName(1));
    const bytes = await readFile(path);
    bytes[WAL_FRAME_HEADER_BYTES + 2]! ^= 0xff;
    await writeFile(path, bytes);
    const reopened = await Wal.open({ dir, segmentMaxBytes: 100 });
    await expect(reopened.read(reopened.start())).rejects.toThrow(/00000001: checksum mismatch at offset 0/);
    await reopened.close();
  });
});

describe('Wal.repairAt', () => {
  it('hands out the records before a damaged one, then truncates at it and reads on in the next segment', async () => {
    const wal = await Wal.open({ dir, segmentMaxBytes: 100 });
    for (let i = 0; i < 30; i++) await wal.append([rec(i)]);
    const segs = wal.segments();
    expect(segs.length).toBeGreaterThanOrEqual(3);
    const intact = await wal.read(wal.start(), { maxRecords: 1000 });
    // The second record of segment 2 gets a flipped payload byte.
    const path = join(dir, segmentName(2));
    const bytes = await readFile(path);
    const damageAt = WAL_FRAME_HEADER_BYTES + bytes.readUInt32LE(0);
    bytes[damageAt + WAL_FRAME_HEADER_BYTES]! ^= 0xff;
    await writeFile(path, bytes);
    const before = await wal.read(wal.start(), { maxRecords: 1000 });
    expect(before.map((r) => r.data)).toEqual(
      intact
        .filter((r) => r.position.segment < 2 || r.position.offset < damageAt)
        .map((r) => r.data)
        .slice(0, before.length),
    );
    const err = await wal.read({ segment: 2, offset: damageAt }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WalCorruptionError);
    expect((err as WalCorruptionError).position).toEqual({ segment: 2, offset: damageAt });
    const log = new RecordingLogger();
    const reopened = await Wal.open({ dir, segmentMaxBytes: 100, logger: log });
    const repair = await reopened.repairAt({ segment: 2, offset: damageAt }, 'test');
    expect(repair).toEqual({
      segment: 2,
      offset: damageAt,
      droppedBytes: segs[1]!.bytes - damageAt,
      reason: 'test',
    });
    expect((await readFile(path)).length).toBe(damageAt);
    // Everything but the records from the damage to the end of segment 2 (here: several).
    const lost = intact.filter((r) => r.position.segment === 2 && r.position.offset >= damageAt);
    expect(lost.length).toBeGreaterThan(0);
    expect(await readAll(reopened)).toEqual(intact.filter((r) => !lost.includes(r)).map((r) => r.data));
    expect(log.records.map((r) => r.level)).toContain('error');
    await reopened.close();
    await wal.close();
  });
});

describe('Wal crash recovery', { timeout: 30_000 }, () => {
  it('keeps every synced record when the last segment is cut at any byte offset', async () => {
    const random = prng(42);
    const synced = Array.from({ length: 40 }, (_, i) => rec(i));
    const unsynced = Array.from({ length: 40 }, (_, i) => rec(100 + i));
    // One reference log; each trial copies its last segment and cuts it.
    const wal = await Wal.open({ dir, segmentMaxBytes: 1500 });
    await wal.append(synced, { sync: true });
    const syncedEnd = wal.end();
    for (const r of unsynced) await wal.append([r]);
    const end = wal.end();
    await wal.close();
    expect(end.segment).toBeGreaterThan(1);
    const lastPath = join(dir, segmentName(end.segment));
    const original = await readFile(lastPath);
    // Frame ends within the last segment, to know which records a cut keeps.
    const frameEnds: number[] = [];
    for (let p = 0; p < original.length;) {
      p += WAL_FRAME_HEADER_BYTES + original.readUInt32LE(p);
      frameEnds.push(p);
    }
    const recordsBeforeLast = synced.length + unsynced.length - frameEnds.length;
    const lowest = syncedEnd.segment === end.segment ? syncedEnd.offset : 0;

    const cuts = [
      lowest,
      original.length,
      ...Array.from({ length: 60 }, () => lowest + Math.floor(random() * (original.length - lowest))),
    ];
    for (const cut of cuts) {
      await writeFile(lastPath, original);
      await truncate(lastPath, cut);
      const logger = new RecordingLogger();
      const reopened = await Wal.open({ dir, segmentMaxBytes: 1500, logger });
      const kept = frameEnds.filter((e) => e <= cut).length;
      const validEnd = kept === 0 ? 0 : frameEnds[kept - 1]!;
      if (validEnd === cut) {
        expect(reopened.repair).toBeNull();
      } else {
        expect(reopened.repair).toMatchObject({
          segment: end.segment,
          offset: validEnd,
          droppedBytes: cut - validEnd,
        });
        expect(logger.records.some((l) => l.level === 'warn')).toBe(true);
      }
      const got = await readAll(reopened);
      expect(got).toEqual([...synced, ...unsynced].slice(0, recordsBeforeLast + kept));
      expect(got.length).toBeGreaterThanOrEqual(synced.length);
      // The log takes appends again right after the repair.
      await reopened.append([rec(999)], { sync: true });
      expect((await readAll(reopened)).at(-1)).toEqual(rec(999));
      await reopened.close();
    }
  }, 60_000); // dozens of reopen-and-fsync cycles: slow on a loaded machine, not a timing assertion

  it.each([
    ['zero bytes', (n: number) => new Uint8Array(n)],
    ['random bytes', (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff)],
    [
      'a frame with a wrong checksum',
      (n: number) => {
        const f = encodeFrames([rec(5, n)]);
        f[5]! ^= 1;
        return f;
      },
    ],
  ])('truncates a tail of %s after the last valid record', async (_name, garbage) => {
    const wal = await Wal.open({ dir });
    await wal.append([rec(1), rec(2)], { sync: true });
    const end = wal.end();
    await wal.close();
    const path = join(dir, segmentName(1));
    await writeFile(path, Buffer.concat([await readFile(path), garbage(64)]));
    const reopened = await Wal.open({ dir });
    expect(reopened.repair?.offset).toBe(end.offset);
    expect(reopened.repair?.droppedBytes).toBeGreaterThanOrEqual(64);
    expect(await readAll(reopened)).toEqual([rec(1), rec(2)]);
    await reopened.close();
  });
});
