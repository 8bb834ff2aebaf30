import { scalar } from './families.js';
import type { HostSubCollector } from './source.js';
import { parseNumber, splitFields } from './text.js';
import { AppError } from '../../base/errors.js';
import type { MetricFamily } from '../../model/metric.js';

/** /proc/sys/fs/file-nr: allocated and maximum file handles (node_exporter's `filefd` collector). */

/** System-wide file handle counts. */
export interface FileNr {
  /** File handles allocated now. */
  readonly allocated: number;
  /** The kernel's limit (fs.file-max). */
  readonly maximum: number;
}

/** Parses /proc/sys/fs/file-nr (`allocated unused maximum`); throws `bad_input` otherwise. */
export function parseFileNr(text: string): FileNr {
  const f = splitFields(text.trim());
  if (f.length !== 3)
    throw new AppError('bad_input', `proc file-nr: want 3 fields, got ${JSON.stringify(text)}`);
  return {
    allocated: parseNumber(f[0], 'proc file-nr allocated'),
    maximum: parseNumber(f[2], 'proc file-nr maximum'),
  };
}

/** The `filefd` families. */
export function fileNrFamilies(n: FileNr): MetricFamily[] {
  return [
    scalar('node_filefd_allocated', 'gauge', 'File descriptor statistics: allocated.', n.allocated),
    scalar('node_filefd_maximum', 'gauge', 'File descriptor statistics: maximum.', n.maximum),
  ];
}

/** node_exporter's `filefd` collector. */
export const filefdCollector: HostSubCollector = {
  name: 'filefd',
  async collect(source) {
    return fileNrFamilies(parseFileNr(await source.readProc('sys/fs/file-nr')));
  },
};
