import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { z } from 'zod';

/**
 * YAML configuration with every problem reported at once: syntax errors, schema errors and unknown
 * keys, each with the file, line, column and key path (STYLE.md "Config"). Schemas use zod strict
 * objects; the result is deep-frozen.
 */

/** One problem in a configuration file. */
export interface Diagnostic {
  readonly file: string;
  /** 1-based line, when the problem has a place in the file. */
  readonly line?: number;
  readonly column?: number;
  /** The key path, e.g. `agent.checks[0].interval`; '' for the document itself. */
  readonly path: string;
  readonly message: string;
}

/** What parsing produced: a config when there were no problems, and all the problems. */
export interface ParseResult<T> {
  readonly config: T | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

/** `file:line:col: path: message`, as compilers print problems. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line === undefined ? d.file : `${d.file}:${d.line}:${d.column ?? 1}`;
  return d.path === '' ? `${where}: ${d.message}` : `${where}: ${d.path}: ${d.message}`;
}

/** Parses YAML `text` (named `file` in diagnostics) against `schema`. */
export function parseYamlConfig<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
): ParseResult<z.output<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const diagnostics: Diagnostic[] = [];
  const at = (offset: number | undefined): { line?: number; column?: number } => {
    if (offset === undefined) return {};
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };

  for (const e of doc.errors) {
    diagnostics.push({ file, ...at(e.pos[0]), path: '', message: `yaml: ${firstLine(e.message)}` });
  }
  if (diagnostics.length > 0) return { config: undefined, diagnostics };

  const value: unknown = doc.toJS() ?? {};
  const result = schema.safeParse(value);
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          const path = [...issue.path, key];
          diagnostics.push({
            file,
            ...at(keyOffset(doc, issue.path, key)),
            path: formatPath(path),
            message: `unknown key "${key}"`,
          });
        }
        continue;
      }
      diagnostics.push({
        file,
        ...at(valueOffset(doc, issue.path)),
        path: formatPath(issue.path),
        message: issue.message,
      });
    }
    diagnostics.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    return { config: undefined, diagnostics };
  }
  return { config: deepFreeze(result.data), diagnostics };
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

/** `agent.checks[0].interval` from a zod issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

/** The offset of the value at `path`, or of its closest existing ancestor. */
function valueOffset(doc: Document, path: readonly PropertyKey[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as Node | undefined;
    if (node?.range) return node.range[0];
    if (n === 0) return doc.contents?.range?.[0];
  }
  return undefined;
}

/** The offset of `key` inside the mapping at `path`. */
function keyOffset(doc: Document, path: readonly PropertyKey[], key: string): number | undefined {
  const map = path.length === 0 ? doc.contents : (doc.getIn(path as unknown[], true) as Node | undefined);
  if (isMap(map)) {
    for (const pair of map.items) {
      if (isScalar(pair.key) && String(pair.key.value) === key) return pair.key.range?.[0];
    }
  }
  return valueOffset(doc, path);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
