import { close, closeSync, open, openSync, read, readSync } from 'node:fs';

const BUFFER_BYTES = 16 * 1024;
const MAX_POOLED = 32;
/**
 * Buffers of BUFFER_BYTES between reads: a collection reads ~23 files at once, and allocating
 * 16 KiB for each made the garbage collector a tenth of a collection's CPU time.
 */
const pool: Buffer[] = [];

/**
 * Reads a small pseudo-file (/proc, /sys) as UTF-8 text, asynchronously on libuv's pool.
 *
 * Why not `fs.promises.readFile`: /proc files report size 0 to stat(2), so readFile adds an
 * fstat and 64 KiB chunked reads, and FileHandle adds promise bookkeeping per step. This does
 * one open, reads into a 16 KiB buffer (doubling when full) until read(2) returns 0 — procfs
 * may return short reads before the end, so only 0 means EOF — and one close. Measured on a
 * loaded 2-core VM, reading the 23 files of a host collection in parallel took a median 1.2 ms
 * this way against 1.9 ms with FileHandle and 3.9 ms with readFile.
 *
 * Rejects with the fs error (`code` ENOENT, EACCES, …) or, between reads, the signal's reason.
 */
export function readText(path: string, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    open(path, 'r', (openErr, fd) => {
      if (openErr) {
        reject(openErr);
        return;
      }
      let buf = pool.pop() ?? Buffer.allocUnsafe(BUFFER_BYTES);
      let len = 0;
      const fail = (err: Error): void => close(fd, () => reject(err));
      const step = (): void => {
        if (signal?.aborted) {
          fail(signal.reason as Error);
          return;
        }
        if (len === buf.length) {
          const bigger = Buffer.allocUnsafe(buf.length * 2);
          buf.copy(bigger, 0, 0, len);
          buf = bigger;
        }
        read(fd, buf, len, buf.length - len, null, (readErr, n) => {
          if (readErr) {
            fail(readErr);
            return;
          }
          if (n === 0) {
            const text = buf.toString('utf8', 0, len);
            if (buf.length === BUFFER_BYTES && pool.length < MAX_POOLED) pool.push(buf);
            close(fd, () => resolve(text));
            return;
          }
          len += n;
          step();
        });
      };
      step();
    });
  });
}

/** The one buffer of {@link readTextSync}; grown (doubling) when a file does not fit, never shrunk. */
let syncBuf = Buffer.allocUnsafe(BUFFER_BYTES);

/**
 * Reads a small pseudo-file (/proc, /sys) as UTF-8 text synchronously, into one reused buffer.
 *
 * Why synchronous: each /proc read takes a few microseconds in the kernel, while an asynchronous
 * read pays a thread-pool hop and a callback per open, read and close. A host collection reading
 * ~40 files this way took ~40 % less CPU than with {@link readText}, and its wall time no longer
 * waits behind other work queued on the event loop. Only for pseudo-files, which never block on
 * disk; statfs of mount points (which can hang on a dead NFS server) stays asynchronous.
 *
 * Throws the fs error (`code` ENOENT, EACCES, …).
 */
export function readTextSync(path: string): string {
  const fd = openSync(path, 'r');
  try {
    return preadAll(fd);
  } finally {
    closeSync(fd);
  }
}

/** Errors of a read through a kept descriptor meaning the file went away (a device was removed). */
const GONE = new Set(['ENODEV', 'ENOENT', 'ESTALE', 'EBADF', 'ENXIO']);

/** Descriptors a {@link PseudoFileReader} keeps at most; past it, files are opened per read. */
const MAX_KEPT = 512;

/**
 * Reads pseudo-files (/proc, /sys) like {@link readTextSync}, but keeps each file's descriptor
 * open between collections and reads it again from offset 0, which makes procfs and sysfs
 * generate fresh contents (seq_file restarts at position 0): one pread(2) per file instead of
 * open, read and close, and no path conversion. Only for procfs and sysfs: a regular file replaced
 * by rename would still be read through its old descriptor.
 *
 * A descriptor whose file went away (ENODEV for an unplugged interface) is closed and the path
 * opened again, which then throws ENOENT as a first read would. {@link sweep} closes descriptors of
 * files not read since its previous call, so devices that disappear do not hold descriptors.
 * Not for concurrent use from several collections; {@link close} when done.
 */
export class PseudoFileReader {
  readonly #fds = new Map<string, number>();
  readonly #used = new Set<string>();

  /** Descriptors currently kept (for tests and diagnostics). */
  get keptCount(): number {
    return this.#fds.size;
  }

  /** The text of `path`. Throws the fs error (`code` ENOENT, EACCES, EINVAL, …). */
  read(path: string): string {
    this.#used.add(path);
    const kept = this.#fds.get(path);
    if (kept !== undefined) {
      try {
        return preadAll(kept);
      } catch (e) {
        if (!GONE.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
        this.#forget(path, kept);
      }
    }
    const fd = openSync(path, 'r');
    if (this.#fds.size < MAX_KEPT) this.#fds.set(path, fd);
    else {
      try {
        return preadAll(fd);
      } finally {
        closeSync(fd);
      }
    }
    try {
      return preadAll(fd);
    } catch (e) {
      if (GONE.has((e as NodeJS.ErrnoException).code ?? '')) this.#forget(path, fd);
      throw e;
    }
  }

  /** Closes the descriptors of files not read since the previous sweep. */
  sweep(): void {
    for (const [path, fd] of this.#fds) if (!this.#used.has(path)) this.#forget(path, fd);
    this.#used.clear();
  }

  /** Closes every kept descriptor; the reader may be used again afterwards. */
  close(): void {
    for (const [path, fd] of this.#fds) this.#forget(path, fd);
    this.#used.clear();
  }

  #forget(path: string, fd: number): void {
    this.#fds.delete(path);
    try {
      closeSync(fd);
    } catch {
      // already gone
    }
  }
}

/** The whole text of `fd` from offset 0, into the shared buffer of {@link readTextSync}. */
function preadAll(fd: number): string {
  let len = 0;
  for (;;) {
    if (len === syncBuf.length) {
      const bigger = Buffer.allocUnsafe(syncBuf.length * 2);
      syncBuf.copy(bigger, 0, 0, len);
      syncBuf = bigger;
    }
    // procfs may return short reads before the end: only 0 means EOF.
    const n = readSync(fd, syncBuf, len, syncBuf.length - len, len);
    if (n === 0) return syncBuf.toString('utf8', 0, len);
    len += n;
  }
}
