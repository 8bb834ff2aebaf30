import { loadAgentStartConfig } from './agent-config-load.js';

/**
 * The entry of the short-lived process agent-config.ts forks: argv `[file or "", cwd]`; sends one
 * AgentConfigResult over the IPC channel and exits.
 */
const [file = '', cwd = process.cwd()] = process.argv.slice(2);
const result = await loadAgentStartConfig(file === '' ? undefined : file, cwd);
process.send?.(result, () => process.disconnect());
