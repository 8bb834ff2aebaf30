import os from 'node:os';
import { Agent, type AgentSink } from '../agent/agent.js';
import { systemClock } from '../base/clock.js';
import { nullLogger } from '../base/logger.js';
import { formatDiagnostic } from '../config/load-yaml.js';
import { Registry } from '../exposition/registry.js';
import { writeText } from '../exposition/write-text.js';
import { loadKanshiConfig } from '../server/config/load.js';
import { commonOptions, parseFlags } from './args.js';
import { createLogger } from './logger.js';

/**
 * `kanshi agent [--config FILE] [--once]`: the agent alone. `--once` runs every collector once and
 * prints the result in the Prometheus text format (checks as `kanshi_check_status` lines); a bad
 * config exits 1 with every diagnostic.
 */
export async function runAgentCommand(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { ...commonOptions, once: { type: 'boolean' } });
  const loaded = await loadKanshiConfig(values.config, process.cwd());
  if (!loaded.config) {
    for (const d of loaded.diagnostics) console.error(formatDiagnostic(d));
    console.error(
      `kanshi agent: the configuration has ${loaded.diagnostics.length} problem(s); not starting`,
    );
    return 1;
  }
  const config = loaded.config.agent;
  const logger = values.once
    ? nullLogger
    : createLogger(values['log-level'] ?? loaded.config.server.log_level);
  if (values.once) {
    const discard: AgentSink = {
      writeSamples: () => Promise.resolve(),
      writeCheckResults: () => Promise.resolve(),
    };
    const agent = new Agent({
      config,
      hostname: config.hostname ?? os.hostname(),
      baseDir: loaded.baseDir,
      baseEnv: process.env,
      clock: systemClock,
      logger,
      registry: new Registry(),
      sink: discard,
    });
    const { families } = await agent.runOnce(AbortSignal.timeout(120_000));
    await agent.close();
    process.stdout.write(writeText(families));
    return 0;
  }
  const { runShippingAgent } = await import('./agent-ship.js');
  return runShippingAgent({ loaded, values, logger });
}
