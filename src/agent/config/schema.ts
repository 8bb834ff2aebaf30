import { z } from 'zod';
import {
  bytes,
  command,
  durationMs,
  env,
  listenAddress,
  positiveDurationMs,
  regex,
} from '../../config/schema-types.js';

/**
 * The `agent:` section of kanshi.yml (documented key by key in docs/configuration.md). Names follow
 * mackerel-agent and Prometheus where they overlap, so existing configurations translate line by line.
 */

const status = z.enum(['OK', 'WARNING', 'CRITICAL', 'UNKNOWN']);

const action = z.union([
  command.transform((c) => ({
    command: c,
    env: {} satisfies Record<string, string>,
    timeout: 30_000,
    run_on: 'change' as const,
  })),
  z.strictObject({
    command,
    env: env.default({}),
    timeout: positiveDurationMs.default(30_000),
    /** `change`: when the status changes; `every`: after every run, as mackerel-agent does. */
    run_on: z.enum(['change', 'every']).default('change'),
  }),
]);

/** One Nagios/Mackerel/Sensu check command. */
export const checkConfig = z.strictObject({
  name: z.string().min(1),
  command,
  interval: positiveDurationMs.optional(),
  timeout: positiveDurationMs.default(30_000),
  /** The status a timed-out check gets. */
  timeout_status: status.default('CRITICAL'),
  retry_interval: positiveDurationMs.optional(),
  max_check_attempts: z.number().int().min(1).default(1),
  env: env.default({}),
  memo: z.string().max(250).optional(),
  prevent_alert_auto_close: z.boolean().default(false),
  notification_interval: durationMs.optional(),
  action: action.optional(),
  labels: z.record(z.string(), z.string()).default({}),
});

/** One Mackerel-style metric plugin. */
export const pluginConfig = z.strictObject({
  name: z.string().min(1),
  command,
  interval: positiveDurationMs.optional(),
  timeout: positiveDurationMs.default(30_000),
  env: env.default({}),
  include_pattern: regex.optional(),
  exclude_pattern: regex.optional(),
  labels: z.record(z.string(), z.string()).default({}),
});

const httpProbe = z.strictObject({
  url: z.url(),
  method: z.string().default('GET'),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  expect_status: z.array(z.number().int().min(100).max(599)).optional(),
  body_regex: regex.optional(),
  body_not_regex: regex.optional(),
  json_path: z
    .strictObject({ path: z.string(), equals: z.union([z.string(), z.number(), z.boolean()]) })
    .optional(),
  follow_redirects: z.boolean().default(true),
  insecure_skip_verify: z.boolean().default(false),
  /** Certificate expiry closer than this makes the probe WARNING. */
  cert_expiry_warning: durationMs.default(14 * 86_400_000),
  /** Read a health-check JSON body (`status: pass|warn|fail`) as the status. */
  health_json: z.boolean().default(true),
});

const tcpProbe = z.strictObject({
  address: z.string().regex(/^.+:\d+$/, { message: 'must be HOST:PORT' }),
  tls: z.boolean().default(false),
  insecure_skip_verify: z.boolean().default(false),
  send: z.string().optional(),
  expect: regex.optional(),
  cert_expiry_warning: durationMs.default(14 * 86_400_000),
});

/** One probe: exactly one of `http` or `tcp`. */
export const probeConfig = z
  .strictObject({
    name: z.string().min(1),
    interval: positiveDurationMs.optional(),
    timeout: positiveDurationMs.default(10_000),
    max_check_attempts: z.number().int().min(1).default(1),
    http: httpProbe.optional(),
    tcp: tcpProbe.optional(),
    labels: z.record(z.string(), z.string()).default({}),
  })
  .refine((p) => (p.http === undefined) !== (p.tcp === undefined), {
    message: 'a probe needs exactly one of "http" or "tcp"',
  });

/** One static scrape job of the agent. */
export const agentScrapeConfig = z.strictObject({
  job: z.string().min(1),
  targets: z.array(z.string().min(1)).min(1),
  interval: positiveDurationMs.optional(),
  timeout: positiveDurationMs.default(10_000),
  metrics_path: z.string().default('/metrics'),
  scheme: z.enum(['http', 'https']).default('http'),
  params: z.record(z.string(), z.array(z.string())).default({}),
  honor_labels: z.boolean().default(false),
  honor_timestamps: z.boolean().default(true),
  sample_limit: z.number().int().nonnegative().default(0),
  labels: z.record(z.string(), z.string()).default({}),
});

const hostMetrics = z.strictObject({
  enabled: z.boolean().default(true),
  interval: positiveDurationMs.default(15_000),
  proc_path: z.string().default('/proc'),
  sys_path: z.string().default('/sys'),
  root_path: z.string().default('/'),
});

const shipper = z.strictObject({
  /** The server's base URL; remote_write goes to `<url>/api/v1/write`. */
  url: z.url().default('http://127.0.0.1:9800'),
  /** Overrides the remote_write endpoint (to write to Prometheus, VictoriaMetrics or Mimir directly). */
  remote_write_url: z.url().optional(),
  bearer_token: z.string().optional(),
  basic_auth: z.strictObject({ username: z.string(), password: z.string() }).optional(),
  headers: z.record(z.string(), z.string()).default({}),
  timeout: positiveDurationMs.default(30_000),
  queue: z
    .strictObject({
      max_bytes: bytes.default(512 * 1024 * 1024),
      max_age: positiveDurationMs.default(24 * 3_600_000),
    })
    .default({ max_bytes: 512 * 1024 * 1024, max_age: 24 * 3_600_000 }),
  max_backoff: positiveDurationMs.default(60_000),
  /**
   * How long job runs are gathered into one queued batch (one fsync, one request); `0s` queues
   * every run on its own. Prometheus's remote-write queue waits 5 s (batch_send_deadline) too.
   */
  batch_window: durationMs.default(5_000),
});

/** The agent section. Every list may be empty; with nothing configured the agent collects host metrics. */
export const agentConfig = z.strictObject({
  /** The host name reported with every series (`instance`/`host` labels); default: os.hostname(). */
  hostname: z.string().min(1).optional(),
  /** Labels added to every series the agent sends. */
  labels: z.record(z.string(), z.string()).default({}),
  /** Default interval for checks, plugins, probes and scrapes that name none. */
  interval: positiveDurationMs.default(60_000),
  /** Where the agent alone (`kanshi agent`) serves /metrics for pull mode. */
  listen: listenAddress.default('127.0.0.1:9801'),
  host_metrics: hostMetrics.default({
    enabled: true,
    interval: 15_000,
    proc_path: '/proc',
    sys_path: '/sys',
    root_path: '/',
  }),
  checks: z.array(checkConfig).default([]),
  plugins: z.array(pluginConfig).default([]),
  probes: z.array(probeConfig).default([]),
  scrape: z.array(agentScrapeConfig).default([]),
  shipper: shipper.optional(),
});

export type AgentConfig = z.output<typeof agentConfig>;
export type CheckConfig = z.output<typeof checkConfig>;
export type PluginConfig = z.output<typeof pluginConfig>;
export type ProbeConfig = z.output<typeof probeConfig>;
export type AgentScrapeConfig = z.output<typeof agentScrapeConfig>;
