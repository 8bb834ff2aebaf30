import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { formatDiagnostic } from '../config/load-yaml.js';
import { countRules, parseRuleFile } from '../rules/rule-file.js';
import { runRuleUnitTests } from '../rules/unit-test.js';
import { UsageError } from './args.js';

/**
 * `kanshi rules check FILE…` (as `promtool check rules`) and `kanshi rules test FILE…` (as
 * `promtool test rules`): the same output shape and exit codes (0 all good, 1 any file failed).
 */
export async function runRulesCommand(args: string[]): Promise<number> {
  const [sub, ...files] = args;
  if (sub === undefined || sub === '-h' || sub === '--help') {
    console.log('Usage: kanshi rules check FILE…  |  kanshi rules test FILE…');
    return sub === undefined ? 2 : 0;
  }
  if (files.length === 0) throw new UsageError(`name at least one file: kanshi rules ${sub} FILE…`);
  switch (sub) {
    case 'check':
      return checkRules(files);
    case 'test':
      return testRules(files);
    default:
      throw new UsageError(`unknown rules subcommand "${sub}", want check or test`);
  }
}

async function checkRules(files: string[]): Promise<number> {
  let failed = false;
  for (const f of files) {
    console.log(`Checking ${f}`);
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (e) {
      console.error(`  FAILED:\n${f}: ${e instanceof Error ? e.message : String(e)}\n`);
      failed = true;
      continue;
    }
    const r = parseRuleFile(text, f);
    if (!r.groups) {
      console.error(`  FAILED:\n${r.diagnostics.map(formatDiagnostic).join('\n')}\n`);
      failed = true;
      continue;
    }
    console.log(`  SUCCESS: ${countRules(r.groups)} rules found\n`);
  }
  return failed ? 1 : 0;
}

async function testRules(files: string[]): Promise<number> {
  let failed = false;
  for (const f of files) {
    console.log(`Unit Testing:  ${f}`);
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (e) {
      console.error(`  FAILED:\n    ${e instanceof Error ? e.message : String(e)}\n`);
      failed = true;
      continue;
    }
    const dir = path.dirname(f);
    const result = await runRuleUnitTests(text, f, (p) => readFile(path.resolve(dir, p), 'utf8'));
    if (result.errors.length > 0) {
      console.error(`  FAILED:\n${result.errors.join('\n')}\n`);
      failed = true;
    } else console.log('  SUCCESS\n');
  }
  return failed ? 1 : 0;
}
