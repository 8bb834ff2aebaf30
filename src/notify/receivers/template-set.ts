import { AppError } from '../../base/errors.js';
import { Template, type NamedTemplate } from '../../rules/template.js';
import { DEFAULT_TEMPLATES, type TemplateData } from './template-data.js';

/**
 * The named templates a receiver's fields can call with `{{ template "NAME" ARG }}`: Alertmanager's
 * defaults (computed in TypeScript, see template-data.ts) plus the `{{ define "NAME" }}…{{ end }}`
 * blocks of the files listed under `templates:`, which override defaults of the same name as in
 * Alertmanager (user files are loaded after default.tmpl, a later file wins).
 *
 * Fields and files run on the Go template engine of src/rules/template.ts with Alertmanager's
 * functions (`funcs: 'alertmanager'`): `define`, `block` and `template` work anywhere, with any
 * argument, as in Go. Email HTML bodies are expanded with `escape: 'html'`.
 */

/**
 * Alertmanager's default templates that only call others, kept as source so that a user file
 * overriding `__subject` (say) changes every title built from it, as in Alertmanager. The leaves are
 * computed in TypeScript (DEFAULT_TEMPLATES).
 */
const DEFAULT_SOURCE = `
{{- define "slack.default.title" }}{{ template "__subject" . }}{{ end }}
{{- define "slack.default.username" }}{{ template "__alertmanager" . }}{{ end }}
{{- define "slack.default.titlelink" }}{{ template "__alertmanagerURL" . }}{{ end }}
{{- define "slack.default.fallback" }}{{ template "slack.default.title" . }} | {{ template "slack.default.titlelink" . }}{{ end }}
{{- define "email.default.subject" }}{{ template "__subject" . }}{{ end }}
{{- define "msteams.default.title" }}{{ template "__subject" . }}{{ end }}
{{- define "msteams.default.summary" }}{{ template "__subject" . }}{{ end }}
{{- define "discord.default.title" }}{{ template "__subject" . }}{{ end }}
`;

const DEFAULT_DEFINED = Template.parse('default.tmpl', DEFAULT_SOURCE, [], {
  funcs: 'alertmanager',
}).definitions();

/** How {@link TemplateSet.expand} writes values. */
export interface ExpandOptions {
  /** 'html' escapes values as Go's html/template does in element text (email HTML bodies). */
  readonly escape?: 'html';
}

/** A set of named templates; immutable once parsed. */
export class TemplateSet {
  /** The user's named templates, a later file's winning. */
  readonly #user: ReadonlyMap<string, Template>;
  readonly #lookup = (name: string): NamedTemplate | undefined =>
    this.#user.get(name) ??
    DEFAULT_DEFINED.get(name) ??
    (DEFAULT_TEMPLATES.has(name)
      ? (dot: unknown) => DEFAULT_TEMPLATES.get(name)!(dot as TemplateData)
      : undefined);

  private constructor(user: ReadonlyMap<string, Template>) {
    this.#user = user;
  }

  /** Alertmanager's defaults only. */
  static readonly defaults = new TemplateSet(new Map());

  /**
   * Reads the `define` blocks of template files (`name` is used in errors, e.g. the path). Throws
   * AppError 'bad_input' `template: FILE:LINE: …` when a file does not parse. A call of a function
   * Kanshi lacks (say `date`) is accepted here and reported by {@link check} only for templates that
   * fields use: a file may hold templates for integrations Kanshi does not have.
   */
  static parse(files: readonly { readonly name: string; readonly text: string }[]): TemplateSet {
    const user = new Map<string, Template>();
    for (const f of files) {
      const t = Template.parse(f.name, f.text, [], { funcs: 'alertmanager', isLenient: true });
      for (const [name, d] of t.definitions()) user.set(name, d);
    }
    return new TemplateSet(user);
  }

  /** Names of the templates defined by files (not the defaults), sorted. */
  get definedNames(): string[] {
    return [...this.#user.keys()].sort();
  }

  /** Whether `name` can be called. */
  has(name: string): boolean {
    return this.#lookup(name) !== undefined;
  }

  /**
   * Checks that `text` parses and that every template it calls, directly or through others, exists
   * and calls only functions Kanshi has; returns the first problem, or undefined. For config-load
   * diagnostics (Alertmanager finds a missing template only when it runs; Kanshi says so at load).
   */
  check(name: string, text: string): string | undefined {
    try {
      const root = Template.parse(name, text, [], { funcs: 'alertmanager' });
      const seen = new Set<string>();
      const visit = (t: Template): string | undefined => {
        if (t.unknownFunctions.length > 0)
          return `template: ${t.name}: function "${t.unknownFunctions[0]}" not defined`;
        for (const c of t.calledTemplates) {
          if (seen.has(c)) continue;
          seen.add(c);
          const called = root.resolve(c, this.#lookup);
          if (called === undefined) return `template: ${t.name}: no such template "${c}"`;
          if (typeof called !== 'function') {
            const p = visit(called);
            if (p !== undefined) return p;
          }
        }
        return undefined;
      };
      return visit(root);
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }

  /**
   * Expands `text` over `data` (`.` is the notification); rejects with AppError 'bad_input'
   * `expand NAME: …` on any template error.
   */
  async expand(name: string, text: string, data: TemplateData, options: ExpandOptions = {}): Promise<string> {
    if (!text.includes('{{')) return text;
    try {
      const t = Template.parse(name, text, [], { funcs: 'alertmanager' });
      return await t.execute(data, new Map(), {
        lookup: this.#lookup,
        ...(options.escape === undefined ? {} : { escape: options.escape }),
      });
    } catch (e) {
      if (e instanceof AppError)
        throw new AppError('bad_input', `expand ${name}: ${e.message}`, { cause: e });
      throw e;
    }
  }
}
