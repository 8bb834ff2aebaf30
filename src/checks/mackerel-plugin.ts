import { AppError, errorMessage } from '../base/errors.js';
import { nullLogger, type Logger } from '../base/logger.js';
import { labelNameRe, labelsFromRecord, type Labels } from '../model/labels.js';
import type { MetricFamily, MetricSample } from '../model/metric.js';
import type { Counter, Registry } from '../exposition/registry.js';
import {
  graphUnitDisplay,
  loadPluginMeta,
  MACKEREL_CUSTOM_PREFIX,
  MACKEREL_META_ENV,
  KANSHI_META_ENV,
  matchGraph,
  type GraphDefinition,
  type GraphMatch,
  type PluginMeta,
  type PluginMetaParse,
} from './plugin-meta.js';
import { DEFAULT_MAX_OUTPUT_BYTES, runCommand, type CommandSpec } from './run-command.js';

/**
 * Mackerel metric plugins and Sensu/graphite plaintext: a command prints `name<TAB>value<TAB>epoch`
 * lines (any whitespace separates fields), which become gauge samples. Line handling follows
 * mackerel-agent's metrics/plugin.go; the mapping of Mackerel names to Prometheus series is
 * Kanshi's and is specified in docs/plugins.md.
 */

/** One parsed line of plugin output. */
export type PluginLine =
  | {
      readonly kind: 'sample';
      /** The name as printed (without Mackerel's `custom.` prefix). */
      readonly name: string;
      readonly value: number;
      /** The epoch column, converted to milliseconds. */
      readonly timestampMs: number;
    }
  /** An empty line or a `#` comment: nothing to do, not an error. */
  | { readonly kind: 'blank' }
  | { readonly kind: 'invalid'; readonly reason: string };

/** Mackerel's metric name charset; dots separate segments, which must not be empty. */
const nameRe = /^[-a-zA-Z0-9_]+(\.[-a-zA-Z0-9_]+)*$/;
const decimalRe = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const specialRe = /^([+-]?)(nan|inf|infinity)$/i;
const epochRe = /^\d+(\.\d+)?$/;
/** Epoch seconds above this (year 5138) are taken as a unit mistake (milliseconds printed). */
const MAX_EPOCH_SECONDS = 1e11;

/**
 * Parses one line of plugin output: `name value epoch`, fields separated by any whitespace (the
 * tab of Mackerel, the space of graphite). Values are decimal numbers, NaN or ±Inf; the epoch is
 * seconds (fractions allowed). Never throws: a bad line gives `{kind: 'invalid', reason}`.
 */
export function parsePluginLine(line: string): PluginLine {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return { kind: 'blank' };
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 3) {
    return { kind: 'invalid', reason: `expected 3 fields "name value epoch", got ${fields.length}` };
  }
  const [name, rawValue, rawEpoch] = fields as [string, string, string];
  if (!nameRe.test(name)) {
    return {
      kind: 'invalid',
      reason: `metric name ${JSON.stringify(name)} must be dot-separated segments of [-a-zA-Z0-9_]`,
    };
  }
  const value = parseValue(rawValue);
  if (value === undefined)
    return { kind: 'invalid', reason: `value ${JSON.stringify(rawValue)} is not a number` };
  if (!epochRe.test(rawEpoch)) {
    return { kind: 'invalid', reason: `epoch ${JSON.stringify(rawEpoch)} is not a number of seconds` };
  }
  const epoch = Number(rawEpoch);
  if (epoch > MAX_EPOCH_SECONDS) {
    return {
      kind: 'invalid',
      reason: `epoch ${rawEpoch} is out of range (seconds expected, not milliseconds)`,
    };
  }
  return { kind: 'sample', name, value, timestampMs: Math.round(epoch * 1000) };
}

function parseValue(text: string): number | undefined {
  if (decimalRe.test(text)) return Number(text);
  const m = specialRe.exec(text);
  if (!m) return undefined;
  if (m[2]!.toLowerCase() === 'nan') return NaN;
  return m[1] === '-' ? -Infinity : Infinity;
}

/** The label carrying the plugin's configured name. */
export const PLUGIN_LABEL = 'plugin';
/** The label carrying the original Mackerel name (`custom.foo.bar-baz.count`). */
export const MACKEREL_NAME_LABEL = 'mackerel_name';
/** Label names a wildcard never takes (it falls back to `wildcard_<n>`). */
const reservedLabels = new Set([
  PLUGIN_LABEL,
  MACKEREL_NAME_LABEL,
  'job',
  'instance',
  'le',
  'quantile',
  'custom',
]);

/** A Mackerel metric as a Prometheus series. */
export interface MappedSeries {
  /** The Prometheus metric name (`custom_disk_used`). */
  readonly name: string;
  /** Labels without `__name__`: `plugin`, `mackerel_name` and one label per wildcard. */
  readonly labels: Labels;
  /** The graph line the metric belongs to, when the plugin's meta declared one. */
  readonly match?: GraphMatch;
}

/** Replaces every character outside [a-zA-Z0-9_] with `_`. */
function sanitize(s: string): string {
  return s.replace(/[^a-zA-Z0-9_]/g, '_');
}

/**
 * Maps the Mackerel metric `mackerelName` (with its `custom.` prefix) of plugin `plugin` to a
 * Prometheus series, deterministically (docs/plugins.md, "Names"):
 * - without a matching graph: name = the Mackerel name with every character outside [a-zA-Z0-9_]
 *   replaced by `_` (`custom.foo.bar-baz.count` → `custom_foo_bar_baz_count`);
 * - with a matching graph line whose pattern has wildcards: the wildcard segments leave the name
 *   and become labels (`custom.disk.*.used` with `sda` → `custom_disk_used{disk="sda"}`); a
 *   wildcard's label is named after the literal segment before it, or `wildcard_<n>` (n counts the
 *   pattern's wildcards from 1, like `%1`) when that segment is a wildcard, `custom`, reserved,
 *   not a label name, or taken.
 * Every series also carries `plugin` and `mackerel_name` (the original name). Since no two
 * Mackerel names share a `mackerel_name`, no two map to the same series, whatever the sanitising
 * merged; and the original is read back from that label.
 */
export function mapMackerelName(
  mackerelName: string,
  options: { plugin: string; graphs?: readonly GraphDefinition[] },
): MappedSeries {
  const record: Record<string, string> = {
    [PLUGIN_LABEL]: options.plugin,
    [MACKEREL_NAME_LABEL]: mackerelName,
  };
  const match = options.graphs ? matchGraph(mackerelName, options.graphs) : undefined;
  if (match === undefined || match.wildcards.length === 0) {
    const out: MappedSeries = { name: sanitize(mackerelName), labels: labelsFromRecord(record) };
    return match ? { ...out, match } : out;
  }
  let n = 0;
  const parts = mackerelName.split('.');
  match.segments.forEach((seg, i) => {
    if (seg !== '*' && seg !== '#') return;
    n++;
    const prev = i > 0 ? match.segments[i - 1]! : '*';
    let labelName = sanitize(prev);
    if (prev === '*' || prev === '#' || reservedLabels.has(labelName) || !labelNameRe.test(labelName)) {
      labelName = `wildcard_${n}`;
    }
    if (labelName.startsWith('__') || labelName in record) labelName = `wildcard_${n}`;
    record[labelName] = parts[i]!;
  });
  return { name: patternMetricName(match.metric.pattern), labels: labelsFromRecord(record), match };
}

/** The info family describing plugin graphs to the UI: one series per graph line, value 1. */
export const PLUGIN_GRAPH_INFO = 'kanshi_plugin_graph_info';

/**
 * The Prometheus name the lines of a graph-line pattern map to (`custom.disk.#.used` →
 * `custom_disk_used`): its literal segments, sanitised, as {@link mapMackerelName} names them.
 */
export function patternMetricName(pattern: string): string {
  return sanitize(
    pattern
      .split('.')
      .filter((seg) => seg !== '*' && seg !== '#')
      .join('.'),
  );
}

/**
 * `kanshi_plugin_graph_info` samples for the graph definitions of plugin `plugin`, so the UI can
 * draw its graphs from PromQL alone (docs/plugins.md, "Graph definitions in the store"). One
 * sample (value 1, at `timestampMs`) per graph line, labelled:
 * `plugin`, `graph` (Mackerel graph name, `custom.disk.#`), `graph_label`, `unit` and `scale` (the
 * UI unit and the factor to reach it, {@link graphUnitDisplay}), `mackerel_unit`, `metric` (the
 * Prometheus name of the line's series), `pattern` (the Mackerel line pattern, wildcards kept;
 * the UI matches it against `mackerel_name`), `metric_label` (with `%1`… unreplaced), `stacked`
 * (`true`/`false`) and `order` (graph and line position, `3.1`). Undefined when no graph has lines.
 */
export function graphInfoFamily(
  plugin: string,
  meta: PluginMeta,
  timestampMs: number,
): MetricFamily | undefined {
  const samples: MetricSample[] = [];
  meta.graphs.forEach((g, gi) => {
    const display = graphUnitDisplay(g.unit);
    g.metrics.forEach((m, mi) => {
      samples.push({
        name: PLUGIN_GRAPH_INFO,
        labels: labelsFromRecord({
          [PLUGIN_LABEL]: plugin,
          graph: g.name,
          graph_label: g.label,
          unit: display.unit,
          scale: String(display.scale),
          mackerel_unit: g.unit,
          metric: patternMetricName(m.pattern),
          pattern: m.pattern,
          metric_label: m.label,
          stacked: String(m.isStacked),
          order: `${gi}.${mi}`,
        }),
        value: 1,
        timestampMs,
      });
    });
  });
  if (samples.length === 0) return undefined;
  return {
    name: PLUGIN_GRAPH_INFO,
    type: 'gauge',
    help: 'Graph definitions of metric plugins, one series per graph line (value 1).',
    samples,
  };
}

/** The counter of malformed plugin lines, `kanshi_agent_plugin_invalid_lines_total{plugin}`. */
export function pluginInvalidLinesCounter(registry: Registry): Counter {
  return registry.counter(
    'kanshi_agent_plugin_invalid_lines_total',
    'Lines of metric plugin output that were not "name value epoch" and were skipped.',
  );
}

/** Options of {@link MetricPlugin}. */
export interface MetricPluginOptions {
  /** The plugin's configured name; the `plugin` label of its series and of the invalid-line counter. */
  name: string;
  command: CommandSpec;
  /** Kill the plugin's process group after this many milliseconds (mackerel-agent: 30 s). */
  timeoutMs: number;
  /** Extra environment variables for the command. */
  env?: Readonly<Record<string, string>>;
  /** The environment to inherit (the composition root passes process.env). Default: empty. */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  /** The working directory of the plugin (the config file's folder, so `./plugin.sh` resolves). */
  cwd?: string;
  /** Keep only metrics whose printed name (without `custom.`) matches. */
  includePattern?: RegExp | string;
  /** Drop metrics whose printed name matches (applied after includePattern). */
  excludePattern?: RegExp | string;
  /** Bytes of stdout read per run; the rest is dropped with the partial last line. Default 1 MiB. */
  maxOutputBytes?: number;
  /** Milliseconds since the epoch. Default Date.now. */
  now?: () => number;
  logger?: Logger;
  /** Counts malformed lines by `plugin`; see {@link pluginInvalidLinesCounter}. */
  invalidLines?: Counter;
  /**
   * Graph definitions: `'load'` (default) runs the plugin once in meta mode before its first run;
   * `'none'` skips that; a {@link PluginMeta} is used as given.
   */
  meta?: 'load' | 'none' | PluginMeta;
}

/** What one run of a metric plugin produced. Always produced: failures are in `error`. */
export interface PluginRun {
  readonly plugin: string;
  /** Gauge families, one per Prometheus name, samples in output order; empty when `error` is set. */
  readonly families: readonly MetricFamily[];
  readonly sampleCount: number;
  /** Malformed lines skipped (also counted in the invalid-lines counter). */
  readonly invalidLineCount: number;
  /** Well-formed lines dropped by includePattern/excludePattern. */
  readonly filteredLineCount: number;
  /** Whether stdout was cut at maxOutputBytes. */
  readonly isTruncated: boolean;
  readonly startedAtMs: number;
  readonly durationMs: number;
  readonly exitCode: number | null;
  /** Why the run produced nothing: `command not found: …`, `timed out after 5000 ms`, `aborted`. */
  readonly error?: string;
  /** What the plugin wrote to stderr (bounded like stdout). */
  readonly stderr: string;
}

/** Names whose mapping a plugin keeps; past this the cache starts over. */
const MAX_CACHED_NAMES = 100_000;

/** At most this many malformed lines are logged per run; the counter still counts all. */
const MAX_LOGGED_INVALID_LINES = 5;

/**
 * A Mackerel/Sensu metric plugin. `run` executes the command once and turns its output into
 * gauge families; it never rejects. Runs of one instance must not overlap (the scheduler's job);
 * the graph meta is loaded once, before the first run, and kept in {@link MetricPlugin.meta}.
 */
export class MetricPlugin {
  readonly name: string;
  readonly #options: MetricPluginOptions;
  readonly #logger: Logger;
  readonly #include: RegExp | undefined;
  readonly #exclude: RegExp | undefined;
  #meta: PluginMeta | undefined;
  /** Printed name → series, for the graphs in #meta; cleared when the meta changes. */
  readonly #names = new Map<string, MappedSeries>();
  #metaLoad: Promise<PluginMetaParse> | undefined;

  /** Throws a `bad_input` AppError when includePattern or excludePattern does not compile. */
  constructor(options: MetricPluginOptions) {
    this.name = options.name;
    this.#options = options;
    this.#logger = (options.logger ?? nullLogger).child({ plugin: options.name });
    this.#include = toRegExp(options.includePattern);
    this.#exclude = toRegExp(options.excludePattern);
    if (typeof options.meta === 'object') this.#meta = options.meta;
  }

  /** The graph definitions in use, once loaded (undefined when the plugin has none). */
  get meta(): PluginMeta | undefined {
    return this.#meta;
  }

  /**
   * Runs the plugin in meta mode, once per instance (later calls return the first result, unless
   * that one was aborted). Bad meta is logged as a warning and leaves the plugin without graphs;
   * it still runs.
   */
  loadMeta(signal?: AbortSignal): Promise<PluginMetaParse> {
    this.#metaLoad ??= loadPluginMeta(this.#options.command, {
      timeoutMs: this.#options.timeoutMs,
      ...(this.#options.env !== undefined && { env: this.#options.env }),
      ...(this.#options.baseEnv !== undefined && { baseEnv: this.#options.baseEnv }),
      ...(this.#options.cwd !== undefined && { cwd: this.#options.cwd }),
      ...(this.#options.maxOutputBytes !== undefined && { maxOutputBytes: this.#options.maxOutputBytes }),
      ...(signal !== undefined && { signal }),
    }).then((parsed) => {
      // A meta run cut short by the caller says nothing about the plugin: try again next time.
      if (signal?.aborted && !parsed.meta) this.#metaLoad = undefined;
      if (parsed.meta) {
        this.#meta = parsed.meta;
        this.#names.clear();
      }
      // A plugin without meta support is normal; a broken meta is worth a warning.
      const level = parsed.hasHeader ? 'warn' : 'debug';
      for (const d of parsed.diagnostics) this.#logger[level]({ diagnostic: d }, 'plugin meta problem');
      return parsed;
    });
    return this.#metaLoad;
  }

  /** Runs the plugin once; never rejects. */
  async run(signal: AbortSignal): Promise<PluginRun> {
    if ((this.#options.meta ?? 'load') === 'load') await this.loadMeta(signal);
    const opts = this.#options;
    const now = opts.now ?? Date.now;
    const out = await runCommand(opts.command, {
      timeoutMs: opts.timeoutMs,
      // As mackerel-agent does: an empty meta variable, so a plugin never mistakes a run for meta.
      env: { ...opts.env, [MACKEREL_META_ENV]: '', [KANSHI_META_ENV]: '' },
      ...(opts.baseEnv !== undefined && { baseEnv: opts.baseEnv }),
      ...(opts.cwd !== undefined && { cwd: opts.cwd }),
      maxOutputBytes: opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
      signal,
      now,
    });
    const base = {
      plugin: this.name,
      startedAtMs: out.startedAtMs,
      durationMs: out.durationMs,
      exitCode: out.exitCode,
      isTruncated: out.isTruncated,
      stderr: out.stderr,
    };
    const empty = { ...base, families: [], sampleCount: 0, invalidLineCount: 0, filteredLineCount: 0 };
    if (out.stderr !== '') this.#logger.info({ stderr: out.stderr.slice(0, 1000) }, 'plugin wrote to stderr');
    if (out.spawnError !== undefined) {
      this.#logger.error({ error: out.spawnError }, 'plugin did not run');
      return { ...empty, error: out.spawnError };
    }
    if (out.isTimedOut) {
      const error = `timed out after ${opts.timeoutMs} ms`;
      this.#logger.error({ error }, 'plugin killed at its timeout');
      return { ...empty, error };
    }
    if (out.isAborted) return { ...empty, error: 'aborted' };
    if (out.exitCode !== 0) {
      // mackerel-agent keeps the output of a plugin that exits non-zero; so do we, with a warning.
      this.#logger.warn({ exitCode: out.exitCode, signal: out.signal }, 'plugin exited non-zero');
    }

    let text = out.stdout;
    if (out.isTruncated) {
      // The last line was cut in the middle: drop it rather than record a wrong number.
      const nl = text.lastIndexOf('\n');
      text = nl < 0 ? '' : text.slice(0, nl + 1);
      this.#logger.warn(
        { maxOutputBytes: opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES },
        'plugin output truncated',
      );
    }

    const graphs = this.#meta?.graphs;
    const families = new Map<string, { help: string; samples: MetricSample[] }>();
    let sampleCount = 0;
    let invalidLineCount = 0;
    let filteredLineCount = 0;
    for (const line of text.split('\n')) {
      const parsed = parsePluginLine(line);
      if (parsed.kind === 'blank') continue;
      if (parsed.kind === 'invalid') {
        invalidLineCount++;
        opts.invalidLines?.inc({ [PLUGIN_LABEL]: this.name });
        if (invalidLineCount <= MAX_LOGGED_INVALID_LINES) {
          this.#logger.warn(
            { line: line.slice(0, 500), reason: parsed.reason },
            'invalid plugin line skipped',
          );
        }
        continue;
      }
      if (this.#include && !this.#include.test(parsed.name)) {
        filteredLineCount++;
        continue;
      }
      if (this.#exclude?.test(parsed.name)) {
        filteredLineCount++;
        continue;
      }
      let mapped = this.#names.get(parsed.name);
      if (mapped === undefined) {
        mapped = mapMackerelName(MACKEREL_CUSTOM_PREFIX + parsed.name, {
          plugin: this.name,
          ...(graphs !== undefined && { graphs }),
        });
        // Plugins print the same names run after run; a bounded cache spares re-mapping them.
        if (this.#names.size >= MAX_CACHED_NAMES) this.#names.clear();
        this.#names.set(parsed.name, mapped);
      }
      let family = families.get(mapped.name);
      if (!family) {
        const help = mapped.match
          ? `${mapped.match.graph.label}: ${mapped.match.displayLabel} (Mackerel plugin ${this.name})`
          : `Mackerel plugin ${this.name} metric`;
        family = { help, samples: [] };
        families.set(mapped.name, family);
      }
      family.samples.push({
        name: mapped.name,
        labels: mapped.labels,
        value: parsed.value,
        timestampMs: parsed.timestampMs,
      });
      sampleCount++;
    }
    if (invalidLineCount > MAX_LOGGED_INVALID_LINES) {
      this.#logger.warn({ invalidLineCount }, 'more invalid plugin lines skipped');
    }
    const result: MetricFamily[] = [...families].map(([name, f]) => ({
      name,
      type: 'gauge',
      help: f.help,
      samples: f.samples,
    }));
    // The graph definitions travel with every run, so they stay current in the store as samples do.
    const info = this.#meta && graphInfoFamily(this.name, this.#meta, base.startedAtMs);
    if (info) result.push(info);
    return {
      ...base,
      families: result,
      sampleCount,
      invalidLineCount,
      filteredLineCount,
    };
  }
}

function toRegExp(p: RegExp | string | undefined): RegExp | undefined {
  if (p === undefined) return undefined;
  if (typeof p !== 'string') return new RegExp(p.source, p.flags.replace(/[gy]/g, ''));
  try {
    return new RegExp(p);
  } catch (e) {
    throw new AppError('bad_input', `invalid plugin pattern ${JSON.stringify(p)}: ${errorMessage(e)}`, {
      cause: e,
    });
  }
}
