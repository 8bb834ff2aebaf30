import { stringify } from 'yaml';
import { z } from 'zod';
import { formatDuration } from '../../base/duration.js';
import { errorMessage } from '../../base/errors.js';
import { formatDiagnostic, parseYamlConfig, type Diagnostic } from '../../config/load-yaml.js';
import { durationMs } from '../../config/schema-types.js';
import { labelNameRe, metricNameRe } from '../../model/labels.js';
import { parseMetricSelector } from '../../promql/index.js';
import { parseRuleFile, type RuleConfig, type RuleGroupConfig } from '../rule-file.js';
import { parseRuleTemplate } from '../template.js';

/**
 * Threshold monitors for people who do not write PromQL (issue 5): a metric selector, an optional
 * function over a window (or the percentage of another metric), an operator and warning/critical
 * thresholds, compiled to Prometheus alerting rules — one rule per level, the same alert name,
 * `severity` warning|critical — and, when both levels are set, an Alertmanager inhibit rule that
 * mutes the warning while the critical fires (docs/monitors.md).
 */

/** Functions a threshold monitor applies to its metric over `window`; `last` is the instant value. */
export type ThresholdFunction = 'last' | 'avg' | 'max' | 'min' | 'rate';

const stringMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

/** One threshold monitor as written in kanshi.yml's `monitors.thresholds`. */
export const thresholdMonitorSchema = z
  .strictObject({
    /** The alert name; a metric-name-like identifier, as Prometheus requires. */
    name: z.string(),
    /** A PromQL vector selector, e.g. `node_filesystem_avail_bytes{mountpoint="/"}`. */
    metric: z.string(),
    function: z.enum(['last', 'avg', 'max', 'min', 'rate']).default('last'),
    /** Window of `function` (not with `last`). */
    window: durationMs.optional(),
    /** A second selector: the monitor then compares 100 × metric / percent_of. */
    percent_of: z.string().optional(),
    operator: z.enum(['>', '<', '>=', '<=']),
    warning: z.number().optional(),
    critical: z.number().optional(),
    /** How long the condition must hold before the alert fires (Prometheus `for`). */
    for: durationMs.default(0),
    labels: stringMap.default({}),
    annotations: stringMap.default({}),
    /** Labels that must be equal for the critical alert to mute the warning one. */
    inhibit_equal: z.array(z.string()).default(['instance', 'job']),
  })
  .superRefine((m, ctx) => {
    const issue = (message: string, path: PropertyKey[]): void => {
      ctx.addIssue({ code: 'custom', message, path });
    };
    if (!metricNameRe.test(m.name))
      issue(`must be a name like RootDiskFull ([a-zA-Z_:][a-zA-Z0-9_:]*), got "${m.name}"`, ['name']);
    for (const key of ['metric', 'percent_of'] as const) {
      const sel = m[key];
      if (sel === undefined) continue;
      try {
        parseMetricSelector(sel);
      } catch (e) {
        issue(`not a metric selector (e.g. node_load1{instance="web-1"}): ${errorMessage(e)}`, [key]);
      }
    }
    if (m.function === 'last' && m.window !== undefined)
      issue('window is only used with function avg, max, min or rate', ['window']);
    if (m.function !== 'last' && (m.window === undefined || m.window <= 0))
      issue(`function ${m.function} needs a window > 0, e.g. window: 5m`, ['window']);
    if (m.warning === undefined && m.critical === undefined)
      issue('set warning, critical or both', ['warning']);
    if (m.warning !== undefined && m.critical !== undefined) {
      const above = m.operator === '>' || m.operator === '>=';
      if (above ? m.critical < m.warning : m.critical > m.warning)
        issue(
          `critical ${m.critical} must be ${above ? 'at or above' : 'at or below'} warning ${m.warning} with operator ${m.operator}`,
          ['critical'],
        );
    }
    for (const k of Object.keys(m.labels)) {
      if (!labelNameRe.test(k)) issue(`invalid label name: ${k}`, ['labels', k]);
      else if (k === 'severity' || k === 'alertname' || k === '__name__')
        issue(`label ${k} is set by the monitor`, ['labels', k]);
    }
    for (const [k, v] of Object.entries(m.annotations)) {
      if (!labelNameRe.test(k)) issue(`invalid annotation name: ${k}`, ['annotations', k]);
      try {
        parseRuleTemplate(m.name, v);
      } catch (e) {
        issue(`annotation "${k}": ${errorMessage(e)}`, ['annotations', k]);
      }
    }
    for (const [i, k] of m.inhibit_equal.entries())
      if (!labelNameRe.test(k)) issue(`invalid label name: ${k}`, ['inhibit_equal', i]);
  });

/** The list, with names unique (one alert name per monitor). */
export const thresholdMonitorsSchema = z.array(thresholdMonitorSchema).superRefine((list, ctx) => {
  const seen = new Set<string>();
  for (const [i, m] of list.entries()) {
    if (seen.has(m.name))
      ctx.addIssue({ code: 'custom', message: `name "${m.name}" is used twice`, path: [i, 'name'] });
    seen.add(m.name);
  }
});

/** A threshold monitor, parsed (durations in ms). */
export type ThresholdMonitorConfig = z.output<typeof thresholdMonitorSchema>;

/** An inhibit rule in Alertmanager's configuration syntax (`inhibit_rules` entry). */
export interface InhibitRuleConfig {
  readonly source_matchers: readonly string[];
  readonly target_matchers: readonly string[];
  readonly equal: readonly string[];
}

/** What {@link compileThresholds} produces. */
export interface CompiledThresholds {
  /** One group holding every monitor's rules (empty list when there are no monitors). */
  readonly groups: readonly RuleGroupConfig[];
  /** Add these to `notifications.inhibit_rules`: each monitor's critical alert mutes its warning. */
  readonly inhibitRules: readonly InhibitRuleConfig[];
}

/** Options of {@link compileThresholds}. */
export interface CompileThresholdsOptions {
  /** Default `kanshi-thresholds`. */
  readonly groupName?: string;
  /** The file the group is named after in rule APIs and metrics. Default `kanshi.yml`. */
  readonly file?: string;
  /** The group's evaluation interval, ms; default the global `evaluation_interval`. */
  readonly intervalMs?: number;
}

const FUNCTION_CALL: Record<Exclude<ThresholdFunction, 'last'>, string> = {
  avg: 'avg_over_time',
  max: 'max_over_time',
  min: 'min_over_time',
  rate: 'rate',
};

/** The PromQL value a monitor compares: its function over its metric, as a percentage when asked. */
export function thresholdValueExpr(m: ThresholdMonitorConfig): string {
  const apply = (sel: string): string =>
    m.function === 'last' ? sel : `${FUNCTION_CALL[m.function]}(${sel}[${formatDuration(m.window ?? 0)}])`;
  return m.percent_of === undefined ? apply(m.metric) : `(100 * ${apply(m.metric)} / ${apply(m.percent_of)})`;
}

/** A number as PromQL writes it. */
function promNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  return String(n);
}

function ruleFor(m: ThresholdMonitorConfig, severity: 'warning' | 'critical', threshold: number): RuleConfig {
  const t = promNumber(threshold);
  return {
    alert: m.name,
    expr: `${thresholdValueExpr(m)} ${m.operator} ${t}`,
    forMs: m.for,
    keepFiringForMs: 0,
    labels: { ...m.labels, severity },
    annotations: {
      summary: `${m.name}: {{ $value | humanize }} ${m.operator} ${t} (${severity})`,
      threshold: t,
      ...m.annotations,
    },
  };
}

/** Compiles threshold monitors to alerting rules and inhibit rules. The input must have passed the schema. */
export function compileThresholds(
  monitors: readonly ThresholdMonitorConfig[],
  options: CompileThresholdsOptions = {},
): CompiledThresholds {
  const rules: RuleConfig[] = [];
  const inhibitRules: InhibitRuleConfig[] = [];
  for (const m of monitors) {
    if (m.warning !== undefined) rules.push(ruleFor(m, 'warning', m.warning));
    if (m.critical !== undefined) rules.push(ruleFor(m, 'critical', m.critical));
    if (m.warning !== undefined && m.critical !== undefined)
      inhibitRules.push({
        source_matchers: [`alertname="${m.name}"`, 'severity="critical"'],
        target_matchers: [`alertname="${m.name}"`, 'severity="warning"'],
        equal: [...m.inhibit_equal],
      });
  }
  if (rules.length === 0) return { groups: [], inhibitRules };
  return {
    groups: [
      {
        name: options.groupName ?? 'kanshi-thresholds',
        file: options.file ?? 'kanshi.yml',
        ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
        limit: 0,
        labels: {},
        rules,
      },
    ],
    inhibitRules,
  };
}

/** The groups as a Prometheus rule file (what `promtool check rules` and `kanshi rules check` read). */
export function formatRuleFile(groups: readonly RuleGroupConfig[]): string {
  return stringify({
    groups: groups.map((g) => ({
      name: g.name,
      ...(g.intervalMs === undefined ? {} : { interval: formatDuration(g.intervalMs) }),
      rules: g.rules.map((r) => ({
        alert: r.alert,
        expr: r.expr,
        ...(r.forMs > 0 ? { for: formatDuration(r.forMs) } : {}),
        labels: r.labels,
        annotations: r.annotations,
      })),
    })),
  });
}

/** What {@link checkThresholdFile} found. */
export interface ThresholdCheck {
  readonly compiled: CompiledThresholds | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * `kanshi rules check` for threshold monitors: parses `text` (a YAML document with a `thresholds:`
 * list, as in kanshi.yml's `monitors:` section), reports every problem with file, line and key
 * path, compiles, and checks the compiled rules as a rule file once more.
 */
export function checkThresholdFile(text: string, file: string): ThresholdCheck {
  const schema = z.object({ thresholds: thresholdMonitorsSchema.default([]) });
  const { config, diagnostics } = parseYamlConfig(text, file, schema);
  if (!config) return { compiled: undefined, diagnostics };
  const compiled = compileThresholds(config.thresholds, { file });
  const again = parseRuleFile(formatRuleFile(compiled.groups), `${file} (compiled rules)`);
  if (again.diagnostics.length > 0) return { compiled: undefined, diagnostics: again.diagnostics };
  return { compiled, diagnostics: [] };
}

/** Diagnostics as lines, for a command's output. */
export function formatThresholdDiagnostics(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map(formatDiagnostic);
}

/** The `alertname` of the always-firing watchdog alert. */
export const WATCHDOG_ALERTNAME = 'Watchdog';

/**
 * The watchdog: an alerting rule that always fires (`vector(1)`), so an outside dead man's switch
 * routed to it notices when Kanshi's rule evaluation or notifications stop. As kube-prometheus's
 * `Watchdog`, with `severity="none"`.
 */
export function watchdogGroup(
  labels: Readonly<Record<string, string>>,
  options: CompileThresholdsOptions = {},
): RuleGroupConfig {
  return {
    name: 'kanshi-watchdog',
    file: options.file ?? 'kanshi.yml',
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
    limit: 0,
    labels: {},
    rules: [
      {
        alert: WATCHDOG_ALERTNAME,
        expr: 'vector(1)',
        forMs: 0,
        keepFiringForMs: 0,
        labels: { severity: 'none', ...labels },
        annotations: {
          summary: 'always firing: Kanshi evaluates rules and sends notifications',
          description:
            "Route this alert to a dead man's switch outside Kanshi; its silence means alerting is broken.",
        },
      },
    ],
  };
}
