import { errorMessage } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import type { AgentSink } from '../agent/agent.js';
import type { SeriesSample } from '../agent/series.js';
import type { CheckReportResult } from '../model/check-report.js';
import type { Appendable } from '../storage/storage.js';
import type { CheckResultStore } from './ingest/check-results.js';

/**
 * The sink of the agent that runs inside the server (`kanshi up`): samples go straight into the
 * store through an Appender and check results into the check-result store, with no network hop
 * and no queue (a crash loses nothing the WAL acknowledged, and the agent's next run follows).
 */
export class LocalAgentSink implements AgentSink {
  readonly #appendable: Appendable;
  readonly #checks: CheckResultStore;
  readonly #log: Logger;

  constructor(appendable: Appendable, checks: CheckResultStore, logger: Logger) {
    this.#appendable = appendable;
    this.#checks = checks;
    this.#log = logger;
  }

  async writeSamples(samples: readonly SeriesSample[]): Promise<void> {
    const app = this.#appendable.appender();
    let rejected = 0;
    for (const s of samples) if (app.append(s.labels, s.t, s.v) !== null) rejected++;
    try {
      await app.commit();
    } catch (e) {
      this.#log.error({ err: errorMessage(e), samples: samples.length }, 'local agent write failed');
    }
    if (rejected > 0) this.#log.debug({ rejected }, 'local agent samples rejected');
  }

  async writeCheckResults(host: string, results: readonly CheckReportResult[]): Promise<void> {
    try {
      await this.#checks.put(host, results);
    } catch (e) {
      this.#log.error({ err: errorMessage(e) }, 'local agent check results failed');
    }
  }
}
