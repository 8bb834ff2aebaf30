import { family, sample, sortedLabels } from './families.js';
import type { HostSource, HostSubCollector } from './source.js';
import { splitFields, splitLines } from './text.js';
import type { Logger } from '../../base/logger.js';
import type { Labels } from '../../model/labels.js';
import type { MetricFamily, MetricSample } from '../../model/metric.js';

/**
 * node_exporter's `filesystem` collector: the mount table (/proc/1/mounts, else /proc/mounts)
 * filtered by mount point and fs type, and statfs(2) per mount. A statfs that fails or does not
 * answer within the timeout yields `node_filesystem_device_error 1` for that mount only; a mount
 * whose statfs is still hanging is not asked again until that call returns, so a dead NFS
 * server ties up at most one libuv thread per mount point.
 */

/** node_exporter 1.5's (Debian) default `--collector.filesystem.mount-points-exclude`. */
export const DEFAULT_MOUNT_POINTS_EXCLUDE =
  /^\/(dev|proc|run|sys|mnt|media|var\/lib\/docker\/.+|var\/lib\/containers\/storage\/.+)($|\/)/;

/** node_exporter 1.5's default `--collector.filesystem.fs-types-exclude`. */
export const DEFAULT_FS_TYPES_EXCLUDE =
  /^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$/;

/** One line of a mounts file. */
export interface MountEntry {
  readonly device: string;
  /** The mount point, with fstab(5)'s `\040` (space) and `\011` (tab) decoded. */
  readonly mountPoint: string;
  readonly fsType: string;
  /** Comma-separated mount options (`rw,relatime`). */
  readonly options: string;
}

/** Parses /proc/mounts or /proc/PID/mounts; lines with fewer than 4 fields are skipped. */
export function parseMounts(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of splitLines(text)) {
    const f = splitFields(line);
    if (f.length < 4) continue;
    out.push({
      device: f[0]!,
      mountPoint: f[1]!.replaceAll('\\040', ' ').replaceAll('\\011', '\t'),
      fsType: f[2]!,
      options: f[3]!,
    });
  }
  return out;
}

/** What statfs(2) reports, in the shape of Node's `fs.StatsFs` (numbers, blocks of `bsize`). */
export interface StatfsResult {
  readonly bsize: number;
  readonly blocks: number;
  readonly bfree: number;
  readonly bavail: number;
  readonly files: number;
  readonly ffree: number;
}

/** statfs(2) on a path; Node's `fs.promises.statfs` in production. */
export type StatfsFn = (path: string) => Promise<StatfsResult>;

/**
 * File systems whose statfs(2) answers from memory and cannot hang on a network peer: for these
 * {@link FilesystemCollectorOptions.statfsSync} is used when given. Anything else (nfs, cifs,
 * fuse.*, ceph, …) keeps the asynchronous call with its timeout.
 */
export const LOCAL_FS_TYPES: ReadonlySet<string> = new Set([
  'ext2',
  'ext3',
  'ext4',
  'xfs',
  'btrfs',
  'f2fs',
  'jfs',
  'reiserfs',
  'vfat',
  'exfat',
  'tmpfs',
  'ramfs',
  'overlay',
]);

/** Options of {@link FilesystemCollector}. */
export interface FilesystemCollectorOptions {
  readonly statfs: StatfsFn;
  /**
   * statfs(2) run synchronously, for {@link LOCAL_FS_TYPES} only (Node's `fs.statfsSync` in
   * production): a thread-pool round trip per mount made a host collection wait behind the
   * agent's queue fsyncs. Throws the fs error. Default: none, every mount uses `statfs`.
   */
  readonly statfsSync?: (path: string) => StatfsResult;
  /** Prefix of the host's root filesystem (node_exporter's `--path.rootfs`); `/` normally. */
  readonly rootPath: string;
  readonly logger: Logger;
  readonly mountPointsExclude?: RegExp;
  readonly fsTypesExclude?: RegExp;
  /** How long one statfs may take before the mount counts as unresponsive, ms. Default 1000. */
  readonly statfsTimeoutMs?: number;
}

/** Per-mount statistics; `deviceError` mounts carry only `readonly`. */
export interface FilesystemStats {
  readonly device: string;
  readonly mountPoint: string;
  readonly fsType: string;
  readonly readonly: boolean;
  readonly deviceError: boolean;
  readonly sizeBytes: number;
  readonly freeBytes: number;
  readonly availBytes: number;
  readonly files: number;
  readonly filesFree: number;
}

/** The `filesystem` families from per-mount statistics. */
export function filesystemFamilies(stats: readonly FilesystemStats[]): MetricFamily[] {
  const size: MetricSample[] = [];
  const free: MetricSample[] = [];
  const avail: MetricSample[] = [];
  const files: MetricSample[] = [];
  const filesFree: MetricSample[] = [];
  const ro: MetricSample[] = [];
  const err: MetricSample[] = [];
  for (const s of stats) {
    const l: Labels = sortedLabels(['device', s.device], ['fstype', s.fsType], ['mountpoint', s.mountPoint]);
    err.push(sample('node_filesystem_device_error', l, s.deviceError ? 1 : 0));
    ro.push(sample('node_filesystem_readonly', l, s.readonly ? 1 : 0));
    if (s.deviceError) continue;
    size.push(sample('node_filesystem_size_bytes', l, s.sizeBytes));
    free.push(sample('node_filesystem_free_bytes', l, s.freeBytes));
    avail.push(sample('node_filesystem_avail_bytes', l, s.availBytes));
    files.push(sample('node_filesystem_files', l, s.files));
    filesFree.push(sample('node_filesystem_files_free', l, s.filesFree));
  }
  return [
    family(
      'node_filesystem_avail_bytes',
      'gauge',
      'Filesystem space available to non-root users in bytes.',
      avail,
    ),
    family(
      'node_filesystem_device_error',
      'gauge',
      'Whether an error occurred while getting statistics for the given device.',
      err,
    ),
    family('node_filesystem_files', 'gauge', 'Filesystem total file nodes.', files),
    family('node_filesystem_files_free', 'gauge', 'Filesystem total free file nodes.', filesFree),
    family('node_filesystem_free_bytes', 'gauge', 'Filesystem free space in bytes.', free),
    family('node_filesystem_readonly', 'gauge', 'Filesystem read-only status.', ro),
    family('node_filesystem_size_bytes', 'gauge', 'Filesystem size in bytes.', size),
  ];
}

const TIMED_OUT = Symbol('timed out');

/**
 * node_exporter's `filesystem` collector. Keeps the set of mount points whose statfs is still
 * outstanding after its timeout; collections of one instance must not overlap.
 */
export class FilesystemCollector implements HostSubCollector {
  readonly name = 'filesystem';
  readonly #opts: FilesystemCollectorOptions;
  readonly #stuck = new Set<string>();

  constructor(options: FilesystemCollectorOptions) {
    this.#opts = options;
  }

  /** Mount points whose statfs has not returned yet (for tests and diagnostics). */
  get stuckMountPoints(): readonly string[] {
    return [...this.#stuck];
  }

  async collect(source: HostSource): Promise<MetricFamily[]> {
    let text: string;
    try {
      text = await source.readProc('1/mounts');
    } catch (err) {
      if ((err as { code?: unknown } | null)?.code !== 'ENOENT') throw err;
      text = await source.readProc('mounts');
    }
    const mpExclude = this.#opts.mountPointsExclude ?? DEFAULT_MOUNT_POINTS_EXCLUDE;
    const fsExclude = this.#opts.fsTypesExclude ?? DEFAULT_FS_TYPES_EXCLUDE;
    const seen = new Set<string>();
    const jobs: Promise<FilesystemStats>[] = [];
    for (const m of parseMounts(text)) {
      const mountPoint = this.#stripRoot(m.mountPoint);
      if (mpExclude.test(mountPoint) || fsExclude.test(m.fsType)) continue;
      // The same device mounted twice at one place (bind mounts, shadowed mounts) is one series.
      const key = `${m.device}\u0000${mountPoint}\u0000${m.fsType}`;
      if (seen.has(key)) continue;
      seen.add(key);
      jobs.push(this.#stat(m, mountPoint, source.signal));
    }
    return filesystemFamilies(await Promise.all(jobs));
  }

  #stripRoot(mountPoint: string): string {
    const root = this.#opts.rootPath.replace(/\/+$/, '');
    if (root === '' || !mountPoint.startsWith(root)) return mountPoint;
    const rest = mountPoint.slice(root.length);
    if (rest === '') return '/';
    return rest.startsWith('/') ? rest : mountPoint;
  }

  #pathOf(mountPoint: string): string {
    const root = this.#opts.rootPath.replace(/\/+$/, '');
    return root === '' ? mountPoint : root + mountPoint;
  }

  async #stat(m: MountEntry, mountPoint: string, signal: AbortSignal | undefined): Promise<FilesystemStats> {
    const base = {
      device: m.device,
      mountPoint,
      fsType: m.fsType,
      readonly: m.options.split(',').includes('ro'),
    };
    const failed: FilesystemStats = {
      ...base,
      deviceError: true,
      sizeBytes: 0,
      freeBytes: 0,
      availBytes: 0,
      files: 0,
      filesFree: 0,
    };
    if (this.#stuck.has(mountPoint)) {
      this.#opts.logger.debug({ mountPoint }, 'mount point is still unresponsive, skipping statfs');
      return failed;
    }
    signal?.throwIfAborted();
    const statfsSync = this.#opts.statfsSync;
    if (statfsSync !== undefined && LOCAL_FS_TYPES.has(m.fsType)) {
      try {
        return statsOf(base, statfsSync(this.#pathOf(mountPoint)));
      } catch (err) {
        this.#opts.logger.debug({ mountPoint, err }, 'statfs failed');
        return failed;
      }
    }
    const call = this.#opts.statfs(this.#pathOf(mountPoint));
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve, reject) => {
      timer = setTimeout(() => resolve(TIMED_OUT), this.#opts.statfsTimeoutMs ?? 1000);
      if (signal !== undefined) {
        onAbort = () => reject(signal.reason as Error);
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    try {
      const r = await Promise.race([call, timeout]);
      if (r === TIMED_OUT) {
        this.#markStuck(mountPoint, call);
        return failed;
      }
      return statsOf(base, r);
    } catch (err) {
      if (signal?.aborted) {
        this.#markStuck(mountPoint, call);
        throw err;
      }
      this.#opts.logger.debug({ mountPoint, err }, 'statfs failed');
      return failed;
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Remembers an outstanding statfs; the mount is asked again once that call settles. */
  #markStuck(mountPoint: string, call: Promise<StatfsResult>): void {
    if (this.#stuck.has(mountPoint)) return;
    this.#stuck.add(mountPoint);
    this.#opts.logger.warn({ mountPoint }, 'statfs did not answer in time, mount point marked unresponsive');
    // The syscall cannot be cancelled; its settling is the only way to learn the mount is back.
    void call.then(
      () => this.#release(mountPoint),
      () => this.#release(mountPoint),
    );
  }

  #release(mountPoint: string): void {
    this.#stuck.delete(mountPoint);
    this.#opts.logger.info({ mountPoint }, 'mount point responsive again');
  }
}

function statsOf(
  base: Pick<FilesystemStats, 'device' | 'mountPoint' | 'fsType' | 'readonly'>,
  r: StatfsResult,
): FilesystemStats {
  return {
    ...base,
    deviceError: false,
    sizeBytes: r.blocks * r.bsize,
    freeBytes: r.bfree * r.bsize,
    availBytes: r.bavail * r.bsize,
    files: r.files,
    filesFree: r.ffree,
  };
}
