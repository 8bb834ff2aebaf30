import { z } from 'zod';
import { labelNameRe, metricNameRe } from '../model/labels.js';
import { parseYamlConfig, type Diagnostic } from '../config/load-yaml.js';
import { parseExpr, parsePromDuration } from '../promql/index.js';
import { parseRuleTemplate } from './template.js';

/**
 * Prometheus rule files (rules/rulefmt): `groups` of recording and alerting rules, validated as
 * Prometheus and promtool validate them, every problem at once with file, line and path.
 */

/** One rule as written, durations in ms. */
export interface RuleConfig {
  readonly record?: string;
  readonly alert?: string;
  readonly expr: string;
  /** `for`, ms (0 when absent). */
  readonly forMs: number;
  /** `keep_firing_for`, ms (0 when absent). */
  readonly keepFiringForMs: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** One rule group as written; optional durations are undefined when not set (the global applies). */
export interface RuleGroupConfig {
  readonly name: string;
  readonly file: string;
  readonly intervalMs?: number;
  readonly queryOffsetMs?: number;
  /** Most series (recording) or alerts (alerting) one rule may produce; 0 = no limit. */
  readonly limit: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly rules: readonly RuleConfig[];
}

/** What loading a rule file produced: the groups when there were no problems, and all problems. */
export interface RuleFileResult {
  readonly groups: readonly RuleGroupConfig[] | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));
const stringMap = z.record(z.string(), scalar);
const duration = scalar.superRefine((v, ctx) => {
  if (parsePromDuration(v) === undefined)
    ctx.addIssue({ code: 'custom', message: `not a valid duration string: "${v}"` });
});

const ruleSchema = z
  .strictObject({
    record: scalar.optional(),
    alert: scalar.optional(),
    expr: scalar.optional(),
    for: duration.optional(),
    keep_firing_for: duration.optional(),
    labels: stringMap.nullish(),
    annotations: stringMap.nullish(),
  })
  .superRefine((r, ctx) => {
    const name = r.record ?? r.alert ?? '';
    const issue = (message: string, path: PropertyKey[] = []): void => {
      ctx.addIssue({ code: 'custom', message, path });
    };
    if (r.record !== undefined && r.alert !== undefined)
      issue("only one of 'record' and 'alert' must be set");
    if (r.record === undefined && r.alert === undefined) issue("one of 'record' or 'alert' must be set");
    if (r.expr === undefined || r.expr === '') issue("field 'expr' must be set in rule", ['expr']);
    else {
      try {
        parseExpr(r.expr);
      } catch (e) {
        issue(`could not parse expression: ${e instanceof Error ? e.message : String(e)}`, ['expr']);
      }
    }
    if (r.record !== undefined) {
      if (r.annotations && Object.keys(r.annotations).length > 0)
        issue("invalid field 'annotations' in recording rule", ['annotations']);
      if (r.for !== undefined) issue("invalid field 'for' in recording rule", ['for']);
      if (r.keep_firing_for !== undefined)
        issue("invalid field 'keep_firing_for' in recording rule", ['keep_firing_for']);
      if (!metricNameRe.test(r.record)) issue(`invalid recording rule name: ${r.record}`, ['record']);
    }
    for (const [k, v] of Object.entries(r.labels ?? {})) {
      if (!labelNameRe.test(k)) issue(`invalid label name: ${k}`, ['labels', k]);
      if (k === '__name__') issue(`invalid label name: ${k}`, ['labels', k]);
      if (r.alert !== undefined) checkTemplate(name, `label "${k}"`, v, ['labels', k], issue);
    }
    for (const [k, v] of Object.entries(r.annotations ?? {})) {
      if (!labelNameRe.test(k)) issue(`invalid annotation name: ${k}`, ['annotations', k]);
      if (r.alert !== undefined) checkTemplate(name, `annotation "${k}"`, v, ['annotations', k], issue);
    }
  });

function checkTemplate(
  rule: string,
  what: string,
  text: string,
  path: PropertyKey[],
  issue: (message: string, path: PropertyKey[]) => void,
): void {
  try {
    parseRuleTemplate(rule, text);
  } catch (e) {
    issue(`${what}: ${e instanceof Error ? e.message : String(e)}`, path);
  }
}

const groupSchema = z.strictObject({
  name: scalar.optional(),
  interval: duration.optional(),
  query_offset: duration.optional(),
  limit: z.number().int().min(0).optional(),
  labels: stringMap.nullish(),
  rules: z.array(ruleSchema).nullish(),
});

const fileSchema = z.strictObject({ groups: z.array(groupSchema).nullish() }).superRefine((f, ctx) => {
  const seen = new Set<string>();
  for (const [i, g] of (f.groups ?? []).entries()) {
    if (g.name === undefined || g.name === '')
      ctx.addIssue({ code: 'custom', message: 'Groupname must not be empty', path: ['groups', i] });
    else if (seen.has(g.name))
      ctx.addIssue({
        code: 'custom',
        message: `groupname: "${g.name}" is repeated in the same file`,
        path: ['groups', i, 'name'],
      });
    seen.add(g.name ?? '');
    for (const [k] of Object.entries(g.labels ?? {})) {
      if (!labelNameRe.test(k) || k === '__name__')
        ctx.addIssue({
          code: 'custom',
          message: `invalid label name: ${k}`,
          path: ['groups', i, 'labels', k],
        });
    }
  }
});

/** Parses and validates the rule file `text` (named `file` in diagnostics and in the groups). */
export function parseRuleFile(text: string, file: string): RuleFileResult {
  const { config, diagnostics } = parseYamlConfig(text, file, fileSchema);
  if (!config) return { groups: undefined, diagnostics };
  const groups: RuleGroupConfig[] = (config.groups ?? []).map((g) => ({
    name: g.name ?? '',
    file,
    ...(g.interval === undefined ? {} : { intervalMs: parsePromDuration(g.interval) ?? 0 }),
    ...(g.query_offset === undefined ? {} : { queryOffsetMs: parsePromDuration(g.query_offset) ?? 0 }),
    limit: g.limit ?? 0,
    labels: g.labels ?? {},
    rules: (g.rules ?? []).map((r) => ({
      ...(r.record === undefined ? {} : { record: r.record }),
      ...(r.alert === undefined ? {} : { alert: r.alert }),
      expr: r.expr ?? '',
      forMs: r.for === undefined ? 0 : (parsePromDuration(r.for) ?? 0),
      keepFiringForMs: r.keep_firing_for === undefined ? 0 : (parsePromDuration(r.keep_firing_for) ?? 0),
      labels: r.labels ?? {},
      annotations: r.annotations ?? {},
    })),
  }));
  return { groups, diagnostics };
}

/** How many rules the groups hold (promtool's "N rules found"). */
export function countRules(groups: readonly RuleGroupConfig[]): number {
  return groups.reduce((n, g) => n + g.rules.length, 0);
}
