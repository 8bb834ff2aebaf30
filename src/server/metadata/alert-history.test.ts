import { describe, expect, it } from 'vitest';
import { RecordingLogger } from '../../base/logger.js';
import type { AlertEvent, AlertEventKind } from '../../notify/types.js';
import { SqliteAlertHistory } from './alert-history.js';
import { MetadataDb } from './db.js';

const FP_A = '0123456789abcdef';
const FP_B = 'fedcba9876543210';
const A = { alertname: 'HighLoad', host: 'web-1', severity: 'warning' };
const B = { alertname: 'DiskFull', host: 'db-1', severity: 'critical' };

function ev(atMs: number, kind: AlertEventKind, fp = FP_A, detail?: Record<string, string>): AlertEvent {
  return { atMs, fingerprint: fp, labels: fp === FP_A ? A : B, kind, ...(detail ? { detail } : {}) };
}

/** A history whose flushes the test triggers itself. */
function setup(options: { retentionMs?: number; maxPending?: number } = {}) {
  const db = MetadataDb.open(':memory:');
  const scheduled: (() => void)[] = [];
  const log = new RecordingLogger();
  const history = new SqliteAlertHistory(db, {
    ...options,
    logger: log,
    scheduleFlush: (f) => void scheduled.push(f),
  });
  return { db, history, scheduled, log };
}

describe('SqliteAlertHistory', () => {
  it('batches the events of one tick into one scheduled flush', () => {
    const { history, scheduled, db } = setup();
    history.record(ev(1000, 'opened'));
    history.record(ev(1001, 'notified', FP_A, { receiver: 'ops', integration: 'webhook[0]' }));
    expect(scheduled).toHaveLength(1);
    expect(history.pendingCount).toBe(2);
    expect(db.statement('SELECT COUNT(*) FROM alert_events').pluck().get()).toBe(0);
    scheduled[0]!();
    expect(history.pendingCount).toBe(0);
    expect(db.statement('SELECT COUNT(*) FROM alert_events').pluck().get()).toBe(2);
    history.record(ev(1002, 'resolved'));
    expect(scheduled).toHaveLength(2);
  });

  it('returns an alert timeline in order, with details, flushing first', () => {
    const { history } = setup();
    const events = [
      ev(1000, 'opened', FP_A, { level: 'warning' }),
      ev(1000, 'opened', FP_B),
      ev(2000, 'level_changed', FP_A, { level: 'critical' }),
      ev(3000, 'notified', FP_A, { receiver: 'ops' }),
      ev(4000, 'resolved'),
    ];
    for (const e of events) history.record(e);
    expect(history.timeline(FP_A)).toEqual(events.filter((e) => e.fingerprint === FP_A));
    expect(history.timeline(FP_A, 2000, 3000).map((e) => e.kind)).toEqual(['level_changed', 'notified']);
    expect(history.hasAlert(FP_B)).toBe(true);
    expect(history.hasAlert('1111111111111111')).toBe(false);
  });

  it('filters events by time range, kind and label matchers', () => {
    const { history } = setup();
    for (const e of [
      ev(1000, 'opened'),
      ev(1500, 'opened', FP_B),
      ev(2000, 'notified'),
      ev(2500, 'notified', FP_B),
      ev(3000, 'resolved'),
      ev(9000, 'resolved', FP_B),
    ])
      history.record(e);
    const q = (query: Partial<Parameters<typeof history.events>[0]>) =>
      history
        .events({ fromMs: 0, toMs: 10_000, ...query })
        .map((e) => `${e.atMs}:${e.kind}:${e.labels.host}`);
    const cases: [string, Partial<Parameters<typeof history.events>[0]>, string[]][] = [
      [
        'range',
        { fromMs: 1500, toMs: 3000 },
        ['1500:opened:db-1', '2000:notified:web-1', '2500:notified:db-1', '3000:resolved:web-1'],
      ],
      [
        'kind',
        { kinds: ['opened', 'resolved'] },
        ['1000:opened:web-1', '1500:opened:db-1', '3000:resolved:web-1', '9000:resolved:db-1'],
      ],
      [
        'equal',
        { matchers: [{ type: '=', name: 'alertname', value: 'DiskFull' }] },
        ['1500:opened:db-1', '2500:notified:db-1', '9000:resolved:db-1'],
      ],
      [
        'not equal',
        { kinds: ['notified'], matchers: [{ type: '!=', name: 'host', value: 'db-1' }] },
        ['2000:notified:web-1'],
      ],
      [
        'regex',
        { kinds: ['opened'], matchers: [{ type: '=~', name: 'host', value: 'web-.*' }] },
        ['1000:opened:web-1'],
      ],
      [
        'negative regex',
        { kinds: ['resolved'], matchers: [{ type: '!~', name: 'severity', value: 'warn.*' }] },
        ['9000:resolved:db-1'],
      ],
      // A missing label has the value '', as in Prometheus.
      [
        'missing label',
        { kinds: ['opened'], matchers: [{ type: '=', name: 'team', value: '' }] },
        ['1000:opened:web-1', '1500:opened:db-1'],
      ],
      ['odd label name', { matchers: [{ type: '=', name: 'a.b', value: 'x' }] }, []],
      ['limit', { limit: 2 }, ['1000:opened:web-1', '1500:opened:db-1']],
      [
        'any of several selectors',
        {
          kinds: ['notified'],
          anyOf: [
            [{ type: '=', name: 'host', value: 'db-1' }],
            [{ type: '=', name: 'severity', value: 'warning' }],
          ],
        },
        ['2000:notified:web-1', '2500:notified:db-1'],
      ],
      [
        'matchers and any of',
        {
          matchers: [{ type: '=', name: 'host', value: 'web-1' }],
          anyOf: [[{ type: '=', name: 'alertname', value: 'DiskFull' }]],
        },
        [],
      ],
    ];
    for (const [name, query, want] of cases) expect(q(query), name).toEqual(want);
  });

  it('derives incidents overlapping a range, open ones up to its end', () => {
    const { history } = setup();
    for (const e of [
      ev(1000, 'opened'),
      ev(1000, 'opened'), // a repeated open does not start a second incident
      ev(3000, 'resolved'),
      ev(3500, 'resolved'), // nor does a second resolve move its end
      ev(5000, 'opened'),
      ev(8000, 'closed'),
      ev(6000, 'opened', FP_B),
    ])
      history.record(e);
    const got = history.incidents({ fromMs: 2000, toMs: 7000 });
    expect(
      got.map((i) => [i.fingerprint, i.openedAtMs, i.endedAtMs, i.endKind, i.durationInRangeMs]),
    ).toEqual([
      [FP_A, 1000, 3000, 'resolved', 1000],
      [FP_A, 5000, 8000, 'closed', 2000],
      [FP_B, 6000, null, null, 1000],
    ]);
    expect(got[2]!.labels).toEqual(B);
    expect(history.incidents({ fromMs: 3001, toMs: 4999 })).toEqual([]);
    expect(
      history.incidents({ fromMs: 0, toMs: 10_000, matchers: [{ type: '=', name: 'host', value: 'db-1' }] }),
    ).toHaveLength(1);
  });

  it('marks the time an incident spent in maintenance', () => {
    const { history } = setup();
    for (const e of [
      ev(1000, 'opened'),
      ev(2000, 'maintenance', FP_A, { window: 'w1' }),
      ev(2500, 'maintenance', FP_A, { window: 'w1' }), // still in the same span
      ev(4000, 'notified'), // notified: out of maintenance
      ev(5000, 'maintenance', FP_A, { window: 'w2', ends_at: '6000' }),
      ev(7000, 'maintenance', FP_A, { window: 'w3' }),
      ev(7500, 'maintenance', FP_A, { window: 'w3', state: 'ended' }),
      ev(8000, 'maintenance', FP_A, { window: 'w4' }),
      ev(8200, 'silenced', FP_A, { silencedBy: 's1' }), // a plain silence is not maintenance
      ev(9000, 'maintenance', FP_A, { window: 'w4' }),
      ev(10_000, 'resolved'), // ends the last span
      ev(12_000, 'maintenance', FP_A, { window: 'w5' }), // after the incident
    ])
      history.record(e);
    const [incident] = history.incidents({ fromMs: 0, toMs: 20_000 });
    expect(incident!.maintenance).toEqual([
      { startMs: 2000, endMs: 4000 },
      { startMs: 5000, endMs: 6000 },
      { startMs: 7000, endMs: 7500 },
      { startMs: 8000, endMs: 8200 },
      { startMs: 9000, endMs: 10_000 },
    ]);
    expect(incident!.maintenanceInRangeMs).toBe(2000 + 1000 + 500 + 200 + 1000);
    const [clipped] = history.incidents({ fromMs: 3000, toMs: 5500 });
    expect(clipped!.maintenanceInRangeMs).toBe(1000 + 500);
    expect(clipped!.durationInRangeMs).toBe(2500);
  });

  it('ends the maintenance of an open incident at the end of the query range', () => {
    const { history } = setup();
    history.record(ev(1000, 'opened'));
    history.record(ev(2000, 'maintenance'));
    const [incident] = history.incidents({ fromMs: 0, toMs: 5000 });
    expect(incident!.maintenance).toEqual([{ startMs: 2000, endMs: 5000 }]);
    expect(incident!.endedAtMs).toBeNull();
  });

  it('prunes events and ended incidents past retention, keeping open alerts whole', () => {
    const { history } = setup({ retentionMs: 10_000 });
    for (const e of [
      ev(1000, 'opened'),
      ev(2000, 'resolved'),
      ev(1500, 'opened', FP_B),
      ev(20_000, 'opened'),
    ])
      history.record(e);
    expect(history.prune(15_000)).toBe(2);
    expect(history.timeline(FP_A).map((e) => e.atMs)).toEqual([20_000]);
    expect(history.timeline(FP_B).map((e) => e.atMs)).toEqual([1500]);
    expect(history.incidents({ fromMs: 0, toMs: 30_000 }).map((i) => [i.fingerprint, i.openedAtMs])).toEqual([
      [FP_B, 1500],
      [FP_A, 20_000],
    ]);
  });

  it('never throws: an invalid event is dropped and counted, a failed write is kept and retried', () => {
    const { history, db, log } = setup({ maxPending: 3 });
    history.record({ ...ev(1000, 'opened'), atMs: Number.NaN });
    history.record({ ...ev(1000, 'opened'), kind: 'exploded' as AlertEventKind });
    expect(history.droppedTotal).toBe(2);
    // Make the table unwritable: the batch stays queued.
    db.statement(
      'CREATE TRIGGER refuse BEFORE INSERT ON alert_events BEGIN SELECT RAISE(ABORT, "disk full"); END',
    ).run();
    history.record(ev(1000, 'opened'));
    history.record(ev(2000, 'notified'));
    expect(history.flush()).toBe(false);
    expect(history.pendingCount).toBe(2);
    expect(log.records.at(-1)).toMatchObject({
      level: 'error',
      message: 'alert history write failed; will retry',
    });
    history.record(ev(3000, 'notified'));
    history.record(ev(4000, 'resolved'));
    expect(history.pendingCount).toBe(3); // the oldest dropped
    expect(history.droppedTotal).toBe(3);
    db.statement('DROP TRIGGER refuse').run();
    expect(history.flush()).toBe(true);
    expect(history.timeline(FP_A).map((e) => e.kind)).toEqual(['notified', 'notified', 'resolved']);
  });

  it('keeps queued events when the database is closed, without throwing', () => {
    const { history, db } = setup();
    db.close();
    history.record(ev(1000, 'opened'));
    expect(history.flush()).toBe(false);
  });
});
