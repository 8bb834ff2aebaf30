import type { CheckReportResult } from '../../src/model/check-report.js';

/**
 * A check run as an agent reports it (src/model/check-report.ts) for tests: OK at `startedAtMs`
 * (ms since the epoch), message `<check> <status>`, no output, perfdata, memo or labels, attempt
 * 1, no hard status yet, 0 ms long; `fields` overrides any of these.
 */
export function checkRun(
  check: string,
  startedAtMs: number,
  fields: Partial<CheckReportResult> = {},
): CheckReportResult {
  const status = fields.status ?? 'OK';
  return {
    check,
    status,
    message: `${check} ${status}`,
    long_output: '',
    perfdata: [],
    started_at: startedAtMs,
    duration_ms: 0,
    attempt: 1,
    hard_status: null,
    memo: '',
    prevent_alert_auto_close: false,
    notification_interval_ms: null,
    labels: {},
    ...fields,
  };
}
