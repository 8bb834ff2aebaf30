import type { AgentConfig } from '../agent/config/schema.js';
import { formatDiagnostic } from '../config/load-yaml.js';
import { loadKanshiConfig } from '../server/config/load.js';

/** What `kanshi agent` needs of kanshi.yml: the agent section and where to keep its data. */
export interface AgentStartConfig {
  readonly agent: AgentConfig;
  /** `server.data_dir` as written (relative to baseDir); the agent queue lives below it. */
  readonly dataDir: string;
  /** `server.log_level`. */
  readonly logLevel: string;
  /** The config file's folder (the working directory without a file). */
  readonly baseDir: string;
}

/** A validated configuration, or every problem as a printable `file:line:column: path: message`. */
export type AgentConfigResult =
  | { readonly ok: true; readonly config: AgentStartConfig }
  | { readonly ok: false; readonly diagnostics: readonly string[] };

/**
 * Reads and validates kanshi.yml (all of it: a bad server section is an error for the agent too)
 * and keeps the agent's part. Loads yaml, zod and the server's schema (which pulls in PromQL for
 * the rules): call it through agent-config.ts, which runs it in a short-lived process.
 */
export async function loadAgentStartConfig(
  file: string | undefined,
  cwd: string,
): Promise<AgentConfigResult> {
  const loaded = await loadKanshiConfig(file, cwd);
  if (!loaded.config) return { ok: false, diagnostics: loaded.diagnostics.map(formatDiagnostic) };
  return {
    ok: true,
    config: {
      agent: loaded.config.agent,
      dataDir: loaded.config.server.data_dir,
      logLevel: loaded.config.server.log_level,
      baseDir: loaded.baseDir,
    },
  };
}
