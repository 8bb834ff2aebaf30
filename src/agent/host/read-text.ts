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
    let len = 0;
    for (;;) {
      if (len === syncBuf.length) {
        const bigger = Buffer.allocUnsafe(syncBuf.length * 2);
        syncBuf.copy(bigger, 0, 0, len);
        syncBuf = bigger;
      }
      // procfs may return short reads before the end: only 0 means EOF.
      const n = readSync(fd, syncBuf, len, syncBuf.length - len, null);
      if (n === 0) return syncBuf.toString('utf8', 0, len);
      len += n;
    }
  } finally {
    closeSync(fd);
  }
}
