import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../../base/errors.js';
import { parseYamlConfig, type Diagnostic } from '../../config/load-yaml.js';
import { kanshiConfig, type KanshiConfig } from './schema.js';

/** A loaded kanshi.yml, with the folder relative paths in it are resolved against. */
export interface LoadedConfig {
  readonly config: KanshiConfig | undefined;
  readonly diagnostics: readonly Diagnostic[];
  /** The config file's folder (the working directory when there is no file). */
  readonly baseDir: string;
  /** The file read, or undefined when running on defaults. */
  readonly file: string | undefined;
}

/**
 * Reads and validates a config file. With no `file`, Kanshi runs on its embedded defaults.
 * Never throws for a bad file: problems come back as diagnostics.
 */
export async function loadKanshiConfig(file: string | undefined, cwd: string): Promise<LoadedConfig> {
  if (file === undefined) {
    return { config: kanshiConfig.parse({}), diagnostics: [], baseDir: cwd, file: undefined };
  }
  const abs = path.resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    return {
      config: undefined,
      diagnostics: [{ file, path: '', message: `cannot read config: ${errorMessage(e)}` }],
      baseDir: path.dirname(abs),
      file,
    };
  }
  const r = parseYamlConfig(text, file, kanshiConfig);
  return { config: r.config, diagnostics: r.diagnostics, baseDir: path.dirname(abs), file };
}
