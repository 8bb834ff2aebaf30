import { z } from 'zod';
import { parseDuration } from '../base/duration.js';
import { parseBytes } from '../base/size.js';
import { errorMessage } from '../base/errors.js';

/** Zod building blocks shared by Kanshi's configuration schemas. */

/** A Prometheus duration string (`30s`, `1h30m`) read as milliseconds. */
export const durationMs = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: errorMessage(e) });
    return z.NEVER;
  }
});

/** A duration that must be > 0. */
export const positiveDurationMs = durationMs.refine((ms) => ms > 0, { message: 'must be > 0' });

/** A byte size (`512MB`, `2GiB`) or a plain number of bytes. */
export const bytes = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  try {
    return parseBytes(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: errorMessage(e) });
    return z.NEVER;
  }
});

/** `host:port`, as `--listen` takes it. */
export const listenAddress = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/, {
  message: 'must be HOST:PORT, e.g. 127.0.0.1:9800',
});

/** A command: an argv list (no shell) or a string run with /bin/sh -c. */
export const command = z.union([z.string().min(1), z.array(z.string()).min(1)]);

/** Environment variables for a command. */
export const env = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

/** A regular expression, checked to compile. */
export const regex = z.string().refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);
