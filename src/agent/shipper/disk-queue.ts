import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../base/clock.js';
import { AppError, errorMessage } from '../../base/errors.js';
import { nullLogger, type Logger } from '../../base/logger.js';
import { Registry, type Counter, type Gauge } from '../../exposition/registry.js';
import { crc32c } from '../../wal/crc32c.js';
import {
  Wal,
  WAL_FRAME_HEADER_BYTES,
  comparePositions,
  formatPosition,
  syncDir,
  type WalPosition,
} from '../../wal/wal.js';

/**
 * The agent's bounded on-disk send queue: batches waiting to be shipped to the server, in a
 * {@link Wal} under `<dir>/wal/`, with a persisted read cursor in `<dir>/cursor`.
 *
 * - {@link DiskQueue.enqueue} resolves once the batch is fsynced.
 * - {@link DiskQueue.peek} returns the oldest batch not yet acknowledged; {@link DiskQueue.ack}
 *   moves the cursor past it and fsyncs the cursor before resolving, so after a restart nothing
 *   acknowledged is sent again and nothing unacknowledged is lost. (A crash between the server's
 *   2xx and the cursor's fsync resends that one batch; the server's endpoints are idempotent.)
 * - Limits: when the pending batches exceed `maxBytes`, or a batch is older than `maxAgeMs`, the
 *   oldest are dropped and counted in `kanshi_agent_queue_dropped_total{reason}`.
 * - Whole WAL segments behind the cursor are deleted.
 *
 * One process, one queue per directory. `enqueue` may be called concurrently with one consumer
 * calling peek/ack/drop.
 */

/** What a batch carries: a remote_write body, or a check report as JSON. */
export type QueueKind = 'metrics' | 'checks';

/** A batch to enqueue. */
export interface QueueBatch {
  readonly kind: QueueKind;
  /** For `metrics` a snappy-compressed remote_write body; for `checks` UTF-8 JSON of a CheckReport. */
  readonly body: Uint8Array;
  /** Samples (metrics) or results (checks) in the body, for the sent counters. */
  readonly count: number;
}

/** A batch in the queue, as {@link DiskQueue.peek} returns it. Pass it back to ack or drop. */
export interface QueuedBatch extends QueueBatch {
  /** When it was enqueued, ms since the epoch. */
  readonly enqueuedAtMs: number;
  readonly position: WalPosition;
  readonly next: WalPosition;
}

/** Why a batch left the queue without being delivered. */
export type DropReason = 'max_bytes' | 'max_age' | 'rejected' | 'corrupt';

/** Options of {@link DiskQueue.open}. */
export interface DiskQueueOptions {
  /** The queue's directory; created when missing. */
  readonly dir: string;
  /** Bound on the pending batches' bytes on disk (framing included). */
  readonly maxBytes: number;
  /** Batches older than this (ms) are dropped. */
  readonly maxAgeMs: number;
  /** WAL segment size; default 8 MiB (or maxBytes / 4 when smaller, so old segments can be freed). */
  readonly segmentMaxBytes?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly registry?: Registry;
}

/** Pending batch metadata kept in memory; the body stays on disk. */
interface Entry {
  readonly position: WalPosition;
  readonly next: WalPosition;
  readonly kind: QueueKind;
  readonly count: number;
  readonly enqueuedAtMs: number;
  /** Bytes on disk, frame header included. */
  readonly bytes: number;
}

const RECORD_VERSION = 1;
/** version u8, kind u8, enqueuedAtMs f64, count u32. */
const RECORD_HEADER_BYTES = 14;
const KINDS: readonly QueueKind[] = ['metrics', 'checks'];
const CURSOR_MAGIC = 0x3143514b; // "KQC1" little endian

function encodeRecord(batch: QueueBatch, enqueuedAtMs: number): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_BYTES + batch.body.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, RECORD_VERSION);
  view.setUint8(1, KINDS.indexOf(batch.kind));
  view.setFloat64(2, enqueuedAtMs, true);
  view.setUint32(10, batch.count, true);
  out.set(batch.body, RECORD_HEADER_BYTES);
  return out;
}

function decodeRecord(
  data: Uint8Array,
): Omit<QueueBatch, 'body'> & { enqueuedAtMs: number; body: Uint8Array } {
  if (data.length < RECORD_HEADER_BYTES)
    throw new AppError('bad_input', `queue record of ${data.length} bytes is too short`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = view.getUint8(0);
  const kind = KINDS[view.getUint8(1)];
  if (version !== RECORD_VERSION || !kind) {
    throw new AppError(
      'bad_input',
      `queue record has unknown version ${version} or kind ${view.getUint8(1)}`,
    );
  }
  return {
    kind,
    enqueuedAtMs: view.getFloat64(2, true),
    count: view.getUint32(10, true),
    body: data.subarray(RECORD_HEADER_BYTES),
  };
}

/** The queue. Open with {@link DiskQueue.open}; {@link DiskQueue.close} when done. */
export class DiskQueue {
  readonly #wal: Wal;
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #maxAgeMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #entries: Entry[] = [];
  #bytes = 0;
  /** Entries whose `next` is at or before this are fsynced and may be handed out. */
  #durableEnd: WalPosition;
  /** The persisted cursor (or the one being persisted). */
  #cursor: WalPosition;
  #cursorChain: Promise<void> = Promise.resolve();
  #waiters: (() => void)[] = [];
  #closed = false;
  readonly #metrics: { dropped: Counter; bytes: Gauge; records: Gauge };

  private constructor(options: DiskQueueOptions, wal: Wal, cursor: WalPosition) {
    this.#wal = wal;
    this.#dir = options.dir;
    this.#maxBytes = options.maxBytes;
    this.#maxAgeMs = options.maxAgeMs;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? nullLogger;
    this.#durableEnd = wal.end();
    this.#cursor = cursor;
    const registry = options.registry ?? new Registry();
    this.#metrics = {
      dropped: registry.counter(
        'kanshi_agent_queue_dropped_total',
        'Batches dropped from the send queue without delivery, by reason.',
      ),
      bytes: registry.gauge('kanshi_agent_queue_bytes', 'Bytes of batches waiting in the send queue.'),
      records: registry.gauge('kanshi_agent_queue_records', 'Batches waiting in the send queue.'),
    };
  }

  /**
   * Opens (or creates) the queue in `options.dir`, repairing a torn WAL tail and replaying the
   * batches after the persisted cursor. Expired or excess batches are dropped right away.
   */
  static async open(options: DiskQueueOptions): Promise<DiskQueue> {
    if (!(options.maxBytes > 0))
      throw new AppError('bad_input', `queue max_bytes must be > 0, got ${options.maxBytes}`);
    if (!(options.maxAgeMs > 0))
      throw new AppError('bad_input', `queue max_age must be > 0 ms, got ${options.maxAgeMs}`);
    const logger = options.logger ?? nullLogger;
    const segmentMaxBytes =
      options.segmentMaxBytes ??
      Math.max(64 * 1024, Math.min(8 * 1024 * 1024, Math.floor(options.maxBytes / 4)));
    const wal = await Wal.open({ dir: join(options.dir, 'wal'), segmentMaxBytes, logger });
    let cursor = (await readCursor(join(options.dir, 'cursor'), logger)) ?? wal.start();
    if (comparePositions(cursor, wal.start()) < 0) {
      logger.warn(
        { cursor: formatPosition(cursor) },
        'queue: cursor is before the oldest segment; starting there',
      );
      cursor = wal.start();
    }
    if (comparePositions(cursor, wal.end()) > 0) {
      // The WAL lost a torn tail the cursor had already passed: nothing after it is pending.
      logger.warn(
        { cursor: formatPosition(cursor) },
        'queue: cursor is past the end of the log; starting at the end',
      );
      cursor = wal.end();
    }
    const queue = new DiskQueue(options, wal, cursor);
    await queue.#replay(cursor);
    queue.#applyLimits();
    queue.#updateGauges();
    return queue;
  }

  async #replay(from: WalPosition): Promise<void> {
    let pos = from;
    for (;;) {
      let records;
      try {
        records = await this.#wal.read(pos, { maxRecords: 512 });
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'io')) throw err;
        // A corrupt record inside an older segment: skip the rest of that segment.
        this.#logger.error(
          { position: formatPosition(pos), err: errorMessage(err) },
          'queue: skipping a corrupt segment',
        );
        this.#metrics.dropped.inc({ reason: 'corrupt' });
        if (pos.segment >= this.#wal.end().segment) return;
        pos = { segment: pos.segment + 1, offset: 0 };
        continue;
      }
      if (records.length === 0) return;
      for (const r of records) {
        try {
          const d = decodeRecord(r.data);
          this.#push({
            position: r.position,
            next: r.next,
            kind: d.kind,
            count: d.count,
            enqueuedAtMs: d.enqueuedAtMs,
            bytes: r.data.length + WAL_FRAME_HEADER_BYTES,
          });
        } catch (err) {
          this.#logger.error(
            { position: formatPosition(r.position), err: errorMessage(err) },
            'queue: dropping a bad record',
          );
          this.#metrics.dropped.inc({ reason: 'corrupt' });
        }
      }
      pos = records[records.length - 1]!.next;
    }
  }

  #push(e: Entry): void {
    this.#entries.push(e);
    this.#bytes += e.bytes;
  }

  /** Pending batches. */
  records(): number {
    return this.#entries.length;
  }

  /** Bytes of pending batches on disk. */
  bytes(): number {
    return this.#bytes;
  }

  /**
   * Appends `batch` and resolves once it is fsynced. May drop the oldest batches (or this one,
   * when it alone is over `maxBytes`) to stay within the limits.
   */
  async enqueue(batch: QueueBatch): Promise<void> {
    if (this.#closed) throw new AppError('unavailable', `queue ${this.#dir} is closed`);
    const enqueuedAtMs = this.#clock.now();
    const record = encodeRecord(batch, enqueuedAtMs);
    const frameBytes = record.length + WAL_FRAME_HEADER_BYTES;
    const next = await this.#wal.append([record]);
    const position = { segment: next.segment, offset: next.offset - frameBytes };
    this.#push({ position, next, kind: batch.kind, count: batch.count, enqueuedAtMs, bytes: frameBytes });
    await this.#wal.sync();
    if (comparePositions(next, this.#durableEnd) > 0) this.#durableEnd = next;
    if (this.#applyLimits()) await this.#persistCursor();
    this.#updateGauges();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /**
   * The oldest pending batch (read from disk), or undefined when none is ready. Drops batches
   * older than `maxAgeMs` first, and batches that fail their checksum (counted as `corrupt`).
   */
  async peek(): Promise<QueuedBatch | undefined> {
    if (this.#applyLimits()) {
      this.#updateGauges();
      await this.#persistCursor();
    }
    for (;;) {
      const e = this.#entries[0];
      if (!e || comparePositions(e.next, this.#durableEnd) > 0) return undefined;
      try {
        const [r] = await this.#wal.read(e.position, { maxRecords: 1 });
        if (!r) throw new AppError('io', `queue: no record at ${formatPosition(e.position)}`);
        const d = decodeRecord(r.data);
        return {
          kind: d.kind,
          body: d.body,
          count: d.count,
          enqueuedAtMs: e.enqueuedAtMs,
          position: e.position,
          next: e.next,
        };
      } catch (err) {
        if (!(err instanceof AppError) || (err.code !== 'io' && err.code !== 'bad_input')) throw err;
        // Damaged on disk since it was written: skip it rather than stall the queue forever.
        if (this.#entries[0] !== e) continue;
        this.#logger.error(
          { position: formatPosition(e.position), err: errorMessage(err) },
          'queue: dropping a corrupt batch',
        );
        this.#shift();
        this.#metrics.dropped.inc({ reason: 'corrupt' });
        this.#updateGauges();
        await this.#persistCursor();
      }
    }
  }

  /** Whether `batch` is still pending (not acknowledged or dropped meanwhile). */
  isPending(batch: QueuedBatch): boolean {
    const e = this.#entries[0];
    return e !== undefined && comparePositions(e.position, batch.position) === 0;
  }

  /**
   * Marks the oldest batch delivered: the cursor moves past it and is fsynced before this
   * resolves. A batch that was dropped meanwhile is ignored.
   */
  async ack(batch: QueuedBatch): Promise<void> {
    if (!this.isPending(batch)) return;
    this.#shift();
    this.#updateGauges();
    await this.#persistCursor();
  }

  /** Drops the oldest batch undelivered (the server refused it), counting it under `reason`. */
  async drop(batch: QueuedBatch, reason: DropReason): Promise<void> {
    if (!this.isPending(batch)) return;
    this.#shift();
    this.#metrics.dropped.inc({ reason });
    this.#updateGauges();
    await this.#persistCursor();
  }

  /** Resolves when a batch is ready to peek (at once if one is); rejects when `signal` aborts. */
  wait(signal?: AbortSignal): Promise<void> {
    const e = this.#entries[0];
    if (e && comparePositions(e.next, this.#durableEnd) <= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = (): void => {
        this.#waiters = this.#waiters.filter((w) => w !== done);
        reject(signal?.reason as Error);
      };
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#waiters.push(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #shift(): Entry | undefined {
    const e = this.#entries.shift();
    if (e) this.#bytes -= e.bytes;
    return e;
  }

  /** Drops expired and excess batches; returns whether any was dropped. */
  #applyLimits(): boolean {
    let dropped = false;
    const oldestKept = this.#clock.now() - this.#maxAgeMs;
    while (this.#entries.length > 0 && this.#entries[0]!.enqueuedAtMs < oldestKept) {
      this.#shift();
      this.#metrics.dropped.inc({ reason: 'max_age' });
      dropped = true;
    }
    while (this.#entries.length > 0 && this.#bytes > this.#maxBytes) {
      this.#shift();
      this.#metrics.dropped.inc({ reason: 'max_bytes' });
      dropped = true;
    }
    if (dropped)
      this.#logger.warn(
        { pending: this.#entries.length, bytes: this.#bytes },
        'queue: dropped old batches to stay within limits',
      );
    return dropped;
  }

  #updateGauges(): void {
    this.#metrics.bytes.set(this.#bytes);
    this.#metrics.records.set(this.#entries.length);
  }

  /** Where reading resumes: the oldest pending batch, or the end of what was enqueued. */
  #currentCursor(): WalPosition {
    return this.#entries[0]?.position ?? this.#durableEnd;
  }

  /** Writes the current cursor durably (serialized), then frees whole segments behind it. */
  #persistCursor(): Promise<void> {
    const run = this.#cursorChain.then(async () => {
      const cursor = this.#currentCursor();
      if (comparePositions(cursor, this.#cursor) === 0) return;
      await writeCursor(this.#dir, cursor);
      this.#cursor = cursor;
      if (cursor.segment > this.#wal.start().segment) await this.#wal.truncateBefore(cursor.segment);
    });
    this.#cursorChain = run.catch(() => {});
    return run;
  }

  /** Persists the cursor and closes the WAL. Pending batches stay for the next open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#cursorChain;
    await this.#wal.close();
  }
}

async function readCursor(path: string, logger: Logger): Promise<WalPosition | null> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AppError('io', `read queue cursor ${path}: ${errorMessage(err)}`, { cause: err });
  }
  if (
    bytes.length !== 16 ||
    bytes.readUInt32LE(0) !== CURSOR_MAGIC ||
    crc32c(bytes.subarray(0, 12)) !== bytes.readUInt32LE(12)
  ) {
    logger.error(
      { path },
      'queue: cursor file is corrupt; replaying the whole queue (batches may be sent twice)',
    );
    return null;
  }
  return { segment: bytes.readUInt32LE(4), offset: bytes.readUInt32LE(8) };
}

/** Writes the cursor atomically: temp file, fsync, rename, fsync of the directory. */
async function writeCursor(dir: string, cursor: WalPosition): Promise<void> {
  const bytes = Buffer.alloc(16);
  bytes.writeUInt32LE(CURSOR_MAGIC, 0);
  bytes.writeUInt32LE(cursor.segment, 4);
  bytes.writeUInt32LE(cursor.offset, 8);
  bytes.writeUInt32LE(crc32c(bytes.subarray(0, 12)), 12);
  const tmp = join(dir, 'cursor.tmp');
  const fh = await open(tmp, 'w');
  try {
    await fh.write(bytes, 0, 16, 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, 'cursor'));
  await syncDir(dir);
}
