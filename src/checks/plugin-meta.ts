import { errorMessage } from '../base/errors.js';
import { runCommand, type CommandSpec } from './run-command.js';

/**
 * Graph definitions of Mackerel metric plugins ("plugin meta"). A plugin run with
 * `MACKEREL_AGENT_PLUGIN_META=1` prints a header line `# mackerel-agent-plugin [version=1]` and then
 * one JSON object `{"graphs": {KEY: {label, unit, metrics: [{name, label, stacked}]}}}`; the agent
 * names the graph `custom.KEY` and each metric `custom.KEY.NAME`. Graph keys and metric names may
 * use the wildcards `*` and `#`, each standing for exactly one dot-separated segment. This module
 * parses that output into a typed model the UI keeps, and resolves which graph a metric belongs to.
 * Behaviour follows mackerel-agent's metrics/plugin.go (read, not copied); see docs/plugins.md.
 */

/** The environment variable mackerel-agent sets when it asks a plugin for its graph definitions. */
export const MACKEREL_META_ENV = 'MACKEREL_AGENT_PLUGIN_META';
/** Kanshi's own name for the same request; both are set, to `1`, for the meta run. */
export const KANSHI_META_ENV = 'KANSHI_AGENT_PLUGIN_META';
/** The prefix Mackerel puts before every plugin metric and graph name. */
export const MACKEREL_CUSTOM_PREFIX = 'custom.';

/** Graph units Mackerel accepts; anything else falls back to `float` with a diagnostic. */
export type GraphUnit =
  | 'float'
  | 'integer'
  | 'percentage'
  | 'seconds'
  | 'milliseconds'
  | 'bytes'
  | 'bytes/sec'
  | 'bits/sec'
  | 'iops';

/** All {@link GraphUnit}s. */
export const GRAPH_UNITS: readonly GraphUnit[] = [
  'float',
  'integer',
  'percentage',
  'seconds',
  'milliseconds',
  'bytes',
  'bytes/sec',
  'bits/sec',
  'iops',
];

/**
 * How the UI shows a Mackerel graph unit: one of the UI's units (ui/src/lib/units.ts: `short`,
 * `percent` for a 0–1 ratio, `seconds`, `bytes`, `bytesPerSec`, `perSec`) and the factor the
 * plugin's values are multiplied by to reach it (Mackerel's `percentage` is 0–100, so 0.01;
 * `milliseconds` 0.001; `bits/sec` is shown as bytes per second, so 0.125).
 */
export interface GraphUnitDisplay {
  readonly unit: 'short' | 'percent' | 'seconds' | 'bytes' | 'bytesPerSec' | 'perSec';
  readonly scale: number;
}

const UNIT_DISPLAY: Readonly<Record<GraphUnit, GraphUnitDisplay>> = {
  float: { unit: 'short', scale: 1 },
  integer: { unit: 'short', scale: 1 },
  percentage: { unit: 'percent', scale: 0.01 },
  seconds: { unit: 'seconds', scale: 1 },
  milliseconds: { unit: 'seconds', scale: 0.001 },
  bytes: { unit: 'bytes', scale: 1 },
  'bytes/sec': { unit: 'bytesPerSec', scale: 1 },
  'bits/sec': { unit: 'bytesPerSec', scale: 0.125 },
  iops: { unit: 'perSec', scale: 1 },
};

/** The UI unit and scale of a Mackerel graph unit (see {@link GraphUnitDisplay}). */
export function graphUnitDisplay(unit: GraphUnit): GraphUnitDisplay {
  return UNIT_DISPLAY[unit];
}

/** One line of a graph. */
export interface GraphMetricDefinition {
  /** The name relative to the graph, as the plugin declared it (`used`, `*`). */
  readonly name: string;
  /** The full Mackerel pattern: `custom.<graph key>.<name>`, wildcards kept. */
  readonly pattern: string;
  /** Display label; may contain `%1`…`%9` for wildcard values. Defaults to `name`. */
  readonly label: string;
  readonly isStacked: boolean;
}

/** One graph of a plugin: a title, a unit and its lines. Immutable; kept for the UI. */
export interface GraphDefinition {
  /** The key as the plugin declared it (`disk.#`). */
  readonly key: string;
  /** The Mackerel graph name: `custom.` + key. */
  readonly name: string;
  /** Display label; defaults to the key. */
  readonly label: string;
  readonly unit: GraphUnit;
  readonly metrics: readonly GraphMetricDefinition[];
}

/** What a plugin's meta run declared. */
export interface PluginMeta {
  /** The header's `version` (only `1` is understood). */
  readonly version: string;
  /** `key=value` fields of the header line. */
  readonly header: Readonly<Record<string, string>>;
  /** Graphs in the order the plugin printed them. */
  readonly graphs: readonly GraphDefinition[];
}

/**
 * The result of reading meta output. `meta` is absent when the output had no usable meta (the
 * plugin does not support it, or it was malformed); `diagnostics` says why, one problem per entry,
 * and also lists graphs or metrics that were dropped from an otherwise usable meta.
 */
export interface PluginMetaParse {
  readonly meta?: PluginMeta;
  readonly diagnostics: readonly string[];
  /** Whether the first line was the `# mackerel-agent-plugin` header. */
  readonly hasHeader: boolean;
}

const headerRe = /^#\s*mackerel-agent-plugin\b(.*)$/;
/** A literal segment of a metric or graph name (Mackerel's name charset, dots excluded). */
const segmentRe = /^[-a-zA-Z0-9_]+$/;

function isWildcard(segment: string): boolean {
  return segment === '*' || segment === '#';
}

function isValidPattern(name: string): boolean {
  return name.split('.').every((s) => isWildcard(s) || segmentRe.test(s));
}

/** Parses the stdout of a meta run. Never throws: problems become diagnostics. */
export function parsePluginMeta(stdout: string): PluginMetaParse {
  const nl = stdout.indexOf('\n');
  const first = (nl < 0 ? stdout : stdout.slice(0, nl)).replace(/\r$/, '');
  const m = headerRe.exec(first);
  if (!m) {
    return {
      diagnostics: [`no "# mackerel-agent-plugin" header, first line ${JSON.stringify(first)}`],
      hasHeader: false,
    };
  }
  const header: Record<string, string> = {};
  for (const field of (m[1] ?? '').trim().split(/\s+/)) {
    if (field === '') continue;
    const eq = field.indexOf('=');
    if (eq < 0) header[field] = '';
    else header[field.slice(0, eq)] = field.slice(eq + 1);
  }
  const version = header['version'] ?? '1';
  if (version !== '1') {
    return { diagnostics: [`unsupported plugin meta version ${JSON.stringify(version)}`], hasHeader: true };
  }

  let doc: unknown;
  try {
    doc = JSON.parse(nl < 0 ? '' : stdout.slice(nl + 1));
  } catch (e) {
    return { diagnostics: [`plugin meta is not valid JSON: ${errorMessage(e)}`], hasHeader: true };
  }
  if (!isRecord(doc) || !isRecord(doc['graphs'])) {
    return { diagnostics: ['plugin meta has no "graphs" object'], hasHeader: true };
  }

  const diagnostics: string[] = [];
  const graphs: GraphDefinition[] = [];
  for (const [key, raw] of Object.entries(doc['graphs'])) {
    const where = `graphs[${JSON.stringify(key)}]`;
    if (!isRecord(raw)) {
      diagnostics.push(`${where}: must be an object`);
      continue;
    }
    if (key === '' || !isValidPattern(key)) {
      diagnostics.push(`${where}: graph key must be dot-separated [-a-zA-Z0-9_] segments or * / #`);
      continue;
    }
    let unit: GraphUnit = 'float';
    const rawUnit = raw['unit'];
    if (rawUnit !== undefined && rawUnit !== '') {
      if (typeof rawUnit === 'string' && (GRAPH_UNITS as readonly string[]).includes(rawUnit)) {
        unit = rawUnit as GraphUnit;
      } else {
        diagnostics.push(`${where}.unit: unknown unit ${JSON.stringify(rawUnit)}, using "float"`);
      }
    }
    const label = typeof raw['label'] === 'string' && raw['label'] !== '' ? raw['label'] : key;
    const metrics: GraphMetricDefinition[] = [];
    const rawMetrics = raw['metrics'];
    if (!Array.isArray(rawMetrics)) {
      diagnostics.push(`${where}.metrics: must be an array`);
      continue;
    }
    rawMetrics.forEach((rm: unknown, i) => {
      const mwhere = `${where}.metrics[${i}]`;
      if (!isRecord(rm) || typeof rm['name'] !== 'string' || rm['name'] === '') {
        diagnostics.push(`${mwhere}: needs a non-empty string "name"`);
        return;
      }
      const name = rm['name'];
      if (!isValidPattern(name)) {
        diagnostics.push(`${mwhere}: name ${JSON.stringify(name)} must be [-a-zA-Z0-9_] segments or * / #`);
        return;
      }
      metrics.push({
        name,
        pattern: `${MACKEREL_CUSTOM_PREFIX}${key}.${name}`,
        label: typeof rm['label'] === 'string' && rm['label'] !== '' ? rm['label'] : name,
        isStacked: rm['stacked'] === true,
      });
    });
    graphs.push({ key, name: MACKEREL_CUSTOM_PREFIX + key, label, unit, metrics });
  }
  return { meta: { version, header, graphs }, diagnostics, hasHeader: true };
}

/** Where a metric belongs: its graph, its line, and the values its wildcards stood for. */
export interface GraphMatch {
  readonly graph: GraphDefinition;
  readonly metric: GraphMetricDefinition;
  /** The segments of `metric.pattern` (`['custom', 'disk', '*', 'used']`). */
  readonly segments: readonly string[];
  /** Wildcard values in pattern order (`['sda']`); `%1` in labels is the first. */
  readonly wildcards: readonly string[];
  /** The line's label with `%1`…`%9` replaced by the wildcard values. */
  readonly displayLabel: string;
}

/**
 * Resolves which graph line the Mackerel metric `metricName` (with its `custom.` prefix, e.g.
 * `custom.disk.sda.used`) belongs to. A wildcard matches one segment of [-a-zA-Z0-9_]. When several
 * lines match, the one with the fewest wildcards wins, then the first declared: deterministic.
 * Returns undefined when no line matches.
 */
export function matchGraph(metricName: string, graphs: readonly GraphDefinition[]): GraphMatch | undefined {
  const parts = metricName.split('.');
  let best: GraphMatch | undefined;
  for (const graph of graphs) {
    for (const metric of graph.metrics) {
      const segments = metric.pattern.split('.');
      if (segments.length !== parts.length) continue;
      const wildcards: string[] = [];
      let isMatch = true;
      for (let i = 0; i < segments.length; i++) {
        const s = segments[i]!;
        const p = parts[i]!;
        if (isWildcard(s)) {
          if (!segmentRe.test(p)) {
            isMatch = false;
            break;
          }
          wildcards.push(p);
        } else if (s !== p) {
          isMatch = false;
          break;
        }
      }
      if (!isMatch) continue;
      if (best === undefined || wildcards.length < best.wildcards.length) {
        const displayLabel = metric.label.replace(
          /%([1-9])/g,
          (all, d: string) => wildcards[Number(d) - 1] ?? all,
        );
        best = { graph, metric, segments, wildcards, displayLabel };
      }
    }
  }
  return best;
}

/** Options of {@link loadPluginMeta}. */
export interface LoadPluginMetaOptions {
  timeoutMs: number;
  env?: Readonly<Record<string, string>>;
  baseEnv?: Readonly<Record<string, string | undefined>>;
  /** The plugin's working directory. */
  cwd?: string;
  maxOutputBytes?: number;
  signal?: AbortSignal;
}

/**
 * Runs `command` once with `MACKEREL_AGENT_PLUGIN_META=1` and `KANSHI_AGENT_PLUGIN_META=1` and
 * parses its output. Never rejects: a command that cannot start, times out or prints no meta gives
 * a result without `meta` and a diagnostic.
 */
export async function loadPluginMeta(
  command: CommandSpec,
  options: LoadPluginMetaOptions,
): Promise<PluginMetaParse> {
  const out = await runCommand(command, {
    timeoutMs: options.timeoutMs,
    env: { ...options.env, [MACKEREL_META_ENV]: '1', [KANSHI_META_ENV]: '1' },
    ...(options.baseEnv !== undefined && { baseEnv: options.baseEnv }),
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    ...(options.maxOutputBytes !== undefined && { maxOutputBytes: options.maxOutputBytes }),
    ...(options.signal !== undefined && { signal: options.signal }),
  });
  if (out.spawnError !== undefined)
    return { diagnostics: [`plugin meta: ${out.spawnError}`], hasHeader: false };
  if (out.isTimedOut) {
    return { diagnostics: [`plugin meta: timed out after ${options.timeoutMs} ms`], hasHeader: false };
  }
  if (out.isAborted) return { diagnostics: ['plugin meta: aborted'], hasHeader: false };
  const parsed = parsePluginMeta(out.stdout);
  if (out.exitCode !== 0 && parsed.hasHeader) {
    return { ...parsed, diagnostics: [...parsed.diagnostics, `plugin meta: exit code ${out.exitCode}`] };
  }
  return parsed;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
