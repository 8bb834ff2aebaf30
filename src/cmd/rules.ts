import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { formatDiagnostic, parseYamlConfig } from '../config/load-yaml.js';
import { notificationsConfig } from '../notify/config.js';
import { checkReceiverTemplates } from '../notify/receivers/build-integrations.js';
import { TemplateSet } from '../notify/receivers/template-set.js';
import { checkThresholdFile } from '../rules/monitors/threshold.js';
import { countRules, parseRuleFile } from '../rules/rule-file.js';
import { runRuleUnitTests } from '../rules/unit-test.js';
import { expandRuleFiles } from '../server/reload.js';
import { UsageError } from './args.js';

/**
 * `kanshi rules check FILE…` (as `promtool check rules`) and `kanshi rules test FILE…` (as
 * `promtool test rules`): the same output shape and exit codes (0 all good, 1 any file failed).
 * `check` also takes kanshi.yml (`--config FILE`, or a file with `monitors:`/`notifications:` and
 * no `groups:`): its threshold monitors and its receivers' templates are checked.
 */
export async function runRulesCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '-h' || sub === '--help') {
    console.log('Usage: kanshi rules check [--config kanshi.yml] FILE…  |  kanshi rules test FILE…');
    return sub === undefined ? 2 : 0;
  }
  const files: string[] = [];
  const configs: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (sub === 'check' && (a === '--config' || a.startsWith('--config='))) {
      const v = a === '--config' ? rest[++i] : a.slice('--config='.length);
      if (v === undefined || v === '') throw new UsageError('--config needs a file: --config kanshi.yml');
      configs.push(v);
    } else files.push(a);
  }
  if (files.length === 0 && configs.length === 0)
    throw new UsageError(`name at least one file: kanshi rules ${sub} FILE…`);
  switch (sub) {
    case 'check':
      return checkRules(files, configs);
    case 'test':
      return testRules(files);
    default:
      throw new UsageError(`unknown rules subcommand "${sub}", want check or test`);
  }
}

async function checkRules(files: string[], configs: string[]): Promise<number> {
  let failed = false;
  const all = [...configs.map((f) => ({ f, isConfig: true })), ...files.map((f) => ({ f, isConfig: false }))];
  for (const { f, isConfig } of all) {
    console.log(`Checking ${f}`);
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (e) {
      console.error(`  FAILED:\n${f}: ${e instanceof Error ? e.message : String(e)}\n`);
      failed = true;
      continue;
    }
    if (isConfig || looksLikeKanshiConfig(text)) {
      const problems = await checkKanshiConfig(text, f);
      if (problems.length > 0) {
        console.error(`  FAILED:\n${problems.join('\n')}\n`);
        failed = true;
      } else console.log('  SUCCESS: threshold monitors and notification templates are valid\n');
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

/** A kanshi.yml rather than a rule file: a map with `monitors:` or `notifications:` and no `groups:`. */
function looksLikeKanshiConfig(text: string): boolean {
  try {
    const js: unknown = parseDocument(text).toJS();
    if (js === null || typeof js !== 'object' || Array.isArray(js)) return false;
    return !('groups' in js) && ('monitors' in js || 'notifications' in js);
  } catch {
    return false;
  }
}

/**
 * Checks kanshi.yml's `monitors.thresholds` (compiled to rules and checked as a rule file) and its
 * `notifications:` section (schema, template files, every receiver template); returns every problem
 * as `FILE:LINE:COLUMN: PATH: MESSAGE`.
 */
export async function checkKanshiConfig(text: string, file: string): Promise<string[]> {
  const problems: string[] = [];
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const r = parseYamlConfig(text, file, z.unknown());
    return r.diagnostics.map(formatDiagnostic);
  }
  // Threshold monitors: blank everything but `monitors.thresholds` so lines and columns stay put.
  const monitors = doc.get('monitors', true);
  if (isMap(monitors)) {
    const pair = monitors.items.find((p) => (p.key as { value?: unknown } | null)?.value === 'thresholds');
    const keyRange = (pair?.key as { range?: [number, number, number] } | null)?.range;
    const valueRange = (pair?.value as { range?: [number, number, number] } | null)?.range;
    if (keyRange && valueRange) {
      const kept = text.replace(/[^\n]/g, (c, i: number) =>
        i >= keyRange[0] && i < valueRange[1] ? c : ' ',
      );
      const r = checkThresholdFile(kept, file);
      for (const d of r.diagnostics)
        problems.push(
          formatDiagnostic(d.path.startsWith('thresholds') ? { ...d, path: `monitors.${d.path}` } : d),
        );
    }
  }
  // Notifications: the schema, then the templates of every receiver with the template files.
  const n = parseYamlConfig(text, file, z.looseObject({ notifications: notificationsConfig.optional() }));
  problems.push(...n.diagnostics.map(formatDiagnostic));
  const notifications = n.config?.notifications;
  if (notifications === undefined) return problems;
  let templates = TemplateSet.defaults;
  try {
    const paths = await expandRuleFiles(notifications.templates, path.dirname(path.resolve(file)));
    const texts = await Promise.all(paths.map(async (p) => ({ name: p, text: await readFile(p, 'utf8') })));
    templates = TemplateSet.parse(texts);
  } catch (e) {
    problems.push(`${file}: notifications.templates: ${e instanceof Error ? e.message : String(e)}`);
  }
  notifications.receivers.forEach((receiver, i) => {
    for (const p of checkReceiverTemplates(receiver, templates)) {
      // "receiver NAME: FIELD.PATH: message" → the line of that field (or of the receiver).
      const m = /^receiver .*?: ((?:[\w.]|\[\d+\])+): ([\s\S]*)$/.exec(p);
      const field = m?.[1] ?? '';
      const where = locate(doc, text, ['notifications', 'receivers', i, ...splitPath(field)], file);
      problems.push(`${where}: notifications.receivers[${i}].${field}: ${m?.[2] ?? p}`);
    }
  });
  return problems;
}

/** `a[0].b.c` → ['a', 0, 'b', 'c']. */
function splitPath(p: string): (string | number)[] {
  return p
    .split(/\.|(?=\[)/)
    .filter((s) => s !== '')
    .map((s) => (/^\[\d+\]$/.test(s) ? Number(s.slice(1, -1)) : s));
}

/** `FILE:LINE:COL` of the deepest node of `keys` found in the document. */
function locate(doc: Document, text: string, keys: (string | number)[], file: string): string {
  for (let n = keys.length; n > 0; n--) {
    const node = doc.getIn(keys.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) {
      const before = text.slice(0, node.range[0]);
      const line = before.split('\n').length;
      const column = node.range[0] - before.lastIndexOf('\n');
      return `${file}:${line}:${column}`;
    }
  }
  return file;
}
