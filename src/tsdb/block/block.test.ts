import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { labelsFromRecord } from '../../model/labels.js';
import type { Series } from '../../storage/storage.js';
import { SliceIterator } from '../iterators.js';
import { Block, decodeIndex, decodeTombstones, encodeTombstones } from './block.js';
import { encodeIndex, writeBlock } from './writer.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kanshi-block-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mk = (rec: Record<string, string>, ts: number[]): Series => ({
  labels: labelsFromRecord(rec),
  iterator: () =>
    new SliceIterator(
      ts,
      Float64Array.from(ts, (t) => t * 2),
    ),
});

describe('block format', () => {
  it('writes a block and reads back series, chunks and postings', async () => {
    const ts = Array.from({ length: 300 }, (_, i) => i * 10);
    const meta = await writeBlock(
      dir,
      [
        mk({ __name__: 'a', job: 'x' }, ts),
        mk({ __name__: 'b', job: 'x' }, [5, 15]),
        mk({ __name__: 'c' }, [5000]),
      ],
      { minTime: 0, maxTime: 3000, level: 1, nowMs: 1 },
    );
    expect(meta).not.toBeNull();
    expect(meta!.stats).toEqual({ numSamples: 302, numSeries: 2, numChunks: 4 });
    const b = await Block.open(join(dir, meta!.ulid));
    expect(b.meta).toEqual(meta);
    expect(b.chunksOf(0).map((c) => [c.minT, c.maxT])).toEqual([
      [0, 1190],
      [1200, 2390],
      [2400, 2990],
    ]);
    const got = await b.select([{ type: '=', name: 'job', value: 'x' }], 1185, 1205);
    expect(got.map((s) => s.labels)).toEqual([labelsFromRecord({ __name__: 'a', job: 'x' })]);
    const it = got[0]!.iterator();
    const xs: number[][] = [];
    while (it.next()) xs.push([it.atT(), it.atV()]);
    expect(xs).toEqual([
      [1190, 2380],
      [1200, 2400],
    ]);
    expect([...b.labelValues('__name__')].sort()).toEqual(['a', 'b']);
    await b.close();
  });

  it('writes nothing when no series has a sample in range', async () => {
    expect(
      await writeBlock(dir, [mk({ __name__: 'a' }, [5000])], { minTime: 0, maxTime: 10, level: 1, nowMs: 1 }),
    ).toBeNull();
  });

  it('detects a corrupted chunk by its checksum', async () => {
    const meta = await writeBlock(dir, [mk({ __name__: 'a' }, [1, 2, 3])], {
      minTime: 0,
      maxTime: 10,
      level: 1,
      nowMs: 1,
    });
    const path = join(dir, meta!.ulid, 'chunks', '000001');
    const fh = await open(path, 'r+');
    await fh.write(Uint8Array.of(0xff), 0, 1, 14);
    await fh.close();
    const b = await Block.open(join(dir, meta!.ulid));
    await expect(b.select([{ type: '=', name: '__name__', value: 'a' }], 0, 10)).rejects.toThrow(
      /checksum mismatch/,
    );
    await b.close();
  });

  it('rejects a corrupted index and round-trips tombstones', () => {
    const bytes = encodeIndex([
      { labels: labelsFromRecord({ a: '1' }), chunks: [{ minT: 1, maxT: 2, ref: 2 ** 32 + 8, len: 9 }] },
    ]);
    expect(decodeIndex(bytes, 'index').chunks).toEqual([[{ minT: 1, maxT: 2, ref: 2 ** 32 + 8, len: 9 }]]);
    const bad = bytes.slice();
    bad[bad.length - 10]! ^= 1;
    expect(() => decodeIndex(bad, 'index')).toThrow(/checksum mismatch/);
    const t = new Map([[3, [{ minT: -1, maxT: 5 }]]]);
    expect(decodeTombstones(encodeTombstones(t), 'tombstones')).toEqual(t);
  });
});
