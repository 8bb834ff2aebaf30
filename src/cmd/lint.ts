import { readFile } from 'node:fs/promises';
import { lintMetrics, type LintProblem } from '../exposition/lint.js';
import { parseFlags, UsageError } from './args.js';

/**
 * `kanshi lint metrics URL|FILE [--json]`: what the strict exposition parser and the naming advice
 * find in an exporter's output. Exits 1 when there are errors, 0 otherwise (warnings only).
 */
export async function runLintCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  const [what, source] = positionals;
  if (values.help || what !== 'metrics' || source === undefined) {
    if (values.help) {
      console.log('Usage: kanshi lint metrics URL|FILE [--json]');
      return 0;
    }
    throw new UsageError('usage: kanshi lint metrics URL|FILE [--json]');
  }
  let text: string;
  let contentType: string | undefined;
  if (/^https?:\/\//.test(source)) {
    const res = await fetch(source, {
      headers: {
        accept: 'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1',
      },
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) {
      console.error(`kanshi lint: GET ${source}: HTTP ${res.status}`);
      return 2;
    }
    text = await res.text();
    contentType = res.headers.get('content-type') ?? undefined;
  } else {
    try {
      text = await readFile(source, 'utf8');
    } catch (e) {
      console.error(`kanshi lint: cannot read ${source}: ${e instanceof Error ? e.message : String(e)}`);
      return 2;
    }
  }
  const problems = lintMetrics(text, contentType);
  if (values.json) {
    console.log(JSON.stringify({ source, contentType: contentType ?? null, problems }, null, 2));
  } else {
    for (const p of problems) console.log(formatProblem(source, p));
    const errors = problems.filter((p) => p.severity === 'error').length;
    console.log(`${errors} error(s), ${problems.length - errors} warning(s)`);
  }
  return problems.some((p) => p.severity === 'error') ? 1 : 0;
}

function formatProblem(source: string, p: LintProblem): string {
  const where = p.line > 0 ? `${source}:${p.line}` : source;
  const metric = p.metric !== undefined ? ` ${p.metric}:` : '';
  return `${where}: ${p.severity} [${p.rule}]${metric} ${p.message}`;
}
