import { join } from 'node:path';
import type { Logger } from '../../base/logger.js';
import type { Matcher } from '../../storage/storage.js';
import { Block } from '../block/block.js';
import type { BlockMeta } from '../block/format.js';
import { byLabels } from '../block/merge.js';
import { writeRollupBlock, type RollupSeriesInput } from '../block/writer.js';
import { ChunksIterator, DeletedIterator } from '../iterators.js';
import { Windows } from './windows.js';

/**
 * The rollup blocks of one TSDB (docs/tsdb/block.md "Rollups"): per resolution, blocks of windows
 * written from raw blocks once they are compacted to the rollup range, compacted among themselves
 * into ×3 larger ranges, deleted at their own retention, with tombstones widened to whole windows.
 * Not safe for concurrent use: the TSDB calls it under its compaction lock.
 */

const DAY = 86_400_000;

/** One rollup resolution and how long its blocks are kept (ms). */
export interface RollupLevel {
  readonly resolutionMs: number;
  readonly retentionMs: number;
}

/** Options of {@link Rollups}. */
export interface RollupsOptions {
  readonly dir: string;
  readonly levels: readonly RollupLevel[];
  /** Raw blocks spanning at least this (ms) get rollups; also the first rollup block range. */
  readonly fromRangeMs: number;
  readonly logger: Logger;
  readonly nowMs: () => number;
}

/** The rollup blocks of one store. */
export class Rollups {
  readonly #o: RollupsOptions;
  /** Resolution → blocks sorted by minTime. */
  readonly #blocks = new Map<number, Block[]>();

  constructor(options: RollupsOptions) {
    this.#o = options;
    for (const l of options.levels) this.#blocks.set(l.resolutionMs, []);
  }

  /** Configured resolutions, finest first. */
  resolutions(): number[] {
    return this.#o.levels.map((l) => l.resolutionMs).sort((a, b) => a - b);
  }

  /** Adds an opened rollup block (its meta has `resolution`). */
  add(b: Block): void {
    const res = b.meta.resolution!;
    const list = this.#blocks.get(res) ?? [];
    list.push(b);
    list.sort((x, y) => x.meta.minTime - y.meta.minTime);
    this.#blocks.set(res, list);
  }

  /** Blocks of `resolutionMs` (all resolutions when absent), oldest first. */
  blocks(resolutionMs?: number): Block[] {
    if (resolutionMs !== undefined) return [...(this.#blocks.get(resolutionMs) ?? [])];
    return [...this.#blocks.values()].flat().sort((a, b) => a.meta.minTime - b.meta.minTime);
  }

  #retention(res: number): number {
    return this.#o.levels.find((l) => l.resolutionMs === res)?.retentionMs ?? Infinity;
  }

  /**
   * Writes the missing rollups of raw block `raw` (when it spans at least the rollup range and a
   * resolution has no block over its range yet, and that resolution still keeps its age).
   */
  async ensureFrom(raw: Block, newestMs: number): Promise<void> {
    const { minTime, maxTime } = raw.meta;
    if (maxTime - minTime < this.#o.fromRangeMs) return;
    for (const l of this.#o.levels) {
      if (maxTime <= newestMs - l.retentionMs) continue;
      const list = this.#blocks.get(l.resolutionMs) ?? [];
      if (list.some((b) => b.meta.minTime < maxTime && b.meta.maxTime > minTime)) continue;
      raw.acquire();
      let meta: BlockMeta | null;
      try {
        meta = await writeRollupBlock(this.#o.dir, windowsOfRaw(raw, l.resolutionMs), {
          minTime,
          maxTime,
          level: raw.meta.compaction.level,
          parents: [raw.meta],
          nowMs: this.#o.nowMs(),
          resolutionMs: l.resolutionMs,
        });
      } finally {
        raw.release();
      }
      if (meta === null) continue;
      this.add(await Block.open(join(this.#o.dir, meta.ulid)));
      this.#o.logger.info(
        { block: meta.ulid, resolution: l.resolutionMs, minTime, maxTime, series: meta.stats.numSeries },
        'rollup block written',
      );
    }
  }

  /** Rollup compaction ranges of `res`: ×3 steps from the first range up to 10% of its retention or 31 d. */
  #ranges(res: number): number[] {
    const out: number[] = [];
    const max = Math.min(this.#retention(res) / 10, 31 * DAY);
    for (let r = this.#o.fromRangeMs * 3; r <= max; r *= 3) out.push(r);
    return out;
  }

  /** Merges adjacent rollup blocks of each resolution whose ×3 range lies before `settledMs`. */
  async compact(settledMs: number): Promise<void> {
    for (const res of this.resolutions()) {
      for (let changed = true; changed;) {
        changed = false;
        for (const r of this.#ranges(res)) {
          const groups = new Map<number, Block[]>();
          for (const b of this.#blocks.get(res) ?? []) {
            const start = Math.floor(b.meta.minTime / r) * r;
            if (b.meta.maxTime > start + r) continue;
            const g = groups.get(start) ?? [];
            g.push(b);
            groups.set(start, g);
          }
          for (const [start, g] of groups) {
            if (g.length < 2 || start + r > settledMs) continue;
            await this.#merge(res, g);
            changed = true;
          }
          if (changed) break;
        }
      }
    }
  }

  /** Writes one rollup block from `sources` (same resolution, tombstones applied) in their place. */
  async #merge(res: number, sources: Block[]): Promise<void> {
    const minTime = Math.min(...sources.map((b) => b.meta.minTime));
    const maxTime = Math.max(...sources.map((b) => b.meta.maxTime));
    const level = Math.max(...sources.map((b) => b.meta.compaction.level)) + 1;
    for (const b of sources) b.acquire();
    let meta: BlockMeta | null;
    try {
      meta = await writeRollupBlock(this.#o.dir, mergedWindows(sources, res), {
        minTime,
        maxTime,
        level,
        parents: sources.map((b) => b.meta),
        nowMs: this.#o.nowMs(),
        resolutionMs: res,
      });
    } finally {
      for (const b of sources) b.release();
    }
    const rest = (this.#blocks.get(res) ?? []).filter((b) => !sources.includes(b));
    this.#blocks.set(res, rest);
    if (meta !== null) this.add(await Block.open(join(this.#o.dir, meta.ulid)));
    for (const b of sources) await b.closeAndDelete();
    this.#o.logger.info(
      { block: meta?.ulid, resolution: res, sources: sources.map((b) => b.meta.ulid), level },
      'rollup blocks compacted',
    );
  }

  /** Deletes rollup blocks whose `maxTime` is at least their resolution's retention behind `newestMs`. */
  async applyRetention(newestMs: number): Promise<void> {
    for (const [res, list] of this.#blocks) {
      const keep = this.#retention(res);
      const doomed = list.filter((b) => b.meta.maxTime <= newestMs - keep);
      if (doomed.length === 0) continue;
      this.#blocks.set(
        res,
        list.filter((b) => !doomed.includes(b)),
      );
      for (const b of doomed) {
        await b.closeAndDelete();
        this.#o.logger.info(
          { block: b.meta.ulid, resolution: res, maxTime: b.meta.maxTime },
          'rollup block deleted by retention',
        );
      }
    }
  }

  /**
   * Tombstones for the samples in [mintMs, maxtMs] of matching series: every window that holds any
   * of that time (ends in [mintMs, maxtMs + resolution − 1]) is deleted.
   */
  async delete(matchers: readonly Matcher[], mintMs: number, maxtMs: number): Promise<void> {
    for (const [res, list] of this.#blocks) {
      const hi = maxtMs + res - 1;
      for (const b of list) {
        if (b.meta.maxTime < mintMs || b.meta.minTime > hi) continue;
        await b.delete(matchers, mintMs, hi);
      }
    }
  }

  /** Rewrites every rollup block that has tombstones without the deleted windows. */
  async cleanTombstones(): Promise<void> {
    for (const [res, list] of [...this.#blocks]) {
      for (const b of list) if (b.numTombstones > 0) await this.#merge(res, [b]);
    }
  }

  /** Bytes of all rollup blocks. */
  sizeBytes(): number {
    return this.blocks().reduce((n, b) => n + b.sizeBytes, 0);
  }

  /** Closes every block. */
  async close(): Promise<void> {
    for (const b of this.blocks()) await b.close();
    for (const k of this.#blocks.keys()) this.#blocks.set(k, []);
  }
}

/** The windows of every series of a raw block at `res`, tombstones applied, in label order. */
async function* windowsOfRaw(raw: Block, res: number): AsyncGenerator<RollupSeriesInput> {
  const { minTime, maxTime } = raw.meta;
  for (const id of raw.allPostings()) {
    const chunks = await raw.readChunks(id, minTime, maxTime - 1);
    if (chunks.length === 0) continue;
    const deleted = raw.tombstonesOf(id);
    const inner = new ChunksIterator(chunks, minTime, maxTime - 1);
    const it = deleted === undefined ? inner : new DeletedIterator(inner, deleted);
    const w = new Windows(res, Math.ceil((maxTime - minTime) / res) + 1);
    w.addSamples(it, minTime, maxTime - 1);
    if (w.length > 0) yield { labels: raw.labelsOf(id), windows: w };
  }
}

/** The windows of several rollup blocks merged by labels, in time order (parts of a window combined). */
async function* mergedWindows(blocks: readonly Block[], res: number): AsyncGenerator<RollupSeriesInput> {
  const sorted = [...blocks].sort((a, b) => a.meta.minTime - b.meta.minTime);
  for (const { labels, members } of byLabels(sorted)) {
    const out = new Windows(res);
    for (const { block, id } of members)
      for (const part of await block.windowsFor(Uint32Array.of(id), -Infinity, Infinity))
        out.addWindows(part.windows);
    if (out.length > 0) yield { labels, windows: out };
  }
}
