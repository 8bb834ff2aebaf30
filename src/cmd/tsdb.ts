import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { parseDuration } from '../base/duration.js';
import { errorMessage } from '../base/errors.js';
import { parseExposition } from '../exposition/parse-exposition.js';
import { sortLabels, type Labels } from '../model/labels.js';
import { Backfiller } from '../tsdb/import/backfill.js';
import { parseCsvSamples } from '../tsdb/import/csv.js';
import { TSDB, type TsdbStats } from '../tsdb/tsdb.js';
import { parseFlags, UsageError } from './args.js';
import { createLogger } from './logger.js';

/**
 * `kanshi tsdb import FILE [--data DIR] [--format openmetrics|csv] [--block-range 2h]` and
 * `kanshi tsdb stats [--data DIR] [--json] [--limit N]` (docs/tsdb/operations.md).
 *
 * import backfills OpenMetrics text with timestamps (or the text format 0.0.4, or CSV) into
 * blocks in `<data>/tenants/default`, like `promtool tsdb create-blocks-from openmetrics`: the
 * whole file is read first and nothing is written if any line is wrong. The server sees the new
 * blocks when it next starts. stats opens the store (replaying its WAL) and prints series,
 * samples, bytes per sample and the top cardinalities: run it on a stopped server's folder or a
 * snapshot, as the store must not be opened twice.
 */

/** The single-user tenant's folder (DEFAULT_TENANT of src/server/server.ts, not imported so this command does not load the server). */
const DEFAULT_TENANT = 'default';

const USAGE = `Usage:
  kanshi tsdb import FILE [--data DIR] [--format openmetrics|csv] [--block-range 2h]
  kanshi tsdb stats [--data DIR] [--json] [--limit N]`;

/** Runs `kanshi tsdb …` and resolves with the exit code (0 ok, 1 failed, 2 usage). */
export async function runTsdbCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    data: { type: 'string' },
    format: { type: 'string' },
    'block-range': { type: 'string' },
    json: { type: 'boolean' },
    limit: { type: 'string' },
    'log-level': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [sub, file, ...extra] = positionals;
  const storeDir = path.join(path.resolve(values.data ?? './data'), 'tenants', DEFAULT_TENANT);
  const logger = createLogger(values['log-level'] ?? 'warn');
  if (sub === 'import') {
    if (file === undefined || extra.length > 0) throw new UsageError(`import takes one FILE\n${USAGE}`);
    const format = values.format ?? (file.toLowerCase().endsWith('.csv') ? 'csv' : 'openmetrics');
    if (format !== 'csv' && format !== 'openmetrics')
      throw new UsageError(`--format must be openmetrics or csv, got ${JSON.stringify(format)}`);
    let blockRangeMs = 2 * 3_600_000;
    if (values['block-range'] !== undefined) {
      try {
        blockRangeMs = parseDuration(values['block-range']);
      } catch (e) {
        throw new UsageError(`--block-range: ${errorMessage(e)}`);
      }
      if (!(blockRangeMs > 0))
        throw new UsageError(`--block-range must be > 0, got ${values['block-range']}`);
    }
    return importFile(file, { storeDir, format, blockRangeMs });
  }
  if (sub === 'stats') {
    if (positionals.length > 1) throw new UsageError(`stats takes no FILE\n${USAGE}`);
    const limit = values.limit === undefined ? 10 : Number(values.limit);
    if (!Number.isInteger(limit) || limit <= 0)
      throw new UsageError(`--limit must be a positive integer, got ${JSON.stringify(values.limit)}`);
    if (!existsSync(storeDir)) {
      console.error(`kanshi tsdb stats: no store at ${storeDir}`);
      return 1;
    }
    const db = await TSDB.open(storeDir, { logger: logger.child({ component: 'tsdb' }) });
    try {
      let stats = db.stats(limit);
      // The store counts cardinalities in the head only; a store of blocks alone (an import, a
      // snapshot) is counted with one pass over its series.
      if (stats.headSeries === 0 && stats.blocks > 0)
        stats = { ...stats, ...(await blockCardinalities(db, limit)) };
      if (values.json === true) console.log(JSON.stringify({ dir: storeDir, ...stats }, jsonNumbers, 2));
      else console.log(formatStats(storeDir, stats));
    } finally {
      await db.close();
    }
    return 0;
  }
  throw new UsageError(USAGE);
}

interface ImportOptions {
  storeDir: string;
  format: 'csv' | 'openmetrics';
  blockRangeMs: number;
}

async function importFile(file: string, opts: ImportOptions): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    console.error(`kanshi tsdb import: cannot read ${file}: ${errorMessage(e)}`);
    return 1;
  }
  const progress = new Progress();
  const backfill = new Backfiller({ blockRangeMs: opts.blockRangeMs });
  const problems: string[] = [];
  progress.start('parse', text.length);
  if (opts.format === 'csv') {
    for (const p of parseCsvSamples(text, (l, t, v) => backfill.add(l, t, v), {
      onProgress: (n) => progress.update(n),
    }))
      problems.push(`${file}:${p.line}: ${p.message}`);
  } else {
    // OpenMetrics ends with `# EOF`; without it, the file is read as the text format 0.0.4.
    const isOpenMetrics = /(^|\n)# EOF\s*$/.test(text);
    const parsed = parseExposition(
      text,
      isOpenMetrics ? 'application/openmetrics-text; version=1.0.0' : 'text/plain; version=0.0.4',
      { maxErrors: 100 },
    );
    for (const e of parsed.errors) problems.push(`${file}:${e.line}: ${e.message}`);
    let untimed = 0;
    for (const f of parsed.families) {
      for (const s of f.samples) {
        if (s.timestampMs === undefined) {
          if (untimed++ < 10) problems.push(`${file}: sample ${s.name} has no timestamp`);
          continue;
        }
        backfill.add(withName(s.name, s.labels), s.timestampMs, s.value);
      }
    }
    if (untimed > 10) problems.push(`${file}: ${untimed} samples without a timestamp in all`);
  }
  progress.update(text.length);
  progress.stop();
  if (problems.length > 0) {
    for (const p of problems.slice(0, 50)) console.error(p);
    console.error(`kanshi tsdb import: ${problems.length} problem(s) in ${file}; nothing was written`);
    return 1;
  }
  progress.start('write', backfill.samplesAdded);
  const summary = await backfill.write(opts.storeDir, (done) => progress.update(done));
  progress.stop();
  if (summary.samples === 0) {
    console.log(`kanshi tsdb import: no samples in ${file}; nothing was written`);
    return 0;
  }
  console.log(
    `imported ${summary.samples} samples of ${summary.series} series ` +
      `(${iso(summary.minTimeMs)} to ${iso(summary.maxTimeMs)}) into ${summary.blocks.length} block(s) in ${opts.storeDir}` +
      (summary.duplicates > 0 ? `; ${summary.duplicates} duplicate timestamp(s) dropped` : ''),
  );
  console.log('The server reads the new blocks when it next starts.');
  return 0;
}

async function blockCardinalities(
  db: TSDB,
  limit: number,
): Promise<Pick<TsdbStats, 'topMetrics' | 'topLabelPairs' | 'topLabelNames'>> {
  const q = db.querier(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const pairs = new Map<string, { name: string; value: string; series: number }>();
  try {
    for (const s of await q.select([{ type: '=~', name: '__name__', value: '.+' }])) {
      for (const l of s.labels) {
        const key = `${l.name}=${JSON.stringify(l.value)}`;
        const p = pairs.get(key);
        if (p) p.series++;
        else pairs.set(key, { name: l.name, value: l.value, series: 1 });
      }
    }
  } finally {
    q.close();
  }
  const valuesPerName = new Map<string, number>();
  for (const p of pairs.values()) valuesPerName.set(p.name, (valuesPerName.get(p.name) ?? 0) + 1);
  const all = [...pairs.values()].sort((a, b) => b.series - a.series);
  return {
    topMetrics: all
      .filter((p) => p.name === '__name__')
      .slice(0, limit)
      .map((p) => ({ name: p.value, series: p.series })),
    topLabelPairs: all.slice(0, limit),
    topLabelNames: [...valuesPerName]
      .map(([name, values]) => ({ name, values }))
      .sort((a, b) => b.values - a.values)
      .slice(0, limit),
  };
}

function withName(name: string, labels: Labels): Labels {
  return sortLabels([{ name: '__name__', value: name }, ...labels]);
}

/** A cli-progress bar on a terminal; plain lines (every 10%) otherwise, both on stderr. */
class Progress {
  readonly #isTty = process.stderr.isTTY;
  #bar: cliProgress.SingleBar | undefined;
  #phase = '';
  #total = 0;
  #lastTenth = -1;

  start(phase: string, total: number): void {
    this.#phase = phase;
    this.#total = Math.max(1, total);
    this.#lastTenth = -1;
    if (this.#isTty) {
      this.#bar = new cliProgress.SingleBar(
        { format: `${phase.padEnd(5)} [{bar}] {percentage}% | {value}/{total}`, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      );
      this.#bar.start(this.#total, 0);
    }
  }

  update(n: number): void {
    if (this.#bar) {
      this.#bar.update(n);
      return;
    }
    const tenth = Math.floor((10 * n) / this.#total);
    if (tenth > this.#lastTenth) {
      this.#lastTenth = tenth;
      process.stderr.write(`${this.#phase}: ${Math.min(100, tenth * 10)}% (${n}/${this.#total})\n`);
    }
  }

  stop(): void {
    this.#bar?.stop();
    this.#bar = undefined;
  }
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '-';
}

/** JSON has no NaN or Infinity: they print as null. */
function jsonNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

function formatStats(dir: string, s: TsdbStats): string {
  const lines = [
    `Store: ${dir}`,
    `Head: ${s.headSeries} series, ${s.headSamples} samples` +
      (s.headSamples > 0
        ? `, ${iso(s.headMinTime)} to ${iso(s.headMaxTime)}, ${fixed(s.headBytesPerSample)} bytes/sample in chunks`
        : ''),
    `Blocks: ${s.blocks}, ${s.blockSamples} samples, ${s.blockBytes} bytes, ${fixed(s.bytesPerSample)} bytes/sample`,
    '',
    'Highest cardinality metric names (series):',
    ...table(s.topMetrics.map((m) => [String(m.series), m.name])),
    '',
    'Highest cardinality labels (distinct values):',
    ...table(s.topLabelNames.map((l) => [String(l.values), l.name])),
    '',
    'Most common label pairs (series):',
    ...table(s.topLabelPairs.map((p) => [String(p.series), `${p.name}=${JSON.stringify(p.value)}`])),
  ];
  return lines.join('\n');
}

function fixed(n: number): string {
  return Number.isFinite(n) ? n.toFixed(2) : '-';
}

function table(rows: string[][]): string[] {
  if (rows.length === 0) return ['  (none)'];
  const w = Math.max(...rows.map((r) => r[0]!.length));
  return rows.map((r) => `  ${r[0]!.padStart(w)}  ${r[1]!}`);
}
