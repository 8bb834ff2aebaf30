/**
 * The writer side of metadata-crash.test.ts (protocol in test/support/crash-writer.ts): opens the
 * metadata store in argv[2] and, from step argv[3] on, stores one check result (check `crash`,
 * started_at = step s) and one alert event (at = step s) per step, reporting `ack <step>` once
 * `put` resolved and the event was flushed — the moment a server would answer 2xx. Several
 * results per put (batches of 1..5 steps) so kills land inside multi-row transactions too. It
 * runs until killed.
 */
import { openMetadataStore } from '../../src/server/metadata/metadata-store.js';
import type { CheckReportResult } from '../../src/model/check-report.js';
import { reportAcked, reportReady } from '../support/crash-writer.js';
import { checkRun } from '../support/check-report.js';

export const CRASH_HOST = 'crash-host';
export const CRASH_FINGERPRINT = '00000000000000c7';

/** The check result of one step. */
export function crashResult(step: number): CheckReportResult {
  return checkRun('crash', step * 1000, {
    status: step % 7 === 0 ? 'CRITICAL' : 'OK',
    message: `step ${step}`,
    perfdata: [{ label: 'step', value: step, unit: '' }],
    duration_ms: 1,
    labels: { step: String(step) },
  });
}

if (process.argv[1]?.endsWith('metadata-crash.child.ts')) {
  const dir = process.argv[2]!;
  let step = Number(process.argv[3]);
  const store = openMetadataStore(dir);
  reportReady();
  for (;;) {
    const batch = 1 + (step % 5);
    const results = Array.from({ length: batch }, (_, i) => crashResult(step + i));
    await store.checkResults.put(CRASH_HOST, results);
    for (let i = 0; i < batch; i++)
      store.alertHistory.record({
        atMs: (step + i) * 1000,
        fingerprint: CRASH_FINGERPRINT,
        labels: { alertname: 'Crash' },
        kind: 'notified',
        detail: { step: String(step + i) },
      });
    if (!store.alertHistory.flush()) throw new Error('alert history flush failed');
    step += batch;
    reportAcked(step - 1);
  }
}
