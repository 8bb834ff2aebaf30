import { escapeLabelValue } from '../../model/labels.js';
import type { AtModifier, Expr, VectorSelector } from './ast.js';

/** Prints a duration in ms the way Prometheus does (`1h30m`, `500ms`, `0s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const units: [string, number][] = [
    ['y', 365 * 86400_000],
    ['w', 7 * 86400_000],
    ['d', 86400_000],
    ['h', 3600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ];
  let out = '';
  for (const [u, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${u}`;
      rest -= n * size;
    }
  }
  return sign + out;
}

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function quote(s: string): string {
  return `"${escapeLabelValue(s).replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`;
}

function formatLabelName(name: string): string {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) ? name : quote(name);
}

function formatModifiers(offsetMs: number, at: AtModifier | null): string {
  let out = '';
  if (at !== null) out += at.kind === 'time' ? ` @ ${(at.timeMs / 1000).toFixed(3)}` : ` @ ${at.kind}()`;
  if (offsetMs !== 0) out += ` offset ${formatDuration(offsetMs)}`;
  return out;
}

function formatSelectorCore(vs: VectorSelector): string {
  const rest = vs.matchers.filter((m) => !(m.name === '__name__' && m.type === '=' && m.value === vs.name));
  const nameOk = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(vs.name);
  const parts = rest.map((m) => `${formatLabelName(m.name)}${m.type}${quote(m.value)}`);
  if (vs.name !== '' && !nameOk) parts.unshift(quote(vs.name));
  const head = vs.name !== '' && nameOk ? vs.name : '';
  return parts.length === 0 ? head : `${head}{${parts.join(', ')}}`;
}

/**
 * Prints an expression as PromQL text that parses back to an equivalent tree (Prometheus's
 * `String()` style: single line, canonical spacing, durations in largest units).
 */
export function formatExpr(e: Expr): string {
  switch (e.type) {
    case 'NumberLiteral':
      return formatNumber(e.value);
    case 'StringLiteral':
      return quote(e.value);
    case 'ParenExpr':
      return `(${formatExpr(e.expr)})`;
    case 'UnaryExpr':
      return `${e.op}${formatExpr(e.expr)}`;
    case 'VectorSelector':
      return formatSelectorCore(e) + formatModifiers(e.offsetMs, e.at);
    case 'MatrixSelector':
      return `${formatSelectorCore(e.vectorSelector)}[${formatDuration(e.rangeMs)}]${formatModifiers(e.vectorSelector.offsetMs, e.vectorSelector.at)}`;
    case 'SubqueryExpr':
      return `${formatExpr(e.expr)}[${formatDuration(e.rangeMs)}:${e.stepMs === 0 ? '' : formatDuration(e.stepMs)}]${formatModifiers(e.offsetMs, e.at)}`;
    case 'Call':
      return `${e.func}(${e.args.map(formatExpr).join(', ')})`;
    case 'AggregateExpr': {
      let out = e.op;
      if (e.without || e.grouping.length > 0)
        out += ` ${e.without ? 'without' : 'by'} (${e.grouping.map(formatLabelName).join(', ')}) `;
      const args = e.param === null ? [e.expr] : [e.param, e.expr];
      return `${out}(${args.map(formatExpr).join(', ')})`;
    }
    case 'BinaryExpr': {
      let op: string = e.op;
      if (e.returnBool) op += ' bool';
      const vm = e.matching;
      if (vm !== null) {
        if (vm.on || vm.matchingLabels.length > 0)
          op += ` ${vm.on ? 'on' : 'ignoring'} (${vm.matchingLabels.map(formatLabelName).join(', ')})`;
        if (vm.card === 'many-to-one' || vm.card === 'one-to-many')
          op += ` ${vm.card === 'many-to-one' ? 'group_left' : 'group_right'} (${vm.include.map(formatLabelName).join(', ')})`;
      }
      return `${formatExpr(e.lhs)} ${op} ${formatExpr(e.rhs)}`;
    }
  }
}
