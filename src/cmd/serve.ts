import os from 'node:os';
import path from 'node:path';
import { Agent, type AgentSink } from '../agent/agent.js';
import { systemClock } from '../base/clock.js';
import { AppError } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import type { Registry } from '../exposition/registry.js';
import { LocalAgentSink } from '../server/local-agent-sink.js';
import { formatDiagnostic } from '../config/load-yaml.js';
import { resolveScrapeConfigs } from '../scrape/config.js';
import { loadKanshiConfig } from '../server/config/load.js';
import type { KanshiConfig } from '../server/config/schema.js';
import { startServer } from '../server/server.js';
import { commonOptions, parseFlags } from './args.js';
import { createLogger } from './logger.js';
import { untilSignal } from './signals.js';

/** `kanshi up` and `kanshi server`: load the config, start, run until SIGTERM/SIGINT. */
export async function runServerCommand(mode: 'up' | 'server', args: string[]): Promise<number> {
  const { values } = parseFlags(args, commonOptions);
  const loaded = await loadKanshiConfig(values.config, process.cwd());
  if (!loaded.config) {
    for (const d of loaded.diagnostics) console.error(formatDiagnostic(d));
    console.error(
      `kanshi ${mode}: the configuration has ${loaded.diagnostics.length} problem(s); not starting`,
    );
    return 1;
  }
  const config = withFlags(loaded.config, values);
  let scrapePools;
  try {
    scrapePools = resolveScrapeConfigs(config.global, config.scrape_configs, { baseDir: loaded.baseDir });
  } catch (e) {
    console.error(`${loaded.file ?? 'kanshi.yml'}: ${e instanceof Error ? e.message : String(e)}`);
    console.error(`kanshi ${mode}: the configuration has problems; not starting`);
    return 1;
  }
  const logger = createLogger(values['log-level'] ?? config.server.log_level);
  let server;
  try {
    server = await startServer({
      config: config.server,
      logger,
      clock: systemClock,
      baseDir: loaded.baseDir,
      scrapePools,
      global: config.global,
      ruleFiles: config.rule_files,
      monitors: config.monitors,
      ...(config.notifications ? { notifications: config.notifications } : {}),
      baseEnv: process.env,
      ...(loaded.file === undefined ? {} : { configFile: path.resolve(loaded.file) }),
    });
  } catch (e) {
    if (!(e instanceof AppError) || e.code !== 'bad_input') throw e;
    console.error(e.message);
    console.error(`kanshi ${mode}: the configuration has problems; not starting`);
    return 1;
  }
  // SIGHUP reloads kanshi.yml and the rule files, as Prometheus does; failures are logged.
  const onHup = (): void => {
    server.reload().catch(() => {});
  };
  process.on('SIGHUP', onHup);
  const stopAgent =
    mode === 'up'
      ? startLocalAgent(config, {
          baseDir: loaded.baseDir,
          logger,
          sink: new LocalAgentSink(server.storage, server.checkResults, logger),
          registry: server.registry,
        })
      : undefined;
  console.log(`Kanshi is running. Open ${server.url}/ in a browser (Ctrl-C to stop).`);

  const signal = await untilSignal(['SIGINT', 'SIGTERM']);
  process.off('SIGHUP', onHup);
  logger.info({ signal }, 'shutting down');
  await stopAgent?.();
  await server.close();
  return 0;
}

function withFlags(config: KanshiConfig, values: { data?: string; listen?: string }): KanshiConfig {
  return {
    ...config,
    server: {
      ...config.server,
      // A flag is relative to where the command runs, not to the config file.
      ...(values.data !== undefined ? { data_dir: path.resolve(values.data) } : {}),
      ...(values.listen !== undefined ? { listen: values.listen } : {}),
    },
  };
}

/** Starts the agent for this host inside the server process; resolves a function that stops it. */
function startLocalAgent(
  config: KanshiConfig,
  deps: { baseDir: string; logger: Logger; sink: AgentSink; registry: Registry },
): () => Promise<void> {
  const agent = new Agent({
    config: config.agent,
    hostname: config.agent.hostname ?? os.hostname(),
    baseDir: deps.baseDir,
    baseEnv: process.env,
    clock: systemClock,
    logger: deps.logger,
    registry: deps.registry,
    sink: deps.sink,
  });
  const ac = new AbortController();
  const running = agent.run(ac.signal);
  return async () => {
    ac.abort();
    await running;
  };
}
