import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkThresholdFile, formatRuleFile } from '../../src/rules/monitors/threshold.js';
import { runRuleUnitTests } from '../../src/rules/unit-test.js';

/**
 * Threshold monitors compile to rule files Debian's promtool (2.42) accepts, and the compiled rules
 * give promtool the same unit-test verdicts as Kanshi's runner: passing on the thresholds in
 * src/rules/monitors/testdata, failing when a threshold is moved.
 */

const PROMTOOL = '/usr/bin/promtool';
const TESTDATA = fileURLToPath(new URL('../../src/rules/monitors/testdata/', import.meta.url));

function promtool(args: string[], cwd: string): { code: number; output: string } {
  const r = spawnSync(PROMTOOL, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

describe.skipIf(!existsSync(PROMTOOL))('threshold monitors vs promtool', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kanshi-thresholds-'));
    await copyFile(path.join(TESTDATA, 'thresholds.test.yml'), path.join(dir, 'thresholds.test.yml'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function compile(edit: (text: string) => string = (t) => t): Promise<void> {
    const text = edit(await readFile(path.join(TESTDATA, 'thresholds.yml'), 'utf8'));
    const checked = checkThresholdFile(text, 'thresholds.yml');
    expect(checked.diagnostics).toEqual([]);
    await writeFile(path.join(dir, 'thresholds.rules.yml'), formatRuleFile(checked.compiled!.groups));
  }

  async function kanshiVerdict(): Promise<boolean> {
    const read = (p: string): Promise<string> => readFile(path.join(dir, p), 'utf8');
    const r = await runRuleUnitTests(await read('thresholds.test.yml'), 'thresholds.test.yml', read);
    return r.errors.length === 0;
  }

  it('promtool check rules accepts the compiled rules', async () => {
    await compile();
    const r = promtool(['check', 'rules', 'thresholds.rules.yml'], dir);
    expect(r.output).toContain('SUCCESS: 4 rules found');
    expect(r.code).toBe(0);
  });

  it('promtool test rules passes the unit tests, as Kanshi does', async () => {
    await compile();
    const r = promtool(['test', 'rules', 'thresholds.test.yml'], dir);
    expect({ code: r.code, output: r.output }).toMatchObject({ code: 0 });
    expect(await kanshiVerdict()).toBe(true);
  });

  it.each([
    ['a warning threshold moved', (t: string) => t.replace('warning: 20', 'warning: 14')],
    ['a longer for', (t: string) => t.replace('for: 2m', 'for: 3m')],
    [
      'another window',
      (t: string) => t.replace("window: 5m\n    operator: '>'", "window: 10m\n    operator: '>'"),
    ],
  ])('promtool and Kanshi both fail the unit tests with %s', async (_what, edit) => {
    const original = await readFile(path.join(TESTDATA, 'thresholds.yml'), 'utf8');
    expect(edit(original)).not.toBe(original);
    await compile(edit);
    const r = promtool(['test', 'rules', 'thresholds.test.yml'], dir);
    expect(r.code).toBe(1);
    expect(await kanshiVerdict()).toBe(false);
  });
});
