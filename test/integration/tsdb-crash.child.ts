/**
 * The writer side of tsdb-crash.test.ts (protocol in test/support/crash-writer.ts): opens the TSDB
 * in argv[2] and commits one sample for each of 10 series per step, from step argv[3] on,
 * reporting `ack <step>` after each commit resolved — the moment a server would answer 2xx. It
 * runs until killed.
 */
import { labelsFromRecord } from '../../src/model/labels.js';
import { TSDB } from '../../src/tsdb/tsdb.js';
import { reportAcked, reportReady } from '../support/crash-writer.js';

export const CRASH_OPTIONS = { blockRangeMs: 60_000, oooWindowMs: 10_000, walSegmentBytes: 16_384 };
export const CRASH_SERIES = Array.from({ length: 10 }, (_, i) =>
  labelsFromRecord({ __name__: 'crash_test', series: String(i) }),
);

if (process.argv[1]?.endsWith('tsdb-crash.child.ts')) {
  const dir = process.argv[2]!;
  let step = Number(process.argv[3]);
  const db = await TSDB.open(dir, CRASH_OPTIONS);
  reportReady();
  for (;;) {
    const app = db.appender();
    for (const s of CRASH_SERIES) {
      const r = app.append(s, step * 1000, step);
      if (r !== null) throw new Error(`step ${step}: ${r}`);
    }
    await app.commit();
    reportAcked(step);
    step++;
  }
}
