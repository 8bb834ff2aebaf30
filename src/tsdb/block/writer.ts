import { mkdir, open, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { BugError } from '../../base/errors.js';
import { ENCODING_XOR, SAMPLES_PER_CHUNK, XorChunk } from '../../chunkenc/xor.js';
import { compareLabels, type Labels } from '../../model/labels.js';
import type { Series } from '../../storage/storage.js';
import { ByteWriter, crc32c } from '../encoding.js';
import {
  CHUNKS_MAGIC,
  FORMAT_VERSION,
  INDEX_MAGIC,
  MAX_SEGMENT_BYTES,
  SEGMENT_HEADER_BYTES,
  segmentName,
  type BlockMeta,
  type ChunkMeta,
} from './format.js';
import { ENCODING_ROLLUP, WINDOWS_PER_CHUNK, encodeRollupChunk } from '../rollup/chunk.js';
import type { Windows } from '../rollup/windows.js';
import { newUlid } from './ulid.js';

/**
 * Writes an immutable block (docs/tsdb/block.md): the samples of the given series within
 * [minTime, maxTime), re-encoded in chunks of {@link SAMPLES_PER_CHUNK}. The block is built in
 * `<ulid>.tmp`, fsynced, then renamed into place, so a crash never leaves a half block under its name.
 */

/** Options of {@link writeBlock}. Times in ms; `maxTime` is exclusive. */
export interface WriteBlockOptions {
  readonly minTime: number;
  readonly maxTime: number;
  /** Compaction level: 1 for a block cut from the head. */
  readonly level: number;
  /** ULIDs of the blocks this one replaces (compaction), for meta.json. */
  readonly parents?: readonly BlockMeta[];
  /** The time the ULID is made from (ms). */
  readonly nowMs: number;
  readonly samplesPerChunk?: number;
  /** `compaction.hints` of meta.json; with parents, the hints all parents share are kept too. */
  readonly hints?: readonly string[];
}

class ChunkFileWriter {
  readonly #dir: string;
  #seg = 0;
  #fh: FileHandle | null = null;
  #offset = 0;
  #buf = new ByteWriter(1 << 16);

  constructor(dir: string) {
    this.#dir = dir;
  }

  async #cut(): Promise<void> {
    await this.#finishSegment();
    this.#seg++;
    this.#fh = await open(join(this.#dir, segmentName(this.#seg)), 'w');
    this.#offset = SEGMENT_HEADER_BYTES;
    this.#buf.u32(CHUNKS_MAGIC);
    this.#buf.u8(FORMAT_VERSION);
    this.#buf.u8(0);
    this.#buf.u8(0);
    this.#buf.u8(0);
  }

  async #flush(): Promise<void> {
    if (this.#fh !== null && this.#buf.length > 0) {
      await this.#fh.write(this.#buf.bytes());
      this.#buf = new ByteWriter(1 << 16);
    }
  }

  async #finishSegment(): Promise<void> {
    if (this.#fh === null) return;
    await this.#flush();
    await this.#fh.sync();
    await this.#fh.close();
    this.#fh = null;
  }

  /** Appends a chunk entry of `encoding` (default XOR); returns its reference and length. */
  async write(data: Uint8Array, encoding = ENCODING_XOR): Promise<{ ref: number; len: number }> {
    const entry = new ByteWriter(data.length + 16);
    entry.uvarint(data.length);
    const encAt = entry.length;
    entry.u8(encoding);
    entry.raw(data);
    entry.u32(crc32c(entry.bytes().subarray(encAt)));
    const len = entry.length;
    if (this.#fh === null || this.#offset + len > MAX_SEGMENT_BYTES) await this.#cut();
    const ref = this.#seg * 4294967296 + this.#offset;
    this.#buf.raw(entry.bytes());
    this.#offset += len;
    if (this.#buf.length > 1 << 22) await this.#flush();
    return { ref, len };
  }

  async close(): Promise<void> {
    await this.#finishSegment();
  }
}

async function syncFile(path: string, data: Uint8Array | string): Promise<void> {
  await writeFile(path, data);
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Fsyncs a directory so a rename in it is durable. */
export async function syncDir(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes a block under `parentDir` from series sorted by labels (iterated once, in order).
 * Returns its meta, or null when no series has a sample in the range (nothing is written).
 */
export async function writeBlock(
  parentDir: string,
  series: Iterable<Series> | AsyncIterable<Series>,
  options: WriteBlockOptions,
): Promise<BlockMeta | null> {
  const ulid = newUlid(options.nowMs);
  const tmp = join(parentDir, `${ulid}.tmp`);
  const spc = options.samplesPerChunk ?? SAMPLES_PER_CHUNK;
  await mkdir(join(tmp, 'chunks'), { recursive: true });
  const chunks = new ChunkFileWriter(join(tmp, 'chunks'));
  const written: { labels: Labels; chunks: ChunkMeta[] }[] = [];
  let numSamples = 0;
  let numChunks = 0;
  let prev: Labels | null = null;
  try {
    for await (const s of series) {
      if (prev !== null && compareLabels(prev, s.labels) >= 0) {
        throw new BugError(`write block: series out of order at ${JSON.stringify(s.labels)}`);
      }
      prev = s.labels;
      const it = s.iterator();
      if (!it.seek(options.minTime)) continue;
      const metas: ChunkMeta[] = [];
      let c = new XorChunk(256);
      let more = true;
      while (more) {
        const t = it.atT();
        if (t >= options.maxTime) break;
        c.append(t, it.atV());
        numSamples++;
        more = it.next();
        if (c.numSamples >= spc || !more || it.atT() >= options.maxTime) {
          const { ref, len } = await chunks.write(c.seal());
          metas.push({ minT: c.minTime, maxT: c.maxTime, ref, len });
          numChunks++;
          c = new XorChunk(256);
        }
      }
      if (metas.length > 0) written.push({ labels: s.labels, chunks: metas });
    }
    await chunks.close();
    return await finishBlock(parentDir, ulid, written, { numSamples, numChunks }, options);
  } catch (err) {
    await chunks.close().catch(() => {});
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Completes a block whose chunks are written in `<ulid>.tmp/chunks`: index, meta.json, fsyncs and
 * the rename into place. Returns null (removing the directory) when no series was written.
 */
async function finishBlock(
  parentDir: string,
  ulid: string,
  written: readonly { labels: Labels; chunks: readonly ChunkMeta[] }[],
  stats: { numSamples: number; numChunks: number },
  options: WriteBlockOptions & { readonly resolutionMs?: number },
): Promise<BlockMeta | null> {
  const tmp = join(parentDir, `${ulid}.tmp`);
  if (written.length === 0) {
    await rm(tmp, { recursive: true, force: true });
    return null;
  }
  await syncFile(join(tmp, 'index'), encodeIndex(written));
  const meta: BlockMeta = {
    ulid,
    minTime: options.minTime,
    maxTime: options.maxTime,
    stats: { numSamples: stats.numSamples, numSeries: written.length, numChunks: stats.numChunks },
    compaction: {
      level: options.level,
      sources: options.parents ? [...new Set(options.parents.flatMap((p) => p.compaction.sources))] : [ulid],
      ...(options.parents
        ? {
            parents: options.parents.map((p) => ({ ulid: p.ulid, minTime: p.minTime, maxTime: p.maxTime })),
          }
        : {}),
      ...blockHints(options),
    },
    ...(options.resolutionMs !== undefined ? { resolution: options.resolutionMs } : {}),
    version: 1,
  };
  await syncFile(join(tmp, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  await syncDir(join(tmp, 'chunks'));
  await syncDir(tmp);
  await rename(tmp, join(parentDir, ulid));
  await syncDir(parentDir);
  return meta;
}

/** One series of a rollup block being written: its labels and windows (in time order). */
export interface RollupSeriesInput {
  readonly labels: Labels;
  readonly windows: Windows;
}

/**
 * Writes a rollup block (docs/tsdb/block.md "Rollups") under `parentDir`: for each series (sorted by
 * labels), its windows with ends in [minTime, maxTime] as rollup chunks. `resolutionMs` goes to
 * meta.json; `numSamples` counts windows. Returns null when no series has a window.
 */
export async function writeRollupBlock(
  parentDir: string,
  series: Iterable<RollupSeriesInput> | AsyncIterable<RollupSeriesInput>,
  options: WriteBlockOptions & { readonly resolutionMs: number },
): Promise<BlockMeta | null> {
  const ulid = newUlid(options.nowMs);
  const tmp = join(parentDir, `${ulid}.tmp`);
  await mkdir(join(tmp, 'chunks'), { recursive: true });
  const chunks = new ChunkFileWriter(join(tmp, 'chunks'));
  const written: { labels: Labels; chunks: ChunkMeta[] }[] = [];
  let numSamples = 0;
  let numChunks = 0;
  let prev: Labels | null = null;
  try {
    for await (const s of series) {
      if (prev !== null && compareLabels(prev, s.labels) >= 0)
        throw new BugError(`write rollup block: series out of order at ${JSON.stringify(s.labels)}`);
      prev = s.labels;
      const w = s.windows;
      let from = 0;
      while (from < w.length && w.t[from]! < options.minTime) from++;
      let to = from;
      while (to < w.length && w.t[to]! <= options.maxTime) to++;
      const metas: ChunkMeta[] = [];
      for (let i = from; i < to; i += WINDOWS_PER_CHUNK) {
        const end = Math.min(to, i + WINDOWS_PER_CHUNK);
        const { ref, len } = await chunks.write(encodeRollupChunk(w, i, end), ENCODING_ROLLUP);
        metas.push({ minT: w.t[i]!, maxT: w.t[end - 1]!, ref, len });
        numChunks++;
      }
      numSamples += to - from;
      if (metas.length > 0) written.push({ labels: s.labels, chunks: metas });
    }
    await chunks.close();
    return await finishBlock(parentDir, ulid, written, { numSamples, numChunks }, options);
  } catch (err) {
    await chunks.close().catch(() => {});
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Encodes the index of series (sorted by labels, id = position) with symbols and postings. */
export function encodeIndex(series: readonly { labels: Labels; chunks: readonly ChunkMeta[] }[]): Uint8Array {
  const symbolSet = new Set<string>();
  for (const s of series) for (const l of s.labels) symbolSet.add(l.name).add(l.value);
  const symbols = [...symbolSet].sort();
  const symIndex = new Map<string, number>();
  symbols.forEach((s, i) => symIndex.set(s, i));

  const out = new ByteWriter(1 << 16);
  out.u32(INDEX_MAGIC);
  out.u8(FORMAT_VERSION);

  const section = (fill: (w: ByteWriter) => void): void => {
    const w = new ByteWriter(1 << 12);
    fill(w);
    const body = w.bytes();
    out.u32(body.length);
    out.raw(body);
    out.u32(crc32c(body));
  };

  section((w) => {
    w.uvarint(symbols.length);
    for (const s of symbols) w.str(s);
  });

  const postings = new Map<string, number[]>();
  section((w) => {
    w.uvarint(series.length);
    series.forEach((s, id) => {
      w.uvarint(s.labels.length);
      for (const l of s.labels) {
        w.uvarint(symIndex.get(l.name)!);
        w.uvarint(symIndex.get(l.value)!);
        const key = `${l.name}\u0000${l.value}`;
        const ids = postings.get(key);
        if (ids === undefined) postings.set(key, [id]);
        else ids.push(id);
      }
      w.uvarint(s.chunks.length);
      let prevMaxT = 0;
      let prevRef = 0;
      s.chunks.forEach((c, i) => {
        w.varint(i === 0 ? c.minT : c.minT - prevMaxT);
        w.uvarint(c.maxT - c.minT);
        w.uvarint(i === 0 ? c.ref : c.ref - prevRef);
        w.uvarint(c.len);
        prevMaxT = c.maxT;
        prevRef = c.ref;
      });
    });
  });

  section((w) => {
    const keys = [...postings.keys()].sort();
    w.uvarint(keys.length);
    for (const key of keys) {
      const sep = key.indexOf('\u0000');
      w.uvarint(symIndex.get(key.slice(0, sep))!);
      w.uvarint(symIndex.get(key.slice(sep + 1))!);
      const ids = postings.get(key)!;
      w.uvarint(ids.length);
      let prev = 0;
      for (const id of ids) {
        w.uvarint(id - prev);
        prev = id;
      }
    }
  });
  return out.bytes();
}

/** The hints of a new block: its own, and those every parent has (an all-imported merge stays imported). */
function blockHints(options: WriteBlockOptions): { hints?: string[] } {
  const hints = new Set(options.hints ?? []);
  const parents = options.parents ?? [];
  if (parents.length > 0) {
    for (const h of parents[0]!.compaction.hints ?? []) {
      if (parents.every((p) => p.compaction.hints?.includes(h) === true)) hints.add(h);
    }
  }
  return hints.size > 0 ? { hints: [...hints].sort() } : {};
}
