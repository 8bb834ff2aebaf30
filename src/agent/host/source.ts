import type { MetricFamily } from '../../model/metric.js';

/**
 * The seam between {@link HostCollector} and its sub-collectors: what one collection may read,
 * and the shape of a sub-collector. Sub-collectors are named as node_exporter names its
 * collectors (`cpu`, `meminfo`, …) because that name is the `collector` label of
 * `node_scrape_collector_success`.
 */

/** Read access for one collection. Reads are memoized for the duration of that collection. */
export interface HostSource {
  /** The text of `procPath/relPath` (e.g. `net/dev`). Rejects with the fs error (ENOENT, …). */
  readProc(relPath: string): Promise<string>;
  /** The text of `sysPath/relPath`. Rejects with the fs error. */
  readSys(relPath: string): Promise<string>;
  /** The entry names of the directory `sysPath/relPath`. Rejects with the fs error. */
  listSys(relPath: string): Promise<string[]>;
  /** Aborts when the caller gives up on the collection. */
  readonly signal: AbortSignal | undefined;
  /** The collection time, milliseconds since the epoch. */
  readonly nowMs: number;
}

/**
 * One node_exporter-style collector. `collect` resolves with the families it produced or
 * rejects; {@link NoDataError} means "nothing to report on this host" (logged at debug only).
 * A collector may keep state between collections (the cpu collector does); collections of one
 * instance are never run concurrently by {@link HostCollector}.
 */
export interface HostSubCollector {
  readonly name: string;
  collect(source: HostSource): Promise<MetricFamily[]>;
}

/** The collector has nothing to report here (e.g. no /proc/pressure on an old kernel). */
export class NoDataError extends Error {
  override readonly name = 'NoDataError';
}
