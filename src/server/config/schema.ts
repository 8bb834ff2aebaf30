import { z } from 'zod';
import { notificationsConfig } from '../../notify/config.js';
import { monitorsConfig } from '../../rules/monitors/config.js';
import { agentConfig } from '../../agent/config/schema.js';
import { globalSchema, scrapeConfigsSchema } from '../../scrape/config.js';
import { bytes, durationMs, listenAddress, positiveDurationMs } from '../../config/schema-types.js';

/** The whole kanshi.yml: a `server:` section and an `agent:` section (src/agent/config/schema.ts). */

const limits = z.strictObject({
  max_body_bytes: bytes.default(16 * 1024 * 1024),
  max_series_per_request: z.number().int().positive().default(100_000),
  max_labels_per_series: z.number().int().positive().default(64),
  max_label_name_length: z.number().int().positive().default(1024),
  max_label_value_length: z.number().int().positive().default(4096),
});

const storage = z.strictObject({
  /** Blocks older than this are deleted. */
  retention: positiveDurationMs.default(15 * 86_400_000),
  /** Oldest blocks are deleted while the store is larger than this; 0 = no limit. */
  retention_size: bytes.default(0),
  /** How long 5-minute rollups are kept (docs/tsdb/block.md "Rollups"); raw data by `retention`. */
  retention_5m: positiveDurationMs.default(90 * 86_400_000),
  /** How long 1-hour rollups are kept. */
  retention_1h: positiveDurationMs.default(730 * 86_400_000),
  /** Samples up to this far behind a series' newest one are still accepted (agents replaying). */
  out_of_order_window: durationMs.default(3_600_000),
  /** Most series the head may hold; a new series beyond it is rejected (counted, never an error). 0 = no limit. */
  max_series: z.number().int().nonnegative().default(0),
  /**
   * WAL fsync policy: 0s fsyncs every commit before the write is acknowledged (survives power
   * loss); above 0 a write is acknowledged once in the WAL file (survives kill -9, as Prometheus's)
   * and the WAL is fsynced in the background within this interval.
   */
  wal_sync_interval: durationMs.default(1_000),
  /** Most labels a new series may have (Prometheus's label_limit); 0 = no limit. */
  label_limit: z.number().int().nonnegative().default(0),
  /** Longest label name of a new series (label_name_length_limit); 0 = no limit. */
  label_name_length_limit: z.number().int().nonnegative().default(0),
  /** Longest label value of a new series (label_value_length_limit); 0 = no limit. */
  label_value_length_limit: z.number().int().nonnegative().default(0),
});

const query = z.strictObject({
  /** Longest a query may run (Prometheus's --query.timeout). */
  timeout: positiveDurationMs.default(120_000),
  /** Most samples a query may hold (--query.max-samples). */
  max_samples: z.number().int().positive().default(50_000_000),
  /** Queries evaluated at once (--query.max-concurrency). */
  max_concurrency: z.number().int().positive().default(20),
  /** How far back an instant selector looks (--query.lookback-delta). */
  lookback_delta: positiveDurationMs.default(300_000),
});

export const serverConfig = z.strictObject({
  listen: listenAddress.default('127.0.0.1:9800'),
  /**
   * The URL users reach Kanshi at (Prometheus's --web.external-url): alerts' generatorURL and
   * `$externalURL` in rule templates. Default: `http://<listen>`.
   */
  external_url: z.url({ protocol: /^https?$/ }).optional(),
  /** Serve `POST`/`PUT /-/reload` (Prometheus's --web.enable-lifecycle); on by default in Kanshi. */
  enable_lifecycle: z.boolean().default(true),
  /** Re-read kanshi.yml and the rule files when they change on disk (debounced); SIGHUP always works. */
  watch_config: z.boolean().default(true),
  data_dir: z.string().default('./data'),
  log_level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** Serve /api/v1/admin/tsdb/* (snapshot, delete_series, clean_tombstones), as --web.enable-admin-api. */
  enable_admin_api: z.boolean().default(false),
  /** Folders of dashboard files besides `<data_dir>/dashboards` (docs/dashboards.md), relative to kanshi.yml. */
  dashboard_folders: z.array(z.string().min(1)).default([]),
  query: query.default({
    timeout: 120_000,
    max_samples: 50_000_000,
    max_concurrency: 20,
    lookback_delta: 300_000,
  }),
  storage: storage.default({
    retention: 15 * 86_400_000,
    retention_size: 0,
    retention_5m: 90 * 86_400_000,
    retention_1h: 730 * 86_400_000,
    out_of_order_window: 3_600_000,
    max_series: 0,
    wal_sync_interval: 1_000,
    label_limit: 0,
    label_name_length_limit: 0,
    label_value_length_limit: 0,
  }),
  limits: limits.default({
    max_body_bytes: 16 * 1024 * 1024,
    max_series_per_request: 100_000,
    max_labels_per_series: 64,
    max_label_name_length: 1024,
    max_label_value_length: 4096,
  }),
});

/**
 * Prometheus's `global:` section (scrape defaults, external labels, `evaluation_interval`) plus
 * `rule_query_offset`, the query offset of rule groups that set no `query_offset` (Prometheus 2.53+).
 */
export const serverGlobalSchema = globalSchema.extend({
  rule_query_offset: durationMs.default(0),
});

/** The file as a whole. Unknown top-level keys are errors. */
export const kanshiConfig = z.strictObject({
  global: serverGlobalSchema.default(serverGlobalSchema.parse({})),
  /**
   * Prometheus rule files: paths and globs (`*`, `?`, `[…]` in the last element, as Go's
   * filepath.Glob), relative to the config file's folder.
   */
  rule_files: z.array(z.string().min(1)).default([]),
  /** Prometheus's `scrape_configs:`, pasted unchanged from prometheus.yml. */
  scrape_configs: scrapeConfigsSchema.default([]),
  server: serverConfig.default(serverConfig.parse({})),
  agent: agentConfig.default(agentConfig.parse({})),
  /** Alertmanager's configuration (route, receivers, inhibit_rules, time_intervals, templates); none = alerts are kept, not sent. */
  notifications: notificationsConfig.optional(),
  /** Check monitors, host heartbeat, threshold monitors, watchdog (docs/monitors.md). */
  monitors: monitorsConfig.prefault({}),
});

export type KanshiConfig = z.output<typeof kanshiConfig>;
export type ServerConfig = z.output<typeof serverConfig>;
/** The parsed `global:` section of kanshi.yml; durations in ms. */
export type ServerGlobalConfig = z.output<typeof serverGlobalSchema>;
