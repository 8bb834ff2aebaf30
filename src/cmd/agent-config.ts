import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AgentConfigResult } from './agent-config-load.js';

export type { AgentConfigResult, AgentStartConfig } from './agent-config-load.js';

/** Options of {@link loadAgentConfig}. */
export interface LoadAgentConfigOptions {
  /**
   * Validate in a child process, so the long-running agent never loads yaml, zod and the server's
   * schema with PromQL (~20 MiB of its resident memory: modules cannot be unloaded once imported).
   * From the TypeScript sources (tests, development) the child runs them through tsx.
   */
  isolated: boolean;
}

/**
 * Loads kanshi.yml for `kanshi agent` (see agent-config-load.ts). The isolated load costs one
 * node start (a few hundred ms) when the agent starts. Never rejects for a bad file: problems come
 * back as diagnostics; a loader process that dies without answering is one diagnostic too.
 */
export async function loadAgentConfig(
  file: string | undefined,
  cwd: string,
  options: LoadAgentConfigOptions,
): Promise<AgentConfigResult> {
  if (!options.isolated) {
    const { loadAgentStartConfig } = await import('./agent-config-load.js');
    return loadAgentStartConfig(file, cwd);
  }
  const isSource = import.meta.url.endsWith('.ts');
  const child = new URL(`./agent-config-child.${isSource ? 'ts' : 'js'}`, import.meta.url);
  return new Promise((resolve) => {
    let result: AgentConfigResult | undefined;
    const settle = (fallback: string): void => resolve(result ?? { ok: false, diagnostics: [fallback] });
    const p = fork(fileURLToPath(child), [file ?? '', cwd], {
      execArgv: isSource ? ['--import', 'tsx'] : [],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    p.once('message', (m) => (result = m as AgentConfigResult));
    p.once('error', (e) => settle(`cannot run the config loader: ${e.message}`));
    p.once('close', (code, signal) =>
      settle(`the config loader exited with ${signal ?? `code ${code}`} before answering`),
    );
  });
}
