import { createHash } from 'node:crypto';
import { AppError } from '../base/errors.js';
import { labelNameRe, sortLabels, type Label, type Labels } from '../model/labels.js';
import { translateRe2 } from '../promql/parser/regex.js';

/**
 * Relabeling as Prometheus does it (model/relabel/relabel.go): a list of rules applied in order to a
 * label set, each reading source labels joined by a separator, matching a fully anchored regex and
 * rewriting, keeping or dropping. Used for targets (`relabel_configs`) and samples
 * (`metric_relabel_configs`). Regexes are Go RE2 syntax translated to JavaScript (see
 * {@link compileRelabelRegex}).
 */

/** The relabel actions Prometheus knows, lowercase. */
export type RelabelAction =
  | 'replace'
  | 'keep'
  | 'drop'
  | 'keepequal'
  | 'dropequal'
  | 'hashmod'
  | 'labelmap'
  | 'labeldrop'
  | 'labelkeep'
  | 'lowercase'
  | 'uppercase';

/** Every {@link RelabelAction}, for schemas. */
export const RELABEL_ACTIONS: readonly RelabelAction[] = [
  'replace',
  'keep',
  'drop',
  'keepequal',
  'dropequal',
  'hashmod',
  'labelmap',
  'labeldrop',
  'labelkeep',
  'lowercase',
  'uppercase',
];

/** A compiled, fully anchored relabel regex. */
export interface RelabelRegex {
  /** The regex as the user wrote it (without the anchors). */
  readonly source: string;
  /** `^(?:source)$` in JavaScript syntax. */
  readonly re: RegExp;
  /** True when the rule left `regex` unset (Prometheus's replace fast path depends on it). */
  readonly isDefault: boolean;
}

/** One relabel rule with Prometheus's defaults filled in; build it with {@link newRelabelConfig}. */
export interface RelabelConfig {
  readonly action: RelabelAction;
  readonly sourceLabels: readonly string[];
  readonly separator: string;
  readonly regex: RelabelRegex;
  /** For hashmod; a positive integer (up to 2^53 here, uint64 in Prometheus). */
  readonly modulus: number;
  readonly targetLabel: string;
  readonly replacement: string;
}

/** A rule as written in YAML (snake_case keys), every key optional. */
export interface RelabelConfigInput {
  readonly action?: string | undefined;
  readonly source_labels?: readonly string[] | undefined;
  readonly separator?: string | undefined;
  readonly regex?: string | null | undefined;
  readonly modulus?: number | undefined;
  readonly target_label?: string | undefined;
  readonly replacement?: string | undefined;
}

const DEFAULT_SEPARATOR = ';';
const DEFAULT_REPLACEMENT = '$1';
const DEFAULT_REGEX_SOURCE = '(.*)';
/** What a target_label with `$` variables must look like (Prometheus's relabelTarget). */
const relabelTargetRe = /^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$/;

/**
 * Compiles a Go RE2 regex, anchored as `^(?:source)$`. Translated: `(?P<name>` named groups, leading
 * flag groups such as `(?i)` or `(?s)`, `\A` and `\z`, POSIX classes like `[[:alpha:]]`, `\pL`.
 * Throws AppError('bad_input') when it does not compile.
 */
export function compileRelabelRegex(source: string, isDefault = false): RelabelRegex {
  let body = source;
  let flags = '';
  for (;;) {
    const m = /^\(\?([imsU]+)\)/.exec(body);
    if (m === null) break;
    for (const f of m[1]!) if (f !== 'U' && !flags.includes(f)) flags += f;
    body = body.slice(m[0].length);
  }
  const translated = translateRe2(body);
  const pattern = `^(?:${translated})$`;
  let re: RegExp | undefined;
  let lastError: unknown;
  for (const extra of ['u', '']) {
    try {
      re = new RegExp(pattern, flags + extra);
      break;
    } catch (e) {
      lastError = e;
    }
  }
  if (re === undefined) {
    throw new AppError('bad_input', `invalid regex ${JSON.stringify(source)}: ${String(lastError)}`);
  }
  return { source, re, isDefault };
}

/**
 * Fills Prometheus's defaults (action replace, separator `;`, regex `(.*)`, replacement `$1`) and
 * validates the rule as Prometheus's Config.Validate does. Throws AppError('bad_input') naming the
 * problem.
 */
export function newRelabelConfig(input: RelabelConfigInput): RelabelConfig {
  const action = (input.action ?? 'replace').toLowerCase();
  if (!(RELABEL_ACTIONS as readonly string[]).includes(action)) {
    throw new AppError('bad_input', `unknown relabel action ${JSON.stringify(input.action)}`);
  }
  const a = action as RelabelAction;
  const regex =
    input.regex === undefined
      ? compileRelabelRegex(DEFAULT_REGEX_SOURCE, true)
      : compileRelabelRegex(input.regex ?? '');
  const cfg: RelabelConfig = {
    action: a,
    sourceLabels: input.source_labels ?? [],
    separator: input.separator ?? DEFAULT_SEPARATOR,
    regex,
    modulus: input.modulus ?? 0,
    targetLabel: input.target_label ?? '',
    replacement: input.replacement ?? DEFAULT_REPLACEMENT,
  };
  const bad = (msg: string): never => {
    throw new AppError('bad_input', msg);
  };
  const t = cfg.targetLabel;
  if (a === 'hashmod' && cfg.modulus === 0)
    bad('relabel configuration for hashmod requires non-zero modulus');
  const needsTarget = ['replace', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal'];
  if (needsTarget.includes(a) && t === '') {
    bad(`relabel configuration for ${a} action requires 'target_label' value`);
  }
  if (a === 'replace' && !t.includes('$') && !labelNameRe.test(t)) {
    bad(`${JSON.stringify(t)} is invalid 'target_label' for ${a} action`);
  }
  if (a === 'replace' && t.includes('$') && !relabelTargetRe.test(t)) {
    bad(`${JSON.stringify(t)} is invalid 'target_label' for ${a} action`);
  }
  const eqOrCase = ['lowercase', 'uppercase', 'keepequal', 'dropequal'].includes(a);
  if (eqOrCase && !labelNameRe.test(t)) bad(`${JSON.stringify(t)} is invalid 'target_label' for ${a} action`);
  if (eqOrCase && cfg.replacement !== DEFAULT_REPLACEMENT) {
    bad(`'replacement' can not be set for ${a} action`);
  }
  if (a === 'labelmap' && !relabelTargetRe.test(cfg.replacement)) {
    bad(`${JSON.stringify(cfg.replacement)} is invalid 'replacement' for ${a} action`);
  }
  if (a === 'hashmod' && !labelNameRe.test(t))
    bad(`${JSON.stringify(t)} is invalid 'target_label' for ${a} action`);
  if (
    (a === 'keepequal' || a === 'dropequal') &&
    (!regex.isDefault || cfg.modulus !== 0 || cfg.separator !== DEFAULT_SEPARATOR)
  ) {
    bad(`${a} action requires only 'source_labels' and \`target_label\`, and no other fields`);
  }
  if (
    (a === 'labeldrop' || a === 'labelkeep') &&
    (input.source_labels !== undefined ||
      t !== '' ||
      cfg.modulus !== 0 ||
      cfg.separator !== DEFAULT_SEPARATOR ||
      cfg.replacement !== DEFAULT_REPLACEMENT)
  ) {
    bad(`${a} action requires only 'regex', and no other fields`);
  }
  return cfg;
}

/**
 * Applies `configs` in order to `labels`. Returns the new label set (sorted, empty values removed),
 * or null when a rule dropped it. Does not modify its inputs.
 */
export function relabel(labels: Labels, configs: readonly RelabelConfig[]): Labels | null {
  if (configs.length === 0) return labels;
  const lb = new Map<string, string>();
  for (const l of labels) lb.set(l.name, l.value);
  for (const cfg of configs) if (!applyRule(cfg, lb)) return null;
  const out: Label[] = [];
  for (const [name, value] of lb) out.push({ name, value });
  return sortLabels(out);
}

/** One rule on the label map (values '' mean absent); false = drop. */
function applyRule(cfg: RelabelConfig, lb: Map<string, string>): boolean {
  const get = (n: string): string => lb.get(n) ?? '';
  const set = (n: string, v: string): void => {
    if (v === '') lb.delete(n);
    else lb.set(n, v);
  };
  const val = cfg.sourceLabels.map(get).join(cfg.separator);
  const re = cfg.regex.re;
  switch (cfg.action) {
    case 'drop':
      return !re.test(val);
    case 'keep':
      return re.test(val);
    case 'dropequal':
      return get(cfg.targetLabel) !== val;
    case 'keepequal':
      return get(cfg.targetLabel) === val;
    case 'replace': {
      if (
        val === '' &&
        cfg.regex.isDefault &&
        !cfg.targetLabel.includes('$') &&
        !cfg.replacement.includes('$')
      ) {
        set(cfg.targetLabel, cfg.replacement);
        return true;
      }
      const m = re.exec(val);
      if (m === null) return true;
      const target = expandTemplate(cfg.targetLabel, m);
      if (!labelNameRe.test(target)) return true;
      set(target, expandTemplate(cfg.replacement, m));
      return true;
    }
    case 'lowercase':
      set(cfg.targetLabel, val.toLowerCase());
      return true;
    case 'uppercase':
      set(cfg.targetLabel, val.toUpperCase());
      return true;
    case 'hashmod':
      set(cfg.targetLabel, String(hashMod(val, cfg.modulus)));
      return true;
    case 'labelmap':
      for (const [name, value] of [...lb]) {
        const m = re.exec(name);
        if (m !== null) set(expandTemplate(cfg.replacement, m), value);
      }
      return true;
    case 'labeldrop':
      for (const name of [...lb.keys()]) if (re.test(name)) lb.delete(name);
      return true;
    case 'labelkeep':
      for (const name of [...lb.keys()]) if (!re.test(name)) lb.delete(name);
      return true;
  }
}

/**
 * Prometheus's hashmod: the md5 of `value` (UTF-8), its last 8 bytes read as a big-endian uint64,
 * modulo `modulus`.
 */
export function hashMod(value: string, modulus: number): number {
  const digest = createHash('md5').update(value, 'utf8').digest();
  return Number(digest.readBigUInt64BE(8) % BigInt(modulus));
}

const nameChar = /[\p{L}\p{Nd}_]/u;

/**
 * Go's Regexp.ExpandString: `$name` / `${name}` (longest run of letters, digits and `_`), numbers
 * for numbered groups, names for named ones, missing or unmatched groups expand to ''; `$$` is a `$`,
 * and a `$` not starting a valid reference is kept literally.
 */
export function expandTemplate(template: string, m: RegExpExecArray): string {
  if (!template.includes('$')) return template;
  let out = '';
  let i = 0;
  const chars = [...template];
  while (i < chars.length) {
    const c = chars[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    if (chars[i + 1] === '$') {
      out += '$';
      i += 2;
      continue;
    }
    const brace = chars[i + 1] === '{';
    let j = brace ? i + 2 : i + 1;
    const start = j;
    while (j < chars.length && nameChar.test(chars[j]!)) j++;
    if (j === start || (brace && chars[j] !== '}')) {
      out += '$';
      i++;
      continue;
    }
    const name = chars.slice(start, j).join('');
    i = brace ? j + 1 : j;
    out += groupValue(name, m);
  }
  return out;
}

function groupValue(name: string, m: RegExpExecArray): string {
  if (/^[0-9]+$/.test(name) && !(name.length > 1 && name.startsWith('0')) && name.length <= 8) {
    return m[Number(name)] ?? '';
  }
  return m.groups?.[name] ?? '';
}
