/**
 * Constants and types of the block byte format (docs/tsdb/block.md).
 */

/** Magic number at the start of a chunks segment file (as Prometheus's). */
export const CHUNKS_MAGIC = 0x85bd40dd;
/** Magic number at the start of a block index file ("KIDX"). */
export const INDEX_MAGIC = 0x4b494458;
/** Magic number at the start of a tombstones file ("KTMB"). */
export const TOMBSTONES_MAGIC = 0x4b544d42;
/** Format version of the chunks, index and tombstones files. */
export const FORMAT_VERSION = 1;
/** Bytes of a chunks segment header: magic, version, 3 bytes padding. */
export const SEGMENT_HEADER_BYTES = 8;
/** Maximum size of one chunks segment file. */
export const MAX_SEGMENT_BYTES = 512 * 1024 * 1024;

/**
 * The hint of a block written by `kanshi tsdb import` (a backfill). Its time range says nothing about
 * how far the head was persisted, so it does not raise the head's minimum valid time.
 */
export const BLOCK_HINT_IMPORTED = 'imported';

/** The meta.json of a block (Prometheus's shape; times in ms, maxTime exclusive). */
export interface BlockMeta {
  readonly ulid: string;
  readonly minTime: number;
  readonly maxTime: number;
  readonly stats: {
    readonly numSamples: number;
    readonly numSeries: number;
    readonly numChunks: number;
    readonly numTombstones?: number;
  };
  readonly compaction: {
    readonly level: number;
    readonly sources: readonly string[];
    readonly parents?: readonly { ulid: string; minTime: number; maxTime: number }[];
    readonly deletable?: boolean;
    /**
     * Where the data came from, as Prometheus's `compaction.hints` (e.g. `from-out-of-order`).
     * {@link BLOCK_HINT_IMPORTED}: written by a backfill, not cut from the head.
     */
    readonly hints?: readonly string[];
  };
  /**
   * Present on a rollup block (docs/tsdb/block.md "Rollups"): the window length in ms (300000,
   * 3600000). Its chunks are rollup chunks whose times are window ends, which lie in
   * `[minTime, maxTime]`; `minTime`/`maxTime` are the raw samples' range it summarizes.
   */
  readonly resolution?: number;
  readonly version: 1;
}

/** Where a chunk of a series lies: its time bounds (ms), file position and entry length. */
export interface ChunkMeta {
  readonly minT: number;
  readonly maxT: number;
  /** segment * 2^32 + byte offset of the chunk entry in that segment (Prometheus's layout). */
  readonly ref: number;
  /** Bytes of the whole entry (length, encoding, data, CRC). */
  readonly len: number;
}

/** The segment number of a chunk reference. */
export function refSegment(ref: number): number {
  return Math.floor(ref / 4294967296);
}

/** The byte offset of a chunk reference within its segment. */
export function refOffset(ref: number): number {
  return ref % 4294967296;
}

/** The file name of chunks segment `n` (1-based, six digits, as Prometheus names them). */
export function segmentName(n: number): string {
  return String(n).padStart(6, '0');
}
