import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runRulesCommand } from './rules.js';

const dir = fileURLToPath(new URL('../../test/integration/testdata/rules/', import.meta.url));

describe('runRulesCommand', () => {
  let out: string[];
  beforeEach(() => {
    out = [];
    vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
    vi.spyOn(console, 'error').mockImplementation((s: string) => void out.push(s));
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('checks rule files as promtool check rules', async () => {
    expect(await runRulesCommand(['check', `${dir}alerts.rules.yml`])).toBe(0);
    expect(out).toContain('  SUCCESS: 4 rules found\n');
    expect(await runRulesCommand(['check', `${dir}alerts.rules.yml`, `${dir}bad-template.rules.yml`])).toBe(
      1,
    );
    expect(out.at(-1)).toMatch(/^ {2}FAILED:\n.*bad-template.rules.yml:7:\d+: .*unclosed action/);
  });

  it('runs unit tests as promtool test rules', async () => {
    expect(await runRulesCommand(['test', `${dir}pass.test.yml`])).toBe(0);
    expect(out).toContain('  SUCCESS\n');
    expect(await runRulesCommand(['test', `${dir}pass.test.yml`, `${dir}fail-for.test.yml`])).toBe(1);
    expect(out.at(-1)).toContain('alertname: InstanceDown, time: 3m');
  });

  it('rejects an unknown subcommand', async () => {
    await expect(runRulesCommand(['lint', 'x.yml'])).rejects.toThrow('unknown rules subcommand "lint"');
  });
});
