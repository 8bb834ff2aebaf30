import type { CheckResult } from '../../model/check.js';
import type { CheckReportPerfDatum, CheckReportResult } from '../../model/check-report.js';

/** What the scheduler knows about a check beyond one run's {@link CheckResult}. */
export interface ReportResultOptions {
  /** Attempt number of the current status; default 1. */
  readonly attempt?: number;
  readonly hardStatus?: CheckReportResult['hard_status'];
  readonly memo?: string;
  readonly preventAlertAutoClose?: boolean;
  readonly notificationIntervalMs?: number | null;
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * One run of check `check` as the check-results API carries it (docs/agent-api.md). Perfdata
 * items whose value is not finite are left out (JSON has no NaN or Infinity); so are non-finite
 * min/max. `started_at` is rounded to whole ms, the API's identity of a run.
 */
export function reportResult(
  check: string,
  r: CheckResult,
  options: ReportResultOptions = {},
): CheckReportResult {
  const perfdata: CheckReportPerfDatum[] = [];
  for (const p of r.perfdata) {
    if (!Number.isFinite(p.value)) continue;
    const d: { -readonly [K in keyof CheckReportPerfDatum]: CheckReportPerfDatum[K] } = {
      label: p.label,
      value: p.value,
      unit: p.unit,
    };
    if (p.warn) d.warn = p.warn.text;
    if (p.crit) d.crit = p.crit.text;
    if (p.min !== undefined && Number.isFinite(p.min)) d.min = p.min;
    if (p.max !== undefined && Number.isFinite(p.max)) d.max = p.max;
    perfdata.push(d);
  }
  return {
    check,
    status: r.status,
    message: r.message,
    long_output: r.longOutput,
    perfdata,
    started_at: Math.round(r.startedAtMs),
    duration_ms: r.durationMs,
    attempt: options.attempt ?? 1,
    hard_status: options.hardStatus ?? null,
    memo: options.memo ?? '',
    prevent_alert_auto_close: options.preventAlertAutoClose ?? false,
    notification_interval_ms: options.notificationIntervalMs ?? null,
    labels: options.labels ?? {},
  };
}
