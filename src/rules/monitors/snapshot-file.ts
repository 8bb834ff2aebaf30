import { open, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError, errorMessage } from '../../base/errors.js';

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
  const tmp = `${file}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(value)}\n`);
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    const dir = await open(path.dirname(file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
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
