import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatExpr, parseExpr, type Expr } from '../../src/promql/index.js';
import { runScript, type CaseResult } from '../../src/promql/promqltest/runner.js';
import { parseScript } from '../../src/promql/promqltest/script.js';

/**
 * Runs Prometheus's own PromQL test scripts (../shared/testdata/promql, or $KANSHI_TESTDATA/promql)
 * and our own (src/promql/testdata/*.test). Files and cases listed in
 * src/promql/testdata/conformance-exclusions.json are skipped with their reason; any other
 * failure fails the test. Prints `N passed, N failed, N skipped`. Every passing instant case is
 * also run as a range query around its time and with `@` pinned at other times, and must agree
 * (upstream's strict checks); KANSHI_PROMQL_STRICT=0 turns them off.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const testdata = path.resolve(repoRoot, process.env['KANSHI_TESTDATA'] ?? '../shared/testdata');
const upstreamDir = path.join(testdata, 'promql');
const ownDir = path.join(repoRoot, 'src/promql/testdata');

interface Exclusions {
  files: Record<string, string>;
  cases: Record<string, string>;
}

const exclusions = JSON.parse(
  readFileSync(path.join(ownDir, 'conformance-exclusions.json'), 'utf8'),
) as Exclusions;

function scripts(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.test'))
      .sort()
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

describe('PromQL conformance', () => {
  it('passes every non-excluded case of the upstream and own test scripts', async () => {
    let passed = 0;
    let skipped = 0;
    const failures: string[] = [];
    const unexpectedPasses: string[] = [];
    const textDiffs: string[] = [];
    for (const file of [...scripts(upstreamDir), ...scripts(ownDir)]) {
      const name = path.basename(file);
      const text = readFileSync(file, 'utf8');
      if (exclusions.files[name] !== undefined) {
        skipped += (text.match(/^\s*eval/gm) ?? []).length;
        continue;
      }
      let results: CaseResult[];
      try {
        results = await runScript(text, undefined, process.env['KANSHI_PROMQL_STRICT'] !== '0');
      } catch (err) {
        failures.push(`${name}: script error: ${String(err)}`);
        continue;
      }
      for (const r of results) {
        const id = `${name}:${r.line}`;
        if (r.status === 'skip') skipped++;
        else if (exclusions.cases[id] !== undefined) {
          skipped++;
          if (r.status === 'pass') unexpectedPasses.push(id);
        } else if (r.status === 'pass') {
          passed++;
          if (r.message !== '') textDiffs.push(`${id} ${r.message}`);
        } else failures.push(`${id} ${r.expr} → ${r.message}`);
      }
    }
    const summary = `${passed} passed, ${failures.length} failed, ${skipped} skipped`;
    process.stdout.write(`PromQL conformance: ${summary}\n`);
    if (textDiffs.length > 0)
      process.stdout.write(`failed as expected, with other error text:\n${textDiffs.join('\n')}\n`);
    if (unexpectedPasses.length > 0)
      process.stdout.write(`excluded cases that now pass: ${unexpectedPasses.join(' ')}\n`);
    if (failures.length > 0) process.stdout.write(`${failures.join('\n')}\n`);
    expect(failures, summary).toEqual([]);
  }, 300_000);

  it('prints every expression of the scripts so that it parses back to the same tree', () => {
    const strip = (e: Expr): unknown =>
      JSON.parse(
        JSON.stringify(e, (k, v: unknown) => (k === 'pos' ? undefined : v === Infinity ? 'Inf' : v)),
      );
    let checked = 0;
    const mismatches: string[] = [];
    for (const file of [...scripts(upstreamDir), ...scripts(ownDir)]) {
      if (exclusions.files[path.basename(file)] !== undefined) continue;
      for (const cmd of parseScript(readFileSync(file, 'utf8'))) {
        if (cmd.kind !== 'eval') continue;
        let tree: Expr;
        try {
          tree = parseExpr(cmd.expr);
        } catch {
          continue;
        }
        checked++;
        const printed = formatExpr(tree);
        let again: unknown;
        try {
          again = strip(parseExpr(printed));
        } catch (err) {
          mismatches.push(`${cmd.expr} → ${printed}: ${String(err)}`);
          continue;
        }
        if (JSON.stringify(again) !== JSON.stringify(strip(tree)))
          mismatches.push(`${cmd.expr} → ${printed}`);
      }
    }
    expect(checked).toBeGreaterThan(900);
    expect(mismatches).toEqual([]);
  });
});
