import type { PerfDatum } from '../model/check.js';
import { parsePerfdata } from './perfdata.js';

/**
 * Splits a plugin's stdout the way Nagios 3+ does (guidelines, "Plugin output for Nagios";
 * https://nagios-plugins.org/doc/guidelines.html#AEN33):
 *
 * ```
 * TEXT OUTPUT | OPTIONAL PERFDATA
 * LONG TEXT LINE 1
 * LONG TEXT LINE N | PERFDATA LINE 2
 * PERFDATA LINE 3
 * ```
 *
 * The first line up to its first `|` is the message and the rest of it perfdata. Later lines are
 * long output until one holds a `|`: text before it is still long output, and everything after it,
 * on that line and on every following line, is perfdata.
 */

/** A plugin's stdout, split. */
export interface PluginOutput {
  /** The first line before any `|`, trimmed ('' when the plugin printed nothing). */
  readonly message: string;
  /** The later lines without perfdata, joined by '\n', trailing blank lines removed. */
  readonly longOutput: string;
  readonly perfdata: PerfDatum[];
  /** What could not be read in the perfdata (see parsePerfdata); never fatal. */
  readonly problems: string[];
  /** The raw perfdata text, all parts joined by a space. */
  readonly perfdataText: string;
}

/** Splits plugin stdout into message, long output and perfdata. Never throws. */
export function parsePluginOutput(stdout: string): PluginOutput {
  const lines = stdout.replace(/\r\n?/g, '\n').split('\n');
  const first = lines[0] ?? '';
  const perfParts: string[] = [];

  const bar = first.indexOf('|');
  const message = (bar >= 0 ? first.slice(0, bar) : first).trim();
  if (bar >= 0) perfParts.push(first.slice(bar + 1));

  const longLines: string[] = [];
  let isPerfOnly = false;
  for (const line of lines.slice(1)) {
    if (isPerfOnly) {
      perfParts.push(line);
      continue;
    }
    const at = line.indexOf('|');
    if (at < 0) {
      longLines.push(line);
      continue;
    }
    longLines.push(line.slice(0, at));
    perfParts.push(line.slice(at + 1));
    isPerfOnly = true;
  }
  while (longLines.length > 0 && (longLines[longLines.length - 1] ?? '').trim() === '') longLines.pop();

  const perfdataText = perfParts
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .join(' ');
  const { perfdata, problems } = parsePerfdata(perfdataText);
  return {
    message,
    longOutput: longLines.map((l) => l.trimEnd()).join('\n'),
    perfdata,
    problems,
    perfdataText,
  };
}
