import { readFile, rename } from 'node:fs/promises';
import { errorMessage } from '../../base/errors.js';
import type { Logger } from '../../base/logger.js';
import { writeFileDurably } from '../../wal/durable-file.js';
import type { MaintenanceWindow, Recurrence } from './maintenance.js';
import type { SilenceMatcher } from './matcher.js';
import type { Silence } from './silence.js';

/**
 * The silences snapshot file: `{"version":1,"silences":[…],"maintenanceWindows":[…]}` with the
 * store's own field names and times in ms since the epoch. Written whole, atomically: a temp file
 * beside it is written and fsynced, renamed over the old file, and the directory fsynced, so a crash
 * leaves either the old or the new file. Documented in docs/silences.md.
 */

/** The content of a snapshot file. */
export interface Snapshot {
  readonly silences: readonly Silence[];
  readonly maintenanceWindows: readonly MaintenanceWindow[];
}

const VERSION = 1;

/** Writes `snap` to `file` atomically (see the module comment). Rejects on I/O errors. */
export async function writeSnapshot(file: string, snap: Snapshot): Promise<void> {
  await writeFileDurably(file, JSON.stringify({ version: VERSION, ...snap }), { mode: 0o600 });
}

/**
 * Reads the snapshot; undefined when there is none yet. A file that cannot be parsed is logged and
 * renamed to `<file>.damaged-<nowMs>` (kept for a person to look at), and undefined returned.
 * Entries of the wrong shape are dropped one by one with an error log; the rest load.
 */
export async function readSnapshot(file: string, log: Logger, nowMs: number): Promise<Snapshot | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    log.error(
      { path: file, err: errorMessage(err) },
      'cannot read the silences snapshot; starting without it',
    );
    return undefined;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
    if (!isRecord(data) || data['version'] !== VERSION)
      throw new Error(`unsupported snapshot version ${String(isRecord(data) ? data['version'] : data)}`);
  } catch (err) {
    const aside = `${file}.damaged-${nowMs}`;
    log.error(
      { path: file, movedTo: aside, err: errorMessage(err) },
      'the silences snapshot is damaged; set it aside and starting without silences',
    );
    try {
      await rename(file, aside);
    } catch (renameErr) {
      log.error(
        { path: file, err: errorMessage(renameErr) },
        'cannot set the damaged silences snapshot aside',
      );
    }
    return undefined;
  }
  const silences: Silence[] = [];
  const windows: MaintenanceWindow[] = [];
  for (const [i, s] of arrayOf(data['silences']).entries()) {
    const sil = toSilence(s);
    if (sil === undefined)
      log.error({ path: file, index: i }, 'skipping a malformed silence in the snapshot');
    else silences.push(sil);
  }
  for (const [i, w] of arrayOf(data['maintenanceWindows']).entries()) {
    const win = toWindow(w);
    if (win === undefined)
      log.error({ path: file, index: i }, 'skipping a malformed maintenance window in the snapshot');
    else windows.push(win);
  }
  return { silences, maintenanceWindows: windows };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function arrayOf(v: unknown): unknown[] {
  return Array.isArray(v) ? (v as unknown[]) : [];
}

function toMatchers(v: unknown): SilenceMatcher[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: SilenceMatcher[] = [];
  for (const m of v as unknown[]) {
    if (
      !isRecord(m) ||
      typeof m['name'] !== 'string' ||
      typeof m['value'] !== 'string' ||
      typeof m['isRegex'] !== 'boolean' ||
      typeof m['isEqual'] !== 'boolean'
    ) {
      return undefined;
    }
    out.push({ name: m['name'], value: m['value'], isRegex: m['isRegex'], isEqual: m['isEqual'] });
  }
  return out;
}

function toSilence(v: unknown): Silence | undefined {
  if (!isRecord(v)) return undefined;
  const matchers = toMatchers(v['matchers']);
  const { id, startsAtMs, endsAtMs, updatedAtMs, createdBy, comment } = v;
  if (
    matchers === undefined ||
    typeof id !== 'string' ||
    typeof startsAtMs !== 'number' ||
    typeof endsAtMs !== 'number' ||
    typeof updatedAtMs !== 'number' ||
    typeof createdBy !== 'string' ||
    typeof comment !== 'string'
  ) {
    return undefined;
  }
  return { id, matchers, startsAtMs, endsAtMs, updatedAtMs, createdBy, comment };
}

function toWindow(v: unknown): MaintenanceWindow | undefined {
  if (!isRecord(v)) return undefined;
  const matchers = toMatchers(v['matchers']);
  const { id, recurrence, durationMs, timeZone, validFromMs, validUntilMs, createdBy, comment, updatedAtMs } =
    v;
  if (
    matchers === undefined ||
    typeof id !== 'string' ||
    !isRecord(recurrence) ||
    typeof durationMs !== 'number' ||
    typeof timeZone !== 'string' ||
    (validFromMs !== undefined && typeof validFromMs !== 'number') ||
    (validUntilMs !== undefined && typeof validUntilMs !== 'number') ||
    typeof createdBy !== 'string' ||
    typeof comment !== 'string' ||
    typeof updatedAtMs !== 'number'
  ) {
    return undefined;
  }
  // The recurrence's fields are checked when the window is compiled.
  return {
    id,
    matchers,
    recurrence: recurrence as unknown as Recurrence,
    durationMs,
    timeZone,
    ...(validFromMs !== undefined ? { validFromMs } : {}),
    ...(validUntilMs !== undefined ? { validUntilMs } : {}),
    createdBy,
    comment,
    updatedAtMs,
  };
}
