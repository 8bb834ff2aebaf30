import { z } from 'zod';
import { durationMs, positiveDurationMs } from '../../config/schema-types.js';
import { thresholdMonitorsSchema } from './threshold.js';

/**
 * The `monitors:` section of kanshi.yml (docs/monitors.md): check monitors, the host heartbeat and
 * threshold monitors. Every key is optional; durations are Prometheus duration strings read as ms.
 *
 * ```yaml
 * monitors:
 *   checks: { unknown_as: warning, max_check_attempts: 1, notification_interval: 0s }
 *   heartbeat: { enabled: true, after: 5m }
 *   thresholds:
 *     - { name: RootDiskFree, metric: 'node_filesystem_avail_bytes{mountpoint="/"}',
 *         percent_of: 'node_filesystem_size_bytes{mountpoint="/"}', operator: '<', warning: 20, critical: 10, for: 5m }
 * ```
 */

const checks = z.strictObject({
  /** How an UNKNOWN hard status alerts: as a warning (default), as critical, or not at all. */
  unknown_as: z.enum(['warning', 'critical', 'ignore']).default('warning'),
  /** Results that confirm a problem when the agent sends no hard status (older agents, other senders). */
  max_check_attempts: z.number().int().min(1).default(1),
  /** Re-notify an open, unacknowledged alert this often when the check sets no interval; 0s = never. */
  notification_interval: durationMs.default(0),
});

const heartbeat = z.strictObject({
  enabled: z.boolean().default(true),
  /** Silence after which a host is unreachable. */
  after: positiveDurationMs.default(300_000),
});

const watchdog = z.strictObject({
  /** Add the always-firing `Watchdog` alert for a dead man's switch. Off by default: route it first. */
  enabled: z.boolean().default(false),
  /** Extra labels of the Watchdog alert (for routing). */
  labels: z.record(z.string(), z.string()).default({}),
});

/** The schema of kanshi.yml's `monitors:` section; the lead mounts it as `monitors: monitorsConfig`. */
export const monitorsConfig = z.strictObject({
  checks: checks.prefault({}),
  heartbeat: heartbeat.prefault({}),
  /** Threshold monitors, compiled to alerting rules (src/rules/monitors/threshold.ts). */
  thresholds: thresholdMonitorsSchema.default([]),
  watchdog: watchdog.prefault({}),
});

/** The parsed `monitors:` section (durations in ms). */
export type MonitorsConfig = z.output<typeof monitorsConfig>;
