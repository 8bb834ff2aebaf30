import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { Agent } from '../agent/agent.js';
import { AgentHttpServer } from '../agent/http/agent-http.js';
import { ShippingSink } from '../agent/shipping-sink.js';
import { DiskQueue } from '../agent/shipper/disk-queue.js';
import { httpPost } from '../agent/shipper/http-post.js';
import { Shipper } from '../agent/shipper/shipper.js';
import { systemClock } from '../base/clock.js';
import { useSpawnHelper } from '../checks/run-command.js';
import { SpawnHelper } from '../checks/spawn-helper.js';
import type { Logger } from '../base/logger.js';
import { Registry } from '../exposition/registry.js';
import { splitHostPort } from '../base/host-port.js';
import type { AgentStartConfig } from './agent-config.js';
import { untilSignal } from './signals.js';

/**
 * `kanshi agent` without `--once`: collect on schedule, queue on disk, ship to the server (or any
 * remote_write receiver), and serve what was collected at /metrics for pull mode.
 */
export async function runShippingAgent(args: {
  config: AgentStartConfig;
  values: { data?: string | undefined; listen?: string | undefined };
  logger: Logger;
}): Promise<number> {
  const { values, logger } = args;
  const { agent: config, baseDir } = args.config;
  // The agent allocates in short bursts (a job run, a shipment) that V8 answers by growing the young
  // generation up to 2 × 16 MiB, which it keeps. Held at its initial 2 × 1 MiB: the same as
  // node --max-semi-space-size=1, which cannot be set once the heap exists, while the growth
  // factor is read each time new space would grow. Measured effect: docs/host-metrics.md.
  // A semi-space size given on node's command line or in NODE_OPTIONS wins.
  const nodeFlags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
  if (!nodeFlags.includes('semi-space')) v8.setFlagsFromString('--semi-space-growth-factor=1');
  // Checks and plugins are forked by a small helper process, not by this one: a fork of the agent
  // was a third of its CPU (see spawn-helper.ts). Without perl, commands are spawned directly.
  const helper = await SpawnHelper.start();
  useSpawnHelper(helper);
  if (!helper) logger.warn({}, 'spawn helper unavailable (no /usr/bin/perl); forking commands directly');
  const shipper = config.shipper ?? {
    url: 'http://127.0.0.1:9800',
    headers: {},
    timeout: 30_000,
    queue: { max_bytes: 512 * 1024 * 1024, max_age: 24 * 3_600_000 },
    max_backoff: 60_000,
    batch_window: 5_000,
  };
  const dataDir = path.resolve(baseDir, values.data ?? args.config.dataDir);
  const registry = new Registry();
  const queue = await DiskQueue.open({
    dir: path.join(dataDir, 'agent-queue'),
    maxBytes: shipper.queue.max_bytes,
    maxAgeMs: shipper.queue.max_age,
    clock: systemClock,
    logger,
    registry,
  });
  const base = shipper.url.replace(/\/+$/, '');
  const sender = new Shipper({
    queue,
    remoteWriteUrl: shipper.remote_write_url ?? `${base}/api/v1/write`,
    checkResultsUrl: `${base}/api/agent/v1/check-results`,
    ...(shipper.bearer_token !== undefined && {
      auth: { type: 'bearer', token: shipper.bearer_token } as const,
    }),
    ...(shipper.basic_auth && {
      auth: {
        type: 'basic',
        username: shipper.basic_auth.username,
        password: shipper.basic_auth.password,
      } as const,
    }),
    headers: shipper.headers,
    timeoutMs: shipper.timeout,
    maxBackoffMs: shipper.max_backoff,
    fetch: httpPost,
    clock: systemClock,
    logger,
    registry,
  });
  const sink = new ShippingSink(queue, logger, { flushDelayMs: shipper.batch_window });
  const agent = new Agent({
    config,
    hostname: config.hostname ?? os.hostname(),
    baseDir,
    baseEnv: process.env,
    clock: systemClock,
    logger,
    registry,
    sink,
  });

  const http = new AgentHttpServer({ logger, registry, isReady: () => true });
  // Pull mode: what the agent collected is served at /metrics next to its own instruments.
  registry.addCollector(() => agent.latestFamilies());
  const { host, port } = splitHostPort(values.listen ?? config.listen);
  await http.listen(host, port);

  const ac = new AbortController();
  const shipping = sender.run(ac.signal);
  const collecting = agent.run(ac.signal);
  logger.info({ jobs: agent.jobCount, listen: `${host}:${port}`, server: base }, 'agent running');
  console.log(
    `Kanshi agent: ${agent.jobCount} jobs, shipping to ${base}, /metrics on http://${host}:${port}/metrics`,
  );

  const signal = await untilSignal(['SIGINT', 'SIGTERM']);
  logger.info({ signal }, 'shutting down');
  ac.abort();
  // Queue what the sink is gathering now rather than at the end of its window.
  void sink.stopGathering();
  await Promise.all([collecting, shipping]);
  await http.close();
  await queue.close();
  useSpawnHelper(undefined);
  await helper?.close();
  return 0;
}
