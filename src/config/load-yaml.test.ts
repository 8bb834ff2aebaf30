import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatDiagnostic, parseYamlConfig } from './load-yaml.js';
import { durationMs } from './schema-types.js';

const schema = z.strictObject({
  agent: z
    .strictObject({
      checks: z.array(z.strictObject({ name: z.string(), interval: durationMs.default(60_000) })).default([]),
    })
    .default({ checks: [] }),
});

describe('parseYamlConfig', () => {
  it('returns a frozen config with defaults and durations in ms', () => {
    const r = parseYamlConfig(
      'agent:\n  checks:\n    - name: a\n      interval: 30s\n    - name: b\n',
      'k.yml',
      schema,
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.config).toEqual({
      agent: {
        checks: [
          { name: 'a', interval: 30_000 },
          { name: 'b', interval: 60_000 },
        ],
      },
    });
    expect(Object.isFrozen(r.config?.agent.checks[0])).toBe(true);
  });

  it('reports every problem at once with file, line, column and key path', () => {
    const text = [
      'agent:', //                     1
      '  checks:', //                  2
      '    - name: a', //              3
      '      interval: 1x', //         4
      '      colour: red', //          5
      '    - interval: 0s', //         6
      'extra: 1', //                   7
    ].join('\n');
    const r = parseYamlConfig(text, 'kanshi.yml', schema);
    expect(r.config).toBeUndefined();
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      'kanshi.yml:4:17: agent.checks[0].interval: not a valid duration string: "1x"',
      'kanshi.yml:5:7: agent.checks[0].colour: unknown key "colour"',
      'kanshi.yml:6:7: agent.checks[1].name: Invalid input: expected string, received undefined',
      'kanshi.yml:7:1: extra: unknown key "extra"',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const r = parseYamlConfig('agent:\n  checks: [\n', 'bad.yml', schema);
    expect(r.config).toBeUndefined();
    expect(r.diagnostics[0]).toMatchObject({ file: 'bad.yml', path: '' });
    expect(r.diagnostics[0]?.line).toBeGreaterThanOrEqual(2);
    expect(r.diagnostics[0]?.message).toMatch(/^yaml: /);
  });

  it('rejects duplicate keys', () => {
    const r = parseYamlConfig('agent: {}\nagent: {}\n', 'dup.yml', schema);
    expect(r.diagnostics[0]?.message).toMatch(/unique/i);
  });
});
