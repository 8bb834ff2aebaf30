import type { ParseResult } from './parse-common.js';
import { parseOpenMetrics } from './parse-openmetrics.js';
import { parsePrometheusText } from './parse-text.js';

/**
 * Content negotiation for scraping: the Accept header Prometheus sends, and the choice of parser
 * from the Content-Type a target answers with.
 */

/** The exposition formats Kanshi parses. */
export type ExpositionFormat = 'text' | 'openmetrics';

/** Text scrape protocols, named as in Prometheus's `scrape_protocols` (protobuf is not offered). */
export type ScrapeProtocol =
  'OpenMetricsText1.0.0' | 'OpenMetricsText0.0.1' | 'PrometheusText1.0.0' | 'PrometheusText0.0.4';

/** Prometheus 3's default `scrape_protocols`, minus protobuf. */
export const DEFAULT_SCRAPE_PROTOCOLS: readonly ScrapeProtocol[] = [
  'OpenMetricsText1.0.0',
  'OpenMetricsText0.0.1',
  'PrometheusText1.0.0',
  'PrometheusText0.0.4',
];

const PROTOCOL_MEDIA: Readonly<Record<ScrapeProtocol, string>> = {
  'OpenMetricsText1.0.0': 'application/openmetrics-text;version=1.0.0',
  'OpenMetricsText0.0.1': 'application/openmetrics-text;version=0.0.1',
  'PrometheusText1.0.0': 'text/plain;version=1.0.0',
  'PrometheusText0.0.4': 'text/plain;version=0.0.4',
};

/** Prometheus weighs protocols from q=0.6 down: it knows five (with protobuf), plus one. */
const FIRST_WEIGHT = 6;

/**
 * The Accept header Prometheus sends for `protocols`, in preference order, e.g. the default:
 * `application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*\/*;q=0.2`.
 * The 1.0.0 versions ask for UTF-8 names (`escaping=allow-utf-8`): both parsers read quoted names.
 */
export function scrapeAcceptHeader(protocols: readonly ScrapeProtocol[] = DEFAULT_SCRAPE_PROTOCOLS): string {
  const parts: string[] = [];
  let weight = FIRST_WEIGHT;
  for (const p of protocols) {
    let v = PROTOCOL_MEDIA[p];
    if (p === 'OpenMetricsText1.0.0' || p === 'PrometheusText1.0.0') v += ';escaping=allow-utf-8';
    parts.push(`${v};q=0.${weight}`);
    weight--;
  }
  parts.push(`*/*;q=0.${weight}`);
  return parts.join(',');
}

/** The Accept header that asks for the text format 0.0.4 only (for exporters that mishandle OM). */
export const TEXT_ONLY_ACCEPT_HEADER = scrapeAcceptHeader(['PrometheusText0.0.4']);

/**
 * The format a Content-Type announces: `application/openmetrics-text` → openmetrics,
 * `text/plain` → text; anything else (missing, unknown, protobuf) → `fallback`, or undefined when
 * no fallback is given (Prometheus 3 then fails the scrape unless `fallback_scrape_protocol` is set).
 */
export function formatOfContentType(
  contentType: string,
  fallback?: ExpositionFormat,
): ExpositionFormat | undefined {
  const media = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (media === 'application/openmetrics-text') return 'openmetrics';
  if (media === 'text/plain') return 'text';
  return fallback;
}

/** Options of {@link parseExposition}. */
export interface ParseExpositionOptions {
  /**
   * The format to assume when the Content-Type names neither; `'none'` makes that an error, as in
   * Prometheus 3 without `fallback_scrape_protocol`. Default `'text'` (Prometheus 2's behaviour).
   */
  readonly fallbackFormat?: ExpositionFormat | 'none';
  /** OpenMetrics strict validation (see parseOpenMetrics). Default false. */
  readonly strict?: boolean;
  /** See ParseTextOptions.normalizeFloatLabels. Default true. */
  readonly normalizeFloatLabels?: boolean;
  /** Drop OpenMetrics `_created` samples. Default false. */
  readonly skipCreatedSeries?: boolean;
  /** Stop after this many errors. Default 100. */
  readonly maxErrors?: number;
}

/** A parse result and the format that was used. */
export interface ExpositionResult extends ParseResult {
  /** Undefined when the content type was not understood and there was no fallback. */
  readonly format: ExpositionFormat | undefined;
}

/**
 * Parses a scraped body with the parser its Content-Type calls for. Bytes are decoded as UTF-8;
 * invalid UTF-8 is an error in OpenMetrics anywhere, in the text format only in label values,
 * quoted names and HELP (as Prometheus). Never throws on bad input.
 */
export function parseExposition(
  body: string | Uint8Array,
  contentType: string,
  options: ParseExpositionOptions = {},
): ExpositionResult {
  const fallback = options.fallbackFormat ?? 'text';
  const format = formatOfContentType(contentType, fallback === 'none' ? undefined : fallback);
  if (format === undefined) {
    return {
      format,
      families: [],
      errors: [{ line: 0, message: `unsupported content type ${JSON.stringify(contentType)}` }],
    };
  }
  const common = {
    ...(options.normalizeFloatLabels !== undefined
      ? { normalizeFloatLabels: options.normalizeFloatLabels }
      : {}),
    ...(options.maxErrors !== undefined ? { maxErrors: options.maxErrors } : {}),
  };
  if (format === 'openmetrics') {
    return {
      format,
      ...parseOpenMetrics(body, {
        ...common,
        ...(options.strict !== undefined ? { strict: options.strict } : {}),
        ...(options.skipCreatedSeries !== undefined ? { skipCreatedSeries: options.skipCreatedSeries } : {}),
      }),
    };
  }
  if (typeof body === 'string') return { format, ...parsePrometheusText(body, common) };
  let clean: string | undefined;
  try {
    clean = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    clean = undefined;
  }
  if (clean !== undefined) return { format, ...parsePrometheusText(clean, common) };
  // Invalid UTF-8 somewhere: Prometheus rejects it in label values and HELP, not in comments.
  const text = new TextDecoder('utf-8').decode(body);
  return { format, ...parsePrometheusText(text, { ...common, rejectReplacementChar: true }) };
}
