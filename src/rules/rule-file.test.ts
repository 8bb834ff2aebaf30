import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../config/load-yaml.js';
import { countRules, parseRuleFile } from './rule-file.js';

const testdata = new URL('./testdata/', import.meta.url);

describe('parseRuleFile', () => {
  it('loads groups and rules with durations in ms', () => {
    const r = parseRuleFile(readFileSync(new URL('good.rules.yml', testdata), 'utf8'), 'good.rules.yml');
    expect(r.diagnostics).toEqual([]);
    expect(countRules(r.groups ?? [])).toBe(2);
    const g = r.groups?.[0];
    expect(g?.intervalMs).toBe(30_000);
    expect(g?.rules[1]).toMatchObject({
      alert: 'InstanceDown',
      forMs: 300_000,
      labels: { severity: 'page' },
    });
  });

  it('reports every problem at once with its line, as promtool does', () => {
    const r = parseRuleFile(readFileSync(new URL('bad.rules.yml', testdata), 'utf8'), 'bad.rules.yml');
    expect(r.groups).toBeUndefined();
    const lines = r.diagnostics.map(formatDiagnostic);
    expect(lines).toEqual([
      expect.stringMatching(
        /^bad.rules.yml:5:\d+: groups\[0\]\.rules\[0\]\.expr: could not parse expression: 1:17: parse error/,
      ),
      expect.stringMatching(
        /^bad.rules.yml:9:\d+: .*annotation "summary": template: __alert_InstanceDown:1: unclosed action/,
      ),
      expect.stringMatching(/^bad.rules.yml:10:\d+: .*invalid recording rule name: bad name/),
      expect.stringMatching(/^bad.rules.yml:12:\d+: .*invalid field 'for' in recording rule/),
      expect.stringMatching(/^bad.rules.yml:13:\d+: .*groupname: "g" is repeated in the same file/),
    ]);
  });

  it.each([
    ['groups: [{name: a, rules: [{expr: up}]}]', "one of 'record' or 'alert' must be set"],
    ['groups: [{name: a, rules: [{record: a, alert: b, expr: up}]}]', "only one of 'record' and 'alert'"],
    ['groups: [{name: a, rules: [{alert: b}]}]', "field 'expr' must be set"],
    ['groups: [{name: a, rules: [{alert: b, expr: up, labels: {"0x": y}}]}]', 'invalid label name: 0x'],
    ['groups: [{name: a, rules: [{alert: b, expr: up, for: 5x}]}]', 'not a valid duration string'],
    [
      'groups: [{name: a, rules: [{record: r, expr: up, annotations: {a: b}}]}]',
      "invalid field 'annotations'",
    ],
    [
      'groups: [{name: a, rules: [{alert: b, expr: up, labels: {s: "{{ nope }}"}}]}]',
      'function "nope" not defined',
    ],
    ['groups: [{rules: []}]', 'Groupname must not be empty'],
    ['groups: [{name: a, bogus: 1}]', 'unknown key "bogus"'],
  ])('rejects %s', (text, msg) => {
    const r = parseRuleFile(text, 'x.yml');
    expect(r.diagnostics.map((d) => d.message).join('\n')).toContain(msg);
  });
});
