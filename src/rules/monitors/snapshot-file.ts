import { readFile, rename } from 'node:fs/promises';
import type { z } from 'zod';
import { AppError, errorMessage } from '../../base/errors.js';
import type { Logger } from '../../base/logger.js';
import { writeFileDurably } from '../../wal/durable-file.js';

/**
 * The JSON snapshot files monitors keep their state in across restarts. A write replaces the file
 * atomically (temporary file, fsync, rename, fsync of the folder), so a crash leaves either the
 * old or the new snapshot, never half of one. A file that cannot be read back is moved aside (kept
 * for inspection) and reported, never thrown: the monitor starts empty.
 */

/** What reading a snapshot found. */
export type SnapshotRead =
  | { readonly kind: 'missing' }
  | { readonly kind: 'ok'; readonly value: unknown }
  | { readonly kind: 'damaged'; readonly problem: string };

/** Writes `value` as JSON to `file` atomically. Rejects with AppError `io` naming the file. */
export async function writeSnapshot(file: string, value: unknown): Promise<void> {
  try {
    await writeFileDurably(file, `${JSON.stringify(value)}\n`);
  } catch (e) {
    throw new AppError('io', `write snapshot ${file}: ${errorMessage(e)}`, { cause: e });
  }
}

/** Reads and parses `file`; a missing file is `missing`, unreadable or invalid JSON is `damaged`. */
export async function readSnapshot(file: string): Promise<SnapshotRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'damaged', problem: `read snapshot ${file}: ${errorMessage(e)}` };
  }
  try {
    return { kind: 'ok', value: JSON.parse(text) as unknown };
  } catch (e) {
    return { kind: 'damaged', problem: `snapshot ${file} is not valid JSON: ${errorMessage(e)}` };
  }
}

/**
 * Moves a damaged snapshot to `<file>.damaged-<atMs>` so the next write does not destroy the
 * evidence. Returns the new name, or undefined when the move failed (the file is then overwritten).
 */
export async function quarantineSnapshot(file: string, atMs: number): Promise<string | undefined> {
  const to = `${file}.damaged-${atMs}`;
  try {
    await rename(file, to);
    return to;
  } catch {
    return undefined;
  }
}

/**
 * Serializes and coalesces snapshot writes of one file: `save()` writes the state `serialize`
 * returns when the write starts; calls made while a write waits share it, and writes never overlap.
 * With no file every save resolves at once (state kept in memory only).
 */
export class SnapshotWriter {
  readonly #file: string | undefined;
  readonly #serialize: () => unknown;
  #last: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;

  constructor(file: string | undefined, serialize: () => unknown) {
    this.#file = file;
    this.#serialize = serialize;
  }

  /** Resolves once a snapshot taken after this call is on disk; rejects with AppError `io`. */
  save(): Promise<void> {
    const file = this.#file;
    if (file === undefined) return Promise.resolve();
    if (this.#queued) return this.#queued;
    const p = this.#last.then(() => {
      this.#queued = undefined;
      return writeSnapshot(file, this.#serialize());
    });
    this.#queued = p;
    this.#last = p.catch(() => undefined);
    return p;
  }
}

/** What a monitor's `load` found. */
export interface LoadReport {
  readonly restoredAlerts: number;
  /** Why the snapshot could not be used (it was moved aside and the monitor starts empty). */
  readonly problem?: string;
}

/** Options of {@link MonitorSnapshot}. */
export interface MonitorSnapshotOptions<S extends z.ZodType> {
  /** The JSON snapshot file; undefined keeps the state in memory only. */
  readonly file: string | undefined;
  /** What a snapshot must hold. */
  readonly schema: S;
  /** The monitor's name in messages and logs, e.g. `check monitor`, `heartbeat`. */
  readonly name: string;
  /** The monitor's state as it is when a write starts. */
  readonly serialize: () => z.input<S>;
  readonly log: Logger;
}

/**
 * A monitor's snapshot: restores the state once at start (a damaged file is moved aside, logged
 * and reported, never thrown), tracks whether the state changed since the last write, and writes
 * it through a {@link SnapshotWriter}. Used from one event loop.
 */
export class MonitorSnapshot<S extends z.ZodType> {
  readonly #o: MonitorSnapshotOptions<S>;
  readonly #writer: SnapshotWriter;
  #dirty = false;

  constructor(options: MonitorSnapshotOptions<S>) {
    this.#o = options;
    this.#writer = new SnapshotWriter(options.file, options.serialize);
  }

  /** Whether the state changed since the last {@link flush}. */
  get isDirty(): boolean {
    return this.#dirty;
  }

  /** Notes that the state changed; the next {@link flush} writes it. */
  markDirty(): void {
    this.#dirty = true;
  }

  /**
   * Reads the snapshot and hands a valid one to `restore`, which returns how many open alerts it
   * restored. A missing file restores nothing; a damaged or invalid one is moved aside to
   * `<file>.damaged-<nowMs>`, logged and reported in the result. Never rejects.
   */
  async load(nowMs: number, restore: (state: z.output<S>) => number): Promise<LoadReport> {
    const { file, name } = this.#o;
    if (file === undefined) return { restoredAlerts: 0 };
    const read = await readSnapshot(file);
    if (read.kind === 'missing') return { restoredAlerts: 0 };
    let problem: string;
    if (read.kind === 'ok') {
      const parsed = this.#o.schema.safeParse(read.value);
      if (parsed.success) return { restoredAlerts: restore(parsed.data) };
      problem = `snapshot ${file} does not hold ${name} state: ${parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`;
    } else problem = read.problem;
    const movedTo = await quarantineSnapshot(file, nowMs);
    this.#o.log.error({ file, movedTo, problem }, `${name} snapshot damaged; starting empty`);
    return { restoredAlerts: 0, problem };
  }

  /** Writes the state now, dirty or not; rejects with AppError `io`. Leaves the dirty mark alone. */
  save(): Promise<void> {
    return this.#writer.save();
  }

  /** Writes the state and clears the dirty mark; rejects with AppError `io`, the state still dirty. */
  async flush(): Promise<void> {
    this.#dirty = false;
    try {
      await this.#writer.save();
    } catch (e) {
      this.#dirty = true;
      throw e;
    }
  }

  /** {@link flush}, logging a failed write instead of rejecting (for paths that must not fail). */
  async flushLogged(): Promise<void> {
    try {
      await this.flush();
    } catch (e) {
      this.#o.log.error({ err: errorMessage(e) }, `writing the ${this.#o.name} snapshot failed`);
    }
  }
}
