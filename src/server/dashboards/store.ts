import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { Clock } from '../../base/clock.js';
import { AppError, errorMessage } from '../../base/errors.js';
import type { Logger } from '../../base/logger.js';
import { ConfigWatcher, type WatchSet } from '../reload.js';
import { issuesMessage, parseDashboard, UID_RE, type Dashboard } from './model.js';

/**
 * Dashboards stored as files (docs/dashboards.md): one dashboard per `*.yaml`, `*.yml` or `*.json`
 * file in the dashboards folders, read at {@link DashboardStore.load} and again whenever a folder
 * changes. A file that does not parse is listed with its error; the others stay served. Writes go
 * back to the dashboard's own file (atomically, in its format) and are refused with a `conflict`
 * when the file changed since the version the writer saw.
 */

/** How a dashboard file is written. */
export type DashboardFormat = 'yaml' | 'json';

/** One file of a dashboards folder, as last read. */
export interface DashboardEntry {
  /** From the file's `uid`, else its name without extension. */
  readonly uid: string;
  readonly title: string;
  readonly tags: readonly string[];
  /** Absolute path of the file. */
  readonly file: string;
  readonly format: DashboardFormat;
  /** A hash of the file's bytes: the ETag a writer sends back (If-Match). */
  readonly version: string;
  /** The dashboard with its uid filled in; absent when the file has an error. */
  readonly dashboard?: Dashboard;
  /** Why the file is not served (cannot read, syntax, schema, duplicate uid). */
  readonly error?: string;
}

/** Options of {@link DashboardStore}. */
export interface DashboardStoreOptions {
  /**
   * Folders to read, absolute. The first (`<data_dir>/dashboards` by default) is where new
   * dashboards are created; it is made on the first create. Missing folders are empty.
   */
  readonly dirs: readonly string[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** Quiet time after a folder event before re-reading, ms; default 300. */
  readonly debounceMs?: number;
  /** Interval of the content poll for file systems where fs.watch is silent, ms; default 30 s. */
  readonly pollIntervalMs?: number;
  /** Told after every load (initial, hot reload, own write). */
  readonly onReload?: () => void;
}

const EXTENSIONS: Readonly<Record<string, DashboardFormat>> = {
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.json': 'json',
};

/** A hash of a file's bytes used as its version. */
export function fileVersion(bytes: string | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/** The file text of `d` in `format` (uid included, so a renamed file keeps its uid). */
export function serializeDashboard(d: Dashboard, format: DashboardFormat): string {
  return format === 'json' ? `${JSON.stringify(d, null, 2)}\n` : stringifyYaml(d, { lineWidth: 0 });
}

/**
 * The dashboards of a set of folders. Reads and writes are serialized on one queue, so a hot
 * reload never interleaves with a write. {@link run} owns the folder watcher until its signal aborts.
 */
export class DashboardStore {
  readonly #opts: DashboardStoreOptions;
  readonly #dirs: readonly string[];
  #entries: DashboardEntry[] = [];
  #byUid = new Map<string, DashboardEntry>();
  #queue: Promise<unknown> = Promise.resolve();
  readonly #watcher: ConfigWatcher;

  constructor(opts: DashboardStoreOptions) {
    if (opts.dirs.length === 0) throw new AppError('bad_input', 'dashboard store needs at least one folder');
    this.#opts = opts;
    this.#dirs = opts.dirs.map((d) => path.resolve(d));
    this.#watcher = new ConfigWatcher({
      clock: opts.clock,
      logger: opts.logger,
      watchSet: () => this.#watchSet(),
      onChange: () => this.load(),
      debounceMs: opts.debounceMs ?? 300,
      ...(opts.pollIntervalMs === undefined ? {} : { pollIntervalMs: opts.pollIntervalMs }),
    });
  }

  /** The folders read, absolute; the first is where new dashboards go. */
  get dirs(): readonly string[] {
    return this.#dirs;
  }

  /** Re-reads every folder. Never throws: problems are kept on the entries. */
  load(): Promise<void> {
    return this.#enqueue(() => this.#load());
  }

  /** Every file, in folder order then by file name. */
  list(): readonly DashboardEntry[] {
    return this.#entries;
  }

  /** The entry of `uid` (possibly with an error), or undefined. */
  get(uid: string): DashboardEntry | undefined {
    return this.#byUid.get(uid);
  }

  /**
   * Creates a dashboard in the first folder as `<uid>.<yaml|json>`. `value` is our model; its uid
   * (or one made from the title) must be free. With `overwrite`, an existing dashboard of that uid
   * is replaced in its own file instead (the import path).
   */
  create(
    value: unknown,
    opts: { format?: DashboardFormat; overwrite?: boolean } = {},
  ): Promise<DashboardEntry> {
    return this.#enqueue(async () => {
      const d = validate(value);
      const uid = d.uid ?? this.#freeUid(d.title);
      const existing = this.#byUid.get(uid);
      if (existing) {
        if (!opts.overwrite)
          throw new AppError('conflict', `dashboard uid "${uid}" already exists in ${existing.file}`);
        return this.#write(existing, { ...d, uid }, undefined);
      }
      const format = opts.format ?? 'yaml';
      const dir = this.#dirs[0] ?? '';
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, `${uid}.${format === 'yaml' ? 'yaml' : 'json'}`);
      if (this.#entries.some((e) => e.file === file))
        throw new AppError('conflict', `file ${file} already holds another dashboard`);
      await atomicWrite(file, serializeDashboard({ ...d, uid }, format));
      await this.#load();
      return this.#mustGet(uid);
    });
  }

  /**
   * Replaces dashboard `uid` in its file, keeping the file's format. `ifVersion` is the version the
   * writer read; without it, the version this store last read. Either way a file changed on disk
   * since then is a `conflict`, and nothing is written.
   */
  update(uid: string, value: unknown, ifVersion?: string): Promise<DashboardEntry> {
    return this.#enqueue(async () => {
      const entry = this.#byUid.get(uid);
      if (!entry) throw new AppError('not_found', `no dashboard with uid "${uid}"`);
      const d = validate(value);
      if (d.uid !== undefined && d.uid !== uid)
        throw new AppError(
          'bad_input',
          `uid in the body "${d.uid}" differs from the uid in the path "${uid}"`,
        );
      return this.#write(entry, { ...d, uid }, ifVersion);
    });
  }

  /** Deletes the file of dashboard `uid`, under the same version check as {@link update}. */
  delete(uid: string, ifVersion?: string): Promise<void> {
    return this.#enqueue(async () => {
      const entry = this.#byUid.get(uid);
      if (!entry) throw new AppError('not_found', `no dashboard with uid "${uid}"`);
      await this.#checkVersion(entry, ifVersion);
      await rm(entry.file, { force: true });
      await this.#load();
    });
  }

  /** Watches the folders and reloads on change until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    await this.#watcher.run(signal);
  }

  /** Starts the watcher's baseline now (tests await it before changing files). */
  startWatching(): Promise<void> {
    return this.#watcher.start();
  }

  async #write(entry: DashboardEntry, d: Dashboard, ifVersion: string | undefined): Promise<DashboardEntry> {
    await this.#checkVersion(entry, ifVersion);
    await atomicWrite(entry.file, serializeDashboard(d, entry.format));
    await this.#load();
    return this.#mustGet(d.uid ?? entry.uid);
  }

  async #checkVersion(entry: DashboardEntry, ifVersion: string | undefined): Promise<void> {
    let onDisk: string;
    try {
      onDisk = fileVersion(await readFile(entry.file));
    } catch (e) {
      throw new AppError('conflict', `dashboard file ${entry.file} changed on disk: ${errorMessage(e)}`, {
        cause: e,
      });
    }
    const expected = ifVersion ?? entry.version;
    if (onDisk !== expected)
      throw new AppError(
        'conflict',
        `dashboard "${entry.uid}" changed since version ${expected}: file ${entry.file} is now version ${onDisk}`,
      );
  }

  #mustGet(uid: string): DashboardEntry {
    const e = this.#byUid.get(uid);
    if (!e) throw new AppError('internal', `dashboard "${uid}" missing after write`);
    if (e.error !== undefined)
      throw new AppError('internal', `dashboard "${uid}" unreadable after write: ${e.error}`);
    return e;
  }

  #freeUid(title: string): string {
    const base =
      title
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 32) || 'dashboard';
    for (let i = 0; ; i++) {
      const uid = i === 0 ? base : `${base}-${i + 1}`;
      if (!this.#byUid.has(uid) && !this.#entries.some((e) => path.parse(e.file).name === uid)) return uid;
      if (i > 1000) return `${base.slice(0, 20)}-${randomBytes(6).toString('hex')}`;
    }
  }

  async #load(): Promise<void> {
    const entries: DashboardEntry[] = [];
    const byUid = new Map<string, DashboardEntry>();
    for (const dir of this.#dirs) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      for (const name of names.sort()) {
        const format = EXTENSIONS[path.extname(name)];
        if (format === undefined || name.startsWith('.')) continue;
        const file = path.join(dir, name);
        const entry = await readEntry(file, format);
        const other = byUid.get(entry.uid);
        if (other) {
          entries.push({
            ...withoutDashboard(entry),
            error: `uid "${entry.uid}" is already used by ${other.file}`,
          });
          continue;
        }
        entries.push(entry);
        byUid.set(entry.uid, entry);
      }
    }
    this.#entries = entries;
    this.#byUid = byUid;
    for (const e of entries)
      if (e.error !== undefined)
        this.#opts.logger.warn({ file: e.file, err: e.error }, 'dashboard file not loaded');
    this.#opts.onReload?.();
  }

  #watchSet(): WatchSet {
    return {
      files: this.#entries.map((e) => e.file),
      patterns: this.#dirs.flatMap((d) => Object.keys(EXTENSIONS).map((ext) => path.join(d, `*${ext}`))),
    };
  }

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

function withoutDashboard(e: DashboardEntry): DashboardEntry {
  const { dashboard: _d, ...rest } = e;
  return rest;
}

function validate(value: unknown): Dashboard {
  const r = parseDashboard(value);
  if (!r.ok) throw new AppError('bad_input', `invalid dashboard: ${issuesMessage(r.issues)}`);
  return r.dashboard;
}

async function readEntry(file: string, format: DashboardFormat): Promise<DashboardEntry> {
  const stem = path.parse(file).name;
  const base = { uid: stem, title: stem, tags: [], file, format };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return { ...base, version: '', error: `cannot read: ${errorMessage(e)}` };
  }
  const version = fileVersion(text);
  let value: unknown;
  try {
    value = format === 'json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    return { ...base, version, error: `${format === 'json' ? 'JSON' : 'YAML'} syntax: ${errorMessage(e)}` };
  }
  const r = parseDashboard(value);
  const rawUid = typeof value === 'object' && value !== null ? (value as { uid?: unknown }).uid : undefined;
  const uid = typeof rawUid === 'string' && UID_RE.test(rawUid) ? rawUid : stem;
  if (!r.ok) return { ...base, uid, version, error: issuesMessage(r.issues) };
  if (!UID_RE.test(uid))
    return {
      ...base,
      version,
      error: `file name "${stem}" is not a valid uid and the file has no uid field`,
    };
  return {
    uid,
    title: r.dashboard.title,
    tags: r.dashboard.tags,
    file,
    format,
    version,
    dashboard: { ...r.dashboard, uid },
  };
}

/** Writes `text` to a temporary file beside `file`, fsyncs it and renames it over `file`. */
async function atomicWrite(file: string, text: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new AppError('io', `write dashboard ${file}: ${errorMessage(e)}`, { cause: e });
  }
}
