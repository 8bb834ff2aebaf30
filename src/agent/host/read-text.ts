import { close, open, read } from 'node:fs';

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
