import os from 'node:os';
import { Agent, type AgentSink } from '../agent/agent.js';
import { systemClock } from '../base/clock.js';
import { nullLogger } from '../base/logger.js';
import { Registry } from '../exposition/registry.js';
import { writeText } from '../exposition/write-text.js';
import { loadAgentConfig } from './agent-config.js';
import { commonOptions, parseFlags } from './args.js';
import { createJsonLogger } from './json-logger.js';

/**
 * `kanshi agent [--config FILE] [--once]`: the agent alone. `--once` runs every collector once and
 * prints the result in the Prometheus text format (checks as `kanshi_check_status` lines); a bad
 * config exits 1 with every diagnostic.
 *
 * The long-running agent keeps its memory small (bench/agent.mjs, aim < 80 MiB): its config is
 * validated in a short-lived process and it logs through a small JSON-lines logger, so neither
 * yaml, zod, the server's schema nor pino is ever loaded into it.
 */
export async function runAgentCommand(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { ...commonOptions, once: { type: 'boolean' } });
  const loaded = await loadAgentConfig(values.config, process.cwd(), { isolated: !values.once });
  if (!loaded.ok) {
    for (const d of loaded.diagnostics) console.error(d);
    console.error(
      `kanshi agent: the configuration has ${loaded.diagnostics.length} problem(s); not starting`,
    );
    return 1;
  }
  const { agent: config, baseDir } = loaded.config;
  if (values.once) {
    const discard: AgentSink = {
      writeSamples: () => Promise.resolve(),
      writeCheckResults: () => Promise.resolve(),
    };
    const agent = new Agent({
      config,
      hostname: config.hostname ?? os.hostname(),
      baseDir,
      baseEnv: process.env,
      clock: systemClock,
      logger: nullLogger,
      registry: new Registry(),
      sink: discard,
    });
    const { families } = await agent.runOnce(AbortSignal.timeout(120_000));
    await agent.close();
    process.stdout.write(writeText(families));
    return 0;
  }
  const logger = createJsonLogger({ level: values['log-level'] ?? loaded.config.logLevel });
  const { runShippingAgent } = await import('./agent-ship.js');
  return runShippingAgent({ config: loaded.config, values, logger });
}
