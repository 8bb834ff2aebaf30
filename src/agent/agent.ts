import type { Clock } from '../base/clock.js';
import { errorMessage } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import { checkResultToFamilies } from '../checks/check-series.js';
import { CheckState, type CheckReport as StateReport } from '../checks/check-state.js';
import type { Check } from '../checks/check.js';
import { CommandCheck } from '../checks/command-check.js';
import { HttpProbe } from '../checks/http-probe.js';
import { MetricPlugin, pluginInvalidLinesCounter } from '../checks/mackerel-plugin.js';
import { TcpProbe, type ProbeOutcome } from '../checks/tcp-probe.js';
import type { Registry } from '../exposition/registry.js';
import type { CommandSpec } from '../checks/run-command.js';
import type { CheckReportResult } from '../model/check-report.js';
import { labelsFromRecord, sortLabels, type Label, type Labels } from '../model/labels.js';
import type { MetricFamily } from '../model/metric.js';
import type { SampleBatch } from '../scrape/sample-batch.js';
import { ScrapeLoopState } from '../scrape/scrape-state.js';
import type {
  AgentConfig,
  AgentScrapeConfig,
  CheckConfig,
  PluginConfig,
  ProbeConfig,
} from './config/schema.js';
import { HostCollector } from './host/host-collector.js';
import { Scheduler, type ScheduledJob } from './scheduler/scheduler.js';
import { familiesToSamples, StalenessTracker, type SeriesSample } from './series.js';

/**
 * The agent: builds one job per configured check, plugin, probe and scrape target plus the host
 * collector, runs them on their intervals, and hands what they produce to a sink (the in-process
 * server's store for `kanshi up`, the disk-backed shipper for `kanshi agent`). One failing job never
 * stops the others.
 */

/**
 * Where the agent's output goes. Calls may overlap; implementations must not throw. A call may
 * resolve late (the shipping sink gathers a few seconds of runs into one batch); the agent does
 * not hold a job's schedule for it, and {@link Agent.close} waits for every call.
 */
export interface AgentSink {
  /** Samples of one job run (staleness markers included). */
  writeSamples(samples: readonly SeriesSample[]): Promise<void>;
  /** Results of checks and probes of this host. */
  writeCheckResults(host: string, results: readonly CheckReportResult[]): Promise<void>;
}

/** Options of {@link Agent}. */
export interface AgentOptions {
  config: AgentConfig;
  /** The host name: the `instance` label of the agent's series and the `host` of its check results. */
  hostname: string;
  /** Commands run in this folder (the config file's), so `./plugins/x.sh` is relative to it. */
  baseDir: string;
  /** The environment commands inherit. */
  baseEnv: Readonly<Record<string, string | undefined>>;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  sink: AgentSink;
}

/** The job label of the series the agent makes itself (host metrics use node_exporter's `node`). */
export const AGENT_JOB = 'kanshi';
export const HOST_JOB = 'node';

/** What one run of a job produced, before labels are added. */
interface JobOutput {
  families: readonly MetricFamily[];
  /**
   * Samples already labelled, with their own staleness handling (a scrape's), sent as they are;
   * they are not part of the pull-mode /metrics (the target serves itself).
   */
  samples?: readonly SeriesSample[];
  checkReport?: StateReport;
  /** Labels the checks' series carry (config `labels`), for the wire result. */
  checkLabels?: Readonly<Record<string, string>>;
}

interface AgentJob {
  readonly key: string;
  readonly kind: 'host' | 'check' | 'plugin' | 'probe' | 'scrape';
  readonly intervalMs: number;
  /** Labels added to every series of this job (job, instance, agent labels). */
  readonly extraLabels: readonly Label[];
  collect(signal: AbortSignal): Promise<JobOutput>;
  nextDelayMs(): number;
  close(): Promise<void>;
}

/** See the module comment. */
export class Agent {
  readonly #o: AgentOptions;
  readonly #log: Logger;
  readonly #jobs: AgentJob[];
  readonly #stale = new Map<string, StalenessTracker>();
  /** Each job's last output as produced; labelled only when /metrics asks (not on every run). */
  readonly #latest = new Map<string, { families: readonly MetricFamily[]; extraLabels: readonly Label[] }>();
  readonly #durations;
  readonly #failures;
  /** Sink calls not yet resolved. */
  readonly #writes = new Set<Promise<void>>();

  constructor(options: AgentOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'agent' });
    this.#durations = options.registry.histogram(
      'kanshi_agent_job_duration_seconds',
      'Time one run of an agent job took, by kind.',
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    );
    this.#failures = options.registry.counter(
      'kanshi_agent_job_failures_total',
      'Agent job runs that failed to produce output, by kind.',
    );
    this.#jobs = this.#buildJobs();
  }

  /** How many jobs the configuration made. */
  get jobCount(): number {
    return this.#jobs.length;
  }

  /** Runs every job on its interval until `signal` aborts, then closes the jobs. */
  async run(signal: AbortSignal): Promise<void> {
    const scheduled: ScheduledJob[] = this.#jobs.map((job) => ({
      key: job.key,
      intervalMs: job.intervalMs,
      run: (s) => this.#runJob(job, s).then(() => undefined),
      nextDelayMs: () => job.nextDelayMs(),
    }));
    await new Scheduler(scheduled, { clock: this.#o.clock, logger: this.#log }).run(signal);
    await this.close();
  }

  /** Runs every job once, concurrently, and returns what they produced with their labels. */
  async runOnce(signal: AbortSignal): Promise<{ families: MetricFamily[]; checks: CheckReportResult[] }> {
    const checks: CheckReportResult[] = [];
    const outputs = await Promise.all(this.#jobs.map((job) => this.#runJob(job, signal)));
    await Promise.all(this.#writes);
    for (const out of outputs) if (out.check) checks.push(out.check);
    return { families: this.latestFamilies(), checks };
  }

  /**
   * The latest output of every job, labelled as sent (for pull mode's /metrics), one family per
   * name: several checks each produce `kanshi_check_status`, and the text format allows one TYPE.
   */
  latestFamilies(): MetricFamily[] {
    const byName = new Map<string, MetricFamily & { samples: MetricFamily['samples'][number][] }>();
    for (const { families, extraLabels } of this.#latest.values()) {
      for (const f of families) {
        const samples = f.samples.map((s) => ({ ...s, labels: mergeLabels(extraLabels, s.labels) }));
        const existing = byName.get(f.name);
        if (existing) existing.samples.push(...samples);
        else byName.set(f.name, { ...f, samples });
      }
    }
    return [...byName.values()];
  }

  /** Waits for running check actions and for the sink to take every job's output. */
  async close(): Promise<void> {
    await Promise.all([...this.#jobs.map((j) => j.close()), ...this.#writes]);
  }

  async #runJob(job: AgentJob, signal: AbortSignal): Promise<{ check?: CheckReportResult }> {
    const started = performance.now();
    let output: JobOutput;
    try {
      output = await job.collect(signal);
    } catch (e) {
      this.#failures.inc({ kind: job.kind });
      this.#log.error({ job: job.key, err: errorMessage(e) }, 'collection failed');
      return {};
    } finally {
      this.#durations.observe((performance.now() - started) / 1000, { kind: job.kind });
    }
    const now = this.#o.clock.now();
    this.#latest.set(job.key, { families: output.families, extraLabels: job.extraLabels });
    const samples = familiesToSamples(output.families, job.extraLabels, now);
    let tracker = this.#stale.get(job.key);
    if (!tracker) {
      tracker = new StalenessTracker();
      this.#stale.set(job.key, tracker);
    }
    samples.push(...tracker.markStale(samples, now));
    if (output.samples) samples.push(...output.samples);
    const wire = output.checkReport && toWireResult(output.checkReport, output.checkLabels ?? {});
    // Not awaited by the schedule: a sink that batches must not delay the job's next run.
    const write = Promise.all([
      this.#o.sink.writeSamples(samples),
      wire && this.#o.sink.writeCheckResults(this.#o.hostname, [wire]),
    ]).then(
      () => undefined,
      (e: unknown) => this.#log.error({ job: job.key, err: errorMessage(e) }, 'sink failed'),
    );
    this.#writes.add(write);
    void write.finally(() => this.#writes.delete(write));
    return wire ? { check: wire } : {};
  }

  #buildJobs(): AgentJob[] {
    const c = this.#o.config;
    const jobs: AgentJob[] = [];
    const agentLabels = (job: string, extra: Readonly<Record<string, string>> = {}): Label[] => [
      ...labelsFromRecord({ ...c.labels, ...extra, job, instance: this.#o.hostname }),
    ];
    if (c.host_metrics.enabled) {
      const collector = new HostCollector({
        procPath: c.host_metrics.proc_path,
        sysPath: c.host_metrics.sys_path,
        rootPath: c.host_metrics.root_path,
        now: () => this.#o.clock.now(),
        logger: this.#log.child({ job: 'host' }),
      });
      jobs.push({
        key: 'host',
        kind: 'host',
        intervalMs: c.host_metrics.interval,
        extraLabels: agentLabels(HOST_JOB),
        collect: async (signal) => ({ families: await collector.collect(signal) }),
        nextDelayMs: () => c.host_metrics.interval,
        close: () => collector.close(),
      });
    }
    for (const check of c.checks) jobs.push(this.#checkJob(check, agentLabels(AGENT_JOB)));
    const invalidLines = pluginInvalidLinesCounter(this.#o.registry);
    for (const plugin of c.plugins) jobs.push(this.#pluginJob(plugin, agentLabels(AGENT_JOB), invalidLines));
    for (const probe of c.probes)
      jobs.push(this.#probeJob(probe, agentLabels(AGENT_JOB, { probe: probe.name })));
    for (const scrape of c.scrape)
      for (const target of scrape.targets) jobs.push(this.#scrapeJob(scrape, target));
    return jobs;
  }

  #checkState(
    name: string,
    intervalMs: number,
    cfg: { max_check_attempts: number; retry_interval?: number | undefined },
    check?: CheckConfig,
  ): CheckState {
    return new CheckState({
      name,
      intervalMs,
      maxCheckAttempts: cfg.max_check_attempts,
      ...(cfg.retry_interval !== undefined && { retryIntervalMs: cfg.retry_interval }),
      ...(check?.memo !== undefined && { memo: check.memo }),
      preventAlertAutoClose: check?.prevent_alert_auto_close ?? false,
      ...(check?.notification_interval !== undefined && {
        notificationIntervalMs: check.notification_interval,
      }),
      ...(check?.action && {
        action: {
          command: toCommand(check.action.command),
          timeoutMs: check.action.timeout,
          runOn: check.action.run_on,
          env: check.action.env,
          baseEnv: this.#o.baseEnv,
          cwd: this.#o.baseDir,
        },
      }),
      logger: this.#log,
    });
  }

  #checkJob(cfg: CheckConfig, extraLabels: readonly Label[]): AgentJob {
    const intervalMs = cfg.interval ?? this.#o.config.interval;
    const check = new CommandCheck({
      name: cfg.name,
      command: toCommand(cfg.command),
      timeoutMs: cfg.timeout,
      timeoutStatus: cfg.timeout_status,
      env: cfg.env,
      baseEnv: this.#o.baseEnv,
      cwd: this.#o.baseDir,
      now: () => this.#o.clock.now(),
    });
    const state = this.#checkState(cfg.name, intervalMs, cfg, cfg);
    return this.#checkLikeJob(
      `check/${cfg.name}`,
      'check',
      check,
      state,
      intervalMs,
      extraLabels,
      cfg.labels,
    );
  }

  #checkLikeJob(
    key: string,
    kind: 'check' | 'probe',
    check: Check & { probe?: (signal: AbortSignal) => Promise<ProbeOutcome> },
    state: CheckState,
    intervalMs: number,
    extraLabels: readonly Label[],
    labels: Readonly<Record<string, string>>,
  ): AgentJob {
    return {
      key,
      kind,
      intervalMs,
      extraLabels,
      collect: async (signal) => {
        const outcome = check.probe
          ? await check.probe(signal)
          : { result: await check.run(signal), families: [] };
        const report = state.record(outcome.result);
        const families = [
          ...outcome.families.map((f) => ({
            ...f,
            samples: f.samples.map((s) => ({
              ...s,
              labels: mergeLabels(labelsFromRecord(labels), s.labels),
            })),
          })),
          ...checkResultToFamilies(check.name, outcome.result, {
            labels,
            hardStatus: report.hardStatus,
            attempt: report.attempt,
          }),
        ];
        return { families, checkReport: report, checkLabels: labels };
      },
      nextDelayMs: () => state.nextDelayMs(),
      close: () => state.close(),
    };
  }

  #pluginJob(
    cfg: PluginConfig,
    extraLabels: readonly Label[],
    invalidLines: ReturnType<typeof pluginInvalidLinesCounter>,
  ): AgentJob {
    const intervalMs = cfg.interval ?? this.#o.config.interval;
    const plugin = new MetricPlugin({
      name: cfg.name,
      command: toCommand(cfg.command),
      timeoutMs: cfg.timeout,
      env: cfg.env,
      baseEnv: this.#o.baseEnv,
      cwd: this.#o.baseDir,
      ...(cfg.include_pattern !== undefined && { includePattern: cfg.include_pattern }),
      ...(cfg.exclude_pattern !== undefined && { excludePattern: cfg.exclude_pattern }),
      now: () => this.#o.clock.now(),
      logger: this.#log,
      invalidLines,
    });
    const labels = labelsFromRecord(cfg.labels);
    return {
      key: `plugin/${cfg.name}`,
      kind: 'plugin',
      intervalMs,
      extraLabels,
      collect: async (signal) => {
        const run = await plugin.run(signal);
        if (run.error !== undefined) {
          this.#failures.inc({ kind: 'plugin' });
          this.#log.warn(
            { plugin: cfg.name, err: run.error, stderr: run.stderr.slice(0, 500) },
            'plugin failed',
          );
        }
        const families = run.families.map((f) => ({
          ...f,
          samples: f.samples.map((s) => ({ ...s, labels: mergeLabels(labels, s.labels) })),
        }));
        return { families };
      },
      nextDelayMs: () => intervalMs,
      close: () => Promise.resolve(),
    };
  }

  #scrapeJob(cfg: AgentScrapeConfig, target: string): AgentJob {
    const intervalMs = cfg.interval ?? this.#o.config.interval;
    const query = new URLSearchParams();
    for (const [k, vs] of Object.entries(cfg.params)) for (const v of vs) query.append(k, v);
    const qs = query.size > 0 ? `?${query.toString()}` : '';
    const url = `${cfg.scheme}://${target}${cfg.metrics_path}${qs}`;
    const state = new ScrapeLoopState();
    const extra = [...labelsFromRecord(this.#o.config.labels)];
    return {
      key: `scrape/${cfg.job}/${target}`,
      kind: 'scrape',
      intervalMs,
      extraLabels: [],
      collect: async (signal) => {
        // Loaded on first use: an agent without scrape jobs never carries the exposition parsers
        // and zlib (~1 MiB of its resident memory).
        const { scrapeTarget } = await import('../scrape/scrape-target.js');
        const result = await scrapeTarget(
          { url, job: cfg.job, instance: target, labels: cfg.labels },
          {
            timeoutMs: cfg.timeout,
            signal,
            honorLabels: cfg.honor_labels,
            honorTimestamps: cfg.honor_timestamps,
            sampleLimit: cfg.sample_limit,
            now: () => this.#o.clock.now(),
            state,
          },
        );
        if (!result.up) this.#log.warn({ job: cfg.job, target, err: result.error }, 'scrape failed');
        return { families: [], samples: batchToSamples(result.samples, extra) };
      },
      nextDelayMs: () => intervalMs,
      close: () => Promise.resolve(),
    };
  }

  #probeJob(cfg: ProbeConfig, extraLabels: readonly Label[]): AgentJob {
    const intervalMs = cfg.interval ?? this.#o.config.interval;
    const now = (): number => this.#o.clock.now();
    let probe: HttpProbe | TcpProbe;
    if (cfg.http) {
      const h = cfg.http;
      probe = new HttpProbe({
        name: cfg.name,
        url: h.url,
        timeoutMs: cfg.timeout,
        method: h.method,
        headers: h.headers,
        ...(h.body !== undefined && { body: h.body }),
        ...(h.expect_status && { validStatusCodes: h.expect_status }),
        ...(h.body_regex !== undefined && { failIfBodyNotMatchesRegexp: [h.body_regex] }),
        ...(h.body_not_regex !== undefined && { failIfBodyMatchesRegexp: [h.body_not_regex] }),
        ...(h.json_path && { jsonAssertions: [{ path: h.json_path.path, equals: h.json_path.equals }] }),
        isHealthCheck: h.health_json,
        followRedirects: h.follow_redirects,
        verifyTls: !h.insecure_skip_verify,
        certExpiryWarningMs: h.cert_expiry_warning,
        now,
      });
    } else {
      const t = cfg.tcp!;
      const i = t.address.lastIndexOf(':');
      probe = new TcpProbe({
        name: cfg.name,
        host: t.address.slice(0, i).replace(/^\[|\]$/g, ''),
        port: Number(t.address.slice(i + 1)),
        timeoutMs: cfg.timeout,
        isTls: t.tls,
        verifyTls: !t.insecure_skip_verify,
        certExpiryWarningMs: t.cert_expiry_warning,
        ...((t.send !== undefined || t.expect !== undefined) && {
          queryResponse: [
            ...(t.send !== undefined ? [{ send: t.send }] : []),
            ...(t.expect !== undefined ? [{ expect: t.expect }] : []),
          ],
        }),
        now,
      });
    }
    const state = this.#checkState(cfg.name, intervalMs, cfg);
    return this.#checkLikeJob(
      `probe/${cfg.name}`,
      'probe',
      probe,
      state,
      intervalMs,
      extraLabels,
      cfg.labels,
    );
  }
}

/** The series of one scrape as samples, agent labels added where the target set none. */
function batchToSamples(batch: SampleBatch, extra: readonly Label[]): SeriesSample[] {
  const out: SeriesSample[] = [];
  for (let i = 0; i < batch.length; i++) {
    out.push({
      labels: mergeLabels(extra, batch.labels[i]!),
      t: batch.timestampsMs[i]!,
      v: batch.values[i]!,
    });
  }
  return out;
}

/** A configured command, relative paths kept (the job runs in the config's folder). */
function toCommand(c: string | readonly string[]): CommandSpec {
  return typeof c === 'string' ? c : [...c];
}

/** Labels of `extra` that the sample does not set itself, plus the sample's, sorted. */
function mergeLabels(extra: readonly Label[], own: readonly Label[]): Labels {
  const names = new Set(own.map((l) => l.name));
  return sortLabels([...extra.filter((l) => !names.has(l.name)), ...own]);
}

/** A check state report as the agent API carries it. */
export function toWireResult(r: StateReport, labels: Readonly<Record<string, string>>): CheckReportResult {
  return {
    check: r.check,
    status: r.status,
    message: r.result.message,
    long_output: r.result.longOutput,
    perfdata: r.result.perfdata.map((p) => ({
      label: p.label,
      value: p.value,
      unit: p.unit,
      ...(p.warn && { warn: p.warn.text }),
      ...(p.crit && { crit: p.crit.text }),
      ...(p.min !== undefined && { min: p.min }),
      ...(p.max !== undefined && { max: p.max }),
    })),
    started_at: Math.round(r.result.startedAtMs),
    duration_ms: Math.round(r.result.durationMs),
    attempt: r.attempt,
    hard_status: r.hardStatus,
    memo: r.memo ?? '',
    prevent_alert_auto_close: r.preventAlertAutoClose,
    notification_interval_ms: r.notificationIntervalMs ?? null,
    labels,
  };
}
