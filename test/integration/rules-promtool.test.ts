import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runRulesCommand } from '../../src/cmd/rules.js';

/**
 * Differential test of `kanshi rules check|test` against Debian's `promtool check rules` and
 * `promtool test rules` (package prometheus): on every rule file and test file in
 * testdata/rules — some passing, some failing on purpose (for, templates, recording rules,
 * keep_firing_for) — both give the same exit code.
 */

const PROMTOOL = '/usr/bin/promtool';
const DIR = fileURLToPath(new URL('./testdata/rules/', import.meta.url));
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.yml'))
  .sort();

function promtool(args: string[]): number {
  const r = spawnSync(PROMTOOL, args, { cwd: DIR, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return r.status ?? -1;
}

describe.skipIf(!existsSync(PROMTOOL))('kanshi rules vs promtool', () => {
  beforeEach(() => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('has both passing and failing cases', () => {
    expect(files.filter((f) => f.endsWith('.rules.yml')).length).toBeGreaterThanOrEqual(3);
    expect(files.filter((f) => f.endsWith('.test.yml')).length).toBeGreaterThanOrEqual(4);
  });

  it.each(files)('%s: same verdict', async (file) => {
    const sub = file.endsWith('.test.yml') ? 'test' : 'check';
    const theirs = promtool([sub, 'rules', file]);
    const ours = await runRulesCommand([sub, path.join(DIR, file)]);
    expect({ file, ours }).toEqual({ file, ours: theirs });
  });
});
