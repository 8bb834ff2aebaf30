import { describe, expect, it } from 'vitest';

import {
  DEFAULT_FS_TYPES_EXCLUDE,
  DEFAULT_MOUNT_POINTS_EXCLUDE,
  FilesystemCollector,
  type StatfsFn,
  type StatfsResult,
} from './filesystem.js';
import type { HostSource } from './source.js';
import { RecordingLogger } from '../../base/logger.js';
import { labelsToRecord } from '../../model/labels.js';
import type { MetricFamily } from '../../model/metric.js';

const OK: StatfsResult = { bsize: 4096, blocks: 1000, bfree: 500, bavail: 400, files: 100, ffree: 90 };

function source(files: Record<string, string>, signal?: AbortSignal): HostSource {
  return {
    readProc: (rel) => {
      const text = files[rel];
      if (text === undefined)
        return Promise.reject(Object.assign(new Error(`ENOENT ${rel}`), { code: 'ENOENT' }));
      return Promise.resolve(text);
    },
    readSys: () => Promise.reject(new Error('no sysfs here')),
    listSys: () => Promise.reject(new Error('no sysfs here')),
    signal,
    nowMs: 0,
  };
}

/** `metric{mountpoint}` → value, for compact assertions. */
function values(fams: MetricFamily[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of fams) {
    for (const s of f.samples)
      out[`${s.name.replace('node_filesystem_', '')}${labelsToRecord(s.labels).mountpoint}`] = s.value;
  }
  return out;
}

function collector(statfs: StatfsFn, extra: { rootPath?: string; statfsTimeoutMs?: number } = {}) {
  const logger = new RecordingLogger();
  const c = new FilesystemCollector({
    statfs,
    rootPath: extra.rootPath ?? '/',
    logger,
    statfsTimeoutMs: extra.statfsTimeoutMs ?? 50,
  });
  return { c, logger };
}

describe('FilesystemCollector', () => {
  it('reports statfs figures in bytes with device, fstype and mountpoint labels', async () => {
    const { c } = collector(() => Promise.resolve(OK));
    const fams = await c.collect(source({ '1/mounts': '/dev/vda / ext4 rw,relatime 0 0\n' }));
    const size = fams.find((f) => f.name === 'node_filesystem_size_bytes')!;
    expect(labelsToRecord(size.samples[0]!.labels)).toEqual({
      device: '/dev/vda',
      fstype: 'ext4',
      mountpoint: '/',
    });
    expect(values(fams)).toEqual({
      'size_bytes/': 4096 * 1000,
      'free_bytes/': 4096 * 500,
      'avail_bytes/': 4096 * 400,
      'files/': 100,
      'files_free/': 90,
      'readonly/': 0,
      'device_error/': 0,
    });
  });

  it('falls back to /proc/mounts when /proc/1/mounts is missing', async () => {
    const { c } = collector(() => Promise.resolve(OK));
    const fams = await c.collect(source({ mounts: '/dev/vdb /data xfs ro,noatime 0 0\n' }));
    expect(values(fams)).toMatchObject({ 'readonly/data': 1, 'device_error/data': 0 });
  });

  it('skips excluded mount points and fs types, and duplicate mounts', async () => {
    const seen: string[] = [];
    const { c } = collector((p) => {
      seen.push(p);
      return Promise.resolve(OK);
    });
    await c.collect(
      source({
        '1/mounts': [
          'proc /proc proc rw 0 0',
          'tmpfs /run tmpfs rw 0 0',
          'cgroup2 /sys/fs/cgroup cgroup2 rw 0 0',
          'overlay /merged overlay rw 0 0',
          '/dev/vda / ext4 rw 0 0',
          '/dev/vda / ext4 rw 0 0',
          'tmpfs /dev/shm tmpfs rw 0 0',
          'tmpfs /tmp tmpfs rw 0 0',
          '/dev/sdc1 /var/lib/docker/overlay2/abc ext4 rw 0 0',
        ].join('\n'),
      }),
    );
    expect(seen.sort()).toEqual(['/', '/tmp']);
  });

  it('sets device_error for a failing statfs and keeps the other mounts', async () => {
    const { c } = collector((p) =>
      p === '/broken'
        ? Promise.reject(Object.assign(new Error('EACCES'), { code: 'EACCES' }))
        : Promise.resolve(OK),
    );
    const fams = await c.collect(
      source({ '1/mounts': '/dev/a / ext4 rw 0 0\n/dev/b /broken ext4 ro 0 0\n' }),
    );
    const v = values(fams);
    expect(v).toMatchObject({
      'device_error/': 0,
      'device_error/broken': 1,
      'readonly/broken': 1,
      'size_bytes/': 4096000,
    });
    expect(v['size_bytes/broken']).toBeUndefined();
  });

  it('does not wait for a hanging statfs, and skips that mount until the call returns', async () => {
    let release: (r: StatfsResult) => void = () => {};
    let hangingCalls = 0;
    let hang = true;
    const { c, logger } = collector((p) => {
      if (p !== '/nfs') return Promise.resolve(OK);
      hangingCalls++;
      if (!hang) return Promise.resolve(OK);
      return new Promise<StatfsResult>((resolve) => {
        release = resolve;
      });
    });
    const src = source({ '1/mounts': '/dev/a / ext4 rw 0 0\nsrv:/x /nfs nfs4 rw 0 0\n' });
    expect(values(await c.collect(src))).toMatchObject({ 'device_error/nfs': 1, 'device_error/': 0 });
    expect(c.stuckMountPoints).toEqual(['/nfs']);
    expect(logger.records.some((r) => r.level === 'warn' && r.fields.mountPoint === '/nfs')).toBe(true);

    // Still stuck: reported as an error without another statfs.
    expect(values(await c.collect(src))).toMatchObject({ 'device_error/nfs': 1 });
    expect(hangingCalls).toBe(1);

    // The call returns: the mount is asked again on the next collection.
    hang = false;
    release(OK);
    await new Promise((r) => setImmediate(r));
    expect(c.stuckMountPoints).toEqual([]);
    expect(values(await c.collect(src))).toMatchObject({ 'device_error/nfs': 0, 'size_bytes/nfs': 4096000 });
    expect(hangingCalls).toBe(2);
  });

  it('uses statfsSync for local file systems only, and keeps the async timeout for the rest', async () => {
    const logger = new RecordingLogger();
    const asyncPaths: string[] = [];
    const syncPaths: string[] = [];
    const c = new FilesystemCollector({
      statfs: (p) => {
        asyncPaths.push(p);
        return new Promise<StatfsResult>(() => {}); // a dead NFS server
      },
      statfsSync: (p) => {
        syncPaths.push(p);
        if (p === '/broken') throw Object.assign(new Error('EIO'), { code: 'EIO' });
        return OK;
      },
      rootPath: '/',
      logger,
      statfsTimeoutMs: 50,
    });
    const v = values(
      await c.collect(
        source({
          '1/mounts': '/dev/a / ext4 rw 0 0\n/dev/b /broken xfs rw 0 0\nsrv:/x /nfs nfs4 rw 0 0\n',
        }),
      ),
    );
    expect(syncPaths).toEqual(['/', '/broken']);
    expect(asyncPaths).toEqual(['/nfs']);
    expect(v).toMatchObject({
      'device_error/': 0,
      'size_bytes/': 4096000,
      'device_error/broken': 1,
      'device_error/nfs': 1,
    });
  });

  it('statfs-es under rootPath and labels the host mount point', async () => {
    const seen: string[] = [];
    const { c } = collector(
      (p) => {
        seen.push(p);
        return Promise.resolve(OK);
      },
      { rootPath: '/host' },
    );
    const fams = await c.collect(
      source({ '1/mounts': '/dev/a / ext4 rw 0 0\n/dev/b /host/data ext4 rw 0 0\n' }),
    );
    expect(seen.sort()).toEqual(['/host/', '/host/data']);
    expect(
      Object.keys(values(fams))
        .filter((k) => k.startsWith('size_bytes'))
        .sort(),
    ).toEqual(['size_bytes/', 'size_bytes/data']);
  });

  it('rejects when the collection is aborted', async () => {
    const ac = new AbortController();
    const { c } = collector(() => new Promise<StatfsResult>(() => {}), { statfsTimeoutMs: 60_000 });
    const p = c.collect(source({ '1/mounts': '/dev/a / ext4 rw 0 0\n' }, ac.signal));
    setImmediate(() => ac.abort(new Error('stop')));
    await expect(p).rejects.toThrow('stop');
  });
});

describe('default filters', () => {
  it.each([
    ['/', false],
    ['/home', false],
    ['/dev', true],
    ['/dev/shm', true],
    ['/proc', true],
    ['/run', true],
    ['/run/user/1000', true],
    ['/sys/fs/cgroup', true],
    ['/mnt/usb', true],
    ['/media', true],
    ['/var/lib/docker', false],
    ['/var/lib/docker/overlay2/x', true],
    ['/var/lib/containers/storage/y', true],
    ['/devices', false],
  ])('mount point %s excluded=%s', (mp, excluded) => {
    expect(DEFAULT_MOUNT_POINTS_EXCLUDE.test(mp)).toBe(excluded);
  });

  it.each([
    ['ext4', false],
    ['xfs', false],
    ['tmpfs', false],
    ['nfs4', false],
    ['cgroup', true],
    ['cgroup2', true],
    ['overlay', true],
    ['squashfs', true],
    ['devtmpfs', true],
  ])('fs type %s excluded=%s', (t, excluded) => {
    expect(DEFAULT_FS_TYPES_EXCLUDE.test(t)).toBe(excluded);
  });
});
