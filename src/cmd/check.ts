import { parseDuration } from '../base/duration.js';
import { CommandCheck } from '../checks/command-check.js';
import { explainCheck } from '../checks/explain.js';
import { statusValue } from '../model/check.js';
import { parseFlags, UsageError } from './args.js';

/**
 * `kanshi check [--json] [--timeout 30s] -- CMD ARGS…`: runs one check command as the agent would
 * and shows how Kanshi understood it. Exits with the check's own exit code convention (0–3), so it
 * can stand in for the plugin in scripts.
 */
export async function runCheckCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    json: { type: 'boolean' },
    timeout: { type: 'string' },
    shell: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log('Usage: kanshi check [--json] [--timeout 30s] [--shell] -- CMD ARGS…');
    return 0;
  }
  if (positionals.length === 0)
    throw new UsageError('name the check command after --, e.g. kanshi check -- ./check.sh');
  let timeoutMs = 30_000;
  if (values.timeout !== undefined) {
    try {
      timeoutMs = parseDuration(values.timeout);
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
  }
  const check = new CommandCheck({
    name: 'cli',
    command: values.shell ? positionals.join(' ') : positionals,
    timeoutMs,
    baseEnv: process.env,
    cwd: process.cwd(),
  });
  const run = await check.execute();
  const isColor = !values.json && process.stdout.isTTY && process.env.NO_COLOR === undefined;
  process.stdout.write(
    explainCheck(run.result, {
      isJson: values.json === true,
      command: positionals,
      problems: run.problems,
      stderr: run.stderr,
      isColor,
    }),
  );
  return statusValue(run.result.status);
}
