import { writeSync } from 'node:fs';
import { mkdir, open, readdir, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, errorMessage } from '../base/errors.js';
import { nullLogger, type Logger } from '../base/logger.js';
import { crc32c } from './crc32c.js';

/**
 * A segmented, checksummed write-ahead log of opaque records (byte format: docs/wal.md).
 *
 * The log is a directory of segment files named by an 8-digit sequence number (`00000001`, …,
 * as Prometheus's `wal/`). A segment is a series of frames `[u32 length][u32 crc32c][payload]`
 * (little endian; the CRC covers the length bytes and the payload, so a zero-filled tail never
 * parses as a record). A segment is closed once the next frame would take it past
 * `segmentMaxBytes` (a record larger than that gets a segment of its own); it is fsynced before
 * the next one is created, so only the last segment can be torn by a crash.
 *
 * Durability: {@link Wal.append} writes to the OS and resolves; nothing is durable until
 * {@link Wal.sync} (or `append(records, { sync: true })`) resolves. Concurrent sync callers share
 * one fsync (group commit). Acknowledge a write to anyone only after its sync resolved.
 *
 * Concurrency: one process owns a directory. Within it, appends are serialized in call order;
 * reads may run concurrently with appends and see every record whose append resolved.
 */

/** Appends up to this many bytes are written synchronously (see Wal.#write). */
const SYNC_WRITE_MAX_BYTES = 4 * 1024 * 1024;

/** A place in the log: a segment number and a byte offset inside it. */
export interface WalPosition {
  readonly segment: number;
  readonly offset: number;
}

/** One record read back, with where it starts and where the next one starts. */
export interface WalRecord {
  readonly position: WalPosition;
  readonly next: WalPosition;
  /** The payload; owned by the caller. */
  readonly data: Uint8Array;
}

/** What {@link Wal.open} cut off a torn or corrupt tail. */
export interface WalRepair {
  readonly segment: number;
  /** The offset the segment was truncated to (the end of its last valid record). */
  readonly offset: number;
  /** Bytes removed from that segment. */
  readonly droppedBytes: number;
  /** Why the tail did not parse ('torn frame header', 'checksum mismatch', …). */
  readonly reason: string;
}

/** Options of {@link Wal.open}. */
export interface WalOptions {
  /** The directory of the log; created when missing. Owned by this Wal while it is open. */
  readonly dir: string;
  /** A segment is closed when the next frame would pass this size (bytes). Default 32 MiB. */
  readonly segmentMaxBytes?: number;
  readonly logger?: Logger;
}

/** Bytes of a frame header: u32 length + u32 crc32c. */
export const WAL_FRAME_HEADER_BYTES = 8;
/** The largest record accepted (bytes); a length above it in a file is treated as corruption. */
export const WAL_MAX_RECORD_BYTES = 256 * 1024 * 1024;
const DEFAULT_SEGMENT_MAX_BYTES = 32 * 1024 * 1024;
const READ_CHUNK_BYTES = 1024 * 1024;
const SEGMENT_NAME_RE = /^\d{8}$/;

/** The file name of segment `n`. */
export function segmentName(n: number): string {
  return String(n).padStart(8, '0');
}

/** Frames `records` into one buffer (header + payload each). */
export function encodeFrames(records: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const r of records) size += WAL_FRAME_HEADER_BYTES + r.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let pos = 0;
  for (const r of records) {
    if (r.length > WAL_MAX_RECORD_BYTES) {
      throw new AppError(
        'limit',
        `wal record of ${r.length} bytes is over the limit of ${WAL_MAX_RECORD_BYTES}`,
      );
    }
    view.setUint32(pos, r.length, true);
    view.setUint32(pos + 4, crc32c(r, crc32c(out.subarray(pos, pos + 4))), true);
    out.set(r, pos + WAL_FRAME_HEADER_BYTES);
    pos += WAL_FRAME_HEADER_BYTES + r.length;
  }
  return out;
}

/** The outcome of parsing frames out of a buffer. */
interface ParseResult {
  /** [start, end) of each complete, valid payload within `buf`. */
  readonly frames: [number, number][];
  /** Where parsing stopped: the end of the last valid frame. */
  readonly end: number;
  /** Why parsing stopped before the end of `buf`, or null when it consumed it all. */
  readonly problem: { kind: 'short' | 'corrupt'; reason: string } | null;
}

/** Parses frames from `buf` up to its end, stopping at the first incomplete or corrupt one. */
function parseFrames(buf: Uint8Array, maxRecords = Infinity, maxBytes = Infinity): ParseResult {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const frames: [number, number][] = [];
  let pos = 0;
  let bytes = 0;
  while (pos < buf.length && frames.length < maxRecords && bytes < maxBytes) {
    if (pos + WAL_FRAME_HEADER_BYTES > buf.length) {
      return { frames, end: pos, problem: { kind: 'short', reason: 'torn frame header' } };
    }
    const len = view.getUint32(pos, true);
    const crc = view.getUint32(pos + 4, true);
    if (len > WAL_MAX_RECORD_BYTES) {
      return { frames, end: pos, problem: { kind: 'corrupt', reason: `implausible record length ${len}` } };
    }
    const start = pos + WAL_FRAME_HEADER_BYTES;
    if (start + len > buf.length) {
      return { frames, end: pos, problem: { kind: 'short', reason: 'torn record payload' } };
    }
    if (crc32c(buf.subarray(start, start + len), crc32c(buf.subarray(pos, pos + 4))) !== crc) {
      return { frames, end: pos, problem: { kind: 'corrupt', reason: 'checksum mismatch' } };
    }
    frames.push([start, start + len]);
    bytes += len;
    pos = start + len;
  }
  return { frames, end: pos, problem: null };
}

/**
 * What {@link Wal.read} throws for a frame that does not parse (AppError `io`): `position` is
 * where the damaged frame starts, the place to pass to {@link Wal.repairAt}.
 */
export class WalCorruptionError extends AppError {
  readonly position: WalPosition;

  constructor(position: WalPosition, message: string) {
    super('io', message);
    this.position = position;
  }
}

/** The log. Open with {@link Wal.open}; {@link Wal.close} when done. */
export class Wal {
  readonly dir: string;
  /** What opening cut off, or null when the log was intact. */
  readonly repair: WalRepair | null;
  readonly #segmentMaxBytes: number;
  readonly #logger: Logger;
  /** Sizes of all segments, by number; the last one is the active segment. */
  readonly #sizes: Map<number, number>;
  #first: number;
  #active: number;
  #handle: FileHandle;
  /** Serializes writes and segment changes. */
  #chain: Promise<void> = Promise.resolve();
  #appendSeq = 0;
  #syncedSeq = 0;
  #syncing: Promise<void> | null = null;
  #failure: Error | null = null;
  #closed = false;
  #syncCount = 0;

  private constructor(
    options: WalOptions,
    state: { sizes: Map<number, number>; first: number; active: number; handle: FileHandle },
    repair: WalRepair | null,
  ) {
    this.dir = options.dir;
    this.#segmentMaxBytes = options.segmentMaxBytes ?? DEFAULT_SEGMENT_MAX_BYTES;
    this.#logger = options.logger ?? nullLogger;
    this.#sizes = state.sizes;
    this.#first = state.first;
    this.#active = state.active;
    this.#handle = state.handle;
    this.repair = repair;
  }

  /**
   * Opens (or creates) the log in `options.dir`. A torn or corrupt tail of the last segment is
   * truncated away, logged at warn level and returned in {@link Wal.repair}; it never refuses to
   * open. Corruption inside earlier segments is found when they are read.
   */
  static async open(options: WalOptions): Promise<Wal> {
    await mkdir(options.dir, { recursive: true });
    const names = (await readdir(options.dir)).filter((n) => SEGMENT_NAME_RE.test(n));
    const numbers = names.map(Number).sort((a, b) => a - b);
    const sizes = new Map<number, number>();
    for (const n of numbers) sizes.set(n, (await stat(join(options.dir, segmentName(n)))).size);
    let repair: WalRepair | null = null;
    let active: number;
    let handle: FileHandle;
    if (numbers.length === 0) {
      active = 1;
      handle = await open(join(options.dir, segmentName(active)), 'w+');
      await handle.sync();
      await syncDir(options.dir);
      sizes.set(active, 0);
    } else {
      active = numbers[numbers.length - 1]!;
      handle = await open(join(options.dir, segmentName(active)), 'r+');
      const size = sizes.get(active)!;
      const buf = new Uint8Array(size);
      if (size > 0) await handle.read(buf, 0, size, 0);
      const parsed = parseFrames(buf);
      if (parsed.problem) {
        repair = {
          segment: active,
          offset: parsed.end,
          droppedBytes: size - parsed.end,
          reason: parsed.problem.reason,
        };
        await handle.truncate(parsed.end);
        await handle.sync();
        sizes.set(active, parsed.end);
        (options.logger ?? nullLogger).warn(
          { dir: options.dir, ...repair },
          'wal: truncated a torn or corrupt tail of the last segment',
        );
      }
    }
    const first = Math.min(...sizes.keys());
    return new Wal(options, { sizes, first, active, handle }, repair);
  }

  /** The position right after the last appended record (where the next append starts). */
  end(): WalPosition {
    return { segment: this.#active, offset: this.#sizes.get(this.#active) ?? 0 };
  }

  /** The position of the first record still in the log. */
  start(): WalPosition {
    return { segment: this.#first, offset: 0 };
  }

  /** Segment numbers and sizes in bytes, oldest first; the last is the active segment. */
  segments(): { segment: number; bytes: number }[] {
    return [...this.#sizes].sort(([a], [b]) => a - b).map(([segment, bytes]) => ({ segment, bytes }));
  }

  /**
   * Appends `records` (in order, after everything appended before) and resolves with the position
   * after the last of them. Written to the OS when it resolves; durable only with `sync: true`
   * or after a later {@link sync}. Rejects with AppError `io` when the write fails: the partial
   * write is cut off and later appends may succeed (a full disk that gets space back); if it cannot
   * be cut off, or an fsync failed, the log refuses further appends (reopen it).
   */
  append(records: readonly Uint8Array[], options: { sync?: boolean } = {}): Promise<WalPosition> {
    if (this.#closed) return Promise.reject(new AppError('io', `wal ${this.dir} is closed`));
    const frames = encodeFrames(records);
    const seq = ++this.#appendSeq;
    const result = this.#chain.then(async () => {
      if (this.#failure) throw this.#failure;
      try {
        if (frames.length > 0) await this.#write(frames);
        return this.end();
      } catch (err) {
        const error = new AppError('io', `wal ${this.dir}: append failed: ${errorMessage(err)}`, {
          cause: err,
        });
        // A write that failed (ENOSPC, EDQUOT) left at most a partial frame past the last good end;
        // cut it off and keep the log usable, so writes resume once space returns. If even that
        // fails, the segment's state is unknown and the log refuses appends until reopened.
        if (!(await this.#discardPartialWrite())) this.#failure = error;
        throw error;
      }
    });
    this.#chain = result.then(
      () => {},
      () => {},
    );
    if (!options.sync) return result;
    return result.then(async (pos) => {
      await this.#syncUpTo(seq);
      return pos;
    });
  }

  /** How many group-commit fsyncs {@link sync} has run (for metrics and tests). */
  get syncCount(): number {
    return this.#syncCount;
  }

  /** Makes everything appended before the call durable. Concurrent callers share an fsync. */
  sync(): Promise<void> {
    return this.#syncUpTo(this.#appendSeq);
  }

  async #syncUpTo(seq: number): Promise<void> {
    while (this.#syncedSeq < seq) {
      if (this.#failure) throw this.#failure;
      if (this.#syncing) {
        await this.#syncing;
        continue;
      }
      const upTo = this.#appendSeq;
      const written = this.#chain;
      this.#syncing = (async () => {
        await written;
        if (this.#failure) throw this.#failure;
        try {
          await this.#handle.datasync();
          this.#syncCount++;
        } catch (err) {
          this.#failure = new AppError('io', `wal ${this.dir}: fsync failed: ${errorMessage(err)}`, {
            cause: err,
          });
          throw this.#failure;
        }
        this.#syncedSeq = Math.max(this.#syncedSeq, upTo);
      })().finally(() => {
        this.#syncing = null;
      });
      await this.#syncing;
    }
  }

  async #write(frames: Uint8Array): Promise<void> {
    let size = this.#sizes.get(this.#active) ?? 0;
    if (size > 0 && size + frames.length > this.#segmentMaxBytes) {
      await this.#cutSegment();
      size = 0;
    }
    let done = 0;
    if (frames.length <= SYNC_WRITE_MAX_BYTES) {
      // A write into the page cache takes microseconds; doing it on the event loop saves the two
      // thread hand-offs of an async write, which cost milliseconds each on a loaded machine.
      while (done < frames.length) {
        done += writeSync(this.#handle.fd, frames, done, frames.length - done, size + done);
      }
    }
    while (done < frames.length) {
      const { bytesWritten } = await this.#handle.write(frames, done, frames.length - done, size + done);
      done += bytesWritten;
    }
    this.#sizes.set(this.#active, size + frames.length);
  }

  /** Truncates the active segment to its last complete frame; false when that fails too. */
  async #discardPartialWrite(): Promise<boolean> {
    try {
      await this.#handle.truncate(this.#sizes.get(this.#active) ?? 0);
      return true;
    } catch {
      return false;
    }
  }

  /** Fsyncs and closes the active segment and starts the next one. Runs on the write chain. */
  async #cutSegment(): Promise<void> {
    await this.#handle.datasync();
    await this.#handle.close();
    const next = this.#active + 1;
    this.#handle = await open(join(this.dir, segmentName(next)), 'w+');
    await syncDir(this.dir);
    this.#sizes.set(next, 0);
    this.#active = next;
  }

  /**
   * Closes the active segment (when it holds anything) and starts a new one, so that everything
   * before can later be removed with {@link truncateBefore}. Resolves with the new segment's number.
   */
  cut(): Promise<number> {
    const result = this.#chain.then(async () => {
      if (this.#failure) throw this.#failure;
      if ((this.#sizes.get(this.#active) ?? 0) > 0) await this.#cutSegment();
      return this.#active;
    });
    this.#chain = result.then(
      () => {},
      () => {},
    );
    return result;
  }

  /**
   * Reads records from `from` on, across segments, up to `maxRecords` records or until
   * `maxBytes` of payload were collected (at least one record when any is there). Returns []
   * at the end of the log. A position at the end of a segment continues at the next one.
   * Throws AppError `not_found` for a position in a removed segment and a
   * {@link WalCorruptionError} for a damaged record (records before it are returned first).
   */
  async read(
    from: WalPosition,
    options: { maxRecords?: number; maxBytes?: number } = {},
  ): Promise<WalRecord[]> {
    const maxRecords = options.maxRecords ?? 1024;
    const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
    const out: WalRecord[] = [];
    let bytes = 0;
    let pos = from;
    while (out.length < maxRecords && bytes < maxBytes) {
      const size = this.#sizes.get(pos.segment);
      if (size === undefined) {
        if (pos.segment < this.#first) {
          throw new AppError('not_found', `wal position ${formatPosition(pos)} is in a removed segment`);
        }
        if (pos.segment > this.#active) return out;
        throw new AppError('not_found', `wal segment ${segmentName(pos.segment)} is missing`);
      }
      if (pos.offset > size) {
        throw new AppError(
          'bad_input',
          `wal position ${formatPosition(pos)} is past the segment's end ${size}`,
        );
      }
      if (pos.offset === size) {
        if (pos.segment >= this.#active) return out;
        pos = { segment: pos.segment + 1, offset: 0 };
        continue;
      }
      let got: WalRecord[];
      try {
        got = await this.#readSegment(pos, size, maxRecords - out.length, maxBytes - bytes);
      } catch (err) {
        // Hand out what was read before the damage; the next read starts at it and throws.
        if (out.length > 0) return out;
        throw err;
      }
      for (const r of got) {
        out.push(r);
        bytes += r.data.length;
      }
      pos = got[got.length - 1]!.next;
    }
    return out;
  }

  async #readSegment(
    from: WalPosition,
    size: number,
    maxRecords: number,
    maxBytes: number,
  ): Promise<WalRecord[]> {
    const fh = await open(join(this.dir, segmentName(from.segment)), 'r');
    try {
      let length = Math.min(size - from.offset, READ_CHUNK_BYTES);
      for (;;) {
        const buf = new Uint8Array(length);
        let got = 0;
        while (got < length) {
          const { bytesRead } = await fh.read(buf, got, length - got, from.offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        const parsed = parseFrames(buf.subarray(0, got), maxRecords, maxBytes);
        if (parsed.frames.length > 0) {
          return parsed.frames.map(([s, e]) => ({
            position: { segment: from.segment, offset: from.offset + s - WAL_FRAME_HEADER_BYTES },
            next: { segment: from.segment, offset: from.offset + e },
            data: buf.slice(s, e),
          }));
        }
        if (parsed.problem?.kind === 'short' && length < size - from.offset && got === length) {
          // A record larger than the chunk: read exactly its frame.
          const view = new DataView(buf.buffer);
          const need =
            got >= WAL_FRAME_HEADER_BYTES ? WAL_FRAME_HEADER_BYTES + view.getUint32(0, true) : length * 2;
          length = Math.min(size - from.offset, Math.max(need, length + 1));
          continue;
        }
        throw new WalCorruptionError(
          from,
          `wal segment ${segmentName(from.segment)}: ${parsed.problem?.reason ?? 'no record'} at offset ${from.offset}`,
        );
      }
    } finally {
      await fh.close();
    }
  }

  /**
   * Repairs damage found by {@link read} at `at` (the position of the first record that did not
   * parse): truncates segment `at.segment` to `at.offset`, as Prometheus's `wlog.Repair` cuts the
   * damaged segment. Unlike Prometheus, later segments are kept (they hold acknowledged writes), so
   * a read from `at` goes on with the next segment. Fsyncs the truncation, logs it at error level and
   * resolves with what was cut. Rejects with AppError `bad_input` for a position outside the log.
   */
  repairAt(at: WalPosition, reason: string): Promise<WalRepair> {
    const result = this.#chain.then(async () => {
      const size = this.#sizes.get(at.segment);
      if (size === undefined || at.offset > size || at.offset < 0) {
        throw new AppError('bad_input', `wal position ${formatPosition(at)} is not in the log`);
      }
      if (at.segment === this.#active) {
        await this.#handle.truncate(at.offset);
        await this.#handle.datasync();
      } else {
        const fh = await open(join(this.dir, segmentName(at.segment)), 'r+');
        try {
          await fh.truncate(at.offset);
          await fh.datasync();
        } finally {
          await fh.close();
        }
      }
      this.#sizes.set(at.segment, at.offset);
      const repair: WalRepair = {
        segment: at.segment,
        offset: at.offset,
        droppedBytes: size - at.offset,
        reason,
      };
      this.#logger.error(
        { dir: this.dir, ...repair },
        'wal: truncated a damaged segment at the damage; later segments are kept',
      );
      return repair;
    });
    this.#chain = result.then(
      () => {},
      () => {},
    );
    return result;
  }

  /**
   * Removes whole segments numbered below `segment` (never the active one) and resolves with the
   * numbers removed. Records in them can no longer be read.
   */
  truncateBefore(segment: number): Promise<number[]> {
    const result = this.#chain.then(async () => {
      const removed: number[] = [];
      for (const n of [...this.#sizes.keys()].sort((a, b) => a - b)) {
        if (n >= segment || n >= this.#active) break;
        await rm(join(this.dir, segmentName(n)), { force: true });
        this.#sizes.delete(n);
        removed.push(n);
      }
      this.#first = Math.min(...this.#sizes.keys());
      if (removed.length > 0) this.#logger.debug({ dir: this.dir, removed }, 'wal: removed segments');
      return removed;
    });
    this.#chain = result.then(
      () => {},
      () => {},
    );
    return result;
  }

  /** Waits for pending appends, syncs, and closes the active segment. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#chain;
    try {
      if (!this.#failure) await this.#handle.datasync();
    } finally {
      await this.#handle.close();
    }
  }
}

/** `00000003:128`, for messages. */
export function formatPosition(p: WalPosition): string {
  return `${segmentName(p.segment)}:${p.offset}`;
}

/** Orders positions: negative when `a` is before `b`. */
export function comparePositions(a: WalPosition, b: WalPosition): number {
  return a.segment !== b.segment ? a.segment - b.segment : a.offset - b.offset;
}

/** Fsyncs a directory so a created or renamed entry in it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
