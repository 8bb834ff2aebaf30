import { mkdir, open, rename } from 'node:fs/promises';
import path from 'node:path';
import { syncDir } from './wal.js';

/** Options of {@link writeFileDurably}. */
export interface WriteFileDurablyOptions {
  /** Permission bits of a newly created file. Default 0o666 (less the umask), as `open(…, 'w')`. */
  readonly mode?: number;
  /** Create the file's directory (and its parents) when missing. Default false. */
  readonly isMkdir?: boolean;
}

/**
 * Replaces `file` with `data` so that a crash leaves either the old or the new content, never
 * half of it: writes `<file>.tmp`, fsyncs it, renames it over `file` and fsyncs the directory.
 * Strings are written as UTF-8. Rejects with the underlying I/O error (the caller names the file
 * in its own error). Two concurrent calls for one file race on the temporary file: serialize them.
 */
export async function writeFileDurably(
  file: string,
  data: string | Uint8Array,
  options: WriteFileDurablyOptions = {},
): Promise<void> {
  const dir = path.dirname(file);
  if (options.isMkdir === true) await mkdir(dir, { recursive: true });
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, 'w', options.mode ?? 0o666);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  await syncDir(dir);
}
