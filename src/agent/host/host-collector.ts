import { readdirSync, statfsSync } from 'node:fs';
import { statfs as fsStatfs } from 'node:fs/promises';
import { machine as osMachine } from 'node:os';

import { conntrackCollector } from './conntrack.js';
import { diskstatsCollector } from './diskstats.js';
import { entropyCollector } from './entropy.js';
import { family, oneLabel, sample } from './families.js';
import { filefdCollector } from './filefd.js';
import { FilesystemCollector, type StatfsFn } from './filesystem.js';
import { loadavgCollector } from './loadavg.js';
import { meminfoCollector } from './meminfo.js';
import { netclassCollector } from './netclass.js';
import { netdevCollector } from './netdev.js';
import { netstatCollector } from './netstat.js';
import { pressureCollector } from './pressure.js';
import { PseudoFileReader, readTextSync } from './read-text.js';
import { sockstatCollector } from './sockstat.js';
import { NoDataError, type HostSource, type HostSubCollector } from './source.js';
import { CpuCollector, statCollector } from './stat.js';
import { timeCollector } from './time.js';
import { unameCollector } from './uname.js';
import { vmstatCollector } from './vmstat.js';
import { AppError, errorMessage } from '../../base/errors.js';
import { nullLogger, type Logger } from '../../base/logger.js';
import type { MetricFamily, MetricSample } from '../../model/metric.js';

/**
 * Host metrics with node_exporter's names, labels, types and help texts, read directly from
 * /proc and /sys, so node-mixin dashboards and alerts work unchanged on Kanshi's agent.
 * docs/host-metrics.md lists the metrics and the USE question each one answers.
 */

/** Options of {@link HostCollector}. Paths are node_exporter's `--path.*` flags. */
export interface HostCollectorOptions {
  /** procfs mount point. Default `/proc`. */
  readonly procPath?: string;
  /** sysfs mount point. Default `/sys`. */
  readonly sysPath?: string;
  /** Where the host's root filesystem is mounted (a container sees it at `/host`). Default `/`. */
  readonly rootPath?: string;
  /** The wall clock, ms since the epoch; node_time_seconds and HostSource.nowMs. Default Date.now. */
  readonly now?: () => number;
  /** Receives one line per failing collector (warn) and per collector without data (debug). */
  readonly logger?: Logger;
  /** `uname -m`; default Node's `os.machine()`. */
  readonly machine?: string;
  /** Page size in bytes for node_sockstat_*_mem_bytes. Default 4096. */
  readonly pageSizeBytes?: number;
  /** statfs(2); default `fs.promises.statfs`. Tests inject a hanging or failing one. */
  readonly statfs?: StatfsFn;
  /** How long one statfs may take before its mount reports device_error, ms. Default 1000. */
  readonly statfsTimeoutMs?: number;
  readonly mountPointsExclude?: RegExp;
  readonly fsTypesExclude?: RegExp;
  readonly diskstatsDeviceExclude?: RegExp;
  readonly netdevDeviceExclude?: RegExp;
  /** Interfaces the netclass collector skips; default none (node_exporter's `^$`). */
  readonly netclassDeviceExclude?: RegExp;
  readonly vmstatFields?: RegExp;
  readonly netstatFields?: RegExp;
  /**
   * Names of the collectors to run (see {@link HOST_COLLECTOR_NAMES}); default all. An unknown
   * name makes the constructor throw `bad_input`.
   */
  readonly enabled?: readonly string[];
}

/** statfs(2) f_type of procfs and sysfs (linux/magic.h). */
const PROC_SUPER_MAGIC = 0x9fa0;
const SYSFS_MAGIC = 0x62656572;

/**
 * procfs files that do not change while the kernel runs, read once: node_uname_info's sysname,
 * release and version, and the entropy pool size. hostname and domainname can be changed at run
 * time and are read every time, as every other file.
 */
const STATIC_PROC_FILES = new Set([
  'sys/kernel/ostype',
  'sys/kernel/osrelease',
  'sys/kernel/version',
  'sys/kernel/random/poolsize',
]);

function isFilesystem(path: string, magic: number): boolean {
  try {
    return statfsSync(path).type === magic;
  } catch {
    return false;
  }
}

/** Every collector HostCollector knows, by node_exporter's collector name. */
export const HOST_COLLECTOR_NAMES = [
  'conntrack',
  'cpu',
  'diskstats',
  'entropy',
  'filefd',
  'filesystem',
  'loadavg',
  'meminfo',
  'netclass',
  'netdev',
  'netstat',
  'pressure',
  'sockstat',
  'stat',
  'time',
  'uname',
  'vmstat',
] as const;

/**
 * Collects host metrics. One instance per host; it keeps small state between collections (cpu
 * counters that must not go backwards, mount points whose statfs hangs). Overlapping calls to
 * {@link collect} are serialized.
 */
export class HostCollector {
  readonly #procPath: string;
  readonly #sysPath: string;
  readonly #now: () => number;
  readonly #logger: Logger;
  readonly #collectors: readonly HostSubCollector[];
  #last: Promise<unknown> = Promise.resolve();
  /** Whether procPath and sysPath are procfs and sysfs, whose files are kept open between reads. */
  readonly #isPseudo: { proc: boolean; sys: boolean };
  readonly #reader = new PseudoFileReader();
  /** procPath and sysPath with one trailing slash: a read is one concatenation, not a path.join. */
  readonly #procDir: string;
  readonly #sysDir: string;
  /** Texts of STATIC_PROC_FILES read once (real procfs only). */
  readonly #staticTexts = new Map<string, Promise<string>>();

  constructor(options: HostCollectorOptions = {}) {
    this.#procPath = options.procPath ?? '/proc';
    this.#sysPath = options.sysPath ?? '/sys';
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? nullLogger;
    this.#procDir = `${this.#procPath.replace(/\/+$/, '')}/`;
    this.#sysDir = `${this.#sysPath.replace(/\/+$/, '')}/`;
    this.#isPseudo = {
      proc: isFilesystem(this.#procPath, PROC_SUPER_MAGIC),
      sys: isFilesystem(this.#sysPath, SYSFS_MAGIC),
    };
    const all: HostSubCollector[] = [
      conntrackCollector,
      new CpuCollector(),
      diskstatsCollector(options.diskstatsDeviceExclude),
      entropyCollector,
      filefdCollector,
      new FilesystemCollector({
        statfs: options.statfs ?? fsStatfs,
        // An injected statfs (tests) is used for every mount.
        ...(options.statfs === undefined && { statfsSync }),
        rootPath: options.rootPath ?? '/',
        logger: this.#logger.child({ collector: 'filesystem' }),
        ...(options.mountPointsExclude ? { mountPointsExclude: options.mountPointsExclude } : {}),
        ...(options.fsTypesExclude ? { fsTypesExclude: options.fsTypesExclude } : {}),
        ...(options.statfsTimeoutMs !== undefined ? { statfsTimeoutMs: options.statfsTimeoutMs } : {}),
      }),
      loadavgCollector,
      meminfoCollector,
      netclassCollector(options.netclassDeviceExclude),
      netdevCollector(options.netdevDeviceExclude),
      netstatCollector(options.netstatFields),
      pressureCollector,
      sockstatCollector(options.pageSizeBytes ?? 4096),
      statCollector,
      timeCollector,
      unameCollector(options.machine ?? osMachine()),
      vmstatCollector(options.vmstatFields),
    ];
    const enabled = options.enabled === undefined ? undefined : new Set(options.enabled);
    for (const name of enabled ?? []) {
      if (!all.some((c) => c.name === name)) {
        throw new AppError(
          'bad_input',
          `unknown host collector ${JSON.stringify(name)}, want one of ${HOST_COLLECTOR_NAMES.join(', ')}`,
        );
      }
    }
    this.#collectors = enabled === undefined ? all : all.filter((c) => enabled.has(c.name));
  }

  /**
   * Runs every enabled collector in parallel and resolves with their non-empty families sorted
   * by name, plus node_scrape_collector_success and node_scrape_collector_duration_seconds per collector.
   * A failing collector is logged and reported with success 0; it never fails the collection.
   * Rejects only when `signal` aborts.
   */
  collect(signal?: AbortSignal): Promise<MetricFamily[]> {
    const run = this.#last.then(() => this.#collectOnce(signal));
    this.#last = run.catch(() => undefined);
    return run;
  }

  /** Closes the files kept open between collections; a later collect opens them again. */
  close(): Promise<void> {
    const done = this.#last.then(() => this.#reader.close());
    this.#last = done;
    return done;
  }

  async #collectOnce(signal: AbortSignal | undefined): Promise<MetricFamily[]> {
    signal?.throwIfAborted();
    // Pseudo-files are read synchronously (see readTextSync), through descriptors kept open on
    // procfs and sysfs (see PseudoFileReader); the promise wrapping keeps the HostSource contract,
    // and a failed read is a rejected promise as before.
    const cache = new Map<string, Promise<string>>();
    const read = (path: string, isPseudo: boolean): Promise<string> => {
      let p = cache.get(path);
      if (p === undefined) {
        // An async function turns a thrown fs error into a rejection; the read itself runs now.
        // eslint-disable-next-line @typescript-eslint/require-await -- a throw must become a rejection
        p = (async () => {
          signal?.throwIfAborted();
          return isPseudo ? this.#reader.read(path) : readTextSync(path);
        })();
        p.catch(() => undefined); // handled by the collector that awaits it
        cache.set(path, p);
      }
      return p;
    };
    const readProc = (rel: string): Promise<string> => {
      if (!this.#isPseudo.proc || !STATIC_PROC_FILES.has(rel)) {
        return read(this.#procDir + rel, this.#isPseudo.proc);
      }
      let p = this.#staticTexts.get(rel);
      if (p === undefined) {
        p = read(this.#procDir + rel, false); // once: no descriptor to keep
        this.#staticTexts.set(rel, p);
        // A failed read is tried again next time.
        p.catch(() => this.#staticTexts.delete(rel));
      }
      return p;
    };
    // eslint-disable-next-line @typescript-eslint/require-await -- a throw must become a rejection
    const list = async (path: string): Promise<string[]> => readdirSync(path);
    const source: HostSource = {
      readProc,
      readSys: (rel) => read(this.#sysDir + rel, this.#isPseudo.sys),
      listSys: (rel) => list(this.#sysDir + rel),
      signal,
      nowMs: this.#now(),
    };
    const results = await Promise.all(this.#collectors.map((c) => this.#runOne(c, source)));
    this.#reader.sweep();
    signal?.throwIfAborted();
    const out: MetricFamily[] = [];
    const success: MetricSample[] = [];
    const duration: MetricSample[] = [];
    for (const r of results) {
      // node_exporter prints no family without samples (e.g. no filesystem passed the filters).
      for (const f of r.families) if (f.samples.length > 0) out.push(f);
      const l = oneLabel('collector', r.name);
      duration.push(sample('node_scrape_collector_duration_seconds', l, r.seconds));
      success.push(sample('node_scrape_collector_success', l, r.ok ? 1 : 0));
    }
    out.push(
      family(
        'node_scrape_collector_duration_seconds',
        'gauge',
        'node_exporter: Duration of a collector scrape.',
        duration,
      ),
      family(
        'node_scrape_collector_success',
        'gauge',
        'node_exporter: Whether a collector succeeded.',
        success,
      ),
    );
    out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return out;
  }

  async #runOne(
    c: HostSubCollector,
    source: HostSource,
  ): Promise<{ name: string; ok: boolean; seconds: number; families: MetricFamily[] }> {
    const start = performance.now();
    try {
      const families = await c.collect(source);
      return { name: c.name, ok: true, seconds: (performance.now() - start) / 1000, families };
    } catch (err) {
      const seconds = (performance.now() - start) / 1000;
      if (err instanceof NoDataError) {
        this.#logger.debug({ collector: c.name, reason: err.message }, 'collector returned no data');
      } else if (!source.signal?.aborted) {
        this.#logger.warn(
          { collector: c.name, durationSeconds: seconds, err: errorMessage(err) },
          'collector failed',
        );
      }
      return { name: c.name, ok: false, seconds, families: [] };
    }
  }
}
