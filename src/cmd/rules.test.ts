import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkKanshiConfig, runRulesCommand } from './rules.js';

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

  const cfg = fileURLToPath(new URL('./testdata/config-check/', import.meta.url));

  it('checks a kanshi.yml given as a file: threshold monitors and receiver templates', async () => {
    expect(await runRulesCommand(['check', `${cfg}good.kanshi.yml`, `${dir}alerts.rules.yml`])).toBe(0);
    expect(out).toContain('  SUCCESS: threshold monitors and notification templates are valid\n');
    expect(out).toContain('  SUCCESS: 4 rules found\n');
  });

  it('prints every problem of a kanshi.yml given with --config, with file:line:column', async () => {
    expect(await runRulesCommand(['check', '--config', `${cfg}bad.kanshi.yml`])).toBe(1);
    const lines = out.at(-1)!.split('\n');
    const f = `${cfg}bad.kanshi.yml`;
    expect(lines).toStrictEqual([
      '  FAILED:',
      expect.stringMatching(
        new RegExp(`^${f}:5:15: monitors\\.thresholds\\[0\\]\\.metric: not a metric selector`),
      ),
      expect.stringMatching(new RegExp(`^${f}:10:17: monitors\\.thresholds\\[1\\]\\.operator: `)),
      `${f}:19:18: notifications.receivers[0].slack_configs[0].title: template: slack_configs[0].title: no such template "nope"`,
      `${f}:20:17: notifications.receivers[0].slack_configs[0].text: template: org.when: function "date" not defined`,
      expect.stringMatching(
        new RegExp(
          `^${f}:26:22: notifications\\.receivers\\[0\\]\\.email_configs\\[0\\]\\.headers\\.Subject: .*unclosed action`,
        ),
      ),
      '',
    ]);
  });

  it('reports a template file that does not parse', async () => {
    const r = await checkKanshiConfig(
      'notifications:\n  templates: [broken.tmpl]\n  route: {receiver: a}\n  receivers: [{name: a}]\n',
      `${cfg}inline.yml`,
    );
    expect(r).toStrictEqual([expect.stringMatching(/inline\.yml: notifications\.templates: .*broken\.tmpl/)]);
  });

  it('wants a file after --config', async () => {
    await expect(runRulesCommand(['check', '--config'])).rejects.toThrow('--config needs a file');
  });

  it('rejects an unknown subcommand', async () => {
    await expect(runRulesCommand(['lint', 'x.yml'])).rejects.toThrow('unknown rules subcommand "lint"');
  });
});
