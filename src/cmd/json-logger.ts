import { writeSync } from 'node:fs';
import type { Logger } from '../base/logger.js';
import { UsageError } from './args.js';

/**
 * A logger writing the JSON lines pino writes with `{ base: null, timestamp: isoTime }`:
 * `{"level":30,"time":"2026-11-28T01:02:03.456Z",<child fields>,<fields>,"msg":"…"}`, one line per
 * call, synchronously. For `kanshi agent`, which logs a few lines a minute and should not carry
 * pino (~7 MiB of its resident memory, measured with process.memoryUsage() after gc) for them.
 */

/** pino's level numbers; `silent` writes nothing. */
const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/** A level name {@link createJsonLogger} accepts. */
export type JsonLogLevel = keyof typeof LEVELS;

/** Options of {@link createJsonLogger}. */
export interface JsonLoggerOptions {
  /** The lowest level written: pino's names (`debug`, `info`, `warn`, `error`, …). */
  level: string;
  /** Receives each line, newline included. Default: written to stderr (fd 2) synchronously. */
  write?: (line: string) => void;
  /** Milliseconds since the epoch, for `time`. Default Date.now. */
  now?: () => number;
}

/**
 * Creates the logger. Throws {@link UsageError} for an unknown level (it comes from
 * `--log-level`). Values that are Errors are written as `{type, message, stack}`, bigints as
 * numbers, and a field that cannot be serialized (a cycle) as `"[unserializable]"`.
 */
export function createJsonLogger(options: JsonLoggerOptions): Logger {
  if (!Object.hasOwn(LEVELS, options.level)) {
    throw new UsageError(
      `unknown log level ${JSON.stringify(options.level)}, want one of ${Object.keys(LEVELS).join(', ')}`,
    );
  }
  const min = LEVELS[options.level as JsonLogLevel];
  const write = options.write ?? writeStderr;
  const now = options.now ?? Date.now;
  const make = (bindings: string): Logger => {
    const line = (level: number, fields: object, message: string): void => {
      if (level < min) return;
      const time = new Date(now()).toISOString();
      write(
        `{"level":${level},"time":"${time}"${bindings}${serializeFields(fields)},"msg":${json(message)}}\n`,
      );
    };
    return {
      debug: (fields, message) => line(20, fields, message),
      info: (fields, message) => line(30, fields, message),
      warn: (fields, message) => line(40, fields, message),
      error: (fields, message) => line(50, fields, message),
      child: (fields) => make(bindings + serializeFields(fields)),
    };
  };
  return make('');
}

/** `,"k":v` for each own field whose value is not undefined, as pino writes them. */
function serializeFields(fields: object): string {
  let out = '';
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    out += `,${json(k)}:${json(v)}`;
  }
  return out;
}

function json(value: unknown): string {
  try {
    return JSON.stringify(value, replace) ?? 'null';
  } catch {
    return '"[unserializable]"';
  }
}

function replace(this: unknown, _key: string, value: unknown): unknown {
  if (value instanceof Error) return { type: value.name, message: value.message, stack: value.stack };
  if (typeof value === 'bigint') return Number(value);
  return value;
}

/** Writes the whole line to fd 2, retrying a full non-blocking pipe a few times, then dropping it. */
function writeStderr(line: string): void {
  let buf = Buffer.from(line, 'utf8');
  for (let attempt = 0; buf.length > 0 && attempt < 100;) {
    try {
      const n = writeSync(2, buf);
      buf = buf.subarray(n);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      attempt++;
    }
  }
}
