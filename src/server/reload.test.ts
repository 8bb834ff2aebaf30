import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../base/clock.js';
import { nullLogger } from '../base/logger.js';
import { ConfigWatcher, expandRuleFiles, globPartRegExp, loadRuleFiles } from './reload.js';

describe('globPartRegExp', () => {
  const cases: [pattern: string, name: string, matches: boolean][] = [
    ['*.yml', 'a.yml', true],
    ['*.yml', '.hidden.yml', true], // Go's filepath.Glob matches dotfiles
    ['*.yml', 'a.yaml', false],
    ['rule?.yml', 'rule1.yml', true],
    ['rule?.yml', 'rule10.yml', false],
    ['[ab].yml', 'b.yml', true],
    ['[ab].yml', 'c.yml', false],
    ['[^ab].yml', 'c.yml', true],
    ['[a-c].yml', 'b.yml', true],
    ['a.b', 'axb', false],
    ['\\*.yml', '*.yml', true],
    ['\\*.yml', 'a.yml', false],
  ];
  it.each(cases)('%s against %s → %s', (pattern, name, matches) => {
    expect(globPartRegExp(pattern).test(name)).toBe(matches);
  });
});

describe('rule file loading', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kanshi-reload-'));
    await mkdir(path.join(dir, 'rules', 'team-a'), { recursive: true });
    await mkdir(path.join(dir, 'rules', 'team-b'), { recursive: true });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const group = (name: string, expr = 'vector(1)'): string =>
    `groups:\n  - name: ${name}\n    rules:\n      - record: r:${name.replace(/-/g, '_')}\n        expr: ${expr}\n`;

  it('expands globs in any path element, sorted, without duplicates, relative to the base folder', async () => {
    await writeFile(path.join(dir, 'rules', 'team-b', 'b.yml'), group('b'));
    await writeFile(path.join(dir, 'rules', 'team-a', 'a.yml'), group('a'));
    await writeFile(path.join(dir, 'rules', 'team-a', 'notes.txt'), 'x');
    const files = await expandRuleFiles(['rules/*/*.yml', 'rules/team-a/a.yml'], dir);
    expect(files).toEqual([
      path.join(dir, 'rules', 'team-a', 'a.yml'),
      path.join(dir, 'rules', 'team-b', 'b.yml'),
    ]);
    expect(await expandRuleFiles(['nothing/*.yml'], dir)).toEqual([]);
  });

  it('loads the groups of every file and reports every problem with its file', async () => {
    await writeFile(path.join(dir, 'rules', 'team-a', 'a.yml'), group('a'));
    const ok = await loadRuleFiles(['rules/team-a/*.yml'], dir);
    expect(ok.diagnostics).toEqual([]);
    expect(ok.groups?.map((g) => [g.name, g.file])).toEqual([
      ['a', path.join(dir, 'rules', 'team-a', 'a.yml')],
    ]);

    await writeFile(path.join(dir, 'rules', 'team-b', 'bad.yml'), group('bad', '"sum("'));
    const bad = await loadRuleFiles(['rules/*/*.yml', 'missing.yml'], dir);
    expect(bad.groups).toBeUndefined();
    expect(bad.diagnostics.map((d) => [path.basename(d.file), d.message])).toEqual([
      ['bad.yml', expect.stringMatching(/^could not parse expression/)],
      ['missing.yml', expect.stringMatching(/^cannot read rule file: .*ENOENT/)],
    ]);
  });
});

describe('ConfigWatcher', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kanshi-watch-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Waits (real time) until `cond` holds, at most 5 s. */
  const until = async (cond: () => boolean): Promise<void> => {
    for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  };

  it('calls onChange when a watched file or a new glob match changes content, not on a touch', async () => {
    const config = path.join(dir, 'kanshi.yml');
    await writeFile(config, 'rule_files: ["rules/*.yml"]\n');
    await mkdir(path.join(dir, 'rules'));
    let changes = 0;
    const ac = new AbortController();
    const watcher = new ConfigWatcher({
      clock: systemClock,
      logger: nullLogger,
      watchSet: () => ({ files: [config], patterns: [path.join(dir, 'rules', '*.yml')] }),
      onChange: () => {
        changes++;
        return Promise.resolve();
      },
      debounceMs: 20,
      pollIntervalMs: 0,
    });
    const running = watcher.run(ac.signal);
    try {
      await new Promise((r) => setTimeout(r, 50));
      await writeFile(config, 'rule_files: ["rules/*.yml"]\n# edited\n');
      await until(() => changes === 1);
      expect(changes).toBe(1);

      const now = new Date();
      await utimes(config, now, now); // same content: no reload
      await new Promise((r) => setTimeout(r, 150));
      expect(changes).toBe(1);

      await writeFile(path.join(dir, 'rules', 'new.yml'), 'groups: []\n');
      await until(() => changes === 2);
      expect(changes).toBe(2);
    } finally {
      ac.abort();
      await running;
    }
  });

  it('notices changes by polling when no fs event arrives', async () => {
    const file = path.join(dir, 'rules.yml');
    await writeFile(file, 'groups: []\n');
    let changes = 0;
    const ac = new AbortController();
    const watcher = new ConfigWatcher({
      clock: systemClock,
      logger: nullLogger,
      // A folder that cannot be watched (it does not exist) leaves only the poll.
      watchSet: () => ({ files: [file], patterns: [path.join(dir, 'absent', '*.yml')] }),
      onChange: () => {
        changes++;
        return Promise.resolve();
      },
      debounceMs: 10_000, // fs events would fire far too late for this test
      pollIntervalMs: 30,
    });
    const running = watcher.run(ac.signal);
    try {
      await new Promise((r) => setTimeout(r, 50));
      await writeFile(file, 'groups: [] # changed\n');
      await until(() => changes === 1);
      expect(changes).toBe(1);
    } finally {
      ac.abort();
      await running;
    }
  });
});
