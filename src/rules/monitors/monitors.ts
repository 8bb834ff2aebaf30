import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../../base/clock.js';
import { errorMessage } from '../../base/errors.js';
import { nullLogger, type Logger } from '../../base/logger.js';
import type { Registry } from '../../exposition/registry.js';
import { labelsFromRecord } from '../../model/labels.js';
import type { MetricFamily } from '../../model/metric.js';
import { CheckMonitor, type LoadReport } from './check-monitor.js';
import type { MonitorsConfig } from './config.js';
import { HeartbeatMonitor, HOST_UNREACHABLE_INHIBIT_RULE } from './heartbeat.js';
import type { MonitorHistory, MonitorNotifyFn } from './monitor-alert.js';
import type { RuleGroupConfig } from '../rule-file.js';
import {
  compileThresholds,
  watchdogGroup,
  type CompiledThresholds,
  type InhibitRuleConfig,
} from './threshold.js';

/**
 * Everything the `monitors:` section configures, built and owned in one place: the check monitor,
 * the heartbeat (unless disabled), and the compiled threshold rules and inhibit rules for the rule
 * manager and the notification pipeline. Lifecycle: {@link Monitors.open} (loads snapshots),
 * `run(signal)` (both tick loops), `close()` (final snapshots) after the signal aborted.
 */

/** Options of {@link Monitors.open}. */
export interface MonitorsOptions {
  readonly config: MonitorsConfig;
  /** Folder of the snapshot files (`checks.json`, `heartbeat.json`), created if missing; none = memory only. */
  readonly stateDir?: string;
  readonly clock: Clock;
  readonly notify: MonitorNotifyFn;
  readonly history?: MonitorHistory;
  readonly logger?: Logger;
  readonly externalURL?: string;
  /** Evaluation interval of the threshold rule group, ms; default the global one. */
  readonly thresholdIntervalMs?: number;
  /** Receives `kanshi_monitor_open_alerts{source,severity}` and `kanshi_monitor_known_hosts`. */
  readonly registry?: Registry;
}

/** See the module comment. */
export class Monitors {
  readonly checks: CheckMonitor;
  /** Undefined when `heartbeat.enabled` is false. */
  readonly heartbeat: HeartbeatMonitor | undefined;
  /** The threshold monitors as a rule group and their inhibit rules. */
  readonly thresholds: CompiledThresholds;
  /** Rule groups to give the RuleManager with the rule files': the thresholds', and the watchdog when enabled. */
  readonly ruleGroups: readonly RuleGroupConfig[];
  /** Problems found loading the snapshots (already logged); empty when both were fine or missing. */
  readonly loadProblems: readonly string[];

  private constructor(
    parts: Pick<Monitors, 'checks' | 'heartbeat' | 'thresholds' | 'ruleGroups' | 'loadProblems'>,
    private readonly logger: Logger,
  ) {
    this.checks = parts.checks;
    this.heartbeat = parts.heartbeat;
    this.thresholds = parts.thresholds;
    this.ruleGroups = parts.ruleGroups;
    this.loadProblems = parts.loadProblems;
  }

  /** Builds the monitors and restores their state. Rejects only when `stateDir` cannot be created. */
  static async open(options: MonitorsOptions): Promise<Monitors> {
    const logger = options.logger ?? nullLogger;
    const { config, stateDir } = options;
    if (stateDir !== undefined) await mkdir(stateDir, { recursive: true });
    const common = {
      clock: options.clock,
      notify: options.notify,
      logger,
      ...(options.history === undefined ? {} : { history: options.history }),
      ...(options.externalURL === undefined ? {} : { externalURL: options.externalURL }),
    };
    const checks = new CheckMonitor({
      ...common,
      unknownAs: config.checks.unknown_as,
      defaultMaxCheckAttempts: config.checks.max_check_attempts,
      defaultNotificationIntervalMs: config.checks.notification_interval,
      ...(stateDir === undefined ? {} : { snapshotPath: path.join(stateDir, 'checks.json') }),
    });
    const heartbeat = config.heartbeat.enabled
      ? new HeartbeatMonitor({
          ...common,
          afterMs: config.heartbeat.after,
          ...(stateDir === undefined ? {} : { snapshotPath: path.join(stateDir, 'heartbeat.json') }),
        })
      : undefined;
    const reports: LoadReport[] = [await checks.load()];
    if (heartbeat) reports.push(await heartbeat.load());
    const groupOptions =
      options.thresholdIntervalMs === undefined ? {} : { intervalMs: options.thresholdIntervalMs };
    const thresholds = compileThresholds(config.thresholds, groupOptions);
    const ruleGroups = [
      ...thresholds.groups,
      ...(config.watchdog.enabled ? [watchdogGroup(config.watchdog.labels, groupOptions)] : []),
    ];
    options.registry?.addCollector(() => monitorFamilies(checks, heartbeat));
    return new Monitors(
      {
        checks,
        heartbeat,
        thresholds,
        ruleGroups,
        loadProblems: reports.flatMap((r) => (r.problem === undefined ? [] : [r.problem])),
      },
      logger,
    );
  }

  /**
   * Inhibit rules to add to `notifications.inhibit_rules`: each threshold monitor's critical mutes
   * its warning, and (with the heartbeat on) an unreachable host mutes its other alerts.
   */
  get inhibitRules(): readonly InhibitRuleConfig[] {
    return [...this.thresholds.inhibitRules, ...(this.heartbeat ? [HOST_UNREACHABLE_INHIBIT_RULE] : [])];
  }

  /** Runs both tick loops until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([this.checks.run(signal), this.heartbeat?.run(signal)]);
  }

  /** Writes the final snapshots; a failure is logged, not thrown (shutdown goes on). */
  async close(): Promise<void> {
    for (const m of [this.checks, this.heartbeat]) {
      try {
        await m?.flush();
      } catch (e) {
        this.logger.error({ err: errorMessage(e) }, 'writing a monitor snapshot at shutdown failed');
      }
    }
  }
}

function monitorFamilies(checks: CheckMonitor, heartbeat: HeartbeatMonitor | undefined): MetricFamily[] {
  const counts = new Map<string, number>();
  for (const source of ['check', 'heartbeat'])
    for (const severity of ['warning', 'critical']) counts.set(`${source}\u0000${severity}`, 0);
  for (const a of [...checks.alerts(), ...(heartbeat?.alerts() ?? [])]) {
    const key = `${a.source}\u0000${a.severity}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const families: MetricFamily[] = [
    {
      name: 'kanshi_monitor_open_alerts',
      type: 'gauge',
      help: 'Open check and heartbeat alerts, by source and severity.',
      samples: [...counts].map(([key, value]) => {
        const [source = '', severity = ''] = key.split('\u0000');
        return { name: 'kanshi_monitor_open_alerts', labels: labelsFromRecord({ source, severity }), value };
      }),
    },
  ];
  if (heartbeat)
    families.push({
      name: 'kanshi_monitor_known_hosts',
      type: 'gauge',
      help: 'Hosts the heartbeat watches.',
      samples: [{ name: 'kanshi_monitor_known_hosts', labels: [], value: heartbeat.hosts().length }],
    });
  return families;
}
