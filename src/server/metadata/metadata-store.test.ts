import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../test/support/fake-clock.js';
import { openMetadataStore } from './metadata-store.js';
import { checkRun } from '../../../test/support/check-report.js';

const DAY = 86_400_000;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('openMetadataStore', () => {
  it('applies retention on start and every interval until aborted, and flushes alert events on close', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kanshi-metadata-'));
    dirs.push(dir);
    const clock = new FakeClock(100 * DAY);
    const store = openMetadataStore(dir, {
      clock,
      alertHistoryRetentionMs: 10 * DAY,
      checkHistoryRetentionMs: 10 * DAY,
      retentionIntervalMs: DAY,
    });
    const fingerprint = '0123456789abcdef';
    store.alertHistory.record({ atMs: 80 * DAY, fingerprint, labels: {}, kind: 'notified' });
    store.alertHistory.record({ atMs: 95 * DAY, fingerprint, labels: {}, kind: 'notified' });
    store.alertHistory.flush();
    const run = (startedAt: number) => checkRun('c', startedAt, { message: '', duration_ms: 1 });
    await store.checkResults.put('h', [run(80 * DAY), run(95 * DAY), run(99 * DAY)]);
    const abort = new AbortController();
    const running = store.run(abort.signal);
    await clock.advance(0);
    expect(store.alertHistory.timeline(fingerprint).map((e) => e.atMs)).toEqual([95 * DAY]);
    expect(store.checkResults.history('h', 'c', { fromMs: 0, toMs: 200 * DAY })).toHaveLength(2);
    await clock.advance(6 * DAY); // retention ran again at day 101..106: the day-95 rows go
    expect(store.alertHistory.timeline(fingerprint)).toEqual([]);
    expect(store.checkResults.history('h', 'c', { fromMs: 0, toMs: 200 * DAY })).toHaveLength(1);
    abort.abort();
    await running;
    store.alertHistory.record({ atMs: 106 * DAY, fingerprint, labels: {}, kind: 'opened' });
    store.close();
    const reopened = openMetadataStore(dir, { clock });
    expect(reopened.alertHistory.timeline(fingerprint).map((e) => e.kind)).toEqual(['opened']);
    reopened.close();
  });
});
