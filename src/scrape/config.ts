import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { AppError, errorMessage } from '../base/errors.js';
import { bytes, positiveDurationMs } from '../config/schema-types.js';
import { labelNameRe } from '../model/labels.js';
import type { ScrapeProtocol } from '../exposition/parse-exposition.js';
import { newRelabelConfig, type RelabelConfig } from './relabel.js';

/**
 * Prometheus's `global:` and `scrape_configs:` sections, so that a prometheus.yml scrape section
 * pastes into kanshi.yml unchanged (https://prometheus.io/docs/prometheus/latest/configuration/configuration/#scrape_config).
 * The schemas validate the YAML shape (strict: unknown keys are errors); {@link resolveScrapeConfigs}
 * then applies the global defaults and cross-field checks, producing {@link ScrapePoolConfig}s.
 */

const labelName = z.string().regex(labelNameRe, { message: 'invalid label name' });
const labelSet = z.record(labelName, z.string());

/** One relabel rule as in Prometheus (`action`, `source_labels`, `regex`, …), compiled. */
export const relabelConfigSchema = z
  .strictObject({
    action: z.string().optional(),
    source_labels: z.array(z.string()).optional(),
    separator: z.string().optional(),
    regex: z.union([z.string(), z.null()]).optional(),
    modulus: z.number().int().nonnegative().optional(),
    target_label: z.string().optional(),
    replacement: z.string().optional(),
  })
  .transform((input, ctx): RelabelConfig => {
    try {
      return newRelabelConfig(input);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: errorMessage(e) });
      return z.NEVER;
    }
  });

/** The `global:` section (scrape-related keys and `evaluation_interval`, `external_labels`). */
export const globalSchema = z.strictObject({
  scrape_interval: positiveDurationMs.default(60_000),
  scrape_timeout: positiveDurationMs.default(10_000),
  evaluation_interval: positiveDurationMs.default(60_000),
  external_labels: labelSet.default({}),
  body_size_limit: bytes.default(0),
  sample_limit: z.number().int().nonnegative().default(0),
  label_limit: z.number().int().nonnegative().default(0),
  label_name_length_limit: z.number().int().nonnegative().default(0),
  label_value_length_limit: z.number().int().nonnegative().default(0),
  target_limit: z.number().int().nonnegative().default(0),
  query_log_file: z.string().optional(),
});

/** The parsed `global:` section; durations in ms. */
export type GlobalConfig = z.output<typeof globalSchema>;

const secretFile = z.string().min(1);

const tlsConfigSchema = z.strictObject({
  insecure_skip_verify: z.boolean().default(false),
  ca_file: z.string().optional(),
  ca: z.string().optional(),
  cert_file: z.string().optional(),
  key_file: z.string().optional(),
  server_name: z.string().optional(),
  min_version: z.string().optional(),
});

const scrapeConfigSchema = z.strictObject({
  job_name: z.string().min(1),
  scrape_interval: positiveDurationMs.optional(),
  scrape_timeout: positiveDurationMs.optional(),
  metrics_path: z.string().default('/metrics'),
  params: z.record(z.string(), z.array(z.string())).default({}),
  scheme: z.enum(['http', 'https']).default('http'),
  honor_labels: z.boolean().default(false),
  honor_timestamps: z.boolean().default(true),
  track_timestamps_staleness: z.boolean().default(false),
  basic_auth: z
    .strictObject({
      username: z.string().default(''),
      username_file: secretFile.optional(),
      password: z.string().optional(),
      password_file: secretFile.optional(),
    })
    .optional(),
  authorization: z
    .strictObject({
      type: z.string().default('Bearer'),
      credentials: z.string().optional(),
      credentials_file: secretFile.optional(),
    })
    .optional(),
  bearer_token: z.string().optional(),
  bearer_token_file: secretFile.optional(),
  tls_config: tlsConfigSchema.optional(),
  follow_redirects: z.boolean().default(true),
  enable_http2: z.boolean().default(true),
  static_configs: z
    .array(
      z.strictObject({
        targets: z.array(z.string()).default([]),
        labels: labelSet.default({}),
      }),
    )
    .default([]),
  file_sd_configs: z
    .array(
      z.strictObject({
        files: z.array(z.string().min(1)).min(1),
        refresh_interval: positiveDurationMs.default(300_000),
      }),
    )
    .default([]),
  relabel_configs: z.array(relabelConfigSchema).default([]),
  metric_relabel_configs: z.array(relabelConfigSchema).default([]),
  body_size_limit: bytes.optional(),
  sample_limit: z.number().int().nonnegative().optional(),
  label_limit: z.number().int().nonnegative().optional(),
  label_name_length_limit: z.number().int().nonnegative().optional(),
  label_value_length_limit: z.number().int().nonnegative().optional(),
  target_limit: z.number().int().nonnegative().optional(),
  scrape_protocols: z
    .array(
      z.enum([
        'OpenMetricsText1.0.0',
        'OpenMetricsText0.0.1',
        'PrometheusText1.0.0',
        'PrometheusText0.0.4',
        'PrometheusProto',
      ]),
    )
    .min(1)
    .optional(),
  fallback_scrape_protocol: z.string().optional(),
});

/** One `scrape_configs` entry as parsed (before global defaults). */
export type ScrapeConfigInput = z.output<typeof scrapeConfigSchema>;

/** The `scrape_configs:` section: a list of jobs with unique names. */
export const scrapeConfigsSchema = z.array(scrapeConfigSchema).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((c, i) => {
    if (seen.has(c.job_name)) {
      ctx.addIssue({
        code: 'custom',
        path: [i, 'job_name'],
        message: `found multiple scrape configs with job name "${c.job_name}"`,
      });
    }
    seen.add(c.job_name);
  });
});

/** How a pool authenticates its scrapes; secrets from files are read at every scrape, as Prometheus does. */
export type ScrapeAuth =
  | {
      readonly kind: 'basic';
      readonly username: string;
      readonly password?: string;
      readonly passwordFile?: string;
    }
  | {
      readonly kind: 'authorization';
      readonly type: string;
      readonly credentials?: string;
      readonly credentialsFile?: string;
    };

/** A scrape job with every default applied; durations in ms, file paths absolute. */
export interface ScrapePoolConfig {
  readonly jobName: string;
  readonly scrapeIntervalMs: number;
  readonly scrapeTimeoutMs: number;
  readonly metricsPath: string;
  readonly scheme: 'http' | 'https';
  readonly params: Readonly<Record<string, readonly string[]>>;
  readonly honorLabels: boolean;
  readonly honorTimestamps: boolean;
  readonly auth?: ScrapeAuth;
  readonly tls: {
    readonly insecureSkipVerify: boolean;
    readonly caFile?: string;
    readonly serverName?: string;
  };
  readonly followRedirects: boolean;
  readonly staticConfigs: readonly {
    readonly targets: readonly string[];
    readonly labels: Readonly<Record<string, string>>;
  }[];
  readonly fileSdConfigs: readonly {
    readonly files: readonly string[];
    readonly refreshIntervalMs: number;
  }[];
  readonly relabelConfigs: readonly RelabelConfig[];
  readonly metricRelabelConfigs: readonly RelabelConfig[];
  /** 0 = no limit, for all limits. */
  readonly bodySizeLimitBytes: number;
  readonly sampleLimit: number;
  readonly labelLimit: number;
  readonly labelNameLengthLimit: number;
  readonly labelValueLengthLimit: number;
  readonly targetLimit: number;
  /** The formats to ask for, preferred first (PrometheusProto dropped: not spoken); undefined = default. */
  readonly scrapeProtocols?: readonly ScrapeProtocol[];
}

/** Options of {@link resolveScrapeConfigs}. */
export interface ResolveOptions {
  /** Directory relative file paths (file_sd files, password files) are resolved against. */
  readonly baseDir: string;
}

/**
 * Applies the global defaults to each job and checks what Prometheus checks across fields
 * (timeout not above interval, one auth method). Throws AppError('bad_input') listing every problem.
 */
export function resolveScrapeConfigs(
  global: GlobalConfig,
  configs: readonly ScrapeConfigInput[],
  options: ResolveOptions,
): ScrapePoolConfig[] {
  const problems: string[] = [];
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(options.baseDir, p));
  const out: ScrapePoolConfig[] = [];
  configs.forEach((c, i) => {
    const where = `scrape_configs[${i}] (job "${c.job_name}")`;
    const interval = c.scrape_interval ?? global.scrape_interval;
    let timeout = c.scrape_timeout;
    if (timeout === undefined) timeout = Math.min(global.scrape_timeout, interval);
    if (timeout > interval) {
      problems.push(`${where}: scrape timeout greater than scrape interval (${timeout}ms > ${interval}ms)`);
    }
    const methods = [
      c.basic_auth !== undefined,
      c.authorization !== undefined,
      c.bearer_token !== undefined || c.bearer_token_file !== undefined,
    ].filter(Boolean).length;
    if (methods > 1)
      problems.push(`${where}: at most one of basic_auth, authorization and bearer_token may be set`);
    if (c.bearer_token !== undefined && c.bearer_token_file !== undefined) {
      problems.push(`${where}: at most one of bearer_token and bearer_token_file may be set`);
    }
    if (c.authorization?.credentials !== undefined && c.authorization.credentials_file !== undefined) {
      problems.push(`${where}: at most one of authorization credentials and credentials_file may be set`);
    }
    if (c.basic_auth?.password !== undefined && c.basic_auth.password_file !== undefined) {
      problems.push(`${where}: at most one of basic_auth password and password_file may be set`);
    }
    if (c.authorization !== undefined && c.authorization.type.toLowerCase() === 'basic') {
      problems.push(`${where}: authorization type cannot be set to "basic", use "basic_auth" instead`);
    }
    let auth: ScrapeAuth | undefined;
    if (c.basic_auth) {
      auth = {
        kind: 'basic',
        username: c.basic_auth.username,
        ...(c.basic_auth.password !== undefined ? { password: c.basic_auth.password } : {}),
        ...(c.basic_auth.password_file !== undefined
          ? { passwordFile: abs(c.basic_auth.password_file) }
          : {}),
      };
    } else if (c.authorization) {
      auth = {
        kind: 'authorization',
        type: c.authorization.type,
        ...(c.authorization.credentials !== undefined ? { credentials: c.authorization.credentials } : {}),
        ...(c.authorization.credentials_file !== undefined
          ? { credentialsFile: abs(c.authorization.credentials_file) }
          : {}),
      };
    } else if (c.bearer_token !== undefined) {
      auth = { kind: 'authorization', type: 'Bearer', credentials: c.bearer_token };
    } else if (c.bearer_token_file !== undefined) {
      auth = { kind: 'authorization', type: 'Bearer', credentialsFile: abs(c.bearer_token_file) };
    }
    const tls = c.tls_config;
    out.push({
      jobName: c.job_name,
      scrapeIntervalMs: interval,
      scrapeTimeoutMs: timeout,
      metricsPath: c.metrics_path,
      scheme: c.scheme,
      params: c.params,
      honorLabels: c.honor_labels,
      honorTimestamps: c.honor_timestamps,
      ...(auth !== undefined ? { auth } : {}),
      tls: {
        insecureSkipVerify: tls?.insecure_skip_verify ?? false,
        ...(tls?.ca_file !== undefined ? { caFile: abs(tls.ca_file) } : {}),
        ...(tls?.server_name !== undefined ? { serverName: tls.server_name } : {}),
      },
      followRedirects: c.follow_redirects,
      staticConfigs: c.static_configs,
      fileSdConfigs: c.file_sd_configs.map((f) => ({
        files: f.files.map(abs),
        refreshIntervalMs: f.refresh_interval,
      })),
      relabelConfigs: c.relabel_configs,
      metricRelabelConfigs: c.metric_relabel_configs,
      bodySizeLimitBytes: c.body_size_limit ?? global.body_size_limit,
      sampleLimit: c.sample_limit ?? global.sample_limit,
      labelLimit: c.label_limit ?? global.label_limit,
      labelNameLengthLimit: c.label_name_length_limit ?? global.label_name_length_limit,
      labelValueLengthLimit: c.label_value_length_limit ?? global.label_value_length_limit,
      targetLimit: c.target_limit ?? global.target_limit,
      ...(c.scrape_protocols !== undefined
        ? { scrapeProtocols: c.scrape_protocols.filter((x): x is ScrapeProtocol => x !== 'PrometheusProto') }
        : {}),
    });
  });
  if (problems.length > 0) throw new AppError('bad_input', problems.join('; '));
  return out;
}

/**
 * A whole prometheus.yml-like document (`global`, `scrape_configs`, and the keys Kanshi reads
 * elsewhere accepted as-is), for tools and tests that load a Prometheus file directly.
 */
export const prometheusFileSchema = z.strictObject({
  global: globalSchema.default(globalSchema.parse({})),
  scrape_configs: scrapeConfigsSchema.default([]),
  rule_files: z.array(z.string()).default([]),
  alerting: z.unknown().optional(),
  remote_write: z.unknown().optional(),
  remote_read: z.unknown().optional(),
  storage: z.unknown().optional(),
  tracing: z.unknown().optional(),
});
