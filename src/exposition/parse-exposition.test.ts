import { describe, expect, it } from 'vitest';
import {
  formatOfContentType,
  parseExposition,
  scrapeAcceptHeader,
  TEXT_ONLY_ACCEPT_HEADER,
} from './parse-exposition.js';

describe('scrapeAcceptHeader', () => {
  it('matches what Prometheus 3 sends by default (without protobuf)', () => {
    expect(scrapeAcceptHeader()).toBe(
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,' +
        'application/openmetrics-text;version=0.0.1;q=0.5,' +
        'text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,' +
        'text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
    );
  });

  it('weighs a custom list in order', () => {
    expect(scrapeAcceptHeader(['PrometheusText0.0.4', 'OpenMetricsText0.0.1'])).toBe(
      'text/plain;version=0.0.4;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,*/*;q=0.4',
    );
    expect(TEXT_ONLY_ACCEPT_HEADER).toBe('text/plain;version=0.0.4;q=0.6,*/*;q=0.5');
  });
});

describe('formatOfContentType', () => {
  it.each([
    ['application/openmetrics-text; version=1.0.0; charset=utf-8', 'openmetrics'],
    ['application/openmetrics-text;version=0.0.1', 'openmetrics'],
    ['Application/OpenMetrics-Text', 'openmetrics'],
    ['text/plain; version=0.0.4; charset=utf-8', 'text'],
    ['text/plain', 'text'],
    ['', undefined],
    ['application/json', undefined],
    [
      'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited',
      undefined,
    ],
  ])('%j → %s', (ct, want) => {
    expect(formatOfContentType(ct)).toBe(want);
  });
});

describe('parseExposition', () => {
  const om = '# TYPE a counter\na_total 1 # {t="x"} 1\n# EOF\n';

  it('uses the OpenMetrics parser for application/openmetrics-text', () => {
    const r = parseExposition(om, 'application/openmetrics-text; version=1.0.0');
    expect(r.format).toBe('openmetrics');
    expect(r.errors).toEqual([]);
    expect(r.families[0]!.type).toBe('counter');
  });

  it('uses the text parser for text/plain, which rejects exemplars', () => {
    const r = parseExposition(om, 'text/plain; version=0.0.4');
    expect(r.format).toBe('text');
    expect(r.errors).toHaveLength(1);
  });

  it('falls back to the text format for unknown types, or fails when asked to', () => {
    expect(parseExposition('a 1\n', '').format).toBe('text');
    expect(parseExposition('a 1\n', 'application/json', { fallbackFormat: 'openmetrics' }).format).toBe(
      'openmetrics',
    );
    const r = parseExposition('a 1\n', 'application/json', { fallbackFormat: 'none' });
    expect(r.format).toBeUndefined();
    expect(r.errors[0]!.message).toMatch(/unsupported content type "application\/json"/);
  });

  it('decodes bytes and rejects invalid utf-8 where Prometheus does', () => {
    expect(parseExposition(new TextEncoder().encode('a{x="監視"} 1\n'), 'text/plain').errors).toEqual([]);
    const bad = parseExposition(
      new Uint8Array([0x61, 0x7b, 0x78, 0x3d, 0x22, 0xc3, 0x22, 0x7d, 0x20, 0x31]),
      'text/plain',
    );
    expect(bad.errors[0]!.message).toMatch(/invalid utf-8 in label value/i);
    // Prometheus accepts invalid UTF-8 in comments of the text format, and so do we.
    const comment = new Uint8Array([0x23, 0x20, 0xff, 0x0a, 0x61, 0x20, 0x31, 0x0a]);
    expect(parseExposition(comment, 'text/plain').errors).toEqual([]);
    expect(parseExposition(comment, 'application/openmetrics-text').errors[0]!.message).toMatch(/utf-8/);
  });

  it('passes strict mode to the OpenMetrics parser', () => {
    const text = '# TYPE a counter\na_total -1\n# EOF\n';
    expect(parseExposition(text, 'application/openmetrics-text').errors).toEqual([]);
    expect(parseExposition(text, 'application/openmetrics-text', { strict: true }).errors).toHaveLength(1);
  });
});
