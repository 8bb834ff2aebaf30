import { link, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, errorMessage } from '../base/errors.js';
import { systemClock, type Clock } from '../base/clock.js';
import { nullLogger, type Logger } from '../base/logger.js';
import { compareLabels, type Labels } from '../model/labels.js';
import type { MetricFamily } from '../model/metric.js';
import type {
  Appender,
  Matcher,
  Querier,
  SampleIterator,
  Series,
  SelectHints,
  Storage,
} from '../storage/storage.js';
import { Block } from './block/block.js';
import { BLOCK_HINT_IMPORTED, type BlockMeta } from './block/format.js';
import { byLabels } from './block/merge.js';
import { isUlid } from './block/ulid.js';
import { syncDir, writeBlock } from './block/writer.js';
import { Head, type HeadBatch } from './head/head.js';
import { HeadWal } from './head-wal.js';
import type { LabelLimits } from './head/label-limits.js';
import {
  ChunksIterator,
  DeletedIterator,
  MergeIterator,
  mergeSeriesLists,
  SliceIterator,
} from './iterators.js';
import { chooseResolution, ROLLUP_RANGE_FUNCTIONS } from './rollup/choose.js';
import { planSegments, type Coverage, type Segment } from './rollup/plan.js';
import { Rollups } from './rollup/rollups.js';
import { Windows } from './rollup/windows.js';

/**
 * The embedded time-series store (ARCHITECTURE.md "Storage targets"): a {@link Head} in memory,
 * immutable {@link Block}s on disk cut from it every `blockRangeMs`, compaction of adjacent blocks
 * into larger ones, retention by time and size, and tombstones for deletion. Implements the
 * {@link Storage} port. One TSDB per directory (per tenant); not safe to open twice.
 */

const HOUR = 3_600_000;

/** Options of {@link TSDB.open}. Times in ms. */
export interface TsdbOptions {
  /** Blocks entirely older than this behind the newest sample are deleted (default 15 d). */
  readonly retentionMs?: number;
  /** Oldest blocks are deleted while blocks take more bytes than this (default: no limit). */
  readonly maxBytes?: number;
  /** Out-of-order window (default 1 h; at most half the block range is honoured, see docs). */
  readonly oooWindowMs?: number;
  /** Time range of a block cut from the head (default 2 h). */
  readonly blockRangeMs?: number;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /**
   * Whether to keep a write-ahead log in `<dir>/wal` (default true). Without it the head is
   * persisted as a block at {@link TSDB.close} and lost on a crash (tests, benchmarks, imports).
   */
  readonly wal?: boolean;
  /** Size at which a WAL segment is closed (default 32 MiB; small in tests). */
  readonly walSegmentBytes?: number;
  /**
   * WAL fsync policy (`storage.wal_sync_interval`, docs/tsdb/wal.md): 0 (default) fsyncs every
   * commit before it resolves (group commit); > 0 resolves a commit once it is written to the OS
   * (survives kill -9, not a power loss) and fsyncs in the background within this many ms.
   */
  readonly walSyncIntervalMs?: number;
  /**
   * Most series in the head (`storage.max_series`; one TSDB per tenant, so per tenant). An append
   * that would create another series returns the rejection 'limit' (counted in
   * `kanshi_tsdb_samples_rejected_total{reason="limit"}`); series replayed from the WAL are always
   * restored. Default 0: unlimited.
   */
  readonly maxSeries?: number;
  /**
   * Label limits checked when a series is created (`storage.label_limit`,
   * `storage.label_name_length_limit`, `storage.label_value_length_limit`, as Prometheus's): a
   * sample of a new series over one is rejected with 'limit' and counted in
   * `kanshi_tsdb_label_limit_rejections_total{limit}`. Default: none.
   */
  readonly labelLimits?: LabelLimits;
  /**
   * Rollups (docs/tsdb/block.md "Rollups"): 5 m and 1 h windows written when raw blocks are
   * compacted to the rollup range, read by queries by the rule of docs/promql.md. Default true.
   */
  readonly rollups?: boolean;
  /** How long 5 m rollup blocks are kept (default 90 d; `storage.retention_5m`). */
  readonly retention5mMs?: number;
  /** How long 1 h rollup blocks are kept (default 2 y = 730 d; `storage.retention_1h`). */
  readonly retention1hMs?: number;
}

/** What {@link TSDB.stats} reports. */
export interface TsdbStats {
  readonly headSeries: number;
  readonly headSamples: number;
  readonly headMinTime: number;
  readonly headMaxTime: number;
  /** Encoded chunk bytes per head sample; NaN when the head is empty. */
  readonly headBytesPerSample: number;
  readonly blocks: number;
  readonly blockSamples: number;
  /** Bytes of all blocks on disk. */
  readonly blockBytes: number;
  /** Block bytes per block sample (chunks, index and all); NaN without blocks. */
  readonly bytesPerSample: number;
  /** Head series count per metric name, largest first (at most `limit`). */
  readonly topMetrics: { name: string; series: number }[];
  /** Head series count per label pair, largest first. */
  readonly topLabelPairs: { name: string; value: string; series: number }[];
  /** Distinct values per label name in the head, largest first. */
  readonly topLabelNames: { name: string; values: number }[];
  /** Rollup blocks (all resolutions) and their bytes on disk. */
  readonly rollupBlocks: number;
  readonly rollupBytes: number;
}

type ResolvedOptions = Required<
  Omit<
    TsdbOptions,
    | 'wal'
    | 'maxBytes'
    | 'walSegmentBytes'
    | 'walSyncIntervalMs'
    | 'maxSeries'
    | 'labelLimits'
    | 'rollups'
    | 'retention5mMs'
    | 'retention1hMs'
  >
> & {
  maxBytes: number;
};

/** The embedded TSDB. */
export class TSDB implements Storage {
  readonly dir: string;
  readonly #head: Head;
  #blocks: Block[];
  readonly #opts: ResolvedOptions;
  readonly #wal: HeadWal | undefined;
  readonly #log: Logger;
  readonly #rollups: Rollups;
  #compacting: Promise<void> | null = null;
  #closed = false;

  private constructor(
    dir: string,
    head: Head,
    blocks: Block[],
    opts: ResolvedOptions,
    wal: HeadWal | undefined,
    rollups: Rollups,
  ) {
    this.dir = dir;
    this.#head = head;
    this.#blocks = blocks;
    this.#rollups = rollups;
    this.#opts = opts;
    this.#wal = wal;
    this.#log = opts.logger;
  }

  /**
   * Opens (creating) the store in `dir`: removes leftovers of interrupted writes, opens the
   * blocks (a corrupt one is moved to `corrupted/` and logged, never a refusal to start), then
   * replays the write-ahead log into the head.
   */
  static async open(dir: string, options: TsdbOptions = {}): Promise<TSDB> {
    const opts = {
      retentionMs: options.retentionMs ?? 15 * 24 * HOUR,
      maxBytes: options.maxBytes ?? 0,
      oooWindowMs: options.oooWindowMs ?? HOUR,
      blockRangeMs: options.blockRangeMs ?? 2 * HOUR,
      logger: options.logger ?? nullLogger,
      clock: options.clock ?? systemClock,
    };
    if (!(opts.blockRangeMs > 0))
      throw new AppError('bad_input', `tsdb: block range must be > 0, got ${opts.blockRangeMs}`);
    if (!(opts.oooWindowMs >= 0))
      throw new AppError('bad_input', `tsdb: out-of-order window must be >= 0, got ${opts.oooWindowMs}`);
    const maxSeries = options.maxSeries ?? 0;
    if (!(Number.isSafeInteger(maxSeries) && maxSeries >= 0))
      throw new AppError('bad_input', `tsdb: max series must be an integer >= 0, got ${maxSeries}`);
    await mkdir(dir, { recursive: true });
    await acquireDirLock(dir);
    const rollups = new Rollups({
      dir,
      levels:
        options.rollups === false
          ? []
          : [
              { resolutionMs: 300_000, retentionMs: options.retention5mMs ?? 90 * 24 * HOUR },
              { resolutionMs: HOUR, retentionMs: options.retention1hMs ?? 730 * 24 * HOUR },
            ],
      fromRangeMs: rollupFromRange(opts.blockRangeMs, compactionRanges(opts.blockRangeMs, opts.retentionMs)),
      logger: opts.logger,
      nowMs: () => opts.clock.now(),
    });
    const blocks: Block[] = [];
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      if (name.endsWith('.tmp') || name.endsWith('.deleted')) {
        await rm(path, { recursive: true, force: true });
        continue;
      }
      if (!isUlid(name)) continue;
      try {
        const b = await Block.open(path);
        // Rollup blocks of a resolution no longer configured stay on disk, unread.
        if (b.meta.resolution === undefined) blocks.push(b);
        else if (rollups.resolutions().includes(b.meta.resolution)) rollups.add(b);
        else await b.close();
      } catch (err) {
        await mkdir(join(dir, 'corrupted'), { recursive: true });
        await rename(path, join(dir, 'corrupted', name));
        opts.logger.error({ block: name, err: errorMessage(err) }, 'corrupt block moved to corrupted/');
      }
    }
    blocks.sort((a, b) => a.meta.minTime - b.meta.minTime);
    const wal =
      options.wal === false
        ? undefined
        : await HeadWal.open(join(dir, 'wal'), {
            logger: opts.logger,
            ...(options.walSegmentBytes ? { segmentMaxBytes: options.walSegmentBytes } : {}),
            ...(options.walSyncIntervalMs ? { syncIntervalMs: options.walSyncIntervalMs } : {}),
          });
    const head = new Head({
      oooWindowMs: opts.oooWindowMs,
      maxSeries,
      ...(options.labelLimits ? { labelLimits: options.labelLimits } : {}),
      ...(wal ? { writeAhead: (b: HeadBatch) => wal.log(b) } : {}),
    });
    // Blocks cut from the head say how far it was persisted; imported (backfilled) ones do not, and
    // may reach up to now: live writes after them are taken (docs/tsdb/operations.md "Import").
    for (const b of blocks) {
      if (b.meta.compaction.hints?.includes(BLOCK_HINT_IMPORTED) !== true)
        head.setMinValidTime(b.meta.maxTime);
    }
    if (wal) {
      await wal.replay(head);
      // Drop series the log named but that hold no sample any more (their data is in blocks).
      head.truncate(head.minValidTime);
    }
    return new TSDB(dir, head, blocks, opts, wal, rollups);
  }

  /** Segment numbers of the write-ahead log, oldest first (empty without one). */
  walSegments(): number[] {
    return this.#wal?.segments() ?? [];
  }

  /** The head (for stats and the WAL composition). */
  get head(): Head {
    return this.#head;
  }

  /** Metas of the open raw blocks, oldest first. */
  blocks(): BlockMeta[] {
    return this.#blocks.map((b) => b.meta);
  }

  /** Metas of the open rollup blocks (of one resolution in ms, or all), oldest first. */
  rollupBlocks(resolutionMs?: number): BlockMeta[] {
    return this.#rollups.blocks(resolutionMs).map((b) => b.meta);
  }

  appender(): Appender {
    const inner = this.#head.appender();
    return {
      append: (labels, t, v) => inner.append(labels, t, v),
      commit: async () => {
        if (this.#closed) throw new AppError('unavailable', `tsdb ${this.dir}: closed`);
        await inner.commit();
        this.#maybeCompact();
      },
      rollback: () => inner.rollback(),
    };
  }

  #maybeCompact(): void {
    if (this.#compacting !== null || this.#closed || !this.#headCompactable()) return;
    this.#compacting = this.compact()
      .catch((err: unknown) => this.#log.error({ err: errorMessage(err) }, 'tsdb compaction failed'))
      .finally(() => {
        this.#compacting = null;
      });
  }

  /** The oldest head time not yet persisted (ms). */
  #headStart(): number {
    return Math.max(this.#head.minTime, this.#head.minValidTime);
  }

  /**
   * Whether a block can be cut from the head: it spans more than one block range plus what it
   * keeps behind its newest sample, half a block range or the out-of-order window if longer, so
   * every sample within the window still finds its range in the head (docs/tsdb/README.md).
   */
  #headCompactable(): boolean {
    const h = this.#head;
    const range = this.#opts.blockRangeMs;
    const keep = Math.max(range / 2, this.#opts.oooWindowMs);
    return h.numSeries > 0 && h.maxTime - this.#headStart() > range + keep;
  }

  /**
   * A querier over [mintMs, maxtMs]. Each call takes the head and the block list as they are at
   * that moment (a block cut from the head is listed before the head drops its data, so nothing
   * falls between), and reads block chunks before resolving: results do not pin files.
   */
  querier(mintMs: number, maxtMs: number): Querier {
    const head = this.#head;
    // Label names and values come from rollup blocks too, where raw blocks are gone.
    const blocksIn = (lo: number, hi: number): Block[] =>
      [...this.#blocks, ...this.#rollups.blocks()].filter((b) => b.meta.maxTime > lo && b.meta.minTime <= hi);
    const range = (hints?: SelectHints): [number, number] => [
      Math.max(mintMs, hints?.startMs ?? -Infinity),
      Math.min(maxtMs, hints?.endMs ?? Infinity),
    ];
    return {
      select: async (matchers, hints) => {
        const [lo, hi] = range(hints);
        const res = hints?.maxResolutionMs === 0 ? 0 : chooseResolution(hints, this.#rollups.resolutions());
        if (res > 0 || (hints?.maxResolutionMs !== 0 && this.#rawMisses(lo, hi)))
          return this.#selectRollups(matchers, lo, hi, res, hints);
        return this.#selectRaw(matchers, lo, hi);
      },
      labelNames: (matchers = []) => {
        const names = new Set(head.labelNames(matchers));
        for (const b of blocksIn(mintMs, maxtMs)) for (const n of b.labelNames(matchers)) names.add(n);
        return Promise.resolve([...names].sort());
      },
      labelValues: (name, matchers = []) => {
        const values = new Set(head.labelValues(name, matchers));
        for (const b of blocksIn(mintMs, maxtMs))
          for (const v of b.matchingLabelValues(name, matchers)) values.add(v);
        return Promise.resolve([...values].sort());
      },
      close: () => {},
    };
  }

  /** Head and raw-block series matching the matchers over [lo, hi], merged by labels. */
  async #selectRaw(matchers: readonly Matcher[], lo: number, hi: number): Promise<Series[]> {
    const blocks = this.#blocks.filter((b) => b.meta.maxTime > lo && b.meta.minTime <= hi);
    const lists: Series[][] = [this.#head.select(matchers, lo, hi)];
    for (const b of blocks) b.acquire();
    try {
      for (let i = blocks.length - 1; i >= 0; i--) lists.push(await blocks[i]!.select(matchers, lo, hi));
    } finally {
      for (const b of blocks) b.release();
    }
    return mergeSeriesLists(lists);
  }

  /** The time raw samples cover: raw blocks and the head (from its oldest sample or persisted edge). */
  #rawCoverage(): Coverage {
    const intervals: [number, number][] = this.#blocks.map((b) => [b.meta.minTime, b.meta.maxTime]);
    const h = this.#head;
    const headFrom = Math.min(h.minTime, Number.isFinite(h.minValidTime) ? h.minValidTime : Infinity);
    if (Number.isFinite(headFrom)) intervals.push([headFrom, Infinity]);
    return { source: 'raw', intervals };
  }

  #rollupCoverage(res: number): Coverage {
    return { source: res, intervals: this.#rollups.blocks(res).map((b) => [b.meta.minTime, b.meta.maxTime]) };
  }

  /** Whether part of [lo, hi] has no raw samples but rollups. */
  #rawMisses(lo: number, hi: number): boolean {
    const resolutions = this.#rollups.resolutions();
    if (resolutions.every((r) => this.#rollups.blocks(r).length === 0)) return false;
    const segs = planSegments(lo, hi, [
      this.#rawCoverage(),
      ...resolutions.map((r) => this.#rollupCoverage(r)),
    ]);
    return segs.some((s) => s.source !== 'raw');
  }

  /**
   * Series over [lo, hi] as windows of `res` (0: one record per raw sample): each part of the range
   * from the preferred source that covers it (rollups of `res`, raw samples aggregated on the fly,
   * other resolutions finest first where raw samples are gone), parts of a window combined.
   */
  async #selectRollups(
    matchers: readonly Matcher[],
    lo: number,
    hi: number,
    res: number,
    hints: SelectHints | undefined,
  ): Promise<Series[]> {
    const others = this.#rollups.resolutions().filter((r) => r !== res);
    const preference: Coverage[] = [
      ...(res > 0 ? [this.#rollupCoverage(res)] : []),
      this.#rawCoverage(),
      ...others.map((r) => this.#rollupCoverage(r)),
    ];
    const byKey = new Map<string, { labels: Labels; windows: Windows }>();
    const entry = (labels: Labels): Windows => {
      const key = JSON.stringify(labels);
      let e = byKey.get(key);
      if (e === undefined) {
        e = { labels, windows: new Windows(res) };
        byKey.set(key, e);
      }
      return e.windows;
    };
    for (const seg of planSegments(lo, hi, preference)) await this.#readSegment(seg, matchers, hi, entry);
    const withRecords =
      hints?.rangeMs !== undefined && hints.func !== undefined && ROLLUP_RANGE_FUNCTIONS.has(hints.func);
    const out: Series[] = [];
    for (const { labels, windows } of byKey.values()) {
      // A window ending at `lo` is outside every range (T − R, T] read from `lo` on.
      windows.dropThrough(lo);
      if (windows.length === 0) continue;
      const last = windows.lastSamples();
      out.push({
        labels,
        iterator: () => new SliceIterator(last.ts, last.vs),
        readSamples: () => last,
        ...(withRecords ? { rollup: windows.records() } : {}),
      });
    }
    return out.sort((a, b) => compareLabels(a.labels, b.labels));
  }

  async #readSegment(
    seg: Segment,
    matchers: readonly Matcher[],
    hi: number,
    entry: (labels: Labels) => Windows,
  ): Promise<void> {
    if (seg.source === 'raw') {
      for (const s of await this.#selectRaw(matchers, seg.from, seg.to - 1)) {
        const w = entry(s.labels);
        // The store's bulk read when it has one: no per-sample iterator calls.
        if (s.readSamples === undefined) w.addSamples(s.iterator(), seg.from, seg.to - 1);
        else {
          const { ts, vs } = s.readSamples();
          for (let i = 0; i < ts.length; i++) {
            const t = ts[i]!;
            if (t >= seg.from && t < seg.to) w.addSample(t, vs[i]!);
          }
        }
      }
      return;
    }
    const blocks = this.#rollups
      .blocks(seg.source)
      .filter((b) => b.meta.minTime < seg.to && b.meta.maxTime > seg.from);
    for (const b of blocks) b.acquire();
    try {
      for (const b of blocks) {
        // Windows end in (from, to]: the one ending at `from` holds only a sample at `from`.
        for (const s of await b.selectWindows(matchers, seg.from, Math.min(seg.to, hi)))
          entry(s.labels).addWindows(s.windows);
      }
    } finally {
      for (const b of blocks) b.release();
    }
  }

  /**
   * Cuts blocks from the head while it spans more than 1.5 block ranges, compacts adjacent blocks
   * and applies retention. Runs by itself after commits; callable directly (tests, admin).
   */
  compact(): Promise<void> {
    // One compaction at a time: later calls run after the current one.
    return this.#locked(() => this.#compactNow());
  }

  #compactLock: Promise<void> = Promise.resolve();

  async #compactNow(): Promise<void> {
    const range = this.#opts.blockRangeMs;
    while (this.#headCompactable()) {
      const mint = Math.floor(this.#headStart() / range) * range;
      await this.#persistHead(mint, mint + range);
    }
    await this.#compactBlocks();
    const newest = this.#newest();
    for (const b of [...this.#blocks]) await this.#rollups.ensureFrom(b, newest);
    await this.#rollups.compact(this.#head.minValidTime);
    await this.#applyRetention();
    await this.#rollups.applyRetention(newest);
  }

  /** The newest sample time the store knows (head or blocks), ms. */
  #newest(): number {
    return Math.max(this.#head.maxTime, ...this.#blocks.map((b) => b.meta.maxTime));
  }

  /** Writes head data in [mint, maxt) as a block and drops it from the head. */
  async #persistHead(mint: number, maxt: number): Promise<void> {
    // No new sample may enter the range from now on; wait for commits already applying.
    this.#head.setMinValidTime(maxt);
    await this.#head.settle();
    const meta = await writeBlock(this.dir, this.#head.seriesInRange(mint, maxt - 1), {
      minTime: mint,
      maxTime: maxt,
      level: 1,
      nowMs: this.#opts.clock.now(),
    });
    if (meta !== null) {
      this.#addBlock(await Block.open(join(this.dir, meta.ulid)));
      this.#log.info(
        { block: meta.ulid, minTime: mint, maxTime: maxt, series: meta.stats.numSeries },
        'head block persisted',
      );
    }
    this.#head.truncate(maxt);
    if (this.#wal) await this.#wal.truncate(maxt, this.#head);
  }

  #addBlock(b: Block): void {
    this.#blocks.push(b);
    this.#blocks.sort((x, y) => x.meta.minTime - y.meta.minTime);
  }

  /** Compaction ranges beyond the first: ×3 steps (6 h, 18 h, 54 h, …) up to 10% of retention or 31 d. */
  #ranges(): number[] {
    return compactionRanges(this.#opts.blockRangeMs, this.#opts.retentionMs);
  }

  async #compactBlocks(): Promise<void> {
    for (let changed = true; changed;) {
      changed = false;
      // Blocks up to the head's minimum valid time will not get more data.
      const settled = this.#head.minValidTime;
      for (const r of this.#ranges()) {
        const groups = new Map<number, Block[]>();
        for (const b of this.#blocks) {
          const start = Math.floor(b.meta.minTime / r) * r;
          if (b.meta.maxTime > start + r) continue;
          const g = groups.get(start) ?? [];
          g.push(b);
          groups.set(start, g);
        }
        for (const [start, g] of groups) {
          if (g.length < 2 || start + r > settled) continue;
          await this.#merge(
            g,
            Math.min(...g.map((b) => b.meta.minTime)),
            Math.max(...g.map((b) => b.meta.maxTime)),
          );
          changed = true;
        }
        if (changed) break;
      }
    }
  }

  /** Writes one block from `sources` over [mint, maxt) (tombstones applied) and replaces them with it. */
  async #merge(sources: Block[], mint: number, maxt: number): Promise<void> {
    const level = Math.max(...sources.map((b) => b.meta.compaction.level)) + 1;
    for (const b of sources) b.acquire();
    let meta: BlockMeta | null;
    try {
      meta = await writeBlock(this.dir, mergedSeries(sources, mint, maxt - 1), {
        minTime: mint,
        maxTime: maxt,
        level,
        parents: sources.map((b) => b.meta),
        nowMs: this.#opts.clock.now(),
      });
    } finally {
      for (const b of sources) b.release();
    }
    if (meta !== null) this.#addBlock(await Block.open(join(this.dir, meta.ulid)));
    this.#blocks = this.#blocks.filter((b) => !sources.includes(b));
    for (const b of sources) await b.closeAndDelete();
    this.#log.info(
      { block: meta?.ulid, sources: sources.map((b) => b.meta.ulid), level },
      'blocks compacted',
    );
  }

  async #applyRetention(): Promise<void> {
    const newest = Math.max(this.#head.maxTime, ...this.#blocks.map((b) => b.meta.maxTime));
    const doomed = new Set<Block>();
    for (const b of this.#blocks) if (b.meta.maxTime <= newest - this.#opts.retentionMs) doomed.add(b);
    if (this.#opts.maxBytes > 0) {
      let total = this.#blocks.reduce((n, b) => n + b.sizeBytes, 0);
      if (this.#wal) total += this.#wal.sizeBytes();
      for (const b of this.#blocks) {
        if (total <= this.#opts.maxBytes) break;
        if (!doomed.has(b)) doomed.add(b);
        total -= b.sizeBytes;
      }
    }
    if (doomed.size === 0) return;
    this.#blocks = this.#blocks.filter((b) => !doomed.has(b));
    for (const b of doomed) {
      await b.closeAndDelete();
      this.#log.info({ block: b.meta.ulid, maxTime: b.meta.maxTime }, 'block deleted by retention');
    }
  }

  /**
   * Deletes the samples in [mintMs, maxtMs] of the series matching the matchers: tombstones in
   * blocks (persisted) and in the head (applied when it is cut). Data is removed from disk by
   * compaction or {@link cleanTombstones}.
   */
  deleteSeries(matchers: readonly Matcher[], mintMs: number, maxtMs: number): Promise<void> {
    // Under the compaction lock, so a block being rewritten cannot miss the new tombstones.
    return this.#locked(() => this.#deleteSeries(matchers, mintMs, maxtMs));
  }

  /** Runs `f` after the running compaction and before the next one. */
  #locked<T>(f: () => Promise<T>): Promise<T> {
    const run = this.#compactLock.then(f);
    this.#compactLock = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  async #deleteSeries(matchers: readonly Matcher[], mintMs: number, maxtMs: number): Promise<void> {
    for (const b of this.#blocks) {
      if (b.meta.maxTime <= mintMs || b.meta.minTime > maxtMs) continue;
      await b.delete(matchers, mintMs, maxtMs);
    }
    await this.#rollups.delete(matchers, mintMs, maxtMs);
    const refs = this.#head.delete(matchers, mintMs, maxtMs);
    if (this.#wal) await this.#wal.logDeletion(refs, mintMs, maxtMs);
  }

  /** Rewrites every block that has tombstones without the deleted data. */
  cleanTombstones(): Promise<void> {
    return this.#locked(async () => {
      for (const b of [...this.#blocks]) {
        if (b.numTombstones === 0) continue;
        await this.#merge([b], b.meta.minTime, b.meta.maxTime);
      }
      await this.#rollups.cleanTombstones();
    });
  }

  /**
   * Writes a consistent copy of all data into `dir` (created): the blocks as hard links (they are
   * immutable; tombstones are copied by rewriting) and the head as one more block.
   */
  snapshot(dir: string, options: { withHead?: boolean } = {}): Promise<void> {
    return this.#locked(() => this.#snapshot(dir, options));
  }

  async #snapshot(dir: string, options: { withHead?: boolean }): Promise<void> {
    await mkdir(dir, { recursive: true });
    for (const b of [...this.#blocks, ...this.#rollups.blocks()]) {
      const to = join(dir, b.meta.ulid);
      await mkdir(join(to, 'chunks'), { recursive: true });
      for (const name of await readdir(join(b.dir, 'chunks')))
        await link(join(b.dir, 'chunks', name), join(to, 'chunks', name));
      for (const name of ['index', 'meta.json', 'tombstones']) {
        try {
          await link(join(b.dir, name), join(to, name));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
    }
    if (options.withHead !== false && this.#head.numSeries > 0) {
      const h = this.#head;
      await writeBlock(dir, h.seriesInRange(h.minTime, h.maxTime), {
        minTime: h.minTime,
        maxTime: h.maxTime + 1,
        level: 1,
        nowMs: this.#opts.clock.now(),
      });
    }
    await syncDir(dir);
  }

  /** Series, samples, bytes per sample and top cardinalities (`limit` entries each, default 10). */
  stats(limit = 10): TsdbStats {
    const h = this.#head;
    const byMetric: { name: string; series: number }[] = [];
    const pairs: { name: string; value: string; series: number }[] = [];
    const valuesPerName = new Map<string, number>();
    for (const p of h.labelPairCounts()) {
      if (p.name === '__name__') byMetric.push({ name: p.value, series: p.count });
      pairs.push({ name: p.name, value: p.value, series: p.count });
      valuesPerName.set(p.name, (valuesPerName.get(p.name) ?? 0) + 1);
    }
    const top = <T>(xs: T[], key: (x: T) => number): T[] =>
      xs.sort((a, b) => key(b) - key(a)).slice(0, limit);
    const blockSamples = this.#blocks.reduce((n, b) => n + b.meta.stats.numSamples, 0);
    const blockBytes = this.#blocks.reduce((n, b) => n + b.sizeBytes, 0);
    return {
      headSeries: h.numSeries,
      headSamples: h.numSamples,
      headMinTime: h.minTime,
      headMaxTime: h.maxTime,
      headBytesPerSample: h.numSamples > 0 ? h.chunkBytes() / h.numSamples : NaN,
      blocks: this.#blocks.length,
      blockSamples,
      blockBytes,
      bytesPerSample: blockSamples > 0 ? blockBytes / blockSamples : NaN,
      topMetrics: top(byMetric, (x) => x.series),
      topLabelPairs: top(pairs, (x) => x.series),
      topLabelNames: top(
        [...valuesPerName].map(([name, values]) => ({ name, values })),
        (x) => x.values,
      ),
      rollupBlocks: this.#rollups.blocks().length,
      rollupBytes: this.#rollups.sizeBytes(),
    };
  }

  /**
   * Stops: waits for a running compaction, persists the head as a block when there is no WAL,
   * closes blocks and the WAL. Appends after close are rejected at commit.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#compactLock;
    await this.#head.settle();
    if (this.#wal === undefined && this.#head.numSeries > 0 && this.#head.numSamples > 0) {
      const h = this.#head;
      const mint = h.minTime;
      const maxt = h.maxTime + 1;
      h.setMinValidTime(maxt);
      await writeBlock(this.dir, h.seriesInRange(mint, maxt - 1), {
        minTime: mint,
        maxTime: maxt,
        level: 1,
        nowMs: this.#opts.clock.now(),
      });
    }
    for (const b of this.#blocks) await b.close();
    this.#blocks = [];
    await this.#rollups.close();
    if (this.#wal) await this.#wal.close();
    await rm(join(this.dir, 'lock'), { force: true });
  }

  /**
   * The store's own metrics as families named `kanshi_tsdb_*`, read at call time. Register with
   * `registry.addCollector(() => tsdb.metricFamilies())`; for several tenants add a `tenant`
   * label to the samples.
   */
  metricFamilies(): MetricFamily[] {
    const c = this.#head.counters;
    const counter = (name: string, help: string, value: number): MetricFamily => ({
      name,
      type: 'counter',
      help,
      samples: [{ name, labels: [], value }],
    });
    const gauge = (name: string, help: string, value: number): MetricFamily => ({
      name,
      type: 'gauge',
      help,
      samples: [{ name, labels: [], value }],
    });
    const rejected = 'kanshi_tsdb_samples_rejected_total';
    return [
      counter(
        'kanshi_tsdb_wal_corruptions_total',
        'Damaged write-ahead log records found at replay (segment truncated at the damage or record skipped).',
        this.#wal?.corruptions ?? 0,
      ),
      gauge('kanshi_tsdb_head_series', 'Series in the head.', this.#head.numSeries),
      gauge(
        'kanshi_tsdb_head_max_series',
        'The series limit of the head (storage.max_series; 0: unlimited).',
        this.#head.maxSeries,
      ),
      counter('kanshi_tsdb_head_samples_appended_total', 'Samples appended to the head.', c.samplesAppended),
      counter(
        'kanshi_tsdb_head_out_of_order_samples_appended_total',
        'Samples older than their series newest one accepted within the out-of-order window.',
        c.oooSamplesAppended,
      ),
      counter(
        'kanshi_tsdb_out_of_order_samples_total',
        'Samples rejected as older than their series newest one with the out-of-order window off (reason out_of_order).',
        c.rejected.out_of_order,
      ),
      counter(
        'kanshi_tsdb_too_old_samples_total',
        'Samples rejected as older than the out-of-order window or than the persisted blocks (reason too_old).',
        c.rejected.too_old,
      ),
      {
        name: 'kanshi_tsdb_label_limit_rejections_total',
        type: 'counter',
        help: 'Samples rejected because their new series broke a label limit, by limit (storage.label_limit, …).',
        samples: Object.entries(c.labelLimits).map(([limit, value]) => ({
          name: 'kanshi_tsdb_label_limit_rejections_total',
          labels: [{ name: 'limit', value: limit }],
          value,
        })),
      },
      {
        name: rejected,
        type: 'counter',
        help: 'Samples the head rejected at append, by reason (limit: the series limit was reached).',
        samples: Object.entries(c.rejected).map(([reason, value]) => ({
          name: rejected,
          labels: [{ name: 'reason', value: reason }],
          value,
        })),
      },
    ];
  }

  /** Bytes the store takes on disk (raw and rollup blocks, and WAL). */
  sizeBytes(): number {
    let n = this.#blocks.reduce((s, b) => s + b.sizeBytes, 0) + this.#rollups.sizeBytes();
    if (this.#wal) n += this.#wal.sizeBytes();
    return n;
  }
}

/**
 * Takes `<dir>/lock` for this process: refuses (AppError 'conflict') while another live process
 * holds it; a lock left by a dead process (kill -9) is taken over.
 */
async function acquireDirLock(dir: string): Promise<void> {
  const path = join(dir, 'lock');
  try {
    const holder = Number((await readFile(path, 'utf8')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new AppError('conflict', `tsdb ${dir}: in use by process ${holder} (${path})`);
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await writeFile(path, `${process.pid}\n`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Series of several blocks merged by labels, chunks read as each series is reached. */
async function* mergedSeries(blocks: readonly Block[], mint: number, maxt: number): AsyncGenerator<Series> {
  for (const { labels, members } of byLabels(blocks)) {
    const parts: (() => SampleIterator)[] = [];
    // Newest block first, so its copy of a sample wins.
    for (const { block, id } of [...members].reverse()) {
      const chunks = await block.readChunks(id, mint, maxt);
      const deleted = block.tombstonesOf(id);
      parts.push(() => {
        const it = new ChunksIterator(chunks, mint, maxt);
        return deleted === undefined ? it : new DeletedIterator(it, deleted);
      });
    }
    yield {
      labels,
      iterator: () => (parts.length === 1 ? parts[0]!() : new MergeIterator(parts.map((p) => p()))),
    };
  }
}

/** Compaction ranges beyond the first: ×3 steps (6 h, 18 h, 54 h, …) up to 10% of retention or 31 d. */
function compactionRanges(blockRangeMs: number, retentionMs: number): number[] {
  const out: number[] = [];
  const max = Math.min(retentionMs / 10, 31 * 24 * HOUR);
  for (let r = blockRangeMs * 3; r <= max; r *= 3) out.push(r);
  return out;
}

/**
 * The raw block range rollups are written at: nine block ranges (18 h by default), or the largest
 * range compaction reaches when retention keeps blocks smaller.
 */
function rollupFromRange(blockRangeMs: number, ranges: readonly number[]): number {
  return Math.min(blockRangeMs * 9, ranges[ranges.length - 1] ?? blockRangeMs);
}

/** Bytes of the files under `dir`, recursively. */
export async function dirSize(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? await dirSize(p) : (await stat(p)).size;
  }
  return n;
}
