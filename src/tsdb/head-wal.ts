import { AppError, errorMessage } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import type { Label } from '../model/labels.js';
import { Wal, WalCorruptionError, type WalPosition } from '../wal/wal.js';
import { ByteReader, ByteWriter } from './encoding.js';
import type { Head, HeadBatch } from './head/head.js';
import type { Interval } from './iterators.js';

/**
 * The head's write-ahead log: TSDB records (docs/tsdb/wal.md) over the segmented log of src/wal.
 * A commit's records are appended and fsynced (group commit: concurrent commits share an fsync)
 * before its samples become visible. On open the log is replayed into the head: series records
 * first (wherever they are in the log), then samples and deletions in log order. Segments whose
 * samples are all older than the persisted blocks are removed after a series checkpoint.
 */

/** Record types (first byte of a record). */
export const RECORD_SERIES = 1;
export const RECORD_SAMPLES = 2;
export const RECORD_TOMBSTONES = 3;

/** Encodes a series record: refs with their label sets. */
export function encodeSeries(series: readonly { ref: number; labels: readonly Label[] }[]): Uint8Array {
  const w = new ByteWriter(64 * series.length + 16);
  w.u8(RECORD_SERIES);
  w.uvarint(series.length);
  for (const s of series) {
    w.uvarint(s.ref);
    w.uvarint(s.labels.length);
    for (const l of s.labels) {
      w.str(l.name);
      w.str(l.value);
    }
  }
  return w.bytes().slice();
}

/** Encodes a samples record: (ref, t, v) triples, refs and times as deltas to the first. */
export function encodeSamples(
  refs: readonly number[],
  ts: readonly number[],
  vs: Float64Array,
  length: number,
): Uint8Array {
  const w = new ByteWriter(12 * length + 32);
  w.u8(RECORD_SAMPLES);
  w.uvarint(length);
  if (length > 0) {
    const ref0 = refs[0]!;
    const t0 = ts[0]!;
    w.uvarint(ref0);
    w.varint(t0);
    for (let i = 0; i < length; i++) {
      w.varint(refs[i]! - ref0);
      w.varint(ts[i]! - t0);
      w.f64(vs[i]!);
    }
  }
  return w.bytes().slice();
}

/** Encodes a tombstones record: deleted intervals of series refs. */
export function encodeTombstones(refs: readonly number[], minT: number, maxT: number): Uint8Array {
  const w = new ByteWriter(8 * refs.length + 32);
  w.u8(RECORD_TOMBSTONES);
  w.uvarint(refs.length);
  w.varint(minT);
  w.varint(maxT);
  for (const r of refs) w.uvarint(r);
  return w.bytes().slice();
}

/** A decoded record. */
export type DecodedRecord =
  | { type: 'series'; series: { ref: number; labels: Label[] }[] }
  | { type: 'samples'; refs: number[]; ts: number[]; vs: Float64Array }
  | { type: 'tombstones'; refs: number[]; interval: Interval };

/** Decodes a record; throws AppError('io') for an unknown type or a truncated record. */
export function decodeRecord(data: Uint8Array, what: string): DecodedRecord {
  const r = new ByteReader(data, what);
  const type = r.u8();
  switch (type) {
    case RECORD_SERIES: {
      const n = r.uvarint();
      const series: { ref: number; labels: Label[] }[] = [];
      for (let i = 0; i < n; i++) {
        const ref = r.uvarint();
        const nl = r.uvarint();
        const labels: Label[] = [];
        for (let j = 0; j < nl; j++) labels.push({ name: r.str(), value: r.str() });
        series.push({ ref, labels });
      }
      return { type: 'series', series };
    }
    case RECORD_SAMPLES: {
      const n = r.uvarint();
      const refs: number[] = new Array<number>(n);
      const ts: number[] = new Array<number>(n);
      const vs = new Float64Array(n);
      if (n > 0) {
        const ref0 = r.uvarint();
        const t0 = r.varint();
        for (let i = 0; i < n; i++) {
          refs[i] = ref0 + r.varint();
          ts[i] = t0 + r.varint();
          vs[i] = r.f64();
        }
      }
      return { type: 'samples', refs, ts, vs };
    }
    case RECORD_TOMBSTONES: {
      const n = r.uvarint();
      const minT = r.varint();
      const maxT = r.varint();
      const refs: number[] = [];
      for (let i = 0; i < n; i++) refs.push(r.uvarint());
      return { type: 'tombstones', refs, interval: { minT, maxT } };
    }
    default:
      throw new AppError('io', `${what}: unknown record type ${type}`);
  }
}

/** Options of {@link HeadWal.open}. */
export interface HeadWalOptions {
  readonly logger: Logger;
  /** Size at which a segment is closed (default: the Wal's, 32 MiB). */
  readonly segmentMaxBytes?: number;
  /**
   * The fsync policy (docs/tsdb/wal.md "Commit and fsync policy"). 0: a commit resolves after
   * its records are written and fsynced (group commit). > 0: a commit resolves once its records
   * are written to the OS, which survives a crash of the process (kill -9) but not of the
   * machine; the log is fsynced in the background at most this many ms after a write, and when
   * a segment is closed. Default 0.
   */
  readonly syncIntervalMs?: number;
}

/** The TSDB's log over a {@link Wal} in `dir`. */
export class HeadWal {
  readonly #wal: Wal;
  readonly #log: Logger;
  readonly #syncIntervalMs: number;
  /** The pending background fsync (syncIntervalMs > 0), if one is scheduled. */
  #syncTimer: ReturnType<typeof setTimeout> | null = null;
  #backgroundSync: Promise<void> | null = null;
  /** Newest sample time (ms) per segment number, to know when a segment may go. */
  readonly #segMaxT = new Map<number, number>();

  private constructor(wal: Wal, log: Logger, syncIntervalMs: number) {
    this.#wal = wal;
    this.#log = log;
    this.#syncIntervalMs = syncIntervalMs;
  }

  /** Opens the log in `dir` (a torn tail is truncated and logged by the Wal). */
  static async open(dir: string, options: HeadWalOptions): Promise<HeadWal> {
    const syncIntervalMs = options.syncIntervalMs ?? 0;
    if (!(Number.isFinite(syncIntervalMs) && syncIntervalMs >= 0)) {
      throw new AppError('bad_input', `wal: sync interval must be >= 0 ms, got ${syncIntervalMs}`);
    }
    const wal = await Wal.open({
      dir,
      logger: options.logger,
      ...(options.segmentMaxBytes ? { segmentMaxBytes: options.segmentMaxBytes } : {}),
    });
    return new HeadWal(wal, options.logger, syncIntervalMs);
  }

  /** Schedules a background fsync within the sync interval, unless one is pending. */
  #scheduleSync(): void {
    if (this.#syncTimer !== null) return;
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = null;
      this.#backgroundSync = this.#wal.sync().then(
        () => {
          this.#backgroundSync = null;
        },
        (err: unknown) => {
          this.#backgroundSync = null;
          // The Wal refuses appends after a failed fsync: later commits fail and are not acknowledged.
          this.#log.error({ err: errorMessage(err), dir: this.#wal.dir }, 'wal background fsync failed');
        },
      );
    }, this.#syncIntervalMs);
    this.#syncTimer.unref?.();
  }

  #noteSegment(pos: WalPosition, maxT: number): void {
    const prev = this.#segMaxT.get(pos.segment) ?? -Infinity;
    if (maxT > prev) this.#segMaxT.set(pos.segment, maxT);
  }

  /** Logs a committed batch durably (series records first, then its samples). */
  async log(batch: HeadBatch): Promise<void> {
    const records: Uint8Array[] = [];
    if (batch.newSeries.length > 0) records.push(encodeSeries(batch.newSeries));
    let maxT = -Infinity;
    if (batch.length > 0) {
      records.push(encodeSamples(batch.refs, batch.ts, batch.vs, batch.length));
      for (let i = 0; i < batch.length; i++) if (batch.ts[i]! > maxT) maxT = batch.ts[i]!;
    }
    const syncNow = this.#syncIntervalMs === 0;
    const pos = await this.#wal.append(records, { sync: syncNow });
    if (!syncNow) this.#scheduleSync();
    this.#noteSegment(pos, maxT);
  }

  /** Logs deleted intervals of head series durably. */
  async logDeletion(refs: readonly number[], minT: number, maxT: number): Promise<void> {
    if (refs.length === 0) return;
    await this.#wal.append([encodeTombstones(refs, minT, maxT)], { sync: true });
  }

  /**
   * Replays the log into `head`: all series records first, then samples and tombstones in log
   * order (samples below the head's minimum valid time, already in blocks, are skipped).
   *
   * Damage (docs/tsdb/wal.md "Damage"): a frame that does not parse (checksum, length) is
   * repaired by truncating its segment at the frame ({@link Wal.repairAt}); replay goes on with
   * the next segment, so later segments, which hold acknowledged writes, are replayed. A frame
   * that parses but does not decode is skipped. Each is logged at error level and counted in
   * {@link HeadWal.corruptions}; replay never throws for damage.
   */
  async replay(head: Head): Promise<void> {
    let series = 0;
    let samples = 0;
    for (const pass of ['series', 'data'] as const) {
      let pos = this.#wal.start();
      for (;;) {
        let recs;
        try {
          recs = await this.#wal.read(pos, { maxRecords: 4096 });
        } catch (err) {
          if (!(err instanceof WalCorruptionError)) {
            this.#log.error(
              { err: errorMessage(err), dir: this.#wal.dir },
              'wal replay stopped: the log cannot be read further',
            );
            break;
          }
          const repair = await this.#wal.repairAt(err.position, errorMessage(err));
          this.#corruptions++;
          this.#droppedBytes += repair.droppedBytes;
          continue;
        }
        if (recs.length === 0) break;
        for (const rec of recs) {
          pos = rec.next;
          const what = `wal record at ${rec.position.segment}:${rec.position.offset}`;
          const type = rec.data[0];
          if (pass === 'series' ? type !== RECORD_SERIES : type === RECORD_SERIES) continue;
          let d: DecodedRecord;
          try {
            d = decodeRecord(rec.data, what);
          } catch (err) {
            // Counted once, in the pass that reads records of its type.
            this.#corruptions++;
            this.#log.error(
              { err: errorMessage(err), dir: this.#wal.dir },
              'wal replay skipped a record that does not decode',
            );
            continue;
          }
          if (d.type === 'series') {
            for (const s of d.series) {
              head.getOrCreate(s.labels, s.ref).logged = true;
              series++;
            }
          } else if (d.type === 'samples') {
            for (const ref of d.refs) head.reserveRef(ref);
            head.applySamples(d.refs, d.ts, d.vs, d.refs.length);
            let maxT = -Infinity;
            for (const t of d.ts) if (t > maxT) maxT = t;
            this.#noteSegment(rec.position, maxT);
            samples += d.refs.length;
          } else {
            for (const ref of d.refs) head.reserveRef(ref);
            head.deleteRefs(d.refs, d.interval.minT, d.interval.maxT);
          }
        }
      }
    }
    this.#log.info({ series, samples, corruptions: this.#corruptions, dir: this.#wal.dir }, 'wal replayed');
  }

  #corruptions = 0;
  #droppedBytes = 0;

  /** Damaged records found (and repaired or skipped) by {@link replay} since open. */
  get corruptions(): number {
    return this.#corruptions;
  }

  /** Bytes cut off damaged segments by {@link replay} since open. */
  get corruptedBytes(): number {
    return this.#droppedBytes;
  }

  /**
   * Drops segments whose samples are all older than `mint` (ms; persisted in blocks). The series
   * of `head` are written first as a checkpoint, so replay still knows every live series.
   */
  async truncate(mint: number, head: Head): Promise<void> {
    const active = await this.#wal.cut();
    let upTo = 0;
    for (const { segment } of this.#wal.segments()) {
      if (segment >= active) break;
      if ((this.#segMaxT.get(segment) ?? -Infinity) >= mint) break;
      upTo = segment + 1;
    }
    if (upTo === 0) return;
    const live: { ref: number; labels: readonly Label[] }[] = [];
    for (const s of head.allSeries()) live.push({ ref: s.ref, labels: s.labels });
    for (let i = 0; i < live.length; i += 10_000) {
      await this.#wal.append([encodeSeries(live.slice(i, i + 10_000))]);
    }
    await this.#wal.sync();
    const removed = await this.#wal.truncateBefore(upTo);
    for (const n of removed) this.#segMaxT.delete(n);
  }

  /** Fsyncs run so far (for metrics and tests). */
  get syncCount(): number {
    return this.#wal.syncCount;
  }

  /** Segment numbers of the log, oldest first. */
  segments(): number[] {
    return this.#wal.segments().map((s) => s.segment);
  }

  /** Bytes of the log on disk. */
  sizeBytes(): number {
    return this.#wal.segments().reduce((n, s) => n + s.bytes, 0);
  }

  /** Syncs and closes the log (a pending background fsync is folded into the final one). */
  async close(): Promise<void> {
    if (this.#syncTimer !== null) clearTimeout(this.#syncTimer);
    this.#syncTimer = null;
    await this.#backgroundSync;
    await this.#wal.close();
  }
}
