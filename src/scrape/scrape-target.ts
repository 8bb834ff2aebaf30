import { gunzipSync } from 'node:zlib';
import { errorMessage } from '../base/errors.js';
import { METRIC_NAME, sortLabels, type Label, type Labels } from '../model/labels.js';
import type { MetricFamily } from '../model/metric.js';
import { STALE_NAN } from '../model/sample.js';
import {
  parseExposition,
  scrapeAcceptHeader,
  type ExpositionFormat,
  type ScrapeProtocol,
} from '../exposition/parse-exposition.js';
import { SampleBatchBuilder, type SampleBatch } from './sample-batch.js';
import { labelsKey, ScrapeLoopState } from './scrape-state.js';

/**
 * Scraping one target the way Prometheus's scrape loop does (scrape/scrape.go): one GET with its
 * Accept header and `X-Prometheus-Scrape-Timeout-Seconds`, gzip accepted, a body size limit and a
 * timeout; the body parsed by the parser its Content-Type calls for; target labels attached
 * following honor_labels; staleness markers for series that vanished; and the synthetic series
 * `up`, `scrape_duration_seconds`, `scrape_samples_scraped`, `scrape_samples_post_metric_relabeling`
 * and `scrape_series_added`. Shared by the agent (static targets) and the server's scrape manager.
 */

/** The target to scrape. */
export interface ScrapeTargetSpec {
  /** The full URL, `http://host:port/metrics?params`. */
  readonly url: string;
  readonly job: string;
  readonly instance: string;
  /**
   * More target labels. They win over `job` and `instance` of the same name, as target labels
   * win over Prometheus's defaults; names starting with `__` are dropped.
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Options of {@link scrapeTarget}. */
export interface ScrapeOptions {
  /** The scrape timeout, also announced in X-Prometheus-Scrape-Timeout-Seconds. */
  readonly timeoutMs: number;
  /** Injected fetch (tests, proxies); default the global one. */
  readonly fetch?: typeof fetch;
  /** Cancels the scrape; a canceled scrape resolves with up=0, never rejects. */
  readonly signal?: AbortSignal;
  /** Keep the target's own labels on conflict instead of renaming them `exported_<name>`. Default false. */
  readonly honorLabels?: boolean;
  /** Use the timestamps the target exposes. Default true. */
  readonly honorTimestamps?: boolean;
  /** Fail the scrape when it has more samples than this; 0 = no limit. Default 0. */
  readonly sampleLimit?: number;
  /** Fail the scrape when the (uncompressed) body is larger; 0 = no limit. Default 0. */
  readonly bodySizeLimitBytes?: number;
  /** Extra request headers (authorization, …); the scrape's own headers win. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The clock, ms since the epoch: scrape time and duration. Default Date.now. */
  readonly now?: () => number;
  /** The state of this target's loop, for staleness markers and scrape_series_added. */
  readonly state?: ScrapeLoopState;
  /** The formats to ask for, preferred first. Default Prometheus 3's text protocols. */
  readonly protocols?: readonly ScrapeProtocol[];
  /** The format to assume for an unknown Content-Type; 'none' fails the scrape. Default 'text'. */
  readonly fallbackFormat?: ExpositionFormat | 'none';
  /** Default `Kanshi`. */
  readonly userAgent?: string;
  /**
   * metric_relabel_configs: applied to each sample's labels after the target labels are attached;
   * null drops the sample. The sample limit counts the samples it keeps, as in Prometheus.
   */
  readonly relabelSample?: (labels: Labels) => Labels | null;
  /** Follow HTTP redirects (Prometheus's follow_redirects). Default true. */
  readonly followRedirects?: boolean;
}

/** What a scrape produced. */
export interface ScrapeResult {
  readonly up: boolean;
  /** Why the scrape failed (HTTP status, timeout, parse error with its line, limit). */
  readonly error?: string;
  /** The scrape time: default timestamp of samples and timestamp of the report series (ms). */
  readonly timestampMs: number;
  readonly durationSeconds: number;
  /** The format the body was parsed as, when it got that far. */
  readonly format?: ExpositionFormat;
  readonly samplesScraped: number;
  readonly seriesAdded: number;
  /** Families as exposed (before target labels), for metadata; empty when the scrape failed. */
  readonly families: readonly MetricFamily[];
  /** The samples with target labels, then staleness markers, then the five report series. */
  readonly samples: SampleBatch;
  /** How many of {@link samples} are staleness markers. */
  readonly staleMarkers: number;
}

/** Names of the synthetic series every scrape writes, in the order they are written. */
export const REPORT_SERIES = [
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
] as const;

class ScrapeFailure extends Error {
  constructor(
    message: string,
    readonly samplesScraped = 0,
  ) {
    super(message);
  }
}

/** Scrapes `target` once. Always resolves: a failed scrape is up=0 with an error. */
export async function scrapeTarget(target: ScrapeTargetSpec, options: ScrapeOptions): Promise<ScrapeResult> {
  const now = options.now ?? Date.now;
  const state = options.state ?? new ScrapeLoopState();
  const targetLabels = targetLabelsOf(target);
  const startMs = now();

  let families: MetricFamily[] = [];
  let format: ExpositionFormat | undefined;
  let error: string | undefined;
  let samplesScraped = 0;
  const scraped = new SampleBatchBuilder();
  const current = new Map<string, { labels: Labels; tracked: boolean }>();
  try {
    const res = await fetchBody(target.url, options);
    const parsed = parseExposition(res.body, res.contentType, {
      fallbackFormat: options.fallbackFormat ?? 'text',
    });
    format = parsed.format;
    samplesScraped = parsed.families.reduce((n, f) => n + f.samples.length, 0);
    const first = parsed.errors[0];
    if (first !== undefined) {
      const where = first.line > 0 ? `line ${first.line}: ` : '';
      const more = parsed.errors.length > 1 ? ` (and ${parsed.errors.length - 1} more errors)` : '';
      throw new ScrapeFailure(
        `parse ${format ?? 'exposition'}: ${where}${first.message}${more}`,
        samplesScraped,
      );
    }
    const limit = options.sampleLimit ?? 0;
    const relabelSample = options.relabelSample;
    if (limit > 0 && samplesScraped > limit && relabelSample === undefined) {
      throw new ScrapeFailure(
        `sample limit exceeded: ${samplesScraped} samples, limit ${limit}`,
        samplesScraped,
      );
    }
    const honorTimestamps = options.honorTimestamps ?? true;
    const honorLabels = options.honorLabels ?? false;
    for (const f of parsed.families) {
      for (const s of f.samples) {
        let labels = withTargetLabels(s.name, s.labels, targetLabels, honorLabels);
        if (relabelSample !== undefined) {
          const kept = relabelSample(labels);
          if (kept === null || kept.length === 0) continue;
          labels = kept;
        }
        const own = honorTimestamps && s.timestampMs !== undefined;
        scraped.add(labels, own ? s.timestampMs : startMs, s.value);
        // Series with their own timestamps are not ended by staleness markers (Prometheus).
        current.set(labelsKey(labels), { labels, tracked: !own });
      }
    }
    if (limit > 0 && scraped.length > limit) {
      throw new ScrapeFailure(
        `sample limit exceeded: ${scraped.length} samples, limit ${limit}`,
        samplesScraped,
      );
    }
    families = parsed.families;
  } catch (err) {
    error = err instanceof ScrapeFailure ? err.message : errorMessage(err);
    if (err instanceof ScrapeFailure) samplesScraped = err.samplesScraped;
    current.clear();
  }
  const durationSeconds = Math.max(0, now() - startMs) / 1000;

  const up = error === undefined;
  const { added, vanished } = state.observe(current);
  const seriesAdded = up ? added : 0;
  const out = up ? scraped : new SampleBatchBuilder();
  for (const labels of vanished) out.add(labels, startMs, STALE_NAN);

  const postRelabel = up ? scraped.length : samplesScraped;
  const reportValues = [up ? 1 : 0, durationSeconds, samplesScraped, postRelabel, seriesAdded];
  const reportLabels: Labels[] = [];
  REPORT_SERIES.forEach((name, i) => {
    const labels = sortLabels([...targetLabels, { name: METRIC_NAME, value: name }]);
    reportLabels.push(labels);
    out.add(labels, startMs, reportValues[i]!);
  });
  state.setReportSeries(reportLabels);

  const base = {
    up,
    timestampMs: startMs,
    durationSeconds,
    samplesScraped,
    seriesAdded,
    families,
    samples: out.build(),
    staleMarkers: vanished.length,
  };
  const withFormat = format === undefined ? base : { ...base, format };
  return error === undefined ? withFormat : { ...withFormat, error };
}

/** job, instance and the extra labels (which win), without `__` labels and empty values. */
function targetLabelsOf(target: ScrapeTargetSpec): Labels {
  const m = new Map<string, string>([
    ['job', target.job],
    ['instance', target.instance],
  ]);
  for (const [k, v] of Object.entries(target.labels ?? {})) m.set(k, v);
  const out: Label[] = [];
  for (const [name, value] of m) if (!name.startsWith('__')) out.push({ name, value });
  return sortLabels(out);
}

/**
 * The sample's labels plus the target's. With honor_labels the sample's own values win; without,
 * the target's win and a clashing exposed label is kept as `exported_<name>` (repeating the prefix
 * while that name is taken), shortest names first, as Prometheus's mutateSampleLabels does.
 */
export function withTargetLabels(name: string, own: Labels, target: Labels, honorLabels: boolean): Labels {
  const m = new Map<string, string>();
  for (const l of own) m.set(l.name, l.value);
  m.set(METRIC_NAME, name);
  if (honorLabels) {
    for (const l of target) if ((m.get(l.name) ?? '') === '') m.set(l.name, l.value);
  } else {
    const conflicts: Label[] = [];
    for (const l of target) {
      const exposed = m.get(l.name) ?? '';
      if (exposed !== '') conflicts.push({ name: l.name, value: exposed });
      m.set(l.name, l.value);
    }
    conflicts.sort((a, b) => a.name.length - b.name.length);
    for (const c of conflicts) {
      let newName = `exported_${c.name}`;
      while ((m.get(newName) ?? '') !== '') newName = `exported_${newName}`;
      m.set(newName, c.value);
    }
  }
  return sortLabels([...m].map(([n, value]) => ({ name: n, value })));
}

/** GETs the body, enforcing the timeout and the size limit; throws ScrapeFailure with the reason. */
async function fetchBody(
  url: string,
  options: ScrapeOptions,
): Promise<{ body: Uint8Array; contentType: string }> {
  const doFetch = options.fetch ?? fetch;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const headers: Record<string, string> = {
    ...options.headers,
    Accept: scrapeAcceptHeader(options.protocols),
    'Accept-Encoding': 'gzip',
    'User-Agent': options.userAgent ?? 'Kanshi',
    'X-Prometheus-Scrape-Timeout-Seconds': String(options.timeoutMs / 1000),
  };
  const failure = (err: unknown): ScrapeFailure => {
    if (timeout.aborted) return new ScrapeFailure(`Get "${url}": timeout after ${options.timeoutMs}ms`);
    if (options.signal?.aborted) return new ScrapeFailure(`Get "${url}": scrape canceled`);
    if (err instanceof ScrapeFailure) return err;
    const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
    return new ScrapeFailure(`Get "${url}": ${errorMessage(cause)}`);
  };
  try {
    const res = await doFetch(url, {
      method: 'GET',
      headers,
      signal,
      redirect: options.followRedirects === false ? 'manual' : 'follow',
    });
    if (res.status < 200 || res.status > 299) {
      await res.body?.cancel();
      throw new ScrapeFailure(`server returned HTTP status ${res.status} ${res.statusText}`.trimEnd());
    }
    const limit = options.bodySizeLimitBytes ?? 0;
    let body = await readLimited(res, limit);
    // fetch normally decodes gzip itself; an injected fetch may not.
    if (body[0] === 0x1f && body[1] === 0x8b && /gzip/i.test(res.headers.get('content-encoding') ?? '')) {
      try {
        body = gunzipSync(body, limit > 0 ? { maxOutputLength: limit } : {});
      } catch (err) {
        throw new ScrapeFailure(
          limit > 0 && /maxOutputLength|buffer/i.test(errorMessage(err))
            ? `body size limit of ${limit} bytes exceeded`
            : `gunzip: ${errorMessage(err)}`,
        );
      }
    }
    return { body, contentType: res.headers.get('content-type') ?? '' };
  } catch (err) {
    throw failure(err);
  }
}

async function readLimited(res: Response, limit: number): Promise<Uint8Array> {
  if (res.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  // Leaving the loop early cancels the stream.
  for await (const value of res.body as AsyncIterable<Uint8Array>) {
    total += value.byteLength;
    if (limit > 0 && total > limit) throw new ScrapeFailure(`body size limit of ${limit} bytes exceeded`);
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}
