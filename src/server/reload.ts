import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../base/clock.js';
import { errorMessage } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import type { Diagnostic } from '../config/load-yaml.js';
import { parseRuleFile, type RuleGroupConfig } from '../rules/rule-file.js';

/**
 * What reloading needs besides the config loader: the `rule_files` globs expanded and parsed, and
 * a watcher that notices when kanshi.yml or a rule file changes (fs.watch on their folders,
 * debounced, plus a slow poll of a content fingerprint for file systems where fs.watch is silent).
 */

/** The rule files of a configuration, loaded. */
export interface LoadedRuleFiles {
  /** The groups of every file, in file order; undefined when any file had a problem. */
  readonly groups: readonly RuleGroupConfig[] | undefined;
  /** The files the patterns matched (absolute, sorted per pattern, without duplicates). */
  readonly files: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

const GLOB_META = /[*?[]/;

/**
 * Expands `patterns` (absolute or relative to `baseDir`) as Go's filepath.Glob does (`*`, `?`,
 * `[…]` in any path element, dotfiles included, results sorted). A pattern without meta
 * characters is kept even when the file is missing, so that loading reports it.
 */
export async function expandRuleFiles(patterns: readonly string[], baseDir: string): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const p of patterns) {
    const abs = path.resolve(baseDir, p);
    const matches = GLOB_META.test(abs) ? await glob(abs) : [abs];
    for (const m of matches) {
      if (seen.has(m)) continue;
      seen.add(m);
      out.push(m);
    }
  }
  return out;
}

async function glob(absPattern: string): Promise<string[]> {
  const { root } = path.parse(absPattern);
  const parts = absPattern
    .slice(root.length)
    .split(path.sep)
    .filter((s) => s !== '');
  let current = [root];
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    const next: string[] = [];
    for (const dir of current) {
      if (!GLOB_META.test(part)) {
        next.push(path.join(dir, part));
        continue;
      }
      const re = globPartRegExp(part);
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      for (const n of names.sort()) if (re.test(n)) next.push(path.join(dir, n));
    }
    current = next;
    if (last) break;
  }
  const files: string[] = [];
  for (const f of current) {
    try {
      if ((await stat(f)).isFile()) files.push(f);
    } catch {
      // A literal tail under a wildcard folder that does not exist: not a match.
    }
  }
  return files;
}

/** One path element of a glob as a RegExp (Go's path.Match syntax, `\` escapes). */
export function globPartRegExp(part: string): RegExp {
  let re = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i] ?? '';
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < part.length) re += escapeRe(part[++i] ?? '');
    else if (c === '[') {
      const end = part.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = part.slice(i + 1, end);
      if (body.startsWith('^')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/[\]\\]/g, (m) => `\\${m}`)}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`, 's');
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Expands and parses the rule files of `patterns`. Never throws: unreadable files and invalid
 * rules come back as diagnostics naming the file (and line), all of them at once.
 */
export async function loadRuleFiles(patterns: readonly string[], baseDir: string): Promise<LoadedRuleFiles> {
  const files = await expandRuleFiles(patterns, baseDir);
  const groups: RuleGroupConfig[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      diagnostics.push({ file, path: '', message: `cannot read rule file: ${errorMessage(e)}` });
      continue;
    }
    const r = parseRuleFile(text, file);
    diagnostics.push(...r.diagnostics);
    if (r.groups) groups.push(...r.groups);
  }
  return { groups: diagnostics.length > 0 ? undefined : groups, files, diagnostics };
}

/** What {@link ConfigWatcher} watches, recomputed after every reload. */
export interface WatchSet {
  /** Files whose content counts (kanshi.yml and the matched rule files), absolute. */
  readonly files: readonly string[];
  /** Rule file patterns (absolute): a new file matching one is a change too. */
  readonly patterns: readonly string[];
}

/** Options of {@link ConfigWatcher}. */
export interface ConfigWatcherOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** What to watch now (called at start and after every change). */
  readonly watchSet: () => WatchSet;
  /** Called when the fingerprint of the watched files changed; errors are logged. */
  readonly onChange: () => Promise<void>;
  /** Quiet time after the last fs event before checking, ms; default 500. */
  readonly debounceMs?: number;
  /** Interval of the fingerprint poll, ms; default 30 s (0 turns polling off). */
  readonly pollIntervalMs?: number;
}

/**
 * Watches kanshi.yml and the rule files and calls `onChange` when their contents change (a file
 * added to a glob's folder, edited, replaced by rename, or removed). Events are debounced; a
 * fingerprint of the contents is compared so a `touch` or an editor's temporary file does not
 * reload. Owns its fs watchers and timers: {@link run} ends them when its signal aborts.
 */
export class ConfigWatcher {
  readonly #opts: ConfigWatcherOptions;
  #watchers = new Map<string, FSWatcher>();
  #fingerprint = '';
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> = Promise.resolve();
  #started = false;

  constructor(opts: ConfigWatcherOptions) {
    this.#opts = opts;
  }

  /**
   * Takes the current contents as the baseline and starts the fs watchers; {@link run} calls it
   * when nobody did. Await it before changes made after this point must be noticed.
   */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#fingerprint = await fingerprint(this.#opts.watchSet());
    this.#rewatch();
  }

  /** Watches until `signal` aborts. The contents at {@link start} are the baseline (no change at start). */
  async run(signal: AbortSignal): Promise<void> {
    await this.start();
    const poll = this.#opts.pollIntervalMs ?? 30_000;
    try {
      while (!signal.aborted) {
        try {
          await this.#opts.clock.sleep(poll > 0 ? poll : 86_400_000, signal);
        } catch {
          break;
        }
        if (poll > 0) this.#schedule(0);
      }
    } finally {
      clearTimeout(this.#timer);
      for (const w of this.#watchers.values()) w.close();
      this.#watchers.clear();
      await this.#checking;
    }
  }

  /** A fingerprint of the watched contents now; take it before reading the files for a reload. */
  snapshot(): Promise<string> {
    return fingerprint(this.#opts.watchSet());
  }

  /**
   * Adopts `fp` (a {@link snapshot} taken before the files applied were read) as the baseline, and
   * watches the folders of the current watch set. A change written while the reload ran differs
   * from `fp`, so the next check still notices it.
   */
  rebase(fp: string): void {
    this.#fingerprint = fp;
    this.#rewatch();
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#checking = this.#checking.then(() => this.#check());
    }, delayMs);
  }

  async #check(): Promise<void> {
    try {
      const fp = await fingerprint(this.#opts.watchSet());
      if (fp === this.#fingerprint) return;
      // A failed reload is not retried until the files change again.
      this.#fingerprint = fp;
      await this.#opts.onChange();
      this.#rewatch();
    } catch (e) {
      this.#opts.logger.warn({ err: errorMessage(e) }, 'config watch check failed');
    }
  }

  /** Watches the folders of the files and patterns (editors replace files by rename). */
  #rewatch(): void {
    const set = this.#opts.watchSet();
    const dirs = new Set<string>();
    for (const f of set.files) dirs.add(path.dirname(f));
    for (const p of set.patterns) dirs.add(staticPrefix(p));
    for (const [d, w] of this.#watchers) {
      if (dirs.has(d)) continue;
      w.close();
      this.#watchers.delete(d);
    }
    for (const d of dirs) {
      if (this.#watchers.has(d)) continue;
      try {
        const w = watch(d, { persistent: false }, () => this.#schedule(this.#opts.debounceMs ?? 500));
        w.on('error', () => {
          w.close();
          this.#watchers.delete(d);
        });
        this.#watchers.set(d, w);
      } catch (e) {
        // Missing folder or no inotify watches left: the poll still notices changes.
        this.#opts.logger.debug({ dir: d, err: errorMessage(e) }, 'cannot watch folder; polling');
      }
    }
  }
}

/** The folder a glob pattern's matches are under: the elements before the first with a meta character. */
function staticPrefix(pattern: string): string {
  if (!GLOB_META.test(pattern)) return path.dirname(pattern);
  const parts = pattern.split(path.sep);
  const i = parts.findIndex((p) => GLOB_META.test(p));
  return parts.slice(0, i).join(path.sep) || path.sep;
}

/** A hash of the watched files' contents and of the files the patterns match now. */
async function fingerprint(set: WatchSet): Promise<string> {
  const h = createHash('sha256');
  const matched = await expandRuleFiles(set.patterns, '/');
  for (const f of new Set([...set.files, ...matched])) {
    h.update(f).update('\u0000');
    try {
      h.update(await readFile(f));
    } catch {
      h.update('\u0001missing');
    }
    h.update('\u0000');
  }
  return h.digest('hex');
}
