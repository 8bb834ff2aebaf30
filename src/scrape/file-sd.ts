import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { errorMessage } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import { labelNameRe } from '../model/labels.js';

/**
 * Prometheus's file-based service discovery (discovery/file): JSON or YAML files holding a list of
 * `{targets: [...], labels: {...}}` groups, found by patterns whose last path element may hold globs
 * (`*`, `?`, `[...]`). Files are re-read when fs.watch reports a change in their directory and
 * every refresh interval; a file that fails to read or parse keeps its last good groups and is logged.
 * Each group carries `__meta_filepath`.
 */

/** A group of targets sharing labels, as service discovery yields it. */
export interface TargetGroup {
  /** Where the group came from (`file:path:index`, `static:index`), stable across reloads. */
  readonly source: string;
  readonly targets: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

const groupsSchema = z.array(
  z.strictObject({
    targets: z.array(z.string()).default([]),
    labels: z
      .record(z.string().regex(labelNameRe, { message: 'invalid label name' }), z.string())
      .default({}),
  }),
);

/** Parses one SD file's text; `.json` as JSON, `.yml`/`.yaml` as YAML. Throws on a bad file. */
export function parseSdFile(path: string, text: string): TargetGroup[] {
  const ext = extname(path).toLowerCase();
  let data: unknown;
  if (ext === '.json') data = JSON.parse(text);
  else if (ext === '.yml' || ext === '.yaml') data = parseYaml(text) ?? [];
  else throw new Error(`retrieving targets from file "${path}": unsupported file extension "${ext}"`);
  const r = groupsSchema.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`${path}: ${i ? `${i.path.join('.')}: ${i.message}` : 'invalid'}`);
  }
  return r.data.map((g, i) => ({
    source: `${path}:${i}`,
    targets: g.targets,
    labels: { ...g.labels, __meta_filepath: path },
  }));
}

/** A glob on the last path element, as a regex (`*`, `?`, `[...]`). */
function globRe(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Options of {@link FileDiscovery}. */
export interface FileDiscoveryOptions {
  /** Absolute file patterns; only the last element may hold globs. */
  readonly files: readonly string[];
  readonly refreshIntervalMs: number;
  readonly logger: Logger;
  /** Called with all current groups after every read that changed something. */
  readonly onUpdate: (groups: TargetGroup[]) => void;
}

/**
 * Watches SD files and reports their target groups. {@link run} reads once, then watches until the
 * signal aborts; it resolves after closing its watchers.
 */
export class FileDiscovery {
  readonly #opts: FileDiscoveryOptions;
  /** Last good groups per file. */
  readonly #byFile = new Map<string, TargetGroup[]>();
  #lastKey = '';

  constructor(options: FileDiscoveryOptions) {
    this.#opts = options;
  }

  /** Reads every matching file now and reports when the groups changed. */
  async refresh(): Promise<void> {
    const seen = new Set<string>();
    for (const pattern of this.#opts.files) {
      const dir = dirname(pattern);
      const base = basename(pattern);
      let names: string[];
      if (/[*?[]/.test(base)) {
        try {
          const re = globRe(base);
          names = (await readdir(dir)).filter((n) => re.test(n)).sort();
        } catch (e) {
          this.#opts.logger.warn({ dir, err: errorMessage(e) }, 'file_sd: cannot list directory');
          names = [];
        }
      } else names = [base];
      for (const n of names) {
        const path = join(dir, n);
        seen.add(path);
        try {
          this.#byFile.set(path, parseSdFile(path, await readFile(path, 'utf8')));
        } catch (e) {
          const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
          if (missing && !/[*?[]/.test(base)) {
            this.#byFile.delete(path);
            seen.delete(path);
          }
          this.#opts.logger.error(
            { file: path, err: errorMessage(e) },
            'file_sd: error reading file, keeping its last good targets',
          );
        }
      }
    }
    for (const path of [...this.#byFile.keys()]) if (!seen.has(path)) this.#byFile.delete(path);
    const groups = [...this.#byFile.keys()].sort().flatMap((p) => this.#byFile.get(p) ?? []);
    const key = JSON.stringify(groups);
    if (key !== this.#lastKey) {
      this.#lastKey = key;
      this.#opts.onUpdate(groups);
    }
  }

  /** Reads, then re-reads on change and every refresh interval until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    await this.refresh();
    const watchers: FSWatcher[] = [];
    let pending: Promise<void> = Promise.resolve();
    const kick = (): void => {
      pending = pending.then(() => (signal.aborted ? undefined : this.refresh()));
    };
    for (const dir of new Set(this.#opts.files.map((f) => dirname(f)))) {
      try {
        const w = watch(dir, { persistent: false }, kick);
        w.on('error', () => {});
        watchers.push(w);
      } catch (e) {
        this.#opts.logger.warn(
          { dir, err: errorMessage(e) },
          'file_sd: cannot watch directory, relying on refresh_interval',
        );
      }
    }
    const timer = setInterval(kick, this.#opts.refreshIntervalMs);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    clearInterval(timer);
    for (const w of watchers) w.close();
    await pending;
  }
}
