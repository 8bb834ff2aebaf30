import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runRuleUnitTests } from './unit-test.js';

const dir = new URL('../../test/integration/testdata/rules/', import.meta.url);
const read = (p: string): Promise<string> => readFile(new URL(p, dir), 'utf8');

// Verdicts are those of Debian's promtool 2.42 on the same files (see test/integration/rules-promtool.test.ts).
describe('runRuleUnitTests', () => {
  it.each([
    ['pass.test.yml', true],
    ['keep-firing.test.yml', true],
    ['fail-alert.test.yml', false],
    ['fail-annotation.test.yml', false],
    ['fail-promql.test.yml', false],
  ])('%s passes: %s', async (file, ok) => {
    const r = await runRuleUnitTests(await read(file), file, read);
    expect(r.errors.length === 0).toBe(ok);
  });

  it('prints a failing alert test as promtool does', async () => {
    const r = await runRuleUnitTests(await read('fail-alert.test.yml'), 'fail-alert.test.yml', read);
    expect(r.errors[0]).toContain('alertname: InstanceDown, time: 1m, \n        exp:[\n            0:\n');
    expect(r.errors[0]).toContain('got:[]');
  });

  it('prints a failing PromQL test with promtool value format', async () => {
    const r = await runRuleUnitTests(await read('fail-promql.test.yml'), 'fail-promql.test.yml', read);
    expect(r.errors).toEqual([
      '    expr: "job:up:sum", time: 2m,\n        exp: {__name__="job:up:sum", job="node"} 2E+00\n        got: {__name__="job:up:sum", job="node"} 3E+00',
    ]);
  });

  it('reports rule file problems', async () => {
    const r = await runRuleUnitTests('rule_files: [bad-expr.rules.yml]\ntests: []\n', 't.yml', read);
    expect(r.errors.join('\n')).toContain('invalid recording rule name');
  });
});
