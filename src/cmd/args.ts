import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Flags every long-running command takes (README "CLI"). */
export const commonOptions = {
  config: { type: 'string', short: 'c' },
  data: { type: 'string' },
  listen: { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** A usage mistake on the command line: the command prints it with its usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** parseArgs in strict mode, turning its errors into a {@link UsageError}. */
export function parseFlags<const O extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: O,
) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}
