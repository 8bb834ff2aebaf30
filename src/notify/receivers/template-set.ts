import { AppError } from '../../base/errors.js';
import { Template } from '../../rules/template.js';
import { DEFAULT_TEMPLATES, type TemplateData } from './template-data.js';

/**
 * The named templates a receiver's fields can call with `{{ template "NAME" . }}`: Alertmanager's
 * defaults (computed in TypeScript, see template-data.ts) plus the `{{ define "NAME" }}…{{ end }}`
 * blocks of the files listed under `templates:`, which override defaults of the same name as in
 * Alertmanager (user files are loaded after default.tmpl).
 *
 * The Go template engine underneath (src/rules/template.ts) has no `define`/`template` actions, so a
 * call is resolved before execution: it is replaced by the called template's output for the
 * notification's data. That is exact when the call passes the notification itself (`.` outside any
 * `range`/`with`), which is how Alertmanager's own and most users' templates call each other; any
 * other argument is rejected with a message saying so (`validate` reports it at config load).
 */

/** Nesting depth of template calls before giving up (a template calling itself). */
const MAX_DEPTH = 32;

interface Action {
  /** Offset of `{{`. */
  readonly start: number;
  /** Offset after `}}`. */
  readonly end: number;
  /** The action's text without delimiters and trim markers, trimmed. */
  readonly inner: string;
  readonly isTrimLeft: boolean;
  readonly isTrimRight: boolean;
}

/** Splits Go template source into its actions (`{{ … }}`), honouring quoted strings and comments. */
function scanActions(source: string, name: string): Action[] {
  const out: Action[] = [];
  let pos = 0;
  for (;;) {
    const start = source.indexOf('{{', pos);
    if (start < 0) return out;
    let i = start + 2;
    const isTrimLeft = /^-[ \t\r\n]/.test(source.slice(i, i + 2));
    if (isTrimLeft) i += 1;
    let quote: string | undefined;
    let end = -1;
    for (; i < source.length; i++) {
      const c = source[i]!;
      if (quote !== undefined) {
        if (c === '\\' && quote === '"') i++;
        else if (c === quote) quote = undefined;
        continue;
      }
      if (c === '"' || c === '`' || c === "'") quote = c;
      else if (source.startsWith('}}', i)) {
        end = i;
        break;
      }
    }
    if (end < 0) throw new AppError('bad_input', `template: ${name}: unclosed action`);
    let inner = source.slice(start + 2 + (isTrimLeft ? 1 : 0), end);
    const isTrimRight = /[ \t\r\n]-$/.test(inner);
    if (isTrimRight) inner = inner.slice(0, -1);
    out.push({ start, end: end + 2, inner: inner.trim(), isTrimLeft, isTrimRight });
    pos = end + 2;
  }
}

function keyword(a: Action): string {
  return /^[a-z]+/.exec(a.inner)?.[0] ?? '';
}

const CALL = /^template\s+("(?:[^"\\]|\\.)*"|`[^`]*`)\s*(.*)$/s;

function unquote(lit: string): string {
  return lit.startsWith('`') ? lit.slice(1, -1) : (JSON.parse(lit) as string);
}

/**
 * Alertmanager's default templates that only call others, kept as source so that a user file
 * overriding `__subject` (say) changes every title built from it, as in Alertmanager. The leaves are
 * computed in TypeScript (DEFAULT_TEMPLATES).
 */
const DEFAULT_SOURCES: readonly [string, string][] = [
  ['slack.default.title', '{{ template "__subject" . }}'],
  ['slack.default.username', '{{ template "__alertmanager" . }}'],
  ['slack.default.titlelink', '{{ template "__alertmanagerURL" . }}'],
  [
    'slack.default.fallback',
    '{{ template "slack.default.title" . }} | {{ template "slack.default.titlelink" . }}',
  ],
  ['email.default.subject', '{{ template "__subject" . }}'],
  ['msteams.default.title', '{{ template "__subject" . }}'],
  ['msteams.default.summary', '{{ template "__subject" . }}'],
  ['discord.default.title', '{{ template "__subject" . }}'],
];

/** A set of named templates; immutable once parsed. */
export class TemplateSet {
  /** Source of every template defined as text: the composite defaults, then the user's. */
  readonly #defined: ReadonlyMap<string, string>;
  readonly #userNames: readonly string[];

  private constructor(user: ReadonlyMap<string, string>) {
    this.#defined = new Map([...DEFAULT_SOURCES, ...user]);
    this.#userNames = [...user.keys()].sort();
  }

  /** Alertmanager's defaults only. */
  static readonly defaults = new TemplateSet(new Map());

  /**
   * Reads the `define` blocks of template files (`name` is used in errors, e.g. the path). Throws
   * AppError 'bad_input' naming the file on an unclosed block or action, or a body that does not parse.
   */
  static parse(files: readonly { readonly name: string; readonly text: string }[]): TemplateSet {
    const defined = new Map<string, string>();
    for (const f of files) {
      const stack: { kind: string; name?: string; bodyStart: number; isTrim: boolean }[] = [];
      for (const a of scanActions(f.text, f.name)) {
        if (a.inner.startsWith('/*')) continue;
        const kw = keyword(a);
        if (kw === 'define' || kw === 'block') {
          const m = /^(?:define|block)\s+("(?:[^"\\]|\\.)*"|`[^`]*`)/.exec(a.inner);
          if (!m) throw new AppError('bad_input', `template: ${f.name}: malformed ${kw}: {{${a.inner}}}`);
          stack.push({ kind: 'define', name: unquote(m[1]!), bodyStart: a.end, isTrim: a.isTrimRight });
        } else if (kw === 'if' || kw === 'with' || kw === 'range') {
          stack.push({ kind: kw, bodyStart: a.end, isTrim: false });
        } else if (kw === 'end') {
          const top = stack.pop();
          if (!top) throw new AppError('bad_input', `template: ${f.name}: unexpected {{end}}`);
          if (top.kind === 'define' && top.name !== undefined) {
            let body = f.text.slice(top.bodyStart, a.start);
            if (top.isTrim) body = body.replace(/^\s+/, '');
            if (a.isTrimLeft) body = body.replace(/\s+$/, '');
            defined.set(top.name, body);
          }
        }
      }
      if (stack.length > 0)
        throw new AppError('bad_input', `template: ${f.name}: unexpected EOF in ${stack.at(-1)!.kind}`);
    }
    // Bodies are checked when a receiver field calls them (check()): a file may hold templates for
    // integrations Kanshi does not have, using functions it does not know.
    return new TemplateSet(defined);
  }

  /** Names of the templates defined by files (not the defaults). */
  get definedNames(): string[] {
    return [...this.#userNames];
  }

  /** Whether `name` can be called. */
  has(name: string): boolean {
    return this.#defined.has(name) || DEFAULT_TEMPLATES.has(name);
  }

  /**
   * Checks that `text` parses and that every template it calls exists and is called with `.`;
   * returns the problem, or undefined. For config-load diagnostics.
   */
  check(name: string, text: string, depth = 0): string | undefined {
    try {
      const { rewritten, calls } = this.#rewrite(name, text);
      Template.parse(
        name,
        rewritten,
        calls.map((_c, i) => `$__t${i}`),
      );
      if (depth >= MAX_DEPTH) return `template: ${name}: template calls nest deeper than ${MAX_DEPTH}`;
      for (const c of calls) {
        const body = this.#defined.get(c);
        if (body !== undefined) {
          const p = this.check(c, body, depth + 1);
          if (p !== undefined) return p;
        }
      }
      return undefined;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }

  /** Expands `text` over `data`; rejects with AppError 'bad_input' naming `name` on any template error. */
  async expand(name: string, text: string, data: TemplateData): Promise<string> {
    return this.#expand(name, text, data, 0);
  }

  async #expand(name: string, text: string, data: TemplateData, depth: number): Promise<string> {
    if (!text.includes('{{')) return text;
    if (depth > MAX_DEPTH)
      throw new AppError('bad_input', `template: ${name}: template calls nest deeper than ${MAX_DEPTH}`);
    const { rewritten, calls } = this.#rewrite(name, text);
    const vars = new Map<string, unknown>();
    for (const [i, call] of calls.entries()) vars.set(`$__t${i}`, await this.#render(call, data, depth + 1));
    try {
      return await Template.parse(name, rewritten, [...vars.keys()]).execute(data, vars);
    } catch (e) {
      if (e instanceof AppError)
        throw new AppError('bad_input', `expand ${name}: ${e.message}`, { cause: e });
      throw e;
    }
  }

  async #render(name: string, data: TemplateData, depth: number): Promise<string> {
    const body = this.#defined.get(name);
    if (body !== undefined) return this.#expand(name, body, data, depth);
    const fn = DEFAULT_TEMPLATES.get(name);
    if (fn) return fn(data);
    throw new AppError('bad_input', `template: no such template "${name}"`);
  }

  /** Replaces each `{{ template "X" . }}` by a variable `$__tN`; returns the names called, in order. */
  #rewrite(name: string, text: string): { rewritten: string; calls: string[] } {
    const calls: string[] = [];
    let out = '';
    let pos = 0;
    /** For each open block: whether it changes the dot (`with`, `range`). */
    const blocks: boolean[] = [];
    for (const a of scanActions(text, name)) {
      const kw = keyword(a);
      if (kw === 'if') blocks.push(false);
      else if (kw === 'with' || kw === 'range') blocks.push(true);
      else if (kw === 'end') blocks.pop();
      else if (kw === 'define' || kw === 'block')
        throw new AppError('bad_input', `template: ${name}: {{${kw}}} belongs in a templates: file`);
      else if (kw === 'template') {
        const m = CALL.exec(a.inner);
        if (!m) throw new AppError('bad_input', `template: ${name}: malformed {{${a.inner}}}`);
        const called = unquote(m[1]!);
        const arg = m[2]!.trim();
        if (!this.has(called))
          throw new AppError('bad_input', `template: ${name}: no such template "${called}"`);
        if ((arg !== '.' && arg !== '') || blocks.includes(true))
          throw new AppError(
            'bad_input',
            `template: ${name}: {{template "${called}" ${arg}}}: Kanshi passes only the notification itself (.) to a named template, outside range and with`,
          );
        out += `${text.slice(pos, a.start)}{{${a.isTrimLeft ? '- ' : ''}$__t${calls.length}${a.isTrimRight ? ' -' : ''}}}`;
        pos = a.end;
        calls.push(called);
      }
    }
    return { rewritten: out + text.slice(pos), calls };
  }
}
