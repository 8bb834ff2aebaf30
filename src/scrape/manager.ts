import { readFile } from 'node:fs/promises';
import { formatDuration, parseDuration } from '../base/duration.js';
import { errorMessage } from '../base/errors.js';
import { systemClock, type Clock } from '../base/clock.js';
import { nullLogger, type Logger } from '../base/logger.js';
import { getLabel, labelsToRecord, sortLabels, type Label, type Labels } from '../model/labels.js';
import type { MetricFamily } from '../model/metric.js';
import type { Appendable } from '../storage/storage.js';
import { Registry, type Counter } from '../exposition/registry.js';
import type { ScrapeAuth, ScrapePoolConfig } from './config.js';
import { FileDiscovery, type TargetGroup } from './file-sd.js';
import { relabel } from './relabel.js';
import { tlsFetch } from './tls-fetch.js';
import { appendBatch, type SampleBatch } from './sample-batch.js';
import { labelsKey, ScrapeLoopState } from './scrape-state.js';
import { scrapeTarget, type ScrapeResult } from './scrape-target.js';

/**
 * The server's scrape manager (Prometheus's scrape.Manager + scrapePool): one pool per
 * `scrape_configs` job, targets from static_configs and file_sd_configs turned into labelled
 * targets by Prometheus's rules (defaults `__address__`, `__scheme__`, `__metrics_path__`,
 * `__param_*`, `__scrape_interval__`, `__scrape_timeout__`, `job`; relabel_configs; `instance`
 * defaulting to the address), and one scrape loop per target writing every scrape into an
 * {@link Appendable}. Loops start at a stable per-target offset within the interval, as Prometheus
 * spreads them; a target that disappears gets staleness markers for its series.
 */

/** Options of {@link ScrapeManager}. */
export interface ScrapeManagerOptions {
  /** Where scrapes are written; one appender per scrape, committed after it. */
  readonly appendable: Appendable;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Receives kanshi_scrape_* instruments. */
  readonly registry?: Registry;
  /** Injected fetch (tests, TLS adapters); default the global one. */
  readonly fetch?: typeof fetch;
  /** Added to loop offsets, so several Kanshi servers spread differently (Prometheus hashes external labels). */
  readonly offsetSeed?: number;
}

/** Scrape health of a target, as /api/v1/targets shows it. */
export type TargetHealth = 'up' | 'down' | 'unknown';

/** One active target, shaped for /api/v1/targets. */
export interface ActiveTargetInfo {
  readonly discoveredLabels: Readonly<Record<string, string>>;
  /** The target's labels without `__` labels. */
  readonly labels: Readonly<Record<string, string>>;
  readonly scrapePool: string;
  readonly scrapeUrl: string;
  readonly globalUrl: string;
  /** '' when the last scrape succeeded. */
  readonly lastError: string;
  /** ms since the epoch; undefined before the first scrape. */
  readonly lastScrapeMs: number | undefined;
  readonly lastScrapeDurationSeconds: number;
  readonly health: TargetHealth;
  readonly scrapeIntervalMs: number;
  readonly scrapeTimeoutMs: number;
}

/** A target dropped by relabeling. */
export interface DroppedTargetInfo {
  readonly discoveredLabels: Readonly<Record<string, string>>;
  readonly scrapePool: string;
}

/** What {@link ScrapeManager.targets} returns. */
export interface TargetsView {
  readonly activeTargets: readonly ActiveTargetInfo[];
  readonly droppedTargets: readonly DroppedTargetInfo[];
}

/** A target after label population: its labels (internal `__` ones included) and scrape settings. */
export interface PopulatedTarget {
  readonly discoveredLabels: Labels;
  /** Null when relabeling dropped it. */
  readonly labels: Labels | null;
  readonly url: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/**
 * Builds a target from a discovered address and its group's labels, as Prometheus 2.x's
 * PopulateLabels does: defaults, relabel_configs, default port 80/443 for an address without one,
 * `__meta_*` removed, `instance` defaulting to the address. Throws on an invalid target
 * (no address, bad interval); returns `labels: null` when relabeling dropped it.
 */
export function populateTarget(
  address: string,
  groupLabels: Readonly<Record<string, string>>,
  pool: ScrapePoolConfig,
): PopulatedTarget {
  const m = new Map<string, string>(Object.entries(groupLabels));
  m.set('__address__', address);
  const defaults: [string, string][] = [
    ['job', pool.jobName],
    ['__scrape_interval__', formatDuration(pool.scrapeIntervalMs)],
    ['__scrape_timeout__', formatDuration(pool.scrapeTimeoutMs)],
    ['__metrics_path__', pool.metricsPath],
    ['__scheme__', pool.scheme],
  ];
  for (const [k, v] of defaults) if ((m.get(k) ?? '') === '') m.set(k, v);
  for (const [k, vs] of Object.entries(pool.params)) {
    const name = `__param_${k}`;
    if ((m.get(name) ?? '') === '' && vs[0] !== undefined) m.set(name, vs[0]);
  }
  const discovered = sortLabels([...m].map(([name, value]) => ({ name, value })));
  const after = relabel(discovered, pool.relabelConfigs);
  const base = { discoveredLabels: discovered, url: '', intervalMs: 0, timeoutMs: 0 };
  if (after === null) return { ...base, labels: null };
  const out = new Map(after.map((l) => [l.name, l.value]));
  let addr = out.get('__address__') ?? '';
  if (addr === '') throw new Error('no address');
  const scheme = out.get('__scheme__') ?? '';
  if (!hasPort(addr)) {
    if (scheme === 'http' || scheme === '') addr += ':80';
    else if (scheme === 'https') addr += ':443';
    else throw new Error(`invalid scheme: "${scheme}"`);
    out.set('__address__', addr);
  }
  if (addr.includes('/')) throw new Error(`"${addr}" is not a valid hostname`);
  const intervalMs = parseTargetDuration(out.get('__scrape_interval__') ?? '', 'interval');
  const timeoutMs = parseTargetDuration(out.get('__scrape_timeout__') ?? '', 'timeout');
  if (timeoutMs > intervalMs) {
    throw new Error(
      `scrape timeout cannot be greater than scrape interval ("${formatDuration(timeoutMs)}" > "${formatDuration(intervalMs)}")`,
    );
  }
  for (const name of [...out.keys()]) if (name.startsWith('__meta_')) out.delete(name);
  if ((out.get('instance') ?? '') === '') out.set('instance', addr);
  const labels = sortLabels([...out].map(([name, value]) => ({ name, value })));
  return { discoveredLabels: discovered, labels, url: targetUrl(labels, pool), intervalMs, timeoutMs };
}

function parseTargetDuration(text: string, what: string): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (e) {
    throw new Error(`error parsing scrape ${what}: ${errorMessage(e)}`);
  }
  if (ms === 0) throw new Error(`scrape ${what} cannot be 0`);
  return ms;
}

/** True when `addr` is host:port (IPv6 in brackets). */
function hasPort(addr: string): boolean {
  if (addr.startsWith('[')) return /^\[[^\]]*\]:[^:]*$/.test(addr);
  const i = addr.lastIndexOf(':');
  return i >= 0 && addr.indexOf(':') === i;
}

/** scheme://address/path?params, `__param_*` overriding the first value of a configured param. */
function targetUrl(labels: Labels, pool: ScrapePoolConfig): string {
  const params = new Map<string, string[]>(Object.entries(pool.params).map(([k, v]) => [k, [...v]]));
  for (const l of labels) {
    if (!l.name.startsWith('__param_')) continue;
    const k = l.name.slice('__param_'.length);
    const cur = params.get(k);
    if (cur !== undefined && cur.length > 0) cur[0] = l.value;
    else params.set(k, [l.value]);
  }
  const q = new URLSearchParams();
  for (const k of [...params.keys()].sort()) for (const v of params.get(k)!) q.append(k, v);
  const qs = q.toString();
  const path = getLabel(labels, '__metrics_path__');
  return `${getLabel(labels, '__scheme__')}://${getLabel(labels, '__address__')}${path}${qs === '' ? '' : `?${qs}`}`;
}

/**
 * What identifies a target's series across a job's reload: its public labels and URL. The full
 * key also holds `__scrape_interval__` and the like, which a reload may change without changing a
 * single series.
 */
function handoverKey(t: { labels: Labels; url: string }): string {
  return `${labelsKey(t.labels.filter((l) => !l.name.startsWith('__')))}\u0002${t.url}`;
}

/** FNV-1a 64 of a string, as a bigint; stable across processes. */
function fnv64(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(s)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

/** Instruments of the manager. */
interface ManagerMetrics {
  readonly scrapes: Counter;
  readonly failures: Counter;
  readonly samples: Counter;
  readonly rejected: Counter;
  readonly staleMarkers: Counter;
}

/** One target's loop. */
class TargetLoop {
  readonly #abort = new AbortController();
  #done: Promise<void> = Promise.resolve();
  lastError = '';
  lastScrapeMs: number | undefined;
  lastDurationSeconds = 0;
  health: TargetHealth = 'unknown';

  constructor(
    readonly key: string,
    readonly target: PopulatedTarget & { labels: Labels },
    readonly pool: Pool,
    readonly state: ScrapeLoopState,
  ) {}

  start(): void {
    this.#done = this.#run(this.#abort.signal).catch((e: unknown) => {
      this.pool.logger.error({ target: this.target.url, err: errorMessage(e) }, 'scrape loop failed');
    });
  }

  /** Stops the loop; with `stale`, ends its series with staleness markers. */
  async stop(stale: boolean): Promise<void> {
    this.#abort.abort();
    await this.#done;
    // After the last scrape's timestamp, or the store would see a duplicate, not a marker.
    const t = Math.max(this.pool.clock.now(), (this.lastScrapeMs ?? -Infinity) + 1);
    if (stale) await this.pool.write(this.state.endOfRun(t), true);
  }

  async #run(signal: AbortSignal): Promise<void> {
    const clock = this.pool.clock;
    const interval = this.target.intervalMs;
    const hash = fnv64(`${this.key}\u0002${this.target.url}`) ^ BigInt(this.pool.offsetSeed);
    const offset = Number(hash % BigInt(interval));
    const now = clock.now();
    let next = now - (now % interval) + offset;
    if (next < now) next += interval;
    for (;;) {
      try {
        await clock.sleep(next - clock.now(), signal);
      } catch {
        return;
      }
      if (signal.aborted) return;
      await this.#scrapeOnce(signal);
      const t = clock.now();
      next += interval;
      if (next <= t) next += Math.ceil((t - next + 1) / interval) * interval;
    }
  }

  async #scrapeOnce(signal: AbortSignal): Promise<void> {
    const p = this.pool;
    const cfg = p.config;
    const labels = this.target.labels;
    const exposed: Record<string, string> = {};
    for (const l of labels) if (!l.name.startsWith('__')) exposed[l.name] = l.value;
    let headers: Record<string, string> = {};
    try {
      headers = await authHeaders(cfg.auth);
    } catch (e) {
      p.logger.warn({ job: cfg.jobName, err: errorMessage(e) }, 'cannot read scrape credentials');
    }
    const result: ScrapeResult = await scrapeTarget(
      {
        url: this.target.url,
        job: getLabel(labels, 'job'),
        instance: getLabel(labels, 'instance'),
        labels: exposed,
      },
      {
        timeoutMs: this.target.timeoutMs,
        signal,
        headers,
        honorLabels: cfg.honorLabels,
        honorTimestamps: cfg.honorTimestamps,
        sampleLimit: cfg.sampleLimit,
        bodySizeLimitBytes: cfg.bodySizeLimitBytes,
        followRedirects: cfg.followRedirects,
        now: () => p.clock.now(),
        state: this.state,
        ...(p.forcedError !== undefined
          ? { fetch: forcedFailure(p.forcedError) }
          : p.scrapeFetch !== undefined
            ? { fetch: p.scrapeFetch }
            : {}),
        ...(p.sampleFn !== undefined ? { relabelSample: p.sampleFn } : {}),
        ...(cfg.scrapeProtocols !== undefined && cfg.scrapeProtocols.length > 0
          ? { protocols: cfg.scrapeProtocols }
          : {}),
      },
    );
    if (signal.aborted && !result.up) {
      // A scrape canceled by stop(): not a failure to report, but the state already counts its
      // series as gone, so their staleness markers (first in the batch) must still be written.
      const n = result.staleMarkers;
      const b = result.samples;
      const markers = {
        length: n,
        labels: b.labels.slice(0, n),
        timestampsMs: b.timestampsMs.subarray(0, n),
        values: b.values.subarray(0, n),
      };
      await p.write(markers, true);
      return;
    }
    this.lastError = p.forcedError ?? result.error ?? '';
    this.lastScrapeMs = result.timestampMs;
    this.lastDurationSeconds = result.durationSeconds;
    this.health = result.up ? 'up' : 'down';
    p.metrics.scrapes.inc({ scrape_pool: cfg.jobName });
    if (!result.up) p.metrics.failures.inc({ scrape_pool: cfg.jobName });
    p.metrics.staleMarkers.inc({ scrape_pool: cfg.jobName }, result.staleMarkers);
    await p.write(result.samples, false);
  }

  info(): ActiveTargetInfo {
    const labels: Record<string, string> = {};
    for (const l of this.target.labels) if (!l.name.startsWith('__')) labels[l.name] = l.value;
    return {
      discoveredLabels: labelsToRecord(this.target.discoveredLabels),
      labels,
      scrapePool: this.pool.config.jobName,
      scrapeUrl: this.target.url,
      globalUrl: this.target.url,
      lastError: this.lastError,
      lastScrapeMs: this.lastScrapeMs,
      lastScrapeDurationSeconds: this.lastDurationSeconds,
      health: this.health,
      scrapeIntervalMs: this.target.intervalMs,
      scrapeTimeoutMs: this.target.timeoutMs,
    };
  }
}

/** Throws, failing the scrape, when a sample breaks label_limit or a length limit (Prometheus's messages). */
function checkLabelLimits(labels: Labels, c: ScrapePoolConfig): void {
  const metric = getLabel(labels, '__name__').slice(0, 50);
  if (c.labelLimit > 0 && labels.length > c.labelLimit) {
    throw new Error(
      `label_limit exceeded (metric: ${metric}, number of labels: ${labels.length}, limit: ${c.labelLimit})`,
    );
  }
  for (const l of labels) {
    if (c.labelNameLengthLimit > 0 && l.name.length > c.labelNameLengthLimit) {
      throw new Error(
        `label_name_length_limit exceeded (metric: ${metric}, label name: ${l.name.slice(0, 50)}, length: ${l.name.length}, limit: ${c.labelNameLengthLimit})`,
      );
    }
    if (c.labelValueLengthLimit > 0 && l.value.length > c.labelValueLengthLimit) {
      throw new Error(
        `label_value_length_limit exceeded (metric: ${metric}, label name: ${l.name.slice(0, 50)}, value: ${JSON.stringify(l.value.slice(0, 50))}, length: ${l.value.length}, limit: ${c.labelValueLengthLimit})`,
      );
    }
  }
}

/** A fetch that fails every request with `message`: a pool over its target_limit scrapes nothing. */
function forcedFailure(message: string): typeof fetch {
  return () => Promise.reject(new Error(message));
}

async function authHeaders(auth: ScrapeAuth | undefined): Promise<Record<string, string>> {
  if (auth === undefined) return {};
  const secret = async (inline: string | undefined, file: string | undefined): Promise<string> =>
    file !== undefined ? (await readFile(file, 'utf8')).trim() : (inline ?? '');
  if (auth.kind === 'basic') {
    const pw = await secret(auth.password, auth.passwordFile);
    return { Authorization: `Basic ${Buffer.from(`${auth.username}:${pw}`).toString('base64')}` };
  }
  return { Authorization: `${auth.type} ${await secret(auth.credentials, auth.credentialsFile)}` };
}

/** One job: its discovery, targets and loops. */
class Pool {
  readonly loops = new Map<string, TargetLoop>();
  dropped: DroppedTargetInfo[] = [];
  #groups = new Map<string, TargetGroup[]>();
  #discoveryAbort = new AbortController();
  #discoveries: Promise<void>[] = [];
  #sync: Promise<void> = Promise.resolve();
  #running = false;
  /** Loop states handed over from the pool this one replaced, by {@link handoverKey}. */
  #inherited = new Map<string, ScrapeLoopState>();
  /** File discoveries that have not reported yet; inherited states wait for them. */
  #waitingSd = 0;

  constructor(
    public config: ScrapePoolConfig,
    readonly appendable: Appendable,
    readonly clock: Clock,
    readonly logger: Logger,
    readonly metrics: ManagerMetrics,
    readonly fetch: typeof globalThis.fetch | undefined,
    readonly offsetSeed: number,
  ) {}

  #tlsFetch: typeof globalThis.fetch | undefined;
  /** Set while the pool has more targets than target_limit: every scrape fails with it. */
  forcedError: string | undefined;

  /** metric_relabel_configs then the label limits (a breach fails the scrape), or undefined for neither. */
  get sampleFn(): ((labels: Labels) => Labels | null) | undefined {
    const c = this.config;
    const rules = c.metricRelabelConfigs;
    if (rules.length === 0 && c.labelLimit + c.labelNameLengthLimit + c.labelValueLengthLimit === 0)
      return undefined;
    return (labels) => {
      const out = relabel(labels, rules);
      if (out !== null) checkLabelLimits(out, c);
      return out;
    };
  }

  /** The fetch for this pool's scrapes: a TLS-aware one when tls_config asks for more than defaults. */
  get scrapeFetch(): typeof globalThis.fetch | undefined {
    const t = this.config.tls;
    if (t.insecureSkipVerify || t.caFile !== undefined || t.serverName !== undefined) {
      this.#tlsFetch ??= tlsFetch(t);
      return this.#tlsFetch;
    }
    return this.fetch;
  }

  /** Starts discovery and loops. */
  start(): void {
    this.#running = true;
    this.#startDiscovery();
  }

  /**
   * Takes a config that differs from the current one only in static_configs or file_sd_configs:
   * discovery restarts, loops of targets that remain keep running.
   */
  async rediscover(config: ScrapePoolConfig): Promise<void> {
    this.#discoveryAbort.abort();
    await Promise.all(this.#discoveries);
    this.config = config;
    this.#groups.clear();
    if (this.#running) this.#startDiscovery();
  }

  #startDiscovery(): void {
    const statics: TargetGroup[] = this.config.staticConfigs.map((s, i) => ({
      source: `static:${i}`,
      targets: s.targets,
      labels: s.labels,
    }));
    this.#groups.set('static', statics);
    this.#discoveryAbort = new AbortController();
    this.#waitingSd = this.config.fileSdConfigs.length;
    this.#discoveries = this.config.fileSdConfigs.map((f, i) =>
      new FileDiscovery({
        files: f.files,
        refreshIntervalMs: f.refreshIntervalMs,
        logger: this.logger,
        onUpdate: (groups) => {
          if (!this.#groups.has(`file:${i}`)) this.#waitingSd--;
          this.#groups.set(`file:${i}`, groups);
          this.requestSync();
        },
      }).run(this.#discoveryAbort.signal),
    );
    this.requestSync();
  }

  requestSync(): void {
    this.#sync = this.#sync.then(() => this.#syncTargets());
  }

  /** Waits for pending target syncs (tests). */
  settled(): Promise<void> {
    return this.#sync;
  }

  async #syncTargets(): Promise<void> {
    if (!this.#running) return;
    const want = new Map<string, PopulatedTarget & { labels: Labels }>();
    const dropped: DroppedTargetInfo[] = [];
    for (const groups of this.#groups.values()) {
      for (const g of groups) {
        for (const addr of g.targets) {
          let t: PopulatedTarget;
          try {
            t = populateTarget(addr, g.labels, this.config);
          } catch (e) {
            this.logger.warn(
              { job: this.config.jobName, target: addr, err: errorMessage(e) },
              'creating target failed',
            );
            continue;
          }
          if (t.labels === null) {
            dropped.push({
              discoveredLabels: labelsToRecord(t.discoveredLabels),
              scrapePool: this.config.jobName,
            });
            continue;
          }
          want.set(`${labelsKey(t.labels)}\u0002${t.url}`, { ...t, labels: t.labels });
        }
      }
    }
    this.dropped = dropped;
    const limit = this.config.targetLimit;
    this.forcedError =
      limit > 0 && want.size > limit
        ? `target_limit exceeded (number of targets: ${want.size}, limit: ${limit})`
        : undefined;
    const stops: Promise<void>[] = [];
    for (const [key, loop] of this.loops) {
      if (!want.has(key)) {
        this.loops.delete(key);
        stops.push(loop.stop(true));
      }
    }
    for (const [key, t] of want) {
      if (this.loops.has(key)) continue;
      const hk = handoverKey(t);
      const state = this.#inherited.get(hk) ?? new ScrapeLoopState();
      this.#inherited.delete(hk);
      const loop = new TargetLoop(key, t, this, state);
      this.loops.set(key, loop);
      loop.start();
    }
    if (this.#waitingSd === 0 && this.#inherited.size > 0) {
      const now = this.clock.now();
      for (const state of this.#inherited.values()) stops.push(this.write(state.endOfRun(now), true));
      this.#inherited.clear();
    }
    await Promise.all(stops);
  }

  /**
   * Stops discovery and every loop; `stale` writes staleness markers for all their series. Returns
   * the loop states by target key, for a pool that replaces this one.
   */
  async stop(stale: boolean): Promise<Map<string, ScrapeLoopState>> {
    this.#running = false;
    this.#discoveryAbort.abort();
    await Promise.all(this.#discoveries);
    await this.#sync;
    const loops = [...this.loops.values()];
    this.loops.clear();
    await Promise.all(loops.map((l) => l.stop(stale)));
    const states = new Map(this.#inherited);
    this.#inherited.clear();
    for (const l of loops) states.set(handoverKey(l.target), l.state);
    return states;
  }

  /** Takes over loop states of the pool this one replaces (before {@link start}). */
  inherit(states: Map<string, ScrapeLoopState>): void {
    this.#inherited = states;
  }

  async write(batch: SampleBatch, isEnd: boolean): Promise<void> {
    if (batch.length === 0) return;
    const app = this.appendable.appender();
    const out = appendBatch(batch, app);
    try {
      await app.commit();
    } catch (e) {
      this.logger.error(
        { job: this.config.jobName, err: errorMessage(e) },
        'committing scraped samples failed',
      );
      return;
    }
    const pool = { scrape_pool: this.config.jobName };
    this.metrics.samples.inc(pool, out.appended);
    for (const [reason, n] of Object.entries(out.rejected)) this.metrics.rejected.inc({ ...pool, reason }, n);
    if (isEnd) this.metrics.staleMarkers.inc(pool, batch.length);
  }
}

/** Whether two pool configs scrape the same way (regexes compared by source). */
function sameConfig(a: ScrapePoolConfig, b: ScrapePoolConfig, ignoreDiscovery = false): boolean {
  const replacer = (k: string, v: unknown): unknown => {
    if (ignoreDiscovery && (k === 'staticConfigs' || k === 'fileSdConfigs')) return undefined;
    return v instanceof RegExp ? `${v.source}/${v.flags}` : v;
  };
  return JSON.stringify(a, replacer) === JSON.stringify(b, replacer);
}

/**
 * Runs the scrape pools. Lifecycle: construct, {@link applyConfig} (any time, also before
 * {@link run}), {@link run} until its signal aborts, {@link close}. Not for concurrent applyConfig
 * calls from several callers without awaiting.
 */
export class ScrapeManager {
  readonly #opts: ScrapeManagerOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #metrics: ManagerMetrics;
  readonly #pools = new Map<string, Pool>();
  #running = false;
  #closed = false;

  constructor(options: ScrapeManagerOptions) {
    this.#opts = options;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? nullLogger;
    const registry = options.registry ?? new Registry();
    this.#metrics = {
      scrapes: registry.counter('kanshi_scrape_scrapes_total', 'Scrapes made, by scrape pool.'),
      failures: registry.counter(
        'kanshi_scrape_failures_total',
        'Scrapes that failed (up=0), by scrape pool.',
      ),
      samples: registry.counter(
        'kanshi_scrape_samples_appended_total',
        'Samples appended by scrapes, staleness markers included.',
      ),
      rejected: registry.counter(
        'kanshi_scrape_samples_rejected_total',
        'Scraped samples the storage rejected, by reason.',
      ),
      staleMarkers: registry.counter(
        'kanshi_scrape_stale_markers_total',
        'Staleness markers written for vanished series and targets.',
      ),
    };
    registry.addCollector(() => this.#collect());
  }

  #collect(): MetricFamily[] {
    const samples = [];
    for (const [name, pool] of this.#pools) {
      for (const [state, n] of [
        ['active', pool.loops.size],
        ['dropped', pool.dropped.length],
      ] as const) {
        const labels: Label[] = [
          { name: 'scrape_pool', value: name },
          { name: 'state', value: state },
        ];
        samples.push({ name: 'kanshi_scrape_targets', labels: sortLabels(labels), value: n });
      }
    }
    return [
      {
        name: 'kanshi_scrape_targets',
        type: 'gauge',
        help: 'Targets by scrape pool and state (active, dropped).',
        samples,
      },
    ];
  }

  /**
   * Replaces the set of jobs. Unchanged jobs keep their loops and state; a job whose targets
   * changed keeps the loops of the targets that remain; a job whose scrape settings changed
   * restarts its loops (remaining targets keep their series, no staleness); removed jobs and
   * targets get staleness markers. Resolves when the old loops have stopped.
   */
  async applyConfig(next: readonly ScrapePoolConfig[]): Promise<void> {
    const byName = new Map(next.map((c) => [c.jobName, c]));
    const handover = new Map<string, Map<string, ScrapeLoopState>>();
    const stops: Promise<void>[] = [];
    for (const [name, pool] of this.#pools) {
      const cfg = byName.get(name);
      if (cfg !== undefined && sameConfig(cfg, pool.config)) continue;
      if (cfg !== undefined && sameConfig(cfg, pool.config, true)) {
        stops.push(pool.rediscover(cfg));
        continue;
      }
      this.#pools.delete(name);
      // A changed job hands its series over to its successor; a removed one ends them.
      stops.push(pool.stop(cfg === undefined).then((states) => void handover.set(name, states)));
    }
    await Promise.all(stops);
    for (const cfg of next) {
      if (this.#pools.has(cfg.jobName)) continue;
      const pool = new Pool(
        cfg,
        this.#opts.appendable,
        this.#clock,
        this.#logger.child({ scrape_pool: cfg.jobName }),
        this.#metrics,
        this.#opts.fetch,
        this.#opts.offsetSeed ?? 0,
      );
      const states = handover.get(cfg.jobName);
      if (states !== undefined) pool.inherit(states);
      this.#pools.set(cfg.jobName, pool);
      if (this.#running) pool.start();
    }
  }

  /** Starts every pool and scrapes until `signal` aborts, then stops the loops (see {@link close}). */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#closed) return;
    this.#running = true;
    for (const pool of this.#pools.values()) pool.start();
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await this.close();
  }

  /** Waits until pending target updates are applied (for tests and /api after a reload). */
  async settled(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((p) => p.settled()));
  }

  /**
   * Stops every loop and discovery. Writes no staleness markers: like Prometheus on shutdown, the
   * series simply end (a restarted server resumes them).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#running = false;
    await Promise.all([...this.#pools.values()].map((p) => p.stop(false)));
  }

  /** Active and dropped targets, for /api/v1/targets; pools in config order, targets by scrape URL. */
  targets(): TargetsView {
    const activeTargets: ActiveTargetInfo[] = [];
    const droppedTargets: DroppedTargetInfo[] = [];
    for (const pool of this.#pools.values()) {
      const infos = [...pool.loops.values()].map((l) => l.info());
      infos.sort((a, b) => (a.scrapeUrl < b.scrapeUrl ? -1 : a.scrapeUrl > b.scrapeUrl ? 1 : 0));
      activeTargets.push(...infos);
      droppedTargets.push(...pool.dropped);
    }
    return { activeTargets, droppedTargets };
  }
}
