import { AppError } from '../base/errors.js';
import type { ThresholdRange } from '../model/check.js';

/**
 * Threshold ranges of the Nagios plugin guidelines, section "Threshold and ranges"
 * (https://nagios-plugins.org/doc/guidelines.html#THRESHOLDFORMAT): `[@]start:end`, where a bare
 * `N` means `0:N`, an empty end means +∞, `~` as start means -∞, endpoints are inclusive, and `@`
 * makes the range alert when the value is inside it instead of outside.
 *
 * We follow monitoring-plugins' parse_range_string (lib/utils_base.c) except that it reads numbers
 * with strtod and silently takes garbage as 0, where we reject the range: a typo in a threshold
 * should not quietly become "alert above 0".
 */

const numberRe = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a threshold range (`10`, `10:`, `~:10`, `10:20`, `@10:20`, `-5:-1.5`, `@~:0`, `:`).
 * Throws an AppError `bad_input` naming the text when it is empty, holds something that is not a
 * number, or has start > end (so a bare negative `-10`, which would mean `0:-10`, is rejected as
 * monitoring-plugins rejects it).
 */
export function parseRange(text: string): ThresholdRange {
  let body = text;
  let isInside = false;
  if (body.startsWith('@')) {
    isInside = true;
    body = body.slice(1);
  }
  if (text === '') throw new AppError('bad_input', 'empty threshold range');

  let start = 0;
  let endText: string;
  const colon = body.indexOf(':');
  if (colon >= 0) {
    const startText = body.slice(0, colon);
    endText = body.slice(colon + 1);
    if (startText === '~') start = -Infinity;
    else if (startText !== '') start = parseNumber(startText, text);
  } else {
    endText = body;
  }
  const end = endText === '' ? Infinity : parseNumber(endText, text);
  if (start > end) {
    throw new AppError(
      'bad_input',
      `invalid threshold range "${text}": start ${start} is greater than end ${end}`,
    );
  }
  return { start, end, isInside, text };
}

function parseNumber(s: string, text: string): number {
  if (!numberRe.test(s))
    throw new AppError('bad_input', `invalid threshold range "${text}": "${s}" is not a number`);
  return Number(s);
}

/**
 * Whether `value` raises an alert against `range`: outside [start, end] for a normal range, inside
 * it for an `@` range; endpoints are inclusive either way. NaN (an unknown `U` value) never alerts.
 */
export function isAlert(range: ThresholdRange, value: number): boolean {
  if (Number.isNaN(value)) return false;
  const isWithin = range.start <= value && value <= range.end;
  return range.isInside ? isWithin : !isWithin;
}

/** The range with both bounds converted by `convert` (to base units); the text stays as written. */
export function convertRange(range: ThresholdRange, convert: (n: number) => number): ThresholdRange {
  return { ...range, start: convert(range.start), end: convert(range.end) };
}

/**
 * The range in words, for people reading `kanshi check` output: "alerts outside 0..80",
 * "alerts below 10", "alerts above 10", "alerts inside 10..20", "alerts at or below 5",
 * "never alerts", "always alerts".
 */
export function describeRange(range: ThresholdRange): string {
  const { start, end, isInside } = range;
  const hasStart = start !== -Infinity;
  const hasEnd = end !== Infinity;
  if (!isInside) {
    if (hasStart && hasEnd) return `alerts outside ${fmt(start)}..${fmt(end)}`;
    if (hasStart) return `alerts below ${fmt(start)}`;
    if (hasEnd) return `alerts above ${fmt(end)}`;
    return 'never alerts';
  }
  if (hasStart && hasEnd) return `alerts inside ${fmt(start)}..${fmt(end)}`;
  if (hasStart) return `alerts at or above ${fmt(start)}`;
  if (hasEnd) return `alerts at or below ${fmt(end)}`;
  return 'always alerts';
}

function fmt(n: number): string {
  return String(n);
}
