import { describe, expect, it } from 'vitest';
import { parseCheckReport } from './check-report.js';

const minimal = { check: 'disk', status: 'OK', started_at: 1_700_000_000_000 };

describe('parseCheckReport', () => {
  it('fills defaults for omitted optional fields', () => {
    expect(parseCheckReport({ host: 'web-1', results: [minimal] })).toEqual({
      host: 'web-1',
      results: [
        {
          check: 'disk',
          status: 'OK',
          message: '',
          long_output: '',
          perfdata: [],
          started_at: 1_700_000_000_000,
          duration_ms: 0,
          attempt: 1,
          hard_status: null,
          memo: '',
          prevent_alert_auto_close: false,
          notification_interval_ms: null,
          labels: {},
        },
      ],
    });
  });

  it('keeps every field of a full result', () => {
    const full = {
      check: 'http',
      status: 'CRITICAL',
      message: 'HTTP CRITICAL - 503',
      long_output: 'line 2\nline 3',
      perfdata: [{ label: 'time', value: 0.25, unit: 's', warn: '1', crit: '@2:5', min: 0, max: 10 }],
      started_at: 1_700_000_000_123,
      duration_ms: 250.5,
      attempt: 3,
      hard_status: 'WARNING',
      memo: 'call ops',
      prevent_alert_auto_close: true,
      notification_interval_ms: 600_000,
      labels: { team: 'web' },
    };
    expect(parseCheckReport({ host: 'h', results: [full] }).results[0]).toEqual(full);
  });

  it.each([
    ['a non-object body', [], 'body: must be an object, got []'],
    ['a missing host', { results: [] }, 'host: must be a non-empty string, got undefined'],
    ['results not an array', { host: 'h', results: {} }, 'results: must be an array, got {}'],
    ['an unknown top-level field', { host: 'h', results: [], extra: 1 }, 'body.extra: unknown field'],
    [
      'an unknown status',
      { host: 'h', results: [{ ...minimal, status: 'ok' }] },
      'results[0].status: must be one of OK, WARNING, CRITICAL, UNKNOWN, got "ok"',
    ],
    [
      'a fractional started_at',
      { host: 'h', results: [{ ...minimal, started_at: 1.5 }] },
      'results[0].started_at: must be an integer (ms since the epoch), got 1.5',
    ],
    [
      'a missing check',
      { host: 'h', results: [{ status: 'OK', started_at: 1 }] },
      'results[0].check: must be a non-empty string, got undefined',
    ],
    [
      'attempt 0',
      { host: 'h', results: [{ ...minimal, attempt: 0 }] },
      'results[0].attempt: must be an integer >= 1, got 0',
    ],
    [
      'a numeric label value',
      { host: 'h', results: [{ ...minimal, labels: { a: 1 } }] },
      'results[0].labels.a: must be a string, got 1',
    ],
    [
      'a perfdata value null',
      { host: 'h', results: [{ ...minimal, perfdata: [{ label: 'x', value: null }] }] },
      'results[0].perfdata[0].value: must be a number, got null',
    ],
    [
      'an unknown result field',
      { host: 'h', results: [{ ...minimal, state: 1 }] },
      'results[0].state: unknown field',
    ],
  ])('rejects %s naming the path and value', (_name, body, message) => {
    expect(() => parseCheckReport(body)).toThrow(message);
  });

  it('reports all problems at once', () => {
    let message = '';
    try {
      parseCheckReport({ host: '', results: [{ check: '', status: 'BAD', started_at: 'x' }] });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split('; ')).toHaveLength(4);
  });
});
