import { UsageError } from './args.js';
import { KANSHI_VERSION } from '../base/version.js';

/**
 * The `kanshi` command: the composition root. Only this folder reads process.env, exits or
 * writes to the console.
 */

const usage = `kanshi ${KANSHI_VERSION}: checks and metrics in one monitoring platform

Usage: kanshi <command> [flags]

Commands:
  up                       server and an agent for this host in one process (what npm start runs)
  server                   the server alone: store, APIs, UI
  agent                    the agent alone: collects and ships to a server (--once: print one collection)
  check [--json] -- CMD…   run one check command and show how Kanshi understands it
  lint metrics URL|FILE    check an exporter's output against the OpenMetrics/Prometheus formats
  rules check FILE…        check Prometheus rule files, as promtool check rules does
  rules test FILE…         run rule unit tests in promtool's format
  tsdb import FILE         backfill OpenMetrics text or CSV into the store (--data DIR)
  tsdb stats               series, samples, bytes per sample, top cardinalities (--data DIR, --json)
  help [command]           this text
  --version                print the version

Common flags:
  --config, -c FILE        kanshi.yml (default: embedded defaults)
  --data DIR               data folder (default ./data)
  --listen HOST:PORT       HTTP address (default 127.0.0.1:9800; the agent alone: 127.0.0.1:9801)
  --log-level LEVEL        debug, info, warn or error

Docs: docs/configuration.md`;

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  // Each command loads only its own modules: the agent alone never loads the store or PromQL.
  up: async (args) => (await import('./serve.js')).runServerCommand('up', args),
  server: async (args) => (await import('./serve.js')).runServerCommand('server', args),
  agent: async (args) => (await import('./agent.js')).runAgentCommand(args),
  check: async (args) => (await import('./check.js')).runCheckCommand(args),
  lint: async (args) => (await import('./lint.js')).runLintCommand(args),
  tsdb: async (args) => (await import('./tsdb.js')).runTsdbCommand(args),
  rules: async (args) => (await import('./rules.js')).runRulesCommand(args),
};

/** Runs the CLI with `argv` (without node and the script) and resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(usage);
    return 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    console.log(KANSHI_VERSION);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`kanshi: unknown command "${name}"\n\n${usage}`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`kanshi ${name}: ${e.message}\nRun "kanshi help" for usage.`);
      return 2;
    }
    throw e;
  }
}
