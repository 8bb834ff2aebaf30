import { AppError } from '../base/errors.js';
import { parsePromDuration } from '../promql/index.js';
import { formatGoG, formatGoValue, goSprintf } from './go-format.js';

/**
 * The subset of Go's text/template that Prometheus rule labels and annotations use, with
 * Prometheus's functions (template/template.go). Output matches Prometheus's: numbers print as
 * Go's `%v`, a missing label is '', an execution error becomes the caller's business.
 *
 * Values inside templates: string, number (Go float64), bigint (Go int), boolean, undefined (nil),
 * arrays, `Map<string, unknown>` (Go maps: label sets) and query samples ({@link TemplateSample}).
 */

/** One element of a `query` result, as Prometheus's `sample` struct (`.Labels`, `.Value`). */
export interface TemplateSample {
  readonly Labels: Map<string, string>;
  readonly Value: number;
}

/** Runs a PromQL expression for `query`; resolves with its vector. */
export type TemplateQueryFn = (expr: string) => Promise<TemplateSample[]>;

/** What a rule template sees: `$labels`, `$value`, `$externalLabels`, `$externalURL` (and `.Labels` …). */
export interface AlertTemplateData {
  readonly labels: Readonly<Record<string, string>>;
  readonly externalLabels: Readonly<Record<string, string>>;
  readonly externalURL: string;
  readonly value: number;
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipe }
  | { kind: 'if' | 'with'; pipe: Pipe; list: Node[]; elseList: Node[] }
  | { kind: 'range'; pipe: Pipe; list: Node[]; elseList: Node[] }
  | { kind: 'template'; name: string; pipe: Pipe | undefined };

interface Pipe {
  decl: string[];
  assign: boolean;
  cmds: Operand[][];
}

type Operand =
  | { kind: 'lit'; value: unknown }
  | { kind: 'ident'; name: string }
  | { kind: 'var'; name: string; fields: string[] }
  | { kind: 'field'; fields: string[] } // `.` is fields []
  | { kind: 'paren'; pipe: Pipe; fields: string[] };

type Tok = { t: 'ident' | 'var' | 'field' | 'str' | 'num' | 'sym'; v: string } | { t: 'end' };

/**
 * Which functions a template may call: Prometheus's rule-template functions, or Alertmanager's
 * notification-template DefaultFuncs (toUpper, toLower, title, trimSpace, join, match, safeHtml,
 * reReplaceAll, stringSlice, toJson) plus the humanize family. Both have Go's builtins.
 */
export type TemplateFuncs = 'prometheus' | 'alertmanager';

/** How {@link Template.parse} reads a text. */
export interface TemplateParseOptions {
  /** Function set; default 'prometheus'. */
  readonly funcs?: TemplateFuncs;
  /**
   * Accept calls to unknown functions at parse time and fail only when one runs (listed in
   * {@link Template.unknownFunctions}); default false, which rejects them as Go does.
   */
  readonly isLenient?: boolean;
}

/**
 * A template another one may call by name: a parsed {@link Template}, or a function computing the
 * output from the argument (Kanshi's TypeScript defaults).
 */
export type NamedTemplate = Template | ((dot: unknown) => string | Promise<string>);

/** How {@link Template.execute} runs. */
export interface TemplateExecuteOptions {
  /** Runs `query`; without it `query` fails. */
  readonly query?: TemplateQueryFn;
  /**
   * Resolves `{{template "NAME" …}}` before the template's own `define`s (a set whose later files
   * override earlier ones answers here); undefined falls back to the own defines.
   */
  readonly lookup?: (name: string) => NamedTemplate | undefined;
  /**
   * 'html' escapes the output of every action as Go's html/template does in element text (`&`, `<`,
   * `>`, `"`, `'`, `+`), except values made by `safeHtml` and the output of named templates (which
   * escape their own actions). Default: no escaping (text/template).
   */
  readonly escape?: 'html';
}

/** Output that `safeHtml` marks as not to be escaped (Go's html/template `HTML` type). */
export class SafeHtml {
  /** The HTML text, owned by the caller. */
  readonly html: string;

  constructor(html: string) {
    this.html = html;
  }

  /** The HTML text, so string functions see it as Go's `HTML` converts to string. */
  toString(): string {
    return this.html;
  }
}

/**
 * A value with methods taking arguments (Go methods such as Alertmanager's `KV.Remove`):
 * `{{ .Labels.Remove (stringSlice "a") }}` calls `templateMethod("Remove")` on `.Labels` with the
 * arguments. Returns undefined for a name that is no method.
 */
export interface TemplateMethods {
  templateMethod(name: string): ((args: readonly unknown[]) => unknown) | undefined;
}

/** A value that prints itself (Go's `fmt.Stringer`), as `{{ .CommonLabels }}` prints `a=b, c=d`. */
export interface TemplateStringer {
  templateString(): string;
}

/** Maximum nesting of `{{template}}` calls (Go allows 100000; Kanshi's calls are async). */
const MAX_TEMPLATE_DEPTH = 256;

const NODES = new WeakMap<Template, Node[]>();

/** A parsed template; {@link execute} may run it many times. */
export class Template {
  readonly name: string;
  readonly funcs: TemplateFuncs;
  /** Functions called but unknown to {@link funcs} (only with `isLenient`), sorted. */
  readonly unknownFunctions: readonly string[];
  /** Names this template calls with `{{template "NAME"}}` (directly), sorted. */
  readonly calledTemplates: readonly string[];
  /** The `{{define}}` blocks of the same text, shared by all of them (Go's associated templates). */
  readonly #associated: Map<string, Template>;

  private constructor(
    name: string,
    nodes: Node[],
    funcs: TemplateFuncs,
    info: { unknown: Set<string>; calls: Set<string> },
    associated: Map<string, Template>,
  ) {
    this.name = name;
    this.funcs = funcs;
    this.unknownFunctions = [...info.unknown].sort();
    this.calledTemplates = [...info.calls].sort();
    this.#associated = associated;
    NODES.set(this, nodes);
  }

  /**
   * Parses `text`; throws AppError 'bad_input' `template: NAME:LINE: …` as Go does. `vars` are the
   * variables the caller predeclares (`$labels`…). `{{define "X"}}…{{end}}` blocks become
   * {@link definitions}; `{{block "X" .}}…{{end}}` defines X and calls it.
   */
  static parse(
    name: string,
    text: string,
    vars: readonly string[] = [],
    options: TemplateParseOptions = {},
  ): Template {
    const funcs = options.funcs ?? 'prometheus';
    const parsed = new Parser(name, text, vars, funcs, options.isLenient ?? false).parseFile();
    const associated = new Map<string, Template>();
    for (const [n, d] of parsed.defines) associated.set(n, new Template(n, d.nodes, funcs, d, associated));
    return new Template(name, parsed.nodes, funcs, parsed, associated);
  }

  /** The templates defined in the same text by `{{define}}`/`{{block}}`, by name. */
  definitions(): ReadonlyMap<string, Template> {
    return this.#associated;
  }

  /**
   * Runs the template with `.` = `dot` and the given variables; rejects with AppError on an
   * execution error. The third argument is the `query` function or {@link TemplateExecuteOptions}.
   */
  async execute(
    dot: unknown,
    vars: ReadonlyMap<string, unknown>,
    options?: TemplateQueryFn | TemplateExecuteOptions,
  ): Promise<string> {
    const opts: TemplateExecuteOptions = typeof options === 'function' ? { query: options } : (options ?? {});
    return runTemplate(this, dot, vars, opts, 0);
  }

  /** Resolves a `{{template}}` call made from this template. */
  resolve(name: string, lookup: TemplateExecuteOptions['lookup']): NamedTemplate | undefined {
    return lookup?.(name) ?? this.#associated.get(name);
  }
}

async function runTemplate(
  t: Template,
  dot: unknown,
  vars: ReadonlyMap<string, unknown>,
  opts: TemplateExecuteOptions,
  depth: number,
): Promise<string> {
  const ex = new Executor(t, opts, depth);
  const scope = new Map<string, unknown>(vars);
  scope.set('$', dot);
  const out: string[] = [];
  await ex.list(NODES.get(t) ?? [], dot, scope, out);
  return out.join('');
}

/** Parses a rule template as Prometheus does (named `__alert_NAME`); throws on a parse error. */
export function parseRuleTemplate(ruleName: string, text: string): Template {
  return Template.parse(`__alert_${ruleName}`, text, [
    '$labels',
    '$externalLabels',
    '$externalURL',
    '$value',
  ]);
}

/**
 * Expands a label or annotation template of a rule as Prometheus's `template.Expander` with
 * `AlertTemplateData`. An execution error resolves to `<error expanding template: …>` as Prometheus
 * writes it into the label or annotation.
 */
export async function expandRuleTemplate(
  ruleName: string,
  text: string,
  data: AlertTemplateData,
  query?: TemplateQueryFn,
): Promise<string> {
  if (!text.includes('{{')) return text;
  try {
    const tmpl = parseRuleTemplate(ruleName, text);
    const dot = new Map<string, unknown>([
      ['Labels', new Map(Object.entries(data.labels))],
      ['ExternalLabels', new Map(Object.entries(data.externalLabels))],
      ['ExternalURL', data.externalURL],
      ['Value', data.value],
    ]);
    const vars = new Map<string, unknown>();
    vars.set('$labels', dot.get('Labels'));
    vars.set('$externalLabels', dot.get('ExternalLabels'));
    vars.set('$externalURL', data.externalURL);
    vars.set('$value', data.value);
    return await tmpl.execute(dot, vars, query);
  } catch (e) {
    return `<error expanding template: ${e instanceof Error ? e.message : String(e)}>`;
  }
}

/** Go's text/template builtins. */
const BUILTIN_FUNCS = [
  'and',
  'or',
  'not',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'len',
  'index',
  'print',
  'printf',
  'println',
  'html',
  'js',
  'urlquery',
  'slice',
  'call',
];

/** Every function name Prometheus's rule templates know (for parse-time "function not defined"). */
const PROMETHEUS_FUNCS = new Set([
  ...BUILTIN_FUNCS,
  'query',
  'first',
  'label',
  'value',
  'strvalue',
  'sortByLabel',
  'humanize',
  'humanize1024',
  'humanizeDuration',
  'humanizePercentage',
  'humanizeTimestamp',
  'toUpper',
  'toLower',
  'title',
  'reReplaceAll',
  'match',
  'safeHtml',
  'stripPort',
  'stripDomain',
  'args',
  'tmpl',
  'graphLink',
  'tableLink',
  'externalURL',
  'pathPrefix',
  'parseDuration',
  'toTime',
  'toDuration',
  'now',
  'urlQueryEscape',
]);

/**
 * Alertmanager's notification functions (template.DefaultFuncs) with Go's builtins, plus the humanize
 * family Kanshi keeps for notification templates written for it.
 */
const ALERTMANAGER_FUNCS = new Set([
  ...BUILTIN_FUNCS,
  'toUpper',
  'toLower',
  'title',
  'trimSpace',
  'join',
  'match',
  'safeHtml',
  'reReplaceAll',
  'stringSlice',
  'toJson',
  'humanize',
  'humanize1024',
  'humanizeDuration',
  'humanizePercentage',
  'humanizeTimestamp',
]);

/** What the parser produces besides nodes: functions it did not know and templates called. */
interface ParseInfo {
  unknown: Set<string>;
  calls: Set<string>;
}

class Parser {
  readonly #name: string;
  readonly #text: string;
  #pos = 0;
  #toks: Tok[] = [];
  #ti = 0;
  #line = 1;

  /** Declared variables; Go rejects an undeclared `$x` at parse time. Scopes are not popped (more lenient than Go). */
  readonly #vars: Set<string>;
  readonly #funcs: ReadonlySet<string>;
  readonly #isLenient: boolean;
  /** Unknown functions and calls of the template (or define) being parsed. */
  #info: ParseInfo = { unknown: new Set(), calls: new Set() };
  readonly #defines = new Map<string, ParseInfo & { nodes: Node[] }>();
  /** Nesting of if/with/range/define: `define` is allowed only at the top. */
  #depth = 0;

  constructor(name: string, text: string, vars: readonly string[], funcs: TemplateFuncs, isLenient: boolean) {
    this.#name = name;
    this.#text = text;
    this.#vars = new Set(['$', ...vars]);
    this.#funcs = funcs === 'alertmanager' ? ALERTMANAGER_FUNCS : PROMETHEUS_FUNCS;
    this.#isLenient = isLenient;
  }

  /** Parses the whole text: its own nodes and its `define`s. */
  parseFile(): ParseInfo & { nodes: Node[]; defines: Map<string, ParseInfo & { nodes: Node[] }> } {
    const nodes = this.parseAll();
    return { nodes, ...this.#info, defines: this.#defines };
  }

  /** Parses `{{define "X"}}…{{end}}` (or `block`) after its keyword; records it, returns its name. */
  #define(kind: 'define' | 'block'): { name: string; pipe: Pipe | undefined } {
    if (this.#depth > 0) throw this.#err(`unexpected <${kind}> in command`);
    const nameTok = this.#peek();
    if (nameTok.t !== 'str')
      throw this.#err(`unexpected ${nameTok.t === 'end' ? 'end' : `"${nameTok.v}"`} in ${kind} clause`);
    this.#ti++;
    let pipe: Pipe | undefined;
    if (kind === 'block') pipe = this.#pipe();
    this.#expectEnd();
    const outer = this.#info;
    this.#info = { unknown: new Set(), calls: new Set() };
    this.#depth++;
    const [nodes, stop] = this.#list();
    this.#depth--;
    if (stop !== 'end') throw this.#err(`unexpected ${stop === 'eof' ? 'EOF' : `{{${stop}}}`} in ${kind}`);
    this.#defines.set(nameTok.v, { nodes, ...this.#info });
    this.#info = outer;
    return { name: nameTok.v, pipe };
  }

  #err(msg: string): AppError {
    return new AppError('bad_input', `template: ${this.#name}:${this.#line}: ${msg}`);
  }

  parseAll(): Node[] {
    const [list, end] = this.#list();
    if (end !== 'eof') throw this.#err(`unexpected {{${end}}}`);
    return list;
  }

  /** Parses nodes until `{{end}}`, `{{else…}}` or EOF; returns which stopped it. */
  #list(): [Node[], string] {
    const out: Node[] = [];
    for (;;) {
      const open = this.#text.indexOf('{{', this.#pos);
      if (open < 0) {
        if (this.#pos < this.#text.length) out.push({ kind: 'text', text: this.#text.slice(this.#pos) });
        this.#pos = this.#text.length;
        return [out, 'eof'];
      }
      let text = this.#text.slice(this.#pos, open);
      let start = open + 2;
      if (
        this.#text.startsWith('- ', start) ||
        this.#text.startsWith('-\t', start) ||
        this.#text.startsWith('-\n', start)
      ) {
        text = text.replace(/\s+$/, '');
        start += 1;
      }
      this.#line += (this.#text.slice(this.#pos, open).match(/\n/g) ?? []).length;
      if (text !== '') out.push({ kind: 'text', text });
      const inner = this.#scanAction(start);
      // comments
      const trimmed = inner.trim();
      if (trimmed.startsWith('/*')) {
        if (!trimmed.endsWith('*/')) throw this.#err('unclosed comment');
        continue;
      }
      this.#lex(inner);
      const first = this.#peek();
      if (first.t === 'ident' && ['if', 'with', 'range'].includes(first.v)) {
        this.#ti++;
        const kind = first.v as 'if' | 'with' | 'range';
        out.push(this.#control(kind));
        continue;
      }
      if (first.t === 'ident' && first.v === 'end') {
        this.#ti++;
        this.#expectEnd();
        return [out, 'end'];
      }
      if (first.t === 'ident' && first.v === 'else') {
        this.#ti++;
        return [out, 'else'];
      }
      if (first.t === 'ident' && (first.v === 'define' || first.v === 'block')) {
        this.#ti++;
        const d = this.#define(first.v);
        if (first.v === 'block') {
          this.#info.calls.add(d.name);
          out.push({ kind: 'template', name: d.name, pipe: d.pipe });
        }
        continue;
      }
      if (first.t === 'ident' && first.v === 'template') {
        this.#ti++;
        const nameTok = this.#peek();
        if (nameTok.t !== 'str')
          throw this.#err(`unexpected ${nameTok.t === 'end' ? 'end' : `"${nameTok.v}"`} in template clause`);
        this.#ti++;
        const pipe = this.#peek().t === 'end' ? undefined : this.#pipe();
        this.#expectEnd();
        this.#info.calls.add(nameTok.v);
        out.push({ kind: 'template', name: nameTok.v, pipe });
        continue;
      }
      if (first.t === 'ident' && ['break', 'continue'].includes(first.v)) {
        throw this.#err(`unsupported action "${first.v}"`);
      }
      if (first.t === 'end') throw this.#err('missing value for command');
      const pipe = this.#pipe();
      this.#expectEnd();
      out.push({ kind: 'action', pipe });
    }
  }

  #control(kind: 'if' | 'with' | 'range'): Node {
    const pipe = this.#pipe();
    this.#expectEnd();
    this.#depth++;
    try {
      return this.#controlBody(kind, pipe);
    } finally {
      this.#depth--;
    }
  }

  #controlBody(kind: 'if' | 'with' | 'range', pipe: Pipe): Node {
    const [list, stop] = this.#list();
    let elseList: Node[] = [];
    if (stop === 'else') {
      const next = this.#peek();
      if (next.t === 'ident' && (next.v === 'if' || next.v === 'with') && kind !== 'range') {
        // `{{else if …}}`: a nested control that consumes the shared {{end}}.
        this.#ti++;
        elseList = [this.#control(next.v)];
      } else {
        this.#expectEnd();
        const [el, stop2] = this.#list();
        if (stop2 !== 'end') throw this.#err(`unexpected EOF in ${kind}`);
        elseList = el;
      }
    } else if (stop !== 'end') {
      throw this.#err('unexpected EOF');
    }
    return kind === 'range' ? { kind, pipe, list, elseList } : { kind, pipe, list, elseList };
  }

  #scanAction(start: number): string {
    let i = start;
    let inStr: string | undefined;
    while (i < this.#text.length) {
      const c = this.#text[i]!;
      if (inStr !== undefined) {
        if (c === '\\' && inStr === '"') i++;
        else if (c === inStr) inStr = undefined;
        i++;
        continue;
      }
      if (c === '"' || c === '`' || c === "'") {
        inStr = c;
        i++;
        continue;
      }
      if (this.#text.startsWith(' -}}', i)) {
        const inner = this.#text.slice(start, i);
        this.#pos = i + 4;
        const m = /^\s*/.exec(this.#text.slice(this.#pos));
        this.#line += ((m?.[0] ?? '').match(/\n/g) ?? []).length;
        this.#pos += m?.[0].length ?? 0;
        return inner;
      }
      if (this.#text.startsWith('}}', i)) {
        const inner = this.#text.slice(start, i);
        this.#pos = i + 2;
        return inner;
      }
      i++;
    }
    throw this.#err('unclosed action');
  }

  #lex(s: string): void {
    const toks: Tok[] = [];
    let i = 0;
    const identRe = /[A-Za-z_][A-Za-z0-9_]*/y;
    while (i < s.length) {
      const c = s[i]!;
      if (/\s/.test(c)) {
        if (c === '\n') this.#line++;
        i++;
        continue;
      }
      if (c === '|' || c === '(' || c === ')' || c === ',') {
        toks.push({ t: 'sym', v: c });
        i++;
        continue;
      }
      if (s.startsWith(':=', i)) {
        toks.push({ t: 'sym', v: ':=' });
        i += 2;
        continue;
      }
      if (c === '=') {
        toks.push({ t: 'sym', v: '=' });
        i++;
        continue;
      }
      if (c === '"') {
        let j = i + 1;
        let v = '';
        for (; j < s.length && s[j] !== '"'; j++) {
          if (s[j] === '\\') {
            j++;
            const e = s[j];
            const map: Record<string, string> = {
              n: '\n',
              t: '\t',
              r: '\r',
              '\\': '\\',
              '"': '"',
              "'": "'",
              a: '\x07',
              b: '\b',
              f: '\f',
              v: '\v',
            };
            if (e !== undefined && map[e] !== undefined) v += map[e];
            else throw this.#err(`invalid syntax in string`);
          } else v += s[j];
        }
        if (j >= s.length) throw this.#err('unterminated quoted string');
        toks.push({ t: 'str', v });
        i = j + 1;
        continue;
      }
      if (c === '`') {
        const j = s.indexOf('`', i + 1);
        if (j < 0) throw this.#err('unterminated raw quoted string');
        toks.push({ t: 'str', v: s.slice(i + 1, j) });
        i = j + 1;
        continue;
      }
      if (c === "'") {
        const j = s.indexOf("'", i + 1);
        if (j < 0) throw this.#err('unterminated character constant');
        toks.push({ t: 'num', v: String(BigInt(s.slice(i + 1, j).codePointAt(0) ?? 0)) });
        i = j + 1;
        continue;
      }
      if (/[0-9]/.test(c) || ((c === '-' || c === '+') && /[0-9.]/.test(s[i + 1] ?? ''))) {
        const m = /[-+]?(0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)/y;
        m.lastIndex = i;
        const r = m.exec(s);
        if (!r) throw this.#err(`bad number syntax: ${s.slice(i)}`);
        toks.push({ t: 'num', v: r[0] });
        i += r[0].length;
        continue;
      }
      if (c === '$' || c === '.') {
        const m = /(\$[A-Za-z0-9_]*|)((?:\.[A-Za-z_][A-Za-z0-9_]*)*)(\.?)/y;
        m.lastIndex = i;
        const r = m.exec(s);
        if (!r || r[0] === '') throw this.#err(`unexpected "${c}"`);
        toks.push({ t: c === '$' ? 'var' : 'field', v: r[1] === '' ? r[2]! : r[1]! + r[2]! });
        i += r[0].length;
        continue;
      }
      identRe.lastIndex = i;
      const r = identRe.exec(s);
      if (r) {
        toks.push({ t: 'ident', v: r[0] });
        i += r[0].length;
        continue;
      }
      throw this.#err(`unexpected "${c}" in command`);
    }
    toks.push({ t: 'end' });
    this.#toks = toks;
    this.#ti = 0;
  }

  #peek(): Tok {
    return this.#toks[this.#ti] ?? { t: 'end' };
  }

  #expectEnd(): void {
    const t = this.#peek();
    if (t.t !== 'end') throw this.#err(`unexpected "${t.v}" in command`);
  }

  #pipe(stopAtParen = false): Pipe {
    const decl: string[] = [];
    let assign = false;
    // declarations: $x := or $i, $e :=
    const save = this.#ti;
    const a = this.#peek();
    if (a.t === 'var' && !a.v.includes('.')) {
      const names = [a.v];
      this.#ti++;
      let b = this.#peek();
      if (b.t === 'sym' && b.v === ',') {
        this.#ti++;
        const c = this.#peek();
        if (c.t === 'var') {
          names.push(c.v);
          this.#ti++;
        }
        b = this.#peek();
      }
      if (b.t === 'sym' && (b.v === ':=' || b.v === '=')) {
        this.#ti++;
        decl.push(...names);
        for (const n of names) this.#vars.add(n);
        assign = b.v === '=';
      } else this.#ti = save;
    }
    const cmds: Operand[][] = [];
    let cmd: Operand[] = [];
    for (;;) {
      const t = this.#peek();
      if (t.t === 'end' || (t.t === 'sym' && t.v === ')')) {
        if (t.t === 'sym' && !stopAtParen) throw this.#err('unexpected right paren');
        break;
      }
      if (t.t === 'sym' && t.v === '|') {
        if (cmd.length === 0) throw this.#err('missing command');
        cmds.push(cmd);
        cmd = [];
        this.#ti++;
        continue;
      }
      cmd.push(this.#operand());
    }
    if (cmd.length === 0)
      throw this.#err(cmds.length === 0 ? 'missing value for command' : 'missing command');
    cmds.push(cmd);
    for (const [i, c] of cmds.entries()) {
      const head = c[0]!;
      if (i > 0 && head.kind !== 'ident' && !(head.kind === 'field' && c.length === 1)) {
        // Go: a non-function after a pipe is an error at execution; parse accepts fields.
        if (head.kind === 'lit') throw this.#err('non executable command in pipeline stage 2');
      }
    }
    return { decl, assign, cmds };
  }

  #operand(): Operand {
    const t = this.#peek();
    this.#ti++;
    switch (t.t) {
      case 'str':
        return { kind: 'lit', value: t.v };
      case 'num': {
        if (/^[-+]?(0x[0-9a-fA-F]+|[0-9]+)$/.test(t.v)) return { kind: 'lit', value: BigInt(t.v) };
        return { kind: 'lit', value: Number(t.v) };
      }
      case 'ident':
        if (t.v === 'true' || t.v === 'false') return { kind: 'lit', value: t.v === 'true' };
        if (t.v === 'nil') return { kind: 'lit', value: undefined };
        if (!this.#funcs.has(t.v)) {
          if (!this.#isLenient) throw this.#err(`function "${t.v}" not defined`);
          this.#info.unknown.add(t.v);
        }
        return { kind: 'ident', name: t.v };
      case 'var': {
        const [name = '', ...fields] = t.v.split('.');
        if (!this.#vars.has(name)) throw this.#err(`undefined variable "${name}"`);
        return { kind: 'var', name, fields };
      }
      case 'field':
        return { kind: 'field', fields: t.v.split('.').filter((f) => f !== '') };
      case 'sym':
        if (t.v === '(') {
          const pipe = this.#pipe(true);
          const close = this.#peek();
          if (close.t !== 'sym' || close.v !== ')') throw this.#err('unclosed left paren');
          this.#ti++;
          const f = this.#peek();
          let fields: string[] = [];
          if (f.t === 'field' && f.v !== '.') {
            fields = f.v.split('.').filter((x) => x !== '');
            this.#ti++;
          }
          return { kind: 'paren', pipe, fields };
        }
        throw this.#err(`unexpected "${t.v}" in operand`);
      case 'end':
        throw this.#err('missing value for command');
    }
  }
}

function truth(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === '' || v === 0 || v === 0n) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  return true;
}

function toFloat(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') {
    const n = Number(v.trim());
    if (v.trim() === '' || Number.isNaN(n)) {
      if (/^[-+]?(nan|inf(inity)?)$/i.test(v.trim()))
        return v.toLowerCase().includes('nan') ? NaN : v.startsWith('-') ? -Infinity : Infinity;
      throw new AppError('bad_input', `strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`);
    }
    return n;
  }
  throw new AppError('bad_input', `can't convert ${typeof v} to float`);
}

const G4 = (v: number): string => formatGoG(v, 4);

function field(v: unknown, name: string): unknown {
  if (v instanceof Map) {
    if ((v as Map<string, unknown>).has(name)) return v.get(name);
    if (isStringMap(v)) return '';
    throw new AppError('bad_input', `map has no entry for key "${name}"`);
  }
  if (v !== null && typeof v === 'object' && name in v) return (v as Record<string, unknown>)[name];
  throw new AppError('bad_input', `can't evaluate field ${name} in type ${goType(v)}`);
}

function isStringMap(m: Map<unknown, unknown>): boolean {
  for (const v of m.values()) if (typeof v !== 'string') return false;
  return true;
}

function goType(v: unknown): string {
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof Map) return 'map[string]string';
  if (Array.isArray(v)) return 'template.queryResult';
  return 'interface {}';
}

function compare(a: unknown, b: unknown): number {
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    const x = Number(a);
    const y = Number(b);
    return x < y ? -1 : x > y ? 1 : x === y ? 0 : NaN;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : NaN;
  throw new AppError('bad_input', 'incompatible types for comparison');
}

function goTitle(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase());
}

/** golang.org/x/text/cases Title: each word's first letter upper case, the rest lower case. */
function casesTitle(s: string): string {
  return s.replace(/[\p{L}\p{N}_']+/gu, (w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase());
}

/** Go's html/template escaping of element text. */
function escapeHtml(s: string): string {
  return s.replace(/[&<>"'+\0]/g, (c) => HTML_ESCAPES[c] ?? c);
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&#34;',
  "'": '&#39;',
  '+': '&#43;',
  '\0': '\uFFFD',
};

function isStringer(v: unknown): v is TemplateStringer {
  return (
    v !== null &&
    typeof v === 'object' &&
    typeof (v as Partial<TemplateStringer>).templateString === 'function'
  );
}

/** Go's json.Marshal of a template value: maps with sorted keys, `<`, `>`, `&` escaped. */
function goJson(v: unknown): string {
  const plain = (x: unknown): unknown => {
    if (x instanceof SafeHtml) return x.html;
    if (typeof x === 'bigint') return Number(x);
    if (x instanceof Map) {
      const o: Record<string, unknown> = {};
      for (const k of [...(x as Map<string, unknown>).keys()].sort()) o[k] = plain(x.get(k));
      return o;
    }
    if (Array.isArray(x)) return x.map(plain);
    if (x !== null && typeof x === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, y] of Object.entries(x)) o[k] = plain(y);
      return o;
    }
    if (typeof x === 'number' && !Number.isFinite(x))
      throw new AppError('bad_input', `json: unsupported value: ${formatGoValue(x)}`);
    return x === undefined ? null : x;
  };
  return JSON.stringify(plain(v)).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

function goRegex(pattern: string): RegExp {
  try {
    return new RegExp(pattern.replace(/\(\?P</g, '(?<'), 'u');
  } catch (e) {
    throw new AppError('bad_input', `error parsing regexp: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** `time.Time.String()` in UTC of Prometheus's floatToTime: seconds → ns → truncated to ms (model.Time). */
function formatGoTime(seconds: number): string {
  const ms = Math.trunc(Math.trunc(seconds * 1e9) / 1e6);
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  let s = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  const frac = ((ms % 1000) + 1000) % 1000;
  if (frac > 0) s += `.${String(frac).padStart(3, '0').replace(/0+$/, '')}`;
  return `${s} +0000 UTC`;
}

class Executor {
  readonly #name: string;
  readonly #query: TemplateQueryFn | undefined;
  readonly #template: Template;
  readonly #opts: TemplateExecuteOptions;
  readonly #depth: number;

  constructor(template: Template, opts: TemplateExecuteOptions, depth: number) {
    this.#name = template.name;
    this.#query = opts.query;
    this.#template = template;
    this.#opts = opts;
    this.#depth = depth;
  }

  /** Prints an action's value as Go does, escaped for HTML when asked. */
  #print(v: unknown): string {
    if (v instanceof SafeHtml) return v.html;
    const s = isStringer(v) ? v.templateString() : formatGoValue(v);
    return this.#opts.escape === 'html' ? escapeHtml(s) : s;
  }

  async #callTemplate(name: string, dot: unknown): Promise<string> {
    const t = this.#template.resolve(name, this.#opts.lookup);
    if (t === undefined) throw this.#err(`no such template "${name}"`);
    if (this.#depth >= MAX_TEMPLATE_DEPTH)
      throw this.#err(`exceeded maximum template depth (${MAX_TEMPLATE_DEPTH})`);
    if (typeof t === 'function') return t(dot);
    return runTemplate(t, dot, new Map(), this.#opts, this.#depth + 1);
  }

  #err(msg: string): AppError {
    return new AppError('bad_input', `template: ${this.#name}: executing "${this.#name}": ${msg}`);
  }

  async list(
    nodes: readonly Node[],
    dot: unknown,
    scope: Map<string, unknown>,
    out: string[],
  ): Promise<void> {
    for (const n of nodes) {
      switch (n.kind) {
        case 'text':
          out.push(n.text);
          break;
        case 'action': {
          const v = await this.pipe(n.pipe, dot, scope);
          if (n.pipe.decl.length === 0) out.push(this.#print(v));
          break;
        }
        case 'template': {
          const arg = n.pipe === undefined ? undefined : await this.pipe(n.pipe, dot, new Map(scope));
          out.push(await this.#callTemplate(n.name, arg));
          break;
        }
        case 'if':
        case 'with': {
          const inner = new Map(scope);
          const v = await this.pipe(n.pipe, dot, inner);
          if (truth(v)) await this.list(n.list, n.kind === 'with' ? v : dot, inner, out);
          else await this.list(n.elseList, dot, inner, out);
          break;
        }
        case 'range': {
          const inner = new Map(scope);
          const saveDecl = n.pipe.decl;
          const v = await this.pipe({ ...n.pipe, decl: [] }, dot, inner);
          let items: [unknown, unknown][];
          if (Array.isArray(v)) items = v.map((x, i) => [BigInt(i), x]);
          else if (v instanceof Map)
            items = [...(v as Map<string, unknown>).keys()].sort().map((k) => [k, v.get(k)]);
          else if (typeof v === 'bigint')
            items = Array.from({ length: Number(v) }, (_, i) => [BigInt(i), BigInt(i)]);
          else if (v === undefined) items = [];
          else throw this.#err(`range can't iterate over ${formatGoValue(v)}`);
          if (items.length === 0) {
            await this.list(n.elseList, dot, inner, out);
            break;
          }
          for (const [k, x] of items) {
            const s = new Map(inner);
            if (saveDecl.length === 1) s.set(saveDecl[0]!, x);
            if (saveDecl.length === 2) {
              s.set(saveDecl[0]!, k);
              s.set(saveDecl[1]!, x);
            }
            await this.list(n.list, x, s, out);
          }
          break;
        }
      }
    }
  }

  async pipe(p: Pipe, dot: unknown, scope: Map<string, unknown>): Promise<unknown> {
    let v: unknown = undefined;
    let hasPrev = false;
    for (const cmd of p.cmds) {
      v = await this.#command(cmd, dot, scope, hasPrev ? [v] : []);
      hasPrev = true;
    }
    for (const d of p.decl) {
      if (p.assign && !scope.has(d)) throw this.#err(`undefined variable: ${d}`);
      scope.set(d, v);
    }
    return v;
  }

  async #operand(o: Operand, dot: unknown, scope: Map<string, unknown>): Promise<unknown> {
    switch (o.kind) {
      case 'lit':
        return o.value;
      case 'ident':
        return this.#call(o.name, []);
      case 'var': {
        if (!scope.has(o.name)) throw this.#err(`undefined variable "${o.name}"`);
        let v = scope.get(o.name);
        for (const f of o.fields) v = this.#field(v, f);
        return v;
      }
      case 'field': {
        let v = dot;
        for (const f of o.fields) v = this.#field(v, f);
        return v;
      }
      case 'paren': {
        let v = await this.pipe(o.pipe, dot, new Map(scope));
        for (const f of o.fields) v = this.#field(v, f);
        return v;
      }
    }
  }

  #field(v: unknown, name: string): unknown {
    try {
      return field(v, name);
    } catch (e) {
      throw this.#err(e instanceof Error ? e.message : String(e));
    }
  }

  async #command(
    cmd: Operand[],
    dot: unknown,
    scope: Map<string, unknown>,
    piped: unknown[],
  ): Promise<unknown> {
    const head = cmd[0]!;
    if (head.kind === 'ident') {
      const args: unknown[] = [];
      if (head.name === 'and' || head.name === 'or') {
        // Short-circuit as Go 1.18+: stop at the first deciding argument.
        const all: Operand[] = [...cmd.slice(1), ...piped.map((value): Operand => ({ kind: 'lit', value }))];
        if (all.length === 0) throw this.#err(`wrong number of args for ${head.name}: want at least 1 got 0`);
        let v: unknown;
        for (const a of all) {
          v = await this.#operand(a, dot, scope);
          if (head.name === 'and' ? !truth(v) : truth(v)) return v;
        }
        return v;
      }
      for (const a of cmd.slice(1)) args.push(await this.#operand(a, dot, scope));
      args.push(...piped);
      try {
        return await this.#call(head.name, args);
      } catch (e) {
        if (e instanceof AppError && e.message.startsWith('template:')) throw e;
        throw this.#err(`error calling ${head.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (cmd.length > 1 || piped.length > 0) {
      const method = await this.#method(head, dot, scope);
      if (method === undefined) throw this.#err(`can't give argument to non-function ${formatOperand(head)}`);
      const args: unknown[] = [];
      for (const a of cmd.slice(1)) args.push(await this.#operand(a, dot, scope));
      args.push(...piped);
      try {
        return method(args);
      } catch (e) {
        throw this.#err(
          `error calling ${formatOperand(head)}: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
    return this.#operand(head, dot, scope);
  }

  /** The method `head` names (`.Labels.Remove`, `$x.Remove`), if its receiver has one by that name. */
  async #method(
    head: Operand,
    dot: unknown,
    scope: Map<string, unknown>,
  ): Promise<((args: readonly unknown[]) => unknown) | undefined> {
    if (head.kind === 'lit' || head.kind === 'ident' || head.fields.length === 0) return undefined;
    const name = head.fields.at(-1)!;
    const recv = await this.#operand({ ...head, fields: head.fields.slice(0, -1) }, dot, scope);
    if (recv !== null && typeof recv === 'object' && 'templateMethod' in recv)
      return (recv as TemplateMethods).templateMethod(name);
    return undefined;
  }

  async #call(name: string, raw: unknown[]): Promise<unknown> {
    // Go converts html/template's HTML to string wherever a function takes a string.
    const a = name === 'safeHtml' ? raw : raw.map((x) => (x instanceof SafeHtml ? x.html : x));
    const want = (n: number): void => {
      if (a.length !== n) throw this.#err(`wrong number of args for ${name}: want ${n} got ${a.length}`);
    };
    switch (name) {
      case 'not':
        want(1);
        return !truth(a[0]);
      case 'eq': {
        if (a.length < 2) throw this.#err('wrong number of args for eq: want at least 2');
        return a.slice(1).some((b) => compare(a[0], b) === 0);
      }
      case 'ne':
        want(2);
        return compare(a[0], a[1]) !== 0;
      case 'lt':
        want(2);
        return compare(a[0], a[1]) < 0;
      case 'le':
        want(2);
        return compare(a[0], a[1]) <= 0;
      case 'gt':
        want(2);
        return compare(a[0], a[1]) > 0;
      case 'ge':
        want(2);
        return compare(a[0], a[1]) >= 0;
      case 'len': {
        want(1);
        const v = a[0];
        if (typeof v === 'string') return BigInt(Buffer.byteLength(v));
        if (Array.isArray(v)) return BigInt(v.length);
        if (v instanceof Map) return BigInt(v.size);
        throw new AppError('bad_input', `len of type ${goType(v)}`);
      }
      case 'index': {
        let v = a[0];
        for (const k of a.slice(1)) {
          if (v instanceof Map) v = (v as Map<unknown, unknown>).get(k) ?? (isStringMap(v) ? '' : undefined);
          else if (Array.isArray(v)) v = v[Number(k)];
          else throw new AppError('bad_input', `can't index item of type ${goType(v)}`);
        }
        return v;
      }
      case 'slice': {
        const [v, ...idx] = a;
        if (typeof v !== 'string' && !Array.isArray(v))
          throw new AppError('bad_input', `can't slice item of type ${goType(v)}`);
        if (idx.length > 2) throw new AppError('bad_input', 'too many slice indexes: ' + String(idx.length));
        const from = idx[0] === undefined ? 0 : Number(idx[0]);
        const to = idx[1] === undefined ? v.length : Number(idx[1]);
        if (from < 0 || to > v.length || from > to)
          throw new AppError('bad_input', `index out of range: ${from}:${to}`);
        return v.slice(from, to);
      }
      case 'print':
        return a.map(formatGoValue).join('');
      case 'println':
        return `${a.map(formatGoValue).join(' ')}\n`;
      case 'printf':
        if (typeof a[0] !== 'string') throw new AppError('bad_input', 'printf format must be a string');
        return goSprintf(a[0], a.slice(1));
      case 'query': {
        want(1);
        if (!this.#query) throw new AppError('bad_input', 'query is not available here');
        return this.#query(String(a[0]));
      }
      case 'first': {
        want(1);
        const v = a[0];
        if (Array.isArray(v) && v.length > 0) return v[0];
        throw new AppError('bad_input', 'first() called on vector with no elements');
      }
      case 'label': {
        want(2);
        const s = a[1] as TemplateSample | undefined;
        return s?.Labels.get(String(a[0])) ?? '';
      }
      case 'value':
        want(1);
        return (a[0] as TemplateSample).Value;
      case 'strvalue':
        want(1);
        return (a[0] as TemplateSample).Labels.get('__value__') ?? '';
      case 'sortByLabel': {
        want(2);
        const l = String(a[0]);
        return [...(a[1] as TemplateSample[])].sort((x, y) =>
          (x.Labels.get(l) ?? '') < (y.Labels.get(l) ?? '')
            ? -1
            : (x.Labels.get(l) ?? '') > (y.Labels.get(l) ?? '')
              ? 1
              : 0,
        );
      }
      case 'humanize': {
        want(1);
        let v = toFloat(a[0]);
        if (v === 0 || !Number.isFinite(v)) return G4(v);
        if (Math.abs(v) >= 1) {
          let prefix = '';
          for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
            if (Math.abs(v) < 1000) break;
            prefix = p;
            v /= 1000;
          }
          return G4(v) + prefix;
        }
        let prefix = '';
        for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
          if (Math.abs(v) >= 1) break;
          prefix = p;
          v *= 1000;
        }
        return G4(v) + prefix;
      }
      case 'humanize1024': {
        want(1);
        let v = toFloat(a[0]);
        if (Math.abs(v) <= 1 || !Number.isFinite(v)) return G4(v);
        let prefix = '';
        for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
          if (Math.abs(v) < 1024) break;
          prefix = p;
          v /= 1024;
        }
        return G4(v) + prefix;
      }
      case 'humanizeDuration': {
        want(1);
        let v = toFloat(a[0]);
        if (!Number.isFinite(v)) return G4(v);
        if (v === 0) return `${G4(v)}s`;
        if (Math.abs(v) >= 1) {
          let sign = '';
          if (v < 0) {
            sign = '-';
            v = -v;
          }
          const d = Math.trunc(v);
          const seconds = d % 60;
          const minutes = Math.trunc(d / 60) % 60;
          const hours = Math.trunc(d / 3600) % 24;
          const days = Math.trunc(d / 86400);
          if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
          if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
          if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
          return `${sign}${G4(v)}s`;
        }
        let prefix = '';
        for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
          if (Math.abs(v) >= 1) break;
          prefix = p;
          v *= 1000;
        }
        return `${G4(v)}${prefix}s`;
      }
      case 'humanizePercentage':
        want(1);
        return `${G4(toFloat(a[0]) * 100)}%`;
      case 'humanizeTimestamp': {
        want(1);
        const v = toFloat(a[0]);
        if (!Number.isFinite(v)) return G4(v);
        return formatGoTime(v);
      }
      case 'toTime': {
        want(1);
        const v = toFloat(a[0]);
        if (!Number.isFinite(v)) throw new AppError('bad_input', 'value is NaN or Inf');
        return formatGoTime(v);
      }
      case 'toUpper':
        want(1);
        return String(a[0]).toUpperCase();
      case 'toLower':
        want(1);
        return String(a[0]).toLowerCase();
      case 'title':
        want(1);
        // Alertmanager: cases.Title (rest of each word lower case); Prometheus: strings.Title.
        return this.#template.funcs === 'alertmanager' ? casesTitle(String(a[0])) : goTitle(String(a[0]));
      case 'trimSpace':
        want(1);
        return String(a[0]).trim();
      case 'join': {
        want(2);
        if (!Array.isArray(a[1]))
          throw new AppError('bad_input', `join wants a list of strings, got ${goType(a[1])}`);
        return a[1].map((x) => formatGoValue(x)).join(String(a[0]));
      }
      case 'stringSlice':
        return a.map((x) => String(x));
      case 'toJson':
        want(1);
        return goJson(a[0]);
      case 'match':
        want(2);
        return goRegex(String(a[0])).test(String(a[1]));
      case 'reReplaceAll': {
        want(3);
        const re = goRegex(String(a[0]));
        const repl = String(a[1]).replace(/\$\{(\w+)\}/g, (_m, g: string) =>
          /^\d+$/.test(g) ? `$${g}` : `$<${g}>`,
        );
        return String(a[2]).replace(new RegExp(re.source, 'gu'), repl);
      }
      case 'safeHtml':
        if (this.#template.funcs === 'alertmanager') {
          want(1);
          return new SafeHtml(String(a[0]));
        }
        return a.map(formatGoValue).join('');
      case 'html':
      case 'js':
      case 'urlquery':
        return a.map(formatGoValue).join('');
      case 'urlQueryEscape':
        want(1);
        return encodeURIComponent(String(a[0])).replace(/%20/g, '+');
      case 'stripPort': {
        want(1);
        const s = String(a[0]);
        const m = /^\[([^\]]+)\](?::\d*)?$/.exec(s) ?? /^([^:]+):\d*$/.exec(s);
        return m ? m[1] : s;
      }
      case 'stripDomain': {
        want(1);
        const s = String(a[0]);
        const m = /^(.*?)(:\d+)?$/.exec(s);
        const host = m?.[1] ?? s;
        if (/^[\d.]+$/.test(host) || host.includes(':')) return s;
        return (host.split('.')[0] ?? host) + (m?.[2] ?? '');
      }
      case 'parseDuration': {
        want(1);
        const ms = parsePromDuration(String(a[0]));
        if (ms === undefined)
          throw new AppError('bad_input', `not a valid duration string: ${JSON.stringify(a[0])}`);
        return ms / 1000;
      }
      case 'args': {
        const m = new Map<string, unknown>();
        a.forEach((x, i) => m.set(`arg${i}`, x));
        return m;
      }
      case 'tableLink':
        want(1);
        return `/graph?g0.expr=${encodeURIComponent(String(a[0]))}&g0.tab=1`;
      case 'graphLink':
        want(1);
        return `/graph?g0.expr=${encodeURIComponent(String(a[0]))}&g0.tab=0`;
      case 'externalURL':
      case 'pathPrefix':
        return '';
      default:
        throw new AppError('bad_input', `function "${name}" is not supported by Kanshi`);
    }
  }
}

function formatOperand(o: Operand): string {
  switch (o.kind) {
    case 'lit':
      return formatGoValue(o.value);
    case 'ident':
      return o.name;
    case 'var':
      return [o.name, ...o.fields].join('.');
    case 'field':
      return `.${o.fields.join('.')}`;
    case 'paren':
      return '(…)';
  }
}
