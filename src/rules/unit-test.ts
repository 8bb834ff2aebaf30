import { z } from 'zod';
import { parseYamlConfig, formatDiagnostic } from '../config/load-yaml.js';
import { labelsFromRecord, compareLabels, type Labels } from '../model/labels.js';
import { Engine, formatDuration, parsePromDuration, queryFnFor } from '../promql/index.js';
import { MemoryStorage } from '../storage/memory-storage.js';
import { nullLogger } from '../base/logger.js';
import type { Clock } from '../base/clock.js';
import { AlertingRule, RuleGroup } from './group.js';
import { parseRuleFile, type RuleGroupConfig } from './rule-file.js';
import { parseSeriesLabels, parseSeriesValues } from './series-notation.js';

/**
 * promtool's rule unit tests (cmd/promtool/unittest.go): a test file names rule files and test
 * groups with input series, alert expectations and PromQL expectations; the rules are evaluated
 * over an in-memory store from time 0 at `evaluation_interval` and the expectations compared.
 */

const scalar = z.union([z.string(), z.number()]).transform((v) => String(v));
const duration = scalar.superRefine((v, ctx) => {
  if (parsePromDuration(v) === undefined)
    ctx.addIssue({ code: 'custom', message: `not a valid duration string: "${v}"` });
});
const stringMap = z.record(z.string(), scalar);

const testFileSchema = z.strictObject({
  rule_files: z.array(z.string()).nullish(),
  evaluation_interval: duration.optional(),
  group_eval_order: z.array(z.string()).nullish(),
  tests: z
    .array(
      z.strictObject({
        name: z.string().optional(),
        interval: duration.optional(),
        input_series: z.array(z.strictObject({ series: z.string(), values: scalar.nullish() })).nullish(),
        alert_rule_test: z
          .array(
            z.strictObject({
              eval_time: duration,
              alertname: z.string(),
              exp_alerts: z
                .array(
                  z.strictObject({ exp_labels: stringMap.nullish(), exp_annotations: stringMap.nullish() }),
                )
                .nullish(),
            }),
          )
          .nullish(),
        promql_expr_test: z
          .array(
            z.strictObject({
              expr: z.string(),
              eval_time: duration,
              exp_samples: z
                .array(z.strictObject({ labels: z.string().nullish(), value: z.number() }))
                .nullish(),
            }),
          )
          .nullish(),
        external_labels: stringMap.nullish(),
        external_url: z.string().optional(),
      }),
    )
    .nullish(),
});

/** Reads a file named relative to the test file; rejects when it cannot. */
export type ReadFileFn = (path: string) => Promise<string>;

/** The verdict on one test file: `errors` empty means SUCCESS. */
export interface UnitTestResult {
  readonly file: string;
  readonly errors: readonly string[];
}

interface LabelsAndAnnotations {
  labels: Labels;
  annotations: Labels;
}

const fmtLabels = (l: Labels): string =>
  `{${l.map((x) => `${x.name}=${JSON.stringify(x.value)}`).join(', ')}}`;
const fmtLA = (xs: readonly LabelsAndAnnotations[]): string =>
  `[${xs.map((x, i) => `\n            ${i}:\n              Labels:${fmtLabels(x.labels)}\n              Annotations:${fmtLabels(x.annotations)}\n`).join('')}${xs.length > 0 ? '            ' : ''}]`;
const cmpLA = (a: LabelsAndAnnotations, b: LabelsAndAnnotations): number =>
  compareLabels(a.labels, b.labels) || compareLabels(a.annotations, b.annotations);

/** Go's `strconv.FormatFloat(v, 'E', -1, 64)`, as promtool prints sample values (`2E+00`). */
function formatGoE(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const [m = '', e = '0'] = v.toExponential().split('e');
  const n = Number(e);
  return `${m}E${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
}

/** Compares floats as promtool does: equal, both NaN, or within a relative 1e-6. */
function almostEqual(a: number, b: number): boolean {
  if (Object.is(a, b) || a === b) return true;
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  const diff = Math.abs(a - b);
  return diff <= 1e-6 * Math.max(Math.abs(a), Math.abs(b)) || diff < 1e-12;
}

const epochClock: Clock = { now: () => 0, sleep: () => Promise.resolve() };

/** Runs the unit tests in `text` (the test file `file`), reading rule files through `readFile`. */
export async function runRuleUnitTests(
  text: string,
  file: string,
  readFile: ReadFileFn,
): Promise<UnitTestResult> {
  const { config, diagnostics } = parseYamlConfig(text, file, testFileSchema);
  if (!config) return { file, errors: diagnostics.map(formatDiagnostic) };
  const evalIntervalMs = parsePromDuration(config.evaluation_interval ?? '1m') ?? 60_000;
  const groups: RuleGroupConfig[] = [];
  const errors: string[] = [];
  for (const rf of config.rule_files ?? []) {
    let body: string;
    try {
      body = await readFile(rf);
    } catch (e) {
      errors.push(`${rf}: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    const r = parseRuleFile(body, rf);
    if (!r.groups) errors.push(...r.diagnostics.map(formatDiagnostic));
    else groups.push(...r.groups);
  }
  if (errors.length > 0) return { file, errors };
  const order = config.group_eval_order ?? [];
  if (order.length > 0) {
    const names = new Set(groups.map((g) => g.name));
    for (const n of order)
      if (!names.has(n))
        return {
          file,
          errors: [`group name provided in group_eval_order not present in loaded groups: ${n}`],
        };
    const rank = new Map(order.map((n, i) => [n, i]));
    groups.sort((a, b) => (rank.get(a.name) ?? Infinity) - (rank.get(b.name) ?? Infinity));
  }
  for (const tg of config.tests ?? []) {
    const errs = await runTestGroup(tg, groups, evalIntervalMs);
    if (errs.length > 0) errors.push(...(tg.name ? errs.map((e) => `    name: ${tg.name},\n${e}`) : errs));
  }
  return { file, errors };
}

type TestGroup = NonNullable<z.output<typeof testFileSchema>['tests']>[number];

async function runTestGroup(
  tg: TestGroup,
  ruleGroups: readonly RuleGroupConfig[],
  evalIntervalMs: number,
): Promise<string[]> {
  const intervalMs = parsePromDuration(tg.interval ?? '') ?? evalIntervalMs;
  const store = new MemoryStorage();
  const app = store.appender();
  for (const s of tg.input_series ?? []) {
    let labels: Labels;
    let vals;
    try {
      labels = parseSeriesLabels(s.series);
      vals = parseSeriesValues(s.values ?? '');
    } catch (e) {
      return [`    ${e instanceof Error ? e.message : String(e)}`];
    }
    for (let i = 0; i < vals.values.length; i++)
      if (vals.present[i] === 1) app.append(labels, i * intervalMs, vals.values[i]!);
  }
  await app.commit();
  const engine = new Engine(store);
  const queryFn = queryFnFor(engine);
  const groups = ruleGroups.map(
    (g) =>
      new RuleGroup(g, {
        queryFn,
        appendable: store,
        clock: epochClock,
        defaultIntervalMs: evalIntervalMs,
        externalLabels: tg.external_labels ?? {},
        externalURL: tg.external_url ?? '',
        restoreForState: false,
        logger: nullLogger,
      }),
  );
  const alertTests = [...(tg.alert_rule_test ?? [])].map((t) => ({
    ...t,
    evalMs: parsePromDuration(t.eval_time) ?? 0,
  }));
  alertTests.sort((a, b) => a.evalMs - b.evalMs);
  const promqlTests = (tg.promql_expr_test ?? []).map((t) => ({
    ...t,
    evalMs: parsePromDuration(t.eval_time) ?? 0,
  }));
  const maxMs = Math.max(0, ...alertTests.map((t) => t.evalMs), ...promqlTests.map((t) => t.evalMs));
  const errs: string[] = [];
  let cur = 0;
  for (let ts = 0; ts <= maxMs; ts += evalIntervalMs) {
    for (const g of groups) await g.evaluate(ts);
    while (
      cur < alertTests.length &&
      ts <= alertTests[cur]!.evalMs &&
      alertTests[cur]!.evalMs < ts + evalIntervalMs
    ) {
      const t = alertTests[cur++]!;
      const got: LabelsAndAnnotations[] = [];
      for (const g of groups)
        for (const r of g.rules) {
          if (!(r instanceof AlertingRule) || r.name !== t.alertname) continue;
          for (const a of r.active.values())
            if (a.state === 'firing')
              got.push({ labels: a.labels, annotations: labelsFromRecord(a.annotations) });
        }
      const exp: LabelsAndAnnotations[] = (t.exp_alerts ?? []).map((a) => ({
        labels: labelsFromRecord({ ...(a.exp_labels ?? {}), alertname: t.alertname }),
        annotations: labelsFromRecord(a.exp_annotations ?? {}),
      }));
      got.sort(cmpLA);
      exp.sort(cmpLA);
      const same = got.length === exp.length && got.every((g, i) => cmpLA(g, exp[i]!) === 0);
      if (!same) {
        errs.push(
          `    alertname: ${t.alertname}, time: ${formatDuration(t.evalMs)}, \n        exp:${fmtLA(exp)}, \n        got:${fmtLA(got)}`,
        );
      }
    }
  }
  for (const t of promqlTests) {
    let got: { labels: Labels; v: number }[];
    try {
      got = (await queryFn(t.expr, t.evalMs)).map((s) => ({ labels: s.labels, v: s.v }));
    } catch (e) {
      errs.push(
        `    expr: ${JSON.stringify(t.expr)}, time: ${formatDuration(t.evalMs)}, err: ${e instanceof Error ? e.message : String(e)}`,
      );
      continue;
    }
    let exp: { labels: Labels; v: number }[];
    try {
      exp = (t.exp_samples ?? []).map((s) => ({
        labels: s.labels ? parseSeriesLabels(s.labels) : [],
        v: s.value,
      }));
    } catch (e) {
      errs.push(
        `    expr: ${JSON.stringify(t.expr)}, time: ${formatDuration(t.evalMs)}, err: ${e instanceof Error ? e.message : String(e)}`,
      );
      continue;
    }
    got.sort((a, b) => compareLabels(a.labels, b.labels));
    exp.sort((a, b) => compareLabels(a.labels, b.labels));
    const same =
      got.length === exp.length &&
      got.every((g, i) => compareLabels(g.labels, exp[i]!.labels) === 0 && almostEqual(g.v, exp[i]!.v));
    if (!same) {
      const show = (xs: { labels: Labels; v: number }[]): string =>
        xs.map((x) => `${fmtLabels(x.labels)} ${formatGoE(x.v)}`).join(', ');
      errs.push(
        `    expr: ${JSON.stringify(t.expr)}, time: ${formatDuration(t.evalMs)},\n        exp: ${show(exp)}\n        got: ${show(got)}`,
      );
    }
  }
  return errs;
}
