import { escapeLabelValue } from '../model/labels.js';
import type { MetricFamily, MetricType } from '../model/metric.js';

/**
 * Writes metric families in the Prometheus text format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
 */

/** The Content-Type of the text format 0.0.4. */
export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Renders families; samples keep their order, timestamps are written when present. */
export function writeText(families: Iterable<MetricFamily>): string {
  let out = '';
  for (const f of families) {
    if (f.help !== '') out += `# HELP ${f.name} ${escapeHelp(f.help)}\n`;
    out += `# TYPE ${f.name} ${textType(f.type)}\n`;
    for (const s of f.samples) {
      out += s.name;
      if (s.labels.length > 0) {
        out += '{';
        out += s.labels.map((l) => `${l.name}="${escapeLabelValue(l.value)}"`).join(',');
        out += '}';
      }
      out += ` ${formatValue(s.value)}`;
      if (s.timestampMs !== undefined) out += ` ${Math.round(s.timestampMs)}`;
      out += '\n';
    }
  }
  return out;
}

/** A float as Prometheus writes it: `+Inf`, `-Inf`, `NaN`, or the shortest round-trip form. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** The 0.0.4 format knows fewer types than OpenMetrics; the others are untyped there. */
function textType(t: MetricType): string {
  switch (t) {
    case 'counter':
    case 'gauge':
    case 'histogram':
    case 'summary':
      return t;
    case 'gaugehistogram':
    case 'info':
    case 'stateset':
    case 'unknown':
      return 'untyped';
  }
}
