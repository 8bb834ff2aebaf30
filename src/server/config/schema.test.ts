import { describe, expect, it } from 'vitest';
import { parseYamlConfig } from '../../config/load-yaml.js';
import { kanshiConfig } from './schema.js';

describe('kanshiConfig: rules and reload keys', () => {
  const cases: [name: string, yaml: string, problem: RegExp | undefined][] = [
    [
      'rule_files and the rule globals',
      'global: { evaluation_interval: 15s, rule_query_offset: 30s }\nrule_files: ["rules/*.yml"]\n',
      undefined,
    ],
    ['an empty rule file path', 'rule_files: [""]\n', /rule_files\[0\]/],
    ['rule_files not a list', 'rule_files: rules.yml\n', /rule_files/],
    ['a bad rule_query_offset', 'global: { rule_query_offset: soon }\n', /global\.rule_query_offset/],
    ['an unknown global key', 'global: { evaluation_intervall: 15s }\n', /evaluation_intervall/],
    [
      'external_url and lifecycle',
      'server: { external_url: "https://mon.example/kanshi", enable_lifecycle: false, watch_config: false }\n',
      undefined,
    ],
    ['an external_url that is no URL', 'server: { external_url: "mon.example" }\n', /server\.external_url/],
  ];
  it.each(cases)('%s', (_name, yaml, problem) => {
    const r = parseYamlConfig(yaml, 'kanshi.yml', kanshiConfig);
    if (problem === undefined) expect(r.diagnostics).toEqual([]);
    else expect(r.diagnostics.map((d) => `${d.path}: ${d.message}`).join('\n')).toMatch(problem);
  });

  it('defaults: no rule files, 1m evaluation, no offset, lifecycle and watching on', () => {
    const c = kanshiConfig.parse({});
    expect(c.rule_files).toEqual([]);
    expect(c.global.evaluation_interval).toBe(60_000);
    expect(c.global.rule_query_offset).toBe(0);
    expect(c.server.enable_lifecycle).toBe(true);
    expect(c.server.watch_config).toBe(true);
    expect(c.server.external_url).toBeUndefined();
  });
});
