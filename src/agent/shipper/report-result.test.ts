import { describe, expect, it } from 'vitest';
import { parseCheckReport } from '../../model/check-report.js';
import type { CheckResult } from '../../model/check.js';
import { reportResult } from './report-result.js';

const run: CheckResult = {
  status: 'WARNING',
  message: 'DISK WARNING',
  longOutput: 'details',
  perfdata: [
    {
      label: '/',
      value: 9188,
      unit: 'MB',
      baseValue: 9188e6,
      baseUnit: 'bytes',
      warn: { start: 0, end: 8000, isInside: false, text: '8000' },
      crit: { start: 0, end: 9000, isInside: false, text: '9000' },
      min: 0,
      max: 10000,
    },
    { label: 'nan', value: Number.NaN, unit: '', baseValue: Number.NaN, baseUnit: '' },
    { label: 'inf_max', value: 1, unit: '', baseValue: 1, baseUnit: '', max: Infinity },
  ],
  startedAtMs: 1_700_000_000_123.4,
  durationMs: 41,
  exitCode: 1,
};

describe('reportResult', () => {
  it('turns a check run into a result the server accepts, leaving out non-finite values', () => {
    const got = reportResult('disk_root', run, { attempt: 2, hardStatus: 'OK', labels: { team: 'infra' } });
    expect(got).toEqual({
      check: 'disk_root',
      status: 'WARNING',
      message: 'DISK WARNING',
      long_output: 'details',
      perfdata: [
        { label: '/', value: 9188, unit: 'MB', warn: '8000', crit: '9000', min: 0, max: 10000 },
        { label: 'inf_max', value: 1, unit: '' },
      ],
      started_at: 1_700_000_000_123,
      duration_ms: 41,
      attempt: 2,
      hard_status: 'OK',
      memo: '',
      prevent_alert_auto_close: false,
      notification_interval_ms: null,
      labels: { team: 'infra' },
    });
    // What the shipper sends parses on the server side unchanged.
    const wire = JSON.parse(JSON.stringify({ host: 'web-1', results: [got] })) as unknown;
    expect(parseCheckReport(wire).results[0]).toEqual(got);
  });
});
